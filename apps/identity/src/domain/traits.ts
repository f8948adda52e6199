import type { JsonValue, Traits } from './types';

/** A trait name at any depth: starts with a letter; letters, digits, `_`, `-`; at most 64 characters. */
export const TRAIT_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** Limits on traits, so that one profile cannot grow without bound. */
export const TRAIT_LIMITS = { maxNamesPerUpdate: 100, maxDepth: 5, maxJsonBytes: 16 * 1024 } as const;

/** One problem with traits: a path relative to the traits object and what is wrong. */
export interface TraitProblem {
  readonly path: string;
  readonly description: string;
}

/**
 * Problems with a set of trait values: bad names at any depth (they become store field names, so
 * no dots or `$`), nesting deeper than the limit, non-finite numbers.
 */
export function traitProblems(values: Readonly<Traits>): TraitProblem[] {
  const problems: TraitProblem[] = [];
  const visit = (value: JsonValue, path: string, depth: number): void => {
    if (typeof value === 'number' && !Number.isFinite(value)) problems.push({ path, description: 'must be a finite number' });
    if (value === null || typeof value !== 'object') return;
    if (depth > TRAIT_LIMITS.maxDepth) {
      problems.push({ path, description: `must not nest deeper than ${TRAIT_LIMITS.maxDepth} levels` });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${path}[${i}]`, depth + 1));
      return;
    }
    for (const [name, child] of Object.entries(value)) {
      if (!TRAIT_NAME.test(name)) problems.push({ path: `${path}.${name}`, description: 'name must start with a letter and use only letters, digits, _ and - (at most 64)' });
      else visit(child, `${path}.${name}`, depth + 1);
    }
  };
  for (const [name, value] of Object.entries(values)) {
    if (!TRAIT_NAME.test(name)) problems.push({ path: name, description: 'name must start with a letter and use only letters, digits, _ and - (at most 64)' });
    else visit(value, name, 1);
  }
  return problems;
}

/** Deep equality of JSON values (object key order does not matter). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  return ak.length === bk.length && ak.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

/** Size of traits as JSON, in bytes (UTF-8). */
export function traitsSize(traits: Readonly<Traits>): number {
  return Buffer.byteLength(JSON.stringify(traits), 'utf8');
}

/** The result of applying a trait update. */
export interface TraitChange {
  readonly traits: Traits;
  /** Names whose value changed (set to a different value, or removed while present), sorted. */
  readonly changed: string[];
}

/** Applies `set` (replacing whole top-level values) and `remove` to traits; pure. */
export function applyTraitChanges(current: Readonly<Traits>, set: Readonly<Traits>, remove: readonly string[]): TraitChange {
  const traits: Traits = { ...current };
  const changed = new Set<string>();
  for (const [name, value] of Object.entries(set)) {
    if (!jsonEqual(traits[name], value)) changed.add(name);
    traits[name] = value;
  }
  for (const name of remove) {
    if (Object.hasOwn(traits, name)) {
      delete traits[name];
      changed.add(name);
    }
  }
  return { traits, changed: [...changed].sort() };
}
