import { diag } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { FileSpanExporter } from './file-span-exporter';

export interface TelemetryOptions {
  /** `service.name` of the resource. */
  readonly serviceName: string;
  /** OTLP gRPC endpoint (OTEL_EXPORTER_OTLP_ENDPOINT); nothing is exported when unset. */
  readonly otlpEndpoint?: string | undefined;
  /**
   * Append every span as a JSON line to this file (OTEL_TRACES_FILE): end-to-end tests read the
   * spans of every process from it. Defaults to the OTEL_TRACES_FILE environment variable, so that
   * every main.ts gets it without passing it on.
   */
  readonly tracesFile?: string | undefined;
  /** More processors (tests add an in-memory exporter). */
  readonly extraSpanProcessors?: readonly SpanProcessor[];
}

export interface Telemetry {
  /** Flushes pending spans and stops the SDK; the last resource closed on shutdown. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry NodeSDK. Services get it through `startProcess`, which must run BEFORE
 * anything imports `mongodb` (store, repositories, the service module): the MongoDB
 * instrumentation patches the driver when it is first required, so the app must be loaded
 * afterwards, e.g.
 *
 *   runMain(async () => {
 *     const config = loadConfig(serviceConfigSchema('identity', { ... }));
 *     const { logger, shutdown } = startProcess(config);
 *     const { createStore } = await import('@continuum/store'); // pulls in mongodb only now
 *     ...
 *   });
 *
 * gRPC spans are not produced by an auto-instrumentation: the kit's server and client create them
 * explicitly (deterministic, works under any loader, no duplicate spans). A tracer provider is
 * always installed, even without an endpoint, so that logs still carry trace and span ids.
 * Metrics go through prom-client (/metrics), logs through pino (stdout): the SDK exports neither.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  warnIfLoadedTooLate();
  const spanProcessors: SpanProcessor[] = [...(options.extraSpanProcessors ?? [])];
  if (options.otlpEndpoint !== undefined && options.otlpEndpoint !== '') {
    spanProcessors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: options.otlpEndpoint }) }));
  }
  const tracesFile = options.tracesFile ?? process.env['OTEL_TRACES_FILE'];
  if (tracesFile !== undefined && tracesFile !== '') {
    // Simple (not batched): a test reads the file while the process is still running.
    spanProcessors.push(new SimpleSpanProcessor({ exporter: new FileSpanExporter(tracesFile) }));
  }
  if (spanProcessors.length === 0) spanProcessors.push(new NoopSpanProcessor());
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    spanProcessors,
    // Empty arrays, not undefined: undefined makes the SDK read OTEL_*_EXPORTER and default to
    // exporting logs and metrics over OTLP, which we do not want.
    metricReaders: [],
    logRecordProcessors: [],
    // enhancedDatabaseReporting stays off: it would put query values (personal data) in spans.
    instrumentations: [new MongoDBInstrumentation({ enhancedDatabaseReporting: false })],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

function warnIfLoadedTooLate(): void {
  const loaded = Object.keys(require.cache).some((file) => /[\\/]node_modules[\\/]mongodb[\\/]/.test(file));
  if (loaded) {
    diag.warn('startTelemetry: mongodb was loaded before telemetry started; its calls will not be traced');
    process.emitWarning('mongodb was loaded before startTelemetry(); import the app after starting telemetry', 'ContinuumTelemetry');
  }
}
