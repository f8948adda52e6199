import { decideAutoMerge, mergeInto } from './merge';
import type { CompiledPolicy } from './policy';
import { compareRank, firstOverLimit, withSegments } from './profile';
import { membershipDiff } from './segments';
import {
  assuranceRank,
  maxAssurance,
  minAssurance,
  type Assurance,
  type DomainContext,
  type IdentifierState,
  type MergeRecordState,
  type NormalizedIdentifier,
  type ProfileState,
  type SegmentDefinition,
} from './types';
import type { DomainEvent } from './events';

/** One identifier of a Resolve request, normalized, with its position in the request. */
export interface ObservedIdentifier {
  readonly index: number;
  readonly id: NormalizedIdentifier;
  readonly proof: Assurance;
}

export type MatchType = 'CREATED' | 'MATCHED' | 'STITCHED' | 'NO_MATCH';
export type IdentifierResolution = 'MATCHED' | 'LINKED' | 'MERGED' | 'BLOCKED' | 'CONFLICT';
export type ConflictKind = 'VERIFIED_LOGIN' | 'IDENTIFIER_LIMIT' | 'INSUFFICIENT_PROOF' | 'MERGE_NOT_ALLOWED';

export interface ResolveConflict {
  readonly kind: ConflictKind;
  /** The resolved profile first, then the one that could not be joined (if any). */
  readonly profileIds: readonly string[];
  readonly identifierIndexes: readonly number[];
  readonly description: string;
}

export interface IdentifierOutcome {
  readonly index: number;
  readonly id: NormalizedIdentifier;
  readonly resolution: IdentifierResolution;
  /** The profile holding it after the call; '' when blocked or not linked. */
  readonly profileId: string;
}

/** The answer of a Resolve. */
export interface ResolveResult {
  readonly profile?: ProfileState;
  readonly matchType: MatchType;
  readonly assurance: Assurance;
  readonly created: boolean;
  readonly merges: readonly MergeRecordState[];
  /** Identifiers newly linked to the profile or whose proof got stronger. */
  readonly linked: readonly IdentifierState[];
  readonly conflicts: readonly ResolveConflict[];
  readonly outcomes: readonly IdentifierOutcome[];
}

/** The writes a change needs, applied by the repository in one transaction. */
export interface ChangeSet {
  readonly created: readonly ProfileState[];
  /** Existing profiles that changed: `before.version` guards against concurrent writers. */
  readonly updated: readonly { readonly before: ProfileState; readonly after: ProfileState }[];
  /** Identifier keys that now belong to a profile for the first time. */
  readonly keyInserts: readonly { readonly key: string; readonly profileId: string }[];
  /** Identifier keys that moved between profiles (merge, unmerge). */
  readonly keyMoves: readonly { readonly key: string; readonly from: string; readonly to: string }[];
  readonly mergesCreated: readonly MergeRecordState[];
  readonly mergesUpdated: readonly MergeRecordState[];
  readonly events: readonly DomainEvent[];
}

export interface ResolvePlan {
  readonly result: ResolveResult;
  readonly changes: ChangeSet;
}

export interface ResolveArgs {
  readonly observed: readonly ObservedIdentifier[];
  /** The live profile holding each known key of the request (keys absent here are unknown). */
  readonly holders: ReadonlyMap<string, ProfileState>;
  readonly policy: CompiledPolicy;
  readonly segments: readonly SegmentDefinition[];
  readonly ctx: DomainContext;
  /** `lastSeenAt` is only rewritten when older than this, so that recognizing a known customer is a read. */
  readonly lastSeenGranularityMs: number;
}

interface Item {
  readonly id: NormalizedIdentifier;
  readonly proof: Assurance;
  readonly indexes: number[];
}

/**
 * Decides what one Resolve does, without doing it: which profile the identifiers stand for,
 * what to create, link and merge, what conflicts to report, and the assurance of the
 * recognition. Pure: the repository reads `holders` and applies `changes` in one transaction
 * (retrying the whole decision if another writer got there first).
 *
 * The anchor is the best-proven identifier (type priority breaks ties): the profile holding it,
 * or the best-ranked matched profile that can take it, or a new profile, is the one resolved.
 * Every other matched profile is joined to it when the policy allows, or reported as a conflict.
 */
export function planResolve(args: ResolveArgs): ResolvePlan {
  return recognizeUnchanged(args) ?? planChange(args);
}

