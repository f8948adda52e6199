import { context, type Context, type Span } from '@opentelemetry/api';
import { customerKey, decodeEnvelope, eventTypeName } from './envelope';
import { EventSkippedError, PoisonEventError } from './errors';
import { contextFromTraceHeaders, messagingAttributes, recordFailure, SpanKind, startSpan } from './trace';
import type { BatchedEvent, BatchEventHandler, BatchSettlement, ConsumerSpec, DeliveredEvent, EventEnvelope, EventHandler } from './types';

/**
 * The delivery core shared by both adapters: ordering per customer, the handler inside a CONSUMER
 * span, and the ack / nak-with-backoff / dead-letter decisions. An adapter only moves messages.
 *
 * Ordering guarantee: events with the same (tenant, subject_profile_id) are handled one at a time,
 * in stream order, even when hundreds of messages are in flight. An event that fails blocks the
 * later events of its customer (they are held, and kept alive with the broker) until it succeeds on
 * a redelivery or goes to the dead-letter stream; other customers proceed meanwhile. Events without
 * a subject profile have no order among themselves. The guarantee holds for one running consumer
 * of a durable; a crash may let later events of a customer overtake the ones in flight at the crash
 * (those are redelivered after the ack wait), and several processes sharing one durable split a
 * customer's events between them.
 *
 * Batches: the runner hands ready events to the handler in batches (a plain handler gets batches
 * of one, as many at once as are ready). A batch holds the heads of the customers that have
 * nothing in flight, each followed by that customer's next events in stream order, and unordered
 * events; a customer's later events wait until every event of its batch has settled. Each event
 * gets its own CONSUMER span and its own ack, nak or dead letter; an event the handler skipped
 * (an earlier one of its customer failed) goes back to the head of its customer's queue.
 */

/** One delivery of one message, as an adapter hands it to the runner. */
export interface RawDelivery {
  /** Stream sequence: the order of publication. */
  readonly seq: number;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  ack(): void;
  nak(delayMs: number): void;
  term(reason: string): void;
  /** Tells the broker the message is still being worked on (resets its ack wait). */
  working(): void;
}

/** What a dead letter says about its original. */
export interface DeadLetterRequest {
  readonly raw: RawDelivery;
  readonly envelope: EventEnvelope | undefined;
  readonly consumer: string;
  readonly error: string;
}

