import { routeOf, toEncodedEvent } from './envelope';
import { deadLetterHeaders, toDeadLetter } from './dead-letters';
import { BusClosedError, DurableInUseError, StreamNotFoundError } from './errors';
import { ConsumerRunner, resolveSpec, type DeadLetterRequest, type EventLog, type RawDelivery, type ResolvedConsumerSpec } from './consumer-runner';
import { deadLetterSubject, DLQ_STREAM, streamName, validateDomain, validateDurable } from './subjects';
import { traceHeadersOf } from './trace';
import type { BatchEventHandler, ConsumerSpec, DeadLetter, EncodedEvent, EventBus, EventEnvelope, EventHandler, Subscription } from './types';

/**
 * The in-process event bus of the all-in-one mode, with JetStream's semantics: one append-only
 * stream per domain, a dedupe window by event id, durable consumers that remember what they acked
 * and resume there after a re-subscribe, at-least-once delivery with ack / nak-with-delay / term,
 * redelivery counts, and a dead-letter stream. Messages are stored encoded, so every consumer
 * decodes its own copy as it would from the broker. Nothing survives the process.
 */
export interface InProcessBusOptions {
  /** Dedupe window for event ids in ms (default 120 000, as JetStream's). */
  duplicateWindowMs?: number;
  /** Messages kept per stream; the oldest go first (default 250 000). */
  maxMessagesPerStream?: number;
  /** Age after which messages are dropped, in ms (default 24 h). */
  maxAgeMs?: number;
  log?: EventLog;
}

interface StoredMessage {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly type: string;
  readonly at: number;
}

class MemoryStream {
  /** messages[i] has sequence firstSeq + i. */
  messages: StoredMessage[] = [];
  firstSeq = 1;
  lastSeq = 0;
  private readonly dedupe = new Map<string, number>();
  /** When the oldest id in `dedupe` was seen: nothing expires before it is a window old. */
  private oldestDedupeAt = Number.POSITIVE_INFINITY;
  readonly consumers = new Set<DurableState>();

  constructor(
    readonly name: string,
    private readonly options: Required<Omit<InProcessBusOptions, 'log'>>,
  ) {}

  /** Appends unless the id was seen within the window; returns whether it was appended. */
  append(id: string | undefined, subject: string, data: Uint8Array, headers: Readonly<Record<string, string>>, type: string, now: number): boolean {
    if (now - this.oldestDedupeAt >= this.options.duplicateWindowMs) this.expireDedupe(now);
    if (id !== undefined) {
      if (this.dedupe.has(id)) return false;
      if (this.dedupe.size === 0) this.oldestDedupeAt = now;
      this.dedupe.set(id, now);
    }
    this.lastSeq++;
    this.messages.push({ seq: this.lastSeq, subject, data, headers, type, at: now });
    this.enforceLimits(now);
    return true;
  }

  get(seq: number): StoredMessage | undefined {
    return this.messages[seq - this.firstSeq];
  }

  private expireDedupe(now: number): void {
    // Map iteration is insertion order, which is time order here.
    this.oldestDedupeAt = Number.POSITIVE_INFINITY;
    for (const [id, at] of this.dedupe) {
      if (now - at < this.options.duplicateWindowMs) {
        this.oldestDedupeAt = at;
        break;
      }
      this.dedupe.delete(id);
    }
  }

  private enforceLimits(now: number): void {
    let drop = Math.max(0, this.messages.length - this.options.maxMessagesPerStream);
    while (drop < this.messages.length && now - (this.messages[drop]?.at ?? now) > this.options.maxAgeMs) drop++;
    // Drop in chunks: splicing the front of a big array on every publish would be quadratic.
    if (drop >= 1024 || (drop > 0 && this.messages.length < 4096)) {
      this.messages.splice(0, drop);
      this.firstSeq += drop;
    }
  }
}

interface PendingDelivery {
  deliveryCount: number;
  timer: NodeJS.Timeout | undefined;
  /** Redelivers the message when its latest delivery is neither settled nor reported working in time. */
  ackTimer?: NodeJS.Timeout | undefined;
}

/** Stops the redelivery and ack-wait timers of a pending delivery. */
function clearTimers(pending: PendingDelivery): void {
  if (pending.timer) clearTimeout(pending.timer);
  if (pending.ackTimer) clearTimeout(pending.ackTimer);
  pending.timer = undefined;
  pending.ackTimer = undefined;
}

/** What a durable consumer remembers between subscriptions. */
class DurableState {
  /** Next sequence never delivered yet. */
  nextSeq: number;
  /** Delivered and neither acked nor terminated. */
  readonly pending = new Map<number, PendingDelivery>();
  /** Sequences whose redelivery is due, ascending. */
  readonly redeliver: number[] = [];
  active: ActiveSubscription | undefined;
  /** Removes the durable once it stayed without a subscription for its inactive threshold. */
  expiry: NodeJS.Timeout | undefined;

