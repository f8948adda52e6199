/**
 * Routing asks context once per submitted task (case owner, last agent, segments, intent), with a
 * deadline; the context service here is a test double serving the generated ContextService
 * definition on a real gRPC server. When it is down or slow the task is routed on what it says,
 * and its explanation says so. Also: the preferred agent → team → queue fallback (case-owner
 * scenario) and the VIP treatment (vip-service scenario) end to end through the API.
 */
import { SpanKind } from '@opentelemetry/api';
import { commonV1, routingV1 } from '@continuum/contracts';
import { installInMemoryTracing } from '@continuum/kit';
import { waitFor } from '@continuum/testing';
import { agent, online, queue, startRouting, submit, type CallAs, type RoutingFixture } from './fixture.test-util';

const CH = commonV1.Channel;
const R = routingV1;
const tracing = installInMemoryTracing();

describe('context on submission', () => {
  let f: RoutingFixture;
  let o: CallAs;

  beforeEach(async () => {
    f = await startRouting({ offerTimeoutMs: 30_000, contextDeadlineMs: 300 });
    o = await f.as('acme');
    await f.client.createQueue({ queue: queue('email-b2b', CH.CHANNEL_EMAIL, [['b2b', 3]]), requestId: '' }, o);
    await f.client.createAgent({ agent: agent('agt-chen', [['b2b', 6]], [[CH.CHANNEL_EMAIL, 5]], 'team-b2b'), requestId: '' }, o);
    await f.client.createAgent({ agent: agent('agt-mate', [['b2b', 4]], [[CH.CHANNEL_EMAIL, 5]], 'team-b2b'), requestId: '' }, o);
    await f.client.createAgent({ agent: agent('agt-outsider', [['b2b', 9]], [[CH.CHANNEL_EMAIL, 5]], 'team-retail'), requestId: '' }, o);
  });

  afterEach(() => f.stop());

  it('offers the case owner named by context first, and asks context once, for the calling tenant', async () => {
    f.context.answer('prf-b2b', { ownerAgentId: 'agt-chen', teamId: 'team-b2b', caseId: 'cas-7', intent: 'invoice_question' });
    const outsider = await online(f.client, o, 'agt-outsider');
    const chen = await online(f.client, o, 'agt-chen');
    const { task } = await submit(f.client, o, { queueId: 'email-b2b', profileId: 'prf-b2b', caseId: 'cas-7' });
    const offer = await chen.nextOffer();
    expect(offer.task?.taskId).toBe(task?.taskId);
    expect(task?.explanation).toMatchObject({
      stage: R.RoutingStage.ROUTING_STAGE_PREFERRED_AGENT,
      preference: R.PreferenceKind.PREFERENCE_KIND_CASE_OWNER,
      preferredAgentId: 'agt-chen',
      contextAvailable: true,
      selectedAgentId: 'agt-chen',
    });
    expect(task?.intent).toBe('invoice_question');
    expect(outsider.offers).toHaveLength(0);
    expect(f.context.calls).toHaveLength(1);
    expect(f.context.calls[0]).toMatchObject({ profileId: 'prf-b2b', tenant: 'acme' });
    outsider.close();
    chen.close();
  });

  it('asks context for a burst of submissions in shared BatchGetContext calls, each task once and with its own customer\'s context', async () => {
    const intents = ['invoice_question', 'return_item', 'delivery_delay'];
    for (let i = 0; i < 30; i++) f.context.answer(`prf-burst-${i}`, { intent: intents[i % 3] });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => submit(f.client, o, { queueId: 'email-b2b', profileId: `prf-burst-${i}` })));
    // Fewer calls than submissions: the burst shared calls; every customer was asked exactly once.
    expect(f.context.batchCalls.length).toBeGreaterThan(0);
    expect(f.context.batchCalls.length + f.context.calls.length - f.context.batchCalls.reduce((a, b) => a + b, 0)).toBeLessThan(30);
    expect(f.context.calls.map((c) => c.profileId).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `prf-burst-${i}`).sort());
    expect(f.context.calls.every((c) => c.tenant === 'acme')).toBe(true);
    results.forEach((r, i) => {
      expect(r.task?.explanation?.contextAvailable).toBe(true);
      expect(r.task?.intent).toBe(intents[i % 3]);
    });
  });

  it('links every submission of a batched context call to the span the call is traced under, so each trace leads to its context hop', async () => {
    for (let i = 0; i < 10; i++) f.context.answer(`prf-traced-${i}`, { intent: 'return_item' });
    tracing.reset();
    await Promise.all(Array.from({ length: 10 }, (_, i) => submit(f.client, o, { queueId: 'email-b2b', profileId: `prf-traced-${i}` })));
    expect(f.context.batchCalls.length).toBeGreaterThan(0);
    const spans = tracing.spans();
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    // Every span a context call is traced under (its parent and the parent's ancestors); the first
    // of a burst asks alone (GetContext), the others in BatchGetContext calls.
    const tracedUnder = new Set<string>();
    for (const call of spans.filter((s) => s.kind === SpanKind.CLIENT && /\/(Batch)?GetContext$/.test(s.name))) {
      for (let id = call.parentSpanContext?.spanId; id !== undefined; id = byId.get(id)?.parentSpanContext?.spanId) tracedUnder.add(id);
    }
    const submissions = spans.filter((s) => s.kind === SpanKind.SERVER && s.name.endsWith('/SubmitTask'));
    expect(submissions).toHaveLength(10);
    for (const s of submissions) {
      expect(tracedUnder.has(s.spanContext().spanId) || s.links.some((l) => tracedUnder.has(l.context.spanId))).toBe(true);
    }
  });

  it('asks one by one when the context service has no BatchGetContext', async () => {
    f.context.batchSupported = false;
    for (let i = 0; i < 12; i++) f.context.answer(`prf-old-${i}`, { intent: 'return_item' });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => submit(f.client, o, { queueId: 'email-b2b', profileId: `prf-old-${i}` })));
    expect(f.context.calls.map((c) => c.profileId).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `prf-old-${i}`).sort());
    for (const r of results) {
      expect(r.task?.explanation?.contextAvailable).toBe(true);
      expect(r.task?.intent).toBe('return_item');
    }
    expect(f.context.batchCalls.length).toBe(1); // tried once, then one by one
  });

  it('falls back from the case owner to the team, then the queue, after the policy windows, and says so', async () => {
    await f.client.updateRoutingPolicy(
      {
        policy: R.RoutingPolicy.fromPartial({ agingPointsPerPatience: 10, preferredAgentWindowSeconds: 1, teamWindowSeconds: 1, rings: [], rejectCooldownSeconds: 30 }),
        expectedVersion: 0,
        requestId: '',
      },
      o,
    );
    f.context.answer('prf-b2b', { ownerAgentId: 'agt-chen', teamId: 'team-b2b' });
    // Chen is on a break; the team mate is online but busy; the outsider is available.
    const chen = await online(f.client, o, 'agt-chen');
    await f.client.setPresence({ agentId: 'agt-chen', presence: R.Presence.PRESENCE_AWAY, requestId: '' }, o);
    const outsider = await online(f.client, o, 'agt-outsider');
    const { task } = await submit(f.client, o, { queueId: 'email-b2b', profileId: 'prf-b2b' });
    expect(task?.status).toBe(R.TaskStatus.TASK_STATUS_WAITING);
    expect(task?.explanation?.candidates[0]).toMatchObject({ agentId: 'agt-chen', reason: 'NOT_AVAILABLE' });

    // After the preferred window: the team stage (no team member available: still waiting).
    await waitFor(async () => (await f.client.getTask({ taskId: task?.taskId ?? '' }, o)).task?.explanation?.stage === R.RoutingStage.ROUTING_STAGE_TEAM, { timeoutMs: 3_000 });
    // After the team window: the whole queue, and the outsider gets it.
    const offer = await outsider.nextOffer();
    expect(offer.task?.taskId).toBe(task?.taskId);
    const got = await f.client.getTask({ taskId: task?.taskId ?? '' }, o);
    const trail = got.task?.explanation?.trail.join('\n') ?? '';
    expect(trail).toMatch(/case owner agt-chen tried alone for 1 s/);
    expect(trail).toMatch(/preferred window ended: case owner agt-chen not reached; trying team team-b2b/);
    expect(trail).toMatch(/team window ended/);
    expect(got.task?.explanation?.stage).toBe(R.RoutingStage.ROUTING_STAGE_QUEUE);
    chen.close();
    outsider.close();
  });

  it('routes without context when the context service is unavailable, and says so', async () => {
    f.context.mode = 'unavailable';
    const outsider = await online(f.client, o, 'agt-outsider');
    const { task } = await submit(f.client, o, { queueId: 'email-b2b', profileId: 'prf-b2b', segmentIds: ['gold'] });
    expect(task?.status).toBe(R.TaskStatus.TASK_STATUS_OFFERED);
    expect(task?.explanation?.contextAvailable).toBe(false);
    expect(task?.explanation?.trail[0]).toMatch(/context unavailable: routed on what the task says/);
    expect(task?.segmentIds).toEqual(['gold']);
    outsider.close();
  });

  it('does not wait past the context deadline: a hanging context service is treated as unavailable', async () => {
    f.context.mode = 'hang';
    const started = Date.now();
    const { task } = await submit(f.client, o, { queueId: 'email-b2b', profileId: 'prf-b2b' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(task?.explanation?.contextAvailable).toBe(false);
  });

  it('dry run explains what would happen, asks context, and writes nothing', async () => {
    f.context.answer('prf-b2b', { lastAgentId: 'agt-mate' });
    const mate = await online(f.client, o, 'agt-mate');
    const before = await f.snapshot();
    const dry = await f.client.dryRun({ task: R.TaskSubmission.fromPartial({ queueId: 'email-b2b', profileId: 'prf-b2b' }) }, o);
    expect(dry.agentId).toBe('agt-mate');
    expect(dry.explanation).toMatchObject({ preference: R.PreferenceKind.PREFERENCE_KIND_LAST_AGENT, contextAvailable: true });
    expect(dry.explanation?.summary).toMatch(/^dry run: offered to last agent agt-mate/);
    expect(await f.snapshot()).toBe(before);
    expect(mate.offers).toHaveLength(0);
    mate.close();
  });
});

