import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import type { SpanLine } from '@continuum/kit';
import { waitFor } from '@continuum/testing';

/**
 * Every span written so far to the `*.jsonl` files of `dir` (a line still being written is skipped):
 * the kit's file exporter (OTEL_TRACES_FILE) of every platform process and of the CLI appends one
 * SpanLine per line.
 */
export function readSpans(dir: string): SpanLine[] {
  if (!existsSync(dir)) return [];
  const spans: SpanLine[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        spans.push(JSON.parse(line) as SpanLine);
      } catch {
        // the last line of a file another process is appending to right now
      }
    }
  }
  return spans;
}

/** The tenant a span acted for (`continuum.tenant_id` on gRPC and bus spans alike). */
export function tenantOf(span: SpanLine): string | undefined {
  const value = span.attributes['continuum.tenant_id'];
  return typeof value === 'string' ? value : undefined;
}

/** What one interaction's trace must contain. */
export interface TraceExpectation {
  /** The CLI's root span of the interaction. */
  readonly rootSpanId: string;
  /** `package.Service/Method` names that must have a SERVER span in the trace (a gRPC hop arrived). */
  readonly servedMethods?: readonly string[];
  /**
   * gRPC hops between services: a CLIENT span of `method` made by a server (not by the CLI) with
   * its SERVER span as child. `from`/`to` are the span service names where processes differ.
   */
  readonly serviceHops?: ReadonlyArray<{ readonly method: string; readonly from?: string; readonly to?: string }>;
  /** Event hops through the bus: a CONSUMER span (of this event type, containing the text) whose parent is a PRODUCER span. */
  readonly eventHops?: ReadonlyArray<{ readonly eventType: string; readonly consumerService?: string }>;
  /** For separate processes: the service name expected on SERVER spans of each gRPC service. */
  readonly serverServiceOf?: Readonly<Record<string, string>>;
}

/** Why a trace does not (yet) meet its expectation; empty when it does. */
export function traceProblems(spans: readonly SpanLine[], traceId: string, expectation: TraceExpectation): string[] {
  const trace = spans.filter((s) => s.traceId === traceId);
  const problems: string[] = [];
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const roots = trace.filter((s) => s.parentSpanId === '');
  if (roots.length !== 1 || roots[0]?.spanId !== expectation.rootSpanId) {
    problems.push(`expected exactly one root span, the CLI's ${expectation.rootSpanId}; roots: ${roots.map(describe).join(', ') || 'none'}`);
  }
  const orphans = trace.filter((s) => s.parentSpanId !== '' && !byId.has(s.parentSpanId));
  if (orphans.length > 0) problems.push(`orphan spans (parent not in the trace): ${orphans.map(describe).join(', ')}`);

  const isGrpc = (s: SpanLine) => s.attributes['rpc.system'] === 'grpc';
  const children = (s: SpanLine) => trace.filter((c) => c.parentSpanId === s.spanId);
  for (const client of trace.filter((s) => s.kind === SpanKind.CLIENT && isGrpc(s))) {
    if (!children(client).some((c) => c.kind === SpanKind.SERVER && c.name === client.name)) {
      problems.push(`gRPC call ${describe(client)} has no SERVER span in this trace`);
    }
  }
  for (const method of expectation.servedMethods ?? []) {
    if (!trace.some((s) => s.kind === SpanKind.SERVER && s.name === method)) problems.push(`no SERVER span of ${method}`);
  }
  for (const [rpcService, service] of Object.entries(expectation.serverServiceOf ?? {})) {
    for (const server of trace.filter((s) => s.kind === SpanKind.SERVER && s.attributes['rpc.service'] === rpcService && s.service !== service)) {
      problems.push(`${describe(server)} should come from the ${service} process`);
    }
  }
  for (const hop of expectation.serviceHops ?? []) {
    const found = trace.some((client) => {
      if (client.kind !== SpanKind.CLIENT || client.name !== hop.method) return false;
      if (hop.from !== undefined && client.service !== hop.from) return false;
      const parent = byId.get(client.parentSpanId);
      if (!parent || parent.service === 'continuum-cli') return false;
      return children(client).some((c) => c.kind === SpanKind.SERVER && (hop.to === undefined || c.service === hop.to));
    });
    if (!found) problems.push(`no service-to-service hop ${hop.from ?? '?'} → ${hop.method} → ${hop.to ?? '?'}`);
  }
  for (const hop of expectation.eventHops ?? []) {
    const found = trace.some((consumer) => {
      if (consumer.kind !== SpanKind.CONSUMER) return false;
      if (!String(consumer.attributes['continuum.event.type'] ?? consumer.name).includes(hop.eventType)) return false;
      if (hop.consumerService !== undefined && consumer.service !== hop.consumerService) return false;
      return byId.get(consumer.parentSpanId)?.kind === SpanKind.PRODUCER;
    });
    if (!found) problems.push(`no event hop (PRODUCER → CONSUMER) of ${hop.eventType}${hop.consumerService ? ` into ${hop.consumerService}` : ''}`);
  }
  return problems;
}

/**
 * Waits (spans of other processes arrive as their work finishes) until the interaction's trace
 * meets the expectation; fails with the problems and the trace as a tree.
 */
export async function expectOneTrace(dir: string, traceId: string, expectation: TraceExpectation, timeoutMs = 15_000): Promise<SpanLine[]> {
  let problems: string[] = [];
  try {
    await waitFor(
      () => {
        problems = traceProblems(readSpans(dir), traceId, expectation);
        return problems.length === 0;
      },
      { timeoutMs, intervalMs: 100, description: `trace ${traceId}` },
    );
  } catch {
    throw new Error(`trace ${traceId} is not one whole trace:\n  - ${problems.join('\n  - ')}\n${renderTree(readSpans(dir), traceId)}`);
  }
  return readSpans(dir).filter((s) => s.traceId === traceId);
}

/** A trace as an indented tree, for failure messages. */
export function renderTree(spans: readonly SpanLine[], traceId: string): string {
  const trace = spans.filter((s) => s.traceId === traceId);
  const ids = new Set(trace.map((s) => s.spanId));
  const lines: string[] = [`trace ${traceId} (${trace.length} spans):`];
  const walk = (parent: string, depth: number) => {
    for (const span of trace.filter((s) => s.parentSpanId === parent).sort((a, b) => a.startMicros - b.startMicros)) {
      lines.push(`${'  '.repeat(depth + 1)}${describe(span)}`);
      walk(span.spanId, depth + 1);
    }
  };
  walk('', 0);
  for (const orphan of trace.filter((s) => s.parentSpanId !== '' && !ids.has(s.parentSpanId))) {
    lines.push(`  (orphan, parent ${orphan.parentSpanId}) ${describe(orphan)}`);
    walk(orphan.spanId, 1);
  }
  return lines.join('\n');
}

function describe(span: SpanLine): string {
  return `${span.name} [${(SpanKind[span.kind] as string | undefined)?.toLowerCase() ?? span.kind}, ${span.service}, ${span.spanId}]`;
}
