/**
 * Identity service benchmark (issue 4), against the bare grpc-js echo in the same run: Resolve on
 * a warm embedded store of 1,000,000 profiles — p50 ≤ 1.6 × echo p50 (1 in flight), throughput
 * ≥ 0.5 × the echo's best throughput at 64 in flight, server memory ≤ 1 GiB per million profiles.
 * Writes `## Identity` in bench/RESULTS.md.
 *
 *   npx tsx bench/identity/identity-bench.ts                  (about 10 minutes incl. seeding)
 *   npx tsx bench/identity/identity-bench.ts --quick          (100,000 profiles, short runs: not for the record)
 */
import * as path from 'node:path';
import {
  type Comparison,
  compareToEcho,
  describeLoad,
  echoCall,
  echoTarget,
  type Figure,
  latencyFigure,
  type LoadShape,
  metadataOf,
  type ScenarioResult,
  startBareEcho,
  startKitEcho,
  startServer,
  throughputFigure,
  unary,
  writeResultsSection,
} from '../harness';
import { credentials } from '@grpc/grpc-js';
import { commonV1, identityV1 } from '@continuum/contracts';
import { phoneOf } from './identity-server';

const quick = process.argv.includes('--quick');
const PROFILES = quick ? 100_000 : 1_000_000;
const durationSec = quick ? 2 : 5;
const warmupSec = quick ? 1 : 2;
const rounds = quick ? 1 : 2;

type Client = identityV1.IdentityServiceClient;
const makeClient = (address: string): Client => new identityV1.IdentityServiceClient(address, credentials.createInsecure());

/** Caller ID of a seeded customer, spread over the whole store (a prime stride). */
function callerId(i: number): identityV1.ResolveRequest {
  return identityV1.ResolveRequest.fromPartial({
    identifiers: [{ type: identityV1.IdentifierType.IDENTIFIER_TYPE_PHONE, value: phoneOf((i * 7919) % PROFILES), proof: commonV1.AssuranceLevel.ASSURANCE_LEVEL_ASSERTED }],
    channel: commonV1.Channel.CHANNEL_IVR,
  });
}

