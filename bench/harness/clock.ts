/**
 * Monotonic time in nanoseconds as a plain number (safe up to ~104 days of uptime, far beyond any
 * run). Every duration the harness records is in nanoseconds; reports convert at the edge.
 */
export type Nanos = number;

/** A clock the load loops read; injected so the scheduling logic can be tested on synthetic time. */
export interface Clock {
  now(): Nanos;
  /** Resolves at (or soon after) `at`; the open loop never relies on its precision. */
  sleepUntil(at: Nanos): Promise<void>;
}

export const NS_PER_MS = 1e6;
export const NS_PER_SEC = 1e9;

/** The real clock: process.hrtime, timers for long waits, setImmediate for sub-millisecond ones. */
const hrNow = (): Nanos => Number(process.hrtime.bigint());

export const realClock: Clock = {
  now: hrNow,
  sleepUntil(at: Nanos): Promise<void> {
    const waitMs = (at - hrNow()) / NS_PER_MS;
    // A timer never fires sooner than ~1 ms; below that, yield to I/O once and let the caller
    // re-check, so sends are not late by a whole timer tick (the lateness is reported anyway).
    if (waitMs >= 1) return new Promise((resolve) => setTimeout(resolve, Math.floor(waitMs)));
    return new Promise((resolve) => setImmediate(resolve));
  },
};
