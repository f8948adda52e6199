/**
 * Errors of the identity application layer (the domain's own live in domain/errors.ts). server.ts
 * maps each to its gRPC status and ErrorInfo reason. Messages never carry identifier values.
 */

/** Thrown when a profile, merge or segment does not exist for the caller's tenant (the same answer whether it exists elsewhere or nowhere). */
export class ResourceNotFoundError extends Error {
  constructor(
    readonly resource: 'profile' | 'merge' | 'segment',
    /** The request field that named it (`profile_id`, `profile_ids[2]`). */
    readonly field: string,
  ) {
    super(`${resource} not found`);
    this.name = 'ResourceNotFoundError';
  }
}

/** Thrown when a segment id is taken within the tenant. */
export class SegmentExistsError extends Error {
  constructor() {
    super('a segment with this id exists');
    this.name = 'SegmentExistsError';
  }
}

/** Thrown when `expected_version` no longer matches the stored version. */
export class VersionMismatchError extends Error {
  constructor(
    readonly resource: 'profile' | 'segment' | 'policy',
    readonly currentVersion: number,
  ) {
    super(`the ${resource} is at version ${currentVersion}, not the expected one`);
    this.name = 'VersionMismatchError';
  }
}

/** Thrown when a request id is reused for a different request. */
export class RequestIdReusedError extends Error {
  constructor() {
    super('request_id was already used for a different request');
    this.name = 'RequestIdReusedError';
  }
}

/** Thrown when concurrent writers kept changing the same profiles through every retry. */
export class ConcurrentChangeError extends Error {
  constructor() {
    super('the profiles kept changing concurrently; retry the call');
    this.name = 'ConcurrentChangeError';
  }
}
