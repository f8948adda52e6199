/**
 * Request validation: every field of every request is checked before anything is read or
 * written, and every bad field is named (`identifiers[0].value`) in one INVALID_ARGUMENT.
 */
import { commonV1, identityV1 } from '@continuum/contracts';
import { Violations } from '@continuum/kit';
import {
  IdentifierFormatError,
  POLICY_LIMITS,
  SEGMENT_ID,
  SEGMENT_LIMITS,
  TRAIT_LIMITS,
  TRAIT_NAME,
  conditionProblems,
  isKnownRegion,
  normalizeIdentifier,
  traitProblems,
  type Assurance,
  type IdentifierRule,
  type IdentifierType,
  type MergePolicy,
  type NormalizedIdentifier,
  type ObservedIdentifier,
  type SegmentCondition,
  type SegmentDefinition,
  type Traits,
} from './domain';
import {
  assuranceFromProto,
  autoMergeModeFromProto,
  identifierTypeFromProto,
  jsonFromProto,
  operatorFromProto,
} from './mapping';

// The barrels' namespace objects answer through getters: read each enum once.
const IdentifierTypeEnum = identityV1.IdentifierType;
const OperatorEnum = identityV1.SegmentOperator;
const ChannelEnum = commonV1.Channel;

export const PROFILE_ID = /^prf_[A-Za-z0-9]{1,64}$/;
export const MERGE_ID = /^mrg_[A-Za-z0-9]{1,64}$/;
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const CUSTOM_TYPE = /^[a-z][a-z0-9_]{0,39}$/;
export const LIMITS = { identifiersPerRequest: 20, batchGet: 100, maxPageSize: 500, privacyRequestId: 128 } as const;

/** A profile id field: required and shaped like one (`prf_...`). */
export function checkProfileId(v: Violations, field: string, value: string): void {
  if (v.required(field, value)) v.pattern(field, value, PROFILE_ID, 'a profile id (prf_...)');
}

/** A segment id field of GetSegment / DeleteSegment: required and lower-kebab. */
export function checkSegmentId(v: Violations, value: string): void {
  if (v.required('segment_id', value)) v.pattern('segment_id', value, SEGMENT_ID, 'a segment id (lower-kebab)');
}

/** The optional client request id of a mutating call. */
export function checkRequestId(v: Violations, value: string): void {
  if (value !== '') v.pattern('request_id', value, REQUEST_ID, '1-64 characters of A-Z a-z 0-9 _ . : -');
}

/** Page size 0..500 (0: the default, 50), and the page asked for. */
export function checkPage(v: Violations, req: { pageSize: number; pageToken: string }): { pageSize: number; pageToken: string } {
  v.range('page_size', req.pageSize, 0, LIMITS.maxPageSize);
  return { pageSize: req.pageSize === 0 ? 50 : req.pageSize, pageToken: req.pageToken };
}

export function checkExpectedVersion(v: Violations, value: number): void {
  if (value < 0) v.add('expected_version', 'must not be negative', 'OUT_OF_RANGE');
}

function checkType(v: Violations, field: string, type: number, customType: string): IdentifierType | undefined {
  // The hot path of Resolve: one map lookup instead of the generic enum check.
  const domainType = identifierTypeFromProto(type);
  if (domainType === undefined) {
    v.requiredEnum(`${field}.type`, type, IdentifierTypeEnum);
    return undefined;
  }
  if (domainType === 'CUSTOM') {
    if (v.required(`${field}.custom_type`, customType)) v.pattern(`${field}.custom_type`, customType, CUSTOM_TYPE, 'lower_snake, 1-40 characters');
  } else if (customType !== '') {
    v.add(`${field}.custom_type`, 'is only allowed for IDENTIFIER_TYPE_CUSTOM', 'NOT_ALLOWED');
  }
  return domainType;
}

/** Normalizes one identifier value, recording a violation on `field` when it does not parse. */
function normalizeField(v: Violations, field: string, type: IdentifierType, customType: string, value: string, region: string): NormalizedIdentifier | undefined {
  if (!v.required(field, value)) return undefined;
  try {
    return normalizeIdentifier(type, customType, value, { defaultRegion: region });
  } catch (error) {
    if (!(error instanceof IdentifierFormatError)) throw error;
    v.add(field, error.description, 'INVALID_FORMAT');
    return undefined;
  }
}

