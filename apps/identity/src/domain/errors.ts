/**
 * The identity domain's own errors. server.ts maps each to a gRPC status and ErrorInfo reason;
 * none of them carries identifier values in its message (they end up in client-visible errors
 * and logs).
 */

/** Thrown when an identifier value cannot be normalized (not a phone number, not an email...). */
export class IdentifierFormatError extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = 'IdentifierFormatError';
  }
}

/** Why a merge (or a link that would amount to one) is refused. */
export type MergeRefusal =
  | 'VERIFIED_LOGIN_CONFLICT'
  | 'IDENTIFIER_LIMIT_EXCEEDED'
  | 'INSUFFICIENT_PROOF'
  | 'MERGE_NOT_ALLOWED'
  | 'SAME_PROFILE'
  | 'PROFILE_ALREADY_MERGED';

/** Thrown when two profiles may not be merged under the tenant's policy. */
export class MergeRefusedError extends Error {
  constructor(
    readonly reason: MergeRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'MergeRefusedError';
  }
}

/** Why an unmerge is refused. */
export type UnmergeRefusal = 'MERGE_ALREADY_UNDONE' | 'SURVIVOR_MERGED_SINCE' | 'MERGED_PROFILE_CHANGED';

/** Thrown when a merge cannot be undone in the current state. */
export class UnmergeRefusedError extends Error {
  constructor(
    readonly reason: UnmergeRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'UnmergeRefusedError';
  }
}

/** Why a link of identifiers is refused. */
export type LinkRefusal = 'IDENTIFIER_IN_USE' | 'IDENTIFIER_BLOCKED' | 'IDENTIFIER_LIMIT_EXCEEDED';

/** Thrown when identifiers cannot be linked to a profile; `index` points at the request identifier. */
export class LinkRefusedError extends Error {
  constructor(
    readonly reason: LinkRefusal,
    readonly index: number,
    message: string,
  ) {
    super(message);
    this.name = 'LinkRefusedError';
  }
}

/** Thrown when a profile's traits would take more than the limit as JSON. */
export class TraitsTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`the profile's traits would take more than ${limitBytes} bytes as JSON`);
    this.name = 'TraitsTooLargeError';
  }
}
