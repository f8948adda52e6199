// The whole test suite, as the README's test command and CI run it:
//   1. a NATS server for the JetStream suites (tools/ensure-nats.mjs),
//   2. static checks: generated contracts match proto/, buf lint, buf breaking against main,
//      type-check, ESLint, and the
//      Kubernetes manifests render (when kubectl is installed),
//   3. every Jest project.
// Ends with one line `N passed, N failed` (Jest tests plus the static checks, each check counting
// as one), also written to $TEST_SUMMARY_FILE when set (CI prints it last).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNats } from './ensure-nats.mjs';

const args = process.argv.slice(2);
const skipChecks = args.includes('--no-checks');
const jestArgs = args.filter((a) => a !== '--no-checks');

let passed = 0;
let failed = 0;
const failures = [];

function step(name, cmd, cmdArgs) {
  console.log(`\n▶ ${name}: ${[cmd, ...cmdArgs].join(' ')}`);
  const started = Date.now();
  const result = spawnSync(cmd, cmdArgs, { stdio: 'inherit' });
  const ok = result.status === 0;
  console.log(`${ok ? '✔' : '✘'} ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (ok) passed += 1;
  else {
    failed += 1;
    failures.push(name);
  }
  return ok;
}

try {
  process.env.NATS_SERVER_BIN = ensureNats();
} catch (err) {
  console.error(err.message);
  failed += 1;
  failures.push('nats-server available');
}

if (!skipChecks) {
  step('contracts match proto/', process.execPath, ['tools/generate-contracts.mjs', '--check']);
  step('buf lint', 'sh', ['-c', 'node tools/proto-deps.mjs && buf lint']);
  // Breaking-change check of the API against main (on main itself it compares with itself; on a
  // branch it refuses wire and source breaks of continuum.* packages).
  if (spawnSync('git', ['rev-parse', '--verify', '--quiet', 'main'], { stdio: 'ignore' }).status === 0) {
    step('buf breaking against main', 'buf', ['breaking', 'proto', '--against', '.git#branch=main,subdir=proto']);
  } else {
    console.log('\n- buf breaking against main: not run — this checkout has no local branch main');
  }
  step('type-check', 'tsc', ['-b', 'tsconfig.json']);
  // The module-boundary rule reads Nx's project graph and silently skips itself when none is
  // cached (a fresh clone): compute it first, so the rule really runs.
  spawnSync('nx', ['show', 'projects'], { stdio: 'ignore', env: { ...process.env, NX_DAEMON: 'false' } });
  step('eslint', 'eslint', ['.', '--max-warnings=0']);
  if (spawnSync('sh', ['-c', 'command -v kubectl'], { stdio: 'ignore' }).status === 0) {
    step('kustomize renders deploy/', 'sh', ['-c', 'for o in base overlays/dev overlays/production; do kubectl kustomize deploy/$o > /dev/null || exit 1; done']);
  } else {
    console.log('\n- kustomize renders deploy/: not run — kubectl is not installed on this machine');
  }
}

const out = join(mkdtempSync(join(tmpdir(), 'continuum-jest-')), 'results.json');
console.log('\n▶ jest: every project');
// --forceExit: the fault tests kill brokers and abandon handlers on purpose; a handle one of them
// leaves behind must not keep CI waiting after every result is in.
const jest = spawnSync('jest', ['--ci', '--forceExit', '--json', `--outputFile=${out}`, ...jestArgs], { stdio: 'inherit' });
try {
  const results = JSON.parse(readFileSync(out, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
  if (results.numFailedTests + results.numRuntimeErrorTestSuites > 0) failures.push('jest');
  if (results.numPendingTests + results.numTodoTests > 0) {
    // Jest does not show what a fully skipped file logs; a skip's reason is in its describe title.
    console.log(`jest: ${results.numPendingTests + results.numTodoTests} skipped or todo, with their reasons:`);
    for (const file of results.testResults) {
      for (const test of file.assertionResults) {
        if (test.status !== 'pending' && test.status !== 'todo') continue;
        console.log(`  - ${[...test.ancestorTitles, test.title].join(' › ')} (${file.name.replace(`${process.cwd()}/`, '')})`);
      }
    }
  }
} catch {
  failed += 1;
  failures.push(`jest produced no results (exit ${jest.status})`);
}

if (failures.length > 0) console.log(`\nFailed: ${failures.join(', ')}`);
const summary = `${passed} passed, ${failed} failed`;
if (process.env.TEST_SUMMARY_FILE) writeFileSync(process.env.TEST_SUMMARY_FILE, summary + '\n');
console.log(summary);
process.exit(failed === 0 ? 0 : 1);
