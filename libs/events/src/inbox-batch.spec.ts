import { connect } from '@nats-io/transport-node';
import { SpanKind, trace } from '@opentelemetry/api';
import { createEmbeddedStore, type BaseDocument, type DocumentStore, type StoreSession } from '@continuum/store';
import { sleep, startNatsServer, waitFor, type NatsServerFixture } from '@continuum/testing';
import { decodePayload } from './envelope';
import { PoisonEventError } from './errors';
import { createInboxConsumer, type InboxSubscription } from './inbox';
import { createInProcessBus } from './in-process-bus';
import { createJetStreamBus } from './jetstream-bus';
import { captureSpans, freshDomain, TEST_TENANT, testEnvelope, testEventType, type TestPayload } from './test-support.test-util';
import type { DeliveredEvent, EventBus, EventEnvelope, EventType } from './types';

/**
 * The inbox's group commit: the events ready together are applied in one store transaction and
 * acked after it; a failing batch is redone event by event; a customer's events keep their order.
 * Batches are made deterministic by publishing a backlog before the consumer starts (the
 * in-process bus then hands the whole backlog over at once).
 */
interface Counter extends BaseDocument {
  count: number;
  seen: string[];
}

const TENANT = TEST_TENANT;

function envelopeOf(type: EventType<TestPayload>, message: string, subjectProfileId?: string): EventEnvelope {
  return testEnvelope(type, message, { subjectProfileId, producer: 'batch-test' });
}