/**
 * The common case, decided cheaply: every identifier is known, on one profile, proven no more
 * strongly than before and seen recently, so nothing changes. Gives exactly what `planChange`
 * would (a property test holds them to it); undefined when the full decision is needed.
 */
export function recognizeUnchanged(args: ResolveArgs): ResolvePlan | undefined {
  const { observed, holders, policy } = args;
  let profile: ProfileState | undefined;
  let assurance: Assurance = 'NONE';
  const now = args.ctx.now.getTime();
  for (const o of observed) {
    const holder = holders.get(o.id.key);
    if (!holder || (profile && holder !== profile && holder.id !== profile.id) || policy.isBlocked(o.id)) return undefined;
    profile = holder;
    let stored: IdentifierState | undefined;
    for (const i of holder.identifiers) if (i.key === o.id.key) stored = i;
    if (!stored || assuranceRank(o.proof) > assuranceRank(stored.verifiedLevel) || now - stored.lastSeenAt.getTime() >= args.lastSeenGranularityMs) return undefined;
    // The binding was verified before, or the proof counts only up to ASSERTED (see planChange, step 5).
    const counted = assuranceRank(stored.verifiedLevel) >= assuranceRank('VERIFIED') ? o.proof : minAssurance(o.proof, 'ASSERTED');
    assurance = maxAssurance(assurance, counted);
  }
  if (!profile) return undefined;
  const outcomes: IdentifierOutcome[] = observed.map((o) => ({ index: o.index, id: o.id, resolution: 'MATCHED', profileId: profile.id }));
  return {
    result: { profile, matchType: 'MATCHED', assurance, created: false, merges: [], linked: [], conflicts: [], outcomes: sortOutcomes(outcomes) },
    changes: emptyChanges(),
  };
}

