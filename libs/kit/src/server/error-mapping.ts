import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { DomainError, UnavailableError } from '../errors/domain-errors';
import { isServiceError, statusDetailsMetadata } from '../errors/status-details';

/** Thrown into a call's signal when the client cancelled it; nobody is left to answer. */
export class CallCancelledError extends Error {
  constructor() {
    super('call cancelled by the client');
    this.name = 'CallCancelledError';
  }
}

/** Reason of the details of an unexpected error: nothing about what went wrong. */
export const INTERNAL_REASON = 'INTERNAL';

/** The status a failed call ends with, and whether the failure was unexpected (a bug). */
export interface MappedStatus extends StatusObject {
  readonly unexpected: boolean;
}

/**
 * Turns whatever a handler threw into the status the client sees (AIP-193). A domain error keeps
 * its code and message and gets ErrorInfo/BadRequest details. If the call's signal was aborted
 * (deadline, shutdown, cancel), the abort reason wins over anything else the handler threw in
 * response (an AbortError, a driver error).
 * A dependency that stayed unreachable (a client call failing UNAVAILABLE or DEADLINE_EXCEEDED
 * after its retries) makes this call UNAVAILABLE, which the caller may retry. Anything else is
 * INTERNAL "internal error": its message may hold internals or personal data.
 */
export function mapError(error: unknown, signal: AbortSignal, domain: string): MappedStatus {
  let cause: unknown = !(error instanceof DomainError) && signal.aborted ? signal.reason : error;
  if (!(cause instanceof DomainError) && isServiceError(cause) && (cause.code === status.UNAVAILABLE || cause.code === status.DEADLINE_EXCEEDED)) {
    cause = new UnavailableError('DEPENDENCY_UNAVAILABLE', 'a service this call depends on is unavailable');
  }
  if (cause instanceof CallCancelledError) {
    return { code: status.CANCELLED, details: 'call cancelled', metadata: new Metadata(), unexpected: false };
  }
  if (cause instanceof DomainError) {
    return { code: cause.code, details: cause.message, metadata: statusDetailsMetadata(cause, domain), unexpected: false };
  }
  return {
    code: status.INTERNAL,
    details: 'internal error',
    metadata: statusDetailsMetadata(new InternalError(), domain),
    unexpected: true,
  };
}

/** Thrown when nothing more can be said than that the server failed (its details stay in our log). */
class InternalError extends DomainError {
  readonly code = status.INTERNAL;
  constructor() {
    super(INTERNAL_REASON, 'internal error');
  }
}
