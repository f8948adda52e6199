import { decodeEnvelope, eventTypeName } from './envelope';
import { PoisonEventError } from './errors';
import { contextFromTraceHeaders, inSpan, messagingAttributes, SpanKind } from './trace';
import type { ConsumerSpec, DeliveredEvent, EventEnvelope } from './types';

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
  };
}

/** Error text for a dead letter or a log line: class name and message, one line, bounded. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : `Error: ${String(err)}`;
  return text.replace(/[\r\n]+/g, ' ').slice(0, 512);
}

interface Held {
  readonly raw: RawDelivery;
  readonly envelope: EventEnvelope;
}

interface KeyState {
  /** Messages waiting their turn, by stream sequence. */
  queue: Held[];
  /** A handler of this customer is running. */
  busy: boolean;
  /** The sequence of a failed event whose redelivery must come first. */
  awaitingSeq: number | undefined;
  awaitTimer: NodeJS.Timeout | undefined;
}

export class ConsumerRunner {
  private readonly keys = new Map<string, KeyState>();
  private readonly types: ReadonlySet<string> | undefined;
  private running = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    readonly spec: ResolvedConsumerSpec,
    private readonly handler: (event: DeliveredEvent) => Promise<void>,
    private readonly deadLetter: (request: DeadLetterRequest) => Promise<void>,
    private readonly log?: EventLog,
  ) {
    this.types = spec.types.length > 0 ? new Set(spec.types) : undefined;
    // Held messages are not being handled yet; without this the broker would redeliver them
    // after the ack wait although they are only waiting for their turn.
    this.keepAlive = setInterval(() => this.touchHeld(), Math.max(250, Math.floor(spec.ackWaitMs / 3)));
    this.keepAlive.unref();
  }

  /** Messages handed over and not finished (running or held). */
  get outstanding(): number {
    let held = 0;
    for (const state of this.keys.values()) held += state.queue.length;
    return this.running + held;
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
      void this.runUnordered(raw, undefined, err);
      return;
    }
    if (this.types && !this.types.has(envelope.type)) {
      // Only reached where the broker cannot filter several types (nats-server < 2.10).
      raw.ack();
      return;
    }
    if (!envelope.subjectProfileId) {
      void this.runUnordered(raw, envelope, undefined);
      return;
    }
    const key = `${envelope.tenantId}\u0000${envelope.subjectProfileId}`;
    let state = this.keys.get(key);
    if (!state) {
      state = { queue: [], busy: false, awaitingSeq: undefined, awaitTimer: undefined };
      this.keys.set(key, state);
    }
    insertBySeq(state.queue, { raw, envelope });
    this.pump(key, state);
  }

  private pump(key: string, state: KeyState): void {
    if (state.busy) return;
    const head = state.queue[0];
    if (!head) {
      if (state.awaitingSeq === undefined) this.keys.delete(key);
      return;
    }
    if (state.awaitingSeq !== undefined) {
      // Only the failed event (or an even older one) may go before its redelivery has come.
      if (head.raw.seq > state.awaitingSeq) return;
      if (head.raw.seq === state.awaitingSeq) this.stopAwaiting(state);
    }
    state.queue.shift();
    state.busy = true;
    this.running++;
    void this.process(head.raw, head.envelope).then((outcome) => {
      this.running--;
      state.busy = false;
      if (outcome === 'retry' && !this.closed) {
        state.awaitingSeq = head.raw.seq;
        // If the redelivery never comes (another process of the same durable took it), stop
        // blocking this customer after the time it could reasonably take.
        state.awaitTimer = setTimeout(
          () => {
            this.stopAwaiting(state);
            this.pump(key, state);
          },
          this.backoffFor(head.raw.deliveryCount) + this.spec.ackWaitMs + 1000,
        );
        state.awaitTimer.unref();
      }
      this.pump(key, state);
      this.checkIdle();
    });
  }

  private stopAwaiting(state: KeyState): void {
    state.awaitingSeq = undefined;
    if (state.awaitTimer) clearTimeout(state.awaitTimer);
    state.awaitTimer = undefined;
  }

  private async runUnordered(raw: RawDelivery, envelope: EventEnvelope | undefined, decodeError: unknown): Promise<void> {
    this.running++;
    try {
      if (envelope) await this.process(raw, envelope);
      else await this.giveUp(raw, undefined, decodeError);
    } finally {
      this.running--;
      this.checkIdle();
    }
  }

  private backoffFor(deliveryCount: number): number {
    const { backoffMs } = this.spec;
    return backoffMs[Math.min(Math.max(deliveryCount - 1, 0), backoffMs.length - 1)] ?? 0;
  }

  /** Runs the handler and settles the message; never throws. */
  private async process(raw: RawDelivery, envelope: EventEnvelope): Promise<'ack' | 'retry' | 'dead-letter'> {
    const event: DeliveredEvent = {
      envelope,
      deliveryCount: raw.deliveryCount,
      subject: raw.subject,
      streamSequence: raw.seq,
      consumer: this.spec.durable,
    };
    const typeName = eventTypeName(envelope);
    try {
      await inSpan(
        `process ${typeName}`,
        SpanKind.CONSUMER,
        contextFromTraceHeaders(raw.headers),
        messagingAttributes({
          operation: 'process',
          subject: raw.subject,
          eventId: envelope.eventId,
          tenantId: envelope.tenantId,
          eventType: typeName,
          consumer: this.spec.durable,
          deliveryCount: raw.deliveryCount,
        }),
        () => this.handler(event),
      );
      raw.ack();
      return 'ack';
    } catch (err) {
      if (err instanceof PoisonEventError || raw.deliveryCount >= this.spec.maxDeliveries) {
        return this.giveUp(raw, envelope, err);
      }
      const delay = this.backoffFor(raw.deliveryCount);
      this.log?.warn(
        { consumer: this.spec.durable, eventId: envelope.eventId, eventType: typeName, deliveryCount: raw.deliveryCount, retryInMs: delay, err: describeError(err) },
        'event handler failed; will retry',
      );
      raw.nak(delay);
      return 'retry';
    }
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
    for (const state of this.keys.values()) {
      this.stopAwaiting(state);
      for (const held of state.queue.splice(0)) held.raw.nak(0);
    }
    if (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.keys.clear();
  }
}

function insertBySeq(queue: Held[], item: Held): void {
  let index = queue.length;
  while (index > 0 && (queue[index - 1]?.raw.seq ?? 0) > item.raw.seq) index--;
  if (index > 0 && queue[index - 1]?.raw.seq === item.raw.seq) {
    // A redelivery of a message still held: keep the newer delivery, whose ack the broker expects.
    queue[index - 1] = item;
    return;
  }
  queue.splice(index, 0, item);
}
