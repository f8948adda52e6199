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

/** Both directions of one proto enum, by the domain's names (`IDENTIFIER_TYPE_PHONE` <-> `PHONE`), built once. */
function enumMapping<T extends string>(e: NumericEnum, prefix: string) {
  const byName = new Map<string, number>();
  const byValue = new Map<number, T>();
  for (const [name, value] of Object.entries(e)) {
    if (typeof value !== 'number' || value <= 0 || !name.startsWith(prefix)) continue;
    byName.set(name.slice(prefix.length), value);
    byValue.set(value, name.slice(prefix.length) as T);
  }
  return {
    /** The domain name of a value; undefined for 0 (unset) and values the proto does not define. */
    fromProto: (value: number): T | undefined => byValue.get(value),
    toProto: (name: T): number => {
      const value = byName.get(name);
      if (value === undefined) throw new Error(`no ${prefix}${name}`);
      return value;
    },
  };
}

// The barrels' namespace objects answer through getters: read each enum once.
const IdentifierTypeEnum = identityV1.IdentifierType;
const AssuranceEnum = commonV1.AssuranceLevel;
const OperatorEnum = identityV1.SegmentOperator;
const AutoMergeModeEnum = identityV1.AutoMergeMode;
const MatchTypeEnum = identityV1.MatchType;
const ResolutionEnum = identityV1.IdentifierResolution;
const ConflictKindEnum = identityV1.ConflictKind;
const MergeReasonEnum = identityV1.MergeReason;

const identifierTypes = enumMapping<IdentifierType>(IdentifierTypeEnum, 'IDENTIFIER_TYPE_');
const assurances = enumMapping<Assurance>(AssuranceEnum, 'ASSURANCE_LEVEL_');
const operators = enumMapping<SegmentOperator>(OperatorEnum, 'SEGMENT_OPERATOR_');
const autoMergeModes = enumMapping<AutoMergeMode>(AutoMergeModeEnum, 'AUTO_MERGE_MODE_');
const matchTypes = enumMapping<MatchType>(MatchTypeEnum, 'MATCH_TYPE_');
const resolutions = enumMapping<IdentifierResolution>(ResolutionEnum, 'IDENTIFIER_RESOLUTION_');
const conflictKinds = enumMapping<ConflictKind>(ConflictKindEnum, 'CONFLICT_KIND_');

export const identifierTypeFromProto = identifierTypes.fromProto;
const identifierTypeToProto = identifierTypes.toProto as (t: IdentifierType) => identityV1.IdentifierType;
export const assuranceFromProto = assurances.fromProto;
export const assuranceToProto = assurances.toProto as (a: Assurance) => commonV1.AssuranceLevel;
export const operatorFromProto = operators.fromProto;
const operatorToProto = operators.toProto as (o: SegmentOperator) => identityV1.SegmentOperator;
export const autoMergeModeFromProto = autoMergeModes.fromProto;
const autoMergeModeToProto = autoMergeModes.toProto as (m: AutoMergeMode) => identityV1.AutoMergeMode;
const matchTypeToProto = matchTypes.toProto as (m: MatchType) => identityV1.MatchType;
const resolutionToProto = resolutions.toProto as (r: IdentifierResolution) => identityV1.IdentifierResolution;
const conflictKindToProto = conflictKinds.toProto as (k: ConflictKind) => identityV1.ConflictKind;

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
    reason: m.reason === 'STITCH' ? MergeReasonEnum.MERGE_REASON_STITCH : MergeReasonEnum.MERGE_REASON_EXPLICIT,
    rule: m.rule,
    evidence: m.evidence.map(evidenceToProto),
    actor: m.actor,
    mergeTime: m.mergeTime,
    unmergeTime: m.unmergeTime,
    unmergeActor: m.unmergeActor ?? '',
  };
}

function conditionToProto(c: SegmentCondition): identityV1.SegmentCondition {
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
