import type { Metadata } from '@grpc/grpc-js';
import { ErrorCounts } from './error-codes';
import { LatencyHistogram } from './histogram';
import { echoCall, echoTarget } from './echo-baseline';
import { type LoadShape, runScenario, type ScenarioResult, type ScenarioSpec } from './scenario';
import type { ServerHandle } from './server-process';

export type CompareSpec<C> = ScenarioSpec<C> & {
  /** The bare echo server (startBareEcho) measured under the same load, in the same run. */
  readonly echoServer: ServerHandle;
  /**
   * Alternate echo and target this many times (echo, target, echo, target, ...) and merge each
   * side's rounds, so a neighbour's burst on the shared machine lands on both; default 2.
   * `durationSec` and `warmupSec` are per round.
   */
  readonly rounds?: number;
  /**
   * Metadata of the echo calls; default a tenant only. Pass the target's (metadataOf(server))
   * so both carry the same bytes, e.g. the same bearer token.
   */
  readonly echoMetadata?: Metadata;
};

export interface Comparison {
  readonly target: ScenarioResult;
  readonly echo: ScenarioResult;
}

/**
 * Measures `spec` and the bare echo under exactly the same load shape (mode, concurrency or
 * rate, duration, warm-up, channels), interleaved, so every figure of the target can be read as
 * a ratio to the echo measured on this machine at this moment.
 */
export async function compareToEcho<C extends { close(): void }>(spec: CompareSpec<C>): Promise<Comparison> {
  const rounds = Math.max(1, spec.rounds ?? 2);
  const echoRounds: ScenarioResult[] = [];
  const targetRounds: ScenarioResult[] = [];
  for (let r = 0; r < rounds; r++) {
    echoRounds.push(
      await runScenario({
        ...spec,
        name: `bare echo (${describeLoad(spec)})`,
        target: echoTarget(spec.echoServer.address, spec.target.channels ?? 1),
        call: (client) => echoCall(client, spec.echoMetadata),
        server: spec.echoServer,
      }),
    );
    targetRounds.push(await runScenario(spec));
  }
  return { echo: mergeRounds(echoRounds), target: mergeRounds(targetRounds) };
}

/** `64 in flight` or `2,000/s`. */
export function describeLoad(load: LoadShape): string {
  return load.mode === 'closed' ? `${load.concurrency} in flight` : `${load.ratePerSec.toLocaleString('en-US')}/s open loop`;
}

/**
 * One result from several rounds of the same scenario: histograms added (percentiles over every
 * call), throughput = all completions over all measured time, server peak RSS the highest and
 * server CPU per call averaged by calls.
 */
export function mergeRounds(rounds: readonly ScenarioResult[]): ScenarioResult {
  const first = rounds[0];
  if (!first) throw new RangeError('mergeRounds needs at least one round');
  if (rounds.length === 1) return first;
  const histogram = new LatencyHistogram();
  const errors = new ErrorCounts();
  let completed = 0;
  let seconds = 0;
  let cpuMicros = 0;
  let cpuSeconds = 0;
  let loadSeconds = 0;
  for (const round of rounds) {
    loadSeconds += round.loadCores * round.durationSec;
    histogram.add(round.histogram);
    errors.merge(round.errors);
    completed += round.completed;
    seconds += round.durationSec;
    if (round.server) {
      cpuMicros += round.server.cpuMicrosPerCall * round.completed;
      cpuSeconds += round.server.cpuCores * round.durationSec;
    }
  }
  const servers = rounds.flatMap((round) => (round.server ? [round.server] : []));
  const lastServer = servers[servers.length - 1];
  return {
    ...first,
    durationSec: seconds,
    throughput: completed / seconds,
    completed,
    latency: histogram.summary(),
    errors: errors.toRecord(),
    errorCount: errors.total,
    loadCores: loadSeconds / seconds,
    histogram,
    ...(lastServer
      ? {
          server: {
            peakRss: Math.max(...servers.map((s) => s.peakRss)),
            end: lastServer.end,
            cpuMicrosPerCall: completed > 0 ? cpuMicros / completed : 0,
            cpuCores: cpuSeconds / seconds,
          },
        }
      : {}),
  };
}
