import type { Target } from '../args';
import { EXIT, PlatformUnreachableError, ScenarioNotAvailableError } from '../errors';
import { jsonReporter } from '../output/reporter';
import { playScenario } from '.';

const target: Target = { identity: 'a:1', context: 'b:2', routing: 'c:3', tenant: 'demo-1', tenantGenerated: true, token: undefined, deadlineMs: 1000 };
const options = { fallbackSeconds: 1, waitTimeoutMs: 100 };

describe('playScenario', () => {
  it('says which service a later scenario waits for, without touching the platform', async () => {
    const connect = jest.fn();
    const error = await playScenario('dont-stalk', target, jsonReporter({ write: () => undefined }), options, connect).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioNotAvailableError);
    expect((error as Error).message).toContain('consent service');
    expect((error as ScenarioNotAvailableError).exitCode).toBe(EXIT.notAvailable);
    expect(connect).not.toHaveBeenCalled();
  });

  it('stops before the first interaction when the platform is not reachable, and shows it in the progress', async () => {
    const err: string[] = [];
    const unreachable = new PlatformUnreachableError('identity', 'a:1', 'connection refused');
    const error = await playScenario('web-then-call', target, jsonReporter({ write: (t) => void err.push(t) }), options, () => Promise.reject(unreachable)).catch((e: unknown) => e);
    expect(error).toBe(unreachable);
    expect(err.join('')).toContain('✘ platform not reachable');
  });
});