  constructor(
    readonly stream: MemoryStream,
    public spec: ResolvedConsumerSpec,
  ) {
    this.nextSeq = spec.startAt === 'new' ? stream.lastSeq + 1 : stream.firstSeq;
  }

  scheduleRedelivery(seq: number): void {
    let index = this.redeliver.length;
    while (index > 0 && (this.redeliver[index - 1] ?? 0) > seq) index--;
    if (this.redeliver[index - 1] !== seq) this.redeliver.splice(index, 0, seq);
  }
}

/** One delivery of a stored message (a class: no closures made per message). */
class MemoryDelivery implements RawDelivery {
  readonly seq: number;
  readonly deliveryCount: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  private settled = false;

  constructor(
    private readonly subscription: ActiveSubscription,
    private readonly state: DurableState,
    message: StoredMessage,
    private readonly pending: PendingDelivery,
  ) {
    this.seq = message.seq;
    this.deliveryCount = pending.deliveryCount;
    this.subject = message.subject;
    this.data = message.data;
    this.headers = message.headers;
  }

  /** The first ack, nak or term counts; later ones are ignored, as the broker would. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.pending.ackTimer) clearTimeout(this.pending.ackTimer);
    this.pending.ackTimer = undefined;
    this.subscription.schedulePump();
    return true;
  }

  ack(): void {
    if (this.settle()) this.state.pending.delete(this.seq);
  }

  term(): void {
    if (this.settle()) this.state.pending.delete(this.seq);
  }

  nak(delayMs: number): void {
    if (!this.settle()) return;
    const { state, seq, pending } = this;
    if (delayMs <= 0) {
      state.scheduleRedelivery(seq);
      return;
    }
    pending.timer = setTimeout(() => {
      pending.timer = undefined;
      if (!state.pending.has(seq)) return;
      state.scheduleRedelivery(seq);
      state.active?.schedulePump();
    }, delayMs);
    pending.timer.unref();
  }

  working(): void {
    if (!this.settled && this.state.pending.get(this.seq) === this.pending) this.subscription.armAckWait(this.seq, this.pending);
  }
}

class ActiveSubscription implements Subscription {
  private pumpScheduled = false;
  private stopped = false;
  /** The types the consumer reads (undefined: all of the domain), for the broker-side filter. */
  private readonly types: ReadonlySet<string> | undefined;

  constructor(
    private readonly state: DurableState,
    readonly runner: ConsumerRunner,
    /** Called when this subscription ends and leaves its durable without one. */
    private readonly onInactive: (state: DurableState) => void,
  ) {
    this.types = state.spec.types.length > 0 ? new Set(state.spec.types) : undefined;
  }

  get durable(): string {
    return this.state.spec.durable;
  }

  schedulePump(): void {
    if (this.pumpScheduled || this.stopped) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const { state, types } = this;
    const { stream } = state;
    while (!this.stopped) {
      let seq: number | undefined;
      if (state.redeliver.length > 0) {
        // Redeliveries are pending already: like JetStream's max_ack_pending, the in-flight
        // limit holds back only new messages, so a failed event can always come back.
        seq = state.redeliver.shift();
      } else {
        if (state.pending.size >= state.spec.maxInFlight) return;
        if (state.nextSeq < stream.firstSeq) state.nextSeq = stream.firstSeq;
        // The broker-side filter: skip types this consumer does not read.
        while (state.nextSeq <= stream.lastSeq && types && !types.has(stream.get(state.nextSeq)?.type ?? '')) state.nextSeq++;
        if (state.nextSeq > stream.lastSeq) return;
        seq = state.nextSeq++;
      }
      if (seq === undefined) return;
      const message = stream.get(seq);
      if (!message) {
        // Dropped by the stream's limits while waiting for redelivery.
        state.pending.delete(seq);
        continue;
      }
      this.deliver(message);
    }
  }

  private deliver(message: StoredMessage): void {
    const { state } = this;
    const pending = state.pending.get(message.seq) ?? { deliveryCount: 0, timer: undefined };
    pending.deliveryCount++;
    state.pending.set(message.seq, pending);
    this.armAckWait(message.seq, pending);
    this.runner.deliver(new MemoryDelivery(this, state, message, pending));
  }

  /**
   * Like JetStream's ack wait: a delivery neither settled nor reported working within the
   * consumer's ack wait is delivered again (a handler that hangs does not hold its event forever).
   */
  armAckWait(seq: number, pending: PendingDelivery): void {
    if (pending.ackTimer) clearTimeout(pending.ackTimer);
    pending.ackTimer = setTimeout(() => {
      pending.ackTimer = undefined;
      if (this.stopped || this.state.pending.get(seq) !== pending) return;
      this.state.scheduleRedelivery(seq);
      this.schedulePump();
    }, this.state.spec.ackWaitMs);
    pending.ackTimer.unref();
  }

