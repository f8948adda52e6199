import { Server, ServerCredentials, type MethodDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { createAuthenticator, type AuthConfig, type Authenticator } from '../auth/authenticator';
import { UnavailableError } from '../errors/domain-errors';
import type { Logger } from '../logging/logger';
import { splitMethodPath } from '../telemetry/rpc-attributes';
import { CallTracker } from './call-tracker';
import { DEFAULT_FLOW_CONTROL_WINDOW_BYTES, widenFlowControlWindows } from './flow-control';
import { wrapHandler } from './call-pipeline';
import { grpcServerMetrics } from './grpc-metrics';
import { HealthReporter } from './health';
import { addReflection } from './reflection';
import type { ServiceRegistration } from './types';

/** The part of the configuration the server reads (KitConfig and every service config satisfy it). */
export interface GrpcServerConfig extends AuthConfig {
  readonly GRPC_HOST: string;
  readonly GRPC_PORT: number;
  readonly GRPC_DEFAULT_DEADLINE_MS: number;
  readonly GRPC_MAX_DEADLINE_MS: number;
  readonly GRPC_MAX_MESSAGE_BYTES: number;
  /** Request/response calls in flight at once before new ones are refused (0: no limit). */
  readonly GRPC_MAX_CONCURRENT_CALLS?: number;
  /** HTTP/2 receive window per stream and per connection (bytes; default 1 MiB). */
  readonly GRPC_FLOW_CONTROL_WINDOW_BYTES?: number;
}

export interface GrpcServerOptions {
  /** The service's name (identity, context, ...), for logs. */
  readonly serviceName: string;
  /** ErrorInfo domain of this service's errors, e.g. `identity.continuum.dev`. */
  readonly domain: string;
  readonly config: GrpcServerConfig;
  readonly logger: Logger;
  // `any`: registrations of different services have unrelated definition types.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly registrations: readonly ServiceRegistration<any>[];
  /** Where the RED metrics go; prom-client's global registry by default. */
  readonly metricsRegistry?: Registry;
  /** Replaces the authenticator built from the config (the all-in-one shares one). */
  readonly authenticator?: Authenticator;
  /** TLS / mTLS; insecure by default (the mesh or the cluster network provides transport security). */
  readonly credentials?: ServerCredentials;
}

export interface ShutdownOptions {
  /**
   * How long to keep serving (while reporting NOT_SERVING) before refusing new calls, so load
   * balancers and Kubernetes see the status change and stop sending traffic first.
   */
  readonly drainDelayMs?: number;
}

export interface GrpcServer {
  /** Binds GRPC_HOST:GRPC_PORT (0 = a free port), reports SERVING; resolves to the bound port. */
  start(): Promise<number>;
  /** Reports SERVING / NOT_SERVING on grpc.health.v1 (overall and per service). */
  setServing(serving: boolean): void;
  /** Whether it reports SERVING. */
  readonly isServing: boolean;
  /** The number of calls in flight. */
  readonly inFlight: number;
  /**
   * Graceful stop: NOT_SERVING first, then no new calls, calls in flight get `graceMs` to finish,
   * then the rest are cancelled (their `ctx.signal` aborts, clients get UNAVAILABLE). Idempotent.
   */
  shutdown(graceMs: number, options?: ShutdownOptions): Promise<void>;
  /** The grpc-js server, for tests that need to add a raw service. */
  readonly raw: Server;
}

/**
 * The gRPC server every Continuum service runs: its registrations behind the kit's call pipeline
 * (auth and tenancy, error mapping, RED metrics, tracing, deadlines), plus grpc.health.v1 and
 * server reflection, with message size limits from the config.
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const { config, logger } = options;
  const authenticator = options.authenticator ?? createAuthenticator(config, logger);
  const tracker = new CallTracker();
  const server = new Server({
    'grpc.max_receive_message_length': config.GRPC_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': config.GRPC_MAX_MESSAGE_BYTES,
  });
  const deps = {
    domain: options.domain,
    logger,
    authenticator,
    metrics: grpcServerMetrics(options.metricsRegistry),
    tracker,
    deadlines: { defaultMs: config.GRPC_DEFAULT_DEADLINE_MS, maxMs: config.GRPC_MAX_DEADLINE_MS },
    maxConcurrentRequests: config.GRPC_MAX_CONCURRENT_CALLS ?? 0,
  };

  const serviceNames: string[] = [];
  for (const registration of options.registrations) {
    serviceNames.push(addRegistration(server, registration, deps));
  }
  const health = new HealthReporter(serviceNames);
  health.addToServer(server);
  addReflection(server, serviceNames);

  let shuttingDown: Promise<void> | undefined;

  return {
    raw: server,
    get isServing() {
      return health.isServing;
    },
    get inFlight() {
      return tracker.size;
    },
    setServing: (serving) => health.setServing(serving),

    async start() {
      const port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`${config.GRPC_HOST}:${config.GRPC_PORT}`, options.credentials ?? ServerCredentials.createInsecure(), (error, bound) =>
          error ? reject(error) : resolve(bound),
        );
      });
      widenFlowControlWindows(server, config.GRPC_FLOW_CONTROL_WINDOW_BYTES ?? DEFAULT_FLOW_CONTROL_WINDOW_BYTES, logger);
      if (authenticator.mode === 'disabled') {
        logger.warn(
          { auth_mode: 'disabled' },
          '!!! AUTHENTICATION IS DISABLED (AUTH_MODE=disabled): every caller may act on any tenant with every scope. Development only: never run this in production. !!!',
        );
      }
      health.setServing(true);
      logger.info({ port, services: serviceNames }, 'gRPC server started');
      return port;
    },

    shutdown(graceMs, shutdownOptions = {}) {
      shuttingDown ??= (async () => {
        health.setServing(false);
        logger.info({ in_flight: tracker.size, grace_ms: graceMs }, 'gRPC server shutting down');
        if (shutdownOptions.drainDelayMs) await delay(shutdownOptions.drainDelayMs);
        const graceEnds = Date.now() + graceMs;
        // tryShutdown refuses new calls (GOAWAY, so clients reconnect elsewhere), lets the calls in
        // flight finish and flush, and reports when every connection has closed.
        const closed = new Promise<boolean>((resolve) => server.tryShutdown(() => resolve(true)));
        const idle = await Promise.race([tracker.idle().then(() => true), delay(graceMs).then(() => false)]);
        if (idle) {
          // Only health watches (and stray reflection streams) can be left: end them.
          health.endWatches();
          await Promise.race([closed, delay(Math.max(0, graceEnds - Date.now()))]);
        } else {
          logger.warn({ in_flight: tracker.size }, 'grace period over; cancelling calls in flight');
          tracker.abortAll(new UnavailableError('SHUTTING_DOWN', 'server is shutting down'));
          // Give the cancelled handlers a moment to send their UNAVAILABLE before the sockets close.
          await Promise.race([closed, delay(100)]);
        }
        server.forceShutdown();
        logger.info('gRPC server stopped');
      })();
      return shuttingDown;
    },
  };
}

function addRegistration(server: Server, registration: ServiceRegistration, deps: Parameters<typeof wrapHandler>[3]): string {
  const implementation: UntypedServiceImplementation = {};
  let serviceName: string | undefined;
  for (const [name, method] of Object.entries(registration.definition)) {
    const definition = method as MethodDefinition<unknown, unknown>;
    serviceName ??= splitMethodPath(definition.path).service;
    const handler = registration.handlers[name];
    const scope = registration.scopes[name];
    // Fail closed at start-up: a method without handler or scope would otherwise be open or broken.
    if (typeof handler !== 'function') throw new Error(`no handler for ${definition.path}`);
    if (typeof scope !== 'string' || scope === '') throw new Error(`no required scope for ${definition.path}`);
    implementation[name] = wrapHandler(definition, handler, scope, deps);
  }
  if (serviceName === undefined) throw new Error('a registration has no methods');
  server.addService(registration.definition, implementation);
  return serviceName;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
