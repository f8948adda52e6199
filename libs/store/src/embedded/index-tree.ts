import { DuplicateKeyError, InvalidOperationError } from '../errors';
import { canonical, pathValues, type Doc } from '../internal/values';

/** One component of an index key: primitives as they are, other values encoded to strings. */
export type Key = string | number | boolean | symbol;

/** The key of null and of a missing field (MongoDB indexes both as null). */
export const NULL_KEY: unique symbol = Symbol('null');

/** Prefix of encoded non-primitive keys; a stored string starting with it could only cause a false candidate, which the filter then drops. */
const TAG = '\u0000';

/** The index key of one value found in a document. */
function keyOf(v: unknown): Key {
  if (v === null || v === undefined) return NULL_KEY;
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return v;
    default:
      break;
  }
  if (v instanceof Date) return `${TAG}D${v.getTime()}`;
  return `${TAG}O${canonical(v, false) ?? String(v)}`;
}

/** The index key of a query value, or undefined when the value cannot be looked up by key (null, arrays, objects, regular expressions). */
export function queryKeyOf(v: unknown): Key | undefined {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return v;
    default:
      return v instanceof Date ? `${TAG}D${v.getTime()}` : undefined;
  }
}

const RANK_OBJECT = 4;

/** Levels with more keys than this are not walked in order (keeping them sorted would cost every insert too much). */
const MAX_SORTED_LEVEL = 50_000;

/** MongoDB's type order of an index key (null < numbers < strings < objects < booleans < dates). */
function keyRank(k: Key): number {
  switch (typeof k) {
    case 'symbol':
      return 1;
    case 'number':
      return 2;
    case 'boolean':
      return 8;
    default:
      if (k.charCodeAt(0) === 0) return k.charCodeAt(1) === 68 /* D */ ? 9 : RANK_OBJECT;
      return 3;
  }
}

/** Orders index keys as MongoDB orders the values they stand for. */
function compareKeys(a: Key, b: Key): number {
  const ra = keyRank(a);
  const rb = keyRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 1:
      return 0;
    case 2: {
      const x = a as number;
      const y = b as number;
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
      if (Number.isNaN(y)) return 1;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 8:
      return a === b ? 0 : a ? 1 : -1;
    case 9: {
      const x = Number((a as string).slice(2));
      const y = Number((b as string).slice(2));
      return x < y ? -1 : x > y ? 1 : 0;
    }
    default:
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  }
}

/** Where `k` is or would go in a sorted key array (binary search). */
function sortedPosition(sorted: readonly Key[], k: Key): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(sorted[mid] as Key, k) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** At most this many keys per document and index (the product of multikey fields). */
const MAX_KEYS_PER_DOCUMENT = 10_000;

/** Receives the (tenant, id) pairs an index lookup finds; returns true to stop. */
export interface IndexVisitor {
  visit(tenantId: string, id: string): boolean;
}

/** Leaf of the tree: one id (the common case, and always for unique indexes) or several. */
type Leaf = string | Set<string>;
// Inner levels are maps of maps; the last level maps a key to a leaf.
type Level = Map<Key, unknown>;

/**
 * An in-memory index over `tenantId` then the declared fields: a tree of maps, one level per
 * field, so that an equality on a prefix of the fields (the tenant first) is a few hash lookups,
 * and an equality on all of them reaches the ids directly. Array values make one key per element
 * (multikey), as in MongoDB.
 */
export class EmbeddedIndex {
  /** tenantId -> level of the first field -> ... -> leaf. */
  private readonly root = new Map<string, Level>();
  /** Keys of a level in sort order, kept up to date once a query walked the level in order. */
  private readonly sortedKeys = new WeakMap<Level, Key[]>();
  /** True once a document made more than one key (an array field): the index then cannot give a sort order. */
  multikey = false;
  /** No field is a dotted path: keys are read straight from the document. */
  private readonly topLevelFields: boolean;

  constructor(
    readonly collection: string,
    readonly name: string,
    /** Declared fields (without the leading tenantId). */
    readonly fields: readonly string[],
    readonly directions: readonly (1 | -1)[],
    readonly unique: boolean,
    readonly sparse: boolean,
  ) {
    this.topLevelFields = fields.every((f) => !f.includes('.'));
  }

  /** True when a change of these top-level fields may change this index's keys. */
  touches(changedRoots: ReadonlySet<string>): boolean {
    for (const f of this.fields) {
      const dot = f.indexOf('.');
      if (changedRoots.has(dot < 0 ? f : f.slice(0, dot))) return true;
    }
    return false;
  }

  /** The keys of a document (tuples of one key per field); null when the index leaves it out (sparse, a field missing). */
  keysOf(doc: Doc): Key[][] | null {
    if (this.topLevelFields) {
      // Top-level fields with single values (the common case): one tuple, read straight from the
      // document; an array value (multikey) takes the general path.
      const n = this.fields.length;
      const tuple = new Array<Key>(n);
      for (let i = 0; i < n; i++) {
        const value = (doc as Record<string, unknown>)[this.fields[i] as string];
        if (value === undefined) {
          if (this.sparse) return null;
          tuple[i] = NULL_KEY;
        } else if (Array.isArray(value)) {
          return this.keysOfPaths(doc);
        } else {
          tuple[i] = keyOf(value);
        }
      }
      return [tuple];
    }
    return this.keysOfPaths(doc);
  }

