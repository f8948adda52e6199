import { LinkRefusedError, TraitsTooLargeError } from './errors';
import { assertMergeAllowed, decideExplicitMerge, mergeInto, unmerge } from './merge';
import type { CompiledPolicy } from './policy';
import { firstOverLimit, withSegments } from './profile';
import type { ChangeSet, ObservedIdentifier } from './resolve';
import { emptyChanges } from './resolve';
import { membershipDiff } from './segments';
import { TRAIT_LIMITS, applyTraitChanges, traitsSize } from './traits';
import type { DomainEvent } from './events';
import {
  assuranceRank,
  maxAssurance,
  type DomainContext,
  type IdentifierState,
  type MergeRecordState,
  type ProfileState,
  type SegmentDefinition,
  type Traits,
} from './types';

/** A profile after a change: version bumped once, segments re-evaluated. */
function finish(before: ProfileState, after: ProfileState, segments: readonly SegmentDefinition[], ctx: DomainContext): ProfileState {
  return withSegments({ ...after, version: before.version + 1, updateTime: ctx.now }, segments);
}

/** The membership event for a profile whose segments changed, if they did. */
function membershipEvent(before: ProfileState, after: ProfileState): DomainEvent[] {
  const diff = membershipDiff(before.segmentIds, after.segmentIds);
  if (diff.entered.length === 0 && diff.left.length === 0) return [];
  return [{ type: 'segment_membership_changed', profileId: after.id, entered: diff.entered, left: diff.left, segmentIds: after.segmentIds }];
}

/** Sets and removes traits; segments are re-evaluated in the same change. */
export function planUpdateTraits(
  profile: ProfileState,
  set: Readonly<Traits>,
  remove: readonly string[],
  segments: readonly SegmentDefinition[],
  ctx: DomainContext,
): { profile: ProfileState; entered: string[]; left: string[]; changes: ChangeSet } {
  const change = applyTraitChanges(profile.traits, set, remove);
  if (traitsSize(change.traits) > TRAIT_LIMITS.maxJsonBytes) throw new TraitsTooLargeError(TRAIT_LIMITS.maxJsonBytes);
  if (change.changed.length === 0) {
    return { profile, entered: [], left: [], changes: emptyChanges() };
  }
  const after = finish(profile, { ...profile, traits: change.traits }, segments, ctx);
  const diff = membershipDiff(profile.segmentIds, after.segmentIds);
  return {
    profile: after,
    entered: diff.entered,
    left: diff.left,
    changes: {
      ...emptyChanges(),
      updated: [{ before: profile, after }],
      events: [
        { type: 'traits_changed', profileId: after.id, traits: after.traits as Traits, changed: change.changed, version: after.version },
        ...membershipEvent(profile, after),
      ],
    },
  };
}

/**
 * Links identifiers to a profile, or records a stronger proof of ones it holds. Refuses (never
 * merges) an identifier held by another profile, a blocked value, or one over the type's limit.
 */
export function planLinkIdentifiers(
  profile: ProfileState,
  observed: readonly ObservedIdentifier[],
  holders: ReadonlyMap<string, ProfileState>,
  policy: CompiledPolicy,
  segments: readonly SegmentDefinition[],
  ctx: DomainContext,
): { profile: ProfileState; linked: IdentifierState[]; changes: ChangeSet } {
  let identifiers = [...profile.identifiers];
  const linked: IdentifierState[] = [];
  const keyInserts: { key: string; profileId: string }[] = [];
  for (const o of observed) {
    if (policy.isBlocked(o.id)) throw new LinkRefusedError('IDENTIFIER_BLOCKED', o.index, 'the value is blocked by the tenant policy');
    const holder = holders.get(o.id.key);
    if (holder && holder.id !== profile.id) {
      throw new LinkRefusedError('IDENTIFIER_IN_USE', o.index, 'the identifier belongs to another profile (merge the profiles instead)');
    }
    const at = identifiers.findIndex((i) => i.key === o.id.key);
    const stored = identifiers[at];
    if (stored) {
      if (assuranceRank(o.proof) <= assuranceRank(stored.verifiedLevel)) continue;
      const next = { ...stored, verifiedLevel: maxAssurance(stored.verifiedLevel, o.proof), lastSeenAt: ctx.now };
      identifiers[at] = next;
      linked.push(next);
      continue;
    }
    if (firstOverLimit(identifiers, [o.id], policy)) {
      const max = policy.ruleFor(o.id.type, o.id.customType).maxPerProfile;
      throw new LinkRefusedError('IDENTIFIER_LIMIT_EXCEEDED', o.index, `the profile may hold at most ${max} ${o.id.type} identifier(s)`);
    }
    const state: IdentifierState = { ...o.id, verifiedLevel: o.proof, linkedAt: ctx.now, lastSeenAt: ctx.now };
    identifiers = [...identifiers, state];
    linked.push(state);
    keyInserts.push({ key: o.id.key, profileId: profile.id });
  }
  if (linked.length === 0) return { profile, linked, changes: emptyChanges() };
  const after = finish(profile, { ...profile, identifiers }, segments, ctx);
  return {
    profile: after,
    linked,
    changes: {
      ...emptyChanges(),
      updated: [{ before: profile, after }],
      keyInserts,
      events: [{ type: 'identifiers_linked', profileId: after.id, identifiers: linked, version: after.version }, ...membershipEvent(profile, after)],
    },
  };
}

