import type { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { Context } from '@opentelemetry/api';
import type { eventsV1 } from '@continuum/contracts';
import type { StoreSession } from '@continuum/store';

/** The envelope every event travels in (continuum.events.v1.EventEnvelope). */
export type EventEnvelope = eventsV1.EventEnvelope;

/**
 * An event already encoded, with the fields that route it: what the outbox relay publishes, the
 * envelope bytes exactly as the outbox stored them (no decode and re-encode on the way out). The
 * bytes must be the encoding of an envelope carrying these same fields.
 */
export interface EncodedEvent {
  /** The encoded continuum.events.v1.EventEnvelope. */
  readonly data: Uint8Array;
  readonly eventId: string;
  readonly tenantId: string;
  readonly domain: string;
  readonly type: string;
}

/** Encodes/decodes one payload message: the ts-proto generated message object fits. */
export interface PayloadCodec<P> {
  /** Encodes into `writer` when given (the outbox reuses one), else into a new one. */
  encode(message: P, writer?: BinaryWriter): { finish(): Uint8Array };
  decode(input: Uint8Array): P;
  // ts-proto's own signature takes its DeepPartial<P>; `any` is what lets every generated message fit.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  fromPartial(object: any): P;
}

/**
 * The declaration of one event type, shared by its producer and its consumers:
 *
 *   export const ProfileMerged = defineEvent({
 *     domain: 'identity', type: 'profile_merged',
 *     payloadType: 'continuum.identity.v1.ProfileMergedEvent', codec: identityV1.ProfileMergedEvent,
 *   });
 */
export interface EventType<P> {
  /** Producing domain: identity, context, routing, consent, metrics. */
  readonly domain: string;
  /** lower_snake type within the domain. */
  readonly type: string;
  /** Fully qualified proto message name of the payload (goes into the Any's type URL). */
  readonly payloadType: string;
  readonly codec: PayloadCodec<P>;
}

/** What a producer says about a new event; the outbox fills in id, time, producer and trace context. */
export interface NewEvent<P> {
  readonly tenantId: string;
  /** The customer profile it is about; events of one subject are delivered in order. */
  readonly subjectProfileId?: string;
  /** The event being handled when this one was produced. */
  readonly causationId?: string;
  readonly payload: P;
}

/** An event as a consumer receives it. */
export interface DeliveredEvent {
  readonly envelope: EventEnvelope;
  /** 1 on first delivery, then 2, 3, ... on redeliveries. */
  readonly deliveryCount: number;
  /** The NATS subject (or in-process equivalent) it arrived on. */
  readonly subject: string;
  /** Position of the message in its domain's stream (increasing in publish order). */
  readonly streamSequence: number;
  /** The durable consumer that received it. */
  readonly consumer: string;
}

/** A consumer's handler of one event: resolves to ack, rejects to retry (then dead-letter). */
export type EventHandler = (event: DeliveredEvent) => Promise<void>;

/** One event of a batch handed to a BatchEventHandler. */
export interface BatchedEvent {
  readonly event: DeliveredEvent;
  /**
   * Events with the same key are one customer's (tenant and subject profile): within a batch they
   * come in stream order and must be applied in that order, and none may be applied after one of
   * them failed. Undefined for events without a subject profile (no order among themselves).
   */
  readonly orderKey: string | undefined;
  /**
   * Runs `fn` inside this event's CONSUMER span (started on the first call), so whatever the
   * handler does (spans, events it appends to an outbox) continues this event's trace.
   */
  within<R>(fn: () => R): R;
}

/** What a BatchEventHandler returns for a batch. */
export interface BatchSettlement {
  /**
   * One per event, in batch order: resolves to ack it; rejects with the error to retry or
   * dead-letter it as a single handler's failure would; rejects with `EventSkippedError` when it
   * was not attempted because an earlier event of its customer in the batch failed (it is then
   * handed back untouched, with no delivery counted against it).
   */
  readonly outcomes: readonly Promise<void>[];
  /** Resolves (never rejects) once the batch no longer needs its resources: the next batch may start. */
  readonly done: Promise<void>;
}

/**
 * A handler that takes several ready events at once (the inbox's group commit). The runner keeps
 * the per-customer order: a customer's events in a batch are consecutive in stream order, and a
 * customer never has events in two batches at once.
 */
export interface BatchEventHandler {
  /** Most events per batch (at least 1). */
  readonly maxBatchSize: number;
  /** How long to wait for a fuller batch when fewer than maxBatchSize events are ready, in ms (0: start at once). */
  readonly lingerMs?: number;
  /** Batches handled at once (default 1). */
  readonly maxConcurrentBatches?: number;
  handleBatch(batch: readonly BatchedEvent[]): BatchSettlement;
}

/** How a handler's failure is treated. */
export type HandlerOutcome = 'ack' | 'retry' | 'dead-letter';

/** A durable consumer's declaration. */
export interface ConsumerSpec {
  /** Durable name, unique per consuming service and purpose (`context-identity-events`). */
  readonly durable: string;
  /** The stream's domain to read (`identity`). */
  readonly domain: string;
  /** Event types to receive (all of the domain when empty). */
  readonly types?: readonly string[];
  /** Deliveries before a message goes to the dead-letter stream (default 5). */
  readonly maxDeliveries?: number;
  /** Redelivery delays after a failure, in ms (default [200, 1000, 5000, 15000]). */
  readonly backoffMs?: readonly number[];
  /** Messages in flight at once (default 256); events of one subject are still applied in order. */
  readonly maxInFlight?: number;
  /**
   * How long the broker waits for an ack before it redelivers (default 30 000 ms). Held messages
   * (waiting behind an earlier event of the same customer) are kept alive while they wait.
   */
  readonly ackWaitMs?: number;
  /**
   * Where a durable that does not exist yet starts: 'first' (default), every event the stream
   * holds; 'new', only events published after it was created (a per-process fan-out consumer that
   * only cares about what happens from now on). An existing durable always continues where it stopped.
   */
  readonly startAt?: 'first' | 'new';
  /**
   * Removes the durable after it has had no subscription for this long (a per-process consumer
   * whose process is gone). Unset: the durable is kept until deleted.
   */
  readonly inactiveThresholdMs?: number;
}

/** A message moved to the dead-letter stream, as `EventBus.deadLetters` returns it. */
export interface DeadLetter {
  /** The original envelope (undefined when it could not be decoded). */
  readonly envelope: EventEnvelope | undefined;
  /** The raw bytes of the original message. */
  readonly data: Uint8Array;
  /** Subject the message was published to. */
  readonly originalSubject: string;
  /** Durable consumer that gave up on it. */
  readonly consumer: string;
  /** Deliveries made before it was dead-lettered. */
  readonly deliveryCount: number;
  /** The last error: class name and message (handler errors must not carry personal data). */
  readonly error: string;
  /** When it was dead-lettered. */
  readonly deadLetteredAt: Date;
  /** Sequence in the dead-letter stream. */
  readonly sequence: number;
}

/** A running consumer. */
export interface Subscription {
  /** The durable name. */
  readonly durable: string;
  /**
   * Stops fetching, waits for handlers in flight to finish and ack, hands back (nak) the messages
   * fetched but not started, then returns. A later `subscribe` with the same durable resumes there.
   */
  drain(): Promise<void>;
}

/** The transport: JetStream, or the in-process bus with the same semantics. */
export interface EventBus {
  readonly kind: 'jetstream' | 'in-process';
  /** Declares the streams (one per domain, plus the dead-letter stream). Idempotent. */
  ensureStreams(domains: readonly string[]): Promise<void>;
  /**
   * Publishes one event (an envelope, encoded here, or an already encoded one, sent as it is);
   * resolves once the broker has stored it. A second publish of the same event id within the
   * dedupe window is acknowledged and dropped.
   */
  publish(event: EventEnvelope | EncodedEvent, headers?: Readonly<Record<string, string>>): Promise<void>;
  /**
   * Starts a durable consumer; `handler` resolves to ack, rejects to retry (then dead-letter). A
   * BatchEventHandler gets ready events in batches instead, with one outcome per event.
   */
  subscribe(spec: ConsumerSpec, handler: EventHandler | BatchEventHandler): Promise<Subscription>;
  /** The oldest dead letters (at most `limit`, default 100), for inspection and tests. */
  deadLetters(options?: { limit?: number; fromSequence?: number }): Promise<DeadLetter[]>;
  /** Drains every subscription, then closes the connection. */
  close(): Promise<void>;
}

/** A session-bound writer of outgoing events: used inside the store transaction of a state change. */
export interface Outbox {
  /** Stores the event in the same transaction as the state change; the relay publishes it later. */
  append<P>(session: StoreSession, type: EventType<P>, event: NewEvent<P>): Promise<EventEnvelope>;
  /**
   * Stores several events (of any types, built with `outgoing(type, event)`) in the transaction in
   * one write, in the given order: what a batch of state changes (streamed ingestion, a task that
   * is created and offered at once) appends. Every event is validated before any is stored.
   */
  appendAll(session: StoreSession, events: readonly OutgoingEvent[]): Promise<EventEnvelope[]>;
}

/** An event waiting to be appended: its type and content, typed together by `outgoing`. */
export interface OutgoingEvent {
  readonly type: EventType<unknown>;
  readonly event: NewEvent<unknown>;
  /**
   * The OpenTelemetry context of the change that produced the event, when it is not the active one
   * (several callers' changes committed together): its trace continues through the event.
   */
  readonly context?: Context;
}

/** An inbox consumer's handler: runs inside the store transaction that records the event as applied. */
export type InboxHandler = (event: DeliveredEvent, session: StoreSession) => Promise<void>;
