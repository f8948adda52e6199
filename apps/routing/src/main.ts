/**
 * The routing service as its own process. Boot order: configuration → telemetry → store and bus
 * → the service module (which rebuilds every tenant's engine from the store) → admin and gRPC
 * servers; everything registered with the ShutdownManager so SIGTERM closes it in reverse (gRPC
 * first: NOT_SERVING, calls in flight finish, offer streams end; the store last).
 *
 *   node --conditions=@continuum/source --import tsx apps/routing/src/main.ts
 */
import { createGrpcServer, createLogger, loadConfig, runMain, ShutdownManager, startAdminServer, startTelemetry } from '@continuum/kit';
import { routingConfigSchema } from './config';

runMain(async () => {
  const config = loadConfig(routingConfigSchema);
  // Telemetry before the rest of the app (and the MongoDB driver) is loaded, so it is instrumented.
  const telemetry = startTelemetry({ serviceName: config.SERVICE_NAME, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  const logger = createLogger({ service: config.SERVICE_NAME, level: config.LOG_LEVEL });
  const shutdown = new ShutdownManager({ logger, graceMs: config.SHUTDOWN_GRACE_MS });
  shutdown.register('telemetry', () => telemetry.shutdown());
  shutdown.installSignalHandlers();

  const { createStore } = await import('@continuum/store');
  const { createInProcessBus, createJetStreamBus } = await import('@continuum/events');
  const { ROUTING_ERROR_DOMAIN, createRoutingService } = await import('./index.js');

  const store = await createStore({ mongodbUri: config.MONGODB_URI, dbName: config.MONGODB_DB, logger });
  shutdown.register('store', () => store.close());
  const servers = config.NATS_URL?.split(',').map((s) => s.trim()).filter(Boolean);
  const bus = servers && servers.length > 0 ? await createJetStreamBus({ servers, name: config.SERVICE_NAME, log: logger }) : createInProcessBus({ log: logger });
  if (bus.kind === 'in-process') logger.warn({}, 'NATS_URL is not set: events stay in this process (development only)');
  shutdown.register('bus', () => bus.close());
  if (config.CONTEXT_ADDRESS === '') logger.warn({}, 'CONTEXT_ADDRESS is not set: tasks are routed on what they say (no case owner, last agent or segments)');

  const module = await createRoutingService({
    store,
    bus,
    logger,
    contextAddress: config.CONTEXT_ADDRESS,
    contextDeadlineMs: config.ROUTING_CONTEXT_DEADLINE_MS,
    offerTimeoutMs: config.ROUTING_OFFER_TIMEOUT_MS,
  });
  await module.start();
  shutdown.register('routing', () => module.stop());

  const server = createGrpcServer({ serviceName: config.SERVICE_NAME, domain: ROUTING_ERROR_DOMAIN, config, logger, registrations: module.registrations });
  const admin = await startAdminServer({ port: config.ADMIN_PORT, isReady: () => server.isServing && !shutdown.isShuttingDown });
  shutdown.register('admin', () => admin.close());
  const port = await server.start();
  shutdown.register('grpc', () => server.shutdown(config.SHUTDOWN_GRACE_MS));
  logger.info({ grpc_port: port, admin_port: admin.port, store: store.backend, bus: bus.kind }, 'routing ready');
});
