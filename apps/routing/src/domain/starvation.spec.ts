/**
 * No task starves under sustained load: a simulation of arrivals (regular and VIP, some VIP chats
 * exclusive) on blended agents, driven by the engine's own timers and a hand-driven clock.
 *
 * Properties checked on every generated run:
 * 1. Aging bounds overtaking: among tasks that qualify for the same agents, a task submitted more
 *    than H = (spread of base priorities) * patience / W after another is never offered before it.
 *    That is the no-starvation guarantee: only the finite backlog that arrived before (t + H) can
 *    still go ahead of a task submitted at t.
 * 2. Once arrivals stop, every task is offered and completed (exclusive tasks included: draining
 *    gives them a free agent even though other agents always hold chats).
 */
import fc from 'fast-check';
import { type Arrival, scenario, simulate } from './starvation.test-util';

describe('starvation freedom (property)', () => {
  it('aging bounds overtaking within a class, and every task is served once arrivals stop', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { outcomes, horizonMs } = simulate(s);
        for (const o of outcomes) {
          expect(o.offeredAt).toBeDefined();
          expect(o.completedAt).toBeDefined();
        }
        for (const a of outcomes) {
          for (const b of outcomes) {
            if (a.cls !== b.cls || b.submittedAt <= a.submittedAt + horizonMs) continue;
            // b arrived more than H after a: it must not have been offered first.
            if ((b.offeredAt as number) < (a.offeredAt as number)) {
              throw new Error(`task ${b.id} (submitted ${b.submittedAt}) overtook ${a.id} (submitted ${a.submittedAt}) beyond the aging horizon ${horizonMs} ms`);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a low-priority task is served under a sustained stream of higher-priority tasks that saturates the agents', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 80 }), fc.integer({ min: 1, max: 3 }), (boost, agents) => {
        // Handle 30 s, a VIP every 30 s / agents: the agents are always busy with VIPs.
        const arrivals: Arrival[] = [{ gapMs: 0, vip: false, hint: 0, handleMs: 30_000 }];
        for (let i = 0; i < 400; i++) arrivals.push({ gapMs: Math.floor(30_000 / agents) - 1, vip: true, hint: 0, handleMs: 30_000 });
        const { outcomes, horizonMs } = simulate({ agents, chatCapacity: 1, vipBoost: boost, vipExclusive: false, arrivals });
        const low = outcomes.find((o) => o.id === 't0')!;
        // Without aging it would wait until the stream ends (~200 minutes); with aging, about H plus the
        // backlog of VIPs that arrived before it caught up.
        expect(low.offeredAt! - low.submittedAt).toBeLessThanOrEqual(horizonMs + 2 * 30_000);
      }),
      { numRuns: 30 },
    );
  });
});
