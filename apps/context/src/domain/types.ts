// The context domain's own vocabulary. Stored documents and domain logic speak these small string
// unions; server.ts maps them to and from the proto enums at the edge.

/** A channel through which a customer and the company interact. */
export type Channel =
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

/** Which way an interaction went. */
export type Direction = 'inbound' | 'outbound' | 'internal';

/** How sure a recognition was, weakest first (the order matters: see assuranceRank). */
export type Assurance = 'none' | 'asserted' | 'verified' | 'strong';

/** Why data is used (the caller's declared purpose). */
export type Purpose =
  | 'service'
  | 'marketing'
  | 'personalization'
  | 'analytics'
  | 'profiling'
  | 'recording'
  | 'third_party_sharing';

/** How sensitive a fact is. */
export type Sensitivity = 'normal' | 'personal' | 'sensitive';

/** How a touchpoint ended. */
export type Outcome = 'resolved' | 'unresolved' | 'transferred' | 'escalated' | 'abandoned';

export type JourneyStatus = 'active' | 'completed' | 'abandoned';

export type CaseStatus = 'open' | 'pending' | 'closed';

/** One fact captured in a touchpoint. */
export interface CapturedFact {
  readonly key: string;
  readonly value: string;
  readonly sensitivity: Sensitivity;
  readonly sourceChannel: Channel;
  readonly capturedAt: Date;
  readonly touchpointId: string;
}

/** One thing that happened on one channel. */
export interface Touchpoint {
  readonly touchpointId: string;
  /** The profile it belongs to now (the survivor after a merge). */
  readonly profileId: string;
  /** The profile it was first recorded for; an unmerge moves it back there. */
  readonly originProfileId: string;
  readonly channel: Channel;
  readonly direction: Direction;
  readonly occurredAt: Date;
  readonly recordedAt: Date;
  readonly journeyDefinitionId?: string;
  readonly journeyStepId?: string;
  readonly journeyId?: string;
  readonly intent?: string;
  readonly outcome?: Outcome;
  readonly agentId?: string;
  readonly caseId?: string;
  readonly facts: readonly CapturedFact[];
  readonly assurance?: Assurance;
  readonly summary?: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface JourneyStepDefinition {
  readonly stepId: string;
  readonly displayName: string;
  readonly action: string;
  readonly actionDescription: string;
}

export interface JourneyDefinition {
  readonly journeyDefinitionId: string;
  readonly displayName: string;
  readonly steps: readonly JourneyStepDefinition[];
  /** Always set: the last step when the definition named none. */
  readonly completionStepId: string;
  readonly abandonAfterMs: number;
  readonly intent: string;
  readonly version: number;
  readonly createTime: Date;
  readonly updateTime: Date;
}

export interface JourneyStepVisit {
  readonly stepId: string;
  readonly channel: Channel;
  readonly touchpointId: string;
  readonly reachedAt: Date;
}

export interface JourneyInstance {
  readonly journeyId: string;
  readonly profileId: string;
  readonly originProfileId: string;
  readonly journeyDefinitionId: string;
  readonly currentStepId: string;
  readonly status: JourneyStatus;
  readonly channelsUsed: readonly Channel[];
  /** Ordered by reachedAt, ties by touchpoint id. */
  readonly visits: readonly JourneyStepVisit[];
  readonly startTime: Date;
  readonly lastActivityTime: Date;
  readonly endTime?: Date;
}

export interface Case {
  readonly caseId: string;
  readonly profileId: string;
  readonly originProfileId: string;
  readonly subject: string;
  readonly status: CaseStatus;
  readonly ownerAgentId: string;
  readonly teamId: string;
  readonly channels: readonly Channel[];
  readonly touchpointCount: number;
  readonly openTime: Date;
  readonly updateTime: Date;
  readonly closeTime?: Date;
  readonly resolution: string;
  readonly version: number;
}

/** What this service knows of a profile from identity's events. */
export interface ProfileView {
  readonly profileId: string;
  readonly anonymous: boolean;
  readonly segmentIds: readonly string[];
  /** Best verified level among the identifiers identity reported. */
  readonly bestAssurance: Assurance;
  /** Set while this profile is merged into another. */
  readonly mergedIntoProfileId?: string;
  /** Profiles merged into this one (directly). */
  readonly mergedProfileIds: readonly string[];
  readonly knownToIdentity: boolean;
}

const ASSURANCE_ORDER: readonly Assurance[] = ['none', 'asserted', 'verified', 'strong'];

/** Rank of an assurance level (none = 0 ... strong = 3). */
export function assuranceRank(level: Assurance | undefined): number {
  return level === undefined ? -1 : ASSURANCE_ORDER.indexOf(level);
}

/** The stronger of two assurance levels. */
export function strongerAssurance(a: Assurance | undefined, b: Assurance | undefined): Assurance | undefined {
  return assuranceRank(a) >= assuranceRank(b) ? a : b;
}
