/**
 * Validation of every request field, before anything is read or written: each problem is a field
 * violation naming the field as in the proto (snake_case, with indexes).
 */
import { commonV1, routingV1 } from '@continuum/contracts';
import type { Violations } from '@continuum/kit';

export const LIMITS = {
  id: 128,
  displayName: 128,
  skills: 64,
  queueSkills: 16,
  capacities: 16,
  rings: 8,
  segmentRules: 32,
  segments: 32,
  pageSize: 500,
  reason: 64,
} as const;

/** Queue and skill ids: lower case, digits, `-` and `_`, starting with a letter or digit. */
export const SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Agent, team, profile, case and task ids: printable, no spaces. */
export const ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
const ID_RULE = 'letters, digits, and . _ : @ - (at most 128), no spaces';
/** Reason and wrap-up codes, intents. */
export const CODE = /^[a-z][a-z0-9_]{0,63}$/;

const CHANNELS = commonV1.Channel as unknown as Record<string, string | number>;
const PRESENCES = routingV1.Presence as unknown as Record<string, string | number>;
const STATUSES = routingV1.TaskStatus as unknown as Record<string, string | number>;
const OUTCOMES = routingV1.TaskOutcome as unknown as Record<string, string | number>;

function knownEnum(values: Record<string, string | number>, value: number): boolean {
  return Object.values(values).includes(value) && value > 0;
}

export function checkRequestId(v: Violations, requestId: string, required: boolean): void {
  if (required && !v.required('request_id', requestId)) return;
  if (v.maxLength('request_id', requestId, LIMITS.id)) v.pattern('request_id', requestId, ID, ID_RULE);
}

export function checkId(v: Violations, field: string, value: string, pattern: RegExp = ID): boolean {
  if (!v.required(field, value)) return false;
  return v.pattern(field, value, pattern, pattern === SLUG ? 'lower-case letters, digits, - and _ (at most 64)' : ID_RULE);
}

export function checkOptionalId(v: Violations, field: string, value: string, pattern: RegExp = ID): void {
  if (value !== '') v.pattern(field, value, pattern, ID_RULE);
}

export function checkPage(v: Violations, pageSize: number): void {
  v.range('page_size', pageSize, 0, LIMITS.pageSize);
}

function checkChannel(v: Violations, field: string, channel: number): boolean {
  return v.requiredEnum(field, channel, CHANNELS);
}

function checkRequirements(v: Violations, field: string, reqs: readonly routingV1.SkillRequirement[], max: number): void {
  if (!v.maxItems(field, reqs, max)) return;
  const seen = new Set<string>();
  reqs.forEach((r, i) => {
    if (checkId(v, `${field}[${i}].skill`, r.skill, SLUG) && seen.has(r.skill)) v.add(`${field}[${i}].skill`, 'appears twice', 'DUPLICATE');
    seen.add(r.skill);
    v.range(`${field}[${i}].min_proficiency`, r.minProficiency, 0, 10);
  });
}

function checkCapacities(v: Violations, field: string, caps: readonly routingV1.ChannelCapacity[], required: boolean): void {
  if (required && caps.length === 0) {
    v.add(field, 'at least one channel is required', 'REQUIRED');
    return;
  }
  if (!v.maxItems(field, caps, LIMITS.capacities)) return;
  const seen = new Set<number>();
  caps.forEach((c, i) => {
    if (checkChannel(v, `${field}[${i}].channel`, c.channel) && seen.has(c.channel)) v.add(`${field}[${i}].channel`, 'appears twice', 'DUPLICATE');
    seen.add(c.channel);
    if (c.maxConcurrent < 1 || c.maxConcurrent > 50) v.add(`${field}[${i}].max_concurrent`, 'must be between 1 and 50', 'OUT_OF_RANGE');
  });
}

export function checkQueue(v: Violations, q: routingV1.Queue | undefined): q is routingV1.Queue {
  if (!q) {
    v.add('queue', 'is required', 'REQUIRED');
    return false;
  }
  checkId(v, 'queue.queue_id', q.queueId, SLUG);
  if (v.required('queue.display_name', q.displayName)) v.maxLength('queue.display_name', q.displayName, LIMITS.displayName);
  checkChannel(v, 'queue.channel', q.channel);
  if (!q.serviceLevel) v.add('queue.service_level', 'is required', 'REQUIRED');
  else {
    const f = q.serviceLevel.fraction;
    if (!Number.isFinite(f) || f <= 0 || f > 1) v.add('queue.service_level.fraction', 'must be in (0, 1]', 'OUT_OF_RANGE');
    if (q.serviceLevel.thresholdSeconds < 1 || q.serviceLevel.thresholdSeconds > 86_400) {
      v.add('queue.service_level.threshold_seconds', 'must be between 1 and 86400', 'OUT_OF_RANGE');
    }
  }
  if (q.patienceSeconds < 1 || q.patienceSeconds > 86_400) v.add('queue.patience_seconds', 'must be between 1 and 86400', 'OUT_OF_RANGE');
  v.range('queue.priority', q.priority, 0, 100);
  checkRequirements(v, 'queue.required_skills', q.requiredSkills, LIMITS.queueSkills);
  return true;
}

