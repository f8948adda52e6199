/**
 * The routing service as the benchmark's target, in its own process: the real module from
 * apps/routing behind the kit's gRPC server (auth disabled), the embedded store, the in-process
 * bus with the outbox relay running, and CONTEXT_ADDRESS pointing at the context double.
 * Seeds two tenants through the handlers (same validation and transactions, no network):
 * `bench` with one chat queue, and `bench60k` with one chat queue and `agents60k` agents.
 */
import { commonV1, routingV1 } from '@continuum/contracts';
import { createGrpcServer, createLogger, loadConfig, type CallContext } from '@continuum/kit';
import { createInProcessBus } from '@continuum/events';
import { createEmbeddedStore } from '@continuum/store';
import { ROUTING_ERROR_DOMAIN, createRoutingService, routingConfigSchema } from '@continuum/routing';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import type { BenchServer } from '../harness/server-protocol';

/**
 * `ROUTING_BENCH_ALLOCATIONS=file.heapprofile`: the server samples every allocation (V8's sampling
 * heap profiler, collected objects included) from serving to stop and writes the profile there.
 *
 * `ROUTING_BENCH_TRACE=1`: every second the server prints to stderr its main thread's CPU, the
 * whole process's, event-loop utilisation, GC pause time and heap (diagnosis, not for the record).
 */
function traceEverySecond(counters: () => string): () => void {
  let gcMs = 0;
  let gcCount = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcCount++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  let thread = process.threadCpuUsage();
  let proc = process.cpuUsage();
  let elu = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const t = process.threadCpuUsage(thread);
    const p = process.cpuUsage(proc);
    const e = performance.eventLoopUtilization(elu);
    thread = process.threadCpuUsage();
    proc = process.cpuUsage();
    elu = performance.eventLoopUtilization();
    const m = process.memoryUsage();
    console.error(
      `routing-trace main ${((t.user + t.system) / 1e6).toFixed(2)} process ${((p.user + p.system) / 1e6).toFixed(2)} elu ${e.utilization.toFixed(2)} gc ${gcMs.toFixed(0)} ms/${gcCount} heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB ${counters()}`,
    );
    gcMs = 0;
    gcCount = 0;
  }, 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    observer.disconnect();
  };
}

export interface RoutingServerOptions {
  readonly contextAddress: string;
  /** Agents of the large tenant. */
  readonly agents60k: number;
}

const SKILLS = ['returns', 'billing', 'tech', 'sales', 'b2b', 'german', 'french', 'spanish'];

export async function start(options: RoutingServerOptions): Promise<BenchServer> {
  const config = loadConfig(routingConfigSchema, { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', AUTH_MODE: 'disabled', LOG_LEVEL: 'silent' });
  const logger = createLogger({ service: 'routing', level: 'silent' });
  const store = createEmbeddedStore();
  const bus = createInProcessBus({ maxMessagesPerStream: 10_000_000 });
  const module = await createRoutingService({ store, bus, logger, contextAddress: options.contextAddress, contextDeadlineMs: 500, offerTimeoutMs: 60_000 });
  await module.start();
  const registration = module.registrations[0];
  if (!registration) throw new Error('the routing module registered no service');
  const handlers = registration.handlers as unknown as {
    createQueue(req: routingV1.CreateQueueRequest, ctx: CallContext): Promise<unknown>;
    createAgent(req: routingV1.CreateAgentRequest, ctx: CallContext): Promise<unknown>;
    updateRoutingPolicy(req: routingV1.UpdateRoutingPolicyRequest, ctx: CallContext): Promise<unknown>;
  };
  const ctxOf = (tenantId: string): CallContext => ({ tenantId, signal: new AbortController().signal, log: logger, deadline: new Date(Date.now() + 3_600_000) }) as unknown as CallContext;
  const chatQueue = routingV1.Queue.fromPartial({
    queueId: 'chat-returns',
    displayName: 'Chat returns',
    channel: commonV1.Channel.CHANNEL_CHAT,
    serviceLevel: { fraction: 0.8, thresholdSeconds: 20 },
    patienceSeconds: 120,
    requiredSkills: [{ skill: 'returns', minProficiency: 3 }],
    priority: 10,
  });
  // Short preferred-agent and team windows: a customer whose case owner is busy waits 2 s for them, not 20.
  const policy = routingV1.RoutingPolicy.fromPartial({
    agingPointsPerPatience: 10,
    preferredAgentWindowSeconds: 2,
    teamWindowSeconds: 2,
    rings: [{ afterSeconds: 30, proficiencyRelax: 2 }, { afterSeconds: 60, proficiencyRelax: 9, dropSecondarySkills: true }],
    segmentRules: [{ segmentId: 'vip', priorityBoost: 30, firstRingMinProficiency: 7, capacityOverrides: [{ channel: commonV1.Channel.CHANNEL_CHAT, maxConcurrent: 1 }] }],
    rejectCooldownSeconds: 30,
  });
  for (const tenant of ['bench', 'bench60k']) {
    await handlers.createQueue({ queue: chatQueue, requestId: '' }, ctxOf(tenant));
    await handlers.updateRoutingPolicy({ policy, expectedVersion: 0, requestId: '' }, ctxOf(tenant));
  }
  const started = Date.now();
  const ctx = ctxOf('bench60k');
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < options.agents60k; i++) {
    const skills = [{ skill: 'returns', proficiency: 1 + (i % 10) }, { skill: SKILLS[1 + (i % 7)] ?? 'billing', proficiency: 1 + ((i * 7) % 10) }];
    pending.push(
      handlers.createAgent(
        routingV1.CreateAgentRequest.fromPartial({
          agent: { agentId: `agt-${i}`, displayName: `Agent ${i}`, teamId: `team-${i % 600}`, skills, capacities: [{ channel: commonV1.Channel.CHANNEL_CHAT, maxConcurrent: 3 }, { channel: commonV1.Channel.CHANNEL_EMAIL, maxConcurrent: 5 }] },
        }),
        ctx,
      ),
    );
    if (pending.length >= 256) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  const seedSeconds = (Date.now() - started) / 1000;
  const server = createGrpcServer({ serviceName: 'routing', domain: ROUTING_ERROR_DOMAIN, config, logger, registrations: module.registrations });
  const port = await server.start();
  let transactions = 0;
  let published = 0;
  if (process.env['ROUTING_BENCH_TRACE']) {
    const withTransaction = store.withTransaction.bind(store);
    store.withTransaction = (body) => {
      transactions++;
      return withTransaction(body);
    };
  }
  const heapFile = process.env['ROUTING_BENCH_ALLOCATIONS'];
  const heapSession = heapFile ? new Session() : undefined;
  if (heapSession) {
    heapSession.connect();
    await heapSession.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  const stopTrace = process.env['ROUTING_BENCH_TRACE']
    ? traceEverySecond(() => {
        const p = module.relayStats?.published ?? 0;
        const line = `transactions ${transactions} published ${p - published}`;
        transactions = 0;
        published = p;
        return line;
      })
    : undefined;
  return {
    address: `127.0.0.1:${port}`,
    info: { agents60k: options.agents60k, seedSeconds },
    clientMetadata: { 'x-tenant-id': 'bench' },
    stop: async () => {
      stopTrace?.();
      if (heapSession && heapFile) {
        const { profile } = await heapSession.post('HeapProfiler.stopSampling');
        writeFileSync(heapFile, JSON.stringify(profile));
        heapSession.disconnect();
      }
      await server.shutdown(1_000);
      await module.stop();
      await bus.close();
    },
  };
}
