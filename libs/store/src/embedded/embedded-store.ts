import { AsyncLocalStorage } from 'node:async_hooks';
import { update as mingoUpdate } from 'mingo';
import * as updateOperators from 'mingo/operators/update';
import { DuplicateKeyError, ImmutableFieldError, InvalidOperationError, SessionMisuseError, StoreError, TransactionConflictError } from '../errors';
import type { CollectionBackend, RawFindOptions } from '../internal/backend';
import { checkExpiry, resolveIndex } from '../internal/indexes';
import { ScopedCollection, tenantScope } from '../internal/scoped-collection';
import { canonical, cloneValue, compareValues, getPath, isPlainObject, pathValues, setPath, type Doc } from '../internal/values';
import { validateTenantId } from '../tenancy';
import type {
  BaseDocument,
  CollectionOptions,
  DeleteResult,
  DocumentStore,
  Filter,
  FindOneAndUpdateOptions,
  IndexSpec,
  Sort,
  StoreSession,
  TenantCollection,
  TenantScope,
  TransactionBody,
  Update,
  UpdateResult,
} from '../types';
import { EmbeddedIndex, queryKeyOf, type Key } from './index-tree';
import { AsyncLock } from './async-lock';
import { decodeDocument, encodeDocument } from './codec';
import { compileFilter } from './matcher';
import { compileProjection } from './projection';
import { applyPlainUpdate, preparePlainUpdate, type PlainOp } from './plain-update';

/** How the embedded store found the candidates of its last query (what MongoDB's explain() calls the winning plan). */
export type EmbeddedPlan = { kind: 'id' } | { kind: 'index'; index: string; prefix: number; ordered?: true } | { kind: 'scan' };

/** Counters of the embedded store's query work, for tests and benchmarks (like explain() executionStats). */
export interface EmbeddedStoreStats {
  /** Selections run (finds, counts, and the matching step of updates and deletes). */
  queries: number;
  /** Selections answered through `_id`. */
  idLookups: number;
  /** Selections answered through a declared index. */
  indexLookups: number;
  /** Selections that had to look at every document of the tenant (or collection). */
  collectionScans: number;
  /** Documents tested against a filter. */
  docsExamined: number;
  /** The plan of the most recent selection. */
  lastPlan: EmbeddedPlan | null;
}

/** A document as kept: the object itself, or its compact encoding (collections declared `compact`). */
type Stored = Doc | string;

/** The document a stored value stands for: the object (shared, never to be mutated) or a fresh decoded copy. */
function view(stored: Stored): Doc {
  return typeof stored === 'string' ? decodeDocument(stored) : stored;
}

/** One change to undo: the document as it was before (undefined: it did not exist). */
interface Change {
  coll: EmbeddedCollection;
  tenantId: string;
  id: string;
  prev: Stored | undefined;
}

interface UndoEntry {
  tenantId: string;
  prev: Stored | undefined;
}

/** A transaction of the embedded store. */
export class EmbeddedSession implements StoreSession {
  readonly backend = 'embedded' as const;
  /** False once committed or rolled back: the session then refuses every operation. */
  active = true;
  /** First version before the transaction of every document it touched, per collection. */
  readonly undo = new Map<EmbeddedCollection, Map<string, UndoEntry>>();

  constructor(readonly store: EmbeddedDocumentStore) {}
}

const noHidden: ReadonlyMap<string, UndoEntry> = new Map();

/** The equalities of a filter that an index can serve: top level and inside a top-level $and. */
function collectEqualities(filter: Filter, out: Map<string, Key[]>): void {
  for (const field of Object.keys(filter)) {
    const cond = filter[field];
    if (field === '$and') {
      if (Array.isArray(cond)) for (const sub of cond) if (isPlainObject(sub)) collectEqualities(sub, out);
      continue;
    }
    if (field.startsWith('$')) continue;
    let keys: Key[] | undefined;
    const k = queryKeyOf(cond);
    if (k !== undefined) keys = [k];
    else if (isPlainObject(cond)) {
      if ('$eq' in cond) {
        const e = queryKeyOf(cond.$eq);
        if (e !== undefined) keys = [e];
      } else if (Array.isArray(cond.$in)) {
        const list: Key[] = [];
        let ok = true;
        for (const v of cond.$in as unknown[]) {
          const e = queryKeyOf(v);
          if (e === undefined) {
            ok = false;
            break;
          }
          list.push(e);
        }
        if (ok) keys = list;
      }
    }
    if (keys === undefined) continue;
    const existing = out.get(field);
    // Two conditions on one field are ANDed: either one bounds the candidates; keep the narrower.
    if (existing === undefined || keys.length < existing.length) out.set(field, keys);
  }
}

/** The document an upsert starts from: the filter's equalities (top level and in $and). */
function upsertBase(filter: Filter, base: Doc, assigned: Set<string>): void {
  const deferred: Filter[] = [];
  for (const field of Object.keys(filter)) {
    const cond = filter[field];
    if (field === '$and') {
      if (Array.isArray(cond)) for (const sub of cond) if (isPlainObject(sub)) deferred.push(sub);
      continue;
    }
    if (field.startsWith('$')) continue;
    let value: unknown;
    if (isPlainObject(cond) && Object.keys(cond).some((k) => k.startsWith('$'))) {
      if (!('$eq' in cond)) continue;
      value = cond.$eq;
    } else value = cond;
    if (cond instanceof RegExp) continue;
    if (assigned.has(field)) {
      throw new InvalidOperationError(`upsert cannot infer the value of ${field}: the filter sets it more than once`);
    }
    assigned.add(field);
    setPath(base, field, cloneValue(value));
  }
  for (const sub of deferred) upsertBase(sub, base, assigned);
}

