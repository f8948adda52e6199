import { MergeRefusedError, UnmergeRefusedError, type MergeRefusal } from './errors';
import type { CompiledPolicy } from './policy';
import { firstOverLimit, isActive, isAnonymous } from './profile';
import { jsonEqual } from './traits';
import {
  assuranceRank,
  type Assurance,
  type DomainContext,
  type MergeReason,
  type MergeRecordState,
  type NormalizedIdentifier,
  type ProfileState,
  type Traits,
} from './types';

/** A merge that may go ahead, and the policy rule that allows it. */
export type MergeDecision = { readonly ok: true; readonly rule: string } | { readonly ok: false; readonly refusal: MergeRefusal; readonly message: string };

const refuse = (refusal: MergeRefusal, message: string): MergeDecision => ({ ok: false, refusal, message });

/** Whether both profiles hold a verified LOGIN (they are then two different accounts: keys are unique). */
function bothHoldVerifiedLogins(a: ProfileState, b: ProfileState): boolean {
  const verifiedLogin = (p: ProfileState) =>
    p.identifiers.some((i) => i.type === 'LOGIN' && assuranceRank(i.verifiedLevel) >= assuranceRank('VERIFIED'));
  return verifiedLogin(a) && verifiedLogin(b);
}

/** Guards every merge shares: live, distinct profiles whose identifiers fit the per-type limits together. */
function structuralGuards(survivor: ProfileState, merged: ProfileState, policy: CompiledPolicy): MergeDecision | undefined {
  if (survivor.id === merged.id) return refuse('SAME_PROFILE', 'a profile cannot be merged into itself');
  if (!isActive(survivor) || !isActive(merged)) return refuse('PROFILE_ALREADY_MERGED', 'the profile was merged into another profile already');
  const over = firstOverLimit(survivor.identifiers, merged.identifiers, policy);
  if (over) {
    const max = policy.ruleFor(over.type, over.customType).maxPerProfile;
    return refuse('IDENTIFIER_LIMIT_EXCEEDED', `the merged profile would hold more than ${max} ${over.type} identifier(s)`);
  }
  return undefined;
}

/**
 * Whether Resolve may join `merged` into `survivor` on its own. `survivorProof` and `mergedProof`
 * are how strongly the identifiers of each profile were proven in this interaction. Two profiles
 * holding different verified LOGINs are never joined automatically, whatever the limits.
 */
export function decideAutoMerge(
  survivor: ProfileState,
  merged: ProfileState,
  policy: CompiledPolicy,
  survivorProof: Assurance,
  mergedProof: Assurance,
): MergeDecision {
  const mode = policy.policy.autoMergeMode;
  if (mode === 'DISABLED') return refuse('MERGE_NOT_ALLOWED', 'the tenant policy disables automatic merges');
  if (bothHoldVerifiedLogins(survivor, merged)) {
    return refuse('VERIFIED_LOGIN_CONFLICT', 'both profiles hold a different verified LOGIN');
  }
  const guard = structuralGuards(survivor, merged, policy);
  if (guard) return guard;
  const min = assuranceRank(policy.policy.minStitchAssurance);
  const mergedAnonymous = isAnonymous(merged.identifiers);
  const survivorAnonymous = isAnonymous(survivor.identifiers);
  if (mergedAnonymous && survivorAnonymous) return { ok: true, rule: 'stitch:anonymous-into-anonymous' };
  if (mergedAnonymous) {
    return assuranceRank(survivorProof) >= min
      ? { ok: true, rule: 'stitch:anonymous-into-known' }
      : refuse('INSUFFICIENT_PROOF', `joining an anonymous profile to a known one needs proof ${policy.policy.minStitchAssurance} or stronger`);
  }
  if (mode !== 'KNOWN_PROFILES') return refuse('MERGE_NOT_ALLOWED', 'the tenant policy joins only anonymous profiles automatically');
  return assuranceRank(survivorProof) >= min && assuranceRank(mergedProof) >= min
    ? { ok: true, rule: 'stitch:known-into-known' }
    : refuse('INSUFFICIENT_PROOF', `joining two known profiles needs proof ${policy.policy.minStitchAssurance} or stronger for both`);
}

/** Whether an explicit MergeProfiles may go ahead: the per-type limits still hold. */
export function decideExplicitMerge(survivor: ProfileState, merged: ProfileState, policy: CompiledPolicy): MergeDecision {
  return structuralGuards(survivor, merged, policy) ?? { ok: true, rule: 'explicit' };
}

