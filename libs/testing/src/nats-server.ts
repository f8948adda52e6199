import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './free-port';

/** Thrown when no nats-server binary can be found to start. */
export class NatsServerNotFoundError extends Error {
  constructor(tried: readonly string[]) {
    super(
      `nats-server not found (tried ${tried.join(', ')}). Install it (apt-get install nats-server) ` +
        'or point NATS_SERVER_BIN at the binary.',
    );
    this.name = 'NatsServerNotFoundError';
  }
}

/** Thrown when a nats-server process exits or stays silent before it reports that it is ready. */
export class NatsServerStartError extends Error {
  constructor(
    message: string,
    /** The last lines the server printed. */
    readonly log: string,
  ) {
    super(`${message}\n--- nats-server log ---\n${log}`);
    this.name = 'NatsServerStartError';
  }
}

export interface NatsServerOptions {
  /** Path of the binary; default `NATS_SERVER_BIN`, then `nats-server` on PATH, then /usr/sbin/nats-server. */
  binary?: string;
  /** Port to listen on (default: a free one). */
  port?: number;
  /** Enable JetStream with a temporary file store (default true). */
  jetstream?: boolean;
  /** How long to wait for "Server is ready" (default 15 s: the machine may be busy). */
  startTimeoutMs?: number;
  /** Extra command-line arguments. */
  args?: readonly string[];
}

/** A running nats-server owned by a test. */
export interface NatsServerFixture {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The JetStream store directory (kept across kill/restart, removed by stop). */
  readonly storeDir: string;
  /** Whether the process is running now. */
  readonly running: boolean;
  /** Graceful stop (SIGTERM, then SIGKILL after 5 s) and removal of the store. Idempotent. */
  stop(): Promise<void>;
  /** Kills the process at once (SIGKILL), keeping the store, as a crash would. */
  kill(): Promise<void>;
  /** Stops the process if it runs (gracefully) and starts it again on the same port and store. */
  restart(): Promise<void>;
}

const live = new Set<ServerProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Runs on every normal exit of the test process (including a failed test run): the servers must
  // not outlive it. A hard kill of the test process is covered by the watchdog instead.
  process.on('exit', () => {
    for (const server of live) server.destroySync();
  });
}

/** Resolves the nats-server binary, or throws NatsServerNotFoundError naming every place tried. */
export function findNatsServerBinary(explicit?: string, lastResort = '/usr/sbin/nats-server'): string {
  const fromEnv = process.env['NATS_SERVER_BIN'];
  const onPath = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'nats-server'));
  const candidates = [explicit, fromEnv, ...onPath, lastResort].filter((c): c is string => !!c);
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  const tried = [
    ...(explicit ? [`option binary=${explicit}`] : []),
    fromEnv ? `NATS_SERVER_BIN=${fromEnv}` : 'NATS_SERVER_BIN (unset)',
    'nats-server on PATH',
    lastResort,
  ];
  throw new NatsServerNotFoundError(tried);
}

class ServerProcess implements NatsServerFixture {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private watchdog: ChildProcess | undefined;
  private stopped = false;
  private logLines: string[] = [];

  constructor(
    private readonly binary: string,
    readonly port: number,
    private readonly root: string,
    private readonly options: NatsServerOptions,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get storeDir(): string {
    return join(this.root, 'jetstream');
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get log(): string {
    return this.logLines.join('\n');
  }

  async start(): Promise<void> {
    if (this.stopped) throw new Error('this nats-server fixture was stopped; start a new one');
    if (this.child) return;
    const args = ['-a', '127.0.0.1', '-p', String(this.port)];
    if (this.options.jetstream !== false) args.push('-js', '-sd', this.storeDir);
    args.push(...(this.options.args ?? []));
    const child = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    writeFileSync(join(this.root, 'pid'), String(child.pid ?? ''));
    this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      if (this.child === child) this.child = undefined;
    });
    const timeoutMs = this.options.startTimeoutMs ?? 15000;
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      const onData = (chunk: Buffer): void => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          this.logLines.push(line);
          if (this.logLines.length > 200) this.logLines.shift();
          if (line.includes('Server is ready')) finish();
        }
      };
      const timer = setTimeout(() => {
        fail(new NatsServerStartError(`nats-server not ready after ${timeoutMs} ms`, this.log));
        child.kill('SIGKILL');
      }, timeoutMs);
      const onExit = (code: number | null, signal: string | null): void =>
        fail(new NatsServerStartError(`nats-server exited before it was ready (code ${code}, signal ${signal})`, this.log));
      const onError = (err: Error): void => fail(new NatsServerStartError(`nats-server could not start: ${err.message}`, this.log));
      let settled = false;
      const finish = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('error', onError);
        resolve();
      };
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };
      // Both streams: the server logs to stderr, keep stdout drained so it never blocks.
      child.stderr?.on('data', onData);
      child.stdout?.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  }

  /**
   * A detached shell that outlives a hard-killed test process: once the test process is gone it
   * kills the server (whose pid it reads from a file, as restarts change it) and removes the store.
   */
  startWatchdog(): void {
    const pidFile = join(this.root, 'pid');
    const script =
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
      `kill -9 "$(cat '${pidFile}' 2>/dev/null)" 2>/dev/null; rm -rf '${this.root}'`;
    this.watchdog = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
    this.watchdog.unref();
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  private async terminate(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.terminate();
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.terminate();
    this.stopped = true;
    this.cleanup();
  }

  /** For the exit hook: no promises, no waiting. */
  destroySync(): void {
    this.child?.kill('SIGKILL');
    this.stopped = true;
    this.cleanup();
  }

  private cleanup(): void {
    live.delete(this);
    if (this.watchdog?.pid !== undefined) {
      try {
        process.kill(this.watchdog.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * Starts a nats-server with JetStream on a free port and a temporary store directory, and resolves
 * once it reports that it is ready. The server is stopped and its store removed by `stop()`, at the
 * latest when the test process exits, and by a watchdog if the test process is killed.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerFixture> {
  const binary = findNatsServerBinary(options.binary);
  installExitHook();
  // A free port can be taken by someone else before the server binds it: retry with another one.
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort());
    const root = mkdtempSync(join(tmpdir(), 'continuum-nats-'));
    const server = new ServerProcess(binary, port, root, options);
    live.add(server);
    server.startWatchdog();
    try {
      await server.start();
      return server;
    } catch (err) {
      lastError = err;
      await server.stop();
    }
  }
  throw lastError;
}
