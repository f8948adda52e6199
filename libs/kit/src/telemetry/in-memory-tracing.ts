import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';

/** Tracing set up for tests: every ended span is kept in memory to be asserted on. */
export interface InMemoryTracing {
  readonly exporter: InMemorySpanExporter;
  /** Ended spans so far. */
  spans(): ReadableSpan[];
  /** Forgets the spans recorded so far. */
  reset(): void;
}

let installed: InMemoryTracing | undefined;

/**
 * Registers a tracer provider exporting to memory, the async-hooks context manager and the W3C
 * propagator as the process globals — the same pieces `startTelemetry` installs, minus the
 * network. Idempotent within a module registry (each Jest test file has its own).
 */
export function installInMemoryTracing(): InMemoryTracing {
  if (installed !== undefined) return installed;
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(contextManager) || !trace.setGlobalTracerProvider(provider)) {
    throw new Error('installInMemoryTracing: a tracer provider or context manager is already registered');
  }
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  installed = {
    exporter,
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
  };
  return installed;
}