  private keysOfPaths(doc: Doc): Key[][] | null {
    const perField: Key[][] = [];
    let total = 1;
    for (const field of this.fields) {
      const values = pathValues(doc, field);
      if (values.length === 0) {
        if (this.sparse) return null;
        perField.push([NULL_KEY]);
        continue;
      }
      let keys: Key[];
      if (values.length === 1) {
        keys = [keyOf(values[0])];
      } else {
        keys = [...new Set(values.map(keyOf))];
      }
      total *= keys.length;
      if (total > MAX_KEYS_PER_DOCUMENT) throw new InvalidOperationError(`index ${this.name} of ${this.collection}: a document makes more than ${MAX_KEYS_PER_DOCUMENT} keys`);
      perField.push(keys);
    }
    if (total === 1) return [perField.map((k) => k[0] as Key)];
    this.multikey = true;
    let tuples: Key[][] = [[]];
    for (const keys of perField) {
      const next: Key[][] = [];
      for (const t of tuples) for (const k of keys) next.push([...t, k]);
      tuples = next;
    }
    return tuples;
  }

  /** Throws DuplicateKeyError if a unique key of `tuples` belongs to another document. */
  check(tenantId: string, tuples: Key[][] | null, id: string): void {
    if (!this.unique || tuples === null) return;
    const top = this.root.get(tenantId);
    if (top === undefined) return;
    for (const tuple of tuples) {
      const leaf = this.leaf(top, tuple);
      if (leaf === undefined) continue;
      if (typeof leaf === 'string' ? leaf !== id : leaf.size > 1 || !leaf.has(id)) {
        throw new DuplicateKeyError(this.collection, this.name, this.fields);
      }
    }
  }

  private leaf(top: Level, tuple: readonly Key[]): Leaf | undefined {
    let level: Level = top;
    const last = tuple.length - 1;
    for (let i = 0; i < last; i++) {
      const next = level.get(tuple[i] as Key) as Level | undefined;
      if (next === undefined) return undefined;
      level = next;
    }
    return level.get(tuple[last] as Key) as Leaf | undefined;
  }

  add(tenantId: string, tuples: Key[][] | null, id: string): void {
    if (tuples === null) return;
    let top = this.root.get(tenantId);
    if (top === undefined) {
      top = new Map();
      this.root.set(tenantId, top);
    }
    for (const tuple of tuples) {
      let level: Level = top;
      const last = tuple.length - 1;
      for (let i = 0; i < last; i++) {
        const k = tuple[i] as Key;
        let next = level.get(k) as Level | undefined;
        if (next === undefined) {
          next = new Map();
          this.setNew(level, k, next);
        }
        level = next;
      }
      const k = tuple[last] as Key;
      const existing = level.get(k) as Leaf | undefined;
      if (existing === undefined) this.setNew(level, k, id);
      else if (typeof existing === 'string') {
        if (existing !== id) level.set(k, new Set([existing, id]));
      } else existing.add(id);
    }
  }

  remove(tenantId: string, tuples: Key[][] | null, id: string): void {
    if (tuples === null) return;
    const top = this.root.get(tenantId);
    if (top === undefined) return;
    const path: Level[] = [];
    for (const tuple of tuples) {
      path.length = 0;
      let level: Level | undefined = top;
      const last = tuple.length - 1;
      for (let i = 0; i < last && level !== undefined; i++) {
        path.push(level);
        level = level.get(tuple[i] as Key) as Level | undefined;
      }
      if (level === undefined) continue;
      const k = tuple[last] as Key;
      const existing = level.get(k) as Leaf | undefined;
      if (existing === undefined) continue;
      if (typeof existing === 'string') {
        if (existing === id) this.deleteKey(level, k);
      } else {
        existing.delete(id);
        if (existing.size === 1) level.set(k, existing.values().next().value as string);
        else if (existing.size === 0) this.deleteKey(level, k);
      }
      // Prune emptied levels so that removed keys leave no memory behind.
      for (let i = path.length - 1; i >= 0 && level.size === 0; i--) {
        const parent = path[i] as Level;
        this.deleteKey(parent, tuple[i] as Key);
        level = parent;
      }
    }
    if (top.size === 0) this.root.delete(tenantId);
  }

  private setNew(level: Level, k: Key, value: unknown): void {
    level.set(k, value);
    const sorted = this.sortedKeys.get(level);
    if (sorted === undefined) return;
    // A level holding embedded documents as keys has no order to rely on, and a huge one would
    // make every insert move a large array: no cache for either.
    if (keyRank(k) === RANK_OBJECT || sorted.length >= MAX_SORTED_LEVEL) this.sortedKeys.delete(level);
    else sorted.splice(sortedPosition(sorted, k), 0, k);
  }

