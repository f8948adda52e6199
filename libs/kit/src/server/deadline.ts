/** Deadline policy of a server, from GRPC_DEFAULT_DEADLINE_MS and GRPC_MAX_DEADLINE_MS. */
export interface DeadlinePolicy {
  readonly defaultMs: number;
  readonly maxMs: number;
}

/**
 * When a call must be answered (epoch ms): the client's deadline capped by the maximum, or the
 * default when the client set none (grpc-js reports that as Infinity). Every call has one, so no
 * handler can hold resources forever.
 */
export function effectiveDeadline(clientDeadline: Date | number, policy: DeadlinePolicy, now: number): number {
  const client = clientDeadline instanceof Date ? clientDeadline.getTime() : clientDeadline;
  if (!Number.isFinite(client)) return now + policy.defaultMs;
  return Math.min(client, now + policy.maxMs);
}
