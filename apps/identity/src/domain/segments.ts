import { TRAIT_NAME } from './traits';
import type { JsonValue, SegmentCondition, SegmentDefinition, Traits } from './types';

/** A segment id: lower-kebab, starting with a letter, at most 63 characters. */
export const SEGMENT_ID = /^[a-z][a-z0-9-]{0,62}$/;
export const SEGMENT_LIMITS = { maxConditions: 20, maxListItems: 100, maxDisplayName: 200, maxStringValue: 256 } as const;

type Scalar = string | number | boolean;

const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** One problem with a condition: the sub-field (`trait`, `operator`, `value`, `value[2]`) and why. */
export interface ConditionProblem {
  readonly field: string;
  readonly description: string;
}

/**
 * Problems with one condition. Values are scalars (lists of scalars for IN / NOT_IN, a boolean for
 * EXISTS): no null and no objects, so that the in-process evaluation and the store's query
 * semantics agree on every profile.
 */
export function conditionProblems(condition: SegmentCondition): ConditionProblem[] {
  const problems: ConditionProblem[] = [];
  const parts = condition.trait.split('.');
  if (condition.trait === '') problems.push({ field: 'trait', description: 'is required' });
  else if (parts.length > 5 || !parts.every((p) => TRAIT_NAME.test(p))) {
    problems.push({ field: 'trait', description: 'must be a dotted path of trait names (at most 5 levels)' });
  }
  const value = condition.value;
  const checkScalar = (v: JsonValue, field: string) => {
    if (!isScalar(v)) problems.push({ field, description: 'must be a string, a finite number or a boolean' });
    else if (typeof v === 'string' && v.length > SEGMENT_LIMITS.maxStringValue) {
      problems.push({ field, description: `must be at most ${SEGMENT_LIMITS.maxStringValue} characters` });
    }
  };
  switch (condition.operator) {
    case 'EQ':
    case 'NE':
      checkScalar(value, 'value');
      break;
    case 'GT':
    case 'GTE':
    case 'LT':
    case 'LTE':
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
        problems.push({ field: 'value', description: 'must be a number or a string' });
      }
      break;
    case 'IN':
    case 'NOT_IN':
      if (!Array.isArray(value) || value.length === 0) problems.push({ field: 'value', description: 'must be a non-empty list' });
      else if (value.length > SEGMENT_LIMITS.maxListItems) {
        problems.push({ field: 'value', description: `must have at most ${SEGMENT_LIMITS.maxListItems} items` });
      } else value.forEach((v, i) => checkScalar(v, `value[${i}]`));
      break;
    case 'EXISTS':
      if (typeof value !== 'boolean') problems.push({ field: 'value', description: 'must be true (present) or false (absent)' });
      break;
  }
  return problems;
}

/**
 * The values a dotted path reaches, with the store's query semantics: a path through a list
 * reaches into each element, and a list value is matched by its elements as well as whole.
 */
function reach(node: JsonValue | undefined, parts: readonly string[]): JsonValue[] {
  if (node === undefined) return [];
  if (parts.length === 0) return [node];
  if (Array.isArray(node)) return node.flatMap((item) => (item !== null && typeof item === 'object' && !Array.isArray(item) ? reach(item, parts) : []));
  if (node === null || typeof node !== 'object') return [];
  const [head, ...rest] = parts as [string, ...string[]];
  return Object.hasOwn(node, head) ? reach(node[head], rest) : [];
}

function candidates(traits: Readonly<Traits>, path: string): { reached: JsonValue[]; scalars: Scalar[] } {
  const reached = reach(traits, path.split('.'));
  const scalars: Scalar[] = [];
  for (const v of reached) {
    if (isScalar(v)) scalars.push(v);
    else if (Array.isArray(v)) for (const item of v) if (isScalar(item)) scalars.push(item);
  }
  return { reached, scalars };
}

function compare(op: 'GT' | 'GTE' | 'LT' | 'LTE', a: Scalar, b: Scalar): boolean {
  // Values of different types never compare (a number is neither above nor below a string).
  if (typeof a !== typeof b || typeof a === 'boolean') return false;
  switch (op) {
    case 'GT':
      return a > b;
    case 'GTE':
      return a >= b;
    case 'LT':
      return a < b;
    case 'LTE':
      return a <= b;
  }
}

/** Whether traits meet one condition. */
export function conditionHolds(condition: SegmentCondition, traits: Readonly<Traits>): boolean {
  const { reached, scalars } = candidates(traits, condition.trait);
  const value = condition.value;
  switch (condition.operator) {
    case 'EQ':
      return scalars.some((s) => s === value);
    case 'NE':
      return !scalars.some((s) => s === value);
    case 'GT':
    case 'GTE':
    case 'LT':
    case 'LTE': {
      const op = condition.operator;
      return isScalar(value) && scalars.some((s) => compare(op, s, value));
    }
    case 'IN':
      return Array.isArray(value) && scalars.some((s) => value.includes(s));
    case 'NOT_IN':
      return Array.isArray(value) && !scalars.some((s) => value.includes(s));
    case 'EXISTS':
      return value === (reached.length > 0);
  }
}

/** Whether traits meet every condition of a segment. */
export function segmentMatches(segment: Pick<SegmentDefinition, 'conditions'>, traits: Readonly<Traits>): boolean {
  return segment.conditions.every((c) => conditionHolds(c, traits));
}

/** The ids of the segments traits belong to, sorted. */
export function evaluateSegments(segments: readonly SegmentDefinition[], traits: Readonly<Traits>): string[] {
  return segments.filter((s) => segmentMatches(s, traits)).map((s) => s.id).sort();
}

/** Segments entered and left between two memberships. */
export function membershipDiff(before: readonly string[], after: readonly string[]): { entered: string[]; left: string[] } {
  const b = new Set(before);
  const a = new Set(after);
  return { entered: after.filter((id) => !b.has(id)), left: before.filter((id) => !a.has(id)) };
}

/**
 * The store query (MongoDB semantics) equivalent to a condition on the field under `prefix`
 * (`traits`). Used to search by trait and to list a segment's candidates; agrees with
 * `conditionHolds` on every valid condition (checked by a property test against mingo).
 */
export function conditionFilter(condition: SegmentCondition, prefix: string): Record<string, unknown> {
  const field = `${prefix}.${condition.trait}`;
  const value = condition.value;
  switch (condition.operator) {
    case 'EQ':
      return { [field]: { $eq: value } };
    case 'NE':
      return { [field]: { $ne: value } };
    case 'GT':
      return { [field]: { $gt: value } };
    case 'GTE':
      return { [field]: { $gte: value } };
    case 'LT':
      return { [field]: { $lt: value } };
    case 'LTE':
      return { [field]: { $lte: value } };
    case 'IN':
      return { [field]: { $in: value } };
    case 'NOT_IN':
      return { [field]: { $nin: value } };
    case 'EXISTS':
      return { [field]: { $exists: value } };
  }
}
