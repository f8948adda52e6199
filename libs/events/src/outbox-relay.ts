import { randomUUID } from 'node:crypto';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { DuplicateKeyError, type BaseDocument, type DocumentStore } from '@continuum/store';
import { decodeEnvelope, eventTypeName, routeOf } from './envelope';
import { describeError, type EventLog } from './consumer-runner';
import { defineOutboxCollection, OUTBOX_COLLECTION, outboxEventsOf, outboxSignalFor, type OutboxDocument, type OutboxEvent, type OutboxSignal } from './outbox';
import { contextFromTraceHeaders, inSpan, messagingAttributes, SpanKind, traceHeadersOf } from './trace';
import type { EncodedEvent, EventBus, EventEnvelope } from './types';

/**
 * The outbox relay: publishes the events of pending outbox entries in id (production) order and
 * marks an entry sent once the broker has acknowledged all of its events. A crash anywhere leaves entries pending, so they are
 * published again; the broker drops the repeat by its `Nats-Msg-Id` (the event id) and inboxes
 * drop it by event id, so the result is a re-publish, never a loss.
 *
 * - Up to `maxInFlight` (16) publishes wait for their acks at once, but never two events of the
 *   same customer: an event is published only after the previous one of its customer was
 *   acknowledged, so a failed publish cannot let a later event of that customer overtake it.
 * - Woken at once by appends in this process (no polling latency); polls as a fallback for
 *   appends by other processes and for entries whose wake-up was missed.
 * - Several relays may run against one store: one holds a lease (a document renewed while it
 *   works) and publishes, the others stand by and take over when the lease expires. One active
 *   relay keeps the order; a relay that loses its lease stops before publishing more.
 * - Sent entries are deleted after `retentionMs`.
 */
export interface OutboxRelayOptions {
  store: DocumentStore;
  bus: EventBus;
  /** Publishes waiting for their ack at once (default 16). */
  maxInFlight?: number;
  /**
   * At most this many entries per read (default 8192). With a backlog, fewer, larger reads cost
   * much less per event (a read of the pending entries across tenants sorts them: on a
   * 40,000-entry backlog of one-event entries, reads of 128 cost ~75 µs of CPU per event, of 8192
   * ~47, bench/events). An entry holds the events of one append (one to 512), so the relay reads
   * fewer entries when they are large: see `maxEventsPerRead`.
   */
  batchSize?: number;
  /**
   * About how many events a read may bring (default 8192): the next read's entry limit is this
   * divided by the largest entry the last read met (the first read takes at most 64 entries). A
   * read holds its events in memory until they are published.
   */
  maxEventsPerRead?: number;
  /** Fallback poll interval in ms (default 1000). */
  pollIntervalMs?: number;
  /** Lease duration in ms; renewed at a third of it (default 15 000). */
  leaseMs?: number;
  /** How long sent entries are kept, in ms (default 1 h; 0 deletes them once sent). */
  retentionMs?: number;
  /** Interval of the clean-up of sent entries in ms (default 60 000). */
  cleanupIntervalMs?: number;
  /** Pause after a failed publish, doubling up to `maxRetryDelayMs` (default 100 ms → 5000 ms). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Identifies this relay in the lease (default a random id). */
  relayId?: string;
  log?: EventLog;
  /**
   * Fault injection for tests: called after the broker acknowledged a publish and before the entry
   * is marked sent. Throwing here stops the relay as a crash at that point would.
   */
  afterPublish?: (envelope: EventEnvelope) => Promise<void> | void;
}

const LEASE_COLLECTION = 'outbox_relay_lease';
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const LEASE_ID = 'relay';
/** The lease document is not a tenant's data; it carries a fixed, valid tenant id. */
const LEASE_TENANT = 'system';

interface LeaseDocument extends BaseDocument {
  owner: string;
  leaseUntil: Date;
}

/** One event to publish, with the entry it belongs to. */
interface Entry {
  readonly event: OutboxEvent;
  readonly doc: OutboxDocument;
  /**
   * Events with the same key (one per customer in a read) are published one after the other. A
   * token object rather than a tenant-and-customer string: a Map keyed by a fresh string hashes it
   * first, which costs a few hundred ns per event on current V8.
   */
  readonly key: object;
}

/** The events an outbox entry holds (entries of the oldest form hold one). */
const eventCount = (doc: OutboxDocument): number => doc.events?.length ?? 1;

/** Publishes a relay starts in one turn of the event loop before it lets other work run. */
const PUBLISHES_PER_TURN = 1024;

/** Entries whose events were all acknowledged are marked sent once this many are waiting (and after each read batch). */
const MARK_BATCH = 64;

