import { SpanStatusCode, trace } from '@opentelemetry/api';
import { installInMemoryTracing } from '@continuum/kit';
import type { Target } from '../args';
import { ScenarioStepError } from '../errors';
import { jsonReporter } from '../output/reporter';
import type { Platform } from '../platform/connection';
import { ScenarioRun } from './scenario-run';

const tracing = installInMemoryTracing();

function target(tenantGenerated: boolean): Target {
  return { identity: 'a:1', context: 'b:2', routing: 'c:3', tenant: 'demo-1', tenantGenerated, token: undefined, deadlineMs: 1000 };
}

function run(tenantGenerated = true, waitTimeoutMs = 200): ScenarioRun {
  const platform = { target: target(tenantGenerated) } as unknown as Platform;
  return new ScenarioRun('web-then-call', platform, jsonReporter({ write: () => undefined }), { fallbackSeconds: 1, waitTimeoutMs });
}

beforeEach(() => tracing.reset());

describe('ScenarioRun.interaction', () => {
  it('makes each interaction the root of its own trace, active for the calls inside it', async () => {
    const r = run();
    let innerTrace = '';
    let innerParent: string | undefined;
    await r.interaction('web-visit', 'visit', async () => {
      const child = trace.getTracer('test').startSpan('call');
      innerTrace = child.spanContext().traceId;
      child.end();
      innerParent = tracing.spans().find((s) => s.name === 'call')?.parentSpanContext?.spanId;
    });
    await r.interaction('call', 'call', async () => undefined);

    const [visit, call] = r.interactions;
    expect(visit?.key).toBe('web-visit');
    expect(visit?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(visit?.traceId).not.toBe('0'.repeat(32));
    expect(innerTrace).toBe(visit?.traceId);
    expect(innerParent).toBe(visit?.spanId);
    expect(call?.traceId).not.toBe(visit?.traceId);
    const root = tracing.spans().find((s) => s.name === 'demo web-then-call web-visit');
    expect(root?.parentSpanContext).toBeUndefined();
    expect(root?.attributes).toEqual({ 'continuum.scenario': 'web-then-call', 'continuum.interaction': 'web-visit', 'continuum.tenant_id': 'demo-1' });
  });

  it('marks a failed interaction, still records it, and passes the error on', async () => {
    const r = run();
    await expect(
      r.interaction('call', 'call', async () => {
        throw new ScenarioStepError('call', 'no offer');
      }),
    ).rejects.toThrow('call: no offer');
    expect(r.interactions.map((i) => i.key)).toEqual(['call']);
    expect(tracing.spans()[0]?.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('ScenarioRun helpers', () => {
  it('waits for a value and gives up with a step error naming what it waited for', async () => {
    const r = run(true, 150);
    let calls = 0;
    await expect(r.waitFor('three calls', async () => (++calls >= 3 ? 'yes' : undefined), 5)).resolves.toBe('yes');
    const error = await r.waitFor('the impossible', async () => undefined, 20).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioStepError);
    expect((error as Error).message).toContain('waiting for the impossible');
  });

  it('keeps demo identifiers readable in a fresh tenant and unique in a reused one', () => {
    expect(run(true).unique('c-81f')).toBe('c-81f');
    const reused = run(false);
    expect(reused.unique('maria.lopez', '.')).toBe(`maria.lopez.${reused.runId}`);
  });

  it('makes request ids unique per call and within the 64-character limit', () => {
    const r = run();
    const ids = [r.requestId('resolve'), r.requestId('resolve'), r.requestId('x'.repeat(100))];
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => id.length <= 64 && /^[A-Za-z0-9_.:-]+$/.test(id))).toBe(true);
  });

  it('releases everything registered, newest first, even when one release fails', async () => {
    const r = run();
    const released: string[] = [];
    r.onCleanup(() => void released.push('first'));
    r.onCleanup(() => {
      throw new Error('already closed');
    });
    r.onCleanup(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      released.push('last');
    });
    await r.cleanup();
    expect(released).toEqual(['last', 'first']);
  });

  it('does not wait for ever for a release that never finishes', async () => {
    const r = run();
    r.onCleanup(() => new Promise<void>(() => undefined));
    await expect(r.cleanup(20)).resolves.toBeUndefined();
  });
});
