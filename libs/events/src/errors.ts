/**
 * Errors of the event bus. Messages name event ids, types and consumers, never payload contents,
 * so they are safe to log and to copy into dead-letter headers.
 */

/** Thrown when an envelope is decoded as an event type it does not carry. */
export class EventTypeMismatchError extends Error {
  constructor(expected: string, actual: string) {
    super(`expected an event of type ${expected}, got ${actual}`);
    this.name = 'EventTypeMismatchError';
  }
}

/** Thrown by a handler when retrying cannot help: the event goes to the dead-letter stream at once. */
export class PoisonEventError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonEventError';
  }
}

/** Thrown when an event is published to a domain whose stream was never declared with ensureStreams. */
export class StreamNotFoundError extends Error {
  constructor(readonly domain: string) {
    super(`no stream for domain ${domain}: call ensureStreams([${JSON.stringify(domain)}]) at start-up`);
    this.name = 'StreamNotFoundError';
  }
}

/** Thrown when a bus is used after close(). */
export class BusClosedError extends Error {
  constructor() {
    super('the event bus is closed');
    this.name = 'BusClosedError';
  }
}

/** Thrown when a second subscription is started for a durable that is already consumed in this process. */
export class DurableInUseError extends Error {
  constructor(readonly durable: string) {
    super(`durable consumer ${durable} is already subscribed in this process; drain it first`);
    this.name = 'DurableInUseError';
  }
}

/**
 * Thrown (as a batch outcome) for an event that was not attempted because an earlier event of the
 * same customer in its batch failed: the consumer hands it back to wait for its turn.
 */
export class EventSkippedError extends Error {
  constructor() {
    super('not attempted: an earlier event of the same customer in the batch failed');
    this.name = 'EventSkippedError';
  }
}

/** Thrown when an outbox entry's bytes do not hold exactly one envelope per event it lists (a hand edit of the collection). */
export class OutboxEntryUnreadableError extends Error {
  constructor(entryId: string, detail: string) {
    super(`outbox entry ${entryId} is unreadable: ${detail}`);
    this.name = 'OutboxEntryUnreadableError';
  }
}
