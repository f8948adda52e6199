import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { resolve } from 'node:path';
import { waitFor } from '@continuum/testing';

/** The repository root: every process runs from it, like the README's commands. */
export const ROOT = resolve(__dirname, '../../../..');

/** `node --conditions=@continuum/source --import tsx <main>`: how every app runs from source. */
export function nodeArgs(main: string, args: readonly string[] = []): string[] {
  return ['--conditions=@continuum/source', '--import', 'tsx', main, ...args];
}

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

/** A platform process started by a test: its output kept for failure messages, always stopped. */
export class ManagedProcess {
  private output: string[] = [];
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString('utf8'));
      if (this.output.length > 400) this.output.splice(0, this.output.length - 400);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    void this.exited.then(() => live.delete(this));
  }

  /** Starts `main` (a path under the repository root) with `env` added to this process's environment. */
  static start(name: string, main: string, env: Readonly<Record<string, string>>): ManagedProcess {
    installExitHook();
    const child = spawn(process.execPath, nodeArgs(main), {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const managed = new ManagedProcess(name, child);
    live.add(managed);
    if (child.pid !== undefined) watchdog(child.pid);
    return managed;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last lines it printed (for failure messages). */
  log(lines = 60): string {
    return this.output.join('').split('\n').slice(-lines).join('\n');
  }

  /** Waits until GET http://127.0.0.1:<adminPort>/readyz answers 200; fails early if the process dies. */
  async ready(adminPort: number, timeoutMs = 90_000): Promise<void> {
    await waitFor(
      async () => {
        if (!this.running) throw new Error(`${this.name} exited during start-up:\n${this.log()}`);
        return (await httpStatus(`http://127.0.0.1:${adminPort}/readyz`)) === 200;
      },
      { timeoutMs, intervalMs: 200, description: `${this.name} to be ready` },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- ${this.name} output ---\n${this.log()}`);
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** A test process that ends (normally or by a failure) never leaves platform processes behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const managed of live) {
      try {
        if (managed.pid !== undefined) process.kill(managed.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/**
 * A detached shell that outlives a hard-killed test process (where no exit hook runs): once the
 * test process is gone it kills the platform process. It ends by itself when the platform process
 * ends first.
 */
function watchdog(pid: number): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done; kill -9 ${pid} 2>/dev/null`;
  spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolveStatus) => {
    const request = get(url, { timeout: 1000 }, (response) => {
      response.resume();
      resolveStatus(response.statusCode ?? 0);
    });
    request.on('error', () => resolveStatus(0));
    request.on('timeout', () => {
      request.destroy();
      resolveStatus(0);
    });
  });
}
