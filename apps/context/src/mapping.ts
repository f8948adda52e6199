// Translation between the wire (generated proto types, numeric enums) and the domain (string
// unions, plain dates). Nothing else in the service knows the proto enum numbers.
import { commonV1, contextV1 } from '@continuum/contracts';
import type {
  ActiveJourneyView,
  Assurance,
  CapturedFact,
  Case,
  CaseStatus,
  Channel,
  ContextView,
  Direction,
  JourneyDefinition,
  JourneyInstance,
  JourneyStatus,
  Outcome,
  Purpose,
  Sensitivity,
  Touchpoint,
} from './domain';

const C = commonV1.Channel;
const CHANNELS: ReadonlyArray<[commonV1.Channel, Channel]> = [
  [C.CHANNEL_WEB, 'web'],
  [C.CHANNEL_MOBILE_APP, 'mobile_app'],
  [C.CHANNEL_IVR, 'ivr'],
  [C.CHANNEL_VOICE, 'voice'],
  [C.CHANNEL_CHAT, 'chat'],
  [C.CHANNEL_EMAIL, 'email'],
  [C.CHANNEL_SMS, 'sms'],
  [C.CHANNEL_SOCIAL, 'social'],
  [C.CHANNEL_MESSAGING, 'messaging'],
  [C.CHANNEL_STORE, 'store'],
  [C.CHANNEL_VIDEO, 'video'],
];
const D = commonV1.Direction;
const DIRECTIONS: ReadonlyArray<[commonV1.Direction, Direction]> = [
  [D.DIRECTION_INBOUND, 'inbound'],
  [D.DIRECTION_OUTBOUND, 'outbound'],
  [D.DIRECTION_INTERNAL, 'internal'],
];
const A = commonV1.AssuranceLevel;
const ASSURANCES: ReadonlyArray<[commonV1.AssuranceLevel, Assurance]> = [
  [A.ASSURANCE_LEVEL_NONE, 'none'],
  [A.ASSURANCE_LEVEL_ASSERTED, 'asserted'],
  [A.ASSURANCE_LEVEL_VERIFIED, 'verified'],
  [A.ASSURANCE_LEVEL_STRONG, 'strong'],
];
const P = commonV1.Purpose;
const PURPOSES: ReadonlyArray<[commonV1.Purpose, Purpose]> = [
  [P.PURPOSE_SERVICE, 'service'],
  [P.PURPOSE_MARKETING, 'marketing'],
  [P.PURPOSE_PERSONALIZATION, 'personalization'],
  [P.PURPOSE_ANALYTICS, 'analytics'],
  [P.PURPOSE_PROFILING, 'profiling'],
  [P.PURPOSE_RECORDING, 'recording'],
  [P.PURPOSE_THIRD_PARTY_SHARING, 'third_party_sharing'],
];
const S = contextV1.FactSensitivity;
const SENSITIVITIES: ReadonlyArray<[contextV1.FactSensitivity, Sensitivity]> = [
  [S.FACT_SENSITIVITY_NORMAL, 'normal'],
  [S.FACT_SENSITIVITY_PERSONAL, 'personal'],
  [S.FACT_SENSITIVITY_SENSITIVE, 'sensitive'],
];
const O = contextV1.TouchpointOutcome;
const OUTCOMES: ReadonlyArray<[contextV1.TouchpointOutcome, Outcome]> = [
  [O.TOUCHPOINT_OUTCOME_RESOLVED, 'resolved'],
  [O.TOUCHPOINT_OUTCOME_UNRESOLVED, 'unresolved'],
  [O.TOUCHPOINT_OUTCOME_TRANSFERRED, 'transferred'],
  [O.TOUCHPOINT_OUTCOME_ESCALATED, 'escalated'],
  [O.TOUCHPOINT_OUTCOME_ABANDONED, 'abandoned'],
];
const J = contextV1.JourneyStatus;
const JOURNEY_STATUSES: ReadonlyArray<[contextV1.JourneyStatus, JourneyStatus]> = [
  [J.JOURNEY_STATUS_ACTIVE, 'active'],
  [J.JOURNEY_STATUS_COMPLETED, 'completed'],
  [J.JOURNEY_STATUS_ABANDONED, 'abandoned'],
];
const K = contextV1.CaseStatus;
const CASE_STATUSES: ReadonlyArray<[contextV1.CaseStatus, CaseStatus]> = [
  [K.CASE_STATUS_OPEN, 'open'],
  [K.CASE_STATUS_PENDING, 'pending'],
  [K.CASE_STATUS_CLOSED, 'closed'],
];