/** True when `filter` consists only of equalities ($eq / $in of scalars) on `tenantId` and on `fields`, which the lookup has resolved exactly. */
function answeredByLookup(filter: Filter, fields: readonly string[]): boolean {
  for (const field of Object.keys(filter)) {
    if (field !== 'tenantId' && !fields.includes(field)) return false;
    const cond = filter[field];
    if (queryKeyOf(cond) !== undefined) continue;
    if (!isPlainObject(cond)) return false;
    const ops = Object.keys(cond);
    if (ops.length !== 1) return false;
    if (ops[0] === '$eq') {
      if (queryKeyOf(cond.$eq) === undefined) return false;
    } else if (ops[0] === '$in') {
      if (!Array.isArray(cond.$in) || !(cond.$in as unknown[]).every((v) => queryKeyOf(v) !== undefined)) return false;
    } else return false;
  }
  return true;
}

/** The state of one selection: candidates are visited (through an index, by id or by scanning) and kept when they match. */
class Selection {
  readonly out: Doc[] = [];
  private seen: Set<string> | null;

  constructor(
    private readonly tenants: ReadonlyMap<string, ReadonlyMap<string, Stored>>,
    private readonly hidden: ReadonlyMap<string, UndoEntry>,
    private readonly matches: ((doc: Doc) => boolean) | null,
    private readonly stats: EmbeddedStoreStats,
    private readonly enough: number,
  ) {
    this.seen = hidden.size > 0 ? new Set() : null;
  }

  /** Candidates may come more than once (multikey, $in): remember the ids seen. */
  dedupe(): void {
    this.seen ??= new Set();
  }

  /** Forgets what was visited (an ordered walk given up half way): the selection starts again. */
  reset(): void {
    this.out.length = 0;
    this.seen?.clear();
  }

  /** Visits a candidate by id: the version this reader may see. Returns true to stop. */
  visit(tenantId: string, id: string): boolean {
    const seen = this.seen;
    if (seen !== null) {
      if (seen.has(id)) return false;
      seen.add(id);
    }
    let doc: Stored | undefined;
    const entry = this.hidden.size > 0 ? this.hidden.get(id) : undefined;
    if (entry !== undefined) doc = entry.prev;
    else doc = this.tenants.get(tenantId)?.get(id);
    return doc !== undefined && this.consider(view(doc));
  }

  /** Tests a visible document. Returns true to stop. */
  consider(doc: Doc): boolean {
    this.stats.docsExamined++;
    if (this.matches === null || this.matches(doc)) {
      this.out.push(doc);
      if (this.out.length >= this.enough) return true;
    }
    return false;
  }
}

function sortValue(doc: Doc, field: string, dir: 1 | -1): unknown {
  const values = pathValues(doc, field);
  if (values.length === 0) return null;
  if (values.length === 1) return values[0];
  // As in MongoDB: an array sorts by its smallest element ascending, its largest descending.
  let best = values[0];
  for (let i = 1; i < values.length; i++) {
    const c = compareValues(values[i], best);
    if (dir === 1 ? c < 0 : c > 0) best = values[i];
  }
  return best;
}

