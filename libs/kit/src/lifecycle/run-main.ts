import { ConfigError } from '../config/config-error';

/**
 * Runs a main.ts body. A bad configuration prints which variables are wrong and exits 1 before
 * anything started; any other start-up failure prints its error and exits 1. The process is
 * not exited on success: the servers keep it alive until the ShutdownManager ends it.
 */
export function runMain(main: () => Promise<void>, exit: (code: number) => void = (code) => process.exit(code)): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      const lines = error.problems.map((p) => `  ${p.variable}: ${p.problem}`);
      process.stderr.write(`configuration error, start-up stopped:\n${lines.join('\n')}\n`);
    } else {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`start-up failed: ${detail}\n`);
    }
    exit(1);
  });
}
