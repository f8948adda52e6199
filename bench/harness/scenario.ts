import { type Clock, NS_PER_SEC, realClock } from './clock';
import { runClosedLoop } from './closed-loop';
import type { LatencyHistogram, LatencySummary } from './histogram';
import { type LoopResult, runOpenLoop } from './open-loop';
import type { ServerHandle } from './server-process';
import type { ProcessSample } from './server-protocol';

/** How load is offered: a fixed number of calls in flight, or a fixed arrival rate. */
export type LoadShape =
  | { readonly mode: 'closed'; readonly concurrency: number }
  | { readonly mode: 'open'; readonly ratePerSec: number; readonly maxInFlight?: number };

export type LoadSpec = LoadShape & {
  /** Scenario name as it appears in the results (`Resolve, 64 in flight`). */
  readonly name: string;
  /** Measured seconds (after warm-up). */
  readonly durationSec: number;
  /** Seconds of load before measuring starts; default 2. */
  readonly warmupSec?: number;
  /** The server whose memory and CPU to sample during the run. */
  readonly server?: ServerHandle;
  /** Seconds to wait for calls still in flight at the end; default 10. */
  readonly drainTimeoutSec?: number;
  /** Injected for tests; default the process clock. */
  readonly clock?: Clock;
};

/** Server process figures over the measured window. */
export interface ServerUsage {
  /** Highest RSS sampled during the run, bytes. */
  readonly peakRss: number;
  /** RSS and heap at the end of the run (no GC forced). */
  readonly end: ProcessSample;
  /** Server CPU time per successful call, microseconds: the cost of a call, less sensitive to noise than latency. */
  readonly cpuMicrosPerCall: number;
  /** Server CPU use over the run as a fraction of one core (1 = one core busy the whole time). */
  readonly cpuCores: number;
}

export interface ScenarioResult {
  readonly name: string;
  readonly load: LoadShape;
  readonly durationSec: number;
  readonly warmupSec: number;
  /** Successful calls per second inside the measured window. */
  readonly throughput: number;
  readonly completed: number;
  readonly latency: LatencySummary;
  /** Open loop: how late the generator itself sent calls (p50/p99 of it should be small next to latency). */
  readonly sendLag?: LatencySummary;
  readonly errors: Readonly<Record<string, number>>;
  readonly errorCount: number;
  readonly server?: ServerUsage;
  /**
   * CPU of the load-generating process over the run, as a fraction of one core. Near 1 the
   * generator itself is the limit (one event loop), which caps echo and target alike.
   */
  readonly loadCores: number;
  /** The raw histogram (to merge rounds). */
  readonly histogram: LatencyHistogram;
}

/**
 * Runs `call(i)` under the given load and measures it. `call` is anything asynchronous: a gRPC
 * call through a generated client (see runScenario for the usual form), a store operation, a
 * publish. Failed calls are counted by gRPC status name and kept out of the latency histogram.
 */
