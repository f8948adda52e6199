/** The simulation behind starvation.spec.ts: arrivals on blended agents, driven by the engine's own timers. */
import fc from 'fast-check';
import type { ChannelId } from './model';
import { ManualClock, agent, newEngine, policy, queue } from './engine.test-util';
import type { RoutingEngine } from './engine';

export interface Arrival {
  gapMs: number;
  vip: boolean;
  hint: number;
  handleMs: number;
}

export interface Scenario {
  agents: number;
  chatCapacity: number;
  vipBoost: number;
  vipExclusive: boolean;
  arrivals: Arrival[];
}

export const scenario = fc.record<Scenario>({
  agents: fc.integer({ min: 1, max: 4 }),
  chatCapacity: fc.integer({ min: 1, max: 3 }),
  vipBoost: fc.integer({ min: 0, max: 60 }),
  vipExclusive: fc.boolean(),
  arrivals: fc.array(
    fc.record({
      // Gaps short against handle times: the agents stay overloaded for most of the run.
      gapMs: fc.integer({ min: 0, max: 8_000 }),
      vip: fc.boolean(),
      hint: fc.integer({ min: -10, max: 10 }),
      handleMs: fc.integer({ min: 5_000, max: 90_000 }),
    }),
    { minLength: 20, maxLength: 120 },
  ),
});

export interface Outcome {
  id: string;
  submittedAt: number;
  base: number;
  cls: string;
  offeredAt?: number;
  completedAt?: number;
}

export function simulate(s: Scenario): { outcomes: Outcome[]; horizonMs: number } {
  const clock = new ManualClock();
  const W = 10;
  const patienceMs = 60_000;
  const engine: RoutingEngine = newEngine(
    clock,
    policy({
      agingPointsPerPatience: W,
      preferredAgentWindowMs: 0,
      teamWindowMs: 0,
      segmentRules: [
        {
          segmentId: 'vip',
          priorityBoost: s.vipBoost,
          firstRingMinProficiency: 0,
          capacityOverrides: new Map<ChannelId, number>(s.vipExclusive ? [['chat', 1]] : []),
        },
      ],
    }),
    // Offers are accepted at once in this simulation; the timeout never fires.
    3_600_000,
  );
  engine.upsertQueue(queue('chat', 'chat', [['support', 5]], { patienceMs, priority: 20 }));
  for (let i = 0; i < s.agents; i++) {
    engine.upsertAgent(agent(`a${i}`, [['support', 7]], { chat: s.chatCapacity }));
    engine.setPresence(`a${i}`, 'available');
    engine.setConnected(`a${i}`, true);
  }

  const outcomes = new Map<string, Outcome>();
  const handleOf = new Map<string, number>();
  const completions: { at: number; taskId: string; agentId: string }[] = [];
  const apply = (effects: ReturnType<RoutingEngine['tick']>): void => {
    for (const e of effects) {
      if (e.kind !== 'offered') continue;
      const o = outcomes.get(e.task.submission.id)!;
      o.offeredAt = clock.now;
      // Accept at once, complete after the task's handle time.
      engine.accept(e.task.submission.id, e.agentId, e.offerId);
      completions.push({ at: clock.now + handleOf.get(o.id)!, taskId: o.id, agentId: e.agentId });
    }
  };

  let nextArrival = 0;
  let arrivalAt = clock.now + (s.arrivals[0]?.gapMs ?? 0);
  for (let step = 0; step < 100_000; step++) {
    completions.sort((a, b) => a.at - b.at);
    const due = engine.nextDueAt();
    const candidates = [nextArrival < s.arrivals.length ? arrivalAt : Infinity, completions[0]?.at ?? Infinity, due ?? Infinity];
    const next = Math.min(...candidates);
    if (next === Infinity) break;
    clock.now = Math.max(clock.now, next);
    if (completions[0] && completions[0].at <= clock.now) {
      const c = completions.shift()!;
      apply(engine.complete(c.taskId, c.agentId, 'resolved', ''));
      outcomes.get(c.taskId)!.completedAt = clock.now;
    } else if (nextArrival < s.arrivals.length && arrivalAt <= clock.now) {
      const a = s.arrivals[nextArrival]!;
      const id = `t${nextArrival}`;
      const exclusive = a.vip && s.vipExclusive;
      outcomes.set(id, { id, submittedAt: clock.now, base: 20 + a.hint + (a.vip ? s.vipBoost : 0), cls: exclusive ? 'exclusive' : 'shared' });
      handleOf.set(id, a.handleMs);
      apply(
        engine.submit({
          id,
          queueId: 'chat',
          requiredSkills: [],
          profileId: '',
          caseId: '',
          priorityHint: a.hint,
          segmentIds: a.vip ? ['vip'] : [],
          intent: '',
          requestedAgentId: '',
          caseOwnerAgentId: '',
          caseTeamId: '',
          lastAgentId: '',
          contextAvailable: true,
          submittedAt: clock.now,
        }),
      );
      nextArrival++;
      arrivalAt = clock.now + (s.arrivals[nextArrival]?.gapMs ?? 0);
    } else {
      apply(engine.tick());
    }
  }
  const bases = [...outcomes.values()].map((o) => o.base);
  const spread = Math.max(...bases) - Math.min(...bases);
  return { outcomes: [...outcomes.values()], horizonMs: (spread * patienceMs) / W };
}

