/**
 * What routing stores: queues, agents, the policy, tasks and idempotency records, one collection
 * each, every document carrying its tenant (added by the store's tenant scope). Times are Dates;
 * durations are milliseconds.
 */
import type { BaseDocument } from '@continuum/store';
import type {
  CandidateNote,
  ChannelId,
  PreferenceKind,
  Presence,
  PriorityBreakdown,
  SkillRequirement,
  Stage,
  TaskOutcome,
  TaskStatus,
} from '../domain/model';

export const COLLECTIONS = {
  queues: 'routing_queues',
  agents: 'routing_agents',
  policies: 'routing_policies',
  tasks: 'routing_tasks',
  requests: 'routing_requests',
} as const;

/**
 * `_id` of a document named by a tenant-chosen id: ids are unique per collection across tenants
 * (MongoDB's `_id`), so the tenant is part of it; two tenants may both have a queue `chat`.
 */
export function scopedId(tenantId: string, id: string): string {
  return `${tenantId}:${id}`;
}

export interface QueueDoc extends BaseDocument {
  /** The queue id as the tenant named it (`_id` is scopedId(tenant, queueId)). */
  queueId: string;
  displayName: string;
  channel: ChannelId;
  priority: number;
  patienceMs: number;
  serviceLevelFraction: number;
  serviceLevelThresholdMs: number;
  requiredSkills: SkillRequirement[];
  createTime: Date;
  updateTime: Date;
}

export interface AgentDoc extends BaseDocument {
  /** The agent id as the tenant named it (`_id` is scopedId(tenant, agentId)). */
  agentId: string;
  displayName: string;
  teamId: string;
  skills: { skill: string; proficiency: number }[];
  capacities: { channel: ChannelId; maxConcurrent: number }[];
  presence: Presence;
  /** When the presence last changed (the idle clock restarts from it after a restart). */
  presenceTime: Date;
  createTime: Date;
  updateTime: Date;
}

export interface PolicyDoc extends BaseDocument {
  version: number;
  agingPointsPerPatience: number;
  preferredAgentWindowMs: number;
  teamWindowMs: number;
  rings: { afterMs: number; proficiencyRelax: number; dropSecondarySkills: boolean }[];
  segmentRules: {
    segmentId: string;
    priorityBoost: number;
    firstRingMinProficiency: number;
    capacityOverrides: { channel: ChannelId; maxConcurrent: number }[];
  }[];
  rejectCooldownMs: number;
  updateTime: Date;
}

/** An explanation as stored (times in ms since the epoch, nothing undefined). */
export interface StoredExplanation {
  decidedAt: number;
  stage: Stage;
  preferredAgentId: string;
  preference: PreferenceKind | null;
  teamId: string;
  ring: number;
  requirements: SkillRequirement[];
  priority: PriorityBreakdown;
  contextAvailable: boolean;
  candidates: CandidateNote[];
  selectedAgentId: string;
  summary: string;
  trail: string[];
  nextReviewAt: number | null;
  policyVersion: number;
  segmentIds: string[];
}

export interface TaskDoc extends BaseDocument {
  /** The submitter's request id (unique per tenant). */
  requestId: string;
  /** Hash of the submission, to tell a retry from a reuse of the request id. */
  fingerprint: string;
  status: TaskStatus;
  queueId: string;
  channel: ChannelId;
  /** Offered to or assigned to; empty while waiting. */
  agentId: string;
  offerId: string;
  offerCount: number;
  submission: {
    requiredSkills: SkillRequirement[];
    profileId: string;
    caseId: string;
    priorityHint: number;
    segmentIds: string[];
    intent: string;
    requestedAgentId: string;
    caseOwnerAgentId: string;
    caseTeamId: string;
    lastAgentId: string;
    contextAvailable: boolean;
  };
  createTime: Date;
  offeredAt: Date | null;
  offerExpiresAt: Date | null;
  acceptedAt: Date | null;
  endedAt: Date | null;
  outcome: TaskOutcome | null;
  wrapUpCode: string;
  basePriority: number;
  preferredAgentId: string;
  preference: PreferenceKind | null;
  explanation: StoredExplanation;
  updateTime: Date;
}

/** The first answer to a mutating call with a request id, replayed to its retries. */
export interface RequestDoc extends BaseDocument {
  fingerprint: string;
  /** The encoded response message, base64. */
  response: string;
  createTime: Date;
}
