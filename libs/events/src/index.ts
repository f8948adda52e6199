/**
 * @continuum/events: the event bus port (JetStream and in-process adapters with one contract),
 * event type declarations and envelopes, the transactional outbox and its relay, inbox consumers,
 * and trace propagation across the bus. Subject scheme and ordering guarantee: see subjects.ts and
 * consumer-runner.ts (and README.md).
 */
export type {
  EventEnvelope,
  EncodedEvent,
  EventHandler,
  BatchedEvent,
  BatchSettlement,
  BatchEventHandler,
  PayloadCodec,
  EventType,
  NewEvent,
  DeliveredEvent,
  HandlerOutcome,
  ConsumerSpec,
  DeadLetter,
  Subscription,
  EventBus,
  Outbox,
  OutgoingEvent,
  InboxHandler,
} from './types';
export {
  defineEvent,
  eventTypeName,
  packPayload,
  isEventOf,
  decodePayload,
  createEnvelope,
  encodeEnvelope,
  decodeEnvelope,
} from './envelope';
export type { EnvelopeOptions } from './envelope';
export { uuidv7 } from './ids';
export { eventSubject, parseEventSubject, streamName, deadLetterSubject, DLQ_STREAM } from './subjects';
export type { SubjectParts } from './subjects';
export { EventTypeMismatchError, PoisonEventError, StreamNotFoundError, BusClosedError, DurableInUseError, EventSkippedError, OutboxEntryUnreadableError } from './errors';
export { traceHeadersOf, contextFromTraceHeaders } from './trace';
export type { TraceHeaders } from './trace';
export type { EventLog } from './consumer-runner';
export { DEFAULT_BACKOFF_MS, DEFAULT_MAX_DELIVERIES, DEFAULT_MAX_IN_FLIGHT, DEFAULT_ACK_WAIT_MS } from './consumer-runner';
export { createInProcessBus } from './in-process-bus';
export type { InProcessBusOptions } from './in-process-bus';
export { createOutbox, outgoing, defineOutboxCollection, outboxEventsOf, OutboxSessionRequiredError, OUTBOX_COLLECTION } from './outbox';
export type { OutboxOptions, OutboxDocument, OutboxEvent } from './outbox';
export { OutboxRelay } from './outbox-relay';
export type { OutboxRelayOptions, OutboxRelayStats } from './outbox-relay';
export { createInboxConsumer, defineInboxCollection, INBOX_COLLECTION, DEFAULT_INBOX_BATCH_SIZE } from './inbox';
export type { InboxConsumerOptions, InboxDocument, InboxStats, InboxBatchStats, InboxSubscription } from './inbox';
export { createJetStreamBus, JetStreamEventBus } from './jetstream-bus';
export type { JetStreamBusOptions } from './jetstream-bus';
export { connectEventBus, type ConnectEventBusOptions } from './connect-event-bus';
