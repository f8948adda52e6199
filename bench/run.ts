/**
 * `npm run bench` lists the benchmarks; `npm run bench -- <name> [args]` runs every
 * `bench/<name>/*-bench.ts` (or the one file `bench/<dir>/<name>-bench.ts`), one after another,
 * each in its own process. Arguments after the name are passed on (e.g. `--quick`).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

const benchDir = __dirname;

/** Benchmark name → script paths: one name per folder, and one per file. */
function discover(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const dir of readdirSync(benchDir)) {
    const full = path.join(benchDir, dir);
    if (['harness', 'node_modules', 'dist', 'out', 'out-tsc'].includes(dir) || !statSync(full).isDirectory()) continue;
    const scripts = readdirSync(full)
      .filter((file) => file.endsWith('-bench.ts'))
      .sort()
      .map((file) => path.join(full, file));
    if (scripts.length === 0) continue;
    found.set(dir, scripts);
    for (const script of scripts) {
      const name = path.basename(script, '-bench.ts');
      if (!found.has(name)) found.set(name, [script]);
    }
  }
  return found;
}

function main(): number {
  const [name, ...rest] = process.argv.slice(2);
  const benchmarks = discover();
  if (!name || name === '--list') {
    console.log('Benchmarks (npm run bench -- <name> [--quick]):');
    for (const [key, scripts] of [...benchmarks.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(`  ${key.padEnd(20)} ${scripts.map((s) => path.relative(path.dirname(benchDir), s)).join(', ')}`);
    }
    return 0;
  }
  const scripts = name === 'all' ? [...new Set([...benchmarks.values()].flat())] : benchmarks.get(name);
  if (!scripts) {
    console.error(`No benchmark named ${name}. Run \`npm run bench\` for the list.`);
    return 2;
  }
  for (const script of scripts) {
    console.log(`\n▶ ${path.relative(path.dirname(benchDir), script)} ${rest.join(' ')}`);
    // The same node and loader flags as this process (tsx, @continuum/source condition).
    const run = spawnSync(process.execPath, [...process.execArgv, script, ...rest], { stdio: 'inherit' });
    if (run.status !== 0) return run.status ?? 1;
  }
  return 0;
}

process.exitCode = main();
