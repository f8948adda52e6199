/**
 * Value helpers shared by the backends: deep copies of documents, MongoDB's cross-type ordering,
 * path traversal with MongoDB's array semantics, and a canonical serialization for hashing.
 */

/** A stored document as the backends see it. */
export type Doc = Record<string, unknown>;

const OBJECT_PROTO = Object.prototype;

/**
 * Deep copy of a JSON/BSON-like value. Plain objects, arrays, Dates and byte arrays are copied;
 * `undefined` object properties are dropped (MongoDB with `ignoreUndefined` does the same), so a
 * stored document never shares a reference with its caller. Hand-written because it is on every
 * read and write: several times faster than `structuredClone` for small documents.
 */
export function cloneValue<V>(value: V): V {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const n = value.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const v: unknown = value[i];
      out[i] = v === undefined ? null : typeof v === 'object' && v !== null ? cloneValue(v) : v;
    }
    return out as V;
  }
  if (value instanceof Date) return new Date(value.getTime()) as V;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === OBJECT_PROTO || proto === null) {
    const out: Record<string, unknown> = {};
    const src = value as Record<string, unknown>;
    // for-in over a plain object walks its own keys in order without allocating a key array.
    for (const key in src) {
      const v = src[key];
      if (v === undefined) continue;
      out[key] = typeof v === 'object' && v !== null ? cloneValue(v) : v;
    }
    return out as V;
  }
  // Uint8Array's slice copies; a Buffer's own slice() would return a view sharing the bytes.
  if (value instanceof Uint8Array) return Uint8Array.prototype.slice.call(value) as V;
  if (value instanceof RegExp) return new RegExp(value.source, value.flags) as V;
  // Other class instances (driver BSON types): a structured copy keeps them independent.
  return structuredClone(value);
}

/** True for a plain object (not an array, Date, RegExp, bytes or class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === OBJECT_PROTO || proto === null;
}

/** MongoDB's BSON comparison order of types (MinKey < null < numbers < strings < objects < arrays < binary < booleans < dates < regular expressions). */
function typeRank(v: unknown): number {
  if (v === null || v === undefined) return 1;
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return 2;
    case 'string':
      return 3;
    case 'boolean':
      return 8;
    default:
      break;
  }
  if (Array.isArray(v)) return 5;
  if (v instanceof Date) return 9;
  if (v instanceof Uint8Array) return 6;
  if (v instanceof RegExp) return 11;
  return 4;
}

/** Compares two values in MongoDB's sort order (arrays compare element by element here; see `sortKey`). */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 1:
      return 0;
    case 2:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 3:
      // Binary comparison of UTF-8 is what MongoDB does without a collation; for strings in the
      // BMP, comparing UTF-16 code units gives the same order except around surrogates.
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    case 8:
      return a === b ? 0 : a ? 1 : -1;
    case 9: {
      const ta = (a as Date).getTime();
      const tb = (b as Date).getTime();
      return ta < tb ? -1 : ta > tb ? 1 : 0;
    }
    case 5: {
      const xa = a as unknown[];
      const xb = b as unknown[];
      const n = Math.min(xa.length, xb.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(xa[i], xb[i]);
        if (c !== 0) return c;
      }
      return xa.length - xb.length < 0 ? -1 : xa.length > xb.length ? 1 : 0;
    }
    case 4: {
      const oa = a as Record<string, unknown>;
      const ob = b as Record<string, unknown>;
      const ka = Object.keys(oa);
      const kb = Object.keys(ob);
      const n = Math.min(ka.length, kb.length);
      for (let i = 0; i < n; i++) {
        const fa = ka[i] as string;
        const fb = kb[i] as string;
        const cv = compareValues(oa[fa], ob[fb]);
        if (cv !== 0) return cv;
        if (fa !== fb) return fa < fb ? -1 : 1;
      }
      return ka.length < kb.length ? -1 : ka.length > kb.length ? 1 : 0;
    }
    default: {
      const sa = String(a);
      const sb = String(b);
      return sa < sb ? -1 : sa > sb ? 1 : 0;
    }
  }
}

