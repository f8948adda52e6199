/**
 * The routing domain's vocabulary. Pure data: the engine and its callers agree on these shapes;
 * the server maps them to and from the protos, so domain/ never sees a generated type.
 * Times are milliseconds since the Unix epoch, read from the injected clock.
 */

/** Channels, as the proto's common.v1.Channel without the prefix. */
export type ChannelId =
  | 'web'
  | 'mobile_app'
  | 'ivr'
  | 'voice'
  | 'chat'
  | 'email'
  | 'sms'
  | 'social'
  | 'messaging'
  | 'store'
  | 'video';

/** Every channel, in a fixed order (per-channel counts are kept in arrays indexed by it). */
export const CHANNELS: readonly ChannelId[] = ['web', 'mobile_app', 'ivr', 'voice', 'chat', 'email', 'sms', 'social', 'messaging', 'store', 'video'];
export const CHANNEL_INDEX: Readonly<Record<ChannelId, number>> = Object.fromEntries(CHANNELS.map((c, i) => [c, i])) as Record<ChannelId, number>;

/**
 * Channels where the customer is there right now. They share one budget per agent (a call
 * excludes chats); the others are asynchronous and fill the gaps (see capacity.ts).
 */
export const REAL_TIME_CHANNELS: ReadonlySet<ChannelId> = new Set<ChannelId>(['voice', 'video', 'chat', 'store']);

export type Presence = 'available' | 'busy' | 'wrap_up' | 'away' | 'offline';

export interface SkillRequirement {
  readonly skill: string;
  /** 1..10 */
  readonly minProficiency: number;
}

export interface QueueDefinition {
  readonly id: string;
  readonly channel: ChannelId;
  /** 0..100, higher first. */
  readonly priority: number;
  /** Aging reference: how long a customer of this channel is expected to wait before giving up. */
  readonly patienceMs: number;
  readonly serviceLevel: { readonly fraction: number; readonly thresholdMs: number };
  /** The first one is the primary skill, never dropped by a ring. */
  readonly requiredSkills: readonly SkillRequirement[];
}

export interface AgentDefinition {
  readonly id: string;
  /** Empty: no team. */
  readonly teamId: string;
  /** skill → proficiency 1..10 */
  readonly skills: ReadonlyMap<string, number>;
  /** channel → tasks at once (absent or 0: does not work the channel) */
  readonly capacity: ReadonlyMap<ChannelId, number>;
}

export interface SegmentRule {
  readonly segmentId: string;
  readonly priorityBoost: number;
  /** 0: no change to the first ring. */
  readonly firstRingMinProficiency: number;
  /** channel → max concurrent tasks of that channel while serving the segment (1 = exclusive). */
  readonly capacityOverrides: ReadonlyMap<ChannelId, number>;
}

export interface RingStep {
  /** Time after reaching the queue stage when the ring opens. */
  readonly afterMs: number;
  readonly proficiencyRelax: number;
  readonly dropSecondarySkills: boolean;
}

export interface RoutingPolicy {
  readonly version: number;
  readonly agingPointsPerPatience: number;
  readonly preferredAgentWindowMs: number;
  readonly teamWindowMs: number;
  /** Sorted by afterMs, strictly increasing. */
  readonly rings: readonly RingStep[];
  readonly segmentRules: readonly SegmentRule[];
  readonly rejectCooldownMs: number;
}

export type PreferenceKind = 'case_owner' | 'requested' | 'last_agent';

/** A task as submitted, enriched with what context said (or not). Stored as is for restarts. */
export interface TaskSubmission {
  readonly id: string;
  readonly queueId: string;
  /** Beyond the queue's; the larger minimum wins. */
  readonly requiredSkills: readonly SkillRequirement[];
  readonly profileId: string;
  readonly caseId: string;
  readonly priorityHint: number;
  readonly segmentIds: readonly string[];
  readonly intent: string;
  readonly requestedAgentId: string;
  /** From context: the owner of the customer's open case. */
  readonly caseOwnerAgentId: string;
  /** From context: the case's team. */
  readonly caseTeamId: string;
  /** From context: who last handled the customer. */
  readonly lastAgentId: string;
  /** False when context could not be asked. */
  readonly contextAvailable: boolean;
  readonly submittedAt: number;
}

export type TaskStatus = 'waiting' | 'offered' | 'assigned' | 'completed' | 'abandoned';
export type Stage = 'preferred' | 'team' | 'queue';
export type CandidateVerdict = 'selected' | 'rejected' | 'ranked_lower';
export type TaskOutcome = 'resolved' | 'unresolved';

export interface CandidateNote {
  readonly agentId: string;
  readonly verdict: CandidateVerdict;
  /** UPPER_SNAKE */
  readonly reason: string;
  readonly detail: string;
  /** Proficiency in the primary skill (0 when not relevant). */
  readonly proficiency: number;
  readonly idleSince: number;
}

export interface PriorityBreakdown {
  readonly queuePriority: number;
  readonly priorityHint: number;
  readonly segmentBoost: number;
  readonly aging: number;
  readonly effective: number;
}

export interface Explanation {
  readonly decidedAt: number;
  readonly stage: Stage;
  readonly preferredAgentId: string;
  readonly preference: PreferenceKind | undefined;
  readonly teamId: string;
  readonly ring: number;
  readonly requirements: readonly SkillRequirement[];
  readonly priority: PriorityBreakdown;
  readonly contextAvailable: boolean;
  readonly candidates: readonly CandidateNote[];
  /** Empty: nobody, the task waits. */
  readonly selectedAgentId: string;
  /** The decision in one sentence. */
  readonly summary: string;
  readonly trail: readonly string[];
  /** When the task will be looked at again by itself (undefined: only when an agent frees up). */
  readonly nextReviewAt: number | undefined;
  readonly policyVersion: number;
  readonly segmentIds: readonly string[];
}

/** The engine's view of one live or ended task: what the server stores and answers with. */
export interface TaskView {
  readonly submission: TaskSubmission;
  readonly channel: ChannelId;
  readonly status: TaskStatus;
  /** Offered to or assigned to (empty while waiting). */
  readonly agentId: string;
  readonly offerId: string;
  readonly offerCount: number;
  readonly offeredAt: number | undefined;
  readonly offerExpiresAt: number | undefined;
  readonly acceptedAt: number | undefined;
  readonly endedAt: number | undefined;
  readonly outcome: TaskOutcome | undefined;
  readonly wrapUpCode: string;
  readonly basePriority: number;
  readonly preferredAgentId: string;
  readonly preference: PreferenceKind | undefined;
  readonly explanation: Explanation;
}

/** What an engine operation caused, for the server to persist, publish and push to streams. */
export type RoutingEffect =
  | { readonly kind: 'offered'; readonly task: TaskView; readonly agentId: string; readonly offerId: string }
  | { readonly kind: 'accepted'; readonly task: TaskView; readonly agentId: string; readonly offerId: string }
  | {
      readonly kind: 'rejected';
      readonly task: TaskView;
      readonly agentId: string;
      readonly offerId: string;
      readonly reason: string;
    }
  | {
      readonly kind: 'timed_out';
      readonly task: TaskView;
      readonly agentId: string;
      readonly offerId: string;
      readonly openMs: number;
    }
  | { readonly kind: 'completed'; readonly task: TaskView; readonly agentId: string }
  | {
      readonly kind: 'abandoned';
      readonly task: TaskView;
      /** The agent whose open offer was withdrawn, or empty. */
      readonly offeredAgentId: string;
      readonly offerId: string;
    }
  | { readonly kind: 'presence_changed'; readonly agentId: string; readonly presence: Presence; readonly reason: string };
