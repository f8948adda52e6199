import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { eventsV1, googleProtobuf } from '@continuum/contracts';
import { InvalidArgumentError, type FieldViolation } from '@continuum/kit';
import { EventTypeMismatchError } from './errors';
import { uuidv7 } from './ids';
import { domainViolation, eventSubject, tenantViolation, typeViolation } from './subjects';
import type { EncodedEvent, EventEnvelope, EventType, NewEvent, PayloadCodec } from './types';

/** Type URL prefix of packed payloads, as google.protobuf.Any prescribes. */
export const TYPE_URL_PREFIX = 'type.googleapis.com/';
const PAYLOAD_TYPE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;
/** Subject profile ids are opaque ids; the limit keeps a bad caller from stuffing data in. */
const MAX_ID_LENGTH = 128;

/**
 * Declares one event type, shared by its producer and its consumers. Throws at module load when a
 * token is not subject-safe: that is a programming error, not bad input.
 */
export function defineEvent<P>(definition: {
  domain: string;
  type: string;
  payloadType: string;
  codec: PayloadCodec<P>;
}): EventType<P> {
  const violations = [domainViolation(definition.domain), typeViolation(definition.type)].filter(
    (v): v is FieldViolation => v !== undefined,
  );
  if (!PAYLOAD_TYPE.test(definition.payloadType)) {
    violations.push({ field: 'payloadType', description: 'must be a fully qualified proto message name', reason: 'INVALID_FORMAT' });
  }
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  return Object.freeze({ ...definition });
}

/** `domain.type`, the name of an event type in logs and span names. */
export function eventTypeName(type: { domain: string; type: string }): string {
  return `${type.domain}.${type.type}`;
}

/**
 * Writers reused by every encode in this process (encoding is synchronous; a nested encode takes a fresh one): a
 * fresh writer starts small and reallocates its buffer as it grows, several times per envelope;
 * a reused one has grown once. `finish()` copies the bytes out and resets it.
 */
const writers = { payload: new BinaryWriter(), envelope: new BinaryWriter() };
/** A writer that encoded more than this is replaced, so a rare large message does not hold its buffer for good. */
const MAX_KEPT_WRITER_BYTES = 1024 * 1024;
/** Writers in use: an encode inside another (a payload codec that packs a payload) gets a fresh writer. */
const busy = { payload: false, envelope: false };

function encodeWith(which: keyof typeof writers, encode: (writer: BinaryWriter) => { finish(): Uint8Array }): Uint8Array {
  if (busy[which]) return encode(new BinaryWriter()).finish();
  busy[which] = true;
  try {
    const bytes = encode(writers[which]).finish();
    // The writer keeps its buffer (up to twice the largest message): one that grew large is let go.
    if (bytes.byteLength > MAX_KEPT_WRITER_BYTES) writers[which] = new BinaryWriter();
    return bytes;
  } catch (err) {
    // A failed encode leaves the writer mid-message: start over with a fresh one.
    writers[which] = new BinaryWriter();
    throw err;
  } finally {
    busy[which] = false;
  }
}

