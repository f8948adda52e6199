/**
 * Embedded document store benchmark (issue 3): insert throughput, indexed find throughput and
 * latency percentiles, update and transaction throughput, and memory per document, on documents
 * shaped like identity profiles (a few identifiers + traits), at 100,000 and 1,000,000 documents.
 *
 *   npx tsx bench/store/store-bench.ts            # both sizes, writes `## Store (embedded)` in bench/RESULTS.md
 *   npx tsx bench/store/store-bench.ts --sizes 100000 --storage compact --no-write
 *
 * It runs in one process, no gRPC: it measures the store alone. It re-runs itself with
 * `--expose-gc` (for heap figures after a full GC) and the `@continuum/source` condition (so the
 * store runs from its TypeScript sources).
 */
import { spawnSync } from 'node:child_process';

const CONDITION = '--conditions=@continuum/source';
if (require.main === module && (typeof globalThis.gc !== 'function' || !process.execArgv.includes(CONDITION))) {
  const flags = process.execArgv.filter((f) => f !== '--expose-gc' && f !== CONDITION);
  const rerun = spawnSync(process.execPath, [...flags, '--expose-gc', CONDITION, '--max-old-space-size=6144', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(rerun.status ?? 1);
}

// The re-exec above runs before these load (imports compile to requires in place).
import * as hdr from 'hdr-histogram-js';
import { createEmbeddedStore, type BaseDocument, type EmbeddedDocumentStore, type TenantCollection } from '@continuum/store';
// Not '../harness': its index re-runs a benchmark with the source condition, which this file does itself (with --expose-gc).
import { renderSection, writeResultsSection } from '../harness/report';

interface Identifier {
  type: string;
  value: string;
  verifiedLevel: number;
  linkedAt: Date;
  lastSeenAt: Date;
}

/** Shaped like identity's ProfileDocument: normalized identifier keys (unique, multikey), identifiers, traits, segments. */
interface Profile extends BaseDocument {
  keys: string[];
  identifiers: Identifier[];
  traits: { firstName: string; lastName: string; city: string; tier: string; ltv: number; marketingOptIn: boolean };
  segmentIds: string[];
  createTime: Date;
  updateTime: Date;
  version: number;
  mergedInto?: string;
}

interface InboxEntry extends BaseDocument {
  consumer: string;
  eventId: string;
  appliedAt: Date;
}

const TENANT = 'bench';
const CITIES = ['Leeds', 'York', 'Paris', 'Lyon', 'Berlin', 'Madrid', 'Rome', 'Oslo'];
const TIERS = ['bronze', 'silver', 'gold', 'platinum'];

function profileId(i: number): string {
  // Same length and alphabet as a UUID, deterministic.
  const hex = (i * 2654435761).toString(16).padStart(12, '0').slice(-12);
  return `0000${String(i).padStart(4, '0').slice(-4)}-${hex.slice(0, 4)}-4${hex.slice(4, 7)}-8${hex.slice(7, 10)}-${String(i).padStart(12, '0')}`;
}
const phone = (i: number) => `+4477${String(i).padStart(8, '0')}`;
const email = (i: number) => `user${i}@example.com`;
const cookie = (i: number) => `ck-${(i * 7919).toString(36)}-${i.toString(36)}`;

function makeProfile(i: number): Profile {
  const ms = 1_700_000_000_000 + i * 1000;
  const at = () => new Date(ms);
  return {
    _id: profileId(i),
    tenantId: TENANT,
    keys: [`PHONE:${phone(i)}`, `EMAIL:${email(i)}`, `COOKIE:${cookie(i)}`],
    identifiers: [
      { type: 'PHONE', value: phone(i), verifiedLevel: 2, linkedAt: at(), lastSeenAt: at() },
      { type: 'EMAIL', value: email(i), verifiedLevel: i % 2, linkedAt: at(), lastSeenAt: at() },
      { type: 'COOKIE', value: cookie(i), verifiedLevel: 0, linkedAt: at(), lastSeenAt: at() },
    ],
    traits: { firstName: `First${i % 5000}`, lastName: `Last${i % 7000}`, city: CITIES[i % CITIES.length] as string, tier: TIERS[i % TIERS.length] as string, ltv: (i % 10_000) / 7, marketingOptIn: i % 3 === 0 },
    segmentIds: i % 10 === 0 ? ['vip', 'uk'] : ['uk'],
    createTime: at(),
    updateTime: at(),
    version: 1,
  };
}

/** Deterministic pseudo-random sequence (xorshift), so runs look up the same keys. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

function histogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: 3 });
}

function heapAfterGc(): number {
  const gc = globalThis.gc as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

interface Measured {
  ops: number;
  seconds: number;
  perSec: number;
  /** Process CPU time per operation (all threads, GC included): the figure least disturbed by neighbours on a shared machine. */
  cpuUs: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Runs `op` `count` times, one after the other (closed loop, 1 in flight), recording each latency in µs. */
async function measure(count: number, op: (i: number) => Promise<unknown>): Promise<Measured> {
  const h = histogram();
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await op(i);
    h.recordValue(Number(process.hrtime.bigint() - t0));
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const us = (ns: number) => ns / 1000;
  const out = {
    ops: count,
    seconds,
    perSec: count / seconds,
    cpuUs: (cpu.user + cpu.system) / count,
    p50: us(h.getValueAtPercentile(50)),
    p90: us(h.getValueAtPercentile(90)),
    p99: us(h.getValueAtPercentile(99)),
    p999: us(h.getValueAtPercentile(99.9)),
    max: us(h.maxValue),
  };
  h.destroy();
  return out;
}

async function define(store: EmbeddedDocumentStore, compact: boolean): Promise<void> {
  // The indexes identity declares for its profiles.
  await store.defineCollection(
    'profiles',
    [
      { key: { keys: 1 }, unique: true, sparse: true, name: 'keys_unique' },
      { key: { segmentIds: 1 }, name: 'segment_ids' },
      { key: { mergedInto: 1 }, name: 'merged_into', sparse: true },
    ],
    { compact },
  );
  await store.defineCollection('inbox', [{ key: { consumer: 1, eventId: 1 }, unique: true, name: 'consumer_event' }]);
}

interface SizeResult {
  size: number;
  compact: boolean;
  insert: Measured;
  heapPerDocBytes: number;
  heapTotalMiB: number;
  rssMiB: number;
  findByIdentifier: Measured;
  findById: Measured;
  findMissing: Measured;
  update: Measured;
  transaction: Measured;
  examinedPerFind: number;
}

async function runSize(size: number, compact: boolean): Promise<SizeResult> {
  const baseline = heapAfterGc();
  const store = createEmbeddedStore();
  await define(store, compact);
  const profiles: TenantCollection<Profile> = store.forTenant(TENANT).collection<Profile>('profiles');
  const inbox: TenantCollection<InboxEntry> = store.forTenant(TENANT).collection<InboxEntry>('inbox');

  process.stdout.write(`[${size} ${compact ? 'compact' : 'objects'}] inserting ...\n`);
  const insert = await measure(size, (i) => profiles.insertOne(makeProfile(i)));
  const loaded = heapAfterGc();
  const heapPerDocBytes = (loaded - baseline) / size;
  const rssMiB = process.memoryUsage().rss / 2 ** 20;

  const lookups = Math.min(200_000, size * 2);
  const r1 = rng(42);
  process.stdout.write(`[${size} ${compact ? 'compact' : 'objects'}] finds ...\n`);
  // Warm-up (JIT), not recorded.
  for (let i = 0; i < 20_000; i++) await profiles.findOne({ keys: `PHONE:${phone(Math.floor(r1() * size))}` });
  store.resetStats();
  const findByIdentifier = await measure(lookups, () => {
    const n = Math.floor(r1() * size);
    const key = n % 3 === 0 ? `PHONE:${phone(n)}` : n % 3 === 1 ? `EMAIL:${email(n)}` : `COOKIE:${cookie(n)}`;
    return profiles.findOne({ keys: key });
  });
  const examinedPerFind = store.stats().docsExamined / lookups;
  const findById = await measure(lookups, () => profiles.findOne({ _id: profileId(Math.floor(r1() * size)) }));
  const findMissing = await measure(lookups, (i) => profiles.findOne({ keys: `PHONE:+1555${i}` }));

  process.stdout.write(`[${size} ${compact ? 'compact' : 'objects'}] updates and transactions ...\n`);
  const updates = Math.min(100_000, size);
  const update = await measure(updates, (i) => {
    const n = Math.floor(r1() * size);
    return profiles.updateOne({ keys: `EMAIL:${email(n)}` }, { $set: { 'traits.ltv': i, updateTime: new Date() }, $inc: { version: 1 } });
  });
  // What an inbox consumer does per event: record (consumer, event id) and apply the change, in one transaction.
  const transaction = await measure(updates, (i) =>
    store.withTransaction(async (session) => {
      await inbox.insertOne({ _id: `ev-${size}-${i}`, consumer: 'bench-consumer', eventId: `ev-${i}`, appliedAt: new Date() }, { session });
      const n = Math.floor(r1() * size);
      await profiles.updateOne({ _id: profileId(n) }, { $addToSet: { segmentIds: 'seen' }, $inc: { version: 1 } }, { session });
    }),
  );
  const heapTotalMiB = heapAfterGc() / 2 ** 20;
  const result = { size, compact, insert, heapPerDocBytes, heapTotalMiB, rssMiB, findByIdentifier, findById, findMissing, update, transaction, examinedPerFind };
  await store.close();
  return result;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** The section's body below its Date / Machine / Command lines: what was measured, then the tables. */
function render(results: SizeResult[]): string {
  const lines: string[] = [];
  lines.push(
    'One process, no gRPC: the embedded store alone, through its tenant-scoped API (`forTenant(t).collection(...)`), one operation in flight (each awaited). ' +
      "Documents are shaped like identity's `ProfileDocument` (≈790 characters as JSON): 3 normalized identifier `keys`, 3 identifiers (type, value, level, 2 dates each), 6 traits, " +
      'segment ids, 2 dates, a version; indexes as identity declares them (unique multikey `keys`, `segmentIds`, sparse `mergedInto`), each after `tenantId`. ' +
      '`objects`: documents kept as JS objects (the default); `compact`: kept as typed JSON text (`defineCollection(..., { compact: true })`). ' +
      'Latencies are HDR percentiles in µs of each awaited call (includes the promise round trip); ops/s is over the whole run, so GC pauses and neighbours show in it and in p99.9/max; ' +
      '"CPU µs/op" is the process CPU time (all threads, GC included) per operation, the figure least disturbed by the other work on this shared machine (1,000,000 / CPU µs/op = what one free core would do). ' +
      '"heap/doc" is the V8 heap growth after a full GC divided by the number of documents: the documents and every index entry.',
    '',
  );
  lines.push('| documents | storage | operation | ops/s | CPU µs/op | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs |');
  lines.push('| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    const row = (name: string, m: Measured) => lines.push(`| ${fmt(r.size)} | ${r.compact ? 'compact' : 'objects'} | ${name} | ${fmt(m.perSec)} | ${fmt(m.cpuUs, 1)} | ${fmt(m.p50, 1)} | ${fmt(m.p90, 1)} | ${fmt(m.p99, 1)} | ${fmt(m.p999, 1)} | ${fmt(m.max)} |`);
    row('insertOne (empty → full)', r.insert);
    row('findOne by identifier key (indexed, hit)', r.findByIdentifier);
    row('findOne by _id', r.findById);
    row('findOne by identifier key (indexed, miss)', r.findMissing);
    row('updateOne by identifier key ($set + $inc)', r.update);
    row('transaction: inbox insert + profile update', r.transaction);
  }
  lines.push('');
  lines.push('| documents | storage | heap/doc (bytes) | heap after GC (MiB) | process RSS (MiB) | docs examined per indexed find |');
  lines.push('| ---: | --- | ---: | ---: | ---: | ---: |');
  for (const r of results) lines.push(`| ${fmt(r.size)} | ${r.compact ? 'compact' : 'objects'} | ${fmt(r.heapPerDocBytes)} | ${fmt(r.heapTotalMiB)} | ${fmt(r.rssMiB)} | ${fmt(r.examinedPerFind, 2)} |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const sizesArg = args.indexOf('--sizes');
  const sizes = sizesArg >= 0 ? (args[sizesArg + 1] ?? '').split(',').map(Number) : [100_000, 1_000_000];
  const modesArg = args.indexOf('--storage');
  const modes = modesArg >= 0 ? (args[modesArg + 1] ?? '').split(',').map((m) => m === 'compact') : [false, true];
  const write = !args.includes('--no-write');
  const results: SizeResult[] = [];
  for (const size of sizes) for (const compact of modes) {
    const r = await runSize(size, compact);
    results.push(r);
    process.stdout.write(
      `[${size} ${compact ? 'compact' : 'objects'}] insert ${fmt(r.insert.perSec)}/s; find by key ${fmt(r.findByIdentifier.perSec)}/s p50 ${fmt(r.findByIdentifier.p50, 1)} µs p99 ${fmt(r.findByIdentifier.p99, 1)} µs; ` +
        `update ${fmt(r.update.perSec)}/s; txn ${fmt(r.transaction.perSec)}/s; heap/doc ${fmt(r.heapPerDocBytes)} B\n`,
    );
  }
  const command = `npx tsx bench/store/store-bench.ts${args.length > 0 ? ` ${args.filter((a) => a !== '--no-write').join(' ')}` : ''}`;
  const section = { title: 'Store (embedded)', command: command.trim(), summary: render(results) };
  process.stdout.write(`\n${write ? await writeResultsSection(section) : renderSection(section)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
