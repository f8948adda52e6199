/**
 * The routing decision micro-benchmark: the engine alone (apps/routing's RoutingEngine), in this
 * process, no gRPC and no store. A tenant of `agents` blended agents (40 % voice only, 30 % chat
 * only, 30 % voice + chat + email; 5 skills each out of 40, proficiency 1..10; teams of 20),
 * 60 queues over voice/chat/email (one in five needs two skills), a VIP rule (boost, higher
 * first ring, chat 1:1), one task in five with a last agent (preferred → team → queue stages),
 * default rings. Tasks are submitted until every agent is full and 100,000 tasks wait; then, in
 * the measured loop, an agent completes a random task (the engine picks and offers the best
 * waiting task it qualifies for: an "assignment decision") and a new task arrives (the engine
 * searches the agent index and queues it: an "arrival decision"). Timers (rings opening, stage
 * fall-backs) run every 100 ms of simulated time, as in the service.
 */
import { LatencyHistogram, type LatencySummary } from '../harness';
import { RoutingEngine, DEFAULT_POLICY, type AgentDefinition, type ChannelId, type QueueDefinition, type RoutingEffect, type TaskSubmission } from '@continuum/routing';

export interface DecisionResult {
  readonly agents: number;
  readonly waiting: number;
  readonly setupSec: number;
  readonly pools: number;
  /** Agent freed capacity → best waiting task offered. */
  readonly assignment: LatencySummary;
  /** Task submitted → agent index searched → queued (or offered). */
  readonly arrival: LatencySummary;
  readonly decisions: number;
  /** Decisions per second of this thread's CPU time, timer work excluded (the loop's own bookkeeping included). */
  readonly decisionsPerCpuSec: number;
  /** The same with the timer work (rings opening, stage fall-backs for the whole backlog) counted in. */
  readonly decisionsPerCpuSecWithTimers: number;
  /** Timer work (rings, stage fall-backs) as a share of the loop's CPU time. */
  readonly timerShare: number;
  readonly heapMiB: number;
}

const SKILLS = Array.from({ length: 40 }, (_, i) => `s${i}`);
const CHANNELS: ChannelId[] = ['voice', 'chat', 'email'];

export function runDecisionBench(agentCount: number, waitingTarget: number, iterations: number): DecisionResult {
  let now = Date.UTC(2026, 0, 1);
  let seed = 42;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)] as T;
  const engine = new RoutingEngine({
    clock: () => now,
    offerTimeoutMs: 3_600_000,
    policy: {
      ...DEFAULT_POLICY,
      version: 1,
      segmentRules: [{ segmentId: 'vip', priorityBoost: 30, firstRingMinProficiency: 7, capacityOverrides: new Map<ChannelId, number>([['chat', 1]]) }],
    },
  });
  const queues: QueueDefinition[] = [];
  for (let i = 0; i < 60; i++) {
    const channel = CHANNELS[i % 3] as ChannelId;
    const q: QueueDefinition = {
      id: `q${i}`,
      channel,
      priority: Math.floor(rand() * 20),
      patienceMs: channel === 'email' ? 3_600_000 : channel === 'chat' ? 120_000 : 60_000,
      serviceLevel: { fraction: 0.8, thresholdMs: 20_000 },
      requiredSkills:
        i % 5 === 0
          ? [
              { skill: SKILLS[i % 40] as string, minProficiency: 4 },
              { skill: SKILLS[(i + 7) % 40] as string, minProficiency: 3 },
            ]
          : [{ skill: SKILLS[i % 40] as string, minProficiency: 3 + (i % 4) }],
    };
    queues.push(q);
    engine.upsertQueue(q);
  }
  for (let i = 0; i < agentCount; i++) {
    const skills = new Map<string, number>();
    while (skills.size < 5) skills.set(pick(SKILLS), 1 + Math.floor(rand() * 10));
    const r = rand();
    const capacity = new Map<ChannelId, number>(r < 0.4 ? [['voice', 1]] : r < 0.7 ? [['chat', 3]] : [['voice', 1], ['chat', 3], ['email', 5]]);
    const def: AgentDefinition = { id: `a${i}`, teamId: `team${i % Math.max(1, Math.floor(agentCount / 20))}`, skills, capacity };
    engine.upsertAgent(def);
    engine.setPresence(def.id, 'available');
    engine.setConnected(def.id, true);
  }
  let seq = 0;
  const held: { task: string; agent: string }[] = [];
  const submission = (): TaskSubmission => ({
    id: `t${seq++}`,
    queueId: pick(queues).id,
    requiredSkills: [],
    profileId: '',
    caseId: '',
    priorityHint: 0,
    segmentIds: rand() < 0.1 ? ['vip'] : [],
    intent: '',
    requestedAgentId: '',
    caseOwnerAgentId: '',
    caseTeamId: '',
    lastAgentId: rand() < 0.2 ? `a${Math.floor(rand() * agentCount)}` : '',
    contextAvailable: true,
    submittedAt: now,
  });
  const acceptOffers = (effects: readonly RoutingEffect[]): void => {
    for (const e of effects) {
      if (e.kind !== 'offered') continue;
      engine.accept(e.task.submission.id, e.agentId, e.offerId);
      held.push({ task: e.task.submission.id, agent: e.agentId });
    }
  };

  const setupStart = process.hrtime.bigint();
  while (engine.waitingCount() < waitingTarget) {
    now += 1;
    acceptOffers(engine.submit(submission()));
  }
  const setupSec = Number(process.hrtime.bigint() - setupStart) / 1e9;
  (globalThis as { gc?: () => void }).gc?.();

  const assignment = new LatencyHistogram();
  const arrival = new LatencyHistogram();
  let timerCpuUs = 0;
  let decisions = 0;
  const cpu0 = process.threadCpuUsage();
  for (let i = 0; i < iterations; i++) {
    now += 2;
    const k = Math.floor(rand() * held.length);
    const h = held[k] as { task: string; agent: string };
    held[k] = held[held.length - 1] as { task: string; agent: string };
    held.pop();
    let t = process.hrtime.bigint();
    const freed = engine.complete(h.task, h.agent, 'resolved', '');
    assignment.record(Number(process.hrtime.bigint() - t));
    acceptOffers(freed);
    t = process.hrtime.bigint();
    const arrived = engine.submit(submission());
    arrival.record(Number(process.hrtime.bigint() - t));
    acceptOffers(arrived);
    decisions += 2;
    if (i % 50 === 0) {
      const before = process.threadCpuUsage();
      acceptOffers(engine.tick());
      const spent = process.threadCpuUsage(before);
      timerCpuUs += spent.user + spent.system;
    }
  }
  const cpu = process.threadCpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const timerSec = timerCpuUs / 1e6;
  (globalThis as { gc?: () => void }).gc?.();
  const stats = engine.stats();
  return {
    agents: agentCount,
    waiting: stats.waiting,
    setupSec,
    pools: stats.pools,
    assignment: assignment.summary(),
    arrival: arrival.summary(),
    decisions,
    decisionsPerCpuSec: decisions / Math.max(1e-9, cpuSec - timerSec),
    decisionsPerCpuSecWithTimers: decisions / cpuSec,
    timerShare: timerSec / cpuSec,
    heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
  };
}
