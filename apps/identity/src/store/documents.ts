import type { BaseDocument } from '@continuum/store';
import {
  identifierKey,
  type Assurance,
  type AutoMergeMode,
  type IdentifierRule,
  type IdentifierState,
  type IdentifierType,
  type JsonValue,
  type MergePolicy,
  type MergeReason,
  type MergeRecordState,
  type NormalizedIdentifier,
  type ProfileState,
  type SegmentCondition,
  type SegmentDefinition,
  type Traits,
} from '../domain';

/** Collection names of the identity service (prefixed: one database may hold every service). */
export const COLLECTIONS = {
  profiles: 'identity_profiles',
  merges: 'identity_merges',
  segments: 'identity_segments',
  policies: 'identity_policies',
  requests: 'identity_requests',
} as const;

/** One identifier inside a profile document. */
export interface IdentifierDocument {
  type: IdentifierType;
  /** Present for CUSTOM only. */
  customType?: string;
  value: string;
  verifiedLevel: Assurance;
  linkedAt: Date;
  lastSeenAt: Date;
}

/**
 * A profile. `keys` (the identifiers' match keys) carries the unique multikey index that makes one
 * identifier belong to one profile per tenant, even under concurrent writers; it is absent (not
 * empty) when the profile holds no identifier, so that empty profiles never collide in the index.
 */
export interface ProfileDocument extends BaseDocument {
  keys?: string[];
  identifiers: IdentifierDocument[];
  traits: Traits;
  segmentIds: string[];
  createTime: Date;
  updateTime: Date;
  version: number;
  /** Set once merged into another profile (then `identifiers` is empty and `keys` absent). */
  mergedInto?: string;
}

/** A merge record, with what is needed to undo it. */
export interface MergeDocument extends BaseDocument {
  /** Both profiles, for "the merge history of a profile" through one multikey index. */
  profileIds: [string, string];
  survivorId: string;
  mergedId: string;
  reason: MergeReason;
  rule: string;
  evidence: Omit<IdentifierDocument, 'verifiedLevel' | 'linkedAt' | 'lastSeenAt'>[];
  actor: string;
  mergeTime: Date;
  unmergeTime?: Date;
  unmergeActor?: string;
  mergedSnapshot: ProfileSnapshot;
  movedKeys: string[];
  filledTraits: Traits;
}

/** A profile as a merge record keeps it (the document without tenant and keys). */
export type ProfileSnapshot = Omit<ProfileDocument, 'tenantId' | 'keys'>;

export interface SegmentDocument extends BaseDocument {
  /** The tenant's segment id (unique per tenant); `_id` is generated, never the caller's. */
  segmentId: string;
  displayName: string;
  conditions: { trait: string; operator: SegmentCondition['operator']; value: JsonValue }[];
  version: number;
  updateTime: Date;
}

export interface PolicyDocument extends BaseDocument {
  /** Always `policy`: one per tenant (unique per tenant). */
  name: 'policy';
  defaultPhoneRegion: string;
  autoMergeMode: AutoMergeMode;
  minStitchAssurance: Assurance;
  rules: IdentifierRule[];
  version: number;
  updateTime: Date;
  updateActor: string;
}

/** The first answer of a mutating call with a request id, so that a retry gets it again. */
export interface RequestDocument extends BaseDocument {
  /** `<method>:<request_id>`, unique per tenant. */
  requestKey: string;
  /** Hash of the request without its request id: the same id with another request is refused. */
  fingerprint: string;
  /** The encoded response, base64. */
  response: string;
  /** Profiles the answer mentions, so that erasing a profile also erases the stored answers. */
  profileIds: string[];
  createdAt: Date;
}

// ---- mapping ----------------------------------------------------------------------------------

function identifierToDocument(i: IdentifierState): IdentifierDocument {
  return {
    type: i.type,
    ...(i.type === 'CUSTOM' ? { customType: i.customType } : {}),
    value: i.value,
    verifiedLevel: i.verifiedLevel,
    linkedAt: i.linkedAt,
    lastSeenAt: i.lastSeenAt,
  };
}

