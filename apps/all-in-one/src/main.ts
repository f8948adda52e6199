/**
 * `npm start`: the embedded default. Every service in one process, each on its own gRPC port,
 * embedded store and in-process bus unless MONGODB_URI / NATS_URL say otherwise.
 *
 *   node --conditions=@continuum/source --import tsx apps/all-in-one/src/main.ts   (from source)
 *   node apps/all-in-one/dist/main.js                                              (built)
 */
import { createLogger, loadConfig, runMain, startProcess } from '@continuum/kit';
import { allInOneConfigSchema } from './config';

runMain(async () => {
  const config = loadConfig(allInOneConfigSchema, process.env);
  // Telemetry and logging first: the application (and the MongoDB driver) is imported after.
  const { logger, shutdown } = startProcess(config);
  const { startPlatform, renderBanner } = await import('./index.js');

  const platform = await startPlatform({
    logger,
    shutdown,
    loggerFor: (service) => createLogger({ service, level: config.LOG_LEVEL }),
  });
  process.stdout.write(renderBanner(platform) + '\n');
});
