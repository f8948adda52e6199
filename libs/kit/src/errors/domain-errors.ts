import { status } from '@grpc/grpc-js';

/** One invalid field of a request, as in google.rpc.BadRequest.FieldViolation. */
export interface FieldViolation {
  /** Path of the field in the request, snake_case as in the proto (`identifiers[0].value`). */
  readonly field: string;
  /** What is wrong with it, for a person. */
  readonly description: string;
  /** Machine-readable reason in UPPER_SNAKE (`REQUIRED`, `INVALID_FORMAT`, `TOO_LONG`, ...). */
  readonly reason?: string;
}

/**
 * Base of every error a handler throws on purpose. The error interceptor turns it into the gRPC
 * status `code`, with a `google.rpc.ErrorInfo` (reason, the service's domain, metadata) and, for
 * invalid input, a `google.rpc.BadRequest` in `grpc-status-details-bin`.
 */
export abstract class DomainError extends Error {
  /** The gRPC status code the error maps to. */
  abstract readonly code: status;

  constructor(
    /** UPPER_SNAKE reason, unique within the service's domain (`PROFILE_NOT_FOUND`). */
    readonly reason: string,
    message: string,
    /** Extra facts for the caller, never personal data (`{ profile_id: '...' }`). */
    readonly metadata: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Thrown when one or more fields of a request are invalid; names every field. */
export class InvalidArgumentError extends DomainError {
  readonly code = status.INVALID_ARGUMENT;
  constructor(
    readonly violations: readonly FieldViolation[],
    reason = 'INVALID_ARGUMENT',
  ) {
    super(
      reason,
      violations.length === 0
        ? 'invalid request'
        : `invalid request: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`,
    );
  }
}

/** Thrown when the addressed resource does not exist (or is not visible to the caller's tenant). */
export class NotFoundError extends DomainError {
  readonly code = status.NOT_FOUND;
}

/** Thrown when a resource the caller tries to create exists already. */
export class AlreadyExistsError extends DomainError {
  readonly code = status.ALREADY_EXISTS;
}

/** Thrown when the state of the system does not allow the operation (merge conflict, closed case). */
export class FailedPreconditionError extends DomainError {
  readonly code = status.FAILED_PRECONDITION;
}

/** Thrown when a concurrent change won the race; the caller may retry the whole operation. */
export class AbortedError extends DomainError {
  readonly code = status.ABORTED;
}

/** Thrown when the caller is authenticated but may not do this (scope, tenant). */
export class PermissionDeniedError extends DomainError {
  readonly code = status.PERMISSION_DENIED;
}

/** Thrown when the call carries no valid credentials. */
export class UnauthenticatedError extends DomainError {
  readonly code = status.UNAUTHENTICATED;
}

/** Thrown when a quota or a size limit is exceeded. */
export class ResourceExhaustedError extends DomainError {
  readonly code = status.RESOURCE_EXHAUSTED;
}

/** Thrown when a dependency is not reachable; the caller may retry with backoff. */
export class UnavailableError extends DomainError {
  readonly code = status.UNAVAILABLE;
}

/** Thrown when the call's deadline passed before the work finished. */
export class DeadlineExceededError extends DomainError {
  readonly code = status.DEADLINE_EXCEEDED;
}
