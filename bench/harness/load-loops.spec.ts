import { NS_PER_MS, NS_PER_SEC } from './clock';
import { runClosedLoop } from './closed-loop';
import { FakeClock, fifoServer } from './fake-clock.test-util';
import { ArrivalSchedule, runOpenLoop } from './open-loop';

const open = { warmupSec: 0, drainTimeoutSec: 10, maxInFlight: 10_000 };

describe('ArrivalSchedule', () => {
  it('spaces calls 1/rate apart from the start', () => {
    const s = new ArrivalSchedule(5 * NS_PER_SEC, 1000);
    expect(s.scheduledAt(0)).toBe(5 * NS_PER_SEC);
    expect(s.scheduledAt(3)).toBe(5 * NS_PER_SEC + 3 * NS_PER_MS);
  });

  it('counts the calls due by a time, including the one due exactly then', () => {
    const s = new ArrivalSchedule(0, 1000);
    expect(s.dueBy(-1)).toBe(0);
    expect(s.dueBy(0)).toBe(1);
    expect(s.dueBy(2.5 * NS_PER_MS)).toBe(3);
    expect(s.dueBy(3 * NS_PER_MS)).toBe(4);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new ArrivalSchedule(0, 0)).toThrow(RangeError);
  });
});

describe('runOpenLoop (simulated time)', () => {
  it('offers the fixed rate and records each latency from its scheduled time', async () => {
    const clock = new FakeClock();
    const server = fifoServer(clock, () => 0.2 * NS_PER_MS);
    const result = await clock.run(runOpenLoop(server, { ...open, ratePerSec: 1000, durationSec: 1 }, clock));
    expect(result.latency.count).toBe(1000);
    expect(result.completed).toBe(1000);
    expectNear(result.latency.summary().p50, 200_000);
    expectNear(result.latency.summary().max, 200_000);
  });

  it('charges a server stall to every call scheduled during it (no coordinated omission)', async () => {
    const clock = new FakeClock();
    // Call 10 takes 50 ms; calls scheduled every 1 ms queue behind it.
    const server = fifoServer(clock, (i) => (i === 10 ? 50 : 0.2) * NS_PER_MS);
    const openResult = await clock.run(runOpenLoop(server, { ...open, ratePerSec: 1000, durationSec: 0.1 }, clock));
    const slowOpen = countAtLeast(openResult.latency, 10 * NS_PER_MS);

    const closedClock = new FakeClock();
    const closedServer = fifoServer(closedClock, (i) => (i === 10 ? 50 : 0.2) * NS_PER_MS);
    const closedResult = await closedClock.run(
      runClosedLoop(closedServer, { concurrency: 1, warmupSec: 0, durationSec: 0.1, drainTimeoutSec: 10 }, closedClock),
    );
    // The closed loop waits for the stall and so sees it once; the open loop sees the ~40 calls
    // that were due while the server was stuck, each late by how long it waited.
    expect(countAtLeast(closedResult.latency, 10 * NS_PER_MS)).toBe(1);
    expect(slowOpen).toBeGreaterThanOrEqual(40);
    // Call 10 itself took 50 ms; call 11, due at 11 ms, was answered at 60.2 ms.
    expectNear(openResult.latency.summary().max, 50 * NS_PER_MS);
    expectNear(openResult.latency.percentile(99), 49.2 * NS_PER_MS);
  });

  it('counts the generator’s own lateness as latency and reports it as send lag', async () => {
    const clock = new FakeClock();
    clock.oversleeps.push(20 * NS_PER_MS); // the first wait for the next send oversleeps by 20 ms
    const server = fifoServer(clock, () => 0.2 * NS_PER_MS);
    const result = await clock.run(runOpenLoop(server, { ...open, ratePerSec: 1000, durationSec: 0.1 }, clock));
    // Call 1 was due at 1 ms but sent at 21 ms: 20.2 ms from its scheduled time.
    expectNear(result.latency.summary().max, 20_200_000);
    expectNear(result.sendLag?.summary().max, 20 * NS_PER_MS);
    expect(result.latency.count).toBe(100);
  });

  it('records nothing scheduled during warm-up', async () => {
    const clock = new FakeClock();
    const server = fifoServer(clock, () => 0.1 * NS_PER_MS);
    const result = await clock.run(runOpenLoop(server, { ...open, warmupSec: 0.05, ratePerSec: 1000, durationSec: 0.1 }, clock));
    expect(result.latency.count).toBe(100);
    expect(result.measuredNs).toBe(0.1 * NS_PER_SEC);
  });

  it('holds due calls beyond maxInFlight and still times them from their scheduled time', async () => {
    const clock = new FakeClock();
    const server = fifoServer(clock, (i) => (i === 0 ? 10 : 0.1) * NS_PER_MS);
    const result = await clock.run(runOpenLoop(server, { ...open, maxInFlight: 1, ratePerSec: 1000, durationSec: 0.02 }, clock));
    // Call 1 (due at 1 ms) could only be sent at 10 ms: sent 9 ms late, answered at 10.1 ms.
    expectNear(result.sendLag?.summary().max, 9 * NS_PER_MS);
    expect(result.latency.count).toBe(20);
    expectNear(result.latency.summary().max, 10 * NS_PER_MS);
    // Calls 1…5 queued behind it are each charged their wait: 9.1, 8.2, 7.3, 6.4, 5.5 ms.
    expect(countAtLeast(result.latency, 5 * NS_PER_MS)).toBe(6);
  });

  it('counts failures by gRPC status name and keeps them out of the latency histogram', async () => {
    const clock = new FakeClock();
    const call = (i: number): Promise<void> =>
      i % 4 === 0 ? Promise.reject(Object.assign(new Error('unavailable'), { code: 14 })) : clock.wakeAt(clock.now() + NS_PER_MS);
    const result = await clock.run(runOpenLoop(call, { ...open, ratePerSec: 100, durationSec: 1 }, clock));
    expect(result.errors).toEqual({ UNAVAILABLE: 25 });
    expect(result.latency.count).toBe(75);
  });

  it('gives up on calls that never answer after the drain timeout and counts them', async () => {
    const clock = new FakeClock();
    const call = (i: number): Promise<void> => (i === 5 ? new Promise<void>(() => undefined) : Promise.resolve());
    const result = await clock.run(runOpenLoop(call, { ...open, drainTimeoutSec: 1, ratePerSec: 100, durationSec: 0.1 }, clock));
    expect(result.abandoned).toBe(1);
    expect(result.errors).toEqual({ TIMED_OUT_IN_HARNESS: 1 });
  });
});

