import { Query } from 'mingo';
import { InvalidOperationError } from '../errors';
import type { Filter } from '../types';
import { canonical, pathValues, type Doc } from '../internal/values';

/** Tests a stored document against a filter. */
export type Matcher = (doc: Doc) => boolean;

const matchAll: Matcher = () => true;

/** Compiled mingo queries by canonical filter: compiling costs ~15 µs, testing ~1 µs. */
const cache = new Map<string, Matcher>();
const CACHE_SIZE = 2000;

function isScalar(v: unknown): v is string | number | boolean {
  const t = typeof v;
  return t === 'string' || t === 'number' || t === 'boolean';
}

/**
 * Compiles a filter. Filters made only of equalities with scalars on plain paths (the hot path:
 * `{ tenantId, 'identifiers.key': k }`) are tested directly, with MongoDB's semantics (a path
 * through arrays matches if any element matches); everything else goes to mingo, cached.
 */
export function compileFilter(filter: Filter): Matcher {
  const keys = Object.keys(filter);
  if (keys.length === 0) return matchAll;
  let simple = true;
  for (const key of keys) {
    if (key.startsWith('$') || !isScalar(filter[key]) || /(^|\.)\d+(\.|$)/.test(key)) {
      simple = false;
      break;
    }
  }
  if (simple) return equalityMatcher(keys, keys.map((k) => filter[k] as string | number | boolean));
  const cacheKey = canonical(filter, false);
  if (cacheKey !== undefined) {
    const hit = cache.get(cacheKey);
    if (hit !== undefined) return hit;
  }
  let query: Query;
  try {
    query = new Query(filter, { scriptEnabled: false });
  } catch (err) {
    throw new InvalidOperationError(`invalid filter: ${err instanceof Error ? err.message : String(err)}`);
  }
  const matcher: Matcher = (doc) => query.test(doc);
  if (cacheKey !== undefined) {
    if (cache.size >= CACHE_SIZE) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(cacheKey, matcher);
  }
  return matcher;
}

function equalityMatcher(paths: readonly string[], values: readonly (string | number | boolean)[]): Matcher {
  const n = paths.length;
  const dotted = paths.map((p) => p.includes('.'));
  return (doc) => {
    for (let i = 0; i < n; i++) {
      const path = paths[i] as string;
      const want = values[i];
      if (dotted[i]) {
        if (!pathValues(doc, path).includes(want as string)) return false;
      } else {
        const v = doc[path];
        if (v !== want && !(Array.isArray(v) && v.includes(want)) && !(want !== want && v !== v)) return false;
      }
    }
    return true;
  };
}