/** Merges `merged` into `survivor` on request (rule `explicit`); the per-type limits still hold. */
export function planExplicitMerge(
  survivor: ProfileState,
  merged: ProfileState,
  policy: CompiledPolicy,
  segments: readonly SegmentDefinition[],
  ctx: DomainContext,
): { survivor: ProfileState; record: MergeRecordState; changes: ChangeSet } {
  const decision = decideExplicitMerge(survivor, merged, policy);
  assertMergeAllowed(decision);
  const outcome = mergeInto(survivor, merged, { reason: 'EXPLICIT', rule: decision.rule, evidence: [] }, ctx);
  const survivorAfter = finish(survivor, outcome.survivor, segments, ctx);
  const tombstoneAfter = finish(merged, outcome.tombstone, segments, ctx);
  return {
    survivor: survivorAfter,
    record: outcome.record,
    changes: {
      ...emptyChanges(),
      updated: [
        { before: survivor, after: survivorAfter },
        { before: merged, after: tombstoneAfter },
      ],
      keyMoves: outcome.record.movedKeys.map((key) => ({ key, from: merged.id, to: survivor.id })),
      mergesCreated: [outcome.record],
      events: [
        { type: 'profiles_merged', record: outcome.record, survivor: survivorAfter },
        ...membershipEvent(survivor, survivorAfter),
        ...membershipEvent(merged, tombstoneAfter),
      ],
    },
  };
}

/** Undoes a merge; both profiles come back (see `unmerge`). */
export function planUnmerge(
  record: MergeRecordState,
  survivor: ProfileState,
  tombstone: ProfileState,
  segments: readonly SegmentDefinition[],
  ctx: DomainContext,
): { survivor: ProfileState; restored: ProfileState; record: MergeRecordState; changes: ChangeSet } {
  const outcome = unmerge(record, survivor, tombstone, ctx);
  const survivorAfter = finish(survivor, outcome.survivor, segments, ctx);
  const restoredAfter = finish(tombstone, outcome.restored, segments, ctx);
  return {
    survivor: survivorAfter,
    restored: restoredAfter,
    record: outcome.record,
    changes: {
      ...emptyChanges(),
      updated: [
        { before: survivor, after: survivorAfter },
        { before: tombstone, after: restoredAfter },
      ],
      keyMoves: record.movedKeys.map((key) => ({ key, from: survivor.id, to: tombstone.id })),
      mergesUpdated: [outcome.record],
      events: [
        { type: 'profiles_unmerged', record: outcome.record, survivor: survivorAfter, restored: restoredAfter },
        ...membershipEvent(survivor, survivorAfter),
        ...membershipEvent(tombstone, restoredAfter),
      ],
    },
  };
}

/** Re-evaluates one profile's segments after a definition changed. */
export function planSegmentRefresh(profile: ProfileState, segments: readonly SegmentDefinition[], ctx: DomainContext): ChangeSet {
  const evaluated = withSegments(profile, segments);
  const diff = membershipDiff(profile.segmentIds, evaluated.segmentIds);
  if (diff.entered.length === 0 && diff.left.length === 0) return emptyChanges();
  const after = { ...evaluated, version: profile.version + 1, updateTime: ctx.now };
  return { ...emptyChanges(), updated: [{ before: profile, after }], events: membershipEvent(profile, after) };
}
