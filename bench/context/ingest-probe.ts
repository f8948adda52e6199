/**
 * The context service's write path alone, in this process, no gRPC: CPU time per touchpoint of
 * RecordTouchpoints batches (the streamed-ingestion handler) and of unary RecordTouchpoint calls,
 * each until the outbox relay has published every event they produced (in-process bus). For
 * checking what a change to apps/context, libs/store or libs/events does to the write path without
 * the whole context benchmark; CPU time moves much less than throughput when neighbours load the
 * machine. Writes nothing to RESULTS.md.
 *
 *   npx tsx bench/context/ingest-probe.ts [--customers 10000] [--touchpoints 51200] [--rounds 3] [--batch 128] [--skip-unary]
 */
import '../harness';
import { parseArgs } from 'node:util';
import { contextV1 } from '@continuum/contracts';
import { createInProcessBus, OUTBOX_COLLECTION } from '@continuum/events';
import { createLogger, type CallContext } from '@continuum/kit';
import { createEmbeddedStore } from '@continuum/store';
import { createContextService } from '@continuum/context';
import { benchTouchpoint } from './touchpoints';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '10000' },
    touchpoints: { type: 'string', default: '51200' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '128' },
    'skip-unary': { type: 'boolean', default: false },
  },
});
const CUSTOMERS = Number(args.customers);
const TOUCHPOINTS = Number(args.touchpoints);
const BATCH = Number(args.batch);

interface Handlers {
  recordTouchpoint(req: contextV1.RecordTouchpointRequest, ctx: CallContext): Promise<contextV1.RecordTouchpointResponse>;
  recordTouchpoints(requests: AsyncIterable<contextV1.RecordTouchpointsRequest>, ctx: CallContext): Promise<contextV1.RecordTouchpointsResponse>;
}

// Customers picked by a stride, so that consecutive touchpoints belong to different customers.
const touchpoint = (run: string, i: number): contextV1.Touchpoint => benchTouchpoint(run, i, CUSTOMERS, (n) => n * 7919);

async function* requests(run: string, from: number, count: number): AsyncIterable<contextV1.RecordTouchpointsRequest> {
  for (let i = from; i < from + count; i++) yield { touchpoint: touchpoint(run, i) };
}

async function main(): Promise<void> {
  const store = createEmbeddedStore();
  const bus = createInProcessBus({ maxMessagesPerStream: 10_000_000 });
  const module = await createContextService({ store, bus, logger: createLogger({ service: 'probe', level: 'silent' }), abandonSweepMs: 0 });
  await module.start();
  const registration = module.registrations[0];
  if (!registration) throw new Error('no registration');
  const handlers = registration.handlers as unknown as Handlers;
  const ctx = { tenantId: 'bench' } as CallContext;
  // One pending entry is enough to know (a count would visit every pending entry on each poll).
  const anyPending = async () => (await store.unscoped(OUTBOX_COLLECTION).findOne({ state: 'pending' })) !== null;
  const drained = async () => {
    while (await anyPending()) await new Promise((r) => setTimeout(r, 2));
  };

  const seeded = Date.now();
  for (let c = 0; c < CUSTOMERS; c += BATCH) await handlers.recordTouchpoints(requests('seed', c, Math.min(BATCH, CUSTOMERS - c)), ctx);
  await drained();
  console.log(`seeded ${CUSTOMERS} customers in ${Date.now() - seeded} ms`);

  const measure = async (label: string, count: number, work: () => Promise<void>): Promise<void> => {
    (globalThis as { gc?: () => void }).gc?.();
    const cpu = process.cpuUsage();
    const wall = process.hrtime.bigint();
    await work();
    await drained();
    const used = process.cpuUsage(cpu);
    const ms = Number(process.hrtime.bigint() - wall) / 1e6;
    console.log(`  ${label}: ${((used.user + used.system) / count).toFixed(1)} µs CPU per touchpoint, ${Math.round((count / ms) * 1000)} /s wall`);
  };

  for (let round = 1; round <= Number(args.rounds); round++) {
    console.log(`round ${round}`);
    await measure(`RecordTouchpoints, batches of ${BATCH}`, TOUCHPOINTS, async () => {
      for (let i = 0; i < TOUCHPOINTS; i += BATCH) {
        const r = await handlers.recordTouchpoints(requests(`b${round}`, i, BATCH), ctx);
        if (Number(r.recordedCount) !== BATCH) throw new Error(`batch recorded ${r.recordedCount} of ${BATCH}`);
      }
    });
    if (args['skip-unary']) continue;
    const unary = TOUCHPOINTS / 4;
    await measure('RecordTouchpoint, 64 concurrent', unary, async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < unary) await handlers.recordTouchpoint({ touchpoint: touchpoint(`u${round}`, next++), requestId: '' }, ctx);
        }),
      );
    });
  }
  await module.stop();
  await bus.close();
  await store.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
