/**
 * The context service as its own process. Boot order: configuration → telemetry → store and bus
 * → the service module → admin and gRPC servers; everything registered with the ShutdownManager so
 * SIGTERM closes it in reverse (gRPC first, the store last).
 *
 *   node --conditions=@continuum/source --import tsx apps/context/src/main.ts
 */
import { loadConfig, runMain, serveModule, startProcess } from '@continuum/kit';
import { contextConfigSchema } from './config';

runMain(async () => {
  const config = loadConfig(contextConfigSchema);
  // Telemetry and logging first: the application (and the MongoDB driver) is imported after.
  const { logger, shutdown } = startProcess(config);

  const { createStore } = await import('@continuum/store');
  const { connectEventBus } = await import('@continuum/events');
  const { CONTEXT_ERROR_DOMAIN, createContextService } = await import('./index.js');

  const store = await createStore({ mongodbUri: config.MONGODB_URI, dbName: config.MONGODB_DB, logger });
  shutdown.register('store', () => store.close());
  const bus = await connectEventBus({ natsUrl: config.NATS_URL, name: config.SERVICE_NAME, log: logger });
  shutdown.register('bus', () => bus.close());

  const module = await createContextService({
    store,
    bus,
    logger,
    abandonSweepMs: config.CONTEXT_ABANDON_SWEEP_MS,
    identityDurable: config.CONTEXT_IDENTITY_DURABLE,
  });
  const { port, adminPort } = await serveModule({ module, domain: CONTEXT_ERROR_DOMAIN, config, logger, shutdown });
  logger.info({ grpc_port: port, admin_port: adminPort, store: store.backend, bus: bus.kind }, 'context ready');
});
