import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { createEmbeddedStore, type BaseDocument, type DocumentStore, type StoreSession } from '@continuum/store';
import { sleep, startNatsServer, waitFor, type NatsServerFixture } from '@continuum/testing';
import { createEnvelope } from './envelope';
import { createInboxConsumer, type InboxSubscription } from './inbox';
import { createJetStreamBus } from './jetstream-bus';
import { createOutbox, OUTBOX_COLLECTION } from './outbox';
import { OutboxRelay } from './outbox-relay';
import { streamName } from './subjects';
import { freshDomain, testEventType } from './test-support.test-util';
import type { DeliveredEvent, EventBus } from './types';

/**
 * Fault tests against a real nats-server: each one breaks something at the worst moment and then
 * counts, event by event, that nothing was lost and nothing was applied twice.
 */
interface Applied extends BaseDocument {
  times: number;
}

jest.setTimeout(60000);

describe('JetStream faults', () => {
  let server: NatsServerFixture;
  let store: DocumentStore;
  const cleanups: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    server = await startNatsServer();
    store = createEmbeddedStore();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    await server.stop();
  });

  async function bus(options: { duplicateWindowMs?: number } = {}): Promise<EventBus> {
    const created = await createJetStreamBus({ servers: server.url, publishTimeoutMs: 1000, reconnectMaxDelayMs: 250, ...options });
    cleanups.push(() => created.close());
    return created;
  }

  /** Counts each applied event id in the store: the effect whose count must be exactly one. */
  async function countEffect(event: DeliveredEvent, session: StoreSession): Promise<void> {
    await store
      .forTenant(event.envelope.tenantId)
      .collection<Applied>('applied')
      .updateOne({ _id: event.envelope.eventId }, { $inc: { times: 1 } }, { session, upsert: true });
  }

  async function effects(): Promise<{ events: number; applications: number; maxTimes: number }> {
    const docs = await store.unscoped<Applied>('applied').find({});
    return {
      events: docs.length,
      applications: docs.reduce((n, doc) => n + doc.times, 0),
      maxTimes: docs.reduce((m, doc) => Math.max(m, doc.times), 0),
    };
  }

  async function streamMessages(domain: string): Promise<number> {
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      return (await jsm.streams.info(streamName(domain))).state.messages;
    } finally {
      await nc.close();
    }
  }

  it('(a) applies 2,000 outbox events exactly once although the NATS server is killed and restarted midway', async () => {
    const domain = freshDomain('fault_a');
    const type = testEventType(domain);
    const producerBus = await bus();
    const consumerBus = await bus();
    await producerBus.ensureStreams([domain]);
    const outbox = createOutbox({ store, producer: 'fault-a' });
    const relay = new OutboxRelay({ store, bus: producerBus, pollIntervalMs: 100, retryDelayMs: 50, maxRetryDelayMs: 500 });
    await relay.start();
    cleanups.push(() => relay.stop());
    const inbox: InboxSubscription = await createInboxConsumer({
      store,
      bus: consumerBus,
      spec: { durable: 'fault-a', domain, ackWaitMs: 2000, backoffMs: [50, 200] },
      handler: countEffect,
    });
    cleanups.push(() => inbox.drain());

    const total = 2000;
    for (let i = 0; i < total; i++) {
      await store.withTransaction((session) =>
        outbox.append(session, type, { tenantId: 'acme', subjectProfileId: `c${i % 40}`, payload: { message: `e${i}` } }),
      );
      if (i === 800) {
        await server.kill();
        await sleep(1000);
      }
      if (i === 1400) await server.restart();
      // Spread production over the outage a little, as live traffic would be.
      if (i % 100 === 0) await sleep(20);
    }
    await waitFor(async () => (await effects()).events === total, { timeoutMs: 40000, intervalMs: 100, description: 'all 2,000 events applied' });
    await relay.waitUntilIdle(10000);
    await sleep(500);
    const result = await effects();
    expect(result).toEqual({ events: total, applications: total, maxTimes: 1 });
    expect(inbox.stats.applied).toBe(total);
    expect(await store.unscoped(OUTBOX_COLLECTION).countDocuments({ state: 'pending' })).toBe(0);
    // The outage was real: publishes failed while the server was down.
    expect(relay.stats.failures).toBeGreaterThan(0);
  });

  it('(b) a consumer that dies after committing and before acking: the redelivered events have no second effect', async () => {
    const domain = freshDomain('fault_b');
    const type = testEventType(domain);
    const producer = await bus();
    await producer.ensureStreams([domain]);
    // The doomed consumer has its own connection, which the test cuts as a crash would.
    const doomedConnection = await connect({ servers: server.url });
    const doomedBus = await createJetStreamBus({ connection: doomedConnection });
    let committed = 0;
    await createInboxConsumer({
      store,
      bus: doomedBus,
      spec: { durable: 'fault-b', domain, ackWaitMs: 1000 },
      handler: countEffect,
      afterCommit: () => {
        committed++;
        // The process dies right here: the ack is never sent.
        return new Promise<void>(() => undefined);
      },
    });
    const total = 20;
    // One event per customer: a hung handler holds back its customer's later events, by design.
    for (let i = 0; i < total; i++) {
      await producer.publish(createEnvelope(type, { tenantId: 'acme', subjectProfileId: `c${i}`, payload: { message: `e${i}` } }, { producer: 'fault-b' }));
    }
    await waitFor(() => committed === total, { description: 'every event committed by the doomed consumer' });
    await doomedConnection.close();

    const redeliveries: number[] = [];
    const restarted = await createInboxConsumer({
      store,
      bus: await bus(),
      spec: { durable: 'fault-b', domain, ackWaitMs: 1000 },
      handler: async (event, session) => {
        redeliveries.push(event.deliveryCount);
        await countEffect(event, session);
      },
    });
    cleanups.push(() => restarted.drain());
    await waitFor(() => restarted.stats.duplicates === total, { timeoutMs: 15000, description: 'every event redelivered' });
    await sleep(300);
    expect(restarted.stats).toEqual({ applied: 0, duplicates: total, failures: 0 });
    // The handler never ran again: the inbox recognized every redelivery.
    expect(redeliveries).toEqual([]);
    expect(await effects()).toEqual({ events: total, applications: total, maxTimes: 1 });
  });

  it.each([
    ['the broker drops the repeat (within the dedupe window)', 120_000],
    ['the inbox drops the repeat (dedupe window already over)', 1_000],
  ])('(c) a relay that dies after publishing and before marking sent: no duplicate effect — %s', async (_case, duplicateWindowMs) => {
    const domain = freshDomain('fault_c');
    const type = testEventType(domain);
    const relayBus = await bus({ duplicateWindowMs });
    await relayBus.ensureStreams([domain]);
    const outbox = createOutbox({ store, producer: 'fault-c' });
    let publishedByDoomed = 0;
    // The first relay publishes and then hangs for ever before marking anything: a dead process
    // that still holds its lease until it expires.
    const doomed = new OutboxRelay({
      store,
      bus: relayBus,
      relayId: 'doomed',
      leaseMs: 1500,
      maxInFlight: 16,
      afterPublish: () => {
        publishedByDoomed++;
        return new Promise<void>(() => undefined);
      },
    });
    await doomed.start();
    const total = 16;
    await store.withTransaction(async (session) => {
      for (let i = 0; i < total; i++) await outbox.append(session, type, { tenantId: 'acme', payload: { message: `e${i}` } });
    });
    await waitFor(() => publishedByDoomed === total, { description: 'the doomed relay published everything' });
    expect(await store.unscoped(OUTBOX_COLLECTION).countDocuments({ state: 'pending' })).toBe(total);
    if (duplicateWindowMs < 120_000) await sleep(duplicateWindowMs + 500);

    const successor = new OutboxRelay({ store, bus: relayBus, relayId: 'successor', leaseMs: 1500, pollIntervalMs: 100 });
    await successor.start();
    cleanups.push(() => successor.stop());
    await successor.waitUntilIdle(15000);
    expect(successor.stats.published).toBe(total);

    const inbox = await createInboxConsumer({ store, bus: await bus(), spec: { durable: 'fault-c', domain }, handler: countEffect });
    cleanups.push(() => inbox.drain());
    const expectedInStream = duplicateWindowMs < 120_000 ? 2 * total : total;
    await waitFor(() => inbox.stats.applied + inbox.stats.duplicates === expectedInStream, { timeoutMs: 15000 });
    await sleep(300);
    expect(await streamMessages(domain)).toBe(expectedInStream);
    expect(inbox.stats).toEqual({ applied: total, duplicates: expectedInStream - total, failures: 0 });
    expect(await effects()).toEqual({ events: total, applications: total, maxTimes: 1 });
  });
});