/** The full decision: what to create, link and merge (see planResolve). */
export function planChange(args: ResolveArgs): ResolvePlan {
  const { policy, ctx } = args;
  const items = dedupe(args.observed);
  const blocked = items.filter((i) => policy.isBlocked(i.id));
  const usable = items.filter((i) => !policy.isBlocked(i.id));
  const blockedOutcomes = blocked.flatMap((i) => i.indexes.map((index) => ({ index, id: i.id, resolution: 'BLOCKED' as const, profileId: '' })));
  if (usable.length === 0) {
    return {
      result: { matchType: 'NO_MATCH', assurance: 'NONE', created: false, merges: [], linked: [], conflicts: [], outcomes: sortOutcomes(blockedOutcomes) },
      changes: emptyChanges(),
    };
  }

  // Working copies: every profile involved, as it will be after the call.
  const originals = new Map<string, ProfileState>();
  for (const item of usable) {
    const holder = args.holders.get(item.id.key);
    if (holder) originals.set(holder.id, holder);
  }
  const working = new Map(originals);
  const get = (id: string): ProfileState => {
    const p = working.get(id);
    if (!p) throw new Error(`profile ${id} is not part of this resolve`); // a bug, not an input error
    return p;
  };
  const owner = new Map<string, string>();
  for (const item of usable) {
    const holder = args.holders.get(item.id.key);
    if (holder) owner.set(item.id.key, holder.id);
  }
  const priority = (i: Item) => policy.ruleFor(i.id.type, i.id.customType).priority;
  const ranked = [...usable].sort(
    (a, b) => assuranceRank(b.proof) - assuranceRank(a.proof) || priority(b) - priority(a) || (a.indexes[0] ?? 0) - (b.indexes[0] ?? 0),
  );
  const anchor = ranked[0];
  if (!anchor) throw new Error('no usable identifier'); // unreachable: usable is not empty
  const byRank = (ids: Iterable<string>) => [...ids].map(get).sort((a, b) => compareRank(a, b, policy));

  // 1. The target profile. An unknown anchor is linked at once, so that the decisions below see
  //    it where it will be.
  const linked: IdentifierState[] = [];
  const keyInserts: { key: string; profileId: string }[] = [];
  const newlyBound = new Set<string>();
  let targetId: string;
  let createdId: string | undefined;
  const link = (item: Item) => {
    const target = get(targetId);
    const state: IdentifierState = { ...item.id, verifiedLevel: item.proof, linkedAt: ctx.now, lastSeenAt: ctx.now };
    working.set(targetId, { ...target, identifiers: [...target.identifiers, state], updateTime: ctx.now });
    owner.set(item.id.key, targetId);
    keyInserts.push({ key: item.id.key, profileId: targetId });
    newlyBound.add(item.id.key);
    if (targetId !== createdId) linked.push(state);
  };
  const anchorOwner = owner.get(anchor.id.key);
  if (anchorOwner) targetId = anchorOwner;
  else {
    const taker = byRank(working.keys()).find((p) => !firstOverLimit(p.identifiers, [anchor.id], policy));
    if (taker) targetId = taker.id;
    else {
      createdId = ctx.newId('prf');
      targetId = createdId;
      working.set(createdId, { id: createdId, identifiers: [], traits: {}, segmentIds: [], createTime: ctx.now, updateTime: ctx.now, version: 0 });
    }
    link(anchor);
  }

  // 2. Join the other matched profiles to it, best-ranked first, when the policy allows.
  const conflicts: ResolveConflict[] = [];
  const merges: MergeRecordState[] = [];
  const keyMoves: { key: string; from: string; to: string }[] = [];
  const proofOn = (profileId: string): Assurance =>
    usable.filter((i) => owner.get(i.id.key) === profileId).reduce<Assurance>((acc, i) => maxAssurance(acc, i.proof), 'NONE');
  const indexesOn = (profileId: string) => usable.filter((i) => owner.get(i.id.key) === profileId).flatMap((i) => i.indexes);
  for (const other of byRank([...originals.keys()].filter((id) => id !== targetId))) {
    const target = get(targetId);
    const [survivor, merged] = compareRank(target, other, policy) <= 0 ? [target, other] : [other, target];
    const decision = decideAutoMerge(survivor, merged, policy, proofOn(survivor.id), proofOn(merged.id));
    if (!decision.ok) {
      conflicts.push({
        kind: conflictKind(decision.refusal),
        profileIds: [targetId, other.id],
        identifierIndexes: indexesOn(other.id).sort((a, b) => a - b),
        description: decision.message,
      });
      continue;
    }
    const evidence = usable.filter((i) => owner.get(i.id.key) === survivor.id || owner.get(i.id.key) === merged.id).map((i) => i.id);
    const outcome = mergeInto(survivor, merged, { reason: 'STITCH', rule: decision.rule, evidence }, ctx);
    working.set(survivor.id, outcome.survivor);
    working.set(merged.id, outcome.tombstone);
    merges.push(outcome.record);
    for (const key of outcome.record.movedKeys) {
      keyMoves.push({ key, from: merged.id, to: survivor.id });
      owner.set(key, survivor.id);
    }
    targetId = survivor.id;
  }

  // 3. Link the other unknown identifiers that fit; the rest are conflicts.
  const before = new Map<string, IdentifierState>();
  for (const p of originals.values()) for (const i of p.identifiers) before.set(i.key, i);
  for (const item of ranked.filter((i) => !owner.has(i.id.key))) {
    if (firstOverLimit(get(targetId).identifiers, [item.id], policy)) {
      const max = policy.ruleFor(item.id.type, item.id.customType).maxPerProfile;
      conflicts.push({
        kind: 'IDENTIFIER_LIMIT',
        profileIds: [targetId],
        identifierIndexes: [...item.indexes],
        description: `the profile already holds ${max} ${item.id.type} identifier(s), the policy's limit`,
      });
      continue;
    }
    link(item);
  }

  // 4. Record stronger proofs and refresh `lastSeenAt` of the known identifiers now on the target.
  {
    const target = get(targetId);
    const seen = new Map(usable.filter((i) => owner.get(i.id.key) === targetId && !newlyBound.has(i.id.key)).map((i) => [i.id.key, i]));
    let changed = false;
    const identifiers = target.identifiers.map((stored) => {
      const item = seen.get(stored.key);
      if (!item) return stored;
      const stronger = assuranceRank(item.proof) > assuranceRank(stored.verifiedLevel);
      const stale = ctx.now.getTime() - stored.lastSeenAt.getTime() >= args.lastSeenGranularityMs;
      if (!stronger && !stale) return stored;
      changed = true;
      const next = { ...stored, verifiedLevel: maxAssurance(stored.verifiedLevel, item.proof), lastSeenAt: ctx.now };
      if (stronger) linked.push(next);
      return next;
    });
    if (changed) working.set(targetId, { ...target, identifiers, updateTime: ctx.now });
  }

  // 5. Assurance of this recognition: each identifier on the target counts as proven now, capped
  //    at ASSERTED while its link to the profile was never verified (a typed-in phone number).
  let assurance: Assurance = 'NONE';
  for (const item of usable) {
    if (owner.get(item.id.key) !== targetId) continue;
    const stored = before.get(item.id.key);
    const bindingVerified = newlyBound.has(item.id.key) || (stored !== undefined && assuranceRank(stored.verifiedLevel) >= assuranceRank('VERIFIED'));
    assurance = maxAssurance(assurance, bindingVerified ? item.proof : minAssurance(item.proof, 'ASSERTED'));
  }

  // 6. Versions, segments and events.
  const events: DomainEvent[] = [];
  const finalOf = (id: string): ProfileState => {
    const p = get(id);
    const original = originals.get(id);
    return withSegments({ ...p, version: (original?.version ?? 0) + 1 }, args.segments);
  };
  const updated: { before: ProfileState; after: ProfileState }[] = [];
  const created: ProfileState[] = [];
  let resolved: ProfileState | undefined;
  for (const id of new Set([...originals.keys(), targetId])) {
    const original = originals.get(id);
    const current = get(id);
    if (original && current === original) continue; // untouched (a profile in conflict)
    const after = finalOf(id);
    if (id === targetId) resolved = after;
    if (original) updated.push({ before: original, after });
    else created.push(after);
  }
  const target = resolved ?? get(targetId);

  if (createdId) events.push({ type: 'profile_created', profile: target });
  const finalState = (id: string) => (id === targetId ? target : (updated.find((u) => u.after.id === id)?.after ?? get(id)));
  for (const record of merges) {
    events.push({ type: 'profiles_merged', record, survivor: finalState(record.survivorId) });
  }
  if (linked.length > 0) events.push({ type: 'identifiers_linked', profileId: targetId, identifiers: linked, version: target.version });
  for (const { before: b, after: a } of [...updated, ...created.map((c) => ({ before: undefined, after: c }))]) {
    const diff = membershipDiff(b?.segmentIds ?? [], a.segmentIds);
    if (diff.entered.length > 0 || diff.left.length > 0) {
      events.push({ type: 'segment_membership_changed', profileId: a.id, entered: diff.entered, left: diff.left, segmentIds: a.segmentIds });
    }
  }

  // 7. What happened to each identifier.
  const outcomes: IdentifierOutcome[] = [...blockedOutcomes];
  for (const item of usable) {
    const holder = owner.get(item.id.key);
    const resolution: IdentifierResolution =
      holder !== targetId
        ? 'CONFLICT'
        : newlyBound.has(item.id.key)
          ? 'LINKED'
          : args.holders.get(item.id.key)?.id === targetId
            ? 'MATCHED'
            : 'MERGED';
    for (const index of item.indexes) {
      outcomes.push({ index, id: item.id, resolution, profileId: resolution === 'CONFLICT' ? (holder ?? '') : targetId });
    }
  }

  const matchType: MatchType = createdId ? 'CREATED' : merges.length > 0 ? 'STITCHED' : 'MATCHED';
  return {
    result: {
      profile: target,
      matchType,
      assurance,
      created: createdId !== undefined,
      merges,
      linked,
      conflicts,
      outcomes: sortOutcomes(outcomes),
    },
    changes: { created, updated, keyInserts, keyMoves, mergesCreated: merges, mergesUpdated: [], events },
  };
}