/** The subset of a pino logger the bus writes to. */
export interface EventLog {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const DEFAULT_BACKOFF_MS: readonly number[] = [200, 1000, 5000, 15000];
export const DEFAULT_MAX_DELIVERIES = 5;
export const DEFAULT_MAX_IN_FLIGHT = 256;
export const DEFAULT_ACK_WAIT_MS = 30000;

/** A consumer spec with every default filled in. */
export interface ResolvedConsumerSpec {
  readonly durable: string;
  readonly domain: string;
  readonly types: readonly string[];
  readonly maxDeliveries: number;
  readonly backoffMs: readonly number[];
  readonly maxInFlight: number;
  readonly ackWaitMs: number;
  readonly startAt: 'first' | 'new';
  readonly inactiveThresholdMs: number | undefined;
}

export function resolveSpec(spec: ConsumerSpec): ResolvedConsumerSpec {
  return {
    durable: spec.durable,
    domain: spec.domain,
    types: spec.types ?? [],
    maxDeliveries: Math.max(1, spec.maxDeliveries ?? DEFAULT_MAX_DELIVERIES),
    backoffMs: spec.backoffMs && spec.backoffMs.length > 0 ? spec.backoffMs : DEFAULT_BACKOFF_MS,
    maxInFlight: Math.max(1, spec.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT),
    ackWaitMs: Math.max(1000, spec.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
    startAt: spec.startAt ?? 'first',
    inactiveThresholdMs: spec.inactiveThresholdMs,
  };
}

/** Error text for a dead letter or a log line: class name and message, one line, bounded. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : `Error: ${String(err)}`;
  return text.replace(/[\r\n]+/g, ' ').slice(0, 512);
}

/** A delivery waiting for its turn or being handled. */
interface Item {
  readonly raw: RawDelivery;
  readonly envelope: EventEnvelope;
  /** customerKey of the event; undefined for events without a subject profile. */
  readonly key: string | undefined;
}

interface KeyState {
  /** Messages waiting their turn, by stream sequence. */
  queue: Item[];
  /** Events of this customer handed to the handler and not settled yet. */
  inFlight: number;
  /** The sequence of a failed event whose redelivery must come first. */
  awaitingSeq: number | undefined;
  awaitTimer: NodeJS.Timeout | undefined;
}

type Outcome = 'ack' | 'retry' | 'dead-letter' | 'skipped';

/** A plain handler as a batch handler: batches of one, as many at once as are ready. */
function singleEventHandler(handler: EventHandler): BatchEventHandler {
  return {
    maxBatchSize: 1,
    maxConcurrentBatches: Number.POSITIVE_INFINITY,
    handleBatch(batch: readonly BatchedEvent[]): BatchSettlement {
      const item = batch[0] as BatchedEvent;
      let outcome: Promise<void>;
      try {
        outcome = Promise.resolve(item.within(() => handler(item.event)));
      } catch (err) {
        outcome = Promise.reject(err as Error);
      }
      return { outcomes: [outcome], done: outcome.then(noop, noop) };
    },
  };
}

function noop(): void {
  // Settles a promise whose outcome is handled elsewhere.
}

/** One event of a batch as the handler sees it (a class: no closures made per event). */
class BatchEntry implements BatchedEvent {
  readonly event: DeliveredEvent;
  readonly orderKey: string | undefined;

  constructor(
    item: Item,
    consumer: string,
    private readonly spans: BatchSpans,
    private readonly index: number,
  ) {
    this.event = { envelope: item.envelope, deliveryCount: item.raw.deliveryCount, subject: item.raw.subject, streamSequence: item.raw.seq, consumer };
    this.orderKey = item.key;
  }

  within<R>(fn: () => R): R {
    return context.with(this.spans.context(this.index), fn);
  }
}

/**
 * The CONSUMER spans of one batch, one per event, each started when the handler first works on
 * its event (or when its outcome is known, if it never did), so an event that was only skipped
 * leaves no span unless it ran in a batch that rolled back.
 */
class BatchSpans {
  private readonly started: ({ span: Span; context: Context } | undefined)[];

  constructor(
    size: number,
    private readonly start: (index: number) => { span: Span; context: Context },
  ) {
    this.started = new Array<{ span: Span; context: Context } | undefined>(size);
  }

  context(index: number): Context {
    return this.startedAt(index).context;
  }

  /** Ends the span of an event whose handling succeeded. */
  end(index: number): void {
    this.startedAt(index).span.end();
  }

  /** Ends the span of an event whose handling failed, recording why. */
  fail(index: number, err: unknown): void {
    const { span } = this.startedAt(index);
    recordFailure(span, err);
    span.end();
  }

  /** Ends the span of an event that was handed back without being applied (if it had one). */
  endSkipped(index: number): void {
    const started = this.started[index];
    if (started === undefined) return;
    started.span.setAttribute('continuum.event.skipped', true);
    started.span.end();
  }

  /** The span of event `index`, started now if it was not yet. */
  private startedAt(index: number): { span: Span; context: Context } {
    let started = this.started[index];
    if (started === undefined) {
      started = this.start(index);
      this.started[index] = started;
    }
    return started;
  }
}

export class ConsumerRunner {
  private readonly keys = new Map<string, KeyState>();
  /** Customers that may have events to hand over (checked when a batch is collected), oldest first. */
  private readonly ready = new Set<string>();
  /** Events without a subject profile, waiting for a batch. */
  private readonly unordered: Item[] = [];
  private readonly types: ReadonlySet<string> | undefined;
  private readonly batchHandler: BatchEventHandler;
  private readonly maxBatchSize: number;
  private readonly maxConcurrentBatches: number;
  private readonly lingerMs: number;
  /** Events handed to the handler (or being dead-lettered) and not settled. */
  private running = 0;
  /** Events waiting in a customer queue or in `unordered`. */
  private waiting = 0;
  private batchesRunning = 0;
  private dispatchScheduled = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    readonly spec: ResolvedConsumerSpec,
    handler: EventHandler | BatchEventHandler,
    private readonly deadLetter: (request: DeadLetterRequest) => Promise<void>,
    private readonly log?: EventLog,
  ) {
    this.types = spec.types.length > 0 ? new Set(spec.types) : undefined;
    this.batchHandler = typeof handler === 'function' ? singleEventHandler(handler) : handler;
    this.maxBatchSize = Math.max(1, Math.floor(this.batchHandler.maxBatchSize));
    this.maxConcurrentBatches = Math.max(1, this.batchHandler.maxConcurrentBatches ?? 1);
    this.lingerMs = Math.max(0, this.batchHandler.lingerMs ?? 0);
    // Held messages are not being handled yet; without this the broker would redeliver them
    // after the ack wait although they are only waiting for their turn.
    this.keepAlive = setInterval(() => this.touchHeld(), Math.max(250, Math.floor(spec.ackWaitMs / 3)));
    this.keepAlive.unref();
  }

  /** Messages handed over and not finished (running or held). */
  get outstanding(): number {
    return this.running + this.waiting;
  }

  deliver(raw: RawDelivery): void {
    if (this.closed) {
      raw.nak(0);
      return;
    }
    let envelope: EventEnvelope;
    try {
      envelope = decodeEnvelope(raw.data);
      if (!envelope.eventId || !envelope.tenantId) throw new PoisonEventError('envelope without event_id or tenant_id');
    } catch (err) {
      void this.giveUpUndecodable(raw, err);
      return;
    }
    if (this.types && !this.types.has(envelope.type)) {
      // Only reached where the broker cannot filter several types (nats-server < 2.10).
      raw.ack();
      return;
    }
    const key = customerKey(envelope.tenantId, envelope.subjectProfileId);
    if (key === undefined) {
      this.unordered.push({ raw, envelope, key: undefined });
      this.waiting++;
      this.schedule();
      return;
    }
    let state = this.keys.get(key);
    if (!state) {
      state = { queue: [], inFlight: 0, awaitingSeq: undefined, awaitTimer: undefined };
      this.keys.set(key, state);
    }
    if (insertBySeq(state.queue, { raw, envelope, key })) this.waiting++;
    this.ready.add(key);
    this.schedule();
  }

  /** Collects and starts batches soon: at the next microtask, or after the linger when few events wait. */
  private schedule(): void {
    if (this.closed || this.batchesRunning >= this.maxConcurrentBatches) return;
    if (this.lingerTimer !== undefined && this.waiting >= this.maxBatchSize) {
      // Enough for a full batch: stop lingering.
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
      this.dispatchScheduled = false;
    }
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    if (this.lingerMs > 0 && this.waiting < this.maxBatchSize) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.dispatch();
      }, this.lingerMs);
      return;
    }
    // Deliveries that arrive together (one read from the socket, one pump of the in-process
    // stream) are all queued before this runs, so they share a batch.
    queueMicrotask(() => this.dispatch());
  }

  private dispatch(): void {
    this.dispatchScheduled = false;
    while (!this.closed && this.batchesRunning < this.maxConcurrentBatches) {
      const batch = this.collect();
      if (batch.length === 0) return;
      this.runBatch(batch);
    }
  }

  /** Takes the next batch: unordered events, then the ready customers' runs, oldest customer first. */
  private collect(): Item[] {
    const max = this.maxBatchSize;
    const batch: Item[] = [];
    if (this.unordered.length > 0) for (const item of this.unordered.splice(0, max)) batch.push(item);
    for (const key of this.ready) {
      if (batch.length >= max) break;
      this.ready.delete(key);
      const state = this.keys.get(key);
      if (state === undefined || state.inFlight > 0) continue;
      while (batch.length < max && state.queue.length > 0) {
        const head = state.queue[0] as Item;
        if (state.awaitingSeq !== undefined) {
          // Only the failed event (or an even older one) may go before its redelivery has come.
          if (head.raw.seq > state.awaitingSeq) break;
          if (head.raw.seq === state.awaitingSeq) this.stopAwaiting(state);
        }
        state.queue.shift();
        state.inFlight++;
        batch.push(head);
      }
      if (state.inFlight === 0 && state.queue.length === 0 && state.awaitingSeq === undefined) this.keys.delete(key);
    }
    this.waiting -= batch.length;
    return batch;
  }

  private runBatch(items: Item[]): void {
    this.batchesRunning++;
    this.running += items.length;
    const spans = new BatchSpans(items.length, (index) => this.startSpan(items[index] as Item, items.length));
    const batch: BatchedEvent[] = items.map((item, index) => new BatchEntry(item, this.spec.durable, spans, index));
    let settlement: BatchSettlement;
    try {
      settlement = this.batchHandler.handleBatch(batch);
    } catch (err) {
      settlement = { outcomes: items.map(() => Promise.reject(err as Error)), done: Promise.resolve() };
    }
    void settlement.done.then(noop, noop).then(() => {
      this.batchesRunning--;
      this.schedule();
    });
    // Each customer's events settle in order: a retry must be known before a skipped later event
    // of the same customer goes back to its queue.
    const chains = new Map<string | number, number[]>();
    items.forEach((item, index) => {
      const chainKey = item.key ?? index;
      const chain = chains.get(chainKey);
      if (chain) chain.push(index);
      else chains.set(chainKey, [index]);
    });
    for (const chain of chains.values()) void this.settleChain(chain, items, settlement.outcomes, spans);
  }

  private startSpan(item: Item, batchSize: number): { span: Span; context: Context } {
    const { raw, envelope } = item;
    const attributes = messagingAttributes({
      operation: 'process',
      subject: raw.subject,
      eventId: envelope.eventId,
      tenantId: envelope.tenantId,
      eventType: eventTypeName(envelope),
      consumer: this.spec.durable,
      deliveryCount: raw.deliveryCount,
    });
    if (batchSize > 1) attributes['messaging.batch.message_count'] = batchSize;
    return startSpan(`process ${eventTypeName(envelope)}`, SpanKind.CONSUMER, contextFromTraceHeaders(raw.headers), attributes);
  }

  /** Settles one customer's events of a batch (or one unordered event), in order; never throws. */
  private async settleChain(chain: readonly number[], items: readonly Item[], outcomes: readonly Promise<void>[], spans: BatchSpans): Promise<void> {
    let retried = false;
    for (const index of chain) {
      const item = items[index] as Item;
      let outcome: Outcome;
      try {
        await (outcomes[index] ?? Promise.reject(new Error('the batch handler returned no outcome for this event')));
        spans.end(index);
        item.raw.ack();
        outcome = 'ack';
      } catch (err) {
        if (err instanceof EventSkippedError) {
          spans.endSkipped(index);
          outcome = 'skipped';
        } else {
          spans.fail(index, err);
          outcome = await this.failed(item, err);
        }
      }
      this.running--;
      if (item.key === undefined) continue;
      const state = this.keys.get(item.key);
      if (state === undefined) continue;
      state.inFlight--;
      if (outcome === 'skipped') {
        // Not attempted: back to the head of its customer's queue, no delivery counted.
        if (this.closed) item.raw.nak(0);
        else if (insertBySeq(state.queue, item)) this.waiting++;
      } else if (outcome === 'retry' && !this.closed && !retried) {
        retried = true;
        this.awaitRedelivery(item.key, state, item.raw);
      }
    }
    const key = items[chain[0] as number]?.key;
    if (key !== undefined) {
      const state = this.keys.get(key);
      if (state !== undefined && state.inFlight === 0) {
        if (state.queue.length > 0) this.ready.add(key);
        else if (state.awaitingSeq === undefined) this.keys.delete(key);
      }
    }
    this.schedule();
    this.checkIdle();
  }

  private awaitRedelivery(key: string, state: KeyState, raw: RawDelivery): void {
    this.stopAwaiting(state);
    state.awaitingSeq = raw.seq;
    // If the redelivery never comes (another process of the same durable took it), stop
    // blocking this customer after the time it could reasonably take.
    state.awaitTimer = setTimeout(
      () => {
        this.stopAwaiting(state);
        if (state.inFlight === 0 && state.queue.length > 0) {
          this.ready.add(key);
          this.schedule();
        } else if (state.inFlight === 0 && state.queue.length === 0) this.keys.delete(key);
      },
      this.backoffFor(raw.deliveryCount) + this.spec.ackWaitMs + 1000,
    );
    state.awaitTimer.unref();
  }

  private stopAwaiting(state: KeyState): void {
    state.awaitingSeq = undefined;
    if (state.awaitTimer) clearTimeout(state.awaitTimer);
    state.awaitTimer = undefined;
  }

  private async giveUpUndecodable(raw: RawDelivery, decodeError: unknown): Promise<void> {
    this.running++;
    try {
      await this.giveUp(raw, undefined, decodeError);
    } finally {
      this.running--;
      this.checkIdle();
    }
  }

  private backoffFor(deliveryCount: number): number {
    const { backoffMs } = this.spec;
    return backoffMs[Math.min(Math.max(deliveryCount - 1, 0), backoffMs.length - 1)] ?? 0;
  }

  /** Settles a message whose handling failed: retry with backoff, or dead letter; never throws. */
  private async failed(item: Item, err: unknown): Promise<'retry' | 'dead-letter'> {
    const { raw, envelope } = item;
    if (err instanceof PoisonEventError || raw.deliveryCount >= this.spec.maxDeliveries) {
      return this.giveUp(raw, envelope, err);
    }
    const delay = this.backoffFor(raw.deliveryCount);
    this.log?.warn(
      {
        consumer: this.spec.durable,
        eventId: envelope.eventId,
        eventType: eventTypeName(envelope),
        deliveryCount: raw.deliveryCount,
        retryInMs: delay,
        err: describeError(err),
      },
      'event handler failed; will retry',
    );
    raw.nak(delay);
    return 'retry';
  }

  private async giveUp(raw: RawDelivery, envelope: EventEnvelope | undefined, err: unknown): Promise<'dead-letter' | 'retry'> {
    const error = describeError(err);
    try {
      await this.deadLetter({ raw, envelope, consumer: this.spec.durable, error });
    } catch (dlqError) {
      // The dead-letter copy is what makes `term` safe: without it, keep the message and retry.
      const delay = this.backoffFor(raw.deliveryCount);
      this.log?.error({ consumer: this.spec.durable, eventId: envelope?.eventId, err: describeError(dlqError) }, 'dead-letter publish failed; will retry');
      raw.nak(delay);
      return 'retry';
    }
    this.log?.error(
      { consumer: this.spec.durable, eventId: envelope?.eventId, eventType: envelope ? eventTypeName(envelope) : undefined, deliveryCount: raw.deliveryCount, err: error },
      'event moved to the dead-letter stream',
    );
    raw.term(error);
    return 'dead-letter';
  }

  private touchHeld(): void {
    for (const state of this.keys.values()) {
      for (const held of state.queue) held.raw.working();
    }
    for (const held of this.unordered) held.raw.working();
  }

  private checkIdle(): void {
    if (this.running > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Stops accepting messages, hands back the held ones (nak without delay, so a restarted
   * consumer gets them first) and resolves once every running handler has settled its message.
   */
  async drain(): Promise<void> {
    this.closed = true;
    clearInterval(this.keepAlive);
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    for (const state of this.keys.values()) {
      this.stopAwaiting(state);
      for (const held of state.queue.splice(0)) held.raw.nak(0);
    }
    for (const held of this.unordered.splice(0)) held.raw.nak(0);
    this.waiting = 0;
    this.ready.clear();
    if (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.keys.clear();
  }
}

/** Inserts by stream sequence; false when it replaced a held delivery of the same message. */
function insertBySeq(queue: Item[], item: Item): boolean {
  let index = queue.length;
  while (index > 0 && (queue[index - 1]?.raw.seq ?? 0) > item.raw.seq) index--;
  if (index > 0 && queue[index - 1]?.raw.seq === item.raw.seq) {
    // A redelivery of a message still held: keep the newer delivery, whose ack the broker expects.
    queue[index - 1] = item;
    return false;
  }
  queue.splice(index, 0, item);
  return true;
}