describe('segment treatment through the API (vip-service)', () => {
  let f: RoutingFixture;
  let o: CallAs;

  beforeEach(async () => {
    f = await startRouting({ offerTimeoutMs: 30_000 });
    o = await f.as('acme');
    await f.client.updateRoutingPolicy(
      {
        policy: R.RoutingPolicy.fromPartial({
          agingPointsPerPatience: 10,
          preferredAgentWindowSeconds: 0,
          teamWindowSeconds: 0,
          rings: [{ afterSeconds: 60, proficiencyRelax: 3 }],
          segmentRules: [{ segmentId: 'vip', priorityBoost: 50, firstRingMinProficiency: 8, capacityOverrides: [{ channel: CH.CHANNEL_CHAT, maxConcurrent: 1 }] }],
          rejectCooldownSeconds: 30,
        }),
        expectedVersion: 0,
        requestId: '',
      },
      o,
    );
    await f.client.createQueue({ queue: queue('chat-returns', CH.CHANNEL_CHAT, [['returns', 3]]), requestId: '' }, o);
    await f.client.createAgent({ agent: agent('agt-expert', [['returns', 9]], [[CH.CHANNEL_CHAT, 3]]), requestId: '' }, o);
  });

  afterEach(() => f.stop());

  it('serves the VIP (segment from context) first and 1:1; the regular customer waits for the next slot', async () => {
    f.context.answer('prf-vip', { segmentIds: ['vip'] });
    f.context.answer('prf-regular', {});
    const regular = await submit(f.client, o, { queueId: 'chat-returns', profileId: 'prf-regular' });
    const vip = await submit(f.client, o, { queueId: 'chat-returns', profileId: 'prf-vip' });
    expect(vip.task?.segmentIds).toEqual(['vip']);
    const expert = await online(f.client, o, 'agt-expert');
    const offer = await expert.nextOffer();
    expect(offer.task?.taskId).toBe(vip.task?.taskId);
    expect(offer.task?.explanation?.priority?.segmentBoost).toBe(50);
    await f.client.acceptOffer({ agentId: 'agt-expert', offerId: offer.offerId, taskId: offer.task?.taskId ?? '', requestId: '' }, o);
    const held = await f.client.getAgent({ agentId: 'agt-expert' }, o);
    expect(held.agent?.load).toEqual([{ channel: CH.CHANNEL_CHAT, active: 1, effectiveMaxConcurrent: 1 }]);
    const waiting = await f.client.getTask({ taskId: regular.task?.taskId ?? '' }, o);
    expect(waiting.task?.status).toBe(R.TaskStatus.TASK_STATUS_WAITING);
    expect(waiting.task?.explanation?.summary).toMatch(/no available agent with returns >= 3 and room on chat/);
    await f.client.completeTask({ agentId: 'agt-expert', taskId: offer.task?.taskId ?? '', outcome: R.TaskOutcome.TASK_OUTCOME_RESOLVED, wrapUpCode: '', requestId: '' }, o);
    expect((await expert.nextOffer()).task?.taskId).toBe(regular.task?.taskId);
    expert.close();
  });
});
