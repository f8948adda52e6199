import { OfferNotOpenError, TaskStatusError } from './errors';
import {
  ManualClock,
  acceptAll,
  advance,
  agent,
  newEngine,
  offers,
  online,
  policy,
  queue,
  submission,
  vipRule,
} from './engine.test-util';
import type { RoutingEngine } from './engine';

describe('RoutingEngine', () => {
  let clock: ManualClock;
  let engine: RoutingEngine;

  beforeEach(() => {
    clock = new ManualClock();
    engine = newEngine(clock);
  });

  describe('basic offering', () => {
    it('offers a submitted task to an available, connected agent with the skill', () => {
      engine.upsertQueue(queue('chat-returns', 'chat', [['returns', 5]]));
      online(engine, agent('a1', [['returns', 6]]));
      const effects = engine.submit(submission(clock, 'chat-returns'));
      expect(offers(effects)).toEqual([{ taskId: expect.any(String), agentId: 'a1', offerId: expect.any(String) }]);
      const view = engine.view(offers(effects)[0]!.taskId)!;
      expect(view.status).toBe('offered');
      expect(view.explanation.selectedAgentId).toBe('a1');
      expect(view.explanation.stage).toBe('queue');
    });

    it('offers nothing to an agent that is available but not connected, or connected but away', () => {
      engine.upsertQueue(queue('q', 'chat'));
      engine.upsertAgent(agent('unconnected', []));
      engine.setPresence('unconnected', 'available');
      engine.upsertAgent(agent('away', []));
      engine.setConnected('away', true);
      engine.setPresence('away', 'away');
      const sub = submission(clock, 'q');
      expect(offers(engine.submit(sub))).toEqual([]);
      expect(engine.view(sub.id)!.status).toBe('waiting');
      expect(engine.waitingCount('q')).toBe(1);
    });

    it('offers a waiting task as soon as a qualified agent connects', () => {
      engine.upsertQueue(queue('q', 'chat', [['billing', 3]]));
      const sub = submission(clock, 'q');
      expect(offers(engine.submit(sub))).toEqual([]);
      engine.upsertAgent(agent('a1', [['billing', 3]]));
      engine.setPresence('a1', 'available');
      const effects = engine.setConnected('a1', true);
      expect(offers(effects)).toEqual([{ taskId: sub.id, agentId: 'a1', offerId: `${sub.id}-o1` }]);
    });

    it('never offers to an agent lacking a required skill', () => {
      engine.upsertQueue(queue('q', 'chat', [['returns', 1]]));
      online(engine, agent('other', [['billing', 10]]));
      const sub = submission(clock, 'q');
      expect(offers(engine.submit(sub))).toEqual([]);
      expect(engine.view(sub.id)!.explanation.summary).toMatch(/no available agent with returns >= 1/);
    });
  });

  describe('expanding rings', () => {
    it('keeps the first ring strict and opens the next ring after its delay', () => {
      engine = newEngine(
        clock,
        policy({
          preferredAgentWindowMs: 0,
          teamWindowMs: 0,
          rings: [{ afterMs: 30_000, proficiencyRelax: 2, dropSecondarySkills: false }],
        }),
      );
      engine.upsertQueue(queue('q', 'chat', [['returns', 8]]));
      online(engine, agent('junior', [['returns', 6]]));
      const sub = submission(clock, 'q');
      expect(offers(engine.submit(sub))).toEqual([]);
      let view = engine.view(sub.id)!;
      expect(view.explanation.ring).toBe(0);
      expect(view.explanation.requirements).toEqual([{ skill: 'returns', minProficiency: 8 }]);
      expect(view.explanation.nextReviewAt).toBe(clock.now + 30_000);

      expect(offers(advance(clock, engine, 29_999))).toEqual([]);
      const effects = advance(clock, engine, 1);
      expect(offers(effects)).toEqual([{ taskId: sub.id, agentId: 'junior', offerId: expect.any(String) }]);
      view = engine.view(sub.id)!;
      expect(view.explanation.ring).toBe(1);
      expect(view.explanation.requirements).toEqual([{ skill: 'returns', minProficiency: 6 }]);
      expect(view.explanation.trail.join('\n')).toMatch(/ring 1 opened: requires returns >= 6/);
    });

    it('drops secondary skills in a ring that says so, never the primary one', () => {
      engine = newEngine(
        clock,
        policy({
          preferredAgentWindowMs: 0,
          teamWindowMs: 0,
          rings: [{ afterMs: 10_000, proficiencyRelax: 0, dropSecondarySkills: true }],
        }),
      );
      engine.upsertQueue(queue('q', 'voice', [['returns', 5], ['german', 5]]));
      online(engine, agent('no-german', [['returns', 7]], { voice: 1 }));
      online(engine, agent('no-returns', [['german', 9]], { voice: 1 }));
      const sub = submission(clock, 'q');
      expect(offers(engine.submit(sub))).toEqual([]);
      expect(engine.view(sub.id)!.explanation.candidates).toEqual([
        expect.objectContaining({ agentId: 'no-german', verdict: 'rejected', reason: 'SKILL_MISSING' }),
      ]);
      expect(offers(advance(clock, engine, 10_000))).toEqual([{ taskId: sub.id, agentId: 'no-german', offerId: expect.any(String) }]);
    });
  });

  describe('preferred agent, then team, then queue', () => {
    beforeEach(() => {
      engine = newEngine(clock, policy({ preferredAgentWindowMs: 20_000, teamWindowMs: 20_000 }));
      engine.upsertQueue(queue('email-support', 'email', [['support', 3]]));
      engine.upsertQueue(queue('voice-support', 'voice', [['support', 3]]));
    });

    it('offers the case owner first, even when others idle longer', () => {
      online(engine, agent('other', [['support', 9]], { email: 5 }));
      clock.advance(60_000);
      online(engine, agent('chen', [['support', 5]], { email: 5 }, 'team-b2b'));
      const sub = submission(clock, 'email-support', { caseOwnerAgentId: 'chen', caseId: 'cas-1' });
      expect(offers(engine.submit(sub))).toEqual([{ taskId: sub.id, agentId: 'chen', offerId: expect.any(String) }]);
      const ex = engine.view(sub.id)!.explanation;
      expect(ex.stage).toBe('preferred');
      expect(ex.preference).toBe('case_owner');
      expect(ex.candidates[0]).toMatchObject({ agentId: 'chen', verdict: 'selected', reason: 'PREFERRED_AGENT' });
    });

    it('waits for the owner within the window and offers to them when they become available', () => {
      online(engine, agent('other', [['support', 9]], { voice: 1 }));
      engine.upsertAgent(agent('chen', [['support', 5]], { voice: 1 }, 'team-b2b'));
      engine.setConnected('chen', true);
      engine.setPresence('chen', 'busy');
      const sub = submission(clock, 'voice-support', { caseOwnerAgentId: 'chen' });
      expect(offers(engine.submit(sub))).toEqual([]);
      expect(engine.view(sub.id)!.explanation.candidates[0]).toMatchObject({ agentId: 'chen', reason: 'NOT_AVAILABLE' });
      clock.advance(12_000);
      expect(offers(engine.setPresence('chen', 'available'))).toEqual([{ taskId: sub.id, agentId: 'chen', offerId: expect.any(String) }]);
    });

    it('falls back to the team after the window, then to the queue, and says so in the explanation', () => {
      online(engine, agent('outsider', [['support', 9]], { voice: 1 }, 'team-retail'));
      engine.upsertAgent(agent('chen', [['support', 5]], { voice: 1 }, 'team-b2b'));
      engine.setConnected('chen', true);
      engine.setPresence('chen', 'away');
      engine.upsertAgent(agent('mate', [['support', 4]], { voice: 1 }, 'team-b2b'));
      engine.setConnected('mate', true);
      engine.setPresence('mate', 'busy');

      const sub = submission(clock, 'voice-support', { caseOwnerAgentId: 'chen', caseTeamId: 'team-b2b' });
      expect(offers(engine.submit(sub))).toEqual([]);
      expect(offers(advance(clock, engine, 19_999))).toEqual([]);
      // Window over: the team stage. The team mate is busy, the outsider is not in the team.
      expect(offers(advance(clock, engine, 1))).toEqual([]);
      let ex = engine.view(sub.id)!.explanation;
      expect(ex.stage).toBe('team');
      expect(ex.teamId).toBe('team-b2b');
      expect(ex.trail.join('\n')).toMatch(/preferred window ended: case owner chen not reached; trying team team-b2b/);
      // Team window over: the whole queue.
      const effects = advance(clock, engine, 20_000);
      expect(offers(effects)).toEqual([{ taskId: sub.id, agentId: 'outsider', offerId: expect.any(String) }]);
      ex = engine.view(sub.id)!.explanation;
      expect(ex.stage).toBe('queue');
      expect(ex.trail.join('\n')).toMatch(/team window ended/);
    });

    it('offers a team mate in the team stage', () => {
      online(engine, agent('outsider', [['support', 9]], { voice: 1 }));
      engine.upsertAgent(agent('chen', [['support', 5]], { voice: 1 }, 'team-b2b'));
      engine.setConnected('chen', true);
      engine.setPresence('chen', 'away');
      online(engine, agent('mate', [['support', 4]], { voice: 1 }, 'team-b2b'));
      const sub = submission(clock, 'voice-support', { caseOwnerAgentId: 'chen' });
      expect(offers(engine.submit(sub))).toEqual([]);
      expect(offers(advance(clock, engine, 20_000))).toEqual([{ taskId: sub.id, agentId: 'mate', offerId: expect.any(String) }]);
      expect(engine.view(sub.id)!.explanation).toMatchObject({ stage: 'team', teamId: 'team-b2b', selectedAgentId: 'mate' });
    });

    it('skips an offline case owner at once and tries the last agent', () => {
      engine.upsertAgent(agent('chen', [['support', 5]], { voice: 1 }, 'team-b2b'));
      online(engine, agent('last', [['support', 5]], { voice: 1 }));
      const sub = submission(clock, 'voice-support', { caseOwnerAgentId: 'chen', lastAgentId: 'last' });
      expect(offers(engine.submit(sub))).toEqual([{ taskId: sub.id, agentId: 'last', offerId: expect.any(String) }]);
      const ex = engine.view(sub.id)!.explanation;
      expect(ex.preference).toBe('last_agent');
      expect(ex.trail.join('\n')).toMatch(/case owner chen is offline: skipped/);
    });

    it('skips the team stage when the team has no agents', () => {
      online(engine, agent('outsider', [['support', 9]], { voice: 1 }));
      engine.upsertAgent(agent('chen', [['support', 5]], { voice: 1 }));
      engine.setConnected('chen', true);
      engine.setPresence('chen', 'away');
      const sub = submission(clock, 'voice-support', { caseOwnerAgentId: 'chen', caseTeamId: 'team-ghost' });
      expect(offers(engine.submit(sub))).toEqual([]);
      expect(engine.view(sub.id)!.explanation.trail.join('\n')).toMatch(/team team-ghost has no agents: team stage skipped/);
      // Straight from the preferred stage to the queue.
      expect(offers(advance(clock, engine, 20_000))).toEqual([{ taskId: sub.id, agentId: 'outsider', offerId: expect.any(String) }]);
    });

    it('notes that context was unavailable', () => {
      online(engine, agent('a', [['support', 5]], { voice: 1 }));
      const sub = submission(clock, 'voice-support', { contextAvailable: false });
      engine.submit(sub);
      const ex = engine.view(sub.id)!.explanation;
      expect(ex.contextAvailable).toBe(false);
      expect(ex.trail[0]).toMatch(/context unavailable: routed on what the task says/);
    });
  });

  describe('capacity across channels (blended agents)', () => {
    beforeEach(() => {
      engine.upsertQueue(queue('voice', 'voice'));
      engine.upsertQueue(queue('chat', 'chat'));
      engine.upsertQueue(queue('email', 'email'));
      online(engine, agent('blend', [], { voice: 1, chat: 3, email: 5 }));
    });

    it('a call excludes chats and email; both come once the call ends', () => {
      const call = submission(clock, 'voice');
      acceptAll(engine, engine.submit(call));
      const chat = submission(clock, 'chat');
      const email = submission(clock, 'email');
      expect(offers(engine.submit(chat))).toEqual([]);
      expect(offers(engine.submit(email))).toEqual([]);
      expect(engine.view(chat.id)!.explanation.summary).toMatch(/no available agent/);
      const after = engine.complete(call.id, 'blend', 'resolved', 'done');
      expect(offers(after).map((o) => o.taskId).sort()).toEqual([chat.id, email.id].sort());
    });

    it('chats fill up to their capacity; a call waits while any chat is active', () => {
      const chats = [1, 2, 3, 4].map(() => submission(clock, 'chat'));
      const offered = chats.flatMap((c) => offers(engine.submit(c)));
      expect(offered.map((o) => o.taskId)).toEqual(chats.slice(0, 3).map((c) => c.id));
      const call = submission(clock, 'voice');
      expect(offers(engine.submit(call))).toEqual([]);
      expect(engine.agentView('blend')!.load).toEqual(
        expect.arrayContaining([{ channel: 'chat', active: 3, effectiveMax: 3 }]),
      );
    });

    it('asynchronous work fills the gaps beside chats and never blocks a call', () => {
      const chat = submission(clock, 'chat');
      acceptAll(engine, engine.submit(chat));
      const emails = [1, 2, 3, 4, 5, 6].map(() => submission(clock, 'email'));
      const offered = emails.flatMap((e) => offers(engine.submit(e)));
      expect(offered).toHaveLength(5);
      acceptAll(engine, offered.map((o) => ({ kind: 'offered', task: engine.view(o.taskId)!, agentId: o.agentId, offerId: o.offerId })));
      engine.complete(chat.id, 'blend', 'resolved', '');
      const call = submission(clock, 'voice');
      expect(offers(engine.submit(call))).toEqual([{ taskId: call.id, agentId: 'blend', offerId: expect.any(String) }]);
    });
  });

  describe('segments: VIP priority, proficiency and 1:1', () => {
    beforeEach(() => {
      engine = newEngine(clock, policy({ segmentRules: [vipRule()], preferredAgentWindowMs: 0, teamWindowMs: 0 }));
      engine.upsertQueue(queue('chat', 'chat', [['returns', 3]]));
    });

    it('offers the VIP first, to the higher-proficiency agent, who takes no other chat while serving them', () => {
      engine.upsertAgent(agent('expert', [['returns', 9]], { chat: 3 }));
      const regular = submission(clock, 'chat');
      engine.submit(regular);
      clock.advance(1_000);
      const vip = submission(clock, 'chat', { segmentIds: ['vip'] });
      engine.submit(vip);
      online(engine, agent('novice', [['returns', 4]], { chat: 3 }));
      // The novice takes the regular one: the VIP's first ring needs proficiency 8.
      expect(engine.view(regular.id)!.agentId).toBe('novice');
      engine.accept(regular.id, 'novice', engine.view(regular.id)!.offerId);
      expect(engine.view(vip.id)!.status).toBe('waiting');
      engine.setPresence('expert', 'available');
      const effects = engine.setConnected('expert', true);
      expect(offers(effects)).toEqual([{ taskId: vip.id, agentId: 'expert', offerId: expect.any(String) }]);
      const ex = engine.view(vip.id)!.explanation;
      expect(ex.segmentIds).toEqual(['vip']);
      expect(ex.priority.segmentBoost).toBe(50);

      // 1:1: another chat is not offered to the expert while the VIP is held, though chat capacity is 3.
      acceptAll(engine, effects);
      engine.complete(regular.id, 'novice', 'resolved', '');
      engine.setPresence('novice', 'away');
      const next = submission(clock, 'chat');
      expect(offers(engine.submit(next))).toEqual([]);
      expect(engine.agentView('expert')!.load).toEqual([{ channel: 'chat', active: 1, effectiveMax: 1 }]);
      // After the VIP chat ends, the expert takes the next chat.
      expect(offers(engine.complete(vip.id, 'expert', 'resolved', ''))).toEqual([{ taskId: next.id, agentId: 'expert', offerId: expect.any(String) }]);
    });

    it('puts the VIP ahead of a regular customer waiting for the same free slot', () => {
      engine.upsertAgent(agent('expert', [['returns', 9]], { chat: 3 }));
      const regular = submission(clock, 'chat');
      engine.submit(regular);
      clock.advance(1_000);
      const vip = submission(clock, 'chat', { segmentIds: ['vip'] });
      engine.submit(vip);
      engine.setPresence('expert', 'available');
      const effects = engine.setConnected('expert', true);
      // Only the VIP: 1:1 leaves no room for the regular customer, who waits for the next free slot.
      expect(offers(effects).map((o) => o.taskId)).toEqual([vip.id]);
      acceptAll(engine, effects);
      expect(offers(engine.complete(vip.id, 'expert', 'resolved', '')).map((o) => o.taskId)).toEqual([regular.id]);
    });

    it('an exclusive VIP chat is not starved by agents that always hold some chats: one agent drains for it', () => {
      online(engine, agent('expert', [['returns', 9]], { chat: 2 }));
      const first = submission(clock, 'chat');
      acceptAll(engine, engine.submit(first));
      const vip = submission(clock, 'chat', { segmentIds: ['vip'] });
      expect(offers(engine.submit(vip))).toEqual([]);
      expect(engine.view(vip.id)!.explanation.summary).toMatch(/exclusive/);
      // A second chat arrives and takes the free slot (the VIP cannot use a partly busy agent).
      const second = submission(clock, 'chat');
      acceptAll(engine, engine.submit(second));
      const third = submission(clock, 'chat');
      expect(offers(engine.submit(third))).toEqual([]);
      // When a slot frees, the VIP is the expert's best task: the expert drains instead of taking the third.
      expect(offers(engine.complete(first.id, 'expert', 'resolved', ''))).toEqual([]);
      expect(engine.agentView('expert')!.drainingFor).toBe(vip.id);
      expect(engine.view(third.id)!.status).toBe('waiting');
      expect(engine.view(vip.id)!.explanation.trail.join('\n')).toMatch(/expert stops taking new work/);
      const effects = engine.complete(second.id, 'expert', 'resolved', '');
      expect(offers(effects)).toEqual([{ taskId: vip.id, agentId: 'expert', offerId: expect.any(String) }]);
    });
  });

  describe('ranking', () => {
    beforeEach(() => {
      engine.upsertQueue(queue('q', 'chat', [['returns', 3]]));
    });

    it('longest idle wins between agents of equal proficiency', () => {
      online(engine, agent('idle-long', [['returns', 7]]));
      clock.advance(5_000);
      online(engine, agent('idle-short', [['returns', 7]]));
      clock.advance(5_000);
      const sub = submission(clock, 'q');
      expect(offers(engine.submit(sub))[0]!.agentId).toBe('idle-long');
      expect(engine.view(sub.id)!.explanation.candidates).toEqual([
        expect.objectContaining({ agentId: 'idle-long', verdict: 'selected', reason: 'LONGEST_IDLE' }),
        expect.objectContaining({ agentId: 'idle-short', verdict: 'ranked_lower', reason: 'IDLE_SHORTER' }),
      ]);
      // The next task goes to the other: an offer resets the idle clock.
      const next = submission(clock, 'q');
      expect(offers(engine.submit(next))[0]!.agentId).toBe('idle-short');
    });

    it('higher proficiency wins over longer idle', () => {
      online(engine, agent('idle-long', [['returns', 5]]));
      clock.advance(5_000);
      online(engine, agent('expert', [['returns', 9]]));
      const sub = submission(clock, 'q');
      expect(offers(engine.submit(sub))[0]!.agentId).toBe('expert');
      expect(engine.view(sub.id)!.explanation.candidates[0]).toMatchObject({ reason: 'HIGHEST_PROFICIENCY' });
    });

    it('ages priority against the patience threshold: an old low-priority task overtakes a new high-priority one', () => {
      engine.upsertQueue(queue('low', 'chat', [['returns', 3]], { priority: 0, patienceMs: 60_000 }));
      engine.upsertQueue(queue('high', 'chat', [['returns', 3]], { priority: 20, patienceMs: 60_000 }));
      const old = submission(clock, 'low');
      engine.submit(old);
      clock.advance(150_000); // 2.5 patience thresholds: +25 points
      const fresh = submission(clock, 'high');
      engine.submit(fresh);
      const effects = online(engine, agent('a', [['returns', 5]], { chat: 1 }));
      expect(offers(effects).map((o) => o.taskId)).toEqual([old.id]);
      expect(engine.view(old.id)!.explanation.priority.aging).toBeCloseTo(25, 5);
    });

    it('between equal priorities the older task goes first', () => {
      const a = submission(clock, 'q');
      engine.submit(a);
      clock.advance(10);
      const b = submission(clock, 'q');
      engine.submit(b);
      const effects = online(engine, agent('x', [['returns', 5]], { chat: 1 }));
      expect(offers(effects).map((o) => o.taskId)).toEqual([a.id]);
    });
  });

  describe('offer lifecycle', () => {
    beforeEach(() => {
      engine = newEngine(clock, policy({ rejectCooldownMs: 30_000 }), 15_000);
      engine.upsertQueue(queue('q', 'voice', [['support', 1]]));
    });

    it('reject sends the task to the next best agent and keeps it from the rejecter for the cooldown', () => {
      online(engine, agent('first', [['support', 9]], { voice: 1 }));
      online(engine, agent('second', [['support', 5]], { voice: 1 }));
      const sub = submission(clock, 'q');
      const [offer] = offers(engine.submit(sub));
      expect(offer!.agentId).toBe('first');
      const effects = engine.reject(sub.id, 'first', offer!.offerId, 'busy_with_other');
      expect(effects.map((e) => e.kind)).toEqual(['rejected', 'offered']);
      expect(offers(effects)).toEqual([{ taskId: sub.id, agentId: 'second', offerId: `${sub.id}-o2` }]);
      // The second rejects too: nobody left within the cooldown.
      const again = engine.reject(sub.id, 'second', `${sub.id}-o2`, '');
      expect(offers(again)).toEqual([]);
      expect(engine.view(sub.id)!.explanation.candidates.map((c) => c.reason)).toContain('REJECTED_RECENTLY');
      // After the cooldown the best agent gets it again.
      expect(offers(advance(clock, engine, 30_000))[0]).toMatchObject({ taskId: sub.id, agentId: 'first' });
    });

    it('an unanswered offer times out, the agent goes away and the task is re-offered', () => {
      online(engine, agent('sleepy', [['support', 9]], { voice: 1 }));
      online(engine, agent('awake', [['support', 5]], { voice: 1 }));
      const sub = submission(clock, 'q');
      engine.submit(sub);
      expect(advance(clock, engine, 14_999)).toEqual([]);
      const effects = advance(clock, engine, 1);
      expect(effects.map((e) => e.kind)).toEqual(['timed_out', 'presence_changed', 'offered']);
      expect(offers(effects)[0]).toMatchObject({ agentId: 'awake' });
      expect(engine.agentView('sleepy')!.presence).toBe('away');
      expect(engine.view(sub.id)!.explanation.trail.join('\n')).toMatch(/offer to sleepy timed out/);
    });

    it('accepting an offer that is not open fails; accept after a time-out fails', () => {
      online(engine, agent('a', [['support', 9]], { voice: 1 }));
      const sub = submission(clock, 'q');
      const [offer] = offers(engine.submit(sub));
      expect(() => engine.accept(sub.id, 'someone-else', offer!.offerId)).toThrow(OfferNotOpenError);
      expect(() => engine.accept(sub.id, 'a', 'wrong-offer')).toThrow(OfferNotOpenError);
      advance(clock, engine, 15_000);
      expect(() => engine.accept(sub.id, 'a', offer!.offerId)).toThrow(OfferNotOpenError);
    });

    it('completes with wait and handle times and frees the agent for the next task', () => {
      online(engine, agent('a', [['support', 9]], { voice: 1 }));
      const first = submission(clock, 'q');
      const second = submission(clock, 'q');
      engine.submit(first);
      engine.submit(second);
      clock.advance(2_000);
      engine.accept(first.id, 'a', `${first.id}-o1`);
      clock.advance(60_000);
      const effects = engine.complete(first.id, 'a', 'resolved', 'refund');
      const done = effects.find((e) => e.kind === 'completed')!;
      expect(done.task.acceptedAt! - done.task.submission.submittedAt).toBe(2_000);
      expect(done.task.endedAt! - done.task.acceptedAt!).toBe(60_000);
      expect(done.task).toMatchObject({ status: 'completed', outcome: 'resolved', wrapUpCode: 'refund' });
      expect(offers(effects)).toEqual([{ taskId: second.id, agentId: 'a', offerId: expect.any(String) }]);
      expect(engine.view(first.id)).toBeUndefined();
    });

    it('cancel abandons a waiting task, or withdraws an open offer and frees the agent', () => {
      online(engine, agent('a', [['support', 9]], { voice: 1 }));
      const offered = submission(clock, 'q');
      const waiting = submission(clock, 'q');
      engine.submit(offered);
      engine.submit(waiting);
      const effects = engine.cancel(offered.id);
      expect(effects[0]).toMatchObject({ kind: 'abandoned', offeredAgentId: 'a', offerId: `${offered.id}-o1` });
      expect(offers(effects)).toEqual([{ taskId: waiting.id, agentId: 'a', offerId: expect.any(String) }]);
      acceptAll(engine, effects);
      expect(() => engine.cancel(waiting.id)).toThrow(TaskStatusError);
      const third = submission(clock, 'q');
      engine.submit(third);
      expect(engine.cancel(third.id)[0]).toMatchObject({ kind: 'abandoned', offeredAgentId: '' });
      expect(engine.waitingCount()).toBe(0);
    });
  });

  describe('restore and dry run', () => {
    it('rebuilds waiting and assigned tasks from views; offered ones wait again', () => {
      engine.upsertQueue(queue('q', 'voice'));
      online(engine, agent('a', [], { voice: 1 }));
      const assigned = submission(clock, 'q');
      acceptAll(engine, engine.submit(assigned));
      const waiting = submission(clock, 'q');
      engine.submit(waiting);
      const views = [engine.view(assigned.id)!, engine.view(waiting.id)!];

      const clock2 = new ManualClock();
      clock2.now = clock.now + 5_000;
      const restarted = newEngine(clock2);
      restarted.upsertQueue(queue('q', 'voice'));
      restarted.restoreAgent(agent('a', [], { voice: 1 }), 'available', clock.now);
      for (const v of views) expect(restarted.restore(v)).toBe(true);
      expect(restarted.waitingCount()).toBe(1);
      restarted.setConnected('a', true);
      // 'a' still holds the assigned call: nothing is offered until it completes.
      expect(restarted.view(waiting.id)!.status).toBe('waiting');
      const effects = restarted.complete(assigned.id, 'a', 'resolved', '');
      expect(offers(effects)).toEqual([{ taskId: waiting.id, agentId: 'a', offerId: expect.any(String) }]);
    });

    it('dry run explains without changing anything', () => {
      engine.upsertQueue(queue('q', 'chat', [['returns', 5]]));
      online(engine, agent('a', [['returns', 7]]));
      const before = engine.stats();
      const result = engine.dryRun(submission(clock, 'q'));
      expect(result.agentId).toBe('a');
      expect(result.explanation.summary).toMatch(/^dry run: offered to a/);
      expect(engine.stats()).toEqual(before);
      expect(engine.agentView('a')!.load).toEqual([{ channel: 'chat', active: 0, effectiveMax: 3 }]);
    });
  });
});
