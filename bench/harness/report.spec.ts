import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type Figure, verdict, ratioToEcho, describeTarget } from './figures';
import { renderSection, upsertSection, writeResultsSection } from './report';

const machine = { cpus: 2, cpuModel: 'Test CPU', memoryGiB: 8, loadAverage: 0.5, loadAverageAtEnd: 1.5, node: 'v26.10.0', platform: 'Linux test x64' };
const date = new Date('2026-01-02T03:04:05.678Z');

describe('targets', () => {
  const latency = (value: number, echo: number): Figure => ({ figure: 'p50', value, echo, unit: 'µs', target: { ratioAtMost: 1.6 } });
  const rate = (value: number, echo: number): Figure => ({ figure: 'rate', value, echo, unit: 'calls/s', target: { ratioAtLeast: 0.5 } });

  it('judges latency against a multiple of the echo measured in the same run', () => {
    expect(verdict(latency(160, 100))).toBe('PASS');
    expect(verdict(latency(161, 100))).toBe('MISS');
    expect(ratioToEcho(latency(150, 100))).toBeCloseTo(1.5);
    expect(describeTarget(latency(1, 1))).toBe('≤ 1.6 × echo');
  });

  it('judges throughput against a fraction of the echo', () => {
    expect(verdict(rate(500, 1000))).toBe('PASS');
    expect(verdict(rate(499, 1000))).toBe('MISS');
  });

  it('judges absolute targets in the figure’s unit', () => {
    expect(verdict({ figure: 'decision p50', value: 25, unit: 'µs', target: { atMost: 25 } })).toBe('PASS');
    expect(verdict({ figure: 'events', value: 9_999, unit: 'events/s', target: { atLeast: 10_000 } })).toBe('MISS');
    expect(describeTarget({ figure: 'events', value: 1, unit: 'events/s', target: { atLeast: 10_000 } })).toBe('≥ 10,000 events/s');
  });

  it('gives no verdict without a target, or for a ratio target without an echo figure', () => {
    expect(verdict({ figure: 'x', value: 1, unit: 'µs' })).toBe('—');
    expect(verdict({ figure: 'x', value: 1, unit: 'µs', target: { ratioAtMost: 2 } })).toBe('—');
  });
});

describe('upsertSection', () => {
  const doc = '# Benchmark results\n\nHow to read.\n\n## Echo baseline\n\nold echo\n\n## Store\n\nstore figures\n### detail\nmore\n';

  it('replaces only the named section and keeps the header and the other sections byte for byte', () => {
    const out = upsertSection(doc, 'Echo baseline', '## Echo baseline\n\nnew echo\n');
    expect(out).toBe('# Benchmark results\n\nHow to read.\n\n## Echo baseline\n\nnew echo\n\n## Store\n\nstore figures\n### detail\nmore\n');
  });

  it('treats ### headings as part of the section', () => {
    const out = upsertSection(doc, 'Store', '## Store\n\nnew store\n');
    expect(out).toBe('# Benchmark results\n\nHow to read.\n\n## Echo baseline\n\nold echo\n\n## Store\n\nnew store\n');
  });

  it('appends a new section at the end', () => {
    const out = upsertSection(doc, 'Identity', '## Identity\n\nresolve\n');
    expect(out.startsWith(doc.trimEnd())).toBe(true);
    expect(out.endsWith('\n\n## Identity\n\nresolve\n')).toBe(true);
  });
});

describe('renderSection', () => {
  it('records date, machine and exact command, then the figures with ratio, target and verdict', () => {
    const text = renderSection({
      title: 'Identity',
      command: 'npx tsx bench/identity/identity-bench.ts',
      date,
      machine,
      figures: [{ figure: 'Resolve p50, 1 in flight', value: 480, echo: 300, unit: 'µs', target: { ratioAtMost: 1.6 } }],
    });
    expect(text).toContain('## Identity\n');
    expect(text).toContain('2026-01-02T03:04:05Z');
    expect(text).toContain('2 × Test CPU, 8 GiB RAM, load average 0.5 at start and 1.5 at end');
    expect(text).toContain('`npx tsx bench/identity/identity-bench.ts`');
    expect(text).toContain('| Resolve p50, 1 in flight | 480 µs | 300 µs | 1.60 × | ≤ 1.6 × echo | PASS |');
  });
});

describe('writeResultsSection', () => {
  it('creates the file with a header and replaces its own section on the next run', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'bench-results-')), 'RESULTS.md');
    writeFileSync(file, '# Benchmark results\n\nheader\n\n## Store\n\nkept\n');
    await writeResultsSection({ title: 'Echo baseline', command: 'one', date, machine }, file);
    await writeResultsSection({ title: 'Echo baseline', command: 'two', date, machine }, file);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('## Store\n\nkept\n');
    expect(text).toContain('`two`');
    expect(text).not.toContain('`one`');
    expect(text.match(/## Echo baseline/g)).toHaveLength(1);
  });
});
