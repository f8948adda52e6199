import type { Clock, Nanos } from './clock';

/**
 * Simulated time for the load loops: nothing moves until `run` advances the clock to the next
 * sleeper, so every latency the loops record is exact and independent of the machine.
 */
export class FakeClock implements Clock {
  private current: Nanos = 0;
  private sleepers: { at: Nanos; wake: () => void; seq: number }[] = [];
  private seq = 0;
  /** One-off delays added to the next sleepUntil calls (a generator stalled by GC or a neighbour). */
  readonly oversleeps: Nanos[] = [];

  now(): Nanos {
    return this.current;
  }

  /** The loops' sleep: consumes the next planned oversleep, if any. */
  sleepUntil(at: Nanos): Promise<void> {
    return this.wakeAt(Math.max(at, this.current) + (this.oversleeps.shift() ?? 0));
  }

  /** A sleep that is exactly on time (the simulated server's). */
  wakeAt(at: Nanos): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ at: Math.max(at, this.current), wake, seq: this.seq++ }));
  }

  /** Runs `work` to completion, moving time forward whenever everything is asleep. */
  async run<T>(work: Promise<T>): Promise<T> {
    let finished = false;
    const result = work.finally(() => {
      finished = true;
    });
    while (!finished) {
      // Let every promise chain settle before moving time.
      await new Promise((resolve) => setImmediate(resolve));
      if (finished) break;
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.sleepers.shift();
      if (!next) throw new Error('deadlock: work is waiting but nothing sleeps');
      this.current = Math.max(this.current, next.at);
      next.wake();
    }
    return result;
  }
}

/**
 * A single-threaded server in simulated time: calls are served one at a time in arrival order,
 * each taking `serviceNs(i)`. A long call makes every later one queue behind it.
 */
export function fifoServer(clock: FakeClock, serviceNs: (i: number) => Nanos): (i: number) => Promise<void> {
  let freeAt = 0;
  return (i) => {
    const start = Math.max(clock.now(), freeAt);
    freeAt = start + serviceNs(i);
    return clock.wakeAt(freeAt);
  };
}
