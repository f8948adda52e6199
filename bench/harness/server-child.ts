/**
 * Entry point of a forked server process: imports the server module named in the environment,
 * starts it, and answers the parent's memory/CPU samples and stop request over IPC. If the
 * parent goes away (a benchmark crashed or was interrupted) the server stops too, so no
 * orphan keeps a port and a core busy on a shared machine.
 */
import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BenchServer, ChildMessage, ParentMessage, ProcessSample, StartBenchServer } from './server-protocol';

/**
 * `BENCH_CPU_PROFILE_DIR=dir`: the server process records a V8 CPU profile from the moment it
 * serves (seeding excluded) until it stops, into `dir/<module>-<pid>.cpuprofile` (open it in
 * Chrome DevTools or speedscope). Figures taken while profiling are not for the record.
 */
async function startProfiling(modulePath: string): Promise<(() => Promise<void>) | undefined> {
  const dir = process.env['BENCH_CPU_PROFILE_DIR'];
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    const file = path.join(dir, `${path.basename(modulePath, '.ts')}-${process.pid}.cpuprofile`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
    console.error(`bench: CPU profile written to ${file}`);
    session.disconnect();
  };
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

function sample(gc: boolean): ProcessSample {
  const collect = (globalThis as { gc?: () => void }).gc;
  // Two passes: the first may only move objects to the old generation's free lists.
  if (gc && collect) {
    collect();
    collect();
  }
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    cpuMicros: cpu.user + cpu.system,
  };
}

async function main(): Promise<void> {
  const modulePath = process.env['BENCH_SERVER_MODULE'];
  const exportName = process.env['BENCH_SERVER_EXPORT'] ?? 'start';
  const options = JSON.parse(process.env['BENCH_SERVER_OPTIONS'] ?? '{}') as Record<string, unknown>;
  if (!modulePath) throw new Error('BENCH_SERVER_MODULE is not set');
  const loaded = (await import(modulePath)) as Record<string, unknown>;
  const start = loaded[exportName] as StartBenchServer | undefined;
  if (typeof start !== 'function') throw new Error(`${modulePath} does not export a function ${exportName}`);

  // Assigned once start() resolves; a stop request can arrive before that.
  let server: BenchServer | undefined = undefined;
  let stopping: Promise<void> | undefined;
  let stopProfiling: (() => Promise<void>) | undefined = undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await stopProfiling?.();
      await server?.stop();
      send({ type: 'stopped' });
      process.disconnect?.();
      process.exit(0);
    })());

  process.on('message', (message: ParentMessage) => {
    if (message.type === 'sample') send({ type: 'sample', id: message.id, sample: sample(message.gc) });
    if (message.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());

  server = await start(options);
  stopProfiling = await startProfiling(modulePath);
  send({ type: 'ready', address: server.address, info: { ...server.info }, clientMetadata: { ...server.clientMetadata } });
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
