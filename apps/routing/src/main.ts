/**
 * The routing service as its own process. Boot order: configuration → telemetry → store and bus
 * → the service module (which rebuilds every tenant's engine from the store) → admin and gRPC
 * servers; everything registered with the ShutdownManager so SIGTERM closes it in reverse (gRPC
 * first: NOT_SERVING, calls in flight finish, offer streams end; the store last).
 *
 *   node --conditions=@continuum/source --import tsx apps/routing/src/main.ts
 */
import { loadConfig, runMain, serveModule, startProcess } from '@continuum/kit';
import { routingConfigSchema } from './config';

runMain(async () => {
  const config = loadConfig(routingConfigSchema);
  // Telemetry and logging first: the application (and the MongoDB driver) is imported after.
  const { logger, shutdown } = startProcess(config);

  const { createStore } = await import('@continuum/store');
  const { connectEventBus } = await import('@continuum/events');
  const { ROUTING_ERROR_DOMAIN, createRoutingService } = await import('./index.js');

  const store = await createStore({ mongodbUri: config.MONGODB_URI, dbName: config.MONGODB_DB, logger });
  shutdown.register('store', () => store.close());
  const bus = await connectEventBus({ natsUrl: config.NATS_URL, name: config.SERVICE_NAME, log: logger });
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
  const { port, adminPort } = await serveModule({ module, domain: ROUTING_ERROR_DOMAIN, config, logger, shutdown });
  logger.info({ grpc_port: port, admin_port: adminPort, store: store.backend, bus: bus.kind }, 'routing ready');
});
