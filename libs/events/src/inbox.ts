import type { BaseDocument, DocumentStore, StoreSession, TenantCollection } from '@continuum/store';
import { describeError, type EventLog } from './consumer-runner';
import { EventSkippedError } from './errors';
import type { BatchedEvent, BatchEventHandler, BatchSettlement, ConsumerSpec, DeliveredEvent, EventBus, InboxHandler, Subscription } from './types';

/**
 * Inbox consumers: the handler runs inside a store transaction that also records
 * (consumer, event id) in the `inbox` collection, and the message is acked only after that
 * transaction committed. A redelivered event finds its record and is acked without running the
 * handler again, so at-least-once delivery has exactly-once effect on the store. A failing handler
 * rolls its transaction back; the bus retries it with backoff, then dead-letters it.
 *
 * Group commit: the events ready at the same moment (up to `maxBatchSize`: different customers,
 * and consecutive events of one customer in stream order) are applied in ONE transaction with
 * their inbox records, one after the other, each handler in its own event's CONSUMER span; all
 * are acked after that commit. When the batch transaction fails, nothing of it stays: the event
 * whose handler threw fails (retry or dead letter) as it would have alone, and the others are
 * applied again one by one, each in its own transaction, so a poison event never blocks the rest;
 * a customer's events after one that failed are handed back untouched to wait for their turn. A
 * handler may therefore run more than once for one delivery (its first run rolled back with the
 * batch), as it may when the store retries a transaction: only the committed run has an effect.
 * With an idle stream a batch is a single event, started at once: batching adds no latency.
 */
export const INBOX_COLLECTION = 'inbox';

/** The record of one applied event. */
export interface InboxDocument extends BaseDocument {
  /** `<consumer>:<event id>`. */
  _id: string;
  consumer: string;
  eventId: string;
  appliedAt: Date;
}

export const DEFAULT_INBOX_BATCH_SIZE = 64;

export interface InboxConsumerOptions {
  store: DocumentStore;
  bus: EventBus;
  spec: ConsumerSpec;
  handler: InboxHandler;
  /**
   * Most events applied in one store transaction (default 64; 1 applies each event in its own
   * transaction). Bounded by `spec.maxInFlight`.
   */
  maxBatchSize?: number;
  /**
   * How long to wait for more events when fewer than `maxBatchSize` are ready, in ms (default 0:
   * apply what is ready at once; a busy stream fills batches by itself while the previous one commits).
   */
  batchLingerMs?: number;
  /**
   * How long applied event ids are remembered, in ms (default 7 days). Must exceed the longest
   * time a message can wait for redelivery and the broker's dedupe window.
   */
  retentionMs?: number;
  /** Interval of the clean-up of old records in ms (default 10 min). */
  cleanupIntervalMs?: number;
  log?: EventLog;
  /**
   * Fault injection for tests: called after the transaction committed and before the message is
   * acked. A hook that never resolves stands for a process that died right there.
   */
  afterCommit?: (event: DeliveredEvent) => Promise<void> | void;
}

/**
 * Declares the inbox collection: its records are found by `_id`, and cleaned up by consumer and
 * time across tenants (one query per consumer), so that index does not lead with tenantId
 * (crossTenant): a tenant-first index could not serve the clean-up, which would scan every record.
 */
export async function defineInboxCollection(store: DocumentStore): Promise<void> {
  await store.defineCollection(INBOX_COLLECTION, [{ key: { consumer: 1, appliedAt: 1 }, name: 'consumer_applied_at', crossTenant: true }]);
}

/** What an inbox consumer did with each delivery, for tests and metrics. */
export interface InboxStats {
  /** Events whose handler ran and committed. */
  applied: number;
  /** Deliveries of events already applied: acked without running the handler. */
  duplicates: number;
  /** Handler runs that failed (rolled back), counted per event applied on its own. */
  failures: number;
}

/** How the group commit went, for tests and metrics. */
export interface InboxBatchStats {
  /** Transactions of more than one event that committed. */
  committed: number;
  /** Events (applied or duplicates) settled by those transactions. */
  events: number;
  /** Transactions of more than one event that failed and were redone event by event. */
  fallbacks: number;
}