/** A two-way lookup between proto enum numbers and domain names. */
function table<W extends number, N extends string>(pairs: ReadonlyArray<[W, N]>) {
  const toDomain = new Map<number, N>(pairs);
  const toWire = new Map<N, W>(pairs.map(([w, n]) => [n, w]));
  return {
    /** The domain name, or undefined for UNSPECIFIED and unknown numbers. */
    domain: (wire: number | undefined): N | undefined => (wire === undefined ? undefined : toDomain.get(wire)),
    /** The proto number (0 = UNSPECIFIED for undefined). */
    wire: (name: N | undefined): W => (name === undefined ? 0 : (toWire.get(name) ?? 0)) as W,
  };
}

export const channels = table(CHANNELS);
export const directions = table(DIRECTIONS);
export const assurances = table(ASSURANCES);
export const purposes = table(PURPOSES);
export const sensitivities = table(SENSITIVITIES);
export const outcomes = table(OUTCOMES);
export const journeyStatuses = table(JOURNEY_STATUSES);
export const caseStatuses = table(CASE_STATUSES);

/** Milliseconds of a google.protobuf.Duration (undefined when unset). */
export function durationToMs(d: { seconds: number; nanos: number } | undefined): number | undefined {
  if (!d) return undefined;
  return d.seconds * 1000 + Math.trunc(d.nanos / 1_000_000);
}