export async function runLoad(spec: LoadSpec & { readonly call: (i: number) => Promise<unknown> }): Promise<ScenarioResult> {
  const clock = spec.clock ?? realClock;
  const warmupSec = spec.warmupSec ?? 2;
  const drainTimeoutSec = spec.drainTimeoutSec ?? 10;
  const monitor = spec.server ? await ServerMonitor.begin(spec.server) : undefined;
  // Memory is sampled all run long (the peak matters); CPU over the measured window only, from the
  // end of the warm-up to the end of the window, so the calls completed in it pay for it (the
  // drain of calls still queued after the window is neither counted nor charged).
  const cpuAtWindow = monitor?.cpuAfter(warmupSec);
  const cpuAtWindowEnd = monitor?.cpuAfter(warmupSec + spec.durationSec);

  const loadCpuAtStart = process.cpuUsage();
  const result: LoopResult =
    spec.mode === 'closed'
      ? await runClosedLoop(spec.call, { concurrency: spec.concurrency, warmupSec, durationSec: spec.durationSec, drainTimeoutSec }, clock)
      : await runOpenLoop(
          spec.call,
          { ratePerSec: spec.ratePerSec, warmupSec, durationSec: spec.durationSec, drainTimeoutSec, maxInFlight: spec.maxInFlight ?? 10_000 },
          clock,
        );
  const loadCpu = process.cpuUsage(loadCpuAtStart);
  const loadCores = (loadCpu.user + loadCpu.system) / ((warmupSec + spec.durationSec) * 1e6);
  const server = monitor && cpuAtWindow && cpuAtWindowEnd ? await monitor.end(await cpuAtWindow, await cpuAtWindowEnd, result.completed, result.measuredNs) : undefined;
  const errorCount = Object.values(result.errors).reduce((a, b) => a + b, 0);
  const load: LoadShape =
    spec.mode === 'closed' ? { mode: 'closed', concurrency: spec.concurrency } : { mode: 'open', ratePerSec: spec.ratePerSec };
  return {
    name: spec.name,
    load,
    durationSec: spec.durationSec,
    warmupSec,
    throughput: result.completed / (result.measuredNs / NS_PER_SEC),
    completed: result.completed,
    latency: result.latency.summary(),
    ...(result.sendLag ? { sendLag: result.sendLag.summary() } : {}),
    errors: result.errors,
    errorCount,
    loadCores,
    ...(server ? { server } : {}),
    histogram: result.latency,
  };
}

/** A gRPC target: where it listens and how to make a generated client for it. */
export interface GrpcTarget<C> {
  readonly address: string;
  /** e.g. `(address) => new identityV1.IdentityServiceClient(address, credentials.createInsecure())`. */
  readonly makeClient: (address: string) => C;
  /**
   * Client channels to spread calls over (call i uses channel i mod n); default 1, like a real
   * service calling another. More channels means more HTTP/2 connections.
   */
  readonly channels?: number;
}

export type ScenarioSpec<C> = LoadSpec & {
  readonly target: GrpcTarget<C>;
  /** One call; `i` counts calls from 0 (use it to vary the request). */
  readonly call: (client: C, i: number) => Promise<unknown>;
};

/**
 * Runs one scenario against a gRPC target through the project's generated client. The clients
 * are made before the run, connected by the warm-up, and closed after.
 */
export async function runScenario<C extends { close(): void }>(spec: ScenarioSpec<C>): Promise<ScenarioResult> {
  const channels = Math.max(1, spec.target.channels ?? 1);
  const clients = Array.from({ length: channels }, () => spec.target.makeClient(spec.target.address));
  try {
    return await runLoad({ ...spec, call: (i) => spec.call(clients[i % channels] as C, i) });
  } finally {
    for (const client of clients) client.close();
  }
}

/** Samples a server process's memory every 250 ms while a run lasts. */
class ServerMonitor {
  private peakRss = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();

  private constructor(private readonly server: ServerHandle) {}

  static async begin(server: ServerHandle): Promise<ServerMonitor> {
    const monitor = new ServerMonitor(server);
    await monitor.take();
    monitor.timer = setInterval(() => {
      monitor.pending = monitor.take();
    }, 250);
    return monitor;
  }

  /** The server's CPU counter `afterSec` from now (the window's opening or end; servers run on real time only). */
  async cpuAfter(afterSec: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, afterSec * 1000));
    return (await this.server.sample()).cpuMicros;
  }

  async end(cpuAtStart: number, cpuAtEnd: number, calls: number, windowNs: number): Promise<ServerUsage> {
    clearInterval(this.timer);
    await this.pending;
    const end = await this.server.sample();
    this.peakRss = Math.max(this.peakRss, end.rss);
    const cpuMicros = cpuAtEnd - cpuAtStart;
    return {
      peakRss: this.peakRss,
      end,
      cpuMicrosPerCall: calls > 0 ? cpuMicros / calls : 0,
      cpuCores: cpuMicros / (windowNs / 1000),
    };
  }

  private async take(): Promise<void> {
    try {
      const s = await this.server.sample();
      this.peakRss = Math.max(this.peakRss, s.rss);
    } catch {
      // The server may be stopping; the final sample reports that.
    }
  }
}
