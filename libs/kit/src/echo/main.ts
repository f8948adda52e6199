/**
 * The Echo service as a process. Boot order: configuration → telemetry, logger and shutdown
 * (`startProcess`) → (store, bus) → servers; everything registered with the ShutdownManager so
 * SIGTERM closes it in reverse. A service with background work ends with `serveModule` instead of
 * the last lines here; Echo has none, so it serves its registration directly.
 *
 *   node --conditions=@continuum/source --import tsx libs/kit/src/echo/main.ts
 */
import { startAdminServer } from '../admin/admin-server';
import { serviceConfigSchema } from '../config/kit-config';
import { loadConfig } from '../config/load-config';
import { runMain } from '../lifecycle/run-main';
import { startProcess } from '../lifecycle/start-process';
import { createGrpcServer } from '../server/create-grpc-server';
import { createEchoRegistration, ECHO_DOMAIN } from './echo-service';

runMain(async () => {
  const config = loadConfig(serviceConfigSchema('echo', {}));
  // Telemetry first: in a real service the app (and mongodb) is imported only after this line.
  const { logger, shutdown } = startProcess(config);

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
