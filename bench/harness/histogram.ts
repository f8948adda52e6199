import { build, type Histogram } from 'hdr-histogram-js';
import type { Nanos } from './clock';

/** Latency percentiles of one run, in nanoseconds (reports convert to µs/ms). */
export interface LatencySummary {
  readonly count: number;
  readonly min: Nanos;
  readonly mean: Nanos;
  readonly p50: Nanos;
  readonly p90: Nanos;
  readonly p99: Nanos;
  readonly p999: Nanos;
  readonly max: Nanos;
}

/**
 * An HDR histogram of durations in nanoseconds, 3 significant digits (a value is stored within
 * 0.1 % of what was recorded), auto-resizing so an outlier of minutes is still counted exactly
 * once. Pure JS (no WebAssembly) so it behaves the same in Jest and in a forked process.
 */
export class LatencyHistogram {
  private readonly histogram: Histogram;

  constructor() {
    this.histogram = build({
      bitBucketSize: 64,
      autoResize: true,
      lowestDiscernibleValue: 1,
      numberOfSignificantValueDigits: 3,
      useWebAssembly: false,
    });
  }

  record(durationNs: Nanos): void {
    // A negative or fractional duration can only come from clock arithmetic; clamp instead of
    // letting the histogram throw mid-run.
    this.histogram.recordValue(Math.max(0, Math.round(durationNs)));
  }

  /** Adds every value of `other` (to merge the rounds of an interleaved comparison). */
  add(other: LatencyHistogram): void {
    this.histogram.add(other.histogram);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  percentile(p: number): Nanos {
    return this.histogram.getValueAtPercentile(p);
  }

  summary(): LatencySummary {
    const h = this.histogram;
    if (h.totalCount === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
    return {
      count: h.totalCount,
      min: h.minNonZeroValue,
      mean: h.mean,
      p50: h.getValueAtPercentile(50),
      p90: h.getValueAtPercentile(90),
      p99: h.getValueAtPercentile(99),
      p999: h.getValueAtPercentile(99.9),
      max: h.maxValue,
    };
  }
}
