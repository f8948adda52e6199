import type { Context } from '@opentelemetry/api';
import type { BaseDocument, DocumentStore, StoreSession } from '@continuum/store';
import { createEnvelope, decodeEnvelope, encodeEnvelopes, splitEnvelopes } from './envelope';
import { OutboxEntryUnreadableError } from './errors';
import { traceHeadersOf } from './trace';
import type { EventEnvelope, EventType, NewEvent, Outbox, OutgoingEvent } from './types';

/**
 * The transactional outbox. A service appends its events with the session of the transaction that
 * changes its state, so the state change and the events commit together or not at all; the relay
 * (outbox-relay.ts) publishes them afterwards. The producing span's trace context is stored with
 * the event, so the trace continues from the change that caused it, however late it is published.
 */
export const OUTBOX_COLLECTION = 'outbox';

/** What an outbox entry keeps of each of its events beside the encoded envelope. */
export interface OutboxEventInfo {
  /** The event id (UUIDv7: time ordered). */
  eventId: string;
  domain: string;
  type: string;
  /** The customer the event is about ('' when none): the relay keeps each customer's events in order. */
  subjectProfileId: string;
  /** W3C trace context of the producing span, if there was one. */
  traceparent?: string;
  tracestate?: string;
}

/** One event of an outbox entry with its encoded EventEnvelope, as `outboxEventsOf` gives it. */
export interface OutboxEvent extends OutboxEventInfo {
  envelope: Uint8Array;
}

/**
 * One outbox entry: the events of one tenant that one append stored together, in production
 * order. A batch of state changes (streamed ingestion, group commit) appends hundreds of events at
 * once; keeping them in one document makes the outbox's own work (the write, the relay's read,
 * marking sent, the clean-up) once per batch instead of once per event, and their encoded
 * envelopes in one byte string makes storing and reading them one copy instead of one per event.
 */
export interface OutboxDocument extends BaseDocument {
  /** The id of the entry's first event: `_id` order is production order. */
  _id: string;
  state: 'pending' | 'sent';
  /** The events, in the order they were appended (at least one). */
  events?: OutboxEventInfo[];
  /** Their encoded EventEnvelopes, in the same order, each preceded by its length (varint). */
  envelopes?: Uint8Array;
  createdAt: Date;
  /** When the broker had acknowledged every event of the entry (state `sent`). */
  sentAt?: Date;
  /**
   * Entries written before entries held several events carry their one event at the top level
   * (`_id` is its id, the envelope base64 text); the relay still publishes them.
   * `subjectProfileId` may be absent from the oldest ones (`outboxEventsOf` then decodes the envelope).
   */
  domain?: string;
  type?: string;
  subjectProfileId?: string;
  envelope?: string;
  traceparent?: string;
  tracestate?: string;
}

/** At most this many events per outbox entry. */
const MAX_EVENTS_PER_ENTRY = 512;

/**
 * At most about this many envelope bytes per outbox entry: payloads have no size limit of their
 * own, and MongoDB refuses documents over 16 MB (an append of 512 events of 40 kB would fail). An
 * event larger than this gets an entry to itself.
 */
const MAX_ENTRY_ENVELOPE_BYTES = 4 * 1024 * 1024;

/** An upper bound of an envelope's encoded size (without encoding it): its payload bytes, its strings as UTF-8 at worst, and tags and lengths. */
function envelopeSizeBound(envelope: EventEnvelope): number {
  const strings =
    envelope.eventId.length +
    envelope.tenantId.length +
    envelope.domain.length +
    envelope.type.length +
    envelope.producer.length +
    envelope.subjectProfileId.length +
    envelope.causationId.length +
    (envelope.payload?.typeUrl.length ?? 0);
  return 3 * strings + (envelope.payload?.value.byteLength ?? 0) + 128;
}

/**
 * The events of outbox entries, in order, each with its encoded envelope (a view into the entry's
 * bytes; an entry of an older form gives its events as stored; the subject of the oldest
 * one-event entries, which did not store it, is decoded from the envelope). Throws when an entry's
 * bytes do not hold exactly one envelope per event (OutboxEntryUnreadableError), or an oldest
 * entry's envelope does not decode.
 */
