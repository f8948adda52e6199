/**
 * The context service's identity-event projection alone (see identity-projection.ts), for checking
 * what libs/events changes do to `## Context`'s "identity-event consumption" figure without running
 * the whole context benchmark. The events benchmark measures it too (row "context identity-event
 * projection").
 *
 *   npx tsx bench/events/identity-projection-probe.ts [--events 30000] [--rounds 3]
 *
 * Prints events/s and this process's CPU µs per event for each round; writes nothing.
 */
import '../harness';
import { parseArgs } from 'node:util';
import { measureIdentityProjection } from './identity-projection';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '30000' },
    rounds: { type: 'string', default: '3' },
  },
});

async function main(): Promise<void> {
  for (let round = 1; round <= Number(args.rounds); round++) {
    console.log(`round ${round}:`, JSON.stringify(await measureIdentityProjection(Number(args.events))));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
