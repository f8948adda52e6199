import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { testingV1 } from '@continuum/contracts';
import { createEnvelope, defineEvent } from './envelope';
import type { ConsumerSpec, DeliveredEvent, EventBus, EventEnvelope, EventType, PayloadCodec, Subscription } from './types';

/** A payload type for tests: one string. */
export type TestPayload = testingV1.EchoStreamRequest;
export const TestPayload: PayloadCodec<TestPayload> = testingV1.EchoStreamRequest;

/** An event type of a test domain, carrying a string (encoded by `codec`: the test payload's own unless given). */
export function testEventType(domain: string, type = 'thing_happened', codec: PayloadCodec<TestPayload> = TestPayload): EventType<TestPayload> {
  return defineEvent<TestPayload>({ domain, type, payloadType: 'continuum.testing.v1.EchoStreamRequest', codec });
}

/** The tenant of the bus tests. */
export const TEST_TENANT = 'acme';

/** The envelope of a test event carrying `message`, for `subjectProfileId` when given. */
export function testEnvelope(
  type: EventType<TestPayload>,
  message: string,
  options: { subjectProfileId?: string | undefined; tenantId?: string | undefined; producer?: string } = {},
): EventEnvelope {
  const { subjectProfileId, tenantId = TEST_TENANT, producer = 'test' } = options;
  return createEnvelope(type, { tenantId, ...(subjectProfileId ? { subjectProfileId } : {}), payload: { message } }, { producer });
}

/** Subscribes `spec` on `bus`, pushing what `read` makes of each delivered event onto `into`. */
export function subscribeInto<T>(bus: EventBus, spec: ConsumerSpec, into: T[], read: (event: DeliveredEvent) => T): Promise<Subscription> {
  return bus.subscribe(spec, async (event) => {
    into.push(read(event));
  });
}

let exporter: InMemorySpanExporter | undefined;

/**
 * Registers (once per test file) a tracer provider exporting to memory and an async-hooks
 * context manager, and returns the exporter. No propagator is registered on purpose: the bus
 * must carry the W3C trace context by itself.
 */
export function captureSpans(): InMemorySpanExporter {
  if (exporter) return exporter;
  exporter = new InMemorySpanExporter();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
  return exporter;
}

let domainCounter = 0;
/** A fresh domain per test, so tests sharing a broker never read each other's streams. */
export function freshDomain(prefix = 'ct'): string {
  domainCounter++;
  return `${prefix}_${process.pid}_${domainCounter}`;
}
