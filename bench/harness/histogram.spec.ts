import { LatencyHistogram } from './histogram';

describe('LatencyHistogram', () => {
  it('reports percentiles of a known distribution within the histogram precision (0.1 %)', () => {
    const h = new LatencyHistogram();
    // 1 µs … 10,000 µs, one value each, recorded in nanoseconds.
    for (let us = 1; us <= 10_000; us++) h.record(us * 1000);
    const s = h.summary();
    const near = (actual: number, expected: number): void => {
      expect(Math.abs(actual - expected) / expected).toBeLessThanOrEqual(0.001);
    };
    expect(s.count).toBe(10_000);
    near(s.p50, 5_000_000);
    near(s.p90, 9_000_000);
    near(s.p99, 9_900_000);
    near(s.p999, 9_990_000);
    near(s.max, 10_000_000);
    near(s.min, 1_000);
    near(s.mean, 5_000_500);
  });

  it('keeps a single outlier as the max without moving p99', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 999; i++) h.record(200_000);
    h.record(60_000_000_000); // one call of a minute
    const s = h.summary();
    expect(s.p99).toBeLessThan(201_000);
    expect(s.max).toBeGreaterThanOrEqual(59_940_000_000);
  });

  it('merges rounds: percentiles over every value of both', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 100; i++) a.record(1_000);
    for (let i = 0; i < 100; i++) b.record(3_000);
    a.add(b);
    expect(a.count).toBe(200);
    expect(a.percentile(25)).toBe(1_000);
    expect(a.percentile(75)).toBeGreaterThanOrEqual(2_997);
  });

  it('clamps impossible negative durations to zero instead of throwing mid-run', () => {
    const h = new LatencyHistogram();
    h.record(-5);
    expect(h.summary().count).toBe(1);
    expect(h.summary().max).toBe(0);
  });

  it('summarizes an empty run as zeros', () => {
    expect(new LatencyHistogram().summary()).toEqual({ count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
  });
});