/** The identifiers of Resolve and LinkIdentifiers, normalized with the tenant's phone region. */
export function checkObservedIdentifiers(v: Violations, list: readonly identityV1.ObservedIdentifier[], region: string): ObservedIdentifier[] {
  if (list.length === 0) v.add('identifiers', 'at least one identifier is required', 'REQUIRED');
  if (!v.maxItems('identifiers', list, LIMITS.identifiersPerRequest)) return [];
  const observed: ObservedIdentifier[] = [];
  list.forEach((item, index) => {
    const field = `identifiers[${index}]`;
    const type = checkType(v, field, item.type, item.customType);
    let proof: Assurance = 'NONE';
    if (item.proof !== 0) {
      const known = assuranceFromProto(item.proof);
      if (known === undefined) v.add(`${field}.proof`, `unknown value ${item.proof}`, 'UNKNOWN_ENUM_VALUE');
      else proof = known;
    }
    if (type === undefined || v.violations.some((x) => x.field === `${field}.custom_type`)) {
      v.required(`${field}.value`, item.value);
      return;
    }
    const id = normalizeField(v, `${field}.value`, type, item.customType, item.value, region);
    if (id) observed.push({ index, id, proof });
  });
  return observed;
}

/** An identifier query of SearchProfiles, normalized. */
export function checkIdentifierQuery(v: Violations, q: identityV1.IdentifierQuery, region: string): NormalizedIdentifier | undefined {
  const type = checkType(v, 'identifier', q.type, q.customType);
  if (type === undefined || v.any) {
    v.required('identifier.value', q.value);
    return undefined;
  }
  return normalizeField(v, 'identifier.value', type, q.customType, q.value, region);
}

/** A segment condition (of a segment, or a trait search), in domain form. */
export function checkCondition(v: Violations, field: string, c: identityV1.SegmentCondition): SegmentCondition | undefined {
  const operator = v.requiredEnum(`${field}.operator`, c.operator, OperatorEnum) ? operatorFromProto(c.operator) : undefined;
  if (operator === undefined) {
    v.required(`${field}.trait`, c.trait);
    return undefined;
  }
  const condition: SegmentCondition = { trait: c.trait, operator, value: jsonFromProto(c.value) };
  const problems = conditionProblems(condition);
  for (const p of problems) v.add(`${field}.${p.field}`, p.description, p.field === 'trait' && c.trait === '' ? 'REQUIRED' : 'INVALID');
  return problems.length === 0 ? condition : undefined;
}

/** A segment definition of CreateSegment / UpdateSegment. */
export function checkSegment(v: Violations, segment: identityV1.Segment | undefined): Omit<SegmentDefinition, 'version' | 'updateTime'> | undefined {
  if (!segment) {
    v.add('segment', 'is required', 'REQUIRED');
    return undefined;
  }
  if (v.required('segment.segment_id', segment.segmentId)) {
    v.pattern('segment.segment_id', segment.segmentId, SEGMENT_ID, 'lower-kebab, starting with a letter, at most 63 characters');
  }
  v.maxLength('segment.display_name', segment.displayName, SEGMENT_LIMITS.maxDisplayName);
  if (segment.conditions.length === 0) v.add('segment.conditions', 'at least one condition is required', 'REQUIRED');
  v.maxItems('segment.conditions', segment.conditions, SEGMENT_LIMITS.maxConditions);
  const conditions = segment.conditions.slice(0, SEGMENT_LIMITS.maxConditions).map((c, i) => checkCondition(v, `segment.conditions[${i}]`, c));
  if (v.any) return undefined;
  return { id: segment.segmentId, displayName: segment.displayName, conditions: conditions as SegmentCondition[] };
}

/** The traits of UpdateTraits: names and shapes (the size after the change is checked by the domain). */
export function checkTraitUpdate(v: Violations, set: Record<string, unknown> | undefined, remove: readonly string[]): { set: Traits; remove: string[] } {
  const values = (set ?? {}) as Traits;
  const names = Object.keys(values);
  if (names.length === 0 && remove.length === 0) v.add('set', 'set or remove must name at least one trait', 'REQUIRED');
  if (names.length > TRAIT_LIMITS.maxNamesPerUpdate) v.add('set', `must set at most ${TRAIT_LIMITS.maxNamesPerUpdate} traits`, 'TOO_MANY');
  for (const p of traitProblems(values)) v.add(`set.${p.path}`, p.description, 'INVALID');
  v.maxItems('remove', remove, TRAIT_LIMITS.maxNamesPerUpdate);
  remove.slice(0, TRAIT_LIMITS.maxNamesPerUpdate).forEach((name, i) => {
    if (!TRAIT_NAME.test(name)) v.add(`remove[${i}]`, 'must be a trait name', 'INVALID_FORMAT');
    else if (Object.hasOwn(values, name)) v.add(`remove[${i}]`, 'is also set in the same request', 'CONFLICTING');
  });
  return { set: values, remove: [...remove] };
}

