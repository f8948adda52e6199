/** Deadline policy of a server, from GRPC_DEFAULT_DEADLINE_MS and GRPC_MAX_DEADLINE_MS. */
export interface DeadlinePolicy {
  readonly defaultMs: number;
  readonly maxMs: number;
}

/** The latest time a Date can hold: the deadline of a subscription whose client set none. */
export const NO_DEADLINE = 8.64e15;

/**
 * When a call must be answered (epoch ms): the client's deadline capped by the maximum, or the
 * default when the client set none (grpc-js reports that as Infinity), so no request/response
 * handler can hold resources forever.
 *
 * Calls whose responses stream (`subscription`: an agent's offer stream, a desktop watching a
 * customer's context) are meant to stay open for hours: they keep the client's own deadline, or
 * none, and end when the client cancels or the server shuts down.
 */
export function effectiveDeadline(clientDeadline: Date | number, policy: DeadlinePolicy, now: number, subscription = false): number {
  const client = clientDeadline instanceof Date ? clientDeadline.getTime() : clientDeadline;
  if (subscription) return Number.isFinite(client) ? client : NO_DEADLINE;
  if (!Number.isFinite(client)) return now + policy.defaultMs;
  return Math.min(client, now + policy.maxMs);
}