/** Thrown inside the relay when it lost its lease while publishing: it stops and stands by. */
class LeaseLostError extends Error {
  constructor() {
    super('outbox relay lease lost');
    this.name = 'LeaseLostError';
  }
}

export interface OutboxRelayStats {
  /** Publishes acknowledged by the broker (a repeat dropped by the broker counts too). */
  published: number;
  /** Events whose entry was marked sent. */
  marked: number;
  /** Failed publish attempts. */
  failures: number;
  /** Whether this relay holds the lease now. */
  leader: boolean;
}

export class OutboxRelay {
  private readonly opts: Required<Omit<OutboxRelayOptions, 'log' | 'afterPublish'>> & Pick<OutboxRelayOptions, 'log' | 'afterPublish'>;
  private readonly signal: OutboxSignal;
  private running = false;
  private loop: Promise<void> | undefined;
  private leaseUntil = 0;
  private lastCleanup = 0;
  /** A lease renewal started while publishing, if one is running. */
  private renewing: Promise<void> | undefined;
  private stopWake: (() => void) | undefined;
  /** Entries the next read asks for: few until the size of entries is known. */
  private readLimit: number;
  /** Publishes started in the current turn of the event loop (see PUBLISHES_PER_TURN). */
  private publishedThisTurn = 0;
  readonly stats: OutboxRelayStats = { published: 0, marked: 0, failures: 0, leader: false };

  constructor(options: OutboxRelayOptions) {
    this.opts = {
      maxInFlight: 16,
      batchSize: 8192,
      maxEventsPerRead: 8192,
      pollIntervalMs: 1000,
      leaseMs: 15_000,
      retentionMs: 3600_000,
      cleanupIntervalMs: 60_000,
      retryDelayMs: 100,
      maxRetryDelayMs: 5000,
      relayId: randomUUID(),
      ...options,
    };
    this.signal = outboxSignalFor(options.store);
    this.readLimit = Math.min(64, this.opts.batchSize);
  }

  /** Starts publishing in the background. */
  async start(): Promise<void> {
    if (this.running) return;
    await defineOutboxCollection(this.opts.store);
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the publishes in flight settle, and gives the lease up so a standby takes over at once. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopWake?.();
    await this.loop;
    // A renewal still running must not take the lease back after it was given up.
    await this.renewing;
    if (this.stats.leader) await this.releaseLease();
  }

  private async run(): Promise<void> {
    let idleDelay = 1;
    let retryDelay = this.opts.retryDelayMs;
    while (this.running) {
      const publishedBefore = this.stats.published;
      try {
        if (!(await this.holdLease())) {
          await this.pause(Math.min(this.opts.leaseMs / 3, this.opts.pollIntervalMs));
          continue;
        }
        await this.cleanupIfDue();
        const generation = this.signal.generation;
        const entries = await this.readPending();
        if (entries.length > 0) {
          await this.publishAll(entries);
          idleDelay = 1;
          retryDelay = this.opts.retryDelayMs;
          continue;
        }
        if (this.signal.generation !== generation) continue;
        // Nothing committed yet. After a wake-up the append's transaction is usually about to
        // commit: look again soon, backing off towards the poll interval.
        await this.pause(idleDelay, true);
        idleDelay = this.signal.generation !== generation ? 1 : Math.min(idleDelay * 4, this.opts.pollIntervalMs);
      } catch (err) {
        if (err instanceof LeaseLostError) {
          this.stats.leader = false;
          continue;
        }
        // Back off while nothing gets through; a failure after progress retries at the base delay.
        if (this.stats.published > publishedBefore) retryDelay = this.opts.retryDelayMs;
        this.opts.log?.warn({ relay: this.opts.relayId, err: describeError(err), retryInMs: retryDelay }, 'outbox relay: publish failed; will retry');
        await this.pause(retryDelay);
        retryDelay = Math.min(retryDelay * 2, this.opts.maxRetryDelayMs);
      }
    }
  }

