/**
 * The routing policy: defaults, what a task's segments make of it, and the skill requirements of
 * each stage and ring.
 */
import type { ChannelId, QueueDefinition, RingStep, RoutingPolicy, SegmentRule, SkillRequirement } from './model';

/** What a tenant routes by until it changes its policy. */
export const DEFAULT_POLICY: RoutingPolicy = {
  version: 0,
  agingPointsPerPatience: 10,
  preferredAgentWindowMs: 20_000,
  teamWindowMs: 20_000,
  rings: [
    { afterMs: 30_000, proficiencyRelax: 2, dropSecondarySkills: false },
    { afterMs: 60_000, proficiencyRelax: 9, dropSecondarySkills: true },
  ],
  segmentRules: [],
  rejectCooldownMs: 30_000,
};

/** What the customer's segments change for one task. */
export interface SegmentTreatment {
  /** Segments that have a rule. */
  readonly appliedSegmentIds: readonly string[];
  /** The largest boost of the applicable rules (0 without rules). */
  readonly priorityBoost: number;
  /** The largest first-ring minimum (0: none). */
  readonly firstRingMinProficiency: number;
  /** The smallest override for the task's channel (Infinity: none). */
  readonly overrideCap: number;
}

export function segmentTreatment(policy: RoutingPolicy, segmentIds: readonly string[], channel: ChannelId): SegmentTreatment {
  const applied: SegmentRule[] = [];
  for (const rule of policy.segmentRules) if (segmentIds.includes(rule.segmentId)) applied.push(rule);
  if (applied.length === 0) return { appliedSegmentIds: [], priorityBoost: 0, firstRingMinProficiency: 0, overrideCap: Infinity };
  let boost = -Infinity;
  let firstRing = 0;
  let cap = Infinity;
  for (const rule of applied) {
    boost = Math.max(boost, rule.priorityBoost);
    firstRing = Math.max(firstRing, rule.firstRingMinProficiency);
    cap = Math.min(cap, rule.capacityOverrides.get(channel) ?? Infinity);
  }
  return { appliedSegmentIds: applied.map((r) => r.segmentId), priorityBoost: boost, firstRingMinProficiency: firstRing, overrideCap: cap };
}

/** The queue's skills merged with the task's own (the larger minimum wins; the queue's primary stays first). */
export function mergeRequirements(queue: readonly SkillRequirement[], task: readonly SkillRequirement[]): SkillRequirement[] {
  const merged = new Map<string, number>();
  for (const r of [...queue, ...task]) merged.set(r.skill, Math.max(merged.get(r.skill) ?? 1, r.minProficiency || 1));
  return [...merged].map(([skill, minProficiency]) => ({ skill, minProficiency }));
}

/** The requirements of the queue stage in ring `ring` (0 = first ring, with the segment's raised minimum). */
export function ringRequirements(
  base: readonly SkillRequirement[],
  rings: readonly RingStep[],
  ring: number,
  firstRingMinProficiency: number,
): SkillRequirement[] {
  if (ring === 0) {
    return base.map((r) => ({ skill: r.skill, minProficiency: Math.max(r.minProficiency, firstRingMinProficiency) }));
  }
  const step = rings[ring - 1];
  if (step === undefined) return [...base];
  const kept = step.dropSecondarySkills ? base.slice(0, 1) : base;
  return kept.map((r) => ({ skill: r.skill, minProficiency: Math.max(1, r.minProficiency - step.proficiencyRelax) }));
}

/** The ring open after `queueWaitMs` in the queue stage, and when the next one opens (relative, or undefined). */
export function ringAt(rings: readonly RingStep[], queueWaitMs: number): { ring: number; nextAfterMs: number | undefined } {
  let ring = 0;
  while (ring < rings.length && (rings[ring] as RingStep).afterMs <= queueWaitMs) ring++;
  return { ring, nextAfterMs: rings[ring]?.afterMs };
}

export function requirementSignature(reqs: readonly SkillRequirement[]): string {
  return reqs.map((r) => `${r.skill}:${r.minProficiency}`).join(',');
}

/** Base priority: queue priority + hint + segment boost. */
export function basePriority(queue: QueueDefinition, hint: number, boost: number): number {
  return queue.priority + hint + boost;
}
