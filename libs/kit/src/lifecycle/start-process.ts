import { createLogger, type Logger } from '../logging/logger';
import { startTelemetry } from '../telemetry/start-telemetry';
import { ShutdownManager } from './shutdown-manager';

/** The parts of a parsed configuration a process needs to start. */
export interface ProcessConfig {
  readonly SERVICE_NAME: string;
  readonly LOG_LEVEL: string;
  readonly SHUTDOWN_GRACE_MS: number;
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
}

export interface StartedProcess {
  readonly logger: Logger;
  /** Telemetry is registered on it first, so it closes last and the shutdown's own spans export. */
  readonly shutdown: ShutdownManager;
}

/**
 * The head every main.ts shares: telemetry, the logger, and a shutdown manager answering
 * SIGTERM/SIGINT. Call it before importing the application (dynamic `import()`), so that the
 * MongoDB driver is loaded after telemetry and is instrumented.
 */
export function startProcess(config: ProcessConfig): StartedProcess {
  const telemetry = startTelemetry({ serviceName: config.SERVICE_NAME, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  const logger = createLogger({ service: config.SERVICE_NAME, level: config.LOG_LEVEL });
  const shutdown = new ShutdownManager({ logger, graceMs: config.SHUTDOWN_GRACE_MS });
  shutdown.register('telemetry', () => telemetry.shutdown());
  shutdown.installSignalHandlers();
  return { logger, shutdown };
}
