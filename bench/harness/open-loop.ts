import { type Clock, type Nanos, NS_PER_MS, NS_PER_SEC } from './clock';
import { ErrorCounts } from './error-codes';
import { LatencyHistogram } from './histogram';

/**
 * Open-loop arrival schedule: call `i` is due at `startNs + i / rate`, whatever happened to the
 * calls before it. Latency is measured from this scheduled time, not from when the generator got
 * round to sending, so a stalled server (or a stalled generator) shows up in the percentiles
 * instead of silently thinning the load (no coordinated omission).
 */
export class ArrivalSchedule {
  private readonly intervalNs: number;

  constructor(
    readonly startNs: Nanos,
    readonly ratePerSec: number,
  ) {
    if (!(ratePerSec > 0)) throw new RangeError(`ratePerSec must be > 0, got ${ratePerSec}`);
    this.intervalNs = NS_PER_SEC / ratePerSec;
  }

  /** When call `i` (0-based) should be sent. */
  scheduledAt(i: number): Nanos {
    return this.startNs + i * this.intervalNs;
  }

  /** How many calls are due by `nowNs` (calls 0 … n-1 have scheduled times ≤ now). */
  dueBy(nowNs: Nanos): number {
    if (nowNs < this.startNs) return 0;
    return Math.floor((nowNs - this.startNs) / this.intervalNs) + 1;
  }
}

export interface OpenLoopOptions {
  readonly ratePerSec: number;
  /** Calls scheduled before this many seconds are sent but not recorded (JIT, connections, caches). */
  readonly warmupSec: number;
  /** Calls are scheduled during warm-up + this many seconds. */
  readonly durationSec: number;
  /**
   * At most this many calls in flight; further due calls wait (their latency still counts from
   * their scheduled time). Bounds memory when the target cannot keep up.
   */
  readonly maxInFlight: number;
  /** How long to wait for the calls still in flight after the last one was scheduled. */
  readonly drainTimeoutSec: number;
}

export interface LoopResult {
  /** Latency of successful recorded calls (open loop: from scheduled time; closed loop: from send). */
  readonly latency: LatencyHistogram;
  /** Open loop only: how late the generator sent each recorded call (its own share of the latency). */
  readonly sendLag?: LatencyHistogram;
  readonly errors: Record<string, number>;
  /** Successful calls that completed inside the measured window (whenever they were sent). */
  readonly completed: number;
  /** Length of the measured window in nanoseconds. */
  readonly measuredNs: Nanos;
  /** Calls still in flight when the loop gave up waiting for them (counted as errors: TIMED_OUT_IN_HARNESS). */
  readonly abandoned: number;
}

/**
 * Runs `call(i)` at a fixed arrival rate. Pure in the sense that matters for testing: time comes
 * only from `clock`, so a synthetic clock and synthetic calls reproduce any schedule exactly.
 */
export async function runOpenLoop(
  call: (i: number) => Promise<unknown>,
  options: OpenLoopOptions,
  clock: Clock,
): Promise<LoopResult> {
  const latency = new LatencyHistogram();
  const sendLag = new LatencyHistogram();
  const errors = new ErrorCounts();
  const schedule = new ArrivalSchedule(clock.now(), options.ratePerSec);
  const measureFrom = schedule.startNs + options.warmupSec * NS_PER_SEC;
  const scheduleUntil = measureFrom + options.durationSec * NS_PER_SEC;
  const total = schedule.dueBy(scheduleUntil - 1);
  let sent = 0;
  let inFlight = 0;
  let completed = 0;
  let slotFreed: (() => void) | undefined;
  const settled = new Set<Promise<void>>();

  const fire = (i: number): void => {
    const scheduled = schedule.scheduledAt(i);
    const recorded = scheduled >= measureFrom;
    if (recorded) sendLag.record(clock.now() - scheduled);
    inFlight++;
    let pending: Promise<unknown>;
    try {
      pending = call(i);
    } catch (error) {
      // A call that throws before returning its promise is a failed call, not a broken loop.
      pending = Promise.reject(error);
    }
    const done = pending.then(
      () => {
        const end = clock.now();
        if (recorded) latency.record(end - scheduled);
        // Throughput is what completed inside the window, so a target that falls behind shows a
        // rate below the offered one instead of catching up during the drain.
        if (end > measureFrom && end <= scheduleUntil) completed++;
      },
      (error: unknown) => {
        if (recorded) errors.add(error);
      },
    ).finally(() => {
      inFlight--;
      settled.delete(done);
      slotFreed?.();
    });
    settled.add(done);
  };

  while (sent < total) {
    const due = Math.min(total, schedule.dueBy(clock.now()));
    while (sent < due && inFlight < options.maxInFlight) fire(sent++);
    if (sent >= total) break;
    if (inFlight >= options.maxInFlight) {
      await new Promise<void>((resolve) => (slotFreed = resolve));
      slotFreed = undefined;
    } else {
      await clock.sleepUntil(schedule.scheduledAt(sent));
    }
  }

  const drained = await waitAll(settled, options.drainTimeoutSec, clock);
  const abandoned = drained ? 0 : inFlight;
  if (abandoned > 0) errors.merge({ TIMED_OUT_IN_HARNESS: abandoned });
  return {
    latency,
    sendLag,
    errors: errors.toRecord(),
    completed,
    measuredNs: scheduleUntil - measureFrom,
    abandoned,
  };
}

/** Waits for every pending call, or gives up after `timeoutSec`; true when all settled. */
export async function waitAll(pending: ReadonlySet<Promise<void>>, timeoutSec: number, clock: Clock): Promise<boolean> {
  const deadline = clock.now() + timeoutSec * NS_PER_SEC;
  while (pending.size > 0) {
    const remaining = deadline - clock.now();
    if (remaining <= 0) return false;
    // Short naps, not one timer for the whole timeout: a timer left pending would keep the
    // process alive long after the last call settled.
    await Promise.race([Promise.allSettled([...pending]), clock.sleepUntil(clock.now() + Math.min(remaining, 50 * NS_PER_MS))]);
  }
  return true;
}
