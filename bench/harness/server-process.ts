import { type ChildProcess, fork } from 'node:child_process';
import { Metadata } from '@grpc/grpc-js';
import * as path from 'node:path';
import type { ChildMessage, ParentMessage, ProcessSample } from './server-protocol';

/** Thrown when a benchmark server process fails to start or stops answering. */
export class BenchServerError extends Error {
  override readonly name = 'BenchServerError';
}

export interface StartServerOptions<O> {
  /** Label used in reports and logs (`bare-echo`, `identity`). */
  readonly name: string;
  /** Absolute path of the server module (use `path.join(__dirname, 'x-server.ts')`). */
  readonly module: string;
  /** Exported start function; default `start`. */
  readonly exportName?: string;
  /** JSON-serializable options handed to the start function. */
  readonly options?: O;
  /** Time allowed for start-up (seeding a large data set takes a while); default 120 s. */
  readonly startTimeoutSec?: number;
  /** Extra environment for the server process (e.g. LOG_LEVEL). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A server under test running in its own process. */
export interface ServerHandle {
  readonly name: string;
  readonly address: string;
  readonly pid: number;
  readonly info: Readonly<Record<string, string | number | boolean>>;
  /** Metadata every call to this server must carry (tenant, bearer token): see `metadataOf`. */
  readonly clientMetadata: Readonly<Record<string, string>>;
  /** Memory and CPU of the server process now; `gc: true` collects garbage first (live heap). */
  sample(options?: { gc?: boolean }): Promise<ProcessSample>;
  /** Asks the server to stop and waits for the process to exit (killed after 10 s). */
  stop(): Promise<void>;
}

const childEntry = path.join(__dirname, 'server-child.ts');

/**
 * Forks a process that runs `module`'s start function and resolves once it serves. The child
 * inherits this process's exec arguments (the tsx loader and the `@continuum/source` condition)
 * and gets `--expose-gc` so the live heap can be measured.
 */
export function startServer<O>(options: StartServerOptions<O>): Promise<ServerHandle> {
  const child = fork(childEntry, [], {
    execArgv: [...process.execArgv.filter((arg) => arg !== '--expose-gc'), '--expose-gc'],
    env: {
      ...process.env,
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
      ...options.env,
      BENCH_SERVER_MODULE: options.module,
      BENCH_SERVER_EXPORT: options.exportName ?? 'start',
      BENCH_SERVER_OPTIONS: JSON.stringify(options.options ?? {}),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const timeoutMs = (options.startTimeoutSec ?? 120) * 1000;

  return new Promise<ServerHandle>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new BenchServerError(`${options.name}: not serving after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new BenchServerError(`${options.name}: server process exited with ${code} before serving`));
    };
    child.once('exit', onExit);
    child.on('message', function onStart(message: ChildMessage) {
      if (message.type === 'failed') {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.kill('SIGKILL');
        reject(new BenchServerError(`${options.name}: start failed: ${message.message}`));
      } else if (message.type === 'ready') {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('message', onStart);
        resolve(handle(options.name, child, message));
      }
    });
  });
}

function handle(name: string, child: ChildProcess, ready: Extract<ChildMessage, { type: 'ready' }>): ServerHandle {
  let nextId = 0;
  const waiting = new Map<number, (sample: ProcessSample) => void>();
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'sample') {
      waiting.get(message.id)?.(message.sample);
      waiting.delete(message.id);
    }
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  return {
    name,
    address: ready.address,
    pid: child.pid ?? -1,
    info: ready.info,
    clientMetadata: ready.clientMetadata,
    sample({ gc = false } = {}) {
      return new Promise<ProcessSample>((resolve, reject) => {
        if (!child.connected) {
          reject(new BenchServerError(`${name}: server process is gone`));
          return;
        }
        const id = nextId++;
        // A server that stopped answering must fail the benchmark, not hang it.
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new BenchServerError(`${name}: no memory/CPU sample within 30 s`));
        }, 30_000);
        waiting.set(id, (sample) => {
          clearTimeout(timer);
          resolve(sample);
        });
        child.send({ type: 'sample', id, gc } satisfies ParentMessage);
      });
    },
    async stop() {
      if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(kill);
    },
  };
}

/** A server's required call metadata as grpc-js Metadata (a fresh object: grpc-js may mutate it). */
export function metadataOf(server: Pick<ServerHandle, 'clientMetadata'>): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(server.clientMetadata)) metadata.set(key, value);
  return metadata;
}
