import type { CompiledPolicy } from './policy';
import { evaluateSegments } from './segments';
import {
  KNOWN_TYPES,
  assuranceRank,
  type IdentifierState,
  type NormalizedIdentifier,
  type ProfileState,
  type SegmentDefinition,
} from './types';

/**
 * A profile is anonymous while nothing tells who the person is: no identifier was ever verified
 * and none is of a known type (cookie and device only).
 */
export function isAnonymous(identifiers: readonly IdentifierState[]): boolean {
  return !identifiers.some((i) => KNOWN_TYPES.has(i.type) || assuranceRank(i.verifiedLevel) >= assuranceRank('VERIFIED'));
}

/** Whether a profile is live (not merged into another). */
export function isActive(profile: ProfileState): boolean {
  return profile.mergedInto === undefined;
}

/**
 * The first identifier of `incoming` that would exceed its type's per-profile limit if all of
 * them joined `held`, or undefined when they all fit.
 */
export function firstOverLimit(
  held: readonly NormalizedIdentifier[],
  incoming: readonly NormalizedIdentifier[],
  policy: CompiledPolicy,
): NormalizedIdentifier | undefined {
  const counts = new Map<string, number>();
  const slot = (i: NormalizedIdentifier) => (i.type === 'CUSTOM' ? `CUSTOM/${i.customType}` : i.type);
  for (const i of held) counts.set(slot(i), (counts.get(slot(i)) ?? 0) + 1);
  for (const i of incoming) {
    const next = (counts.get(slot(i)) ?? 0) + 1;
    const max = policy.ruleFor(i.type, i.customType).maxPerProfile;
    if (max > 0 && next > max) return i;
    counts.set(slot(i), next);
  }
  return undefined;
}

/** How many identifiers of a profile are proven (VERIFIED or STRONG). */
function verifiedCount(profile: ProfileState): number {
  return profile.identifiers.filter((i) => assuranceRank(i.verifiedLevel) >= assuranceRank('VERIFIED')).length;
}

/**
 * Orders profiles by how well they stand for a person, best first: known before anonymous, more
 * verified identifiers, a stronger identifier type held, older, then by id (a total order, so
 * that every replica picks the same survivor).
 */
export function compareRank(a: ProfileState, b: ProfileState, policy: CompiledPolicy): number {
  const known = (p: ProfileState) => (isAnonymous(p.identifiers) ? 0 : 1);
  const strongest = (p: ProfileState) => Math.max(-1, ...p.identifiers.map((i) => policy.ruleFor(i.type, i.customType).priority));
  return (
    known(b) - known(a) ||
    verifiedCount(b) - verifiedCount(a) ||
    strongest(b) - strongest(a) ||
    a.createTime.getTime() - b.createTime.getTime() ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** The profile with its segment membership evaluated against the tenant's segments. */
export function withSegments(profile: ProfileState, segments: readonly SegmentDefinition[]): ProfileState {
  if (!isActive(profile)) return { ...profile, segmentIds: [] };
  return { ...profile, segmentIds: evaluateSegments(segments, profile.traits) };
}

/** Equality of the parts of two profiles a person would call "the same profile" (not version or update time). */
export function sameContent(a: ProfileState, b: ProfileState): boolean {
  return JSON.stringify(contentOf(a)) === JSON.stringify(contentOf(b));
}

function contentOf(p: ProfileState) {
  return {
    id: p.id,
    identifiers: p.identifiers.map((i) => ({ ...i, linkedAt: i.linkedAt.getTime(), lastSeenAt: i.lastSeenAt.getTime() })),
    traits: sortKeys(p.traits),
    segmentIds: p.segmentIds,
    createTime: p.createTime.getTime(),
    mergedInto: p.mergedInto ?? null,
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}
