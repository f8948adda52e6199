// The context domain's own errors. They name a reason (UPPER_SNAKE) and, for invalid input, the
// request field at fault; server.ts maps each class to its gRPC status.

/** Base of the context domain's errors. */
export abstract class ContextDomainError extends Error {
  constructor(
    /** UPPER_SNAKE reason, as it will appear in ErrorInfo. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** One invalid field found by a domain rule. */
export interface DomainViolation {
  readonly field: string;
  readonly description: string;
  readonly reason: string;
}

/** Thrown when input breaks a domain rule (an unknown journey step, a bad definition). */
export class DomainValidationError extends ContextDomainError {
  constructor(readonly violations: readonly DomainViolation[]) {
    super('INVALID_ARGUMENT', violations.map((v) => `${v.field}: ${v.description}`).join('; '));
  }
}