export function checkAgent(v: Violations, a: routingV1.Agent | undefined): a is routingV1.Agent {
  if (!a) {
    v.add('agent', 'is required', 'REQUIRED');
    return false;
  }
  checkId(v, 'agent.agent_id', a.agentId);
  if (v.required('agent.display_name', a.displayName)) v.maxLength('agent.display_name', a.displayName, LIMITS.displayName);
  checkOptionalId(v, 'agent.team_id', a.teamId);
  if (v.maxItems('agent.skills', a.skills, LIMITS.skills)) {
    const seen = new Set<string>();
    a.skills.forEach((s, i) => {
      if (checkId(v, `agent.skills[${i}].skill`, s.skill, SLUG) && seen.has(s.skill)) v.add(`agent.skills[${i}].skill`, 'appears twice', 'DUPLICATE');
      seen.add(s.skill);
      if (s.proficiency < 1 || s.proficiency > 10) v.add(`agent.skills[${i}].proficiency`, 'must be between 1 and 10', 'OUT_OF_RANGE');
    });
  }
  checkCapacities(v, 'agent.capacities', a.capacities, true);
  return true;
}

export function checkPresence(v: Violations, presence: number): void {
  v.requiredEnum('presence', presence, PRESENCES);
}

export function checkPolicy(v: Violations, p: routingV1.RoutingPolicy | undefined): p is routingV1.RoutingPolicy {
  if (!p) {
    v.add('policy', 'is required', 'REQUIRED');
    return false;
  }
  const aging = p.agingPointsPerPatience;
  if (!Number.isFinite(aging) || aging < 0.1 || aging > 1000) v.add('policy.aging_points_per_patience', 'must be between 0.1 and 1000', 'OUT_OF_RANGE');
  v.range('policy.preferred_agent_window_seconds', p.preferredAgentWindowSeconds, 0, 3600);
  v.range('policy.team_window_seconds', p.teamWindowSeconds, 0, 3600);
  v.range('policy.reject_cooldown_seconds', p.rejectCooldownSeconds, 0, 3600);
  if (v.maxItems('policy.rings', p.rings, LIMITS.rings)) {
    let last = 0;
    p.rings.forEach((r, i) => {
      if (r.afterSeconds < 1 || r.afterSeconds > 86_400) v.add(`policy.rings[${i}].after_seconds`, 'must be between 1 and 86400', 'OUT_OF_RANGE');
      else if (r.afterSeconds <= last) v.add(`policy.rings[${i}].after_seconds`, 'must be later than the ring before', 'NOT_INCREASING');
      last = Math.max(last, r.afterSeconds);
      v.range(`policy.rings[${i}].proficiency_relax`, r.proficiencyRelax, 0, 9);
    });
  }
  if (v.maxItems('policy.segment_rules', p.segmentRules, LIMITS.segmentRules)) {
    const seen = new Set<string>();
    p.segmentRules.forEach((r, i) => {
      const f = `policy.segment_rules[${i}]`;
      if (checkId(v, `${f}.segment_id`, r.segmentId, SLUG) && seen.has(r.segmentId)) v.add(`${f}.segment_id`, 'appears twice', 'DUPLICATE');
      seen.add(r.segmentId);
      v.range(`${f}.priority_boost`, r.priorityBoost, -100, 100);
      v.range(`${f}.first_ring_min_proficiency`, r.firstRingMinProficiency, 0, 10);
      checkCapacities(v, `${f}.capacity_overrides`, r.capacityOverrides, false);
    });
  }
  return true;
}

export function checkSubmission(v: Violations, field: string, t: routingV1.TaskSubmission | undefined): t is routingV1.TaskSubmission {
  if (!t) {
    v.add(field, 'is required', 'REQUIRED');
    return false;
  }
  checkId(v, `${field}.queue_id`, t.queueId, SLUG);
  if (t.channel !== 0 && !knownEnum(CHANNELS, t.channel)) v.add(`${field}.channel`, `unknown value ${t.channel}`, 'UNKNOWN_ENUM_VALUE');
  checkRequirements(v, `${field}.required_skills`, t.requiredSkills, LIMITS.queueSkills);
  checkOptionalId(v, `${field}.profile_id`, t.profileId);
  checkOptionalId(v, `${field}.case_id`, t.caseId);
  v.range(`${field}.priority_hint`, t.priorityHint, -50, 50);
  if (v.maxItems(`${field}.segment_ids`, t.segmentIds, LIMITS.segments)) {
    t.segmentIds.forEach((s, i) => checkId(v, `${field}.segment_ids[${i}]`, s, SLUG));
  }
  if (t.intent !== '') v.pattern(`${field}.intent`, t.intent, CODE, 'lower_snake (at most 64)');
  checkOptionalId(v, `${field}.requested_agent_id`, t.requestedAgentId);
  return true;
}

export function checkStatusFilter(v: Violations, status: number): void {
  if (status !== 0 && !knownEnum(STATUSES, status)) v.add('status', `unknown value ${status}`, 'UNKNOWN_ENUM_VALUE');
}

export function checkOutcome(v: Violations, outcome: number): void {
  v.requiredEnum('outcome', outcome, OUTCOMES);
}

export function checkCode(v: Violations, field: string, value: string): void {
  if (value !== '') v.pattern(field, value, CODE, 'lower_snake (at most 64)');
}
