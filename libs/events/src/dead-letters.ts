import type { DeadLetterRequest } from './consumer-runner';
import { decodeEnvelope } from './envelope';
import type { DeadLetter, EventEnvelope } from './types';

/**
 * The headers of a dead letter, written and read the same way by both adapters: the original
 * message's headers (less its `Nats-Msg-Id`, which would dedupe the copy against the original)
 * plus where it came from and why it was given up.
 */
const ORIGINAL_SUBJECT = 'Continuum-Original-Subject';
const CONSUMER = 'Continuum-Consumer';
const DELIVERY_COUNT = 'Continuum-Delivery-Count';
const ERROR = 'Continuum-Error';

/** The headers of the dead-letter copy of `request.raw`. */
export function deadLetterHeaders(request: DeadLetterRequest): Record<string, string> {
  const { raw } = request;
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw.headers)) {
    if (key !== 'Nats-Msg-Id') headers[key] = value;
  }
  headers[ORIGINAL_SUBJECT] = raw.subject;
  headers[CONSUMER] = request.consumer;
  headers[DELIVERY_COUNT] = String(raw.deliveryCount);
  headers[ERROR] = request.error;
  return headers;
}

/** Builds a DeadLetter from a stored dead-letter message. */
export function toDeadLetter(sequence: number, data: Uint8Array, headers: Readonly<Record<string, string>>, at: Date): DeadLetter {
  let envelope: EventEnvelope | undefined;
  try {
    envelope = decodeEnvelope(data);
  } catch {
    envelope = undefined;
  }
  return {
    envelope,
    data,
    originalSubject: headers[ORIGINAL_SUBJECT] ?? '',
    consumer: headers[CONSUMER] ?? '',
    deliveryCount: Number(headers[DELIVERY_COUNT] ?? 0),
    error: headers[ERROR] ?? '',
    deadLetteredAt: at,
    sequence,
  };
}
