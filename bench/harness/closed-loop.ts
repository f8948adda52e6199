import { type Clock, NS_PER_SEC } from './clock';
import { ErrorCounts } from './error-codes';
import { LatencyHistogram } from './histogram';
import { type LoopResult, waitAll } from './open-loop';

export interface ClosedLoopOptions {
  /** Calls kept in flight: each worker sends its next call as soon as its previous one settles. */
  readonly concurrency: number;
  readonly warmupSec: number;
  readonly durationSec: number;
  readonly drainTimeoutSec: number;
}

/**
 * Closed loop: `concurrency` workers, each with exactly one call in flight. Measures the best
 * throughput the target sustains at that concurrency; latency is from each call's send (in a
 * closed loop the generator waits for the target by construction, so use the open loop for
 * latency under a given arrival rate).
 */
export async function runClosedLoop(
  call: (i: number) => Promise<unknown>,
  options: ClosedLoopOptions,
  clock: Clock,
): Promise<LoopResult> {
  if (!(options.concurrency >= 1)) throw new RangeError(`concurrency must be ≥ 1, got ${options.concurrency}`);
  const latency = new LatencyHistogram();
  const errors = new ErrorCounts();
  const start = clock.now();
  const measureFrom = start + options.warmupSec * NS_PER_SEC;
  const measureUntil = measureFrom + options.durationSec * NS_PER_SEC;
  let next = 0;
  let completed = 0;

  const worker = async (): Promise<void> => {
    while (clock.now() < measureUntil) {
      const i = next++;
      const sentAt = clock.now();
      try {
        await call(i);
        const end = clock.now();
        // Throughput counts completions inside the window (whenever sent); latency counts calls
        // sent inside it, so warm-up calls never reach the histogram.
        if (end > measureFrom && end <= measureUntil) completed++;
        if (sentAt >= measureFrom) latency.record(end - sentAt);
      } catch (error) {
        if (sentAt >= measureFrom) errors.add(error);
      }
    }
  };

  const workers = new Set<Promise<void>>();
  for (let w = 0; w < options.concurrency; w++) {
    const running = worker().finally(() => workers.delete(running));
    workers.add(running);
  }
  const drained = await waitAll(workers, (measureUntil - clock.now()) / NS_PER_SEC + options.drainTimeoutSec, clock);
  const abandoned = drained ? 0 : workers.size;
  if (abandoned > 0) errors.merge({ TIMED_OUT_IN_HARNESS: abandoned });
  return { latency, errors: errors.toRecord(), completed, measuredNs: measureUntil - measureFrom, abandoned };
}
