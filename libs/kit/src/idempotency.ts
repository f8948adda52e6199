/**
 * How long a service keeps the answer of a mutating call with a `request_id`, so that a retry
 * gets it again (DESIGN §2 idempotency; the service protos and the README say 24 hours). Services
 * expire their request records after this (the store's `expireAfter`).
 */
export const IDEMPOTENCY_WINDOW_SEC = 24 * 3600;
