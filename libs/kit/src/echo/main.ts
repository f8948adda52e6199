/**
 * The Echo service as a process: the reference main.ts every service copies. Boot order:
 * configuration → telemetry → (store, bus) → servers; everything registered with the
 * ShutdownManager so SIGTERM closes it in reverse.
 *
 *   node --conditions=@continuum/source --import tsx libs/kit/src/echo/main.ts
 */
import { createGrpcServer } from '../server/create-grpc-server';
import { serviceConfigSchema } from '../config/kit-config';
import { loadConfig } from '../config/load-config';
import { createLogger } from '../logging/logger';
import { runMain } from '../lifecycle/run-main';
import { ShutdownManager } from '../lifecycle/shutdown-manager';
import { startAdminServer } from '../admin/admin-server';
import { startTelemetry } from '../telemetry/start-telemetry';
import { createEchoRegistration, ECHO_DOMAIN } from './echo-service';

runMain(async () => {
  const config = loadConfig(serviceConfigSchema('echo', {}));
  // Telemetry first: in a real service the app (and mongodb) is imported only after this line.
  const telemetry = startTelemetry({ serviceName: config.SERVICE_NAME, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  const logger = createLogger({ service: config.SERVICE_NAME, level: config.LOG_LEVEL });
  const shutdown = new ShutdownManager({ logger, graceMs: config.SHUTDOWN_GRACE_MS });
  shutdown.register('telemetry', () => telemetry.shutdown());
  shutdown.installSignalHandlers();

  const server = createGrpcServer({
    serviceName: config.SERVICE_NAME,
    domain: ECHO_DOMAIN,
    config,
    logger,
    registrations: [createEchoRegistration()],
  });
  const admin = await startAdminServer({
    port: config.ADMIN_PORT,
    isReady: () => server.isServing && !shutdown.isShuttingDown,
  });
  shutdown.register('admin', () => admin.close());
  const port = await server.start();
  shutdown.register('grpc', () => server.shutdown(config.SHUTDOWN_GRACE_MS));
  logger.info({ grpc_port: port, admin_port: admin.port }, 'echo ready');
});
