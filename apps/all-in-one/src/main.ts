/**
 * `npm start`: the embedded default. Every service in one process, each on its own gRPC port,
 * embedded store and in-process bus unless MONGODB_URI / NATS_URL say otherwise.
 *
 *   node --conditions=@continuum/source --import tsx apps/all-in-one/src/main.ts   (from source)
 *   node apps/all-in-one/dist/main.js                                              (built)
 */
import { createLogger, loadConfig, runMain, ShutdownManager, startTelemetry } from '@continuum/kit';
import { allInOneConfigSchema } from './config';

runMain(async () => {
  const config = loadConfig(allInOneConfigSchema, { AUTH_MODE: 'disabled', ...process.env });
  // Telemetry first, before the services (and the MongoDB driver) are loaded.
  const telemetry = startTelemetry({ serviceName: config.SERVICE_NAME, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  const logger = createLogger({ service: config.SERVICE_NAME, level: config.LOG_LEVEL });
  const shutdown = new ShutdownManager({ logger, graceMs: config.SHUTDOWN_GRACE_MS });
  // Registered first, so closed last: the spans of the shutdown itself are exported.
  shutdown.register('telemetry', () => telemetry.shutdown());
  shutdown.installSignalHandlers();
  const { startPlatform, renderBanner } = await import('./index.js');

  const platform = await startPlatform({
    logger,
    shutdown,
    loggerFor: (service) => createLogger({ service, level: config.LOG_LEVEL }),
  });
  process.stdout.write(renderBanner(platform) + '\n');
});