export function outboxEventsOf(docs: readonly OutboxDocument[]): OutboxEvent[] {
  const out: OutboxEvent[] = [];
  for (const doc of docs) {
    if (!doc.events) {
      const legacy = legacyEvent(doc);
      if (legacy) out.push(legacy);
      continue;
    }
    let envelopes: Uint8Array[];
    try {
      envelopes = doc.envelopes ? splitEnvelopes(doc.envelopes) : [];
    } catch {
      throw new OutboxEntryUnreadableError(doc._id, 'its envelope bytes are not length-delimited records');
    }
    if (envelopes.length !== doc.events.length) throw new OutboxEntryUnreadableError(doc._id, `${envelopes.length} envelopes for ${doc.events.length} events`);
    doc.events.forEach((info, i) => out.push({ ...info, envelope: envelopes[i] as Uint8Array }));
  }
  return out;
}

function legacyEvent(doc: OutboxDocument): OutboxEvent | undefined {
  if (doc.envelope === undefined || doc.domain === undefined || doc.type === undefined) return undefined;
  const envelope = Buffer.from(doc.envelope, 'base64');
  // The oldest entries did not keep the customer beside the envelope: it is read from the envelope.
  const subjectProfileId = doc.subjectProfileId ?? decodeEnvelope(envelope).subjectProfileId;
  const event: OutboxEvent = { eventId: doc._id, domain: doc.domain, type: doc.type, subjectProfileId, envelope };
  if (doc.traceparent) event.traceparent = doc.traceparent;
  if (doc.tracestate) event.tracestate = doc.tracestate;
  return event;
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
    // Consecutive events of one tenant share an entry, so entries in `_id` order replay the given order.
    const entries: OutboxDocument[] = [];
    let first = 0;
    while (first < envelopes.length) {
      const tenantId = (envelopes[first] as EventEnvelope).tenantId;
      let end = first + 1;
      let bytes = envelopeSizeBound(envelopes[first] as EventEnvelope);
      while (end < envelopes.length && end - first < MAX_EVENTS_PER_ENTRY && (envelopes[end] as EventEnvelope).tenantId === tenantId) {
        bytes += envelopeSizeBound(envelopes[end] as EventEnvelope);
        if (bytes > MAX_ENTRY_ENVELOPE_BYTES) break;
        end++;
      }
      const members = envelopes.slice(first, end);
      const infos = members.map((envelope, k): OutboxEventInfo => {
        const own = events[first + k]?.context;
        const trace = own ? traceHeadersOf(own) : active;
        const info: OutboxEventInfo = { eventId: envelope.eventId, domain: envelope.domain, type: envelope.type, subjectProfileId: envelope.subjectProfileId };
        if (trace) {
          info.traceparent = trace.traceparent;
          if (trace.tracestate) info.tracestate = trace.tracestate;
        }
        return info;
      });
      const head = members[0] as EventEnvelope;
      entries.push({ _id: head.eventId, tenantId, state: 'pending', events: infos, envelopes: encodeEnvelopes(members), createdAt: head.occurredAt ?? new Date() });
      first = end;
    }
    for (let i = 0; i < entries.length; ) {
      // One write per run of entries of the same tenant.
      const tenantId = (entries[i] as OutboxDocument).tenantId;
      let j = i + 1;
      while (j < entries.length && (entries[j] as OutboxDocument).tenantId === tenantId) j++;
      const collection = this.options.store.forTenant(tenantId).collection<OutboxDocument>(OUTBOX_COLLECTION);
      if (j - i === 1) await collection.insertOne(entries[i] as OutboxDocument, { session });
      else await collection.insertMany(entries.slice(i, j), { session });
      i = j;
    }
    this.signal.notify();
    return envelopes;
  }
}

/** The outbox of a service: `append(session, type, event)` inside the state change's transaction. */
export function createOutbox(options: OutboxOptions): Outbox {
  return new StoreOutbox(options);
}