export interface InboxSubscription extends Subscription {
  readonly stats: InboxStats;
  readonly batches: InboxBatchStats;
}

/** Thrown out of a batch transaction by the handler of one of its events. */
class BatchHandlerFailure extends Error {
  constructor(
    readonly index: number,
    readonly error: unknown,
  ) {
    super('an event handler of the batch failed');
    this.name = 'BatchHandlerFailure';
  }
}

type Result = { kind: 'applied' | 'duplicate' } | { kind: 'failed'; error: unknown } | { kind: 'skipped' };

const APPLIED: Result = { kind: 'applied' };
const DUPLICATE: Result = { kind: 'duplicate' };
const SKIPPED: Result = { kind: 'skipped' };

/** Starts a durable consumer whose handler applies each event exactly once to the store. */
export async function createInboxConsumer(options: InboxConsumerOptions): Promise<InboxSubscription> {
  const { store, bus, spec, handler } = options;
  await defineInboxCollection(store);
  const stats: InboxStats = { applied: 0, duplicates: 0, failures: 0 };
  const batchStats: InboxBatchStats = { committed: 0, events: 0, fallbacks: 0 };
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
  const maxBatchSize = Math.max(1, Math.floor(options.maxBatchSize ?? DEFAULT_INBOX_BATCH_SIZE));

  const inboxOf = (tenantId: string): TenantCollection<InboxDocument> => store.forTenant(tenantId).collection<InboxDocument>(INBOX_COLLECTION);
  const recordId = (event: DeliveredEvent): string => `${spec.durable}:${event.envelope.eventId}`;
  const record = (event: DeliveredEvent, id: string, appliedAt: Date): InboxDocument => ({
    _id: id,
    tenantId: event.envelope.tenantId,
    consumer: spec.durable,
    eventId: event.envelope.eventId,
    appliedAt,
  });

  /** One event in its own transaction (the whole of it inside the event's span). */
  const applyOne = async (item: BatchedEvent): Promise<Result> => {
    const { event } = item;
    const inbox = inboxOf(event.envelope.tenantId);
    const id = recordId(event);
    let duplicate = false;
    try {
      await item.within(() =>
        store.withTransaction(async (session) => {
          duplicate = false;
          if (await inbox.findOne({ _id: id }, { session, projection: { _id: 1 } })) {
            duplicate = true;
            return;
          }
          // Recorded first: two deliveries racing in two processes collide here (a duplicate key
          // or a write conflict) before either runs the handler's writes to completion.
          await inbox.insertOne(record(event, id, new Date()), { session });
          await handler(event, session);
        }),
      );
    } catch (error) {
      return { kind: 'failed', error };
    }
    return duplicate ? DUPLICATE : APPLIED;
  };

  /**
   * The body of a batch transaction: the records of the batch looked up and inserted per tenant
   * (one read and one write each), then every new event's handler in batch order. Returns which
   * events were duplicates. Safe to run again (the store retries transient conflicts).
   */
  const applyTogether = async (batch: readonly BatchedEvent[], session: StoreSession): Promise<boolean[]> => {
    const duplicate = batch.map(() => false);
    const ids = batch.map((item) => recordId(item.event));
    const byTenant = new Map<string, number[]>();
    const firstOfId = new Set<string>();
    batch.forEach((item, index) => {
      const id = ids[index] as string;
      // The same event twice in one batch (a redelivery of an event still in flight): once is enough.
      if (firstOfId.has(id)) {
        duplicate[index] = true;
        return;
      }
      firstOfId.add(id);
      const tenantId = item.event.envelope.tenantId;
      const indexes = byTenant.get(tenantId);
      if (indexes) indexes.push(index);
      else byTenant.set(tenantId, [index]);
    });
    const appliedAt = new Date();
    for (const [tenantId, indexes] of byTenant) {
      const inbox = inboxOf(tenantId);
      const tenantIds = indexes.map((index) => ids[index] as string);
      const known = new Set((await inbox.find({ _id: { $in: tenantIds } }, { session, projection: { _id: 1 } })).map((doc) => doc._id));
      const fresh: InboxDocument[] = [];
      for (const index of indexes) {
        const id = ids[index] as string;
        if (known.has(id)) duplicate[index] = true;
        else fresh.push(record((batch[index] as BatchedEvent).event, id, appliedAt));
      }
      // Recorded first, as for a single event: a racing process collides before any handler runs.
      if (fresh.length > 0) await inbox.insertMany(fresh, { session });
    }
    for (let index = 0; index < batch.length; index++) {
      if (duplicate[index]) continue;
      const item = batch[index] as BatchedEvent;
      try {
        await item.within(() => handler(item.event, session));
      } catch (error) {
        throw new BatchHandlerFailure(index, error);
      }
    }
    return duplicate;
  };

  const applyBatch = async (batch: readonly BatchedEvent[]): Promise<Result[]> => {
    if (batch.length === 1) return [await applyOne(batch[0] as BatchedEvent)];
    let culprit: BatchHandlerFailure | undefined;
    try {
      const duplicate = await store.withTransaction((session) => applyTogether(batch, session));
      batchStats.committed++;
      batchStats.events += batch.length;
      return duplicate.map((dup) => (dup ? DUPLICATE : APPLIED));
    } catch (err) {
      // Nothing of the batch stayed. Redo it event by event, so whatever failed fails alone.
      batchStats.fallbacks++;
      if (err instanceof BatchHandlerFailure) culprit = err;
      const cause = culprit ? culprit.error : err;
      options.log?.warn({ consumer: spec.durable, events: batch.length, err: describeError(cause) }, 'inbox batch rolled back; applying its events one by one');
    }
    const results: Result[] = [];
    const failedKeys = new Set<string>();
    for (let index = 0; index < batch.length; index++) {
      const item = batch[index] as BatchedEvent;
      let result: Result;
      if (item.orderKey !== undefined && failedKeys.has(item.orderKey)) {
        // A customer's later events must not overtake the one that failed.
        result = SKIPPED;
      } else if (culprit?.index === index) {
        // Its handler failed in the batch: that is this delivery's failure, as it would have been
        // in a transaction of its own (the handler is not run a second time for it).
        result = { kind: 'failed', error: culprit.error };
      } else {
        result = await applyOne(item);
      }
      if (result.kind === 'failed' && item.orderKey !== undefined) failedKeys.add(item.orderKey);
      results.push(result);
    }
    return results;
  };

  /** After the commit: count, run the afterCommit hook, then let the runner ack (each event on its own). */
  const settle = async (item: BatchedEvent, result: Result): Promise<void> => {
    switch (result.kind) {
      case 'failed':
        stats.failures++;
        throw result.error;
      case 'skipped':
        throw new EventSkippedError();
      case 'duplicate':
        stats.duplicates++;
        break;
      case 'applied':
        stats.applied++;
        break;
    }
    if (options.afterCommit) await options.afterCommit(item.event);
  };

  const batchHandler: BatchEventHandler = {
    maxBatchSize,
    lingerMs: Math.max(0, options.batchLingerMs ?? 0),
    // One batch at a time: the embedded store runs one transaction at a time anyway, and the events
    // that arrive meanwhile make the next batch fuller.
    maxConcurrentBatches: 1,
    handleBatch(batch: readonly BatchedEvent[]): BatchSettlement {
      const results = applyBatch(batch);
      return {
        outcomes: batch.map((item, index) => results.then((all) => settle(item, all[index] as Result))),
        done: results.then(
          () => undefined,
          () => undefined,
        ),
      };
    },
  };

  const subscription = await bus.subscribe(spec, batchHandler);

  const cleanupIntervalMs = options.cleanupIntervalMs ?? 600_000;
  const cleanup = setInterval(() => {
    store
      .unscoped<InboxDocument>(INBOX_COLLECTION)
      .deleteMany({ consumer: spec.durable, appliedAt: { $lt: new Date(Date.now() - retentionMs) } })
      .catch((err: unknown) => options.log?.warn({ consumer: spec.durable, err: describeError(err) }, 'inbox clean-up failed'));
  }, cleanupIntervalMs);
  cleanup.unref();

  return {
    durable: subscription.durable,
    stats,
    batches: batchStats,
    async drain() {
      clearInterval(cleanup);
      await subscription.drain();
    },
  };
}
