/**
 * Benchmarks run the workspace packages from their TypeScript sources, like the tests do: the
 * `@continuum/source` export condition must be on, or `@continuum/*` resolves to a stale (or
 * missing) dist/. `npx tsx bench/x/y.ts` does not set it, so a benchmark started that way runs
 * itself again with the condition — before anything imports a workspace package. Import this
 * module first (bench/harness/index.ts does).
 */
import { spawnSync } from 'node:child_process';

const CONDITION = '@continuum/source';

function conditionIsOn(): boolean {
  const flags = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
  return flags.some((flag, i) => flag === `--conditions=${CONDITION}` || flag === `-C${CONDITION}` || ((flag === '--conditions' || flag === '-C') && flags[i + 1] === CONDITION));
}

// Only the process a benchmark was started as re-executes itself: Jest and forked children
// (which inherit the flags) never get here with the condition off.
if (!conditionIsOn() && !process.env['JEST_WORKER_ID'] && require.main !== undefined && process.argv[1]) {
  const rerun = spawnSync(process.execPath, [...process.execArgv, `--conditions=${CONDITION}`, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(rerun.status ?? 1);
}
