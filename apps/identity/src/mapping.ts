/**
 * Between the domain's vocabulary and the wire: proto enums are numbers prefixed with their type
 * name (`IDENTIFIER_TYPE_PHONE = 1`), the domain uses the readable suffix (`PHONE`).
 */
import { commonV1, identityV1 } from '@continuum/contracts';
import { isAnonymous } from './domain';
import type {
  Assurance,
  AutoMergeMode,
  ConflictKind,
  IdentifierOutcome,
  IdentifierResolution,
  IdentifierRule,
  IdentifierState,
  IdentifierType,
  JsonValue,
  MatchType,
  MergePolicy,
  MergeRecordState,
  NormalizedIdentifier,
  ProfileState,
  ResolveConflict,
  SegmentCondition,
  SegmentDefinition,
  SegmentOperator,
} from './domain';

type NumericEnum = Record<string, string | number>;

/** The domain name of a proto enum value (`IDENTIFIER_TYPE_PHONE` -> `PHONE`), or undefined for 0 and unknown values. */
function fromProto<T extends string>(e: NumericEnum, prefix: string, value: number): T | undefined {
  const name = e[value];
  if (typeof name !== 'string' || value <= 0) return undefined;
  return name.slice(prefix.length) as T;
}

function toProto(e: NumericEnum, prefix: string, name: string): number {
  const value = e[`${prefix}${name}`];
  if (typeof value !== 'number') throw new Error(`no ${prefix}${name}`);
  return value;
}

const IT = 'IDENTIFIER_TYPE_';
const AL = 'ASSURANCE_LEVEL_';
const SO = 'SEGMENT_OPERATOR_';
const AM = 'AUTO_MERGE_MODE_';

export const identifierTypeFromProto = (v: number) => fromProto<IdentifierType>(identityV1.IdentifierType, IT, v);
export const identifierTypeToProto = (t: IdentifierType): identityV1.IdentifierType => toProto(identityV1.IdentifierType, IT, t);
export const assuranceFromProto = (v: number) => fromProto<Assurance>(commonV1.AssuranceLevel, AL, v);
export const assuranceToProto = (a: Assurance): commonV1.AssuranceLevel => toProto(commonV1.AssuranceLevel, AL, a);
export const operatorFromProto = (v: number) => fromProto<SegmentOperator>(identityV1.SegmentOperator, SO, v);
export const operatorToProto = (o: SegmentOperator): identityV1.SegmentOperator => toProto(identityV1.SegmentOperator, SO, o);
export const autoMergeModeFromProto = (v: number) => fromProto<AutoMergeMode>(identityV1.AutoMergeMode, AM, v);
export const autoMergeModeToProto = (m: AutoMergeMode): identityV1.AutoMergeMode => toProto(identityV1.AutoMergeMode, AM, m);
const matchTypeToProto = (m: MatchType): identityV1.MatchType => toProto(identityV1.MatchType, 'MATCH_TYPE_', m);
const resolutionToProto = (r: IdentifierResolution): identityV1.IdentifierResolution =>
  toProto(identityV1.IdentifierResolution, 'IDENTIFIER_RESOLUTION_', r);
const conflictKindToProto = (k: ConflictKind): identityV1.ConflictKind => toProto(identityV1.ConflictKind, 'CONFLICT_KIND_', k);

export function identifierToProto(i: IdentifierState): identityV1.Identifier {
  return {
    type: identifierTypeToProto(i.type),
    customType: i.customType,
    value: i.value,
    verifiedLevel: assuranceToProto(i.verifiedLevel),
    linkedAt: i.linkedAt,
    lastSeenAt: i.lastSeenAt,
  };
}

/** Evidence identifiers carry no proof or times of their own. */
function evidenceToProto(i: NormalizedIdentifier): identityV1.Identifier {
  return { type: identifierTypeToProto(i.type), customType: i.customType, value: i.value, verifiedLevel: 0, linkedAt: undefined, lastSeenAt: undefined };
}

export function profileToProto(p: ProfileState): identityV1.Profile {
  return {
    profileId: p.id,
    anonymous: isAnonymous(p.identifiers),
    identifiers: p.identifiers.map(identifierToProto),
    traits: p.traits as Record<string, unknown>,
    segmentIds: [...p.segmentIds],
    createTime: p.createTime,
    updateTime: p.updateTime,
    version: p.version,
    mergedIntoProfileId: p.mergedInto ?? '',
  };
}

export function mergeToProto(m: MergeRecordState): identityV1.MergeRecord {
  return {
    mergeId: m.id,
    survivingProfileId: m.survivorId,
    mergedProfileId: m.mergedId,
    reason: m.reason === 'STITCH' ? identityV1.MergeReason.MERGE_REASON_STITCH : identityV1.MergeReason.MERGE_REASON_EXPLICIT,
    rule: m.rule,
    evidence: m.evidence.map(evidenceToProto),
    actor: m.actor,
    mergeTime: m.mergeTime,
    unmergeTime: m.unmergeTime,
    unmergeActor: m.unmergeActor ?? '',
  };
}

export function conditionToProto(c: SegmentCondition): identityV1.SegmentCondition {
  return { trait: c.trait, operator: operatorToProto(c.operator), value: c.value };
}

export function segmentToProto(s: SegmentDefinition): identityV1.Segment {
  return { segmentId: s.id, displayName: s.displayName, conditions: s.conditions.map(conditionToProto), version: s.version, updateTime: s.updateTime };
}

function ruleToProto(r: IdentifierRule): identityV1.IdentifierRule {
  return {
    type: identifierTypeToProto(r.type),
    customType: r.customType,
    maxPerProfile: r.maxPerProfile,
    priority: r.priority,
    blockedValues: [...r.blockedValues],
  };
}

export function policyToProto(p: MergePolicy): identityV1.MergePolicy {
  return {
    defaultPhoneRegion: p.defaultPhoneRegion,
    autoMergeMode: autoMergeModeToProto(p.autoMergeMode),
    minStitchAssurance: assuranceToProto(p.minStitchAssurance),
    identifierRules: p.rules.map(ruleToProto),
    version: p.version,
    updateTime: p.updateTime,
    updateActor: p.updateActor ?? '',
  };
}

export function conflictToProto(c: ResolveConflict): identityV1.ResolveConflict {
  return { kind: conflictKindToProto(c.kind), profileIds: [...c.profileIds], identifierIndexes: [...c.identifierIndexes], description: c.description };
}

export function outcomeToProto(o: IdentifierOutcome): identityV1.IdentifierOutcome {
  return {
    index: o.index,
    type: identifierTypeToProto(o.id.type),
    customType: o.id.customType,
    normalizedValue: o.id.value,
    resolution: resolutionToProto(o.resolution),
    profileId: o.profileId,
  };
}

export { matchTypeToProto };

/** A proto Value as ts-proto gives it (already a JSON value), typed for the domain. */
export function jsonFromProto(value: unknown): JsonValue {
  return value === undefined ? null : (value as JsonValue);
}
