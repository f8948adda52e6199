/**
 * Echo baselines: the bare grpc-js echo against the kit's echo (every interceptor, auth off),
 * closed loop at 1, 16 and 64 in flight and open loop at fixed rates, plus the bare bidi-stream
 * echo's message rate. Writes `## Echo baseline` in bench/RESULTS.md.
 *
 *   npx tsx bench/echo/echo-bench.ts            (about 4 minutes)
 *   npx tsx bench/echo/echo-bench.ts --quick    (about 1 minute; smoke test, not for the record)
 */
import {
  type Comparison,
  compareToEcho,
  echoCall,
  echoStreamSession,
  echoTarget,
  type Figure,
  latencyFigure,
  type LoadShape,
  runScenario,
  runStreamScenario,
  type ScenarioResult,
  type ServerHandle,
  startBareEcho,
  startKitEcho,
  type StreamResult,
  throughputFigure,
  writeResultsSection,
} from '../harness';

const quick = process.argv.includes('--quick');
const durationSec = quick ? 2 : 5;
const warmupSec = quick ? 1 : 2;
const rounds = quick ? 1 : 2;
const closedLoads: LoadShape[] = [1, 16, 64].map((concurrency) => ({ mode: 'closed', concurrency }));
const openLoads: LoadShape[] = [500, 1000, 2000, 3000].map((ratePerSec) => ({ mode: 'open', ratePerSec }));

async function main(): Promise<void> {
  const bare = await startBareEcho();
  const kit = await startKitEcho().catch((error: unknown) => {
    console.warn(`kit echo not measured: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return undefined;
  });
  const scenarios: ScenarioResult[] = [];
  const figures: Figure[] = [];
  const streams: StreamResult[] = [];
  try {
    for (const load of [...closedLoads, ...openLoads]) {
      const label = load.mode === 'closed' ? `${load.concurrency} in flight` : `${load.ratePerSec}/s open loop`;
      console.log(`echo: ${label}`);
      if (kit) {
        const comparison = await compareKit(kit, bare, load);
        scenarios.push(comparison.echo, comparison.target);
        figures.push(latencyFigure(`kit echo p50, ${label}`, comparison, 'p50'));
        figures.push(latencyFigure(`kit echo p99, ${label}`, comparison, 'p99'));
        if (load.mode === 'closed') figures.push(throughputFigure(`kit echo throughput, ${label}`, comparison));
      } else {
        scenarios.push(
          await runScenario({
            ...load,
            name: `bare echo (${label})`,
            target: echoTarget(bare.address),
            call: (client) => echoCall(client),
            durationSec: durationSec * rounds,
            warmupSec,
            server: bare,
          }),
        );
      }
    }
    for (const window of [1, 64, 256]) {
      console.log(`echo stream: window ${window}`);
      const client = echoTarget(bare.address).makeClient(bare.address);
      try {
        streams.push(
          await runStreamScenario({
            name: `bare bidi EchoStream, 1 stream`,
            open: () => echoStreamSession(client),
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
    await Promise.all([bare.stop(), kit?.stop()]);
  }

  const bestBare = Math.max(...scenarios.filter((s) => s.name.startsWith('bare echo') && s.load.mode === 'closed').map((s) => s.throughput));
  const bestStream = Math.max(...streams.map((s) => s.messagesPerSec));
  const rendered = await writeResultsSection({
    title: 'Echo baseline',
    command: `npx tsx bench/echo/echo-bench.ts${quick ? ' --quick' : ''}`,
    summary:
      `Both echo servers run in their own process; the load runs in the benchmark process through the generated ` +
      `\`testingV1.EchoServiceClient\` over one HTTP/2 channel. Bare = raw grpc-js \`Server\` (no interceptors); kit = ` +
      `\`continuum.testing.v1.EchoService\` through the kit's server factory with every interceptor, auth in development mode. ` +
      `Each load ran ${rounds} interleaved round(s) of ${durationSec} s (after ${warmupSec} s warm-up) per server. ` +
      `Bare echo best closed-loop throughput this run: ${Math.round(bestBare).toLocaleString('en-US')} calls/s; ` +
      `bare bidi-stream echo best message rate: ${Math.round(bestStream).toLocaleString('en-US')} msg/s.`,
    figures,
    scenarios,
    streams,
    notes: kit
      ? []
      : ['The kit echo was not measured: `@continuum/kit` does not export an echo service and server factory yet (libs/kit/src/echo has not landed). Only the bare baseline is recorded.'],
  });
  console.log(rendered);
}

function compareKit(kit: ServerHandle, bare: ServerHandle, load: LoadShape): Promise<Comparison> {
  const label = load.mode === 'closed' ? `${load.concurrency} in flight` : `${load.ratePerSec}/s open loop`;
  return compareToEcho({
    ...load,
    name: `kit echo (${label})`,
    echoServer: bare,
    target: echoTarget(kit.address),
    call: (client) => echoCall(client),
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
