import { IDEMPOTENCY_WINDOW_SEC } from '@continuum/kit';
import type { BaseDocument, DocumentStore, IndexSpec, TenantCollection } from '@continuum/store';
import type { Assurance, CapturedFact, Case, JourneyDefinition, JourneyInstance, Touchpoint } from '../domain';

// The context service's collections. Client-chosen keys (touchpoint ids, definition ids, request
// ids) live in unique per-tenant indexes, never in `_id` (which is global across tenants).

export const TOUCHPOINTS = 'context_touchpoints';
export const FACTS = 'context_facts';
export const JOURNEY_DEFINITIONS = 'context_journey_definitions';
export const JOURNEYS = 'context_journeys';
export const CASES = 'context_cases';
export const PROFILES = 'context_profiles';
export const REQUESTS = 'context_requests';

export type TouchpointDoc = BaseDocument & Touchpoint;

/** The latest value of one fact key captured for one origin profile. */
export type FactDoc = BaseDocument &
  CapturedFact & {
    profileId: string;
    originProfileId: string;
  };

export type JourneyDefinitionDoc = BaseDocument & JourneyDefinition;

export type JourneyDoc = BaseDocument &
  JourneyInstance & {
    /** When an active instance will be abandoned if nothing happens (for the sweeper); unset otherwise. */
    abandonAt?: Date;
  };

export type CaseDoc = BaseDocument & Case;

/**
 * One profile as this service knows it: the read model of identity's events plus the timeline
 * summary kept on every recording (so GetContext reads one document instead of counting).
 */
export interface ProfileDoc extends BaseDocument {
  profileId: string;
  knownToIdentity: boolean;
  anonymous: boolean;
  segmentIds: string[];
  bestAssurance: Assurance;
  mergedIntoProfileId?: string;
  mergedProfileIds: string[];
  /** The identity profile version the read model reflects (older events are ignored). */
  identityVersion: number;
  /** Set once identity erased the profile: nothing may be recorded for it again. */
  erased?: boolean;
  touchpointCount: number;
  /** Increases on every change of the summary fields (touchpointCount, last agent, best assurance): optimistic concurrency of recordings. */
  summaryVersion?: number;
  /**
   * Left by earlier versions, which kept the newest timeline keys here: ignored (GetContext walks
   * the timeline index), and unset by the next summary write.
   */
  recent?: unknown;
  lastAgentId?: string;
  lastAgentAt?: Date;
  bestTouchpointAssurance?: Assurance;
}

/** The first answer of an idempotent request. */
export interface RequestDoc extends BaseDocument {
  /** `<method>:<request_id>`. */
  key: string;
  /** The id of the resource the first call produced. */
  resourceId: string;
  /** A hash of the request, to refuse a reused id with other content. */
  requestHash: string;
  /** The result the first call answered with. */
  result: unknown;
  createdAt: Date;
}

const INDEXES: ReadonlyArray<[string, IndexSpec[]]> = [
  [
    TOUCHPOINTS,
    [
      { key: { touchpointId: 1 }, unique: true, name: 'touchpoint_id' },
      { key: { profileId: 1, occurredAt: 1, touchpointId: 1 }, name: 'timeline' },
      // Most touchpoints belong to no journey or case: sparse keeps them out of these indexes.
      { key: { profileId: 1, journeyId: 1 }, name: 'journey', sparse: true },
      { key: { caseId: 1, occurredAt: 1 }, name: 'case', sparse: true },
      { key: { originProfileId: 1 }, name: 'origin' },
    ],
  ],
  [
    FACTS,
    [
      { key: { originProfileId: 1, key: 1 }, unique: true, name: 'origin_key' },
      { key: { profileId: 1 }, name: 'profile' },
    ],
  ],
  [JOURNEY_DEFINITIONS, [{ key: { journeyDefinitionId: 1 }, unique: true, name: 'definition_id' }]],
  [
    JOURNEYS,
    [
      { key: { journeyId: 1 }, unique: true, name: 'journey_id' },
      { key: { profileId: 1, status: 1 }, name: 'profile_status' },
      { key: { profileId: 1, journeyDefinitionId: 1 }, name: 'profile_definition' },
      { key: { status: 1, abandonAt: 1 }, name: 'abandon' },
      { key: { originProfileId: 1 }, name: 'origin' },
    ],
  ],
  [
    CASES,
    [
      { key: { caseId: 1 }, unique: true, name: 'case_id' },
      { key: { profileId: 1, openTime: -1 }, name: 'profile' },
      { key: { ownerAgentId: 1, openTime: -1 }, name: 'owner' },
      { key: { originProfileId: 1 }, name: 'origin' },
    ],
  ],
  [
    PROFILES,
    [
      { key: { profileId: 1 }, unique: true, name: 'profile_id' },
      { key: { mergedIntoProfileId: 1 }, name: 'merged_into' },
    ],
  ],
  [REQUESTS, [{ key: { key: 1 }, unique: true, name: 'request_key' }]],
];

/** Declares every collection of the context service and its indexes (idempotent). */
export async function defineContextCollections(store: DocumentStore): Promise<void> {
  for (const [name, indexes] of INDEXES) {
    // A retry is answered from the stored first answer for a day; then the record is gone.
    await store.defineCollection(name, indexes, name === REQUESTS ? { expireAfter: { field: 'createdAt', seconds: IDEMPOTENCY_WINDOW_SEC } } : undefined);
  }
}

/** Removes the store's bookkeeping fields from a document, leaving the domain object. */
export function strip<T extends BaseDocument>(doc: T): Omit<T, '_id' | 'tenantId'> {
  const { _id: _ignoredId, tenantId: _ignoredTenant, ...rest } = doc;
  return rest;
}

/** Documents by values of a unique field, in one read, stripped and keyed by that value (those not found are missing). */
export async function byUniqueField<T extends BaseDocument, K extends keyof T & string>(
  col: TenantCollection<T>,
  field: K,
  values: readonly string[],
): Promise<Map<string, Omit<T, '_id' | 'tenantId'>>> {
  const out = new Map<string, Omit<T, '_id' | 'tenantId'>>();
  if (values.length === 0) return out;
  for (const doc of await col.find({ [field]: values.length === 1 ? values[0] : { $in: [...values] } })) out.set(String(doc[field]), strip(doc));
  return out;
}
