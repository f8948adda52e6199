import type { BaseDocument, DocumentStore } from '@continuum/store';
import { describeError, type EventLog } from './consumer-runner';
import type { ConsumerSpec, DeliveredEvent, EventBus, InboxHandler, Subscription } from './types';

/**
 * Inbox consumers: the handler runs inside a store transaction that also records
 * (consumer, event id) in the `inbox` collection, and the message is acked only after that
 * transaction committed. A redelivered event finds its record and is acked without running the
 * handler again, so at-least-once delivery has exactly-once effect on the store. A failing handler
 * rolls its transaction back; the bus retries it with backoff, then dead-letters it.
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

export interface InboxConsumerOptions {
  store: DocumentStore;
  bus: EventBus;
  spec: ConsumerSpec;
  handler: InboxHandler;
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

/** Declares the inbox collection: its records are found by `_id`, and cleaned up by time. */
export async function defineInboxCollection(store: DocumentStore): Promise<void> {
  await store.defineCollection(INBOX_COLLECTION, [{ key: { appliedAt: 1 }, name: 'applied_at' }]);
}

/** What an inbox consumer did with each delivery, for tests and metrics. */
export interface InboxStats {
  /** Events whose handler ran and committed. */
  applied: number;
  /** Deliveries of events already applied: acked without running the handler. */
  duplicates: number;
  /** Handler runs that failed (rolled back). */
  failures: number;
}

export interface InboxSubscription extends Subscription {
  readonly stats: InboxStats;
}

/** Starts a durable consumer whose handler applies each event exactly once to the store. */
export async function createInboxConsumer(options: InboxConsumerOptions): Promise<InboxSubscription> {
  const { store, bus, spec, handler } = options;
  await defineInboxCollection(store);
  const stats: InboxStats = { applied: 0, duplicates: 0, failures: 0 };
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;

  const apply = async (event: DeliveredEvent): Promise<void> => {
    const { envelope } = event;
    const inbox = store.forTenant(envelope.tenantId).collection<InboxDocument>(INBOX_COLLECTION);
    const id = `${spec.durable}:${envelope.eventId}`;
    let duplicate = false;
    try {
      await store.withTransaction(async (session) => {
        duplicate = false;
        if (await inbox.findOne({ _id: id }, { session, projection: { _id: 1 } })) {
          duplicate = true;
          return;
        }
        // Recorded first: two deliveries racing in two processes collide here (a duplicate key
        // or a write conflict) before either runs the handler's writes to completion.
        await inbox.insertOne({ _id: id, consumer: spec.durable, eventId: envelope.eventId, appliedAt: new Date() }, { session });
        await handler(event, session);
      });
    } catch (err) {
      stats.failures++;
      throw err;
    }
    if (duplicate) stats.duplicates++;
    else stats.applied++;
    if (options.afterCommit) await options.afterCommit(event);
  };

  const subscription = await bus.subscribe(spec, apply);

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
    async drain() {
      clearInterval(cleanup);
      await subscription.drain();
    },
  };
}
