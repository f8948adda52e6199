/**
 * Conversions between the protos, the stored documents and the domain's shapes. Enum numbers are
 * the proto's; the domain and the documents use lower_snake names.
 */
import { commonV1, routingV1 } from '@continuum/contracts';
import type {
  AgentDefinition,
  CandidateNote,
  ChannelId,
  Explanation,
  PreferenceKind,
  Presence,
  QueueDefinition,
  RoutingPolicy,
  Stage,
  TaskOutcome,
  TaskStatus,
  TaskView,
} from './domain/model';
import type { AgentView } from './domain/engine';
import { scopedId, type AgentDoc, type PolicyDoc, type QueueDoc, type StoredExplanation, type TaskDoc } from './store/documents';

const C = commonV1.Channel;
const CHANNEL_PAIRS: [commonV1.Channel, ChannelId][] = [
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
const CHANNEL_FROM = new Map(CHANNEL_PAIRS);
const CHANNEL_TO = new Map(CHANNEL_PAIRS.map(([a, b]) => [b, a]));

/** The domain channel of a (validated) proto channel. */
export function channelOf(channel: commonV1.Channel): ChannelId {
  const c = CHANNEL_FROM.get(channel);
  if (c === undefined) throw new Error(`unmapped channel ${channel}`);
  return c;
}

export function channelToProto(channel: ChannelId): commonV1.Channel {
  return CHANNEL_TO.get(channel) ?? C.CHANNEL_UNSPECIFIED;
}

const P = routingV1.Presence;
const PRESENCE_PAIRS: [routingV1.Presence, Presence][] = [
  [P.PRESENCE_AVAILABLE, 'available'],
  [P.PRESENCE_BUSY, 'busy'],
  [P.PRESENCE_WRAP_UP, 'wrap_up'],
  [P.PRESENCE_AWAY, 'away'],
  [P.PRESENCE_OFFLINE, 'offline'],
];
const PRESENCE_FROM = new Map(PRESENCE_PAIRS);
const PRESENCE_TO = new Map(PRESENCE_PAIRS.map(([a, b]) => [b, a]));
export const presenceOf = (p: routingV1.Presence): Presence => PRESENCE_FROM.get(p) ?? 'offline';
export const presenceToProto = (p: Presence): routingV1.Presence => PRESENCE_TO.get(p) ?? P.PRESENCE_UNSPECIFIED;

const STATUS: Record<TaskStatus, routingV1.TaskStatus> = {
  waiting: routingV1.TaskStatus.TASK_STATUS_WAITING,
  offered: routingV1.TaskStatus.TASK_STATUS_OFFERED,
  assigned: routingV1.TaskStatus.TASK_STATUS_ASSIGNED,
  completed: routingV1.TaskStatus.TASK_STATUS_COMPLETED,
  abandoned: routingV1.TaskStatus.TASK_STATUS_ABANDONED,
};
export const statusToProto = (s: TaskStatus): routingV1.TaskStatus => STATUS[s];
export function statusOf(s: routingV1.TaskStatus): TaskStatus | undefined {
  return (Object.keys(STATUS) as TaskStatus[]).find((k) => STATUS[k] === s);
}

const STAGE: Record<Stage, routingV1.RoutingStage> = {
  preferred: routingV1.RoutingStage.ROUTING_STAGE_PREFERRED_AGENT,
  team: routingV1.RoutingStage.ROUTING_STAGE_TEAM,
  queue: routingV1.RoutingStage.ROUTING_STAGE_QUEUE,
};
export const stageToProto = (s: Stage): routingV1.RoutingStage => STAGE[s];

const PREFERENCE: Record<PreferenceKind, routingV1.PreferenceKind> = {
  case_owner: routingV1.PreferenceKind.PREFERENCE_KIND_CASE_OWNER,
  requested: routingV1.PreferenceKind.PREFERENCE_KIND_REQUESTED,
  last_agent: routingV1.PreferenceKind.PREFERENCE_KIND_LAST_AGENT,
};
export const preferenceToProto = (p: PreferenceKind | undefined | null): routingV1.PreferenceKind =>
  p ? PREFERENCE[p] : routingV1.PreferenceKind.PREFERENCE_KIND_UNSPECIFIED;

const VERDICT: Record<CandidateNote['verdict'], routingV1.CandidateVerdict> = {
  selected: routingV1.CandidateVerdict.CANDIDATE_VERDICT_SELECTED,
  rejected: routingV1.CandidateVerdict.CANDIDATE_VERDICT_REJECTED,
  ranked_lower: routingV1.CandidateVerdict.CANDIDATE_VERDICT_RANKED_LOWER,
};

export const outcomeOf = (o: routingV1.TaskOutcome): TaskOutcome => (o === routingV1.TaskOutcome.TASK_OUTCOME_RESOLVED ? 'resolved' : 'unresolved');
export const outcomeToProto = (o: TaskOutcome | undefined | null): routingV1.TaskOutcome =>
  o === 'resolved' ? routingV1.TaskOutcome.TASK_OUTCOME_RESOLVED : o === 'unresolved' ? routingV1.TaskOutcome.TASK_OUTCOME_UNRESOLVED : routingV1.TaskOutcome.TASK_OUTCOME_UNSPECIFIED;

const date = (ms: number | undefined | null): Date | undefined => (ms === undefined || ms === null ? undefined : new Date(ms));

// ------------------------------------------------------------------ queues

export function queueDefOf(doc: QueueDoc): QueueDefinition {
  return {
    id: doc.queueId,
    channel: doc.channel,
    priority: doc.priority,
    patienceMs: doc.patienceMs,
    serviceLevel: { fraction: doc.serviceLevelFraction, thresholdMs: doc.serviceLevelThresholdMs },
    requiredSkills: doc.requiredSkills,
  };
}

export function queueToProto(doc: QueueDoc): routingV1.Queue {
  return {
    queueId: doc.queueId,
    displayName: doc.displayName,
    channel: channelToProto(doc.channel),
    serviceLevel: { fraction: doc.serviceLevelFraction, thresholdSeconds: Math.round(doc.serviceLevelThresholdMs / 1000) },
    patienceSeconds: Math.round(doc.patienceMs / 1000),
    requiredSkills: doc.requiredSkills.map((r) => ({ skill: r.skill, minProficiency: r.minProficiency })),
    priority: doc.priority,
    createTime: doc.createTime,
    updateTime: doc.updateTime,
  };
}

/** A queue document from a validated proto (times set by the caller). */
export function queueDocOf(q: routingV1.Queue, tenantId: string, createTime: Date, updateTime: Date): QueueDoc {
  return {
    _id: scopedId(tenantId, q.queueId),
    tenantId,
    queueId: q.queueId,
    displayName: q.displayName,
    channel: channelOf(q.channel),
    priority: q.priority,
    patienceMs: q.patienceSeconds * 1000,
    serviceLevelFraction: q.serviceLevel?.fraction ?? 0.8,
    serviceLevelThresholdMs: (q.serviceLevel?.thresholdSeconds ?? 20) * 1000,
    requiredSkills: q.requiredSkills.map((r) => ({ skill: r.skill, minProficiency: r.minProficiency || 1 })),
    createTime,
    updateTime,
  };
}

// ------------------------------------------------------------------ agents

export function agentDefOf(doc: Pick<AgentDoc, 'agentId' | 'teamId' | 'skills' | 'capacities'>): AgentDefinition {
  return {
    id: doc.agentId,
    teamId: doc.teamId,
    skills: new Map(doc.skills.map((s) => [s.skill, s.proficiency])),
    capacity: new Map(doc.capacities.map((c) => [c.channel, c.maxConcurrent])),
  };
}

export function agentDocOf(a: routingV1.Agent, tenantId: string, presence: Presence, presenceTime: Date, createTime: Date, updateTime: Date): AgentDoc {
  return {
    _id: scopedId(tenantId, a.agentId),
    tenantId,
    agentId: a.agentId,
    displayName: a.displayName,
    teamId: a.teamId,
    skills: a.skills.map((s) => ({ skill: s.skill, proficiency: s.proficiency })),
    capacities: a.capacities.map((c) => ({ channel: channelOf(c.channel), maxConcurrent: c.maxConcurrent })),
    presence,
    presenceTime,
    createTime,
    updateTime,
  };
}

export function agentToProto(doc: AgentDoc, live: AgentView | undefined): routingV1.Agent {
  return {
    agentId: doc.agentId,
    displayName: doc.displayName,
    teamId: doc.teamId,
    skills: doc.skills.map((s) => ({ skill: s.skill, proficiency: s.proficiency })),
    capacities: doc.capacities.map((c) => ({ channel: channelToProto(c.channel), maxConcurrent: c.maxConcurrent })),
    presence: presenceToProto(live?.presence ?? doc.presence),
    connected: live?.connected ?? false,
    load: (live?.load ?? []).map((l) => ({ channel: channelToProto(l.channel), active: l.active, effectiveMaxConcurrent: l.effectiveMax })),
    createTime: doc.createTime,
    updateTime: doc.updateTime,
  };
}

// ------------------------------------------------------------------ policy

export function policyOf(doc: PolicyDoc): RoutingPolicy {
  return {
    version: doc.version,
    agingPointsPerPatience: doc.agingPointsPerPatience,
    preferredAgentWindowMs: doc.preferredAgentWindowMs,
    teamWindowMs: doc.teamWindowMs,
    rings: doc.rings,
    segmentRules: doc.segmentRules.map((r) => ({
      segmentId: r.segmentId,
      priorityBoost: r.priorityBoost,
      firstRingMinProficiency: r.firstRingMinProficiency,
      capacityOverrides: new Map(r.capacityOverrides.map((o) => [o.channel, o.maxConcurrent])),
    })),
    rejectCooldownMs: doc.rejectCooldownMs,
  };
}

export function policyDocOf(p: routingV1.RoutingPolicy, tenantId: string, version: number, updateTime: Date): PolicyDoc {
  return {
    _id: scopedId(tenantId, 'policy'),
    tenantId,
    version,
    agingPointsPerPatience: p.agingPointsPerPatience,
    preferredAgentWindowMs: p.preferredAgentWindowSeconds * 1000,
    teamWindowMs: p.teamWindowSeconds * 1000,
    rings: p.rings.map((r) => ({ afterMs: r.afterSeconds * 1000, proficiencyRelax: r.proficiencyRelax, dropSecondarySkills: r.dropSecondarySkills })),
    segmentRules: p.segmentRules.map((r) => ({
      segmentId: r.segmentId,
      priorityBoost: r.priorityBoost,
      firstRingMinProficiency: r.firstRingMinProficiency,
      capacityOverrides: r.capacityOverrides.map((o) => ({ channel: channelOf(o.channel), maxConcurrent: o.maxConcurrent })),
    })),
    rejectCooldownMs: p.rejectCooldownSeconds * 1000,
    updateTime,
  };
}

export function policyToProto(p: RoutingPolicy, updateTime: Date | undefined): routingV1.RoutingPolicy {
  return {
    version: p.version,
    agingPointsPerPatience: p.agingPointsPerPatience,
    preferredAgentWindowSeconds: Math.round(p.preferredAgentWindowMs / 1000),
    teamWindowSeconds: Math.round(p.teamWindowMs / 1000),
    rings: p.rings.map((r) => ({ afterSeconds: Math.round(r.afterMs / 1000), proficiencyRelax: r.proficiencyRelax, dropSecondarySkills: r.dropSecondarySkills })),
    segmentRules: p.segmentRules.map((r) => ({
      segmentId: r.segmentId,
      priorityBoost: r.priorityBoost,
      firstRingMinProficiency: r.firstRingMinProficiency,
      capacityOverrides: [...r.capacityOverrides].map(([channel, maxConcurrent]) => ({ channel: channelToProto(channel), maxConcurrent })),
    })),
    rejectCooldownSeconds: Math.round(p.rejectCooldownMs / 1000),
    updateTime,
  };
}

// ------------------------------------------------------------------ tasks and explanations

export function storedExplanationOf(e: Explanation): StoredExplanation {
  return {
    decidedAt: e.decidedAt,
    stage: e.stage,
    preferredAgentId: e.preferredAgentId,
    preference: e.preference ?? null,
    teamId: e.teamId,
    ring: e.ring,
    requirements: e.requirements.map((r) => ({ skill: r.skill, minProficiency: r.minProficiency })),
    priority: { ...e.priority },
    contextAvailable: e.contextAvailable,
    candidates: e.candidates.map((c) => ({ ...c })),
    selectedAgentId: e.selectedAgentId,
    summary: e.summary,
    trail: [...e.trail],
    nextReviewAt: e.nextReviewAt ?? null,
    policyVersion: e.policyVersion,
    segmentIds: [...e.segmentIds],
  };
}

export function explanationOfStored(e: StoredExplanation): Explanation {
  return { ...e, preference: e.preference ?? undefined, nextReviewAt: e.nextReviewAt ?? undefined };
}

export function explanationToProto(e: Explanation | StoredExplanation): routingV1.Explanation {
  return {
    decideTime: new Date(e.decidedAt),
    stage: stageToProto(e.stage),
    preferredAgentId: e.preferredAgentId,
    preference: preferenceToProto(e.preference),
    teamId: e.teamId,
    ring: e.ring,
    requirements: e.requirements.map((r) => ({ skill: r.skill, minProficiency: r.minProficiency })),
    priority: {
      queuePriority: e.priority.queuePriority,
      priorityHint: e.priority.priorityHint,
      segmentBoost: e.priority.segmentBoost,
      aging: e.priority.aging,
      effective: e.priority.effective,
    },
    contextAvailable: e.contextAvailable,
    candidates: e.candidates.map((c) => ({
      agentId: c.agentId,
      verdict: VERDICT[c.verdict],
      reason: c.reason,
      detail: c.detail,
      proficiency: c.proficiency,
      idleSince: c.idleSince > 0 ? new Date(c.idleSince) : undefined,
    })),
    selectedAgentId: e.selectedAgentId,
    trail: [...e.trail],
    nextReviewTime: date(e.nextReviewAt),
    policyVersion: e.policyVersion,
    segmentIds: [...e.segmentIds],
    summary: e.summary,
  };
}

/** The stored form of a task as the engine sees it. */
export function taskDocOf(view: TaskView, requestId: string, fingerprint: string, now: Date): Omit<TaskDoc, 'tenantId'> {
  const s = view.submission;
  return {
    _id: s.id,
    requestId,
    fingerprint,
    status: view.status,
    queueId: s.queueId,
    channel: view.channel,
    agentId: view.agentId,
    offerId: view.offerId,
    offerCount: view.offerCount,
    submission: {
      requiredSkills: s.requiredSkills.map((r) => ({ skill: r.skill, minProficiency: r.minProficiency })),
      profileId: s.profileId,
      caseId: s.caseId,
      priorityHint: s.priorityHint,
      segmentIds: [...s.segmentIds],
      intent: s.intent,
      requestedAgentId: s.requestedAgentId,
      caseOwnerAgentId: s.caseOwnerAgentId,
      caseTeamId: s.caseTeamId,
      lastAgentId: s.lastAgentId,
      contextAvailable: s.contextAvailable,
    },
    createTime: new Date(s.submittedAt),
    offeredAt: date(view.offeredAt) ?? null,
    offerExpiresAt: date(view.offerExpiresAt) ?? null,
    acceptedAt: date(view.acceptedAt) ?? null,
    endedAt: date(view.endedAt) ?? null,
    outcome: view.outcome ?? null,
    wrapUpCode: view.wrapUpCode,
    basePriority: view.basePriority,
    preferredAgentId: view.preferredAgentId,
    preference: view.preference ?? null,
    explanation: storedExplanationOf(view.explanation),
    updateTime: now,
  };
}

/** A stored task as the engine's view (to restore it, or to answer for an ended one). */
export function taskViewOfDoc(doc: TaskDoc): TaskView {
  const s = doc.submission;
  return {
    submission: { id: doc._id, queueId: doc.queueId, submittedAt: doc.createTime.getTime(), ...s },
    channel: doc.channel,
    status: doc.status,
    agentId: doc.agentId,
    offerId: doc.offerId,
    offerCount: doc.offerCount,
    offeredAt: doc.offeredAt?.getTime(),
    offerExpiresAt: doc.offerExpiresAt?.getTime(),
    acceptedAt: doc.acceptedAt?.getTime(),
    endedAt: doc.endedAt?.getTime(),
    outcome: doc.outcome ?? undefined,
    wrapUpCode: doc.wrapUpCode,
    basePriority: doc.basePriority,
    preferredAgentId: doc.preferredAgentId,
    preference: doc.preference ?? undefined,
    explanation: explanationOfStored(doc.explanation),
  };
}

export function taskToProto(view: TaskView): routingV1.Task {
  const s = view.submission;
  return {
    taskId: s.id,
    queueId: s.queueId,
    channel: channelToProto(view.channel),
    status: statusToProto(view.status),
    requiredSkills: s.requiredSkills.map((r) => ({ skill: r.skill, minProficiency: r.minProficiency })),
    profileId: s.profileId,
    caseId: s.caseId,
    priorityHint: s.priorityHint,
    segmentIds: [...s.segmentIds],
    intent: s.intent,
    agentId: view.agentId,
    offerId: view.offerId,
    offerExpireTime: view.status === 'offered' ? date(view.offerExpiresAt) : undefined,
    createTime: new Date(s.submittedAt),
    acceptTime: date(view.acceptedAt),
    endTime: date(view.endedAt),
    outcome: outcomeToProto(view.outcome),
    wrapUpCode: view.wrapUpCode,
    explanation: explanationToProto(view.explanation),
    offerCount: view.offerCount,
    requestedAgentId: s.requestedAgentId,
  };
}