/**
 * The values a dotted path reaches in a document, with MongoDB's array semantics: an array met on
 * the way is traversed element by element (`identifiers.key` reaches every identifier's key), an
 * array at the end contributes its elements. Missing paths contribute nothing. A numeric segment
 * addresses an array position.
 */
export function pathValues(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  collect(doc, path.split('.'), 0, out);
  return out;
}

function collect(node: unknown, parts: readonly string[], i: number, out: unknown[]): void {
  if (i === parts.length) {
    if (Array.isArray(node)) {
      for (const el of node) out.push(el);
    } else if (node !== undefined) {
      out.push(node);
    }
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const part = parts[i] as string;
  if (Array.isArray(node)) {
    const idx = /^\d+$/.test(part) ? Number(part) : -1;
    if (idx >= 0) {
      collect(node[idx], parts, i + 1, out);
      return;
    }
    for (const el of node) {
      if (el !== null && typeof el === 'object' && !Array.isArray(el)) collect((el as Record<string, unknown>)[part], parts, i + 1, out);
    }
    return;
  }
  collect((node as Record<string, unknown>)[part], parts, i + 1, out);
}

/** The value at a dotted path without array traversal (first match for arrays of objects); `undefined` when missing. */
export function getPath(doc: unknown, path: string): unknown {
  let node: unknown = doc;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Sets a dotted path, creating intermediate objects. */
export function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node: Record<string, unknown> = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const next = node[part];
    if (next === null || typeof next !== 'object') {
      const created: Record<string, unknown> = {};
      node[part] = created;
      node = created;
    } else {
      node = next as Record<string, unknown>;
    }
  }
  node[parts[parts.length - 1] as string] = value;
}

/** Removes a dotted path if present. */
export function unsetPath(doc: Record<string, unknown>, path: string): void {
  const parts = path.split('.');
  let node: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string, unknown>)[parts[i] as string];
  }
  if (node !== null && typeof node === 'object' && !Array.isArray(node)) delete (node as Record<string, unknown>)[parts[parts.length - 1] as string];
}

/**
 * A canonical, type-tagged serialization (object keys sorted): equal values give equal strings
 * and values of different types never collide (a Date and its ISO string differ). Used for cache
 * keys (with `sortKeys` false: key order matters for embedded-document equality) and page-token
 * binding. Returns `undefined` for values it cannot represent faithfully.
 */
export function canonical(value: unknown, sortKeys = true): string | undefined {
  const parts: string[] = [];
  return writeCanonical(value, parts, sortKeys) ? parts.join('') : undefined;
}

function writeCanonical(v: unknown, out: string[], sortKeys: boolean): boolean {
  if (v === null) {
    out.push('n');
    return true;
  }
  switch (typeof v) {
    case 'string':
      out.push('s', JSON.stringify(v));
      return true;
    case 'number':
      out.push('d', Object.is(v, -0) ? '0' : String(v), ';');
      return true;
    case 'boolean':
      out.push(v ? 'T' : 'F');
      return true;
    case 'undefined':
      out.push('u');
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (Array.isArray(v)) {
    out.push('[');
    for (const el of v) {
      if (!writeCanonical(el, out, sortKeys)) return false;
      out.push(',');
    }
    out.push(']');
    return true;
  }
  if (v instanceof Date) {
    out.push('D', String(v.getTime()), ';');
    return true;
  }
  if (v instanceof RegExp) {
    out.push('R', JSON.stringify(v.source), JSON.stringify(v.flags));
    return true;
  }
  if (!isPlainObject(v)) return false;
  out.push('{');
  const keys = Object.keys(v);
  if (sortKeys) keys.sort();
  for (const key of keys) {
    out.push(JSON.stringify(key), ':');
    if (!writeCanonical(v[key], out, sortKeys)) return false;
    out.push(',');
  }
  out.push('}');
  return true;
}
