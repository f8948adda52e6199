/**
 * Entry point of a forked server process: imports the server module named in the environment,
 * starts it, and answers the parent's memory/CPU samples and stop request over IPC. If the
 * parent goes away (a benchmark crashed or was interrupted) the server stops too, so no
 * orphan keeps a port and a core busy on a shared machine.
 */
import type { BenchServer, ChildMessage, ParentMessage, ProcessSample, StartBenchServer } from './server-protocol';

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
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
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
  send({ type: 'ready', address: server.address, info: { ...server.info }, clientMetadata: { ...server.clientMetadata } });
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
