import type { Comparison } from './compare';
import { formatNumber, micros } from './format';
import type { LatencySummary } from './histogram';

/** What a figure must reach: relative to the echo measured in the same run, or absolute. */
export type Target =
  /** value ≤ ratio × echo (latency: "p50 ≤ 1.6 × echo p50"). */
  | { readonly ratioAtMost: number }
  /** value ≥ ratio × echo (throughput: "≥ 0.5 × echo's best throughput"). */
  | { readonly ratioAtLeast: number }
  /** value ≤ limit, in the figure's unit ("p50 ≤ 25 µs", "≤ 1,024 MiB"). */
  | { readonly atMost: number }
  /** value ≥ limit, in the figure's unit ("≥ 10,000 events/s"). */
  | { readonly atLeast: number };

/** One line of a results table. */
export interface Figure {
  /** What was measured: `Resolve p50, 1 in flight (warm store, 1,000,000 profiles)`. */
  readonly figure: string;
  readonly value: number;
  /** Unit of `value`, `echo` and an absolute target: µs, calls/s, msg/s, events/s, MiB ... */
  readonly unit: string;
  /** The same figure for the bare echo in the same run, when it has one. */
  readonly echo?: number;
  readonly target?: Target;
}

export type Verdict = 'PASS' | 'MISS' | '—';

export function ratioToEcho(figure: Figure): number | undefined {
  return figure.echo !== undefined && figure.echo > 0 ? figure.value / figure.echo : undefined;
}

/** PASS or MISS against the target; `—` without one (or a ratio target without an echo figure). */
export function verdict(figure: Figure): Verdict {
  const t = figure.target;
  if (!t) return '—';
  if ('atMost' in t) return figure.value <= t.atMost ? 'PASS' : 'MISS';
  if ('atLeast' in t) return figure.value >= t.atLeast ? 'PASS' : 'MISS';
  const ratio = ratioToEcho(figure);
  if (ratio === undefined) return '—';
  if ('ratioAtMost' in t) return ratio <= t.ratioAtMost ? 'PASS' : 'MISS';
  return ratio >= t.ratioAtLeast ? 'PASS' : 'MISS';
}

export function describeTarget(figure: Figure): string {
  const t = figure.target;
  if (!t) return '';
  if ('atMost' in t) return `≤ ${formatNumber(t.atMost)} ${figure.unit}`;
  if ('atLeast' in t) return `≥ ${formatNumber(t.atLeast)} ${figure.unit}`;
  if ('ratioAtMost' in t) return `≤ ${t.ratioAtMost} × echo`;
  return `≥ ${t.ratioAtLeast} × echo`;
}

type Percentile = keyof Pick<LatencySummary, 'p50' | 'p90' | 'p99' | 'p999' | 'max'>;

/** A latency percentile of a comparison, in µs, with the echo's same percentile beside it. */
export function latencyFigure(figure: string, comparison: Comparison, percentile: Percentile, target?: Target): Figure {
  return {
    figure,
    value: micros(comparison.target.latency[percentile]),
    unit: 'µs',
    echo: micros(comparison.echo.latency[percentile]),
    ...(target ? { target } : {}),
  };
}

/** Throughput of a comparison in calls/s, with the echo's beside it. */
export function throughputFigure(figure: string, comparison: Comparison, target?: Target): Figure {
  return {
    figure,
    value: comparison.target.throughput,
    unit: 'calls/s',
    echo: comparison.echo.throughput,
    ...(target ? { target } : {}),
  };
}

/**
 * Server CPU time per successful call, in µs, with the echo server's beside it: the figure least
 * disturbed by a busy machine (it counts the work done, not the time spent waiting for a core).
 */
export function serverCpuFigure(figure: string, comparison: Comparison, target?: Target): Figure | undefined {
  const value = comparison.target.server?.cpuMicrosPerCall;
  const echo = comparison.echo.server?.cpuMicrosPerCall;
  if (value === undefined) return undefined;
  return { figure, value, unit: 'µs CPU/call', ...(echo !== undefined ? { echo } : {}), ...(target ? { target } : {}) };
}
