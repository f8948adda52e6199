// Two replicas of the context service, as the production overlay runs them: one shared store (the
// embedded store stands in for MongoDB) and one broker (a real nats-server), each replica with its
// own bus connection and gRPC server. An agent desktop watching on replica A must see what is
// recorded through replica B, and what identity's events change (applied by whichever replica's
// consumer takes them).
import { commonV1, contextV1, identityV1 } from '@continuum/contracts';
import { createEnvelope, createJetStreamBus, defineEvent, type EventBus } from '@continuum/events';
import { createEmbeddedStore, type DocumentStore } from '@continuum/store';
import { startNatsServer, type NatsServerFixture } from '@continuum/testing';
import { startContext, touchpoint, type ContextFixture } from './fixture';

const { Purpose, Channel } = commonV1;
const { ContextChange } = contextV1;

let nats: NatsServerFixture;
let store: DocumentStore;
let busA: EventBus;
let busB: EventBus;
let a: ContextFixture;
let b: ContextFixture;

beforeAll(async () => {
  nats = await startNatsServer();
  store = createEmbeddedStore();
  busA = await createJetStreamBus({ servers: nats.url, name: 'context-a' });
  busB = await createJetStreamBus({ servers: nats.url, name: 'context-b' });
  a = await startContext({ store, bus: busA });
  b = await startContext({ store, bus: busB });
}, 60_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await busA?.close();
  await busB?.close();
  await store?.close();
  await nats?.stop();
});

/** The next message of a watch stream, or a failure naming what was awaited. */
async function next<T>(it: AsyncIterator<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no watch update within ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    const r = await Promise.race([it.next(), timeout]);
    if (r.done) throw new Error(`the watch stream ended while waiting for ${what}`);
    return r.value;
  } finally {
    clearTimeout(timer);
  }
}

describe('WatchContext across replicas', () => {
  it('shows a watcher on one replica what is recorded through the other, and what identity changed', async () => {
    const acmeA = await a.as('acme');
    const acmeB = await b.as('acme');
    const profileId = 'prf_replica_watch';
    const stream = a.client.watchContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 5 }, acmeA);
    const it = stream[Symbol.asyncIterator]();
    expect(await next(it, 'the initial context')).toMatchObject({ change: ContextChange.CONTEXT_CHANGE_INITIAL, context: { touchpointCount: 0 } });

    // Recorded through replica B: only the bus can tell replica A.
    await b.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, touchpointId: 'rep-1', channel: Channel.CHANNEL_SMS }), requestId: '' }, acmeB);
    expect(await next(it, 'the touchpoint recorded on replica B')).toMatchObject({
      change: ContextChange.CONTEXT_CHANGE_TOUCHPOINT_RECORDED,
      changedId: 'rep-1',
      context: { touchpointCount: 1 },
    });

    // A case opened through replica B.
    const kase = await b.client.openCase({ profileId, subject: 'Late parcel', ownerAgentId: 'agent-b', teamId: '', requestId: 'rep-case' }, acmeB);
    const caseUpdate = await next(it, 'the case opened on replica B');
    expect(caseUpdate).toMatchObject({ change: ContextChange.CONTEXT_CHANGE_CASE, changedId: kase.case?.caseId });
    expect(caseUpdate.context?.openCases).toHaveLength(1);

    // Identity puts her in a segment: whichever replica's consumer applies it, A's watcher hears of it.
    const segments = defineEvent({
      domain: 'identity',
      type: 'segment_membership_changed',
      payloadType: 'continuum.identity.v1.SegmentMembershipChangedEvent',
      codec: identityV1.SegmentMembershipChangedEvent,
    });
    await busB.ensureStreams(['identity']);
    await busB.publish(
      createEnvelope(segments, { tenantId: 'acme', subjectProfileId: profileId, payload: { profileId, enteredSegmentIds: ['vip'], leftSegmentIds: [], segmentIds: ['vip'] } }, { producer: 'identity' }),
    );
    let update = await next(it, 'the segment change applied from identity');
    // The writer's own notification and the bus's may both arrive; an unchanged context is not sent twice.
    while (update.change !== ContextChange.CONTEXT_CHANGE_PROFILE) update = await next(it, 'the segment change applied from identity');
    expect(update.context?.profile?.segmentIds).toEqual(['vip']);

    stream.cancel();
  }, 60_000);

  it('sends nothing when a notice changes nothing it shows', async () => {
    const acmeA = await a.as('acme');
    const profileId = 'prf_replica_quiet';
    const stream = a.client.watchContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 5 }, acmeA);
    const it = stream[Symbol.asyncIterator]();
    await next(it, 'the initial context');
    await a.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, touchpointId: 'quiet-1' }), requestId: '' }, acmeA);
    await next(it, 'the touchpoint');
    // Replica A told its watcher at once, and hears of the same touchpoint again from the bus.
    await expect(next(it, 'a second, identical update', 1_500)).rejects.toThrow('no watch update within 1500 ms');
    stream.cancel();
  }, 30_000);
});

