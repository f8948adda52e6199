/**
 * The offer lifecycle over real gRPC streams: a real server (JWT auth, embedded store, outbox
 * relay to the in-process bus), real clients, agents holding ConnectAgent streams.
 */
import { commonV1, routingV1 } from '@continuum/contracts';
import { waitFor } from '@continuum/testing';
import { status } from '@grpc/grpc-js';
import { EventLog, OfferStream, agent, failure, online, queue, startRouting, submit, type CallAs, type RoutingFixture } from './fixture.test-util';

const CH = commonV1.Channel;
const R = routingV1;

describe('offer lifecycle over real streams', () => {
  let f: RoutingFixture;
  let o: CallAs;
  let events: EventLog;

  beforeEach(async () => {
    f = await startRouting({ offerTimeoutMs: 600 });
    o = await f.as('acme');
    events = new EventLog();
    await events.start(f.bus, `test-${Math.random().toString(36).slice(2)}`);
    await f.client.createQueue({ queue: queue('voice-support', CH.CHANNEL_VOICE, [['support', 3]]), requestId: '' }, o);
    await f.client.createAgent({ agent: agent('agt-best', [['support', 9]], [[CH.CHANNEL_VOICE, 1]]), requestId: '' }, o);
    await f.client.createAgent({ agent: agent('agt-next', [['support', 5]], [[CH.CHANNEL_VOICE, 1]]), requestId: '' }, o);
  });

  afterEach(async () => {
    await events.stop();
    await f.stop();
  });

  it('accept: the offer arrives on the agent stream, accept assigns, complete records wait and handle times', async () => {
    const stream = await online(f.client, o, 'agt-best');
    const { task } = await submit(f.client, o, { queueId: 'voice-support' });
    expect(task?.status).toBe(R.TaskStatus.TASK_STATUS_OFFERED);
    const offer = await stream.nextOffer();
    expect(offer.task?.taskId).toBe(task?.taskId);
    expect(offer.task?.explanation?.selectedAgentId).toBe('agt-best');
    expect(offer.expireTime).toBeInstanceOf(Date);

    const accepted = await f.client.acceptOffer({ agentId: 'agt-best', offerId: offer.offerId, taskId: offer.task?.taskId ?? '', requestId: 'acc-1' }, o);
    expect(accepted.task?.status).toBe(R.TaskStatus.TASK_STATUS_ASSIGNED);
    // A retry with the same request id gets the same answer.
    const again = await f.client.acceptOffer({ agentId: 'agt-best', offerId: offer.offerId, taskId: offer.task?.taskId ?? '', requestId: 'acc-1' }, o);
    expect(again.task?.acceptTime?.getTime()).toBe(accepted.task?.acceptTime?.getTime());

    const done = await f.client.completeTask(
      { agentId: 'agt-best', taskId: task?.taskId ?? '', outcome: R.TaskOutcome.TASK_OUTCOME_RESOLVED, wrapUpCode: 'refund_issued', requestId: '' },
      o,
    );
    expect(done.task).toMatchObject({ status: R.TaskStatus.TASK_STATUS_COMPLETED, outcome: R.TaskOutcome.TASK_OUTCOME_RESOLVED, wrapUpCode: 'refund_issued' });

    const id = task?.taskId ?? '';
    for (const type of ['task_created', 'task_offered', 'task_accepted']) await events.waitFor(type, id);
    const [completed] = await events.waitFor('task_completed', id);
    const payload = events.payload(completed!, R.TaskCompletedEvent);
    expect(payload.agentId).toBe('agt-best');
    expect(payload.waitMs).toBeGreaterThanOrEqual(0);
    expect(payload.handleMs).toBeGreaterThanOrEqual(0);
    expect(payload.task?.channel).toBe(CH.CHANNEL_VOICE);
    expect(completed!.tenantId).toBe('acme');
    stream.close();
  });

  it('reject: the task goes to the next best agent, whose stream receives it', async () => {
    const best = await online(f.client, o, 'agt-best');
    const next = await online(f.client, o, 'agt-next');
    const { task } = await submit(f.client, o, { queueId: 'voice-support' });
    const offer = await best.nextOffer();
    const after = await f.client.rejectOffer({ agentId: 'agt-best', offerId: offer.offerId, taskId: task?.taskId ?? '', reason: 'on_break', requestId: '' }, o);
    expect(after.task).toMatchObject({ status: R.TaskStatus.TASK_STATUS_OFFERED, agentId: 'agt-next' });
    const second = await next.nextOffer();
    expect(second.task?.taskId).toBe(task?.taskId);
    expect(second.offerId).not.toBe(offer.offerId);
    expect(second.task?.explanation?.trail.join('\n')).toMatch(/rejected by agt-best \(on_break\)/);
    const [rejected] = await events.waitFor('task_rejected', task?.taskId ?? '');
    expect(events.payload(rejected!, R.TaskRejectedEvent)).toMatchObject({ agentId: 'agt-best', reason: 'on_break' });
    // The old offer is closed.
    const stale = await failure(f.client.acceptOffer({ agentId: 'agt-best', offerId: offer.offerId, taskId: task?.taskId ?? '', requestId: '' }, o));
    expect(stale.error.code).toBe(status.FAILED_PRECONDITION);
    expect(stale.details?.errorInfo?.reason).toBe('OFFER_NOT_OPEN');
    best.close();
    next.close();
  });

  it('timeout: an unanswered offer is withdrawn, the agent goes away, and the task is re-offered', async () => {
    const best = await online(f.client, o, 'agt-best');
    const next = await online(f.client, o, 'agt-next');
    const { task } = await submit(f.client, o, { queueId: 'voice-support' });
    const first = await best.nextOffer();
    const second = await next.nextOffer();
    expect(second.task?.taskId).toBe(task?.taskId);
    expect(best.withdrawals).toEqual([{ offerId: first.offerId, taskId: task?.taskId, reason: R.WithdrawReason.WITHDRAW_REASON_TIMED_OUT }]);
    const agentNow = await f.client.getAgent({ agentId: 'agt-best' }, o);
    expect(agentNow.agent?.presence).toBe(R.Presence.PRESENCE_AWAY);
    const [timedOut] = await events.waitFor('task_timed_out', task?.taskId ?? '');
    expect(events.payload(timedOut!, R.TaskTimedOutEvent).agentId).toBe('agt-best');
    await events.waitFor('task_offered', task?.taskId ?? '', 2);
    best.close();
    next.close();
  });

  it('cancel: the customer gives up, the open offer is withdrawn and an abandon event is published', async () => {
    const stream = await online(f.client, o, 'agt-best');
    const { task } = await submit(f.client, o, { queueId: 'voice-support', profileId: 'prf-1' });
    const offer = await stream.nextOffer();
    const cancelled = await f.client.cancelTask({ taskId: task?.taskId ?? '', requestId: 'cancel-1' }, o);
    expect(cancelled.task?.status).toBe(R.TaskStatus.TASK_STATUS_ABANDONED);
    await waitFor(() => stream.withdrawals.length === 1);
    expect(stream.withdrawals[0]).toEqual({ offerId: offer.offerId, taskId: task?.taskId, reason: R.WithdrawReason.WITHDRAW_REASON_ABANDONED });
    const [abandoned] = await events.waitFor('task_abandoned', task?.taskId ?? '');
    expect(events.payload(abandoned!, R.TaskAbandonedEvent).offeredAgentId).toBe('agt-best');
    expect(abandoned!.subjectProfileId).toBe('prf-1');
    // Cancelling again answers the same; accepting now is a conflict.
    expect((await f.client.cancelTask({ taskId: task?.taskId ?? '', requestId: '' }, o)).task?.status).toBe(R.TaskStatus.TASK_STATUS_ABANDONED);
    const late = await failure(f.client.acceptOffer({ agentId: 'agt-best', offerId: offer.offerId, taskId: task?.taskId ?? '', requestId: '' }, o));
    expect(late.error.code).toBe(status.FAILED_PRECONDITION);
    // The agent is free again: the next task goes to it.
    await submit(f.client, o, { queueId: 'voice-support' });
    await stream.nextOffer(2);
    stream.close();
  });

  it('a retried submission returns the same task; a reused request id with another task is refused', async () => {
    const first = await submit(f.client, o, { queueId: 'voice-support' }, 'same-request');
    const retry = await submit(f.client, o, { queueId: 'voice-support' }, 'same-request');
    expect(retry.task?.taskId).toBe(first.task?.taskId);
    const reused = await failure(submit(f.client, o, { queueId: 'voice-support', priorityHint: 5 }, 'same-request'));
    expect(reused.error.code).toBe(status.INVALID_ARGUMENT);
    expect(reused.details?.badRequest?.fieldViolations[0]?.field).toBe('request_id');
    const page = await f.client.listTasks({ status: 0, queueId: 'voice-support', agentId: '', pageSize: 10, pageToken: '' }, o);
    expect(page.tasks).toHaveLength(1);
  });

  it('a new stream of the same agent replaces the old one, and re-sends open offers', async () => {
    const s1 = await online(f.client, o, 'agt-best');
    const { task } = await submit(f.client, o, { queueId: 'voice-support' });
    await s1.nextOffer();
    const s2 = new OfferStream(f.client, o, 'agt-best');
    const connected = await s2.connected();
    expect(connected.openOffers.map((x) => x.task?.taskId)).toEqual([task?.taskId]);
    await waitFor(() => s1.ended);
    s2.close();
  });
});

