import { InvalidOperationError } from '../errors';
import type { Projection } from '../types';
import { cloneValue, isPlainObject, type Doc } from '../internal/values';

/** A compiled projection: returns a fresh copy of the projected document. */
export type Projector = (doc: Doc) => Doc;

interface PathTree {
  [field: string]: PathTree | true;
}

function buildTree(paths: readonly string[]): PathTree {
  const tree: PathTree = {};
  for (const path of paths) {
    const parts = path.split('.');
    let node = tree;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      if (i === parts.length - 1) {
        node[part] = true;
      } else {
        const next = node[part];
        if (next === true) break; // a parent is already taken whole
        if (next === undefined) {
          const created: PathTree = {};
          node[part] = created;
          node = created;
        } else node = next;
      }
    }
  }
  return tree;
}

function include(src: unknown, tree: PathTree): unknown {
  if (Array.isArray(src)) {
    // As in MongoDB: sub-fields of an array apply to its object elements; other elements go.
    const out: unknown[] = [];
    for (const el of src) {
      if (Array.isArray(el) || isPlainObject(el)) out.push(include(el, tree));
    }
    return out;
  }
  const obj = src as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(tree)) {
    const v = obj[key];
    if (v === undefined) continue;
    const sub = tree[key] as PathTree | true;
    if (sub === true) out[key] = cloneValue(v);
    else if (Array.isArray(v) || isPlainObject(v)) out[key] = include(v, sub);
  }
  return out;
}

function exclude(target: unknown, tree: PathTree): void {
  if (Array.isArray(target)) {
    for (const el of target) exclude(el, tree);
    return;
  }
  if (!isPlainObject(target)) return;
  for (const key of Object.keys(tree)) {
    const sub = tree[key] as PathTree | true;
    if (sub === true) delete target[key];
    else exclude(target[key], sub);
  }
}

const cloneOnly: Projector = (doc) => cloneValue(doc);
const cache = new Map<string, Projector>();

/** Compiles an inclusion (`{ a: 1 }`) or exclusion (`{ a: 0 }`) projection; `_id` is included unless excluded. */
export function compileProjection(projection: Projection | undefined): Projector {
  if (projection === undefined) return cloneOnly;
  // A cheap cache key: field names cannot contain NUL.
  let cacheKey = '';
  for (const path in projection) cacheKey += `${path}\u0000${String(projection[path])}\u0000`;
  if (cacheKey === '') return cloneOnly;
  const hit = cache.get(cacheKey);
  if (hit !== undefined) return hit;
  const entries = Object.entries(projection);
  let idExcluded = false;
  const included: string[] = [];
  const excluded: string[] = [];
  for (const [path, v] of entries) {
    const on = v === 1 || (v as unknown) === true;
    const off = v === 0 || (v as unknown) === false;
    if (!on && !off) throw new InvalidOperationError(`projection of ${path} must be 0 or 1`);
    if (path === '_id') idExcluded = off;
    else (on ? included : excluded).push(path);
  }
  if (included.length > 0 && excluded.length > 0) throw new InvalidOperationError('a projection cannot mix inclusion and exclusion (except _id)');
  let projector: Projector;
  if (included.length > 0 || (excluded.length === 0 && !idExcluded)) {
    const tree = buildTree(included);
    projector = (doc) => {
      const out = include(doc, tree) as Doc;
      if (!idExcluded && doc._id !== undefined) return { _id: doc._id, ...out };
      return out;
    };
  } else {
    const tree = buildTree(idExcluded ? [...excluded, '_id'] : excluded);
    projector = (doc) => {
      const out = cloneValue(doc);
      exclude(out, tree);
      return out;
    };
  }
  if (cache.size < 1000) cache.set(cacheKey, projector);
  return projector;
}
