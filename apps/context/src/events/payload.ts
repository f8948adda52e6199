import { decodePayload, isEventOf, type EventEnvelope, type EventType } from '@continuum/events';

/** The payload of `envelope` when it is an event of `type`; undefined when it is another. */
export const payloadIf = <P>(type: EventType<P>, envelope: EventEnvelope): P | undefined =>
  isEventOf(type as EventType<unknown>, envelope) ? decodePayload(type, envelope) : undefined;