  async drain(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.runner.drain();
    if (this.state.active === this) {
      this.state.active = undefined;
      this.onInactive(this.state);
    }
  }
}

export class InProcessEventBus implements EventBus {
  readonly kind = 'in-process' as const;
  private readonly streams = new Map<string, MemoryStream>();
  private readonly durables = new Map<string, DurableState>();
  private readonly dlq: MemoryStream;
  private readonly options: Required<Omit<InProcessBusOptions, 'log'>>;
  private closed = false;

  constructor(private readonly busOptions: InProcessBusOptions = {}) {
    this.options = {
      duplicateWindowMs: busOptions.duplicateWindowMs ?? 120_000,
      maxMessagesPerStream: busOptions.maxMessagesPerStream ?? 250_000,
      maxAgeMs: busOptions.maxAgeMs ?? 24 * 3600_000,
    };
    this.dlq = new MemoryStream(DLQ_STREAM, this.options);
  }

  async ensureStreams(domains: readonly string[]): Promise<void> {
    this.assertOpen();
    for (const domain of domains) {
      validateDomain(domain);
      if (!this.streams.has(domain)) this.streams.set(domain, new MemoryStream(streamName(domain), this.options));
    }
  }

  async publish(event: EventEnvelope | EncodedEvent, headers: Readonly<Record<string, string>> = {}): Promise<void> {
    this.assertOpen();
    const subject = routeOf(event);
    const { data, eventId, domain, type } = toEncodedEvent(event);
    const stream = this.streams.get(domain);
    if (!stream) throw new StreamNotFoundError(domain);
    const messageHeaders: Record<string, string> = { ...headers, 'Nats-Msg-Id': eventId };
    if (!messageHeaders['traceparent']) Object.assign(messageHeaders, traceHeadersOf());
    const appended = stream.append(eventId, subject, data, messageHeaders, type, Date.now());
    if (!appended) return;
    for (const durable of stream.consumers) durable.active?.schedulePump();
  }

  async subscribe(spec: ConsumerSpec, handler: EventHandler | BatchEventHandler): Promise<Subscription> {
    this.assertOpen();
    validateDurable(spec.durable);
    validateDomain(spec.domain, 'spec.domain');
    const stream = this.streams.get(spec.domain);
    if (!stream) throw new StreamNotFoundError(spec.domain);
    const resolved = resolveSpec(spec);
    const key = `${stream.name}/${spec.durable}`;
    let state = this.durables.get(key);
    if (!state) {
      state = new DurableState(stream, resolved);
      this.durables.set(key, state);
      stream.consumers.add(state);
    } else if (state.active) {
      throw new DurableInUseError(spec.durable);
    }
    state.spec = resolved;
    // Whatever was delivered to an earlier subscription and not settled is due again now.
    for (const [seq, pending] of state.pending) {
      clearTimers(pending);
      state.scheduleRedelivery(seq);
    }
    const runner = new ConsumerRunner(resolved, handler, (request) => this.deadLetter(request), this.busOptions.log);
    if (state.expiry) clearTimeout(state.expiry);
    state.expiry = undefined;
    const subscription = new ActiveSubscription(state, runner, (inactive) => this.expireWhenIdle(key, inactive));
    state.active = subscription;
    subscription.schedulePump();
    return subscription;
  }

  private async deadLetter(request: DeadLetterRequest): Promise<void> {
    const { raw } = request;
    this.dlq.append(undefined, deadLetterSubject(raw.subject), raw.data, deadLetterHeaders(request), request.envelope?.type ?? '', Date.now());
  }

  async deadLetters(options: { limit?: number; fromSequence?: number } = {}): Promise<DeadLetter[]> {
    const limit = options.limit ?? 100;
    const result: DeadLetter[] = [];
    for (let seq = Math.max(options.fromSequence ?? 1, this.dlq.firstSeq); seq <= this.dlq.lastSeq && result.length < limit; seq++) {
      const message = this.dlq.get(seq);
      if (message) result.push(toDeadLetter(message.seq, message.data, message.headers, new Date(message.at)));
    }
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.durables.values()].map((state) => (state.active ? state.active.drain() : Promise.resolve())));
  }

  /** A durable with an inactive threshold is forgotten once it stayed unsubscribed that long. */
  private expireWhenIdle(key: string, state: DurableState): void {
    const threshold = state.spec.inactiveThresholdMs;
    if (threshold === undefined) return;
    state.expiry = setTimeout(() => {
      state.expiry = undefined;
      if (state.active || this.durables.get(key) !== state) return;
      for (const pending of state.pending.values()) clearTimers(pending);
      this.durables.delete(key);
      state.stream.consumers.delete(state);
    }, threshold);
    state.expiry.unref();
  }

  private assertOpen(): void {
    if (this.closed) throw new BusClosedError();
  }
}

/** The in-process bus of the all-in-one mode. */
export function createInProcessBus(options: InProcessBusOptions = {}): EventBus {
  return new InProcessEventBus(options);
}