  /** Sleeps `ms`, or less when woken by an append (if `wakeable`) or by stop(). */
  private pause(ms: number, wakeable = false): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.stopWake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.stopWake = finish;
      if (wakeable) void this.signal.wait(ms).then(finish);
    });
  }

  private leases() {
    return this.opts.store.unscoped<LeaseDocument>(LEASE_COLLECTION);
  }

  /** Takes or renews the lease when a third of it has passed; false when another relay holds it. */
  private async holdLease(): Promise<boolean> {
    const now = Date.now();
    if (this.stats.leader && this.leaseUntil - now > (this.opts.leaseMs * 2) / 3) return true;
    try {
      const lease = await this.leases().findOneAndUpdate(
        { _id: LEASE_ID, $or: [{ owner: this.opts.relayId }, { leaseUntil: { $lt: new Date(now) } }] },
        { $set: { owner: this.opts.relayId, leaseUntil: new Date(now + this.opts.leaseMs) }, $setOnInsert: { tenantId: LEASE_TENANT } },
        { upsert: true, returnDocument: 'after' },
      );
      this.stats.leader = lease?.owner === this.opts.relayId;
    } catch (err) {
      // The upsert collides with the lease of another relay: it holds the lease.
      if (!(err instanceof DuplicateKeyError)) throw err;
      this.stats.leader = false;
    }
    if (this.stats.leader) this.leaseUntil = now + this.opts.leaseMs;
    return this.stats.leader;
  }

  private async releaseLease(): Promise<void> {
    try {
      await this.leases().updateOne({ _id: LEASE_ID, owner: this.opts.relayId }, { $set: { leaseUntil: new Date(0) } });
    } catch (err) {
      this.opts.log?.warn({ relay: this.opts.relayId, err: describeError(err) }, 'outbox relay: could not release its lease');
    }
    this.stats.leader = false;
  }

  private outbox() {
    return this.opts.store.unscoped<OutboxDocument>(OUTBOX_COLLECTION);
  }

  private async readPending(): Promise<Entry[]> {
    const docs = await this.outbox().find({ state: 'pending' }, { sort: { _id: 1 }, limit: this.readLimit });
    // Size the next read by the largest entry met, so that large entries are read a few at a time.
    let largest = 1;
    for (const doc of docs) largest = Math.max(largest, eventCount(doc));
    if (docs.length > 0) this.readLimit = Math.max(1, Math.min(this.opts.batchSize, Math.floor(this.opts.maxEventsPerRead / largest)));
    const entries: Entry[] = [];
    // tenant -> customer -> the key of that customer's events in this read.
    const keys = new Map<string, Map<string, object>>();
    const keyOf = (tenantId: string, subjectProfileId: string): object => {
      // An event about no customer is ordered with nothing else.
      if (!subjectProfileId) return {};
      let ofTenant = keys.get(tenantId);
      if (!ofTenant) keys.set(tenantId, (ofTenant = new Map()));
      let key = ofTenant.get(subjectProfileId);
      if (!key) ofTenant.set(subjectProfileId, (key = {}));
      return key;
    };
    for (const doc of docs) {
      let events: OutboxEvent[];
      try {
        events = outboxEventsOf([doc]);
      } catch (err) {
        // Cannot happen unless the collection was edited by hand; do not let it block the rest.
        this.opts.log?.error({ entryId: doc._id, err: describeError(err) }, 'outbox relay: unreadable entry skipped');
        continue;
      }
      for (const event of events) entries.push({ event, doc, key: keyOf(doc.tenantId, event.subjectProfileId) });
    }
    return entries;
  }

  /**
   * Publishes the events with at most `maxInFlight` waiting for acks and at most one per
   * customer, marking their entries sent in batches once all of an entry's events were
   * acknowledged. Rejects after the in-flight publishes settled when one failed; what was
   * acknowledged in full is marked first.
   */
  private async publishAll(entries: readonly Entry[]): Promise<void> {
    const queues = new Map<object, Entry[]>();
    const ready: object[] = [];
    /** Events of each entry not acknowledged yet (a read gives every event of the entries it returns). */
    const unacked = new Map<OutboxDocument, number>();
    for (const entry of entries) {
      if (!unacked.has(entry.doc)) unacked.set(entry.doc, eventCount(entry.doc));
      const queue = queues.get(entry.key);
      if (queue) queue.push(entry);
      else {
        queues.set(entry.key, [entry]);
        ready.push(entry.key);
      }
    }
    const toMark: OutboxDocument[] = [];
    let marking: Promise<void> = Promise.resolve();
    const flushMarks = (): void => {
      if (toMark.length === 0) return;
      const docs = toMark.splice(0);
      marking = marking.then(() => this.markSent(docs));
    };
    let failure: unknown;
    let inFlight = 0;
    await new Promise<void>((resolve) => {
      // Slots freed by acks that arrived together are refilled together, after all of them were
      // seen: a broker's acks come with the network reads of one turn of the event loop, so the
      // refill waits for the next turn and their publishes leave in one socket write instead of
      // one write each. The in-process bus acknowledges at once: there the refill is a microtask
      // queued behind the acks' callbacks, and goes on in the same turn up to PUBLISHES_PER_TURN
      // (waiting a turn per 16 publishes let streamed ingestion append events many times faster
      // than they were published). With nothing left to publish, the batch ends at once (its
      // entries are marked sent without delay).
      const acksAtOnce = this.opts.bus.kind === 'in-process';
      let launchScheduled = false;
      const refill = (): void => {
        launchScheduled = false;
        launch();
      };
      const scheduleLaunch = (): void => {
        if (ready.length === 0 || failure !== undefined || !this.running) {
          launch();
          return;
        }
        if (launchScheduled) return;
        launchScheduled = true;
        if (acksAtOnce && this.publishedThisTurn < PUBLISHES_PER_TURN) queueMicrotask(refill);
        else setImmediate(refill);
      };
      const launch = (): void => {
        while (failure === undefined && this.running && inFlight < this.opts.maxInFlight && ready.length > 0) {
          const key = ready.shift() as object;
          const entry = queues.get(key)?.shift();
          if (!entry) continue;
          inFlight++;
          if (acksAtOnce && this.publishedThisTurn++ === 0) setImmediate(() => (this.publishedThisTurn = 0));
          void this.publishOne(entry).then(
            () => {
              inFlight--;
              const left = (unacked.get(entry.doc) ?? 1) - 1;
              unacked.set(entry.doc, left);
              if (left === 0) {
                toMark.push(entry.doc);
                if (toMark.length >= MARK_BATCH) flushMarks();
              }
              if ((queues.get(key)?.length ?? 0) > 0) ready.push(key);
              else queues.delete(key);
              scheduleLaunch();
            },
            (err: unknown) => {
              inFlight--;
              failure ??= err;
              scheduleLaunch();
            },
          );
        }
        if (inFlight === 0) resolve();
      };
      launch();
    });
    flushMarks();
    await marking;
    if (failure !== undefined) throw failure;
  }

  private async publishOne(entry: Entry): Promise<void> {
    const stored = entry.event;
    // The stored bytes go out as they are: no decode and re-encode of the envelope.
    const event: EncodedEvent = { data: stored.envelope, eventId: stored.eventId, tenantId: entry.doc.tenantId, domain: stored.domain, type: stored.type };
    const typeName = eventTypeName(stored);
    const parent = stored.traceparent ? contextFromTraceHeaders({ traceparent: stored.traceparent, tracestate: stored.tracestate }) : ROOT_CONTEXT;
    // The send span continues the producing span's trace; the consumer's span becomes its child.
    try {
      await inSpan(
        `send ${typeName}`,
        SpanKind.PRODUCER,
        parent,
        messagingAttributes({ operation: 'send', subject: routeOf(event), eventId: event.eventId, tenantId: event.tenantId, eventType: typeName }),
        () => this.opts.bus.publish(event, (traceHeadersOf() as Readonly<Record<string, string>> | undefined) ?? NO_HEADERS),
      );
    } catch (err) {
      this.stats.failures++;
      throw err;
    }
    this.stats.published++;
    if (this.opts.afterPublish) await this.opts.afterPublish(decodeEnvelope(event.data));
    if (!this.stats.leader || Date.now() > this.leaseUntil) throw new LeaseLostError();
    this.renewLeaseWhenDue();
  }

  /**
   * Renews the lease while a long batch is being published (a relay that makes progress keeps it;
   * one that hangs stops renewing and a standby takes over when it expires).
   */
  private renewLeaseWhenDue(): void {
    if (this.renewing || this.leaseUntil - Date.now() > (this.opts.leaseMs * 2) / 3) return;
    this.renewing = this.holdLease().then(
      () => {
        this.renewing = undefined;
      },
      (err: unknown) => {
        this.renewing = undefined;
        this.opts.log?.warn({ relay: this.opts.relayId, err: describeError(err) }, 'outbox relay: lease renewal failed');
      },
    );
  }

  private async markSent(docs: readonly OutboxDocument[]): Promise<void> {
    const outbox = this.outbox();
    const ids = docs.map((doc) => doc._id);
    const events = docs.reduce((sum, doc) => sum + eventCount(doc), 0);
    if (this.opts.retentionMs <= 0) {
      await outbox.deleteMany({ _id: { $in: ids } });
      this.stats.marked += events;
      return;
    }
    // By id only: the primary key finds them directly (a `state` condition could make the store
    // walk every pending entry); an entry already marked by another relay is just marked again.
    await outbox.updateMany({ _id: { $in: ids } }, { $set: { state: 'sent', sentAt: new Date() } });
    this.stats.marked += events;
  }

  private async cleanupIfDue(): Promise<void> {
    const now = Date.now();
    if (this.opts.retentionMs <= 0 || now - this.lastCleanup < this.opts.cleanupIntervalMs) return;
    this.lastCleanup = now;
    await this.outbox().deleteMany({ state: 'sent', sentAt: { $lt: new Date(now - this.opts.retentionMs) } });
  }

  /** Resolves once no entry is pending (for tests and shutdown); rejects after `timeoutMs`. */
  async waitUntilIdle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.outbox().countDocuments({ state: 'pending' })) > 0) {
      if (Date.now() > deadline) throw new Error(`outbox still has pending entries after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
