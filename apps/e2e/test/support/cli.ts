import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { RunningPlatform } from './platforms';
import { nodeArgs, ROOT } from './processes';

/** One interaction as `continuum demo --json` reports it. */
export interface DemoInteraction {
  readonly key: string;
  readonly title: string;
  readonly traceId: string;
  readonly spanId: string;
}

/** The `continuum demo --json` document (the CLI's output contract; apps never import apps). */
export interface DemoOutput<R> {
  readonly scenario: string;
  readonly tenant: string;
  readonly ok: boolean;
  readonly interactions: readonly DemoInteraction[];
  readonly steps: ReadonlyArray<{ readonly interaction?: string; readonly party: string; readonly text: string; readonly fields: Record<string, string> }>;
  readonly result: R;
  readonly error?: { readonly name: string; readonly message: string };
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the continuum CLI as its own process (as a user would), its spans going to the platform's traces folder. */
export function runCli(args: readonly string[], env: Readonly<Record<string, string>> = {}, timeoutMs = 100_000): Promise<CliRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, nodeArgs('apps/cli/src/main.ts', args), {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`continuum ${args.join(' ')} did not finish within ${timeoutMs} ms\n--- stderr ---\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** `continuum demo <scenario> --json` against the platform, in `tenant`; fails the test with the CLI's own words if it fails. */
export async function playDemo<R>(platform: RunningPlatform, scenario: string, tenant: string, extra: readonly string[] = []): Promise<DemoOutput<R>> {
  const token = await platform.token(tenant);
  const args = [
    'demo',
    scenario,
    '--json',
    '--tenant',
    tenant,
    '--identity',
    platform.addresses.identity,
    '--context',
    platform.addresses.context,
    '--routing',
    platform.addresses.routing,
    ...extra,
  ];
  const run = await runCli(args, {
    OTEL_TRACES_FILE: join(platform.tracesDir, `cli-${scenario}.jsonl`),
    ...(token ? { CONTINUUM_TOKEN: token } : {}),
  });
  let output: DemoOutput<R> | undefined;
  try {
    output = JSON.parse(run.stdout) as DemoOutput<R>;
  } catch {
    // reported below
  }
  if (run.code !== 0 || !output?.ok) {
    const platformLogs = platform.processes.map((p) => `--- ${p.name} ---\n${p.log(30)}`).join('\n');
    throw new Error(`continuum demo ${scenario} failed (exit ${run.code}): ${output?.error?.message ?? ''}\n--- stderr ---\n${run.stderr}\n${platformLogs}`);
  }
  return output;
}

/** The interaction of a demo by key; fails when the CLI did not report it. */
export function interaction(output: DemoOutput<unknown>, key: string): DemoInteraction {
  const found = output.interactions.find((i) => i.key === key);
  if (!found) throw new Error(`the demo reported no interaction "${key}" (got ${output.interactions.map((i) => i.key).join(', ')})`);
  return found;
}
