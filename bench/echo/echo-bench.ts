/**
 * Echo baselines: the bare grpc-js echo against the kit's echo (every interceptor; JWT verified
 * on every call, and again with auth disabled), closed loop at 1, 16 and 64 in flight and open
 * loop at fixed rates, plus the bidi-stream echo's message rate. Writes `## Echo baseline` in
 * bench/RESULTS.md.
 *
 *   npx tsx bench/echo/echo-bench.ts            (about 5 minutes)
 *   npx tsx bench/echo/echo-bench.ts --quick    (about 1.5 minutes; smoke test, not for the record)
 */
import {
  type Comparison,
  compareToEcho,
  describeLoad,
  echoStreamSession,
  echoTarget,
  type Figure,
  latencyFigure,
  type LoadShape,
  metadataOf,
  runStreamScenario,
  type ScenarioResult,
  type ServerHandle,
  startBareEcho,
  startKitEcho,
  type StreamResult,
  serverCpuFigure,
  throughputFigure,
  writeResultsSection,
  echoCall,
} from '../harness';

const quick = process.argv.includes('--quick');
const durationSec = quick ? 2 : 5;
const warmupSec = quick ? 1 : 2;
const rounds = quick ? 1 : 2;
const closed = (concurrency: number): LoadShape => ({ mode: 'closed', concurrency });
const open = (ratePerSec: number): LoadShape => ({ mode: 'open', ratePerSec });

async function main(): Promise<void> {
  const bare = await startBareEcho();
  const kitJwt = await startKitEcho('jwt');
  const kitOff = await startKitEcho('disabled');
  const scenarios: ScenarioResult[] = [];
  const figures: Figure[] = [];
  const streams: StreamResult[] = [];
  const record = (label: string, comparison: Comparison): void => {
    scenarios.push(comparison.echo, comparison.target);
    const load = describeLoad(comparison.target.load);
    figures.push(latencyFigure(`${label} p50, ${load}`, comparison, 'p50'));
    figures.push(latencyFigure(`${label} p99, ${load}`, comparison, 'p99'));
    if (comparison.target.load.mode === 'closed') {
      figures.push(throughputFigure(`${label} throughput, ${load}`, comparison));
      const cpu = serverCpuFigure(`${label} server CPU per call, ${load}`, comparison);
      if (cpu) figures.push(cpu);
    }
  };
  try {
    const kitBest: number[] = [];
    for (const load of [closed(1), closed(16), closed(64)]) {
      console.log(`kit echo (JWT) vs bare: ${describeLoad(load)}`);
      const comparison = await compareKit(kitJwt, bare, load);
      kitBest.push(comparison.target.throughput);
      record('kit echo, JWT', comparison);
    }
    // Open loop below saturation, where latency is service time rather than queueing: fixed
    // 100/s, and 15 % and 30 % of the kit echo's best closed-loop rate measured just now (a
    // shared machine's capacity moves a lot within minutes; half of it was already too much).
    for (const rate of openRates(Math.max(...kitBest))) {
      const load = open(rate);
      console.log(`kit echo (JWT) vs bare: ${describeLoad(load)}`);
      record('kit echo, JWT', await compareKit(kitJwt, bare, load));
    }
    for (const load of [closed(1), closed(64)]) {
      console.log(`kit echo (auth disabled) vs bare: ${describeLoad(load)}`);
      record('kit echo, auth disabled', await compareKit(kitOff, bare, load));
    }
    for (const [server, window] of [[bare, 1], [bare, 64], [bare, 256], [kitJwt, 256]] as const) {
      console.log(`${server.name} stream: window ${window}`);
      const client = echoTarget(server.address).makeClient(server.address);
      try {
        streams.push(
          await runStreamScenario({
            name: `${server.name === 'bare-echo' ? 'bare' : 'kit (JWT)'} bidi EchoStream, 1 stream`,
            // The kit gives a call without a deadline 10 s (GRPC_DEFAULT_DEADLINE_MS): a
            // longer run needs its own, under the 60 s maximum.
            open: () => echoStreamSession(client, metadataOf(server), { deadline: Date.now() + 55_000 }),
            window,
            durationSec: durationSec * rounds,
            warmupSec,
          }),
        );
      } finally {
        client.close();
      }
    }
  } finally {
    await Promise.all([bare.stop(), kitJwt.stop(), kitOff.stop()]);
  }

  const bareClosed = scenarios.filter((s) => s.name.startsWith('bare echo') && s.load.mode === 'closed');
  const bestBare = Math.max(...bareClosed.map((s) => s.throughput));
  const bestStream = Math.max(...streams.filter((s) => s.name.startsWith('bare')).map((s) => s.messagesPerSec));
  const rendered = await writeResultsSection({
    title: 'Echo baseline',
    command: `npx tsx bench/echo/echo-bench.ts${quick ? ' --quick' : ''}`,
    summary: [
      `Every server runs in its own process; the load runs in the benchmark process through the generated`,
      '`testingV1.EchoServiceClient` over one HTTP/2 channel. **Bare** = raw grpc-js `Server`, no interceptors.',
      '**Kit** = the same EchoService through `createGrpcServer` + `createEchoRegistration` (auth and tenancy,',
      'error mapping, RED metrics, deadlines, health, reflection; no OTel SDK started, logs at `info`), with an ES256',
      'bearer token verified on every call (JWT) or in the development mode (auth disabled). The bare echo receives',
      `the same metadata (tenant, token) as the kit echo it is compared with. Each load ran ${rounds} interleaved`,
      `round(s) of ${durationSec} s per server after ${warmupSec} s warm-up. Open-loop rates: 100/s, then 15 % and 30 %`,
      `of the kit echo's best closed-loop rate in this run (meant to stay below saturation, so latency is service time, not queueing).`,
      '`server CPU per call` counts work done rather than time spent waiting for a core: on a busy machine it is the steadiest ratio.',
      `Bare echo best closed-loop throughput this run: **${Math.round(bestBare).toLocaleString('en-US')} calls/s**;`,
      `bare bidi-stream echo best message rate: **${Math.round(bestStream).toLocaleString('en-US')} msg/s**.`,
    ].join(' '),
    figures,
    scenarios,
    streams,
  });
  console.log(rendered);
}

/** 100/s, then 15 % and 30 % of `best` rounded to 50/s (at least 150/s, no duplicates). */
function openRates(best: number): number[] {
  const at = (fraction: number): number => Math.max(150, Math.round((best * fraction) / 50) * 50);
  return [...new Set([100, at(0.15), at(0.3)])].sort((a, b) => a - b);
}

function compareKit(kit: ServerHandle, bare: ServerHandle, load: LoadShape): Promise<Comparison> {
  const metadata = metadataOf(kit);
  return compareToEcho({
    ...load,
    name: `${kit.name} (${describeLoad(load)})`,
    echoServer: bare,
    echoMetadata: metadata,
    target: echoTarget(kit.address),
    call: (client) => echoCall(client, metadata),
    server: kit,
    durationSec,
    warmupSec,
    rounds,
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
