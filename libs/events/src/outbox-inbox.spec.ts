import { SpanKind, context, trace } from '@opentelemetry/api';
import { InvalidArgumentError } from '@continuum/kit';
import { createEmbeddedStore, type BaseDocument, type DocumentStore, type StoreSession } from '@continuum/store';
import { sleep, waitFor } from '@continuum/testing';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { createEnvelope, decodeEnvelope, decodePayload, encodeEnvelope, splitEnvelopes } from './envelope';
import { OutboxEntryUnreadableError } from './errors';
import { createInboxConsumer } from './inbox';
import { createInProcessBus } from './in-process-bus';
import { createOutbox, defineOutboxCollection, outboxEventsOf, outgoing, OUTBOX_COLLECTION, OutboxSessionRequiredError, type OutboxDocument } from './outbox';
import { OutboxRelay } from './outbox-relay';
import { captureSpans, freshDomain, subscribeInto, testEventType, type TestPayload } from './test-support.test-util';
import type { EventBus, EventEnvelope, EventType, Subscription } from './types';

/** One length-delimited record, as an outbox entry keeps each envelope. */
const encodeDelimited = (bytes: Uint8Array): Uint8Array => new BinaryWriter().bytes(bytes).finish();

interface Counter extends BaseDocument {
  count: number;
  seen: string[];
}

