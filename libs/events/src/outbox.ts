import type { Context } from '@opentelemetry/api';
import type { BaseDocument, DocumentStore, StoreSession } from '@continuum/store';
import { createEnvelope, encodeEnvelope } from './envelope';
import { traceHeadersOf } from './trace';
import type { EventEnvelope, EventType, NewEvent, Outbox, OutgoingEvent } from './types';

/**
 * The transactional outbox. A service appends its events with the session of the transaction that
 * changes its state, so the state change and the events commit together or not at all; the relay
 * (outbox-relay.ts) publishes them afterwards. The producing span's trace context is stored with
 * the event, so the trace continues from the change that caused it, however late it is published.
 */
export const OUTBOX_COLLECTION = 'outbox';

/** One outgoing event as stored in the outbox collection. */
export interface OutboxDocument extends BaseDocument {
  /** The event id (UUIDv7: time ordered, so `_id` order is production order). */
  _id: string;
  state: 'pending' | 'sent';
  domain: string;
  type: string;
  /**
   * The customer the event is about ('' when none), copied from the envelope so the relay can keep
   * each customer's events in order without decoding the envelope. Absent in entries written
   * before it existed (the relay then decodes).
   */
  subjectProfileId?: string;
  /** The encoded EventEnvelope, base64: stored as text so both store backends keep it byte for byte. */
  envelope: string;
  /** W3C trace context of the producing span, if there was one. */
  traceparent?: string;
  tracestate?: string;
  createdAt: Date;
  /** When the broker acknowledged it (state `sent`). */
  sentAt?: Date;
}

/**
 * Declares the outbox collection and its one index, by state then id: the relay's read of the
 * oldest pending entries (across tenants) and the clean-up of sent ones both start from it. On
 * MongoDB it does not lead with tenantId (crossTenant), so the relay's poll is an index scan in
 * id order, never a scan of every entry kept. One index only, because every entry is written
 * twice (appended, marked sent) and each index makes both writes dearer. Idempotent.
 */
export async function defineOutboxCollection(store: DocumentStore): Promise<void> {
  await store.defineCollection(OUTBOX_COLLECTION, [{ key: { state: 1, _id: 1 }, name: 'state_id', crossTenant: true }]);
}

/** Thrown when Outbox.append is called without a transaction session. */
export class OutboxSessionRequiredError extends Error {
  constructor() {
    super('Outbox.append needs the session of the transaction that changes the state (store.withTransaction)');
    this.name = 'OutboxSessionRequiredError';
  }
}

/**
 * Wakes the relays of one store when events are appended. Waking is a hint: the append's
 * transaction may not have committed yet (or may roll back), so a woken relay reads the store and,
 * finding nothing new, looks again shortly after; polling covers events appended by other processes.
 */
export class OutboxSignal {
  private waiters: (() => void)[] = [];
  /** Incremented on every append, so a relay can tell whether something happened meanwhile. */
  generation = 0;

  notify(): void {
    this.generation++;
    const waiters = this.waiters;
    if (waiters.length === 0) return;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Resolves on the next notify or after `timeoutMs`. The promise is created by the waiting relay,
   * so its continuation runs in the relay's async context, never in the appending transaction's.
   */
  wait(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      // A wait that times out leaves the waiters: an idle relay waits again and again, and its
      // expired waits must not pile up until the next append.
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(wake);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve();
      }, timeoutMs);
      timer.unref();
      this.waiters.push(wake);
    });
  }
}

const signals = new WeakMap<DocumentStore, OutboxSignal>();

/** The signal shared by the outboxes and relays of one store in this process. */
export function outboxSignalFor(store: DocumentStore): OutboxSignal {
  let signal = signals.get(store);
  if (!signal) {
    signal = new OutboxSignal();
    signals.set(store, signal);
  }
  return signal;
}

/** Pairs an event type with an event of that type for `Outbox.appendAll`. */
export function outgoing<P>(type: EventType<P>, event: NewEvent<P>, context?: Context): OutgoingEvent {
  return { type: type as unknown as EventType<unknown>, event: event as NewEvent<unknown>, ...(context ? { context } : {}) };
}

export interface OutboxOptions {
  store: DocumentStore;
  /** Name of the producing service, written into every envelope (`identity`). */
  producer: string;
}

class StoreOutbox implements Outbox {
  private ready: Promise<void> | undefined;
  private readonly signal: OutboxSignal;

  constructor(private readonly options: OutboxOptions) {
    this.signal = outboxSignalFor(options.store);
  }

  async append<P>(session: StoreSession, type: EventType<P>, event: NewEvent<P>): Promise<EventEnvelope> {
    const [envelope] = await this.appendAll(session, [outgoing(type, event)]);
    return envelope as EventEnvelope;
  }

  async appendAll(session: StoreSession, events: readonly OutgoingEvent[]): Promise<EventEnvelope[]> {
    if (!session) throw new OutboxSessionRequiredError();
    if (events.length === 0) return [];
    // Validates every event (InvalidArgumentError naming the field) before anything is written.
    const envelopes = events.map(({ type, event }) => createEnvelope(type, event, { producer: this.options.producer }));
    this.ready ??= defineOutboxCollection(this.options.store);
    await this.ready;
    const active = traceHeadersOf();
    const byTenant = new Map<string, OutboxDocument[]>();
    for (const [i, envelope] of envelopes.entries()) {
      const own = events[i]?.context;
      const trace = own ? traceHeadersOf(own) : active;
      const data = encodeEnvelope(envelope);
      const document: OutboxDocument = {
        _id: envelope.eventId,
        tenantId: envelope.tenantId,
        state: 'pending',
        domain: envelope.domain,
        type: envelope.type,
        subjectProfileId: envelope.subjectProfileId,
        envelope: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
        createdAt: envelope.occurredAt ?? new Date(),
        ...(trace ? trace : {}),
      };
      const docs = byTenant.get(envelope.tenantId);
      if (docs) docs.push(document);
      else byTenant.set(envelope.tenantId, [document]);
    }
    for (const [tenantId, docs] of byTenant) {
      const collection = this.options.store.forTenant(tenantId).collection<OutboxDocument>(OUTBOX_COLLECTION);
      if (docs.length === 1) await collection.insertOne(docs[0] as OutboxDocument, { session });
      else await collection.insertMany(docs, { session });
    }
    this.signal.notify();
    return envelopes;
  }
}

/** The outbox of a service: `append(session, type, event)` inside the state change's transaction. */
export function createOutbox(options: OutboxOptions): Outbox {
  return new StoreOutbox(options);
}
