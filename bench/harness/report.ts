import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describeLoad } from './compare';
import { type Figure, describeTarget, ratioToEcho, verdict } from './figures';
import { formatNumber, markdownTable, mebibytes, micros } from './format';
import { type MachineInfo, machineInfo } from './machine';
import type { ScenarioResult } from './scenario';
import type { StreamResult } from './stream';

/** bench/RESULTS.md: one `## <title>` section per benchmark, below a header on how to read it. */
export const RESULTS_FILE = path.join(__dirname, '..', 'RESULTS.md');

export interface ResultsSection {
  /** Section title without `## `: `Echo baseline`, `Identity`, `Store` ... */
  readonly title: string;
  /** The exact command that produced it, as run from the repository root. */
  readonly command: string;
  /** A sentence or two on what was measured (data set, backend, auth mode). */
  readonly summary?: string;
  /** The headline figures with their ratio to echo and target. */
  readonly figures?: readonly Figure[];
  /** Every scenario run, in detail (percentiles, errors, server CPU and memory). */
  readonly scenarios?: readonly ScenarioResult[];
  readonly streams?: readonly StreamResult[];
  /** Free text after the tables: caveats, what was not measured and why. */
  readonly notes?: readonly string[];
  /** Defaults to now and this machine; injectable for tests. */
  readonly date?: Date;
  readonly machine?: MachineInfo;
}

/** Renders a section as Markdown, starting with its `## ` line. */
export function renderSection(section: ResultsSection): string {
  const machine = section.machine ?? machineInfo();
  const date = (section.date ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const parts: string[] = [
    `## ${section.title}`,
    [
      `- Date: ${date}`,
      `- Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB RAM, load average ${machine.loadAverage} at start and ${machine.loadAverageAtEnd} at end (shared machine), ${machine.platform}, Node ${machine.node}`,
      `- Command: \`${section.command}\``,
    ].join('\n'),
  ];
  if (section.summary) parts.push(section.summary);
  if (section.figures?.length) parts.push(figuresTable(section.figures));
  if (section.scenarios?.length) parts.push(scenariosTable(section.scenarios));
  if (section.streams?.length) parts.push(streamsTable(section.streams));
  if (section.notes?.length) parts.push(section.notes.map((n) => `- ${n}`).join('\n'));
  return `${parts.join('\n\n')}\n`;
}

export function figuresTable(figures: readonly Figure[]): string {
  return markdownTable(
    ['figure', 'value', 'bare echo, same run', 'ratio to echo', 'target', 'result'],
    figures.map((f) => {
      const ratio = ratioToEcho(f);
      return [
        f.figure,
        `${formatNumber(f.value)} ${f.unit}`,
        f.echo === undefined ? '' : `${formatNumber(f.echo)} ${f.unit}`,
        ratio === undefined ? '' : `${ratio.toFixed(2)} ×`,
        describeTarget(f),
        verdict(f),
      ];
    }),
    ['l', 'r', 'r', 'r', 'l', 'l'],
  );
}

export function scenariosTable(results: readonly ScenarioResult[]): string {
  return markdownTable(
    ['scenario', 'load', 'calls/s', 'p50 µs', 'p90 µs', 'p99 µs', 'p99.9 µs', 'max µs', 'errors', 'server CPU µs/call', 'server cores', 'server peak RSS MiB', 'load cores', 'send lag p99 µs'],
    results.map((r) => [
      r.name,
      describeLoad(r.load),
      formatNumber(r.throughput),
      formatNumber(micros(r.latency.p50)),
      formatNumber(micros(r.latency.p90)),
      formatNumber(micros(r.latency.p99)),
      formatNumber(micros(r.latency.p999)),
      formatNumber(micros(r.latency.max)),
      r.errorCount === 0 ? '0' : Object.entries(r.errors).map(([code, n]) => `${code} ${n}`).join(', '),
      r.server ? formatNumber(r.server.cpuMicrosPerCall) : '',
      r.server ? r.server.cpuCores.toFixed(2) : '',
      r.server ? formatNumber(mebibytes(r.server.peakRss)) : '',
      r.loadCores.toFixed(2),
      r.sendLag ? formatNumber(micros(r.sendLag.p99)) : '',
    ]),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r'],
  );
}

export function streamsTable(results: readonly StreamResult[]): string {
  return markdownTable(
    ['stream scenario', 'streams × window', 'messages/s', 'p50 µs', 'p99 µs', 'max µs', 'errors'],
    results.map((r) => [
      r.name,
      `${r.streams} × ${r.window}`,
      formatNumber(r.messagesPerSec),
      formatNumber(micros(r.latency.p50)),
      formatNumber(micros(r.latency.p99)),
      formatNumber(micros(r.latency.max)),
      Object.entries(r.errors).map(([code, n]) => `${code} ${n}`).join(', ') || '0',
    ]),
    ['l', 'l', 'r', 'r', 'r', 'r', 'l'],
  );
}

/**
 * Puts `section` into `markdown`: replaces the section with the same `## ` title (up to the next
 * `## ` heading) or appends it. Everything else — the header and other benchmarks' sections —
 * is kept byte for byte.
 */
export function upsertSection(markdown: string, title: string, rendered: string): string {
  const lines = markdown.split('\n');
  const heading = `## ${title}`;
  const start = lines.findIndex((line) => line.trimEnd() === heading);
  const body = rendered.endsWith('\n') ? rendered : `${rendered}\n`;
  if (start === -1) {
    const trimmed = markdown.replace(/\n*$/, '');
    return `${trimmed}${trimmed ? '\n\n' : ''}${body}`;
  }
  let end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  if (end === -1) end = lines.length;
  const before = lines.slice(0, start).join('\n');
  const after = lines.slice(end).join('\n');
  return `${before}${before ? '\n' : ''}${body}${after ? `\n${after}` : ''}`;
}

/**
 * Writes a section into bench/RESULTS.md (or `file`). Several benchmarks may finish at once, so
 * the read-modify-write holds a lock directory and the new file replaces the old by rename.
 */
export async function writeResultsSection(section: ResultsSection, file = RESULTS_FILE): Promise<string> {
  const rendered = renderSection(section);
  await withLock(`${file}.lock`, () => {
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, upsertSection(current, section.title, rendered));
    renameSync(temporary, file);
  });
  return rendered;
}

async function withLock(lockDir: string, work: () => void): Promise<void> {
  const giveUpAt = Date.now() + 30_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      // A lock older than 30 s belongs to a benchmark that died while writing.
      if (isStale(lockDir) || Date.now() > giveUpAt) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function isStale(lockDir: string): boolean {
  try {
    return Date.now() - statSync(lockDir).mtimeMs > 30_000;
  } catch {
    return false;
  }
}