/** A google.protobuf.Duration of `ms` milliseconds. */
function msToDuration(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.trunc(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function factToWire(f: CapturedFact): contextV1.Fact {
  return {
    key: f.key,
    value: f.value,
    sensitivity: sensitivities.wire(f.sensitivity),
    sourceChannel: channels.wire(f.sourceChannel),
    capturedAt: f.capturedAt,
    touchpointId: f.touchpointId,
  };
}

export function touchpointToWire(t: Touchpoint): contextV1.Touchpoint {
  return wireTouchpoint(t, false);
}

/**
 * A touchpoint as its TouchpointRecorded event carries it: without what stays in this service —
 * fact values, the summary and the attributes (free text typed by channels). Built in one pass:
 * every recorded touchpoint makes one.
 */
export function touchpointToEventWire(t: Touchpoint): contextV1.Touchpoint {
  return wireTouchpoint(t, true);
}

function wireTouchpoint(t: Touchpoint, forEvent: boolean): contextV1.Touchpoint {
  return {
    touchpointId: t.touchpointId,
    profileId: t.profileId,
    channel: channels.wire(t.channel),
    direction: directions.wire(t.direction),
    occurredAt: t.occurredAt,
    recordedAt: t.recordedAt,
    journeyDefinitionId: t.journeyDefinitionId ?? '',
    journeyStepId: t.journeyStepId ?? '',
    journeyId: t.journeyId ?? '',
    intent: t.intent ?? '',
    outcome: outcomes.wire(t.outcome),
    agentId: t.agentId ?? '',
    caseId: t.caseId ?? '',
    facts: forEvent ? t.facts.map(factKeyToWire) : t.facts.map(factToWire),
    assurance: assurances.wire(t.assurance),
    summary: forEvent ? '' : (t.summary ?? ''),
    attributes: forEvent ? {} : { ...t.attributes },
    originProfileId: t.originProfileId,
  };
}

/** A fact without its value. */
function factKeyToWire(f: CapturedFact): contextV1.Fact {
  return { ...factToWire(f), value: '' };
}

export function definitionToWire(d: JourneyDefinition): contextV1.JourneyDefinition {
  return {
    journeyDefinitionId: d.journeyDefinitionId,
    displayName: d.displayName,
    steps: d.steps.map((s) => ({ stepId: s.stepId, displayName: s.displayName, action: s.action, actionDescription: s.actionDescription })),
    completionStepId: d.completionStepId,
    abandonAfter: msToDuration(d.abandonAfterMs),
    intent: d.intent,
    version: d.version,
    createTime: d.createTime,
    updateTime: d.updateTime,
  };
}

export function journeyToWire(j: JourneyInstance): contextV1.JourneyInstance {
  return {
    journeyId: j.journeyId,
    profileId: j.profileId,
    journeyDefinitionId: j.journeyDefinitionId,
    currentStepId: j.currentStepId,
    status: journeyStatuses.wire(j.status),
    channelsUsed: j.channelsUsed.map((c) => channels.wire(c)),
    visits: j.visits.map((v) => ({ stepId: v.stepId, channel: channels.wire(v.channel), touchpointId: v.touchpointId, reachedAt: v.reachedAt })),
    startTime: j.startTime,
    lastActivityTime: j.lastActivityTime,
    endTime: j.endTime,
    originProfileId: j.originProfileId,
  };
}

export function caseToWire(c: Case): contextV1.Case {
  return {
    caseId: c.caseId,
    profileId: c.profileId,
    subject: c.subject,
    status: caseStatuses.wire(c.status),
    ownerAgentId: c.ownerAgentId,
    teamId: c.teamId,
    channels: c.channels.map((ch) => channels.wire(ch)),
    touchpointCount: c.touchpointCount,
    openTime: c.openTime,
    updateTime: c.updateTime,
    closeTime: c.closeTime,
    resolution: c.resolution,
    version: c.version,
    originProfileId: c.originProfileId,
  };
}

function activeJourneyToWire(j: ActiveJourneyView): contextV1.ActiveJourney {
  return {
    journeyId: j.journeyId,
    journeyDefinitionId: j.journeyDefinitionId,
    displayName: j.displayName,
    currentStepId: j.currentStepId,
    currentStepDisplayName: j.currentStepDisplayName,
    channelsUsed: j.channelsUsed.map((c) => channels.wire(c)),
    lastActivityTime: j.lastActivityTime,
    intent: j.intent,
    nextStepId: j.nextStepId,
    abandonTime: j.abandonTime,
  };
}

export function contextToWire(v: ContextView): contextV1.GetContextResponse {
  return {
    profile: {
      profileId: v.profile.profileId,
      anonymous: v.profile.anonymous,
      segmentIds: [...v.profile.segmentIds],
      bestAssurance: assurances.wire(v.profile.bestAssurance),
      knownToIdentity: v.profile.knownToIdentity,
      mergedProfileIds: [...v.profile.mergedProfileIds],
    },
    activeJourneys: v.activeJourneys.map(activeJourneyToWire),
    openCases: v.openCases.map(caseToWire),
    recentTouchpoints: v.recentTouchpoints.map(touchpointToWire),
    facts: v.facts.map(factToWire),
    withheldFactCount: v.withheldFactCount,
    likelyIntent: v.likelyIntent ? { intent: v.likelyIntent.intent, confidence: v.likelyIntent.confidence, source: v.likelyIntent.source } : undefined,
    lastAgentId: v.lastAgent?.agentId ?? '',
    lastAgentTime: v.lastAgent?.at,
    nextBestAction: v.nextBestAction ? { ...v.nextBestAction } : undefined,
    touchpointCount: v.touchpointCount,
    asOf: v.asOf,
  };
}