  private deleteKey(level: Level, k: Key): void {
    level.delete(k);
    const sorted = this.sortedKeys.get(level);
    if (sorted === undefined) return;
    const at = sortedPosition(sorted, k);
    if (at < sorted.length && compareKeys(sorted[at] as Key, k) === 0) sorted.splice(at, 1);
    else this.sortedKeys.delete(level);
  }

  /** The keys of a level in sort order, or null when they have no order to rely on (embedded documents as keys). */
  private ordered(level: Level): Key[] | null {
    let sorted = this.sortedKeys.get(level);
    if (sorted === undefined) {
      if (level.size > MAX_SORTED_LEVEL) return null;
      const keys = [...level.keys()];
      if (keys.some((k) => keyRank(k) === RANK_OBJECT)) return null;
      sorted = keys.sort(compareKeys);
      this.sortedKeys.set(level, sorted);
    }
    return sorted;
  }

  /**
   * Walks the ids under one exact `prefix` of one tenant in the order of the next fields
   * (`dirs[i]` for the field after the prefix at position i), handing over groups of ids that tie
   * on those fields. Returns true if `onGroup` asked to stop, false at the end, null when the
   * index cannot give that order (multikey, embedded documents as keys, a level of more than
   * 50,000 keys): the caller then selects without it.
   */
  walkOrdered(tenantId: string, prefix: readonly Key[], dirs: readonly (1 | -1)[], onGroup: (ids: string[]) => boolean): boolean | null {
    if (this.multikey || prefix.length + dirs.length > this.fields.length) return null;
    let node: unknown = this.root.get(tenantId);
    for (const k of prefix) {
      if (node === undefined) return false;
      node = (node as Level).get(k);
    }
    if (node === undefined) return false;
    return this.walk(node, prefix.length, dirs, 0, onGroup);
  }

  private walk(node: unknown, depth: number, dirs: readonly (1 | -1)[], i: number, onGroup: (ids: string[]) => boolean): boolean | null {
    if (i === dirs.length) {
      const ids: string[] = [];
      this.collectIds(node, depth, ids);
      return onGroup(ids);
    }
    const level = node as Level;
    const keys = this.ordered(level);
    if (keys === null) return null;
    const n = keys.length;
    const forward = dirs[i] === 1;
    for (let j = 0; j < n; j++) {
      const child = level.get(keys[forward ? j : n - 1 - j] as Key);
      if (child === undefined) continue;
      const r = this.walk(child, depth + 1, dirs, i + 1, onGroup);
      if (r !== false) return r;
    }
    return false;
  }

  private collectIds(node: unknown, depth: number, out: string[]): void {
    if (depth === this.fields.length) {
      const leaf = node as Leaf;
      if (typeof leaf === 'string') out.push(leaf);
      else for (const id of leaf) out.push(id);
      return;
    }
    for (const child of (node as Level).values()) this.collectIds(child, depth + 1, out);
  }

  /**
   * Visits the (tenant, id) pairs whose keys start with `prefix` (one list of alternative keys per
   * leading field; `$in` gives several). `tenants` null means every tenant (used by unscoped
   * infrastructure queries). Stops early, returning true, when `visit` returns true.
   */
  lookup(tenants: readonly string[] | null, prefix: readonly (readonly Key[])[], visitor: IndexVisitor): boolean {
    if (tenants !== null && tenants.length === 1 && prefix.length === this.fields.length && prefix.every((k) => k.length === 1)) {
      // The common case: one exact key. Straight down, no recursion.
      const tenantId = tenants[0] as string;
      const top = this.root.get(tenantId);
      if (top === undefined) return false;
      const leaf = this.leaf(
        top,
        prefix.map((k) => k[0] as Key),
      );
      if (leaf === undefined) return false;
      if (typeof leaf === 'string') return visitor.visit(tenantId, leaf);
      for (const id of leaf) if (visitor.visit(tenantId, id)) return true;
      return false;
    }
    const tenantIds = tenants ?? [...this.root.keys()];
    for (const tenantId of tenantIds) {
      const top = this.root.get(tenantId);
      if (top !== undefined && this.descend(tenantId, top, prefix, 0, visitor)) return true;
    }
    return false;
  }

  private descend(tenantId: string, node: unknown, prefix: readonly (readonly Key[])[], depth: number, visitor: IndexVisitor): boolean {
    if (depth === this.fields.length) {
      const leaf = node as Leaf;
      if (typeof leaf === 'string') return visitor.visit(tenantId, leaf);
      for (const id of leaf) if (visitor.visit(tenantId, id)) return true;
      return false;
    }
    const level = node as Level;
    if (depth < prefix.length) {
      for (const k of prefix[depth] as readonly Key[]) {
        const child = level.get(k);
        if (child !== undefined && this.descend(tenantId, child, prefix, depth + 1, visitor)) return true;
      }
      return false;
    }
    for (const child of level.values()) if (this.descend(tenantId, child, prefix, depth + 1, visitor)) return true;
    return false;
  }
}