describe('runClosedLoop (simulated time)', () => {
  it('keeps N calls in flight: throughput N / service time, latency = service time', async () => {
    const clock = new FakeClock();
    // Four independent 1 ms servers' worth: calls do not queue behind each other.
    const call = (): Promise<void> => clock.wakeAt(clock.now() + NS_PER_MS);
    const result = await clock.run(runClosedLoop(call, { concurrency: 4, warmupSec: 0.1, durationSec: 1, drainTimeoutSec: 10 }, clock));
    expect(result.completed).toBe(4000);
    expectNear(result.latency.summary().p50, NS_PER_MS);
    expectNear(result.latency.summary().max, NS_PER_MS);
  });

  it('shows queueing as latency when the calls share one server', async () => {
    const clock = new FakeClock();
    const server = fifoServer(clock, () => NS_PER_MS);
    const result = await clock.run(runClosedLoop(server, { concurrency: 4, warmupSec: 0.1, durationSec: 1, drainTimeoutSec: 10 }, clock));
    // One server at 1 ms per call: 1,000 calls/s whatever the concurrency; each waits for 3 others.
    expect(result.completed).toBe(1000);
    expectNear(result.latency.summary().p50, 4 * NS_PER_MS);
  });
});

/** HDR histograms report a value within 0.1 % (3 significant digits) of what was recorded. */
function expectNear(actual: number | undefined, expected: number): void {
  expect(actual).toBeDefined();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(expected * 0.001);
}

function countAtLeast(h: { percentile(p: number): number; count: number }, threshold: number): number {
  // Smallest percentile at or above the threshold, by bisection over the histogram.
  let lo = 0;
  let hi = 100;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (h.percentile(mid) >= threshold) hi = mid;
    else lo = mid;
  }
  return Math.round(h.count * (1 - hi / 100));
}

describe('runOpenLoop with a call that throws synchronously', () => {
  it('counts it as a failed call and keeps the schedule', async () => {
    const clock = new FakeClock();
    const call = (i: number): Promise<void> => {
      if (i === 3) throw new TypeError('bad request builder');
      return clock.wakeAt(clock.now() + NS_PER_MS);
    };
    const result = await clock.run(runOpenLoop(call, { ...open, ratePerSec: 100, durationSec: 0.1 }, clock));
    expect(result.errors).toEqual({ TypeError: 1 });
    expect(result.latency.count).toBe(9);
  });
});
