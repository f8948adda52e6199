import { connect } from '@nats-io/transport-node';
import { headers as natsHeaders, nanos, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamConfig,
} from '@nats-io/jetstream';
import { routeOf, toEncodedEvent } from './envelope';
import { BusClosedError, DurableInUseError, StreamNotFoundError } from './errors';
import { ConsumerRunner, describeError, resolveSpec, type DeadLetterRequest, type EventLog, type RawDelivery } from './consumer-runner';
import { deadLetterHeaders, toDeadLetter } from './dead-letters';
import {
  consumerFilter,
  deadLetterStreamSubjects,
  deadLetterSubject,
  DLQ_STREAM,
  streamName,
  streamSubjects,
  validateDomain,
  validateDurable,
} from './subjects';
import { traceHeadersOf } from './trace';
import type { BatchEventHandler, ConsumerSpec, DeadLetter, EncodedEvent, EventBus, EventEnvelope, EventHandler, Subscription } from './types';

/**
 * The JetStream adapter. Streams (`CONTINUUM_<DOMAIN>` on `continuum.*.<domain>.>`, file storage,
 * a dedupe window) and durable pull consumers (explicit ack) are declared by code at start.
 * Publishing sets `Nats-Msg-Id` to the event id and waits for the PubAck. Consumers ack after the
 * handler succeeded, nak with the spec's backoff on failure, and after max deliveries copy the
 * message to `CONTINUUM_DLQ` (headers: original subject, consumer, delivery count, error) before
 * `term`. The connection reconnects forever with a capped exponential backoff.
 *
 * Works with nats-server 2.9: consumers of several types use one wildcard filter there and skip
 * other types in the client; from 2.10 on the server filters them (`filter_subjects`).
 */
export interface JetStreamBusOptions {
  /** `nats://host:port`, one or several (NATS_URL). Ignored when `connection` is given. */
  servers?: string | string[];
  /** An existing connection to use; the bus then leaves closing it to its owner. */
  connection?: NatsConnection;
  /** Connection name shown by the server (the service name). */
  name?: string;
  /** Stream replicas (1 on a single server, 3 in a cluster). */
  replicas?: number;
  /** Dedupe window by `Nats-Msg-Id`, in ms (default 120 000). */
  duplicateWindowMs?: number;
  /** Age after which stream messages are dropped, in ms (default 7 days; 0: never). */
  maxAgeMs?: number;
  /** How long a publish waits for its PubAck, in ms (default 5000). */
  publishTimeoutMs?: number;
  /**
   * Capture the caller's stack in every request for timeout and error traces (nats.js
   * `noAsyncTraces: false`). Default false: building two Error objects per publish costs about as
   * much CPU as the rest of the publish, and our errors are logged by message anyway.
   */
  asyncTraces?: boolean;
  /** Reconnect backoff: first delay and cap in ms (default 50 → 2000, with jitter). */
  reconnectMinDelayMs?: number;
  reconnectMaxDelayMs?: number;
  log?: EventLog;
}

const DEFAULT_MAX_AGE_MS = 7 * 24 * 3600_000;

/** JetStream API error codes the bus tells apart. */
const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;
const NO_MESSAGE_FOUND = 10037;

function headerRecord(headers: MsgHdrs | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  for (const [key, values] of headers) {
    const value = values[0];
    if (value !== undefined) record[key] = value;
  }
  return record;
}

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

/** Whether a nats-server version string is at least `major.minor`. */
function versionAtLeast(version: string | undefined, major: number, minor: number): boolean {
  const [maj = 0, min = 0] = (version ?? '0.0').split('.').map((part) => parseInt(part, 10));
  return maj > major || (maj === major && min >= minor);
}

class JetStreamSubscription implements Subscription {
  private stopped = false;

  constructor(
    readonly durable: string,
    private readonly messages: ConsumerMessages,
    private readonly runner: ConsumerRunner,
    private readonly onDrained: () => void,
  ) {}

  async drain(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Stop pulling first; messages that still arrive are handed back by the runner.
    await this.messages.close().catch(() => undefined);
    await this.runner.drain();
    this.onDrained();
  }
}