async function main(): Promise<void> {
  const echo = await startBareEcho();
  // The kit's own share: the same EchoService through the kit's server (auth disabled, as the identity server runs).
  const kitEcho = await startKitEcho('disabled');
  console.log(`seeding ${PROFILES.toLocaleString('en-US')} profiles…`);
  const identity = await startServer({ name: 'identity', module: path.join(__dirname, 'identity-server.ts'), options: { profiles: PROFILES }, startTimeoutSec: 1_800 });
  console.log(`  ${JSON.stringify(identity.info)}`);
  const metadata = metadataOf(identity);
  const target = { address: identity.address, makeClient };
  const scenarios: ScenarioResult[] = [];
  const figures: Figure[] = [];
  const compare = async (name: string, load: LoadShape, call: (client: Client, i: number) => Promise<unknown>): Promise<Comparison> => {
    console.log(`${name}: ${describeLoad(load)}`);
    const c = await compareToEcho({ ...load, name: `${name} (${describeLoad(load)})`, target, call, echoServer: echo, echoMetadata: metadata, server: identity, durationSec, warmupSec, rounds });
    scenarios.push(c.echo, c.target);
    return c;
  };
  try {
    // The store answers as expected before anything is measured.
    const probe = await unary(makeClient(identity.address).resolve.bind(makeClient(identity.address)), callerId(12_345), metadata.clone());
    if (probe.matchType !== identityV1.MatchType.MATCH_TYPE_MATCHED || probe.assurance !== commonV1.AssuranceLevel.ASSURANCE_LEVEL_ASSERTED || probe.created) {
      throw new Error(`the seeded customer was not recognized: ${JSON.stringify(identityV1.ResolveResponse.toJSON(probe))}`);
    }

    const read = (client: Client, i: number) => unary(client.resolve.bind(client), callerId(i), metadata.clone());
    const read1 = await compare('Resolve, known caller', { mode: 'closed', concurrency: 1 }, read);
    const read64 = await compare('Resolve, known caller', { mode: 'closed', concurrency: 64 }, read);

    // With a request id every call is a transaction: the answer is stored for retries.
    let run = 0;
    const idempotent = () => {
      const prefix = `r${++run}-${Date.now()}`;
      return (client: Client, i: number) => unary(client.resolve.bind(client), { ...callerId(i), requestId: `${prefix}-${i}` }, metadata.clone());
    };
    const idem1 = await compare('Resolve with request_id', { mode: 'closed', concurrency: 1 }, idempotent());
    const idem64 = await compare('Resolve with request_id', { mode: 'closed', concurrency: 64 }, idempotent());

    // A customer never seen: a new anonymous profile and its profile_created event (outbox, relay).
    const fresh = () => {
      const prefix = `n${++run}-${Date.now()}`;
      return (client: Client, i: number) =>
        unary(
          client.resolve.bind(client),
          identityV1.ResolveRequest.fromPartial({ identifiers: [{ type: identityV1.IdentifierType.IDENTIFIER_TYPE_COOKIE, value: `${prefix}-${i}` }], channel: commonV1.Channel.CHANNEL_WEB }),
          metadata.clone(),
        );
    };
    const new16 = await compare('Resolve, new visitor', { mode: 'closed', concurrency: 16 }, fresh());

    console.log('kit echo (auth disabled): 1 and 64 in flight');
    const kitLoad = { target: echoTarget(kitEcho.address), call: (client: Parameters<typeof echoCall>[0]) => echoCall(client, metadata), echoServer: echo, echoMetadata: metadata, server: kitEcho, durationSec, warmupSec, rounds };
    const kit1 = await compareToEcho({ ...kitLoad, name: 'kit echo, auth disabled (1 in flight)', mode: 'closed', concurrency: 1 });
    const kit64 = await compareToEcho({ ...kitLoad, name: 'kit echo, auth disabled (64 in flight)', mode: 'closed', concurrency: 64 });
    scenarios.push(kit1.echo, kit1.target, kit64.echo, kit64.target);

    const live = await identity.sample({ gc: true });
    const info = identity.info as Record<string, number>;
    const perMillion = ((info['heapAfterSeedMiB'] ?? 0) - (info['heapBeforeSeedMiB'] ?? 0)) * (1_000_000 / PROFILES);
    const echoBest64 = read64.echo.throughput;
    figures.push(
      latencyFigure('Resolve p50, known caller, 1 in flight', read1, 'p50', { ratioAtMost: 1.6 }),
      latencyFigure('Resolve p99, known caller, 1 in flight', read1, 'p99'),
      throughputFigure('Resolve throughput, known caller, 64 in flight', read64, { ratioAtLeast: 0.5 }),
      {
        figure: 'the same, against the best bare-echo throughput of the whole run (any load)',
        value: read64.target.throughput,
        unit: 'calls/s',
        echo: Math.max(...scenarios.filter((x) => x.name.startsWith('bare echo') && x.load.mode === 'closed').map((x) => x.throughput)),
      },
      latencyFigure('Resolve p50, known caller, 64 in flight', read64, 'p50'),
      latencyFigure('Resolve p50 with request_id (transaction + stored answer), 1 in flight', idem1, 'p50'),
      { figure: 'Resolve throughput with request_id, 64 in flight', value: idem64.target.throughput, unit: 'calls/s', echo: echoBest64 },
      latencyFigure('Resolve p50, new visitor (creates profile + event), 16 in flight', new16, 'p50'),
      throughputFigure('Resolve throughput, new visitor, 16 in flight', new16),
      latencyFigure('kit echo (auth disabled, no domain work) p50, 1 in flight', kit1, 'p50'),
      throughputFigure('kit echo (auth disabled, no domain work) throughput, 64 in flight', kit64),
      { figure: 'store heap per million profiles (heap after GC: seeded − empty)', value: perMillion, unit: 'MiB', target: { atMost: 1024 } },
      { figure: `server heap after GC at the end (${PROFILES.toLocaleString('en-US')} seeded profiles + those created by the run)`, value: live.heapUsed / 2 ** 20, unit: 'MiB' },
      { figure: 'server peak RSS', value: Math.max(...scenarios.filter((s) => !s.name.startsWith('bare')).map((s) => s.server?.peakRss ?? 0)) / 2 ** 20, unit: 'MiB' },
    );
  } finally {
    await Promise.all([echo.stop(), kitEcho.stop(), identity.stop()]);
  }

  const info = identity.info as Record<string, number>;
  const rendered = await writeResultsSection({
    title: 'Identity',
    command: `npx tsx bench/identity/identity-bench.ts${quick ? ' --quick' : ''}`,
    summary: [
      `The identity service (apps/identity through the kit's gRPC server, auth disabled, embedded store, in-process bus) in its own process,`,
      `warmed with ${PROFILES.toLocaleString('en-US')} profiles (a verified Spanish mobile number and an email each, three traits) in ${info['seedSeconds']} s.`,
      'Known caller: Resolve of one caller-ID number (E.164, proof ASSERTED, channel IVR) of a seeded profile, a different one per call spread over the whole store,',
      'without request id: normalization (libphonenumber), one indexed lookup, the merge/assurance decision, no write (the customer was seen within IDENTITY_LAST_SEEN_GRANULARITY_MS).',
      'With request_id: the same call as a transaction that also stores the answer for retries. New visitor: an unknown cookie, so a new anonymous profile and its profile_created event (outbox, relay to the in-process bus).',
      `Each load ran ${rounds} interleaved round(s) of ${durationSec} s after ${warmupSec} s warm-up.`,
    ].join(' '),
    figures,
    scenarios,
    notes: [
      'Server CPU per call (the figure least disturbed by neighbours) splits the cost: bare echo ≈ 60–70 µs, kit echo with auth disabled ≈ 105 µs, Resolve of a known caller ≈ 250–265 µs. The Resolve handler itself, called in process on the same data (`bench/identity/profile-probe.ts`, 64 concurrent), costs 30–40 µs: phone normalization with libphonenumber `max` metadata, one indexed lookup and copy out of the embedded store, the decision and the response encoding (a whole profile with its traits as a Struct); the rest is gRPC work on a ~300-byte answer instead of echo\'s ~20 bytes, and the garbage collection of what each call allocates.',
      'Run-to-run spread on this shared machine: three earlier full runs of the same code the same day gave known-caller p50 1.57, 1.56 and 1.56 × echo, and throughput at 64 in flight 0.49 × (load average 6–10), 0.45 × (4.5–5.3) and 0.51 × (3.2–2.3). The throughput target is met only at its edge: met in quiet conditions, missed under load.',
      'Auth is disabled in the benchmarked server (no JWT verification per call), as in `## Context`: under JWT the kit echo alone is 1.87 × the bare echo p50 (`## Echo baseline`), above this target before any identity work.',
      'Memory: heap after a full GC in the server process, before and after seeding; the embedded store keeps every profile document and its index entries in memory.',
    ],
  });
  console.log(rendered);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
