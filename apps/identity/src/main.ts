/**
 * The identity service as its own process. Boot order: configuration → telemetry → store and bus
 * → the service module → admin and gRPC servers; everything registered with the ShutdownManager so
 * SIGTERM closes it in reverse (gRPC first: NOT_SERVING, calls in flight finish; the store last).
 *
 *   node --conditions=@continuum/source --import tsx apps/identity/src/main.ts
 */
import { loadConfig, runMain, serveModule, startProcess } from '@continuum/kit';
import { identityConfigSchema } from './config';

runMain(async () => {
  const config = loadConfig(identityConfigSchema);
  // Telemetry and logging first: the application (and the MongoDB driver) is imported after.
  const { logger, shutdown } = startProcess(config);

  const { createStore } = await import('@continuum/store');
  const { connectEventBus } = await import('@continuum/events');
  const { IDENTITY_ERROR_DOMAIN, createIdentityService } = await import('./index.js');

  const store = await createStore({ mongodbUri: config.MONGODB_URI, dbName: config.MONGODB_DB, logger });
  shutdown.register('store', () => store.close());
  const bus = await connectEventBus({ natsUrl: config.NATS_URL, name: config.SERVICE_NAME, log: logger });
  shutdown.register('bus', () => bus.close());

  const module = await createIdentityService({
    store,
    bus,
    logger,
    defaultPhoneRegion: config.IDENTITY_DEFAULT_PHONE_REGION,
    lastSeenGranularityMs: config.IDENTITY_LAST_SEEN_GRANULARITY_MS,
    settingsCacheMs: config.IDENTITY_SETTINGS_CACHE_MS,
    segmentBatchSize: config.IDENTITY_SEGMENT_BATCH_SIZE,
  });
  const { port, adminPort } = await serveModule({ module, domain: IDENTITY_ERROR_DOMAIN, config, logger, shutdown });
  logger.info({ grpc_port: port, admin_port: adminPort, store: store.backend, bus: bus.kind }, 'identity ready');
});
