import type { Nanos } from './clock';

/** Numbers as they read best in a table: thousands separators, 3 significant digits below 100. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  if (abs === 0) return '0';
  return value.toPrecision(2);
}

/** Nanoseconds as microseconds, the unit every latency column of RESULTS.md uses. */
export function micros(ns: Nanos): number {
  return ns / 1000;
}

export function mebibytes(bytes: number): number {
  return bytes / 2 ** 20;
}

/** A GitHub-flavoured Markdown table; cells are escaped for `|`. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rule = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [header, rule, ...rows].map((cells) => `| ${cells.map(cell).join(' | ')} |`).join('\n');
}
