import { isPlainObject, type Doc } from '../internal/values';

/**
 * The common updates — `$set`, `$unset` and `$inc` on plain dotted paths — applied copy-on-write:
 * only the objects along each written path are copied, everything else is shared with the stored
 * version (stored documents are never mutated in place, so sharing is safe). The general path
 * (mingo on a deep copy of the whole document) costs a full clone and an expression walk per
 * write; this one costs a few shallow copies. Anything it does not handle exactly like the general
 * path — array elements, positional operators, other operators, a path through a non-object —
 * makes `preparePlainUpdate` or `applyPlainUpdate` answer `null`, and the caller takes the general
 * path. Same results, same "changed" rule (a `$set` of an equal value changes nothing).
 */
export interface PlainOp {
  readonly kind: '$set' | '$unset' | '$inc';
  readonly path: string;
  readonly parts: readonly string[];
  /** The value (`$set`, already a private copy) or the amount (`$inc`). */
  readonly value: unknown;
}

const PLAIN_OPERATORS = new Set(['$set', '$unset', '$inc']);

/** The segments of a plain path, or null for '' segments, `$` anywhere, or an all-digit segment (an array element). */
function plainParts(path: string): string[] | null {
  const parts: string[] = [];
  let start = 0;
  let digitsOnly = true;
  for (let i = 0; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : 46; // end of path ends the last segment like a '.'
    if (c === 46) {
      if (i === start || digitsOnly) return null;
      parts.push(path.slice(start, i));
      start = i + 1;
      digitsOnly = true;
    } else if (c === 36) return null; // '$'
    else if (c < 48 || c > 57) digitsOnly = false;
  }
  return parts;
}

/** The update as plain ops, or null when it needs the general path. */
export function preparePlainUpdate(modifier: Readonly<Record<string, unknown>>): PlainOp[] | null {
  const ops: PlainOp[] = [];
  for (const op in modifier) {
    if (!PLAIN_OPERATORS.has(op)) return null;
    const fields = modifier[op];
    if (!isPlainObject(fields)) return null;
    for (const path in fields) {
      const value = fields[path];
      if (op === '$inc' && typeof value !== 'number') return null;
      const parts = plainParts(path);
      if (parts === null) return null;
      ops.push({ kind: op as PlainOp['kind'], path, parts, value });
    }
  }
  if (ops.length > 1 && hasConflict(ops)) return null;
  return ops;
}

/** Two paths where one contains the other (or equal ones) conflict: MongoDB refuses them, the general path decides. */
function hasConflict(ops: readonly PlainOp[]): boolean {
  const paths = new Set<string>();
  for (const op of ops) {
    if (paths.has(op.path)) return true;
    paths.add(op.path);
  }
  for (const op of ops) {
    let prefix = '';
    for (let i = 0; i < op.parts.length - 1; i++) {
      prefix = i === 0 ? (op.parts[0] as string) : `${prefix}.${op.parts[i] as string}`;
      if (paths.has(prefix)) return true;
    }
  }
  return false;
}

/** Deep equality as the general path's `$set` decides "unchanged" (object key order ignored). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b || Object.is(a, b)) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (b instanceof Date) return false;
  if (a instanceof RegExp) return b instanceof RegExp && a.source === b.source && a.flags === b.flags;
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (!Object.hasOwn(b, k) || !sameValue(a[k], b[k])) return false;
  return true;
}

/**
 * Applies plain ops to `prev` without touching it. Returns the new version (sharing unchanged
 * parts with `prev`) and the changed paths — `prev` itself and no paths when nothing changed — or
 * null when a path runs through something other than a plain object (the general path decides).
 * `$inc` assumes its target was checked to be a number or missing.
 */
export function applyPlainUpdate(prev: Doc, ops: readonly PlainOp[]): { next: Doc; changed: string[] } | null {
  // First decide every op on `prev` (read only), so a null answer leaves nothing half done.
  const effective: Array<{ op: PlainOp; value: unknown }> = [];
  for (const op of ops) {
    let node: Record<string, unknown> | undefined = prev;
    const last = op.parts.length - 1;
    for (let i = 0; i < last && node !== undefined; i++) {
      const child: unknown = node[op.parts[i] as string];
      if (child === undefined) node = undefined;
      else if (isPlainObject(child)) node = child;
      else return null;
    }
    const leaf = op.parts[last] as string;
    const present = node !== undefined && Object.hasOwn(node, leaf);
    const current = present ? (node as Record<string, unknown>)[leaf] : undefined;
    if (op.kind === '$unset') {
      if (present) effective.push({ op, value: undefined });
    } else if (op.kind === '$inc') {
      if (current !== undefined && typeof current !== 'number') return null;
      const next = ((current as number | undefined) ?? 0) + (op.value as number);
      if (next !== current) effective.push({ op, value: next });
    } else if (!present || !sameValue(current, op.value)) {
      effective.push({ op, value: op.value });
    }
  }
  if (effective.length === 0) return { next: prev, changed: [] };

  const root: Doc = { ...prev };
  const owned = new Set<object>([root]);
  const changed: string[] = [];
  for (const { op, value } of effective) {
    let node: Record<string, unknown> = root;
    const last = op.parts.length - 1;
    for (let i = 0; i < last; i++) {
      const key = op.parts[i] as string;
      const child = node[key] as Record<string, unknown> | undefined;
      let mine: Record<string, unknown>;
      if (child === undefined) mine = {};
      else if (owned.has(child)) mine = child;
      else mine = { ...child };
      if (mine !== child) {
        node[key] = mine;
        owned.add(mine);
      }
      node = mine;
    }
    const leaf = op.parts[last] as string;
    if (op.kind === '$unset') delete node[leaf];
    else node[leaf] = value;
    changed.push(op.path);
  }
  return { next: root, changed };
}
