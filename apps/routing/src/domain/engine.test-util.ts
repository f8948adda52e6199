/** Builders for engine tests: a hand-driven clock and short ways to define agents, queues and tasks. */
import { RoutingEngine } from './engine';
import type {
  AgentDefinition,
  ChannelId,
  QueueDefinition,
  RoutingEffect,
  RoutingPolicy,
  SegmentRule,
  SkillRequirement,
  TaskSubmission,
} from './model';
import { DEFAULT_POLICY } from './policy';

export const T0 = Date.UTC(2026, 10, 22, 9, 0, 0);

export class ManualClock {
  now = T0;
  read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export function policy(overrides: Partial<RoutingPolicy> = {}): RoutingPolicy {
  return { ...DEFAULT_POLICY, version: 1, ...overrides };
}

export function vipRule(overrides: Partial<SegmentRule> = {}): SegmentRule {
  return {
    segmentId: 'vip',
    priorityBoost: 50,
    firstRingMinProficiency: 8,
    capacityOverrides: new Map<ChannelId, number>([['chat', 1]]),
    ...overrides,
  };
}

export function queue(id: string, channel: ChannelId, skills: [string, number][] = [], overrides: Partial<QueueDefinition> = {}): QueueDefinition {
  return {
    id,
    channel,
    priority: 10,
    patienceMs: 60_000,
    serviceLevel: { fraction: 0.8, thresholdMs: 20_000 },
    requiredSkills: skills.map(([skill, minProficiency]): SkillRequirement => ({ skill, minProficiency })),
    ...overrides,
  };
}

export function agent(
  id: string,
  skills: [string, number][],
  capacity: Partial<Record<ChannelId, number>> = { chat: 3 },
  teamId = '',
): AgentDefinition {
  return {
    id,
    teamId,
    skills: new Map(skills),
    capacity: new Map(Object.entries(capacity) as [ChannelId, number][]),
  };
}

let taskSeq = 0;
export function submission(clock: ManualClock, queueId: string, overrides: Partial<TaskSubmission> = {}): TaskSubmission {
  return {
    id: `tsk-${++taskSeq}`,
    queueId,
    requiredSkills: [],
    profileId: '',
    caseId: '',
    priorityHint: 0,
    segmentIds: [],
    intent: '',
    requestedAgentId: '',
    caseOwnerAgentId: '',
    caseTeamId: '',
    lastAgentId: '',
    contextAvailable: true,
    submittedAt: clock.now,
    ...overrides,
  };
}

export function newEngine(clock: ManualClock, p: RoutingPolicy = policy(), offerTimeoutMs = 15_000): RoutingEngine {
  return new RoutingEngine({ clock: clock.read, offerTimeoutMs, policy: p });
}

/** Defines the agent, makes it available and connects it. */
export function online(engine: RoutingEngine, def: AgentDefinition): RoutingEffect[] {
  engine.upsertAgent(def);
  return [...engine.setPresence(def.id, 'available'), ...engine.setConnected(def.id, true)];
}

export function offers(effects: readonly RoutingEffect[]): { taskId: string; agentId: string; offerId: string }[] {
  return effects.flatMap((e) => (e.kind === 'offered' ? [{ taskId: e.task.submission.id, agentId: e.agentId, offerId: e.offerId }] : []));
}

/** Advances the clock and runs everything due. */
export function advance(clock: ManualClock, engine: RoutingEngine, ms: number): RoutingEffect[] {
  clock.advance(ms);
  return engine.tick();
}

/** Offers a task and accepts it at once; returns the agent. */
export function acceptAll(engine: RoutingEngine, effects: readonly RoutingEffect[]): RoutingEffect[] {
  return offers(effects).flatMap((o) => engine.accept(o.taskId, o.agentId, o.offerId));
}
