import { createHash } from 'node:crypto';
import { InvalidOperationError, InvalidPageTokenError } from '../errors';
import type { Filter, Projection, Sort } from '../types';
import { canonical, getPath } from './values';

/** Default and maximum page sizes when the request does not say. */
export const DEFAULT_PAGE_SIZE = 50;
export const DEFAULT_MAX_PAGE_SIZE = 1000;

/** The sort with `_id` appended (ascending) when missing, so that the order is total. */
export function totalSort(sort: Sort): Array<[string, 1 | -1]> {
  const pairs = Object.entries(sort) as Array<[string, 1 | -1]>;
  for (const [field, dir] of pairs) {
    if (dir !== 1 && dir !== -1) throw new InvalidOperationError(`sort direction of ${field} must be 1 or -1`);
  }
  if (!pairs.some(([field]) => field === '_id')) pairs.push(['_id', 1]);
  return pairs;
}

/**
 * What a page token is bound to: collection, tenant scope, filter and sort. A token presented with
 * anything else is refused, so a client cannot page a different query from the middle of another.
 * This is an integrity check, not a secret: forging a position only moves within the caller's own
 * tenant-scoped query, which the store enforces independently of the token.
 */
export function tokenBinding(collection: string, scope: string, filter: Filter, sort: Array<[string, 1 | -1]>): string {
  const f = canonical(filter);
  if (f === undefined) throw new InvalidOperationError('findPage filter contains values that cannot be paged (functions or class instances)');
  return createHash('sha256').update(collection).update('\u0000').update(scope).update('\u0000').update(f).update('\u0000').update(JSON.stringify(sort)).digest('base64url').slice(0, 22);
}

type TokenValue = null | { s: string } | { n: number | string } | { b: boolean } | { d: number };

function encodeValue(v: unknown): TokenValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return { s: v };
  if (typeof v === 'number') return { n: Number.isFinite(v) ? v : String(v) };
  if (typeof v === 'boolean') return { b: v };
  if (v instanceof Date) return { d: v.getTime() };
  throw new InvalidOperationError('findPage sort fields must hold scalars (string, number, boolean, date or null)');
}

function decodeValue(t: unknown): unknown {
  if (t === null) return null;
  if (typeof t !== 'object' || Array.isArray(t)) throw new InvalidPageTokenError('malformed position');
  const o = t as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length !== 1) throw new InvalidPageTokenError('malformed position');
  if (typeof o.s === 'string') return o.s;
  if (typeof o.b === 'boolean') return o.b;
  if (typeof o.d === 'number' && Number.isFinite(o.d)) return new Date(o.d);
  if (typeof o.n === 'number') return o.n;
  if (o.n === 'NaN' || o.n === 'Infinity' || o.n === '-Infinity') return Number(o.n);
  throw new InvalidPageTokenError('malformed position');
}

/** The token that resumes after `last`. */
export function encodePageToken(binding: string, sort: Array<[string, 1 | -1]>, last: Record<string, unknown>): string {
  const k = sort.map(([field]) => encodeValue(getPath(last, field)));
  return Buffer.from(JSON.stringify({ v: 1, h: binding, k }), 'utf8').toString('base64url');
}

/** The sort values of the last item of the previous page; throws InvalidPageTokenError when the token is malformed or bound to another query. */
export function decodePageToken(token: string, binding: string, sortLength: number): unknown[] {
  if (token.length > 8192 || !/^[A-Za-z0-9_-]+$/.test(token)) throw new InvalidPageTokenError('malformed');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidPageTokenError('malformed');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new InvalidPageTokenError('malformed');
  const { v, h, k } = parsed as Record<string, unknown>;
  if (v !== 1 || typeof h !== 'string' || !Array.isArray(k)) throw new InvalidPageTokenError('malformed');
  if (h !== binding) throw new InvalidPageTokenError('issued for another query');
  if (k.length !== sortLength) throw new InvalidPageTokenError('malformed position');
  return k.map(decodeValue);
}

/**
 * The filter selecting what comes strictly after `after` in the order of `sort`:
 * (f1 > v1) or (f1 = v1 and f2 > v2) or ... . Values are compared with `$eq`/`$gt`/`$lt` (never
 * put bare into the filter, so a value cannot turn into an operator). Nulls sort first ascending,
 * last descending, as in MongoDB. Sort fields are expected to hold one type each (plus null).
 */
export function keysetFilter(sort: Array<[string, 1 | -1]>, after: readonly unknown[]): Filter {
  const branches: Filter[] = [];
  for (let i = 0; i < sort.length; i++) {
    const [field, dir] = sort[i] as [string, 1 | -1];
    const value = after[i];
    let strictlyAfter: Filter | null;
    if (value === null || value === undefined) {
      strictlyAfter = dir === 1 ? { [field]: { $ne: null } } : null;
    } else if (dir === 1) {
      strictlyAfter = { [field]: { $gt: value } };
    } else {
      strictlyAfter = { $or: [{ [field]: { $lt: value } }, { [field]: { $eq: null } }] };
    }
    if (strictlyAfter !== null) {
      const equalities: Filter[] = [];
      for (let j = 0; j < i; j++) {
        const [f] = sort[j] as [string, 1 | -1];
        const v = after[j];
        equalities.push({ [f]: { $eq: v === undefined ? null : v } });
      }
      branches.push(equalities.length === 0 ? strictlyAfter : { $and: [...equalities, strictlyAfter] });
    }
  }
  // No branch: nothing can come after (e.g. a single descending field at null).
  return branches.length === 0 ? { _id: { $in: [] } } : branches.length === 1 ? (branches[0] as Filter) : { $or: branches };
}

/**
 * Adjusts a projection so the sort fields come back (they make the next token) and says which
 * fields to strip again before the page is returned.
 */
export function projectionForPaging(projection: Projection | undefined, sort: Array<[string, 1 | -1]>): { projection: Projection | undefined; strip: string[] } {
  if (projection === undefined || Object.keys(projection).length === 0) return { projection, strip: [] };
  const values = Object.entries(projection).filter(([f]) => f !== '_id');
  const inclusive = values.length > 0 ? values.some(([, v]) => v === 1) : projection._id !== 0;
  const adjusted: Projection = { ...projection };
  const strip: string[] = [];
  for (const [field] of sort) {
    if (inclusive) {
      if (field === '_id') {
        if (projection._id === 0) {
          delete adjusted._id;
          strip.push('_id');
        }
        continue;
      }
      // Already returned when the field or one of its parents is included.
      const covered = values.some(([p, v]) => v === 1 && (p === field || field.startsWith(`${p}.`)));
      if (!covered) {
        adjusted[field] = 1;
        strip.push(field);
      }
    } else {
      // An exclusion of the field or of a parent would hide it: lift that exclusion.
      for (const [p, v] of values) {
        if (v === 0 && (p === field || field.startsWith(`${p}.`)) && p in adjusted) {
          delete adjusted[p];
          strip.push(p);
        }
      }
    }
  }
  return { projection: adjusted, strip };
}
