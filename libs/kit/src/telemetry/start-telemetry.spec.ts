import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTelemetry } from './start-telemetry';

/** A stand-in OTLP/gRPC collector: records the raw ExportTraceServiceRequest bytes it receives. */
async function fakeCollector(): Promise<{ endpoint: string; received: Buffer[]; stop(): void }> {
  const received: Buffer[] = [];
  const server = new Server();
  const identity = (b: Buffer) => b;
  server.addService(
    {
      export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        received.push(call.request);
        callback(null, Buffer.alloc(0)); // an empty ExportTraceServiceResponse
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { endpoint: `http://127.0.0.1:${port}`, received, stop: () => server.forceShutdown() };
}

describe('startTelemetry', () => {
  let collector: Awaited<ReturnType<typeof fakeCollector>> | undefined;

  it('traces with the service name, hands spans to extra processors and exports OTLP/gRPC to the endpoint', async () => {
    collector = await fakeCollector();
    const memory = new InMemorySpanExporter();
    const processor = new SimpleSpanProcessor({ exporter: memory });
    const telemetry = startTelemetry({ serviceName: 'telemetry-test', otlpEndpoint: collector.endpoint, extraSpanProcessors: [processor] });
    trace.getTracer('test').startActiveSpan('unit-of-work', (span) => span.end());
    await processor.forceFlush(); // export waits for the detected resource attributes
    const [span] = memory.getFinishedSpans();
    expect(span?.name).toBe('unit-of-work');
    expect(span?.resource.attributes['service.name']).toBe('telemetry-test');

    await telemetry.shutdown(); // flushes the OTLP batch processor
    expect(collector.received.length).toBeGreaterThan(0);
    const payload = Buffer.concat(collector.received).toString('latin1');
    expect(payload).toContain('unit-of-work');
    expect(payload).toContain('telemetry-test');
  });

  afterAll(() => collector?.stop());
});