describe('inbox group commit (embedded store, in-process bus)', () => {
  jest.setTimeout(30000);
  const spans = captureSpans();
  let store: DocumentStore;
  let bus: EventBus;
  const consumers: InboxSubscription[] = [];

  beforeEach(() => {
    store = createEmbeddedStore();
    bus = createInProcessBus();
  });
  afterEach(async () => {
    for (const consumer of consumers.splice(0)) await consumer.drain();
    await bus.close();
  });

  const counters = () => store.forTenant(TENANT).collection<Counter>('counters');

  /** The effect of an event: its message pushed on its customer's counter, in the inbox transaction. */
  async function applyToCounter(type: EventType<TestPayload>, event: DeliveredEvent, session: StoreSession): Promise<string> {
    const message = decodePayload(type, event.envelope).message;
    await counters().updateOne({ _id: event.envelope.subjectProfileId || 'none' }, { $inc: { count: 1 }, $push: { seen: message } }, { session, upsert: true });
    return message;
  }

  async function seenBy(customer: string): Promise<string[] | undefined> {
    return (await counters().findOne({ _id: customer }))?.seen;
  }

  async function start(options: Omit<Parameters<typeof createInboxConsumer>[0], 'store' | 'bus'>): Promise<InboxSubscription> {
    const consumer = await createInboxConsumer({ store, bus, ...options });
    consumers.push(consumer);
    return consumer;
  }

  it('applies the ready events of several customers in one transaction, each customer in stream order', async () => {
    const domain = freshDomain('batch');
    const type = testEventType(domain);
    await bus.ensureStreams([domain]);
    // 3 customers × 10 events, interleaved as they would be in the stream.
    for (let i = 0; i < 10; i++) for (const customer of ['c1', 'c2', 'c3']) await bus.publish(envelopeOf(type, `${customer}#${i}`, customer));
    const order: string[] = [];
    const consumer = await start({
      spec: { durable: 'batched', domain },
      handler: async (event, session) => {
        order.push(await applyToCounter(type, event, session));
      },
    });
    await waitFor(() => consumer.stats.applied === 30, { description: '30 events applied' });
    // The whole backlog in one transaction: one commit for 30 events.
    expect(consumer.batches).toEqual({ committed: 1, events: 30, fallbacks: 0 });
    expect(consumer.stats).toEqual({ applied: 30, duplicates: 0, failures: 0 });
    for (const customer of ['c1', 'c2', 'c3']) {
      const expected = Array.from({ length: 10 }, (_, i) => `${customer}#${i}`);
      expect(await seenBy(customer)).toEqual(expected);
      // Handled in stream order within the batch, not only stored so.
      expect(order.filter((message) => message.startsWith(`${customer}#`))).toEqual(expected);
    }
    expect(await store.unscoped('inbox').countDocuments({ consumer: 'batched' })).toBe(30);
  });

  it('rolls the whole batch back when one handler throws, then applies its events one by one: the poison event alone is dead-lettered', async () => {
    const domain = freshDomain('batch');
    const type = testEventType(domain);
    await bus.ensureStreams([domain]);
    // c3's first event is poison; its second must wait for it, then apply (after the dead letter).
    const backlog: [string, string][] = [
      ['c1', 'c1#0'],
      ['c2', 'c2#0'],
      ['c3', 'bad'],
      ['c4', 'c4#0'],
      ['c3', 'c3#1'],
      ['c1', 'c1#1'],
    ];
    for (const [customer, message] of backlog) await bus.publish(envelopeOf(type, message, customer));
    const runs: string[] = [];
    const deliveries = new Map<string, number[]>();
    const consumer = await start({
      spec: { durable: 'poisoned', domain, backoffMs: [10] },
      handler: async (event, session) => {
        const message = await applyToCounter(type, event, session);
        runs.push(message);
        deliveries.set(message, [...(deliveries.get(message) ?? []), event.deliveryCount]);
        if (message === 'bad') throw new PoisonEventError('cannot ever apply this event');
      },
    });
    await waitFor(() => consumer.stats.applied === 5, { description: 'the five good events applied' });
    await waitFor(async () => (await bus.deadLetters()).length === 1, { description: 'the poison event dead-lettered' });
    await sleep(100);

    expect(consumer.batches.fallbacks).toBe(1);
    // The batch (each customer's events together, in order) ran up to the poison event and rolled
    // back; the events were then applied one by one. None of the batch's runs left an effect.
    expect(runs.slice(0, 4)).toEqual(['c1#0', 'c1#1', 'c2#0', 'bad']);
    expect(runs.filter((message) => message === 'c1#0')).toHaveLength(2);
    // The event whose handler threw failed its delivery there: its handler did not run again.
    expect(deliveries.get('bad')).toEqual([1]);
    // Every effect exactly once, each customer in order; nothing of the poison event.
    expect(await seenBy('c1')).toEqual(['c1#0', 'c1#1']);
    expect(await seenBy('c2')).toEqual(['c2#0']);
    expect(await seenBy('c3')).toEqual(['c3#1']);
    expect(await seenBy('c4')).toEqual(['c4#0']);
    expect(consumer.stats).toEqual({ applied: 5, duplicates: 0, failures: 1 });
    // c3#1 was handed back untouched while its predecessor failed: it was never charged a delivery.
    expect(deliveries.get('c3#1')).toEqual([1]);
    expect(runs.indexOf('c3#1')).toBeGreaterThan(runs.lastIndexOf('bad'));
    const [letter] = await bus.deadLetters();
    expect(letter?.consumer).toBe('poisoned');
    expect(letter?.envelope && decodePayload(type, letter.envelope).message).toBe('bad');
    expect(letter?.error).toContain('PoisonEventError');
    expect(await store.unscoped('inbox').countDocuments({ consumer: 'poisoned' })).toBe(5);
  });

  it('keeps a customer in order when one of its events fails mid-batch and succeeds on redelivery', async () => {
    const domain = freshDomain('batch');
    const type = testEventType(domain);
    await bus.ensureStreams([domain]);
    for (let i = 0; i < 8; i++) for (const customer of ['a', 'b']) await bus.publish(envelopeOf(type, `${customer}#${i}`, customer));
    const attempts: number[] = [];
    const consumer = await start({
      spec: { durable: 'flaky', domain, backoffMs: [20] },
      handler: async (event, session) => {
        const message = await applyToCounter(type, event, session);
        if (message === 'a#3') attempts.push(event.deliveryCount);
        if (message === 'a#3' && event.deliveryCount === 1) throw new Error('transient failure');
      },
    });
    await waitFor(() => consumer.stats.applied === 16, { description: '16 events applied' });
    await sleep(100);
    expect(await seenBy('a')).toEqual(Array.from({ length: 8 }, (_, i) => `a#${i}`));
    expect(await seenBy('b')).toEqual(Array.from({ length: 8 }, (_, i) => `b#${i}`));
    expect(consumer.stats).toEqual({ applied: 16, duplicates: 0, failures: 1 });
    expect(consumer.batches.fallbacks).toBe(1);
    // One run per delivery: the failed first one (in the batch), then the redelivery.
    expect(attempts).toEqual([1, 2]);
    expect(await bus.deadLetters()).toHaveLength(0);
  });

  it('gives a batch redelivered after a crash between commit and ack no second effect', async () => {
    const domain = freshDomain('batch');
    const type = testEventType(domain);
    await bus.ensureStreams([domain]);
    for (let i = 0; i < 12; i++) await bus.publish(envelopeOf(type, `e${i}`, `c${i % 4}`));
    let handlerRuns = 0;
    let hookCalls = 0;
    const consumer = await start({
      spec: { durable: 'crashy', domain, backoffMs: [10] },
      handler: async (event, session) => {
        handlerRuns++;
        await applyToCounter(type, event, session);
      },
      // The batch commits, then the process "dies" before any ack: every event comes back.
      afterCommit: () => {
        if (hookCalls++ < 12) throw new Error('crashed before ack');
      },
    });
    await waitFor(() => consumer.stats.duplicates === 12, { description: 'the whole batch redelivered and recognized' });
    await sleep(100);
    expect(consumer.batches.committed).toBeGreaterThanOrEqual(1);
    // Recognized by the batch's lookup of its records, not by a collision that rolls it back.
    expect(consumer.batches.fallbacks).toBe(0);
    expect(consumer.stats.applied).toBe(12);
    expect(handlerRuns).toBe(12);
    for (let c = 0; c < 4; c++) expect(await seenBy(`c${c}`)).toEqual([`e${c}`, `e${c + 4}`, `e${c + 8}`]);
  });

  it('gives each event of a batch its own CONSUMER span continuing its own trace', async () => {
    const domain = freshDomain('batch');
    const type = testEventType(domain);
    await bus.ensureStreams([domain]);
    const producers = new Map<string, { traceId: string; spanId: string }>();
    for (let i = 0; i < 5; i++) {
      await trace.getTracer('test').startActiveSpan(`produce ${i}`, async (span) => {
        const envelope = envelopeOf(type, `m${i}`, `c${i}`);
        await bus.publish(envelope);
        producers.set(envelope.eventId, { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
        span.end();
      });
    }
    const consumer = await start({
      spec: { durable: 'traced', domain },
      handler: async (event) => {
        // Work done by the handler belongs to its own event's trace.
        trace.getTracer('test').startSpan(`work ${event.envelope.eventId}`).end();
      },
    });
    await waitFor(() => consumer.stats.applied === 5);
    expect(consumer.batches).toMatchObject({ committed: 1, events: 5 });
    const finished = spans.getFinishedSpans();
    for (const [eventId, producer] of producers) {
      const consumerSpans = finished.filter((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.message.id'] === eventId);
      expect(consumerSpans).toHaveLength(1);
      const [span] = consumerSpans;
      expect(span?.spanContext().traceId).toBe(producer.traceId);
      expect(span?.parentSpanContext?.spanId).toBe(producer.spanId);
      expect(span?.attributes['messaging.batch.message_count']).toBe(5);
      const work = finished.find((s) => s.name === `work ${eventId}`);
      expect(work?.parentSpanContext?.spanId).toBe(span?.spanContext().spanId);
    }
  });

  it('applies each event in its own transaction with maxBatchSize 1', async () => {
    const domain = freshDomain('batch');
    const type = testEventType(domain);
    await bus.ensureStreams([domain]);
    for (let i = 0; i < 6; i++) await bus.publish(envelopeOf(type, `s${i}`, `c${i}`));
    const single = await start({
      spec: { durable: 'single', domain },
      maxBatchSize: 1,
      handler: async (event, session) => {
        await applyToCounter(type, event, session);
      },
    });
    await waitFor(() => single.stats.applied === 6);
    expect(single.batches).toEqual({ committed: 0, events: 0, fallbacks: 0 });
    for (let i = 0; i < 6; i++) expect(await seenBy(`c${i}`)).toEqual([`s${i}`]);
  });

  it('waits up to batchLingerMs for a fuller batch', async () => {
    const domain = freshDomain('linger');
    const type = testEventType(domain);
    await bus.ensureStreams([domain]);
    const lingering = await start({ spec: { durable: 'lingering', domain }, batchLingerMs: 1000, handler: async () => undefined });
    // Two events published apart still share a batch: the consumer waits for more before starting.
    await bus.publish(envelopeOf(type, 'first', 'x1'));
    await sleep(50);
    await bus.publish(envelopeOf(type, 'second', 'x2'));
    await waitFor(() => lingering.stats.applied === 2, { timeoutMs: 5000 });
    expect(lingering.batches).toEqual({ committed: 1, events: 2, fallbacks: 0 });
  });
});

describe('inbox group commit on JetStream: a consumer that dies between a batch commit and its acks', () => {
  jest.setTimeout(60000);
  let server: NatsServerFixture;

  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('redelivers the batch to the restarted consumer, which recognizes every event without running its handler', async () => {
    const store = createEmbeddedStore();
    const domain = freshDomain('batch_js');
    const type = testEventType(domain);
    const producer = await createJetStreamBus({ servers: server.url });
    await producer.ensureStreams([domain]);
    const total = 24;
    for (let i = 0; i < total; i++) await producer.publish(envelopeOf(type, `e${i}`, `c${i % 6}`));

    const countEffect = async (event: DeliveredEvent, session: StoreSession): Promise<void> => {
      await store
        .forTenant(TENANT)
        .collection<Counter>('applied')
        .updateOne({ _id: event.envelope.eventId }, { $inc: { count: 1 } }, { session, upsert: true });
    };
    const doomedConnection = await connect({ servers: server.url });
    const doomedBus = await createJetStreamBus({ connection: doomedConnection });
    let committed = 0;
    const doomed = await createInboxConsumer({
      store,
      bus: doomedBus,
      spec: { durable: 'batch-crash', domain, ackWaitMs: 1000 },
      // Gather the whole backlog, whatever chunks it arrives in.
      batchLingerMs: 300,
      handler: countEffect,
      afterCommit: () => {
        committed++;
        // The process dies right here: no ack is ever sent.
        return new Promise<void>(() => undefined);
      },
    });
    await waitFor(() => committed === total, { description: 'the backlog committed by the doomed consumer' });
    expect(doomed.batches.committed).toBeGreaterThanOrEqual(1);
    expect(doomed.batches.events).toBeGreaterThan(1);
    await doomedConnection.close();

    let handlerRuns = 0;
    const restartedBus = await createJetStreamBus({ servers: server.url });
    const restarted = await createInboxConsumer({
      store,
      bus: restartedBus,
      spec: { durable: 'batch-crash', domain, ackWaitMs: 1000 },
      handler: async (event, session) => {
        handlerRuns++;
        await countEffect(event, session);
      },
    });
    try {
      await waitFor(() => restarted.stats.duplicates === total, { timeoutMs: 15000, description: 'every event redelivered and recognized' });
      await sleep(300);
      expect(restarted.stats).toEqual({ applied: 0, duplicates: total, failures: 0 });
      expect(restarted.batches.fallbacks).toBe(0);
      expect(handlerRuns).toBe(0);
      const applied = await store.unscoped<Counter>('applied').find({});
      expect(applied).toHaveLength(total);
      expect(applied.every((doc) => doc.count === 1)).toBe(true);
    } finally {
      await restarted.drain();
      await restartedBus.close();
      await producer.close();
    }
  });
});
