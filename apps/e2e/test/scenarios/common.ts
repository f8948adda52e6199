import { SpanKind } from '@opentelemetry/api';
import type { DemoOutput } from '../support/cli';
import type { RunningPlatform } from '../support/platforms';
import { readSpans, renderTree, tenantOf } from '../support/traces';

/** How long one demo run (a CLI process playing a whole scenario) may take on a busy machine. */
export const DEMO_TIMEOUT_MS = 120_000;

/** Fully qualified gRPC service names, as span names start with them. */
export const grpc = {
  identity: 'continuum.identity.v1.IdentityService',
  context: 'continuum.context.v1.ContextService',
  routing: 'continuum.routing.v1.RoutingService',
} as const;

/**
 * Nothing the scenario caused escaped its interactions: every span that acted for the scenario's
 * tenant (server spans, bus spans) belongs to one of the traces the CLI started. A span of the
 * tenant in any other trace is work that lost its trace context on the way (a timer, a relay or a
 * consumer starting a new trace). Traces whose root is a SERVER span are left out: they are calls
 * from a caller without tracing — this test's own API checks.
 */
export function expectNoStrayTraces(tracesDir: string, tenant: string, demo: DemoOutput<unknown>): void {
  const known = new Set(demo.interactions.map((i) => i.traceId));
  const spans = readSpans(tracesDir);
  const untracedCallers = new Set(spans.filter((s) => s.parentSpanId === '' && s.kind === SpanKind.SERVER).map((s) => s.traceId));
  const stray = spans.filter((s) => tenantOf(s) === tenant && !known.has(s.traceId) && !untracedCallers.has(s.traceId));
  if (stray.length > 0) {
    const traces = [...new Set(stray.map((s) => s.traceId))];
    throw new Error(
      `${stray.length} span(s) of tenant ${tenant} are outside the demo's interaction traces:\n` + traces.map((t) => renderTree(spans, t)).join('\n'),
    );
  }
}

/** Which process must serve each gRPC service: separate ones in the distributed mode (none to check in all-in-one). */
export function processOfService(platform: RunningPlatform): Record<string, string> {
  if (platform.mode !== 'distributed') return {};
  return { [grpc.identity]: platform.spanService.identity, [grpc.context]: platform.spanService.context, [grpc.routing]: platform.spanService.routing };
}
