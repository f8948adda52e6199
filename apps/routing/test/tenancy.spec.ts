/**
 * Tenant isolation and permission: a caller of tenant B can neither read, change, connect to nor
 * detect tenant A's queues, agents and tasks (the same answer for A's ids as for ids that exist
 * nowhere); permission is checked before existence.
 */
import { status } from '@grpc/grpc-js';
import { commonV1, routingV1 } from '@continuum/contracts';
import { OfferStream, agent, failure, online, queue, startRouting, submit, type CallAs, type RoutingFixture } from './fixture.test-util';

const CH = commonV1.Channel;
const R = routingV1;

describe('tenant isolation', () => {
  let f: RoutingFixture;
  let acme: CallAs;
  let globex: CallAs;
  let taskId = '';
  let offerId = '';
  let acmeStream: OfferStream;

  beforeAll(async () => {
    f = await startRouting();
    acme = await f.as('acme');
    globex = await f.as('globex');
    await f.client.createQueue({ queue: queue('chat-returns', CH.CHANNEL_CHAT, [['returns', 3]]), requestId: '' }, acme);
    await f.client.createAgent({ agent: agent('agt-a', [['returns', 5]], [[CH.CHANNEL_CHAT, 3]]), requestId: '' }, acme);
    acmeStream = await online(f.client, acme, 'agt-a');
    const { task } = await submit(f.client, acme, { queueId: 'chat-returns', profileId: 'prf-acme' });
    taskId = task?.taskId ?? '';
    offerId = (await acmeStream.nextOffer()).offerId;
  });

  afterAll(async () => {
    acmeStream.close();
    await f.stop();
  });

  /** The call fails for B exactly as it does for an id that exists nowhere. */
  async function sameAsMissing(forA: Promise<unknown>, forMissing: Promise<unknown>): Promise<void> {
    const a = await failure(forA);
    const m = await failure(forMissing);
    expect(a.error.code).toBe(status.NOT_FOUND);
    expect(a.error.code).toBe(m.error.code);
    expect(a.details?.errorInfo?.reason).toBe(m.details?.errorInfo?.reason);
  }

  it("B cannot read A's queue, agent or task", async () => {
    await sameAsMissing(f.client.getQueue({ queueId: 'chat-returns' }, globex), f.client.getQueue({ queueId: 'no-such-queue' }, globex));
    await sameAsMissing(f.client.getAgent({ agentId: 'agt-a' }, globex), f.client.getAgent({ agentId: 'agt-nobody' }, globex));
    await sameAsMissing(f.client.getTask({ taskId }, globex), f.client.getTask({ taskId: 'tsk_nothing_here_at_all' }, globex));
  });

  it("B's lists do not show A's resources", async () => {
    expect((await f.client.listQueues({ pageSize: 0, pageToken: '' }, globex)).queues).toEqual([]);
    expect((await f.client.listAgents({ teamId: '', pageSize: 0, pageToken: '' }, globex)).agents).toEqual([]);
    expect((await f.client.listTasks({ status: 0, queueId: '', agentId: '', pageSize: 0, pageToken: '' }, globex)).tasks).toEqual([]);
    expect((await f.client.listTasks({ status: 0, queueId: '', agentId: '', pageSize: 0, pageToken: '' }, acme)).tasks.map((t) => t.taskId)).toEqual([taskId]);
  });

  it("B cannot submit to A's queue, cancel A's task, or answer A's offer", async () => {
    await sameAsMissing(submit(f.client, globex, { queueId: 'chat-returns' }), submit(f.client, globex, { queueId: 'no-such-queue' }));
    await sameAsMissing(f.client.cancelTask({ taskId, requestId: '' }, globex), f.client.cancelTask({ taskId: 'tsk_nothing_here_at_all', requestId: '' }, globex));
    await sameAsMissing(
      f.client.acceptOffer({ agentId: 'agt-a', offerId, taskId, requestId: '' }, globex),
      f.client.acceptOffer({ agentId: 'agt-a', offerId, taskId: 'tsk_nothing_here_at_all', requestId: '' }, globex),
    );
    await sameAsMissing(
      f.client.setPresence({ agentId: 'agt-a', presence: R.Presence.PRESENCE_OFFLINE, requestId: '' }, globex),
      f.client.setPresence({ agentId: 'agt-nobody', presence: R.Presence.PRESENCE_OFFLINE, requestId: '' }, globex),
    );
    // A's task is untouched.
    expect((await f.client.getTask({ taskId }, acme)).task?.status).toBe(R.TaskStatus.TASK_STATUS_OFFERED);
  });

  it("B cannot connect to A's agent's offer stream", async () => {
    const stream = new OfferStream(f.client, globex, 'agt-a');
    await stream.done;
    expect(stream.error?.code).toBe(status.NOT_FOUND);
    expect(stream.messages).toEqual([]);
  });

  it('B can use the same ids for its own resources without touching A', async () => {
    await f.client.createQueue({ queue: queue('chat-returns', CH.CHANNEL_CHAT, [['returns', 3]]), requestId: 'same-id' }, globex);
    await f.client.createAgent({ agent: agent('agt-a', [['returns', 5]], [[CH.CHANNEL_CHAT, 3]]), requestId: '' }, globex);
    const mine = await submit(f.client, globex, { queueId: 'chat-returns' }, 'seed-task');
    // The same request id in two tenants names two different tasks.
    const theirs = await submit(f.client, acme, { queueId: 'chat-returns' }, 'seed-task');
    expect(mine.task?.taskId).not.toBe(theirs.task?.taskId);
    expect((await f.client.getAgent({ agentId: 'agt-a' }, acme)).agent?.presence).toBe(R.Presence.PRESENCE_AVAILABLE);
    expect((await f.client.getAgent({ agentId: 'agt-a' }, globex)).agent?.presence).toBe(R.Presence.PRESENCE_OFFLINE);
  });

  it('a token of A used with tenant B is refused before anything is looked up', async () => {
    const { error, details } = await failure(f.client.getTask({ taskId }, { token: acme.token, tenantId: 'globex' }));
    expect(error.code).toBe(status.PERMISSION_DENIED);
    expect(details?.errorInfo?.reason).toBe('TENANT_NOT_ALLOWED');
  });

  it('scope is checked before existence: a read-only caller cannot submit, even to a missing queue', async () => {
    const reader = await f.as('acme', ['routing.read']);
    for (const call of [submit(f.client, reader, { queueId: 'chat-returns' }), submit(f.client, reader, { queueId: 'no-such-queue' })]) {
      const { error, details } = await failure(call);
      expect(error.code).toBe(status.PERMISSION_DENIED);
      expect(details?.errorInfo?.reason).toBe('MISSING_SCOPE');
    }
    const writer = await f.as('acme', ['routing.read', 'routing.write']);
    const { error } = await failure(f.client.createQueue({ queue: queue('other', CH.CHANNEL_EMAIL), requestId: '' }, writer));
    expect(error.code).toBe(status.PERMISSION_DENIED);
  });

  it('a call without a token is unauthenticated', async () => {
    const { error } = await failure(f.client.getQueue({ queueId: 'chat-returns' }, { tenantId: 'acme' } as CallAs));
    expect(error.code).toBe(status.UNAUTHENTICATED);
  });

  it('logs carry no customer profile ids', () => {
    expect(f.logs.lines.join('\n')).not.toContain('prf-acme');
  });
});