/** What a merge produced. */
export interface MergeOutcome {
  /** The survivor with the merged profile's identifiers and the traits it lacked. */
  readonly survivor: ProfileState;
  /** The merged profile, now empty and pointing at the survivor. */
  readonly tombstone: ProfileState;
  readonly record: MergeRecordState;
}

/**
 * Joins `merged` into `survivor`. The survivor keeps its own traits and takes the ones it lacks;
 * the record keeps the merged profile exactly as it was, which keys moved and which traits were
 * filled, so that `unmerge` can give both back. Segment membership is left to the caller.
 * Versions are not bumped here: a change bumps each profile's version once, at the end.
 */
export function mergeInto(
  survivor: ProfileState,
  merged: ProfileState,
  how: { readonly reason: MergeReason; readonly rule: string; readonly evidence: readonly NormalizedIdentifier[] },
  ctx: DomainContext,
): MergeOutcome {
  const filledTraits: Traits = {};
  for (const [name, value] of Object.entries(merged.traits)) {
    if (!Object.hasOwn(survivor.traits, name)) filledTraits[name] = value;
  }
  const record: MergeRecordState = {
    id: ctx.newId('mrg'),
    survivorId: survivor.id,
    mergedId: merged.id,
    reason: how.reason,
    rule: how.rule,
    evidence: how.evidence.map(({ type, customType, value, key }) => ({ type, customType, value, key })),
    actor: ctx.actor,
    mergeTime: ctx.now,
    mergedSnapshot: merged,
    movedKeys: merged.identifiers.map((i) => i.key),
    filledTraits,
  };
  return {
    survivor: {
      ...survivor,
      identifiers: [...survivor.identifiers, ...merged.identifiers],
      traits: { ...survivor.traits, ...filledTraits },
      updateTime: ctx.now,
    },
    tombstone: { ...merged, identifiers: [], traits: {}, segmentIds: [], mergedInto: survivor.id, updateTime: ctx.now },
    record,
  };
}

/** What an unmerge produced. */
export interface UnmergeOutcome {
  readonly survivor: ProfileState;
  readonly restored: ProfileState;
  readonly record: MergeRecordState;
}

/**
 * Undoes a merge. The restored profile gets back its identifiers (as they are now: a proof
 * gained since is kept) and exactly the traits it had; the survivor loses those identifiers and
 * the traits it was filled with, unless they changed since. What the survivor gained after the
 * merge stays with it. Segment membership is left to the caller.
 */
export function unmerge(record: MergeRecordState, survivor: ProfileState, tombstone: ProfileState, ctx: DomainContext): UnmergeOutcome {
  if (record.unmergeTime) throw new UnmergeRefusedError('MERGE_ALREADY_UNDONE', 'the merge was undone already');
  if (!isActive(survivor)) {
    throw new UnmergeRefusedError('SURVIVOR_MERGED_SINCE', 'the surviving profile was merged into another profile since: undo that merge first');
  }
  if (tombstone.mergedInto !== survivor.id) {
    throw new UnmergeRefusedError('MERGED_PROFILE_CHANGED', 'the merged profile no longer points at the survivor');
  }
  const moved = new Set(record.movedKeys);
  const current = new Map(survivor.identifiers.map((i) => [i.key, i]));
  const restoredIdentifiers = record.mergedSnapshot.identifiers.map((i) => current.get(i.key) ?? i);
  const survivorTraits: Traits = { ...survivor.traits };
  for (const [name, value] of Object.entries(record.filledTraits)) {
    if (jsonEqual(survivorTraits[name], value)) delete survivorTraits[name];
  }
  return {
    survivor: { ...survivor, identifiers: survivor.identifiers.filter((i) => !moved.has(i.key)), traits: survivorTraits, updateTime: ctx.now },
    restored: {
      ...record.mergedSnapshot,
      identifiers: restoredIdentifiers,
      version: tombstone.version,
      updateTime: ctx.now,
      mergedInto: undefined,
    },
    record: { ...record, unmergeTime: ctx.now, unmergeActor: ctx.actor },
  };
}

/** Throws the refusal of a decision that is not ok. */
export function assertMergeAllowed(decision: MergeDecision): asserts decision is { ok: true; rule: string } {
  if (!decision.ok) throw new MergeRefusedError(decision.refusal, decision.message);
}