function sortDocs(docs: Doc[], sort: Array<[string, 1 | -1]>): Doc[] {
  const keyed = docs.map((doc) => ({ doc, keys: sort.map(([f, d]) => sortValue(doc, f, d)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < sort.length; i++) {
      const c = compareValues(a.keys[i], b.keys[i]);
      if (c !== 0) return (sort[i] as [string, 1 | -1])[1] === 1 ? c : -c;
    }
    return 0;
  });
  return keyed.map((k) => k.doc);
}

function hasPositional(update: Update): boolean {
  for (const op of Object.keys(update)) {
    const fields = update[op];
    if (!isPlainObject(fields)) continue;
    for (const path of Object.keys(fields)) if (path.endsWith('.$') || path.includes('.$.')) return true;
  }
  return false;
}

type OperatorFn = (expr: Record<string, unknown>) => (doc: Doc) => string[];
const OPERATORS = updateOperators as unknown as Record<string, OperatorFn | undefined>;

/** An update split into what applies on insert only and the rest, its operators compiled once. */
interface PreparedUpdate {
  onInsert: Record<string, unknown> | undefined;
  modifier: Update | undefined;
  /**
   * The operators as functions that apply them to a document and return the changed paths; null
   * for positional updates (mingo's full path, which needs the filter). Compiled when first
   * needed (undefined until then): most updates take the plain path and never need them.
   */
  appliers: Array<(doc: Doc) => string[]> | null | undefined;
  /** `$set` / `$unset` / `$inc` on plain paths, applied copy-on-write (see plain-update.ts); null otherwise. */
  plain: PlainOp[] | null;
}

function prepareUpdate(update: Update): PreparedUpdate {
  let onInsert: Record<string, unknown> | undefined;
  let modifier: Update | undefined;
  // A private copy of the values: stored documents may then share them (they are never mutated
  // in place), but a caller changing its update object afterwards cannot reach them.
  const own = cloneValue(update);
  for (const op of Object.keys(own)) {
    if (op === '$setOnInsert') onInsert = own[op] as Record<string, unknown>;
    else {
      if (OPERATORS[op] === undefined || !Object.hasOwn(OPERATORS, op)) throw new InvalidOperationError(`unknown update operator ${op}`);
      (modifier ??= {})[op] = own[op];
    }
  }
  const plain = modifier === undefined ? null : preparePlainUpdate(modifier);
  // An update the plain path cannot take is compiled now, so a malformed one fails before anything is read.
  return { onInsert, modifier, appliers: modifier !== undefined && plain === null ? compileAppliers(modifier) : undefined, plain };
}

function compileAppliers(modifier: Update): Array<(doc: Doc) => string[]> | null {
  if (hasPositional(modifier)) return null;
  const appliers: Array<(doc: Doc) => string[]> = [];
  for (const op of Object.keys(modifier)) {
    try {
      appliers.push((OPERATORS[op] as OperatorFn)(modifier[op] as Record<string, unknown>));
    } catch (err) {
      throw new InvalidOperationError(`invalid update: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return appliers;
}

/** MongoDB refuses arithmetic on non-numbers; mingo would skip it silently. */
function checkArithmetic(doc: Doc, modifier: Update): void {
  for (const op of ['$inc', '$mul']) {
    const fields = modifier[op];
    if (!isPlainObject(fields)) continue;
    for (const path of Object.keys(fields)) {
      if (typeof fields[path] !== 'number') throw new InvalidOperationError(`${op} needs a number for ${path}`);
      if (path.includes('$')) continue;
      const current = getPath(doc, path);
      if (current !== undefined && typeof current !== 'number') throw new InvalidOperationError(`cannot apply ${op} to the non-numeric field ${path}`);
    }
  }
}

/** Applies a prepared update to `doc` (a private copy) and returns the changed paths. */
function applyModifier(doc: Doc, prepared: PreparedUpdate, condition: Filter | undefined): string[] {
  const modifier = prepared.modifier;
  if (modifier === undefined) return [];
  checkArithmetic(doc, modifier);
  const appliers = prepared.appliers === undefined ? (prepared.appliers = compileAppliers(modifier)) : prepared.appliers;
  try {
    if (appliers !== null) {
      const changed: string[] = [];
      for (const apply of appliers) for (const path of apply(doc)) changed.push(path);
      return changed;
    }
    return mingoUpdate(doc, modifier as Parameters<typeof mingoUpdate>[1], undefined, condition, { cloneMode: 'deep' });
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new InvalidOperationError(`invalid update: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const ownedAsIs = (doc: Doc): Doc => doc;

function rootsOf(paths: readonly string[]): Set<string> {
  const roots = new Set<string>();
  for (const p of paths) {
    const dot = p.indexOf('.');
    roots.add(dot < 0 ? p : p.slice(0, dot));
  }
  return roots;
}

/** One collection of the embedded store: documents per tenant, and the indexes over them. */
export class EmbeddedCollection implements CollectionBackend {
  /** tenantId -> _id -> stored document. Stored documents are never mutated: a write swaps in a new object. */
  private readonly tenants = new Map<string, Map<string, Stored>>();
  readonly indexes: EmbeddedIndex[] = [];
  /** Documents are kept encoded (see `CollectionOptions.compact`): about half the memory, decoded when examined. */
  private compact = false;

  constructor(
    readonly name: string,
    private readonly store: EmbeddedDocumentStore,
  ) {}

  // ---- index declaration -------------------------------------------------------------------

  addIndex(spec: IndexSpec): void {
    const r = resolveIndex(this.name, spec);
    const same = (i: EmbeddedIndex) =>
      i.fields.length === r.fields.length && i.fields.every((f, n) => f === r.fields[n] && i.directions[n] === r.directions[n]) && i.unique === r.unique && i.sparse === r.sparse;
    const byName = this.indexes.find((i) => i.name === r.name);
    if (byName !== undefined) {
      if (same(byName)) return;
      throw new InvalidOperationError(`index ${r.name} of ${this.name} exists with other keys or options`);
    }
    if (this.indexes.some((i) => i.fields.length === r.fields.length && i.fields.every((f, n) => f === r.fields[n] && i.directions[n] === r.directions[n]))) {
      throw new InvalidOperationError(`an index with the keys of ${r.name} exists on ${this.name} under another name`);
    }
    const index = new EmbeddedIndex(this.name, r.name, r.fields, r.directions, r.unique, r.sparse);
    for (const [tenantId, docs] of this.tenants) {
      for (const [id, stored] of docs) {
        const keys = index.keysOf(view(stored));
        index.check(tenantId, keys, id);
        index.add(tenantId, keys, id);
      }
    }
    this.indexes.push(index);
  }

  /** Switches the storage form, converting the documents already stored. */
  setCompact(compact: boolean): void {
    if (compact === this.compact) return;
    for (const docs of this.tenants.values()) {
      for (const [id, stored] of docs) docs.set(id, compact ? encodeDocument(view(stored)) : view(stored));
    }
    this.compact = compact;
  }

  // ---- low-level state ---------------------------------------------------------------------

  private ownerOf(id: string): string | undefined {
    for (const [tenantId, docs] of this.tenants) if (docs.has(id)) return tenantId;
    return undefined;
  }

  /** Swaps the stored version of a document (undefined: deleted), keeping every index in step. Checks unique indexes before changing anything. */
  private put(tenantId: string, id: string, next: Doc | undefined, prev: Doc | undefined, changedRoots: ReadonlySet<string> | null, log: Change[]): void {
    // Everything that can fail (encoding, unique keys) happens before anything changes.
    const nextStored: Stored | undefined = next === undefined ? undefined : this.compact ? encodeDocument(next) : next;
    const n = this.indexes.length;
    const oldKeys: Array<Key[][] | null> = new Array<Key[][] | null>(n);
    const newKeys: Array<Key[][] | null> = new Array<Key[][] | null>(n);
    const affected: boolean[] = new Array<boolean>(n);
    for (let i = 0; i < n; i++) {
      const index = this.indexes[i] as EmbeddedIndex;
      if (prev !== undefined && next !== undefined && changedRoots !== null && !index.touches(changedRoots)) {
        affected[i] = false;
        continue;
      }
      affected[i] = true;
      oldKeys[i] = prev === undefined ? null : index.keysOf(prev);
      const keys = next === undefined ? null : index.keysOf(next);
      newKeys[i] = keys;
      if (keys !== null) index.check(tenantId, keys, id);
    }
    for (let i = 0; i < n; i++) {
      if (!affected[i]) continue;
      const index = this.indexes[i] as EmbeddedIndex;
      index.remove(tenantId, oldKeys[i] ?? null, id);
      index.add(tenantId, newKeys[i] ?? null, id);
    }
    let docs = this.tenants.get(tenantId);
    const prevStored = docs?.get(id);
    if (next !== undefined) {
      if (docs === undefined) {
        docs = new Map();
        this.tenants.set(tenantId, docs);
      }
      docs.set(id, nextStored as Stored);
    } else docs?.delete(id);
    log.push({ coll: this, tenantId, id, prev: prevStored });
  }

  /** Puts back an earlier version without checks (the earlier state was consistent). */
  restore(tenantId: string, id: string, prev: Stored | undefined): void {
    let docs = this.tenants.get(tenantId);
    const currentStored = docs?.get(id);
    const current = currentStored === undefined ? undefined : view(currentStored);
    const previous = prev === undefined ? undefined : view(prev);
    for (const index of this.indexes) {
      if (current !== undefined) index.remove(tenantId, index.keysOf(current), id);
      if (previous !== undefined) index.add(tenantId, index.keysOf(previous), id);
    }
    if (prev !== undefined) {
      if (docs === undefined) {
        docs = new Map();
        this.tenants.set(tenantId, docs);
      }
      docs.set(id, prev);
    } else docs?.delete(id);
  }

  private insertChecked(doc: Doc, log: Change[]): void {
    const id = doc._id;
    if (typeof id !== 'string' || id.length === 0) throw new InvalidOperationError('_id must be a non-empty string');
    const tenantId = validateTenantId(doc.tenantId);
    if (this.ownerOf(id) !== undefined) throw new DuplicateKeyError(this.name, '_id_', ['_id']);
    this.put(tenantId, id, doc, undefined, null, log);
  }

  // ---- selection ---------------------------------------------------------------------------

  /**
   * The stored documents matching `filter`, in order, after skip and limit. `reader` is the
   * transaction reading (null: none): a reader outside the running transaction sees the committed
   * version of the documents that transaction changed (read committed, no dirty reads).
   */
  select(filter: Filter, reader: EmbeddedSession | null, options: { sort?: Sort | undefined; skip?: number | undefined; limit?: number | undefined }): Doc[] {
    const stats = this.store.statsData;
    stats.queries++;
    const eq = new Map<string, Key[]>();
    collectEqualities(filter, eq);
    const active = this.store.activeTransaction;
    const hidden = active !== null && active !== reader ? (active.undo.get(this) ?? noHidden) : noHidden;
    const sort = options.sort === undefined ? [] : (Object.entries(options.sort) as Array<[string, 1 | -1]>);
    const skip = options.skip !== undefined && options.skip > 0 ? Math.floor(options.skip) : 0;
    const limit = options.limit !== undefined && options.limit > 0 ? Math.floor(options.limit) : Number.POSITIVE_INFINITY;
    const tenantKeys = eq.get('tenantId');
    const tenantIds: string[] | null = tenantKeys === undefined ? null : (tenantKeys.filter((k) => typeof k === 'string') as string[]);
    const idKeys = eq.get('_id');

    // Plan: _id, else the index with the longest prefix of equalities, else a scan.
    let best: EmbeddedIndex | undefined;
    let bestPrefix = 0;
    if (idKeys === undefined) {
      for (const index of this.indexes) {
        let p = 0;
        while (p < index.fields.length && eq.has(index.fields[p] as string)) p++;
        // A sparse index leaves out documents missing any of its fields: only an equality on all
        // of them guarantees that every match is in it.
        if (index.sparse && p < index.fields.length) continue;
        const better = p > bestPrefix || (p === bestPrefix && p > 0 && best !== undefined && index.unique && p === index.fields.length && !best.unique);
        if (better) {
          best = index;
          bestPrefix = p;
        }
      }
    }
    // No equality to serve, but a sort: an index whose leading fields are the sort's walks in order.
    if (idKeys === undefined && best === undefined && sort.length > 0 && hidden.size === 0 && Number.isFinite(limit)) {
      best = this.indexes.find((i) => !i.sparse && !i.multikey && i.fields[0] === (sort[0] as [string, 1 | -1])[0]);
    }
    const answered = idKeys !== undefined ? ['_id'] : best !== undefined ? best.fields.slice(0, bestPrefix) : [];
    // When the lookup itself guarantees every condition, testing the filter again is skipped.
    const matches = hidden.size === 0 && answeredByLookup(filter, answered) ? null : compileFilter(filter);
    const run = new Selection(this.tenants, hidden, matches, stats, sort.length === 0 ? skip + limit : Number.POSITIVE_INFINITY);

    if (idKeys !== undefined) {
      stats.idLookups++;
      stats.lastPlan = { kind: 'id' };
      const ids = idKeys.length === 1 ? idKeys : [...new Set(idKeys)];
      for (const id of ids) {
        if (typeof id !== 'string') continue;
        const entry = hidden.get(id);
        let stop = false;
        if (entry !== undefined) {
          if (tenantIds === null || tenantIds.includes(entry.tenantId)) stop = run.visit(entry.tenantId, id);
        } else if (tenantIds !== null) {
          for (const t of tenantIds) {
            const doc = this.tenants.get(t)?.get(id);
            if (doc !== undefined) {
              stop = run.consider(view(doc));
              break;
            }
          }
        } else {
          const t = this.ownerOf(id);
          if (t !== undefined) stop = run.visit(t, id);
        }
        if (stop) break;
      }
    } else {
      let stopped = false;
      const walked = best !== undefined && sort.length > 0 && Number.isFinite(limit) ? this.walkInOrder(best, bestPrefix, eq, tenantIds, hidden, sort, skip + limit, run) : false;
      if (walked) {
        stats.indexLookups++;
        stats.lastPlan = { kind: 'index', index: (best as EmbeddedIndex).name, prefix: bestPrefix, ordered: true };
        const out = run.out;
        return skip === 0 && out.length <= limit ? out : out.slice(skip, skip + limit);
      }
      if (best !== undefined && bestPrefix === 0) {
        best = undefined;
      }
      if (best !== undefined) {
        stats.indexLookups++;
        stats.lastPlan = { kind: 'index', index: best.name, prefix: bestPrefix };
        const prefix = best.fields.slice(0, bestPrefix).map((f) => eq.get(f) as Key[]);
        // One key per field over all the fields reaches one leaf, whose ids are distinct; any
        // other lookup may meet a document twice (multikey, $in).
        if (!(bestPrefix === best.fields.length && prefix.every((k) => k.length === 1) && (tenantIds === null || tenantIds.length <= 1))) run.dedupe();
        stopped = best.lookup(tenantIds, prefix, run);
      } else {
        stats.collectionScans++;
        stats.lastPlan = { kind: 'scan' };
        for (const t of tenantIds ?? [...this.tenants.keys()]) {
          const docs = this.tenants.get(t);
          if (docs === undefined) continue;
          for (const [id, doc] of docs) {
            if (hidden.size > 0 ? run.visit(t, id) : run.consider(view(doc))) {
              stopped = true;
              break;
            }
          }
          if (stopped) break;
        }
      }
      // Documents the running transaction changed so that they left these candidates: their
      // committed versions may still match.
      if (!stopped && hidden.size > 0) {
        for (const [id, entry] of hidden) {
          if (entry.prev === undefined || (tenantIds !== null && !tenantIds.includes(entry.tenantId))) continue;
          if (run.visit(entry.tenantId, id)) break;
        }
      }
    }
    const out = run.out;
    const ordered = sort.length > 0 ? sortDocs(out, sort) : out;
    if (skip === 0 && ordered.length <= limit) return ordered;
    return ordered.slice(skip, skip + limit);
  }

  /**
   * Selects through an index walked in the order of the sort: when the sort's leading fields are
   * the index fields after the equality prefix, documents come in order and the walk stops once
   * `wanted` have matched (GetContext's "latest 20 of 1,000 touchpoints" examines about 20).
   * While another transaction runs, the documents it changed are left out of the walk (the index
   * holds their new keys) and their committed versions are added and sorted in afterwards: the
   * `wanted` first of the rest plus those are enough. Returns false (and leaves `run` empty) when
   * the index cannot serve the order.
   */
  private walkInOrder(
    index: EmbeddedIndex,
    prefixLength: number,
    eq: ReadonlyMap<string, Key[]>,
    tenantIds: readonly string[] | null,
    hidden: ReadonlyMap<string, UndoEntry>,
    sort: Array<[string, 1 | -1]>,
    wanted: number,
    run: Selection,
  ): boolean {
    // One tenant, one key per equality, a single-valued index.
    if (tenantIds === null || tenantIds.length !== 1 || index.multikey) return false;
    const prefix: Key[] = [];
    for (const field of index.fields.slice(0, prefixLength)) {
      const keys = eq.get(field);
      if (keys === undefined || keys.length !== 1) return false;
      prefix.push(keys[0] as Key);
    }
    const dirs: Array<1 | -1> = [];
    while (dirs.length < sort.length && prefixLength + dirs.length < index.fields.length && (sort[dirs.length] as [string, 1 | -1])[0] === index.fields[prefixLength + dirs.length]) {
      dirs.push((sort[dirs.length] as [string, 1 | -1])[1]);
    }
    if (dirs.length === 0) return false;
    const tenantId = tenantIds[0] as string;
    const rest = sort.length > dirs.length;
    const changed = hidden.size > 0;
    const result = index.walkOrdered(tenantId, prefix, dirs, (ids) => {
      const start = run.out.length;
      for (const id of ids) if (!changed || !hidden.has(id)) run.visit(tenantId, id);
      // Ties on the walked fields are ordered by the rest of the sort.
      if (rest && run.out.length - start > 1) {
        const group = sortDocs(run.out.slice(start), sort);
        for (let i = 0; i < group.length; i++) run.out[start + i] = group[i] as Doc;
      }
      return run.out.length >= wanted;
    });
    if (result === null) {
      // The ids visited before the index gave up must be visited again by the plan that follows.
      run.reset();
      return false;
    }
    if (changed) {
      const walked = run.out.length;
      for (const [id, entry] of hidden) if (entry.prev !== undefined && entry.tenantId === tenantId) run.visit(tenantId, id);
      if (run.out.length > walked) {
        const all = sortDocs(run.out, sort);
        for (let i = 0; i < all.length; i++) run.out[i] = all[i] as Doc;
      }
    }
    return true;
  }

  // ---- CollectionBackend -------------------------------------------------------------------

  insertMany(docs: Doc[], session?: StoreSession): Promise<void> {
    return this.store.write(session, (log) => {
      // Compact: encoding is the copy. Objects: a private deep copy is stored.
      for (const doc of docs) this.insertChecked(this.compact ? doc : cloneValue(doc), log);
    });
  }

  find(filter: Filter, options: RawFindOptions): Promise<Doc[]> {
    try {
      const reader = this.store.resolveSession(options.session);
      // Compact documents are decoded into fresh objects: without a projection they are returned as they are.
      const project = this.compact && (options.projection === undefined || Object.keys(options.projection).length === 0) ? ownedAsIs : compileProjection(options.projection);
      const docs = this.select(filter, reader, options);
      const out = new Array<Doc>(docs.length);
      for (let i = 0; i < docs.length; i++) out[i] = project(docs[i] as Doc);
      return Promise.resolve(out);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  countDocuments(filter: Filter, session?: StoreSession): Promise<number> {
    try {
      const reader = this.store.resolveSession(session);
      const keys = Object.keys(filter);
      const active = this.store.activeTransaction;
      if (keys.length === 1 && keys[0] === 'tenantId' && typeof filter.tenantId === 'string' && (active === null || active === reader || !active.undo.has(this))) {
        return Promise.resolve(this.tenants.get(filter.tenantId)?.size ?? 0);
      }
      return Promise.resolve(this.select(filter, reader, {}).length);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private upsertInsert(filter: Filter, prepared: PreparedUpdate, log: Change[]): Doc {
    const doc: Doc = {};
    upsertBase(filter, doc, new Set());
    if (prepared.onInsert !== undefined) for (const path of Object.keys(prepared.onInsert)) setPath(doc, path, cloneValue(prepared.onInsert[path]));
    applyModifier(doc, prepared, undefined);
    // _id first, as MongoDB stores it.
    const ordered: Doc = { _id: doc._id, ...doc };
    this.insertChecked(ordered, log);
    return ordered;
  }

  /** Applies the update to a copy of `prev`; returns the new version, or null when nothing changed. */
  private updateDoc(prev: Doc, prepared: PreparedUpdate, filter: Filter, log: Change[]): Doc | null {
    if (prepared.modifier === undefined) return null;
    if (prepared.plain !== null) {
      checkArithmetic(prev, prepared.modifier);
      const applied = applyPlainUpdate(prev, prepared.plain);
      if (applied !== null) {
        if (applied.changed.length === 0) return null;
        const { next: shared } = applied;
        if (shared._id !== prev._id) throw new ImmutableFieldError('_id');
        if (shared.tenantId !== prev.tenantId) throw new ImmutableFieldError('tenantId');
        this.put(prev.tenantId as string, prev._id as string, shared, prev, rootsOf(applied.changed), log);
        return shared;
      }
    }
    const next = cloneValue(prev);
    const changed = applyModifier(next, prepared, filter);
    if (changed.length === 0) return null;
    if (next._id !== prev._id) throw new ImmutableFieldError('_id');
    if (next.tenantId !== prev.tenantId) throw new ImmutableFieldError('tenantId');
    this.put(prev.tenantId as string, prev._id as string, next, prev, rootsOf(changed), log);
    return next;
  }

  update(filter: Filter, update: Update, options: { multi: boolean; upsert: boolean; session?: StoreSession }): Promise<UpdateResult> {
    return this.store.write(options.session, (log, txn) => {
      const prepared = prepareUpdate(update);
      const matched = this.select(filter, txn, { limit: options.multi ? undefined : 1 });
      if (matched.length === 0) {
        if (!options.upsert) return { matchedCount: 0, modifiedCount: 0, upsertedId: null };
        const doc = this.upsertInsert(filter, prepared, log);
        return { matchedCount: 0, modifiedCount: 0, upsertedId: doc._id as string };
      }
      let modified = 0;
      for (const prev of matched) if (this.updateDoc(prev, prepared, filter, log) !== null) modified++;
      return { matchedCount: matched.length, modifiedCount: modified, upsertedId: null };
    });
  }

  replaceOne(filter: Filter, doc: Doc, options: { upsert: boolean; session?: StoreSession }): Promise<UpdateResult> {
    return this.store.write(options.session, (log, txn) => {
      const [prev] = this.select(filter, txn, { limit: 1 });
      if (prev === undefined) {
        if (!options.upsert) return { matchedCount: 0, modifiedCount: 0, upsertedId: null };
        const inserted = cloneValue(doc);
        this.insertChecked({ _id: inserted._id, ...inserted }, log);
        return { matchedCount: 0, modifiedCount: 0, upsertedId: inserted._id as string };
      }
      const body = cloneValue(doc);
      if (body._id !== undefined && body._id !== prev._id) throw new ImmutableFieldError('_id');
      if (body.tenantId !== prev.tenantId) throw new ImmutableFieldError('tenantId');
      const next: Doc = { ...body, _id: prev._id };
      const ordered: Doc = { _id: prev._id, ...next };
      if (canonical(prev, false) === canonical(ordered, false)) return { matchedCount: 1, modifiedCount: 0, upsertedId: null };
      this.put(prev.tenantId as string, prev._id as string, ordered, prev, null, log);
      return { matchedCount: 1, modifiedCount: 1, upsertedId: null };
    });
  }

  findOneAndUpdate(filter: Filter, update: Update, options: FindOneAndUpdateOptions): Promise<Doc | null> {
    return this.store.write(options.session, (log, txn) => {
      const project = compileProjection(options.projection);
      const prepared = prepareUpdate(update);
      const [prev] = this.select(filter, txn, { sort: options.sort, limit: 1 });
      const after = options.returnDocument !== 'before';
      if (prev === undefined) {
        if (options.upsert !== true) return null;
        const inserted = this.upsertInsert(filter, prepared, log);
        return after ? project(inserted) : null;
      }
      const next = this.updateDoc(prev, prepared, filter, log);
      return project(after && next !== null ? next : prev);
    });
  }

  findOneAndDelete(filter: Filter, options: { sort?: Sort; session?: StoreSession }): Promise<Doc | null> {
    return this.store.write(options.session, (log, txn) => {
      const [prev] = this.select(filter, txn, { sort: options.sort, limit: 1 });
      if (prev === undefined) return null;
      this.put(prev.tenantId as string, prev._id as string, undefined, prev, null, log);
      return cloneValue(prev);
    });
  }

  delete(filter: Filter, options: { multi: boolean; session?: StoreSession }): Promise<DeleteResult> {
    return this.store.write(options.session, (log, txn) => {
      const matched = this.select(filter, txn, { limit: options.multi ? undefined : 1 });
      for (const prev of matched) this.put(prev.tenantId as string, prev._id as string, undefined, prev, null, log);
      return { deletedCount: matched.length };
    });
  }
}

/**
 * The embedded document store: in process, MongoDB query and update semantics (mingo), real
 * unique and compound indexes (tenant first) answering equality and `$in` lookups without a scan,
 * and transactions that are atomic (an undo log of the versions they replaced), roll back on
 * error, and are isolated: writers are serialized by one lock (a write outside a transaction waits
 * for the running one), and readers outside a transaction see only committed versions.
 *
 * Stored documents are never handed out or mutated in place: every read returns a copy and every
 * write stores a new object, which is also what makes the undo log cheap (it keeps references).
 */
export class EmbeddedDocumentStore implements DocumentStore {
  readonly backend = 'embedded' as const;
  /** How long a writer waits for the running transaction before giving up (TransactionConflictError). */
  readonly lockTimeoutMs: number;

  constructor(options: EmbeddedStoreOptions = {}) {
    this.lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  }

  private lockTimeout(): TransactionConflictError {
    return new TransactionConflictError(
      `waited ${this.lockTimeoutMs} ms for the running transaction of the embedded store (a transaction body waiting for work that writes to the same store?)`,
    );
  }

  private readonly collections = new Map<string, EmbeddedCollection>();
  private readonly lock = new AsyncLock();
  private readonly current = new AsyncLocalStorage<EmbeddedSession>();
  /** The transaction holding the write lock, if any. */
  activeTransaction: EmbeddedSession | null = null;
  /** Live counters; read them through `stats()`. */
  readonly statsData: EmbeddedStoreStats = { queries: 0, idLookups: 0, indexLookups: 0, collectionScans: 0, docsExamined: 0, lastPlan: null };

  /** A copy of the query counters. */
  stats(): EmbeddedStoreStats {
    return { ...this.statsData };
  }

  resetStats(): void {
    Object.assign(this.statsData, { queries: 0, idLookups: 0, indexLookups: 0, collectionScans: 0, docsExamined: 0, lastPlan: null });
  }

  /** The collection backend (created on first use, like MongoDB). */
  backendCollection(name: string): EmbeddedCollection {
    let coll = this.collections.get(name);
    if (coll === undefined) {
      if (name.length === 0 || name.includes('$') || name.includes('\u0000')) throw new InvalidOperationError('invalid collection name');
      coll = new EmbeddedCollection(name, this);
      this.collections.set(name, coll);
    }
    return coll;
  }

  defineCollection(name: string, indexes: readonly IndexSpec[], options?: CollectionOptions): Promise<void> {
    try {
      if (options?.expireAfter !== undefined) checkExpiry(name, options.expireAfter);
      const coll = this.backendCollection(name);
      for (const spec of indexes) coll.addIndex(spec);
      if (options?.compact !== undefined) coll.setCompact(options.compact);
      if (options?.expireAfter !== undefined) this.expireIn(name, options.expireAfter);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private readonly sweepers = new Map<string, NodeJS.Timeout>();

  /** Deletes the documents of `name` older than the expiry, now and then (see CollectionOptions.expireAfter). */
  private expireIn(name: string, expiry: { field: string; seconds: number }): void {
    const previous = this.sweepers.get(name);
    if (previous) clearInterval(previous);
    // A sweep that fails (the write lock held past lockTimeoutMs) is simply made again by the next
    // one: expiry is eventual, and a rejection left unhandled would stop the process.
    const sweep = (): void => void this.sweepExpired(name, expiry).catch(() => undefined);
    const timer = setInterval(sweep, Math.min(60, expiry.seconds / 2) * 1000);
    timer.unref();
    this.sweepers.set(name, timer);
  }

  /** One sweep of an expiring collection; returns how many documents it deleted. */
  async sweepExpired(name: string, expiry: { field: string; seconds: number }, now = Date.now()): Promise<number> {
    const { deletedCount } = await this.unscoped(name).deleteMany({ [expiry.field]: { $lt: new Date(now - expiry.seconds * 1000) } });
    return deletedCount;
  }

  forTenant(tenantId: string): TenantScope {
    return tenantScope(tenantId, (name) => this.backendCollection(name));
  }

  unscoped<T extends BaseDocument>(name: string): TenantCollection<T> {
    return new ScopedCollection<T>(this.backendCollection(name), null);
  }

  /** The transaction a session stands for, checking it belongs to this store and is still running. */
  resolveSession(session: StoreSession | undefined): EmbeddedSession | null {
    if (session === undefined) return null;
    if (!(session instanceof EmbeddedSession) || session.store !== this) throw new SessionMisuseError('the session belongs to another store');
    if (!session.active) throw new SessionMisuseError('the session is used after its transaction ended');
    return session;
  }

  /**
   * Runs one write: inside the given transaction, or alone (waiting for a running transaction
   * to finish). The write itself is synchronous, so it is atomic: on error its own changes are
   * undone before the error propagates.
   */
  write<R>(session: StoreSession | undefined, fn: (log: Change[], txn: EmbeddedSession | null) => R): Promise<R> {
    let txn: EmbeddedSession | null;
    try {
      txn = this.resolveSession(session);
      if (txn !== null || !this.lock.locked) return Promise.resolve(this.runWrite(txn, fn));
      const running = this.current.getStore();
      if (running !== undefined && running.store === this && running.active) {
        throw new SessionMisuseError('a write inside a transaction must pass { session }: without it, it would wait for its own transaction');
      }
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.lock.acquire(this.lockTimeoutMs).then((granted) => {
      if (!granted) throw this.lockTimeout();
      try {
        return this.runWrite(null, fn);
      } finally {
        this.lock.release();
      }
    });
  }

  private runWrite<R>(txn: EmbeddedSession | null, fn: (log: Change[], txn: EmbeddedSession | null) => R): R {
    const log: Change[] = [];
    let result: R;
    try {
      result = fn(log, txn);
    } catch (err) {
      for (let i = log.length - 1; i >= 0; i--) {
        const c = log[i] as Change;
        c.coll.restore(c.tenantId, c.id, c.prev);
      }
      throw err;
    }
    if (txn !== null) {
      for (const c of log) {
        let entries = txn.undo.get(c.coll);
        if (entries === undefined) {
          entries = new Map();
          txn.undo.set(c.coll, entries);
        }
        if (!entries.has(c.id)) entries.set(c.id, { tenantId: c.tenantId, prev: c.prev });
      }
    }
    return result;
  }

  async withTransaction<R>(body: TransactionBody<R>): Promise<R> {
    const running = this.current.getStore();
    // Nested use joins the running transaction (one commit, one rollback).
    if (running !== undefined && running.store === this && running.active) return body(running);
    if (!(await this.lock.acquire(this.lockTimeoutMs))) throw this.lockTimeout();
    const txn = new EmbeddedSession(this);
    this.activeTransaction = txn;
    try {
      return await this.current.run(txn, body, txn);
    } catch (err) {
      for (const [coll, entries] of txn.undo) for (const [id, entry] of entries) coll.restore(entry.tenantId, id, entry.prev);
      throw err;
    } finally {
      txn.active = false;
      this.activeTransaction = null;
      this.lock.release();
    }
  }

  close(): Promise<void> {
    for (const timer of this.sweepers.values()) clearInterval(timer);
    this.sweepers.clear();
    return Promise.resolve();
  }
}

/** Options of the embedded store. */
export interface EmbeddedStoreOptions {
  /**
   * How long a write (or a transaction) waits for the running transaction before it fails with
   * TransactionConflictError instead of hanging (default 30,000 ms). A transaction body that
   * waits for a write to the same store outside its session would otherwise wait forever.
   */
  lockTimeoutMs?: number;
}

/** Creates an embedded (in-process, in-memory) document store. */
export function createEmbeddedStore(options: EmbeddedStoreOptions = {}): EmbeddedDocumentStore {
  return new EmbeddedDocumentStore(options);
}