export class JetStreamEventBus implements EventBus {
  readonly kind = 'jetstream' as const;
  private readonly js: JetStreamClient;
  private readonly declared = new Set<string>();
  private readonly active = new Map<string, JetStreamSubscription>();
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly ownsConnection: boolean,
    private readonly options: JetStreamBusOptions,
  ) {
    this.js = jetstream(nc);
  }

  /** Connects (or adopts `options.connection`) and returns the bus. */
  static async connect(options: JetStreamBusOptions): Promise<JetStreamEventBus> {
    let nc = options.connection;
    if (!nc) {
      const minDelay = options.reconnectMinDelayMs ?? 50;
      const maxDelay = options.reconnectMaxDelayMs ?? 2000;
      let attempt = 0;
      nc = await connect({
        servers: options.servers ?? 'nats://127.0.0.1:4222',
        name: options.name,
        maxReconnectAttempts: -1,
        waitOnFirstConnect: true,
        noAsyncTraces: options.asyncTraces !== true,
        reconnectTimeWait: minDelay,
        // Exponential backoff with jitter, capped: quick after a blip, gentle during an outage.
        reconnectDelayHandler: () => {
          const base = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt++, 16));
          return base / 2 + Math.random() * (base / 2);
        },
      });
      const connection = nc;
      void (async () => {
        for await (const status of connection.status()) {
          if (status.type === 'reconnect') attempt = 0;
          if (status.type === 'disconnect' || status.type === 'reconnect') {
            options.log?.warn({ nats: status.type }, `NATS connection: ${status.type}`);
          }
        }
      })().catch(() => undefined);
    }
    const jsm = await jetstreamManager(nc);
    return new JetStreamEventBus(nc, jsm, options.connection === undefined, options);
  }

  /** The connection, for health checks. */
  get connection(): NatsConnection {
    return this.nc;
  }

  private streamConfig(name: string, subjects: string[]): Partial<StreamConfig> & { name: string } {
    const maxAgeMs = this.options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    return {
      name,
      subjects,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      num_replicas: this.options.replicas ?? 1,
      duplicate_window: nanos(this.options.duplicateWindowMs ?? 120_000),
      max_age: maxAgeMs > 0 ? nanos(maxAgeMs) : 0,
    };
  }

  private async declareStream(config: Partial<StreamConfig> & { name: string }): Promise<void> {
    try {
      await this.jsm.streams.info(config.name);
    } catch (err) {
      if (!isApiError(err, STREAM_NOT_FOUND)) throw err;
      await this.jsm.streams.add(config);
      return;
    }
    // Exists: bring the editable settings up to date (subjects, window, age, replicas).
    await this.jsm.streams.update(config.name, config);
  }

  async ensureStreams(domains: readonly string[]): Promise<void> {
    this.assertOpen();
    for (const domain of domains) validateDomain(domain);
    if (!this.declared.has(DLQ_STREAM)) {
      await this.declareStream(this.streamConfig(DLQ_STREAM, [deadLetterStreamSubjects()]));
      this.declared.add(DLQ_STREAM);
    }
    for (const domain of domains) {
      if (this.declared.has(domain)) continue;
      await this.declareStream(this.streamConfig(streamName(domain), [streamSubjects(domain)]));
      this.declared.add(domain);
    }
  }

  async publish(event: EventEnvelope | EncodedEvent, headers: Readonly<Record<string, string>> = {}): Promise<void> {
    this.assertOpen();
    const subject = routeOf(event);
    const { data, eventId, domain } = toEncodedEvent(event);
    const messageHeaders = natsHeaders();
    let traced = false;
    for (const key in headers) {
      if (key === 'Nats-Msg-Id') continue;
      messageHeaders.set(key, headers[key] as string);
      if (key === 'traceparent') traced = true;
    }
    if (!traced) {
      const trace = traceHeadersOf();
      if (trace) {
        messageHeaders.set('traceparent', trace.traceparent);
        if (trace.tracestate) messageHeaders.set('tracestate', trace.tracestate);
      }
    }
    try {
      await this.js.publish(subject, data, {
        msgID: eventId,
        headers: messageHeaders,
        timeout: this.options.publishTimeoutMs ?? 5000,
      });
    } catch (err) {
      if (err instanceof Error && /no responders|no stream/i.test(err.message) && !this.declared.has(domain)) {
        throw new StreamNotFoundError(domain);
      }
      throw err;
    }
  }

  async subscribe(spec: ConsumerSpec, handler: EventHandler | BatchEventHandler): Promise<Subscription> {
    this.assertOpen();
    validateDurable(spec.durable);
    validateDomain(spec.domain, 'spec.domain');
    const resolved = resolveSpec(spec);
    const stream = streamName(spec.domain);
    const key = `${stream}/${spec.durable}`;
    if (this.active.has(key)) throw new DurableInUseError(spec.durable);

    const multiFilter = versionAtLeast(this.nc.info?.version, 2, 10);
    const config: Partial<ConsumerConfig> = {
      durable_name: spec.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: resolved.startAt === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      replay_policy: ReplayPolicy.Instant,
      ack_wait: nanos(resolved.ackWaitMs),
      // The client decides when to give up (and dead-letters first): the server never drops a
      // message on its own after a number of deliveries.
      max_deliver: -1,
      max_ack_pending: resolved.maxInFlight,
      ...(resolved.inactiveThresholdMs !== undefined ? { inactive_threshold: nanos(resolved.inactiveThresholdMs) } : {}),
    };
    if (resolved.types.length === 1) config.filter_subject = consumerFilter(spec.domain, resolved.types[0]);
    else if (resolved.types.length > 1 && multiFilter) config.filter_subjects = resolved.types.map((type) => consumerFilter(spec.domain, type));
    else config.filter_subject = consumerFilter(spec.domain);

    try {
      await this.jsm.consumers.info(stream, spec.durable);
      await this.jsm.consumers.update(stream, spec.durable, {
        ack_wait: config.ack_wait,
        max_deliver: config.max_deliver,
        max_ack_pending: config.max_ack_pending,
        ...(config.inactive_threshold !== undefined ? { inactive_threshold: config.inactive_threshold } : {}),
        ...(config.filter_subject !== undefined ? { filter_subject: config.filter_subject } : {}),
        ...(config.filter_subjects !== undefined ? { filter_subjects: config.filter_subjects } : {}),
      });
    } catch (err) {
      if (isApiError(err, STREAM_NOT_FOUND)) throw new StreamNotFoundError(spec.domain);
      if (!isApiError(err, CONSUMER_NOT_FOUND)) throw err;
      await this.jsm.consumers.add(stream, config);
    }

    const runner = new ConsumerRunner(resolved, handler, (request) => this.deadLetter(request), this.options.log);
    const consumer = await this.js.consumers.get(stream, spec.durable);
    const messages = await consumer.consume({
      max_messages: resolved.maxInFlight,
      callback: (message: JsMsg) => runner.deliver(new JetStreamDelivery(message)),
    });
    const subscription = new JetStreamSubscription(spec.durable, messages, runner, () => this.active.delete(key));
    this.active.set(key, subscription);
    return subscription;
  }

  private async deadLetter(request: DeadLetterRequest): Promise<void> {
    const { raw } = request;
    const headers = natsHeaders();
    for (const [key, value] of Object.entries(deadLetterHeaders(request))) headers.set(key, value);
    await this.js.publish(deadLetterSubject(raw.subject), raw.data, {
      // A retried dead-lettering (crash between copy and term) is deduped like any publish.
      msgID: `${request.consumer}:${request.envelope?.eventId ?? `seq-${raw.seq}`}`,
      headers,
      timeout: this.options.publishTimeoutMs ?? 5000,
    });
  }

  async deadLetters(options: { limit?: number; fromSequence?: number } = {}): Promise<DeadLetter[]> {
    this.assertOpen();
    const limit = options.limit ?? 100;
    let info;
    try {
      info = await this.jsm.streams.info(DLQ_STREAM);
    } catch (err) {
      if (isApiError(err, STREAM_NOT_FOUND)) return [];
      throw err;
    }
    const letters: DeadLetter[] = [];
    for (let seq = Math.max(options.fromSequence ?? 1, info.state.first_seq); seq <= info.state.last_seq && letters.length < limit; seq++) {
      let message;
      try {
        message = await this.jsm.streams.getMessage(DLQ_STREAM, { seq });
      } catch (err) {
        if (isApiError(err, NO_MESSAGE_FOUND)) continue;
        throw err;
      }
      if (message) letters.push(toDeadLetter(message.seq, message.data, headerRecord(message.header), message.time));
    }
    return letters;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.active.values()].map((subscription) => subscription.drain()));
    if (this.ownsConnection) {
      await this.nc.drain().catch((err: unknown) => this.options.log?.warn({ err: describeError(err) }, 'NATS drain failed'));
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new BusClosedError();
  }
}

/** One JetStream delivery as the runner sees it (a class: no closures made per message). */
class JetStreamDelivery implements RawDelivery {
  readonly seq: number;
  readonly deliveryCount: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;

  constructor(private readonly message: JsMsg) {
    this.seq = message.seq;
    this.deliveryCount = message.info.deliveryCount;
    this.subject = message.subject;
    this.data = message.data;
    this.headers = headerRecord(message.headers);
  }

  ack(): void {
    this.message.ack();
  }

  nak(delayMs: number): void {
    this.message.nak(delayMs > 0 ? delayMs : undefined);
  }

  term(reason: string): void {
    this.message.term(reason);
  }

  working(): void {
    this.message.working();
  }
}

/** Connects to NATS and returns the JetStream event bus. */
export function createJetStreamBus(options: JetStreamBusOptions): Promise<EventBus> {
  return JetStreamEventBus.connect(options);
}