/** A policy of UpdateMergePolicy, with blocked values normalized under its own phone region. */
export function checkPolicy(v: Violations, p: identityV1.MergePolicy | undefined): Omit<MergePolicy, 'version' | 'updateTime' | 'updateActor'> | undefined {
  if (!p) {
    v.add('policy', 'is required', 'REQUIRED');
    return undefined;
  }
  const region = p.defaultPhoneRegion;
  if (!isKnownRegion(region)) v.add('policy.default_phone_region', 'must be an ISO 3166-1 alpha-2 region with phone numbering (ES, GB, US...) or empty', 'INVALID_FORMAT');
  const mode = autoMergeModeFromProto(p.autoMergeMode) ?? 'ANONYMOUS_ONLY';
  if (p.autoMergeMode !== 0 && autoMergeModeFromProto(p.autoMergeMode) === undefined) {
    v.add('policy.auto_merge_mode', `unknown value ${p.autoMergeMode}`, 'UNKNOWN_ENUM_VALUE');
  }
  let min: Assurance = 'VERIFIED';
  if (p.minStitchAssurance !== 0) {
    const known = assuranceFromProto(p.minStitchAssurance);
    if (known === undefined) v.add('policy.min_stitch_assurance', `unknown value ${p.minStitchAssurance}`, 'UNKNOWN_ENUM_VALUE');
    else min = known;
  }
  v.maxItems('policy.identifier_rules', p.identifierRules, POLICY_LIMITS.maxRules);
  const seen = new Set<string>();
  const rules: IdentifierRule[] = [];
  p.identifierRules.slice(0, POLICY_LIMITS.maxRules).forEach((r, i) => {
    const field = `policy.identifier_rules[${i}]`;
    const type = v.requiredEnum(`${field}.type`, r.type, IdentifierTypeEnum) ? identifierTypeFromProto(r.type) : undefined;
    if (type === 'CUSTOM') {
      if (r.customType !== '') v.pattern(`${field}.custom_type`, r.customType, CUSTOM_TYPE, 'lower_snake, 1-40 characters');
    } else if (r.customType !== '') v.add(`${field}.custom_type`, 'is only allowed for IDENTIFIER_TYPE_CUSTOM', 'NOT_ALLOWED');
    v.range(`${field}.max_per_profile`, r.maxPerProfile, 0, POLICY_LIMITS.maxPerProfile);
    v.range(`${field}.priority`, r.priority, 0, POLICY_LIMITS.maxPriority);
    v.maxItems(`${field}.blocked_values`, r.blockedValues, POLICY_LIMITS.maxBlockedValues);
    if (type === undefined) return;
    const slot = `${type}/${r.customType}`;
    if (seen.has(slot)) v.add(`${field}.type`, 'has a rule already (one rule per type and custom type)', 'DUPLICATE');
    seen.add(slot);
    const blocked: string[] = [];
    r.blockedValues.slice(0, POLICY_LIMITS.maxBlockedValues).forEach((value, j) => {
      // A blocked CUSTOM value without custom type applies to every custom type: normalize it as one.
      const id = normalizeField(v, `${field}.blocked_values[${j}]`, type, type === 'CUSTOM' && r.customType === '' ? 'any' : r.customType, value, isKnownRegion(region) ? region : '');
      if (id) blocked.push(id.value);
    });
    rules.push({ type, customType: type === 'CUSTOM' ? r.customType : '', maxPerProfile: r.maxPerProfile, priority: r.priority, blockedValues: [...new Set(blocked)] });
  });
  if (v.any) return undefined;
  return { defaultPhoneRegion: region, autoMergeMode: mode, minStitchAssurance: min, rules };
}

/** The channel of a Resolve: required and known. */
const CHANNELS = new Set(Object.values(ChannelEnum).filter((x): x is number => typeof x === 'number' && x > 0));
export function checkChannel(v: Violations, channel: number): void {
  if (!CHANNELS.has(channel)) v.requiredEnum('channel', channel, ChannelEnum);
}
