import { startAdminServer } from '../admin/admin-server';
import type { Logger } from '../logging/logger';
import { createGrpcServer, type GrpcServer, type GrpcServerConfig } from '../server/create-grpc-server';
import type { ServiceModule } from '../server/types';
import type { ShutdownManager } from './shutdown-manager';

export interface ServeModuleOptions {
  readonly module: ServiceModule;
  /** ErrorInfo domain of the service's errors (`identity.continuum.dev`). */
  readonly domain: string;
  readonly config: GrpcServerConfig & { readonly SERVICE_NAME: string; readonly ADMIN_PORT: number; readonly SHUTDOWN_GRACE_MS: number };
  readonly logger: Logger;
  /** The process's manager; the module, admin and gRPC servers are registered on it in that order. */
  readonly shutdown: ShutdownManager;
}

export interface ServedModule {
  readonly server: GrpcServer;
  readonly port: number;
  readonly adminPort: number;
}

/**
 * The tail every service's main.ts shares: start the module's background work, then the admin and
 * gRPC servers, each registered so that SIGTERM closes gRPC first (NOT_SERVING, calls in flight
 * finish), then admin, then the module's background work — before the bus and store registered
 * earlier by the caller.
 */
export async function serveModule(options: ServeModuleOptions): Promise<ServedModule> {
  const { module, config, logger, shutdown } = options;
  await module.start();
  shutdown.register(`${module.name} background work`, () => module.stop());

  const server = createGrpcServer({ serviceName: config.SERVICE_NAME, domain: options.domain, config, logger, registrations: module.registrations });
  const admin = await startAdminServer({ port: config.ADMIN_PORT, isReady: () => server.isServing && !shutdown.isShuttingDown });
  shutdown.register('admin', () => admin.close());
  const port = await server.start();
  shutdown.register('grpc', () => server.shutdown(config.SHUTDOWN_GRACE_MS));
  return { server, port, adminPort: admin.port };
}
