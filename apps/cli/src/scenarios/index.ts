import type { Target } from '../args';
import { ScenarioNotAvailableError, UsageError } from '../errors';
import type { Reporter } from '../output/reporter';
import { connect, type Platform } from '../platform/connection';
import { playCaseOwner } from './case-owner';
import { findScenario } from './catalogue';
import { ScenarioRun, type InteractionRecord, type ScenarioOptions } from './scenario-run';
import { playVipService } from './vip-service';
import { playWebThenCall } from './web-then-call';

const PLAYS: Record<string, (run: ScenarioRun) => Promise<object>> = {
  'web-then-call': playWebThenCall,
  'case-owner': playCaseOwner,
  'vip-service': playVipService,
};

/** What `demo --json` prints, success or not. */
export interface DemoOutput {
  readonly scenario: string;
  readonly title: string;
  readonly tenant: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly interactions: readonly InteractionRecord[];
  readonly steps: Reporter['steps'];
  readonly result?: object;
  readonly error?: { readonly name: string; readonly message: string };
}

/**
 * Plays a scenario against the running platform: checks the services answer, then runs the
 * scenario's interactions. Never throws for a failed scenario: the output says what failed (the
 * caller sets the exit code from `ok` and the error).
 */
export async function playScenario(
  name: string,
  target: Target,
  reporter: Reporter,
  options: ScenarioOptions,
  connectTo: (target: Target) => Promise<Platform> = connect,
): Promise<{ output: DemoOutput; error?: unknown }> {
  const entry = findScenario(name);
  if (!entry) throw new UsageError(`unknown scenario "${name}"`);
  if (entry.arrivesWith) throw new ScenarioNotAvailableError(name, entry.arrivesWith);
  const play = PLAYS[name];
  if (!play) throw new ScenarioNotAvailableError(name, 'a later version');
  const started = Date.now();
  reporter.header(name, entry.title, [
    ['tenant', `${target.tenant}${target.tenantGenerated ? ' (fresh for this run)' : ''}`],
    ['identity', target.identity],
    ['context', target.context],
    ['routing', target.routing],
    ['auth', target.token ? 'bearer token' : 'none (platform must run with AUTH_MODE=disabled)'],
  ]);
  const progress = reporter.progress('checking that the platform answers');
  let platform: Platform;
  try {
    platform = await connectTo(target);
    progress.done('platform answers');
  } catch (error) {
    progress.fail('platform not reachable');
    throw error;
  }
  const run = new ScenarioRun(name, platform, reporter, options);
  const base = { scenario: name, title: entry.title, tenant: target.tenant };
  try {
    const result = await play(run);
    return { output: { ...base, ok: true, durationMs: Date.now() - started, interactions: run.interactions, steps: reporter.steps, result } };
  } catch (error) {
    const failure = error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
    return { output: { ...base, ok: false, durationMs: Date.now() - started, interactions: run.interactions, steps: reporter.steps, error: failure }, error };
  } finally {
    await run.cleanup();
    platform.close();
  }
}
