import {
  context,
  createTraceState,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

/**
 * Trace context across the bus, with @opentelemetry/api only (the app owns the SDK). The W3C
 * `traceparent`/`tracestate` pair is the only thing that travels: a globally registered propagator
 * is used when there is one, and the W3C format is written and read directly when there is none,
 * so a trace survives the bus even in a process that registered no propagator. Baggage is never
 * copied into message headers: it may carry personal data.
 */
export interface TraceHeaders {
  traceparent: string;
  tracestate?: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
export const TRACER_NAME = '@continuum/events';

/** The trace headers of the span active in `ctx` (undefined when there is no valid span). */
export function traceHeadersOf(ctx: Context = context.active()): TraceHeaders | undefined {
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  const traceparent =
    carrier['traceparent'] ??
    `00-${spanContext.traceId}-${spanContext.spanId}-${(spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00'}`;
  const tracestate = carrier['tracestate'] ?? spanContext.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** A context whose remote parent is the span named by the headers (the root context when absent or malformed). */
export function contextFromTraceHeaders(headers: Readonly<Record<string, string | undefined>>): Context {
  const traceparent = headers['traceparent'];
  if (!traceparent) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent };
  const tracestate = headers['tracestate'];
  if (tracestate) carrier['tracestate'] = tracestate;
  const extracted = propagation.extract(ROOT_CONTEXT, carrier);
  if (trace.getSpanContext(extracted)) return extracted;
  const match = TRACEPARENT.exec(traceparent);
  if (!match) return ROOT_CONTEXT;
  const [, traceId = '', spanId = '', flags = '00'] = match;
  const spanContext = {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    ...(tracestate ? { traceState: createTraceState(tracestate) } : {}),
  };
  if (!isSpanContextValid(spanContext)) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

/** Messaging semantic attributes shared by producer and consumer spans; never personal data. */
export function messagingAttributes(input: {
  operation: 'send' | 'process';
  subject: string;
  eventId: string;
  tenantId: string;
  eventType: string;
  consumer?: string;
  deliveryCount?: number;
}): Attributes {
  const attributes: Attributes = {
    'messaging.system': 'nats',
    'messaging.destination.name': input.subject,
    'messaging.operation.type': input.operation,
    'messaging.operation.name': input.operation,
    'messaging.message.id': input.eventId,
    'continuum.tenant_id': input.tenantId,
    'continuum.event.type': input.eventType,
  };
  if (input.consumer !== undefined) attributes['messaging.consumer.group.name'] = input.consumer;
  if (input.deliveryCount !== undefined) attributes['messaging.nats.delivery_count'] = input.deliveryCount;
  return attributes;
}

/** Starts a span under `parent`; returns it and the context in which it is active. */
export function startSpan(name: string, kind: SpanKind, parent: Context, attributes: Attributes): { span: Span; context: Context } {
  const span = trace.getTracer(TRACER_NAME).startSpan(name, { kind, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Records `err` on a span as an exception and an error status (the message only: no stack). */
export function recordFailure(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? { name: err.name, message: err.message } : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
}

/** Runs `body` inside a span that ends with it, recording a failure as an error status. */
export async function inSpan<R>(
  name: string,
  kind: SpanKind,
  parent: Context,
  attributes: Attributes,
  body: (span: Span) => Promise<R>,
): Promise<R> {
  const { span, context: active } = startSpan(name, kind, parent, attributes);
  try {
    return await context.with(active, () => body(span));
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

export { SpanKind };
