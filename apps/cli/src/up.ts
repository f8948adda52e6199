import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The repository root (apps/cli/src → ../../..). */
const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** The all-in-one platform's entry point, run from source like every service. */
const ALL_IN_ONE_MAIN = resolve(REPO_ROOT, 'apps', 'all-in-one', 'src', 'main.ts');

/**
 * `continuum up`: the all-in-one platform as a child process in the foreground, with this
 * terminal's stdio. Ctrl-C reaches both processes (same process group): the CLI waits while the
 * platform shuts down gracefully, then exits with its code. SIGTERM / SIGHUP sent to the CLI alone
 * are passed on.
 */
export function up(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (!existsSync(ALL_IN_ONE_MAIN)) {
    process.stderr.write(`continuum up: ${ALL_IN_ONE_MAIN} not found; run the CLI from a Continuum checkout\n`);
    return Promise.resolve(1);
  }
  // As the README's start command spells it, on this CLI's own Node.
  const args = ['--conditions=@continuum/source', '--import', 'tsx', ALL_IN_ONE_MAIN];
  const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: REPO_ROOT, env });
  const forward = (signal: NodeJS.Signals) => () => {
    child.kill(signal);
  };
  const onTerm = forward('SIGTERM');
  const onHup = forward('SIGHUP');
  // The terminal already delivered SIGINT to the child; the CLI only has to outlive it.
  const onInt = () => undefined;
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);
  process.on('SIGINT', onInt);
  return new Promise<number>((resolveExit) => {
    child.on('error', (error) => {
      process.stderr.write(`continuum up: could not start the platform: ${error.message}\n`);
      resolveExit(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      process.off('SIGINT', onInt);
      resolveExit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
    });
  });
}