/** Packs a payload into a google.protobuf.Any with the type URL of its event type. */
export function packPayload<P>(type: EventType<P>, payload: P): googleProtobuf.Any {
  const bytes = encodeWith('payload', (writer) => type.codec.encode(payload, writer));
  // Any.value is typed as a Buffer; wrap the encoded bytes without copying them.
  return { typeUrl: TYPE_URL_PREFIX + type.payloadType, value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** Whether `envelope` carries an event of `type` (domain, type and payload type URL all match). */
export function isEventOf(type: EventType<unknown>, envelope: EventEnvelope): boolean {
  return (
    envelope.domain === type.domain &&
    envelope.type === type.type &&
    envelope.payload?.typeUrl === TYPE_URL_PREFIX + type.payloadType
  );
}

/** The payload of `envelope` as `type`; EventTypeMismatchError when it is another type. */
export function decodePayload<P>(type: EventType<P>, envelope: EventEnvelope): P {
  if (!isEventOf(type as EventType<unknown>, envelope)) {
    throw new EventTypeMismatchError(
      `${eventTypeName(type)} (${type.payloadType})`,
      `${envelope.domain}.${envelope.type} (${envelope.payload?.typeUrl ?? 'no payload'})`,
    );
  }
  return type.codec.decode(envelope.payload?.value ?? new Uint8Array());
}

export interface EnvelopeOptions {
  /** Name of the producing service (`identity`). */
  producer: string;
  /** Defaults to a new UUIDv7. */
  eventId?: string;
  /** Defaults to now. */
  occurredAt?: Date;
}

/**
 * Builds the envelope of a new event after validating it: InvalidArgumentError names every bad
 * field (`tenant_id`, `subject_profile_id`, `causation_id`).
 */
export function createEnvelope<P>(type: EventType<P>, event: NewEvent<P>, options: EnvelopeOptions): EventEnvelope {
  const violations: FieldViolation[] = [];
  const tenant = tenantViolation(event.tenantId ?? '', 'tenant_id');
  if (tenant) violations.push(tenant);
  for (const [field, value] of [
    ['subject_profile_id', event.subjectProfileId],
    ['causation_id', event.causationId],
  ] as const) {
    if (value !== undefined && (value.length > MAX_ID_LENGTH || /\s/.test(value))) {
      violations.push({ field, description: `must be an id without spaces, at most ${MAX_ID_LENGTH} characters`, reason: 'INVALID_FORMAT' });
    }
  }
  if (event.payload === undefined || event.payload === null) {
    violations.push({ field: 'payload', description: 'is required', reason: 'REQUIRED' });
  }
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  return {
    eventId: options.eventId ?? uuidv7(),
    tenantId: event.tenantId,
    domain: type.domain,
    type: type.type,
    occurredAt: options.occurredAt ?? new Date(),
    producer: options.producer,
    subjectProfileId: event.subjectProfileId ?? '',
    causationId: event.causationId ?? '',
    payload: packPayload(type, event.payload),
  };
}

/** Checks an envelope before it is published: InvalidArgumentError naming each bad field. */
export function validateEnvelope(envelope: Pick<EventEnvelope, 'eventId' | 'tenantId' | 'domain' | 'type'>): void {
  const violations = [
    envelope.eventId ? undefined : ({ field: 'event_id', description: 'is required', reason: 'REQUIRED' } satisfies FieldViolation),
    tenantViolation(envelope.tenantId, 'tenant_id'),
    domainViolation(envelope.domain, 'domain'),
    typeViolation(envelope.type, 'type'),
  ].filter((v): v is FieldViolation => v !== undefined);
  if (violations.length > 0) throw new InvalidArgumentError(violations);
}

/**
 * The key that orders one customer's events (tenant and subject profile): the relay publishes and
 * consumers apply events with the same key one at a time, in order. Undefined without a subject profile.
 */
export function customerKey(tenantId: string, subjectProfileId: string | undefined): string | undefined {
  return subjectProfileId ? `${tenantId}\u0000${subjectProfileId}` : undefined;
}

/** Whether `event` is an already encoded event (rather than an envelope object). */
export function isEncodedEvent(event: EventEnvelope | EncodedEvent): event is EncodedEvent {
  return (event as Partial<EncodedEvent>).data instanceof Uint8Array;
}

/**
 * Subjects already validated, by tenant, then domain, then type: publishing checks each triple
 * once. Nested maps keyed by the event's own strings rather than one map keyed by a joined string:
 * those strings are usually the same objects event after event (their hashes are kept), while a
 * joined key is a fresh string to hash on every publish.
 */
const validSubjects = new Map<string, Map<string, Map<string, string>>>();
let cachedSubjects = 0;
const MAX_CACHED_SUBJECTS = 10_000;

/**
 * Checks what routes an event (its id, tenant, domain and type: InvalidArgumentError naming each
 * bad field, as validateEnvelope) and returns its subject. A triple seen before is not checked
 * again: the publish path of every event goes through here.
 */
export function routeOf(event: { eventId: string; tenantId: string; domain: string; type: string }): string {
  const cached = event.eventId ? validSubjects.get(event.tenantId)?.get(event.domain)?.get(event.type) : undefined;
  if (cached !== undefined) return cached;
  validateEnvelope(event);
  const subject = eventSubject(event);
  if (cachedSubjects >= MAX_CACHED_SUBJECTS) {
    validSubjects.clear();
    cachedSubjects = 0;
  }
  let ofTenant = validSubjects.get(event.tenantId);
  if (!ofTenant) validSubjects.set(event.tenantId, (ofTenant = new Map()));
  let ofDomain = ofTenant.get(event.domain);
  if (!ofDomain) ofTenant.set(event.domain, (ofDomain = new Map()));
  if (!ofDomain.has(event.type)) cachedSubjects++;
  ofDomain.set(event.type, subject);
  return subject;
}

/** The bytes and routing fields of an event to publish (encodes an envelope, takes encoded bytes as they are). */
export function toEncodedEvent(event: EventEnvelope | EncodedEvent): EncodedEvent {
  if (isEncodedEvent(event)) return event;
  return { data: encodeEnvelope(event), eventId: event.eventId, tenantId: event.tenantId, domain: event.domain, type: event.type };
}

export function encodeEnvelope(envelope: EventEnvelope): Uint8Array {
  return encodeWith('envelope', (writer) => eventsV1.EventEnvelope.encode(envelope, writer));
}

/** Several envelopes in one byte string, each preceded by its length (varint): protobuf's delimited form. */
export function encodeEnvelopes(envelopes: readonly EventEnvelope[]): Uint8Array {
  return encodeWith('envelope', (writer) => {
    for (const envelope of envelopes) eventsV1.EventEnvelope.encode(envelope, writer.fork()).join();
    return writer;
  });
}

/** The encoded envelopes of `encodeEnvelopes` output, as views into it (no copies). */
export function splitEnvelopes(data: Uint8Array): Uint8Array[] {
  const reader = new BinaryReader(data);
  const out: Uint8Array[] = [];
  while (reader.pos < reader.len) out.push(reader.bytes());
  return out;
}

export function decodeEnvelope(data: Uint8Array): EventEnvelope {
  return eventsV1.EventEnvelope.decode(data);
}