function identifierFromDocument(d: IdentifierDocument): IdentifierState {
  const customType = d.customType ?? '';
  return {
    type: d.type,
    customType,
    value: d.value,
    key: identifierKey(d.type, customType, d.value),
    verifiedLevel: d.verifiedLevel,
    linkedAt: d.linkedAt,
    lastSeenAt: d.lastSeenAt,
  };
}

export function profileToDocument(p: ProfileState): Omit<ProfileDocument, 'tenantId'> {
  const identifiers = p.identifiers.map(identifierToDocument);
  return {
    _id: p.id,
    ...(p.identifiers.length > 0 ? { keys: p.identifiers.map((i) => i.key) } : {}),
    identifiers,
    traits: p.traits as Traits,
    segmentIds: [...p.segmentIds],
    createTime: p.createTime,
    updateTime: p.updateTime,
    version: p.version,
    ...(p.mergedInto !== undefined ? { mergedInto: p.mergedInto } : {}),
  };
}

export function profileFromDocument(d: ProfileSnapshot): ProfileState {
  return {
    id: d._id,
    identifiers: d.identifiers.map(identifierFromDocument),
    traits: d.traits,
    segmentIds: d.segmentIds,
    createTime: d.createTime,
    updateTime: d.updateTime,
    version: d.version,
    ...(d.mergedInto !== undefined ? { mergedInto: d.mergedInto } : {}),
  };
}

function evidenceToDocument(i: NormalizedIdentifier) {
  return { type: i.type, ...(i.type === 'CUSTOM' ? { customType: i.customType } : {}), value: i.value };
}

export function mergeToDocument(m: MergeRecordState): Omit<MergeDocument, 'tenantId'> {
  const { keys: _keys, ...snapshot } = profileToDocument(m.mergedSnapshot);
  return {
    _id: m.id,
    profileIds: [m.survivorId, m.mergedId],
    survivorId: m.survivorId,
    mergedId: m.mergedId,
    reason: m.reason,
    rule: m.rule,
    evidence: m.evidence.map(evidenceToDocument),
    actor: m.actor,
    mergeTime: m.mergeTime,
    ...(m.unmergeTime ? { unmergeTime: m.unmergeTime, unmergeActor: m.unmergeActor ?? '' } : {}),
    mergedSnapshot: snapshot,
    movedKeys: [...m.movedKeys],
    filledTraits: m.filledTraits as Traits,
  };
}

export function mergeFromDocument(d: MergeDocument): MergeRecordState {
  return {
    id: d._id,
    survivorId: d.survivorId,
    mergedId: d.mergedId,
    reason: d.reason,
    rule: d.rule,
    evidence: d.evidence.map((e) => {
      const customType = e.customType ?? '';
      return { type: e.type, customType, value: e.value, key: identifierKey(e.type, customType, e.value) };
    }),
    actor: d.actor,
    mergeTime: d.mergeTime,
    ...(d.unmergeTime ? { unmergeTime: d.unmergeTime, unmergeActor: d.unmergeActor ?? '' } : {}),
    mergedSnapshot: profileFromDocument(d.mergedSnapshot),
    movedKeys: d.movedKeys,
    filledTraits: d.filledTraits,
  };
}

export function segmentFromDocument(d: SegmentDocument): SegmentDefinition {
  return { id: d.segmentId, displayName: d.displayName, conditions: d.conditions, version: d.version, updateTime: d.updateTime };
}

export function policyFromDocument(d: PolicyDocument): MergePolicy {
  return {
    defaultPhoneRegion: d.defaultPhoneRegion,
    autoMergeMode: d.autoMergeMode,
    minStitchAssurance: d.minStitchAssurance,
    rules: d.rules,
    version: d.version,
    updateTime: d.updateTime,
    updateActor: d.updateActor,
  };
}
