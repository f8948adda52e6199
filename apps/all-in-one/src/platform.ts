import {
  createGrpcServer,
  loadConfig,
  scopedEnv,
  ShutdownManager,
  startAdminServer,
  type GrpcServer,
  type Logger,
} from '@continuum/kit';
import { connectEventBus } from '@continuum/events';
import { createStore } from '@continuum/store';
import { allInOneConfigSchema, PROCESS_LEVEL_VARIABLES, type AllInOneConfig } from './config';
import { HOSTED_SERVICES } from './hosted-services';

/** One service as it runs inside the platform. */
export interface StartedService {
  readonly name: string;
  readonly port: number;
  /** `host:port` to give a client. */
  readonly address: string;
  /** Fully qualified gRPC service names it serves. */
  readonly grpcServices: readonly string[];
}

/** The running platform. */
export interface Platform {
  readonly config: AllInOneConfig;
  readonly services: readonly StartedService[];
  readonly adminPort: number;
  readonly storeBackend: 'mongodb' | 'embedded';
  readonly busKind: 'jetstream' | 'in-process';
  /** Reports NOT_SERVING, lets calls in flight finish, closes everything in reverse order. */
  readonly shutdown: ShutdownManager;
}

export interface StartPlatformOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The process logger. */
  readonly logger: Logger;
  /** A logger per hosted service (so each log line names its service); defaults to a child of `logger`. */
  readonly loggerFor?: (service: string) => Logger;
  /**
   * The process's shutdown manager, when the caller has registered resources that must close
   * after the platform (telemetry, so the spans of the shutdown itself are exported).
   */
  readonly shutdown?: ShutdownManager;
}

/** The environment one service sees: process-level variables removed, its own overrides applied. */
function serviceEnv(prefix: string, env: Readonly<Record<string, string | undefined>>, defaults: Record<string, string>) {
  const shared: Record<string, string | undefined> = { ...defaults, ...env };
  for (const name of PROCESS_LEVEL_VARIABLES) delete shared[name];
  return scopedEnv(prefix, shared);
}

/** `continuum.identity.v1.IdentityService` from a generated definition (its methods' paths). */
function grpcServiceName(definition: object): string | undefined {
  const first = Object.values(definition)[0] as { path?: string } | undefined;
  return first?.path?.split('/')[1];
}

async function closeServers(servers: readonly GrpcServer[], graceMs: number): Promise<void> {
  await Promise.all(servers.map((server) => server.shutdown(graceMs)));
}

/**
 * Starts every service of this wave in this process, each on its own gRPC port, sharing one event
 * bus (in-process unless NATS_URL) and giving each service its own store (embedded unless
 * MONGODB_URI; then each its own database), so that no service reads another's data even here.
 * A failure half-way closes what was started and rethrows.
 */
export async function startPlatform(options: StartPlatformOptions): Promise<Platform> {
  const env = options.env ?? process.env;
  const config = loadConfig(allInOneConfigSchema, env);
  // Every hosted service runs in the platform's auth mode unless its own override says otherwise.
  const serviceDefaults = { AUTH_MODE: config.AUTH_MODE };
  const logger = options.logger;
  const shutdown = options.shutdown ?? new ShutdownManager({ logger, graceMs: config.SHUTDOWN_GRACE_MS });
  const loggerFor = options.loggerFor ?? ((service: string) => logger.child({ component: service }));
  const servers: GrpcServer[] = [];

  try {
    const bus = await connectEventBus({ natsUrl: config.NATS_URL, name: 'continuum-all-in-one', log: logger });
    shutdown.register('bus', () => bus.close());

    const services: StartedService[] = [];
    const addresses = new Map<string, string>();
    let storeBackend: Platform['storeBackend'] = 'embedded';

    for (const hosted of HOSTED_SERVICES) {
      const serviceConfig = loadConfig(hosted.schema, serviceEnv(hosted.envPrefix, env, serviceDefaults));
      const log = loggerFor(hosted.name);
      const store = await createStore({ mongodbUri: serviceConfig.MONGODB_URI, dbName: serviceConfig.MONGODB_DB, logger: log });
      storeBackend = store.backend;
      shutdown.register(`${hosted.name} store`, () => store.close());

      const module = await hosted.create(serviceConfig, { store, bus, logger: log, addresses });
      await module.start();
      shutdown.register(`${hosted.name} background work`, () => module.stop());

      const server = createGrpcServer({
        serviceName: hosted.name,
        domain: hosted.errorDomain,
        config: serviceConfig,
        logger: log,
        registrations: module.registrations,
      });
      servers.push(server);
      const port = await server.start();
      const address = `${config.CONTINUUM_ADVERTISED_HOST}:${port}`;
      addresses.set(hosted.name, address);
      services.push({
        name: hosted.name,
        port,
        address,
        grpcServices: module.registrations.map((r) => grpcServiceName(r.definition) ?? hosted.name),
      });
    }

    // Registered last so it runs first: every service reports NOT_SERVING and finishes its calls
    // before any background work, bus or store closes.
    shutdown.register('gRPC servers', () => closeServers(servers, config.SHUTDOWN_GRACE_MS));

    const admin = await startAdminServer({
      port: config.ADMIN_PORT,
      isReady: () => servers.every((s) => s.isServing) && !shutdown.isShuttingDown,
    });
    shutdown.register('admin', () => admin.close());

    return { config, services, adminPort: admin.port, storeBackend, busKind: bus.kind, shutdown };
  } catch (err) {
    await closeServers(servers, 0);
    await shutdown.shutdown('start-up failed');
    throw err;
  }
}