describe('outbox → relay → inbox (embedded store, in-process bus)', () => {
  jest.setTimeout(30000);
  const spans = captureSpans();
  let store: DocumentStore;
  let bus: EventBus;
  const relays: OutboxRelay[] = [];

  beforeEach(async () => {
    store = createEmbeddedStore();
    bus = createInProcessBus();
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await bus.close();
  });

  function startRelay(options: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}): OutboxRelay {
    const relay = new OutboxRelay({ store, bus, pollIntervalMs: 200, ...options });
    relays.push(relay);
    void relay.start();
    return relay;
  }

  /** A fresh domain with its stream on the bus, and the test event type of that domain. */
  async function freshEvents(): Promise<{ domain: string; type: EventType<TestPayload> }> {
    const domain = freshDomain('ob');
    await bus.ensureStreams([domain]);
    return { domain, type: testEventType(domain) };
  }

  /** Subscribes to `domain` and records, per customer, the indexes of its `<customer>#<index>` messages in the order they arrive. */
  async function subscribeOrder(domain: string, type: EventType<TestPayload>): Promise<{ order: Map<string, number[]>; sub: Subscription }> {
    const order = new Map<string, number[]>();
    const sub = await bus.subscribe({ durable: 'order', domain }, async (event) => {
      const [customer = '', index = ''] = decodePayload(type, event.envelope).message.split('#');
      order.set(customer, [...(order.get(customer) ?? []), Number(index)]);
    });
    return { order, sub };
  }

  async function countOf(tenant: string, id: string): Promise<Counter | null> {
    return store.forTenant(tenant).collection<Counter>('counters').findOne({ _id: id });
  }

  /** An inbox handler that counts each applied event on the customer's counter. */
  async function applyToCounter(envelope: EventEnvelope, session: StoreSession, message: string): Promise<void> {
    await store
      .forTenant(envelope.tenantId)
      .collection<Counter>('counters')
      .updateOne({ _id: envelope.subjectProfileId || 'none' }, { $inc: { count: 1 }, $push: { seen: message } }, { session, upsert: true });
  }

  it('publishes what a committed transaction appended, and the inbox applies it once', async () => {
    const { domain, type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    const relay = startRelay();
    const inbox = await createInboxConsumer({
      store,
      bus,
      spec: { durable: 'counter', domain },
      handler: async (event, session) => applyToCounter(event.envelope, session, decodePayload(type, event.envelope).message),
    });
    const envelope = await store.withTransaction(async (session) => {
      await store.forTenant('acme').collection<Counter>('profiles').insertOne({ _id: 'p-1', count: 0, seen: [] }, { session });
      return outbox.append(session, type, { tenantId: 'acme', subjectProfileId: 'p-1', payload: { message: 'hello' } });
    });
    expect(envelope).toMatchObject({ tenantId: 'acme', domain, type: 'thing_happened', producer: 'tester', subjectProfileId: 'p-1' });
    await waitFor(async () => (await countOf('acme', 'p-1'))?.count === 1, { description: 'applied' });
    await sleep(100);
    expect((await countOf('acme', 'p-1'))?.seen).toEqual(['hello']);
    expect(inbox.stats).toEqual({ applied: 1, duplicates: 0, failures: 0 });
    const entry = await store.forTenant('acme').collection<OutboxDocument>(OUTBOX_COLLECTION).findOne({ _id: envelope.eventId });
    expect(entry?.state).toBe('sent');
    expect(entry?.sentAt).toBeInstanceOf(Date);
    expect(relay.stats.published).toBe(1);
    await inbox.drain();
  });

  it('publishes nothing for a transaction that rolled back', async () => {
    const { domain, type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    const relay = startRelay();
    const received: string[] = [];
    const sub = await subscribeInto(bus, { durable: 'watch', domain }, received, (event) => decodePayload(type, event.envelope).message);
    await expect(
      store.withTransaction(async (session) => {
        await outbox.append(session, type, { tenantId: 'acme', payload: { message: 'rolled back' } });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    await store.withTransaction((session) => outbox.append(session, type, { tenantId: 'acme', payload: { message: 'committed' } }));
    await waitFor(() => received.includes('committed'));
    await sleep(300);
    expect(received).toEqual(['committed']);
    expect(await store.unscoped<OutboxDocument>(OUTBOX_COLLECTION).countDocuments({})).toBe(1);
    expect(relay.stats.published).toBe(1);
    await sub.drain();
  });

  it('refuses invalid events naming the field, and appends outside a transaction, writing nothing', async () => {
    const domain = freshDomain('ob');
    const type = testEventType(domain);
    const outbox = createOutbox({ store, producer: 'tester' });
    const attempt = store.withTransaction((session) => outbox.append(session, type, { tenantId: 'Not A Tenant.*', payload: { message: 'x' } }));
    await expect(attempt).rejects.toThrow(InvalidArgumentError);
    await expect(attempt).rejects.toMatchObject({ violations: [expect.objectContaining({ field: 'tenant_id' })] });
    const tooLong = store.withTransaction((session) =>
      outbox.append(session, type, { tenantId: 'acme', subjectProfileId: 'has space', payload: { message: 'x' } }),
    );
    await expect(tooLong).rejects.toMatchObject({ violations: [expect.objectContaining({ field: 'subject_profile_id' })] });
    await expect(outbox.append(undefined as unknown as StoreSession, type, { tenantId: 'acme', payload: { message: 'x' } })).rejects.toThrow(
      OutboxSessionRequiredError,
    );
    expect(await store.unscoped<OutboxDocument>(OUTBOX_COLLECTION).countDocuments({})).toBe(0);
  });

  it('appends a batch of events of several types and tenants in one call, published in the order given', async () => {
    const domain = freshDomain('ob');
    const first = testEventType(domain, 'first_happened');
    const second = testEventType(domain, 'second_happened');
    await bus.ensureStreams([domain]);
    const outbox = createOutbox({ store, producer: 'tester' });
    const received: string[] = [];
    const sub = await subscribeInto(bus, { durable: 'all', domain }, received, (event) => `${event.envelope.tenantId}:${event.envelope.type}:${decodePayload(event.envelope.type === 'first_happened' ? first : second, event.envelope).message}`);
    const envelopes = await store.withTransaction((session) =>
      outbox.appendAll(session, [
        outgoing(first, { tenantId: 'acme', subjectProfileId: 'p1', payload: { message: '1' } }),
        outgoing(second, { tenantId: 'globex', subjectProfileId: 'p1', payload: { message: '2' } }),
        outgoing(first, { tenantId: 'acme', subjectProfileId: 'p1', payload: { message: '3' } }),
      ]),
    );
    expect(envelopes.map((e) => e.type)).toEqual(['first_happened', 'second_happened', 'first_happened']);
    expect(await store.withTransaction((session) => outbox.appendAll(session, []))).toEqual([]);
    startRelay();
    await waitFor(() => received.length === 3);
    expect(received).toEqual(['acme:first_happened:1', 'globex:second_happened:2', 'acme:first_happened:3']);
    await sub.drain();
  });

  it('appends none of a batch when one of its events is invalid', async () => {
    const domain = freshDomain('ob');
    const type = testEventType(domain);
    const outbox = createOutbox({ store, producer: 'tester' });
    const attempt = store.withTransaction((session) =>
      outbox.appendAll(session, [outgoing(type, { tenantId: 'acme', payload: { message: 'ok' } }), outgoing(type, { tenantId: 'acme', subjectProfileId: 'has space', payload: { message: 'bad' } })]),
    );
    await expect(attempt).rejects.toMatchObject({ violations: [expect.objectContaining({ field: 'subject_profile_id' })] });
    await expect(outbox.appendAll(undefined as unknown as StoreSession, [outgoing(type, { tenantId: 'acme', payload: { message: 'x' } })])).rejects.toThrow(OutboxSessionRequiredError);
    expect(await store.unscoped<OutboxDocument>(OUTBOX_COLLECTION).countDocuments({})).toBe(0);
  });

  it('gives a redelivered event no second effect (ack lost after commit)', async () => {
    const { domain, type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    startRelay();
    let crashed = 0;
    const inbox = await createInboxConsumer({
      store,
      bus,
      spec: { durable: 'counter', domain, backoffMs: [10] },
      handler: async (event, session) => applyToCounter(event.envelope, session, decodePayload(type, event.envelope).message),
      // The first delivery commits, then "dies" before the ack: the bus redelivers it.
      afterCommit: () => {
        if (crashed++ === 0) throw new Error('crashed before ack');
      },
    });
    await store.withTransaction((session) => outbox.append(session, type, { tenantId: 'acme', subjectProfileId: 'p-7', payload: { message: 'once' } }));
    await waitFor(() => inbox.stats.duplicates === 1, { description: 'the redelivery seen as a duplicate' });
    expect((await countOf('acme', 'p-7'))?.count).toBe(1);
    expect(inbox.stats.applied).toBe(1);
    await inbox.drain();
  });

  it('rolls back a failing handler, retries it, and dead-letters it after max deliveries without recording it', async () => {
    const { domain, type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    startRelay();
    const inbox = await createInboxConsumer({
      store,
      bus,
      spec: { durable: 'fragile', domain, backoffMs: [10], maxDeliveries: 3 },
      handler: async (event, session) => {
        const message = decodePayload(type, event.envelope).message;
        await applyToCounter(event.envelope, session, message);
        if (message === 'bad' || (message === 'flaky' && event.deliveryCount < 2)) throw new Error(`cannot apply ${message}`);
      },
    });
    await store.withTransaction(async (session) => {
      await outbox.append(session, type, { tenantId: 'acme', subjectProfileId: 'p-1', payload: { message: 'flaky' } });
      await outbox.append(session, type, { tenantId: 'acme', subjectProfileId: 'p-2', payload: { message: 'bad' } });
    });
    await waitFor(async () => (await bus.deadLetters()).length === 1, { description: 'one dead letter' });
    await waitFor(async () => (await countOf('acme', 'p-1'))?.count === 1);
    expect((await countOf('acme', 'p-1'))?.seen).toEqual(['flaky']);
    // Three attempts at "bad", each rolled back: no effect and no inbox record.
    expect(await countOf('acme', 'p-2')).toBeNull();
    expect(await store.unscoped('inbox').countDocuments({})).toBe(1);
    expect(inbox.stats).toEqual({ applied: 1, duplicates: 0, failures: 4 });
    const [letter] = await bus.deadLetters();
    expect(letter?.consumer).toBe('fragile');
    expect(letter?.deliveryCount).toBe(3);
    await inbox.drain();
  });

  it('runs one relay at a time against a store; a standby takes over when the leader stops', async () => {
    const { domain, type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    const first = startRelay({ relayId: 'first', leaseMs: 600 });
    await waitFor(() => first.stats.leader);
    const second = startRelay({ relayId: 'second', leaseMs: 600 });
    const received: string[] = [];
    const sub = await subscribeInto(bus, { durable: 'watch', domain }, received, (event) => decodePayload(type, event.envelope).message);
    for (let i = 0; i < 20; i++) {
      await store.withTransaction((session) => outbox.append(session, type, { tenantId: 'acme', payload: { message: `a${i}` } }));
    }
    await waitFor(() => received.length === 20);
    expect(first.stats.published).toBe(20);
    expect(second.stats.published).toBe(0);
    expect(second.stats.leader).toBe(false);
    await first.stop();
    for (let i = 0; i < 5; i++) {
      await store.withTransaction((session) => outbox.append(session, type, { tenantId: 'acme', payload: { message: `b${i}` } }));
    }
    await waitFor(() => received.length === 25, { description: 'the standby publishes' });
    expect(second.stats.published).toBe(5);
    expect(second.stats.leader).toBe(true);
    await sub.drain();
  });

  it('keeps its lease while it publishes a batch that outlasts the lease; the standby publishes nothing', async () => {
    const { domain, type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    // A slow broker: one publish at a time, 40 ms each; 40 entries take ~1.6 s, four leases of 400 ms.
    const slow: EventBus = Object.create(bus) as EventBus;
    slow.publish = async (envelope, headers) => {
      await sleep(40);
      return bus.publish(envelope, headers);
    };
    await store.withTransaction(async (session) => {
      for (let i = 0; i < 40; i++) await outbox.append(session, type, { tenantId: 'acme', subjectProfileId: `c${i}`, payload: { message: `m${i}` } });
    });
    const first = startRelay({ bus: slow, relayId: 'first', leaseMs: 400, maxInFlight: 1 });
    await waitFor(() => first.stats.leader);
    const second = startRelay({ bus: slow, relayId: 'second', leaseMs: 400, maxInFlight: 1 });
    const received: string[] = [];
    const sub = await subscribeInto(bus, { durable: 'watch', domain }, received, (event) => decodePayload(type, event.envelope).message);
    await waitFor(() => first.stats.marked === 40, { timeoutMs: 15000 });
    await sleep(200);
    expect(first.stats.published).toBe(40);
    expect(second.stats.published).toBe(0);
    expect(received).toHaveLength(40);
    await sub.drain();
  });

  it('keeps each customer in order through publish failures, with 16 in flight', async () => {
    const { domain, type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    // A broker that fails every 5th publish.
    let publishes = 0;
    const flaky: EventBus = Object.create(bus) as EventBus;
    flaky.publish = async (envelope, headers) => {
      if (++publishes % 5 === 0) {
        await sleep(2);
        throw new Error('broker unavailable');
      }
      await sleep(publishes % 3);
      return bus.publish(envelope, headers);
    };
    const relay = startRelay({ bus: flaky, retryDelayMs: 5 });
    const { order, sub } = await subscribeOrder(domain, type);
    await store.withTransaction(async (session) => {
      for (let i = 0; i < 30; i++) {
        for (let c = 0; c < 5; c++) await outbox.append(session, type, { tenantId: 'acme', subjectProfileId: `c${c}`, payload: { message: `c${c}#${i}` } });
      }
    });
    await waitFor(() => [...order.values()].reduce((n, l) => n + l.length, 0) === 150, { timeoutMs: 20000 });
    for (let c = 0; c < 5; c++) expect(order.get(`c${c}`)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(relay.stats.failures).toBeGreaterThan(0);
    await sub.drain();
  });

  it('keeps the events of one append in one entry, in order, and marks it sent once every event was acknowledged', async () => {
    const { domain, type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    const { order, sub } = await subscribeOrder(domain, type);
    const envelopes = await store.withTransaction((session) =>
      outbox.appendAll(
        session,
        Array.from({ length: 300 }, (_, i) => outgoing(type, { tenantId: 'acme', subjectProfileId: `c${i % 3}`, payload: { message: `c${i % 3}#${Math.floor(i / 3)}` } })),
      ),
    );
    const [entry, ...others] = await store.unscoped<OutboxDocument>(OUTBOX_COLLECTION).find({});
    expect(others).toHaveLength(0);
    expect(entry?._id).toBe(envelopes[0]?.eventId);
    expect(entry?.events?.map((e) => e.eventId)).toEqual(envelopes.map((e) => e.eventId));
    // The envelopes are kept together as bytes, one per event, in order.
    expect(entry?.envelopes).toBeInstanceOf(Uint8Array);
    expect(outboxEventsOf(entry ? [entry] : []).map((e) => decodeEnvelope(e.envelope).eventId)).toEqual(envelopes.map((e) => e.eventId));
    expect(outboxEventsOf(entry ? [entry] : []).map((e) => e.subjectProfileId)).toEqual(envelopes.map((e) => e.subjectProfileId));
    const relay = startRelay({ maxInFlight: 4 });
    await waitFor(() => relay.stats.marked === 300);
    for (let c = 0; c < 3; c++) expect(order.get(`c${c}`)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(relay.stats.published).toBe(300);
    expect((await store.unscoped<OutboxDocument>(OUTBOX_COLLECTION).findOne({}))?.state).toBe('sent');
    await sub.drain();
  });

  it('keeps pace with a producer that appends every turn of the event loop (a bus that acknowledges at once)', async () => {
    const { type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    const relay = startRelay();
    // 60 turns, each appending 200 events, as streamed ingestion does under load. A relay that
    // waited a turn for every 16 publishes would be ~11,000 events behind at the end.
    for (let turn = 0; turn < 60; turn++) {
      await store.withTransaction((session) =>
        outbox.appendAll(
          session,
          Array.from({ length: 200 }, (_, i) => outgoing(type, { tenantId: 'acme', subjectProfileId: `c${i % 50}`, payload: { message: `t${turn}-${i}` } })),
        ),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
    // A few turns' worth of slack for the relay's own wake-ups.
    const behind = 60 * 200 - relay.stats.published;
    expect(behind).toBeLessThanOrEqual(5 * 200);
    await waitFor(() => relay.stats.marked === 60 * 200);
  });

  it('reads large entries a few at a time: the entry limit of a read follows the largest entry met', async () => {
    const { type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    const entryOf500 = (e: number) => Array.from({ length: 500 }, (_, i) => outgoing(type, { tenantId: 'acme', subjectProfileId: `c${i % 7}`, payload: { message: `${e}-${i}` } }));
    // The relay's reads of the outbox, with the limit each asked for and the entries it got.
    const reads: { limit: number | undefined; entries: number }[] = [];
    const unscoped = store.unscoped.bind(store);
    store.unscoped = <T extends BaseDocument>(name: string) => {
      const collection = unscoped<T>(name);
      if (name !== OUTBOX_COLLECTION) return collection;
      const find = collection.find.bind(collection);
      collection.find = async (filter, options) => {
        const docs = await find(filter, options);
        if ((filter as { state?: string }).state === 'pending') reads.push({ limit: options?.limit, entries: docs.length });
        return docs;
      };
      return collection;
    };
    const relay = startRelay({ maxEventsPerRead: 1000 });
    // One entry first: the first read (at most 64 entries) meets its 500 events.
    await store.withTransaction((session) => outbox.appendAll(session, entryOf500(0)));
    await waitFor(() => relay.stats.marked === 500, { timeoutMs: 15000 });
    // Then a backlog of six such entries, committed together.
    await store.withTransaction(async (session) => {
      for (let e = 1; e <= 6; e++) await outbox.appendAll(session, entryOf500(e));
    });
    await waitFor(() => relay.stats.marked === 3500, { timeoutMs: 15000 });
    const withEntries = reads.filter((r) => r.entries > 0);
    expect(withEntries[0]).toEqual({ limit: 64, entries: 1 });
    // Every later read asks for two entries (1000 / 500): the backlog took three reads.
    const later = withEntries.slice(1);
    expect(later.map((r) => r.limit)).toEqual(later.map(() => 2));
    expect(later.map((r) => r.entries)).toEqual([2, 2, 2]);
    expect(relay.stats.published).toBe(3500);
  });

  it('splits a very large append into entries of at most 512 events, published in order', async () => {
    const { domain, type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    const received: number[] = [];
    const sub = await subscribeInto(bus, { durable: 'all', domain }, received, (event) => Number(decodePayload(type, event.envelope).message));
    await store.withTransaction((session) =>
      outbox.appendAll(session, Array.from({ length: 1200 }, (_, i) => outgoing(type, { tenantId: 'acme', subjectProfileId: 'one', payload: { message: String(i) } }))),
    );
    const entries = await store.unscoped<OutboxDocument>(OUTBOX_COLLECTION).find({}, { sort: { _id: 1 } });
    expect(entries.map((e) => e.events?.length)).toEqual([512, 512, 176]);
    startRelay();
    await waitFor(() => received.length === 1200, { timeoutMs: 15000 });
    expect(received).toEqual(Array.from({ length: 1200 }, (_, i) => i));
    await sub.drain();
  });

  it('splits an append of large events so that no entry nears MongoDB\'s 16 MB document limit', async () => {
    const { domain, type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    const received: string[] = [];
    const sub = await subscribeInto(bus, { durable: 'all', domain }, received, (event) => decodePayload(type, event.envelope).message.slice(0, 8));
    // 40 events of 500 kB: 20 MB in all, far fewer than 512 events.
    const big = (i: number): string => `${String(i).padStart(8, '0')}${'x'.repeat(500_000)}`;
    await store.withTransaction((session) => outbox.appendAll(session, Array.from({ length: 40 }, (_, i) => outgoing(type, { tenantId: 'acme', subjectProfileId: 'one', payload: { message: big(i) } }))));
    const entries = await store.unscoped<OutboxDocument>(OUTBOX_COLLECTION).find({}, { sort: { _id: 1 } });
    expect(entries.length).toBeGreaterThan(1);
    for (const entry of entries) expect(entry.envelopes?.byteLength).toBeLessThanOrEqual(4 * 1024 * 1024 + 600_000);
    expect(entries.reduce((sum, e) => sum + (e.events?.length ?? 0), 0)).toBe(40);
    startRelay();
    await waitFor(() => received.length === 40, { timeoutMs: 15000 });
    expect(received).toEqual(Array.from({ length: 40 }, (_, i) => String(i).padStart(8, '0')));
    await sub.drain();
  });

  it('publishes an entry again in full when its relay died half way through it; the inbox applies each event once', async () => {
    const { domain, type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    let publishedByDoomed = 0;
    // Hangs for good after its 7th acknowledged publish, like a process killed there: never stopped.
    const doomed = new OutboxRelay({
      store,
      bus,
      relayId: 'doomed',
      leaseMs: 300,
      maxInFlight: 2,
      afterPublish: () => (++publishedByDoomed >= 7 ? new Promise<void>(() => undefined) : undefined),
    });
    await doomed.start();
    await store.withTransaction((session) =>
      outbox.appendAll(session, Array.from({ length: 20 }, (_, i) => outgoing(type, { tenantId: 'acme', subjectProfileId: `p-${i % 4}`, payload: { message: `p-${i % 4}#${Math.floor(i / 4)}` } }))),
    );
    await waitFor(() => publishedByDoomed >= 7, { description: 'the doomed relay published part of the entry' });
    expect(await store.unscoped(OUTBOX_COLLECTION).countDocuments({ state: 'pending' })).toBe(1);

    const inbox = await createInboxConsumer({
      store,
      bus,
      spec: { durable: 'counter', domain },
      handler: async (event, session) => applyToCounter(event.envelope, session, decodePayload(type, event.envelope).message),
    });
    const successor = startRelay({ relayId: 'successor', leaseMs: 300, pollIntervalMs: 50 });
    await waitFor(() => successor.stats.marked === 20, { timeoutMs: 10000, description: 'the successor marked the entry sent' });
    await waitFor(async () => {
      const counts = await Promise.all([0, 1, 2, 3].map((c) => countOf('acme', `p-${c}`)));
      return counts.every((c) => c?.count === 5);
    });
    await sleep(100);
    for (let c = 0; c < 4; c++) expect((await countOf('acme', `p-${c}`))?.seen).toEqual([0, 1, 2, 3, 4].map((k) => `p-${c}#${k}`));
    expect(successor.stats.published).toBe(20);
    expect(inbox.stats.applied).toBe(20);
    expect(await store.unscoped(OUTBOX_COLLECTION).countDocuments({ state: 'pending' })).toBe(0);
    await inbox.drain();
  });

  it('skips an entry whose bytes do not hold an envelope per event, and publishes the others', async () => {
    const { domain, type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    const received: string[] = [];
    const sub = await subscribeInto(bus, { durable: 'all', domain }, received, (event) => decodePayload(type, event.envelope).message);
    await store.withTransaction((session) => outbox.appendAll(session, [outgoing(type, { tenantId: 'acme', payload: { message: 'one' } }), outgoing(type, { tenantId: 'acme', payload: { message: 'two' } })]));
    // Cut the second envelope off the entry, as a hand edit of the collection might.
    const [broken] = await store.unscoped<OutboxDocument>(OUTBOX_COLLECTION).find({});
    const firstOnly = splitEnvelopes(broken?.envelopes ?? new Uint8Array())[0] ?? new Uint8Array();
    await store.unscoped<OutboxDocument>(OUTBOX_COLLECTION).updateOne({ _id: broken?._id }, { $set: { envelopes: encodeDelimited(firstOnly) } });
    await store.withTransaction((session) => outbox.append(session, type, { tenantId: 'acme', payload: { message: 'three' } }));
    const relay = startRelay();
    await waitFor(() => received.includes('three'));
    await sleep(100);
    expect(received).toEqual(['three']);
    expect(relay.stats.published).toBe(1);
    expect(await store.unscoped(OUTBOX_COLLECTION).countDocuments({ state: 'pending' })).toBe(1);
    await sub.drain();
  });

  it('reads an entry only when its bytes hold exactly one envelope per event', async () => {
    const { type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    await store.withTransaction((session) => outbox.appendAll(session, [outgoing(type, { tenantId: 'acme', payload: { message: 'one' } })]));
    const [entry] = await store.unscoped<OutboxDocument>(OUTBOX_COLLECTION).find({});
    if (!entry?.envelopes) throw new Error('no entry');
    const extra = { ...entry, envelopes: Buffer.concat([entry.envelopes, entry.envelopes]) };
    const missing = { ...entry, envelopes: new Uint8Array() };
    const garbled = { ...entry, envelopes: Uint8Array.from([0xff]) };
    expect(outboxEventsOf([entry])).toHaveLength(1);
    for (const broken of [extra, missing, garbled]) expect(() => outboxEventsOf([broken])).toThrow(OutboxEntryUnreadableError);
  });

  it('still publishes an entry of the older one-event form', async () => {
    const { domain, type } = await freshEvents();
    const received: string[] = [];
    const sub = await subscribeInto(bus, { durable: 'all', domain }, received, (event) => `${event.envelope.subjectProfileId}:${decodePayload(type, event.envelope).message}`);
    const envelope = createEnvelope(type, { tenantId: 'acme', subjectProfileId: 'p-9', payload: { message: 'old' } }, { producer: 'tester' });
    await defineOutboxCollection(store);
    await store
      .forTenant('acme')
      .collection<OutboxDocument>(OUTBOX_COLLECTION)
      .insertOne({ _id: envelope.eventId, state: 'pending', domain, type: type.type, envelope: Buffer.from(encodeEnvelope(envelope)).toString('base64'), createdAt: new Date() });
    const relay = startRelay();
    await waitFor(() => relay.stats.marked === 1);
    expect(received).toEqual(['p-9:old']);
    await sub.drain();
  });

  it('deletes sent entries when retention is zero', async () => {
    const { type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    const relay = startRelay({ retentionMs: 0 });
    await store.withTransaction((session) => outbox.append(session, type, { tenantId: 'acme', payload: { message: 'x' } }));
    await waitFor(() => relay.stats.marked === 1);
    expect(await store.unscoped(OUTBOX_COLLECTION).countDocuments({})).toBe(0);
  });

  it('continues the trace of the producing span: producer → relay send → consumer process', async () => {
    const { domain, type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    startRelay();
    const inbox = await createInboxConsumer({ store, bus, spec: { durable: 'traced', domain }, handler: async () => undefined });
    const envelope = await trace.getTracer('test').startActiveSpan('rpc Update', async (span) => {
      try {
        return await store.withTransaction((session) => outbox.append(session, type, { tenantId: 'acme', subjectProfileId: 'p-1', payload: { message: 'x' } }));
      } finally {
        span.end();
      }
    });
    const consumer = await waitFor(() =>
      spans.getFinishedSpans().find((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.message.id'] === envelope.eventId),
    );
    const producer = spans.getFinishedSpans().find((s) => s.name === 'rpc Update');
    const send = spans.getFinishedSpans().find((s) => s.kind === SpanKind.PRODUCER && s.attributes['messaging.message.id'] === envelope.eventId);
    expect(send?.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
    expect(consumer.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
    expect(consumer.spanContext().traceId).toBe(producer?.spanContext().traceId);
    expect(send?.attributes['messaging.operation.type']).toBe('send');
    await inbox.drain();
  });

  it('continues, for each event of a batch, the trace of the change that produced it', async () => {
    const { type } = await freshEvents();
    const outbox = createOutbox({ store, producer: 'tester' });
    startRelay();
    const tracer = trace.getTracer('test');
    // Two callers' changes, committed together by a third party (a group commit).
    const callerA = tracer.startSpan('rpc A');
    const callerB = tracer.startSpan('rpc B');
    const [a, b] = await store.withTransaction((session) =>
      outbox.appendAll(session, [
        outgoing(type, { tenantId: 'acme', subjectProfileId: 'p-1', payload: { message: 'a' } }, trace.setSpan(context.active(), callerA)),
        outgoing(type, { tenantId: 'acme', subjectProfileId: 'p-2', payload: { message: 'b' } }, trace.setSpan(context.active(), callerB)),
      ]),
    );
    callerA.end();
    callerB.end();
    const sendOf = (id: string | undefined) => spans.getFinishedSpans().find((s) => s.kind === SpanKind.PRODUCER && s.attributes['messaging.message.id'] === id);
    await waitFor(() => sendOf(a?.eventId) && sendOf(b?.eventId));
    expect(sendOf(a?.eventId)?.parentSpanContext?.spanId).toBe(callerA.spanContext().spanId);
    expect(sendOf(b?.eventId)?.parentSpanContext?.spanId).toBe(callerB.spanContext().spanId);
    expect(sendOf(b?.eventId)?.spanContext().traceId).toBe(callerB.spanContext().traceId);
  });
});