describe('restart with waiting tasks', () => {
  it('rebuilds the engine from the store: waiting (and voided offers) are offered after the restart', async () => {
    const first = await startRouting({ offerTimeoutMs: 30_000 });
    const o = await first.as('acme');
    await first.client.createQueue({ queue: queue('chat', CH.CHANNEL_CHAT, [['returns', 1]]), requestId: '' }, o);
    await first.client.createAgent({ agent: agent('agt-a', [['returns', 5]], [[CH.CHANNEL_CHAT, 1]]), requestId: '' }, o);
    // One task is offered before the restart (the offer dies with the process), two more wait.
    const stream = await online(first.client, o, 'agt-a');
    const offered = await submit(first.client, o, { queueId: 'chat' });
    await stream.nextOffer();
    const waiting1 = await submit(first.client, o, { queueId: 'chat' });
    const waiting2 = await submit(first.client, o, { queueId: 'chat' });
    expect(waiting1.task?.status).toBe(R.TaskStatus.TASK_STATUS_WAITING);
    stream.close();
    await first.stop(false);

    const second = await startRouting({ store: first.store, bus: first.bus, context: first.context, issuer: first.issuer });
    try {
      const o2 = await second.as('acme');
      const before = await second.client.getTask({ taskId: offered.task?.taskId ?? '' }, o2);
      expect(before.task?.status).toBe(R.TaskStatus.TASK_STATUS_WAITING);
      expect(before.task?.explanation?.trail.join('\n')).toMatch(/void after a restart/);
      // The agent comes back: the oldest waiting task is offered first, then the others as it frees up.
      const again = new OfferStream(second.client, o2, 'agt-a');
      await again.connected();
      const offer = await again.nextOffer();
      expect(offer.task?.taskId).toBe(offered.task?.taskId);
      await second.client.acceptOffer({ agentId: 'agt-a', offerId: offer.offerId, taskId: offer.task?.taskId ?? '', requestId: '' }, o2);
      await second.client.completeTask({ agentId: 'agt-a', taskId: offer.task?.taskId ?? '', outcome: R.TaskOutcome.TASK_OUTCOME_RESOLVED, wrapUpCode: '', requestId: '' }, o2);
      expect((await again.nextOffer(2)).task?.taskId).toBe(waiting1.task?.taskId);
      const q = await second.client.getQueue({ queueId: 'chat' }, o2);
      expect(q.waitingCount).toBe(1);
      expect(waiting2.task?.taskId).toBeDefined();
      again.close();
    } finally {
      await second.stop();
      await first.bus.close();
      await first.context.stop();
    }
  });
});
