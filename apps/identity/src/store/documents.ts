import type { BaseDocument } from '@continuum/store';
import {
  parseIdentifierKey,
  type Assurance,
  type AutoMergeMode,
  type IdentifierRule,
  type IdentifierState,
  type JsonValue,
  type MergePolicy,
  type MergeReason,
  type MergeRecordState,
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

/**
 * One identifier inside a profile document. Kept small on purpose (the embedded store holds every
 * profile in memory): the match key carries type and value, times are epoch milliseconds.
 */
export interface IdentifierDocument {
  /** `type[/customType]:value`, normalized: the unique multikey index `identifiers.key`. */
  key: string;
  verifiedLevel: Assurance;
  /** Epoch ms. */
  linkedAt: number;
  /** Epoch ms. */
  lastSeenAt: number;
}

/**
 * A profile. The unique (sparse, multikey) index on `identifiers.key` makes one identifier belong
 * to one profile per tenant, also against concurrent writers.
 */
export interface ProfileDocument extends BaseDocument {
  identifiers: IdentifierDocument[];
  traits: Traits;
  /** Absent when the profile is in no segment. */
  segmentIds?: string[];
  createTime: Date;
  updateTime: Date;
  version: number;
  /** Set once merged into another profile (then `identifiers` is empty). */
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
  /** Match keys of the identifiers that proved it. */
  evidence: string[];
  actor: string;
  mergeTime: Date;
  unmergeTime?: Date;
  unmergeActor?: string;
  mergedSnapshot: ProfileSnapshot;
  movedKeys: string[];
  filledTraits: Traits;
}

/** A profile as a merge record keeps it (the document without tenant). */
export type ProfileSnapshot = Omit<ProfileDocument, 'tenantId'>;

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
  return { key: i.key, verifiedLevel: i.verifiedLevel, linkedAt: i.linkedAt.getTime(), lastSeenAt: i.lastSeenAt.getTime() };
}

function identifierFromDocument(d: IdentifierDocument): IdentifierState {
  return { ...parseIdentifierKey(d.key), verifiedLevel: d.verifiedLevel, linkedAt: new Date(d.linkedAt), lastSeenAt: new Date(d.lastSeenAt) };
}

export function profileToDocument(p: ProfileState): Omit<ProfileDocument, 'tenantId'> {
  return {
    _id: p.id,
    identifiers: p.identifiers.map(identifierToDocument),
    traits: p.traits as Traits,
    ...(p.segmentIds.length > 0 ? { segmentIds: [...p.segmentIds] } : {}),
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
    segmentIds: d.segmentIds ?? [],
    createTime: d.createTime,
    updateTime: d.updateTime,
    version: d.version,
    ...(d.mergedInto !== undefined ? { mergedInto: d.mergedInto } : {}),
  };
}

export function mergeToDocument(m: MergeRecordState): Omit<MergeDocument, 'tenantId'> {
  const snapshot = profileToDocument(m.mergedSnapshot);
  return {
    _id: m.id,
    profileIds: [m.survivorId, m.mergedId],
    survivorId: m.survivorId,
    mergedId: m.mergedId,
    reason: m.reason,
    rule: m.rule,
    evidence: m.evidence.map((e) => e.key),
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
    evidence: d.evidence.map(parseIdentifierKey),
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