/** Joins repeated identifiers of one request, keeping the strongest proof. */
function dedupe(observed: readonly ObservedIdentifier[]): Item[] {
  const byKey = new Map<string, Item>();
  for (const o of observed) {
    const seen = byKey.get(o.id.key);
    if (seen) byKey.set(o.id.key, { id: seen.id, proof: maxAssurance(seen.proof, o.proof), indexes: [...seen.indexes, o.index] });
    else byKey.set(o.id.key, { id: o.id, proof: o.proof, indexes: [o.index] });
  }
  return [...byKey.values()];
}

function conflictKind(refusal: string): ConflictKind {
  switch (refusal) {
    case 'VERIFIED_LOGIN_CONFLICT':
      return 'VERIFIED_LOGIN';
    case 'IDENTIFIER_LIMIT_EXCEEDED':
      return 'IDENTIFIER_LIMIT';
    case 'INSUFFICIENT_PROOF':
      return 'INSUFFICIENT_PROOF';
    default:
      return 'MERGE_NOT_ALLOWED';
  }
}

function sortOutcomes(outcomes: IdentifierOutcome[]): IdentifierOutcome[] {
  return outcomes.sort((a, b) => a.index - b.index);
}

/** A change set that changes nothing. */
export function emptyChanges(): ChangeSet {
  return { created: [], updated: [], keyInserts: [], keyMoves: [], mergesCreated: [], mergesUpdated: [], events: [] };
}
