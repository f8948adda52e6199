import { trace } from '@opentelemetry/api';
import { commonV1, identityV1 } from '@continuum/contracts';
import {
  OUTBOX_COLLECTION,
  createInboxConsumer,
  createJetStreamBus,
  decodeEnvelope,
  decodePayload,
  outboxEventsOf,
  type EventBus,
  type InboxSubscription,
  type OutboxDocument,
} from '@continuum/events';
import { installInMemoryTracing } from '@continuum/kit';
import { createEmbeddedStore, type BaseDocument, type DocumentStore } from '@continuum/store';
import { sleep, startNatsServer, waitFor, type NatsServerFixture } from '@continuum/testing';
import { IdentityEvents } from '../src';
import { resolveRequest, startIdentity, type IdentityFixture } from './fixture.test-util';

const T = identityV1.IdentifierType;
const A = commonV1.AssuranceLevel;

/** What the consuming side recorded for one applied event. */
interface Applied extends BaseDocument {
  eventId: string;
  type: string;
  subject: string;
  subjectProfileId: string;
  traceId: string;
  deliveryCount: number;
}

describe('identity events on a real nats-server', () => {
  const tracing = installInMemoryTracing();
  const tracer = trace.getTracer('identity-events-test');
  let nats: NatsServerFixture;
  let producerBus: EventBus;
  let consumerBus: EventBus;
  let consumerStore: DocumentStore;
  let consumer: InboxSubscription;
  let f: IdentityFixture;
  let as: { token: string; tenantId: string };
  const failedOnce = new Set<string>();

  beforeAll(async () => {
    nats = await startNatsServer();
    producerBus = await createJetStreamBus({ servers: nats.url, name: 'identity-test' });
    consumerBus = await createJetStreamBus({ servers: nats.url, name: 'consumer-test' });
    f = await startIdentity({ bus: producerBus });
    as = await f.as('acme');
    // The consuming side: another service's store and an inbox consumer, as context would run it.
    consumerStore = createEmbeddedStore();
    consumer = await createInboxConsumer({
      store: consumerStore,
      bus: consumerBus,
      spec: { durable: 'identity-events-test', domain: 'identity', backoffMs: [50, 50, 50] },
      handler: async (event, session) => {
        const e = event.envelope;
        await consumerStore.forTenant(e.tenantId).collection<Applied>('applied').insertOne(
          {
            _id: `${e.eventId}:${event.deliveryCount}`,
            eventId: e.eventId,
            type: e.type,
            subject: event.subject,
            subjectProfileId: e.subjectProfileId,
            traceId: trace.getActiveSpan()?.spanContext().traceId ?? '',
            deliveryCount: event.deliveryCount,
          },
          { session },
        );
        // Every event fails on its first delivery after writing: the write must roll back and the
        // redelivery must apply it once.
        if (!failedOnce.has(e.eventId)) {
          failedOnce.add(e.eventId);
          throw new Error('first delivery fails on purpose');
        }
      },
    });
  }, 60_000);

  afterAll(async () => {
    await consumer?.drain();
    await f?.stop();
    await producerBus?.close();
    await consumerBus?.close();
    await nats?.stop();
  });

  const applied = () => consumerStore.forTenant('acme').collection<Applied>('applied').find({}, { sort: { _id: 1 } });
  const outbox = () => f.store.forTenant('acme').collection<OutboxDocument>(OUTBOX_COLLECTION).find({}, { sort: { _id: 1 } });

  it('publishes every state change once, in order, with the trace of the call that caused it; redeliveries and re-publishes have no second effect', async () => {
    const traceId = await tracer.startActiveSpan('channel front door', async (span) => {
      try {
        const maria = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_LOGIN, 'maria', A.ASSURANCE_LEVEL_VERIFIED]]), as);
        await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_COOKIE, 'c-1']]), as);
        await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_COOKIE, 'c-1'], [T.IDENTIFIER_TYPE_LOGIN, 'maria', A.ASSURANCE_LEVEL_VERIFIED]]), as);
        await f.client.createSegment({ segment: identityV1.Segment.fromPartial({ segmentId: 'vip', conditions: [{ trait: 'lifetime_value', operator: identityV1.SegmentOperator.SEGMENT_OPERATOR_GTE, value: 10000 }] }), requestId: '' }, as);
        await f.client.updateTraits({ profileId: maria.profile?.profileId ?? '', set: { lifetime_value: 12000 }, remove: [], expectedVersion: 0, requestId: 'traits-1' }, as);
        // A client retry: must not produce a second traits_changed.
        await f.client.updateTraits({ profileId: maria.profile?.profileId ?? '', set: { lifetime_value: 12000 }, remove: [], expectedVersion: 0, requestId: 'traits-1' }, as);
        await f.client.eraseProfile({ profileId: maria.profile?.profileId ?? '', privacyRequestId: 'pr-9', requestId: '' }, as);
        return span.spanContext().traceId;
      } finally {
        span.end();
      }
    });

    const entries = await outbox();
    const produced = outboxEventsOf(entries);
    const expectedTypes = ['profile_created', 'profile_created', 'profiles_merged', 'traits_changed', 'segment_membership_changed', 'profile_erased'];
    expect(produced.map((d) => d.type)).toEqual(expectedTypes);
    // Every outbox entry carries the trace of the gRPC call that changed the state.
    for (const d of produced) expect(d.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));

    const done = await waitFor(async () => {
      const rows = await applied();
      return rows.length === expectedTypes.length ? rows : undefined;
    }, 20_000);
    // Applied once each (the failed first deliveries rolled back), in production order.
    expect(done.map((r) => r.type)).toEqual(expectedTypes);
    expect(new Set(done.map((r) => r.eventId)).size).toBe(expectedTypes.length);
    expect(done.every((r) => r.deliveryCount === 2)).toBe(true);
    expect(done.map((r) => r.eventId)).toEqual(produced.map((d) => d.eventId));
    // The consumer's span continues the caller's trace: one trace across the gRPC hop and the bus.
    expect(done.every((r) => r.traceId === traceId)).toBe(true);
    expect(done.every((r) => r.subject === `continuum.acme.identity.${r.type}`)).toBe(true);
    expect(tracing.spans().some((s) => s.name === 'process identity.profiles_merged' && s.spanContext().traceId === traceId)).toBe(true);
    expect(consumer.stats).toMatchObject({ applied: expectedTypes.length, duplicates: 0 });

    // Payloads decode as the shared contract says.
    const merged = produced.find((d) => d.type === 'profiles_merged');
    const envelope = decodeEnvelope(merged?.envelope ?? new Uint8Array());
    const payload = decodePayload(IdentityEvents.profilesMerged, envelope);
    expect(payload.merge).toMatchObject({ rule: 'stitch:anonymous-into-known', actor: 'agent-of-acme' });
    expect(envelope.subjectProfileId).toBe(payload.merge?.survivingProfileId);

    // The relay publishing everything again (a crash before marking sent) changes nothing downstream.
    await f.store.forTenant('acme').collection<OutboxDocument>(OUTBOX_COLLECTION).updateMany({}, { $set: { state: 'pending' }, $unset: { sentAt: '' } });
    await waitFor(async () => (await outbox()).every((d) => d.state === 'sent'), 20_000);
    await sleep(500);
    expect((await applied()).length).toBe(expectedTypes.length);
    expect(consumer.stats.applied).toBe(expectedTypes.length);
  }, 60_000);
});
