// Public surface of the routing service: the module factory that main.ts, the all-in-one process,
// tests and benchmarks compose, its configuration schema, and the engine (for benchmarks).
import type { Logger, ServiceModule } from '@continuum/kit';
import { OutboxRelay, createOutbox, type EventBus, type OutboxRelayStats } from '@continuum/events';
import type { DocumentStore } from '@continuum/store';
import { RoutingApplication } from './application';
import { NO_CONTEXT, grpcContextPort, type ContextPort } from './context-port';
import { ROUTING_DOMAIN } from './events/routing-events';
import { routingRegistration } from './server';
import { RoutingRepository, defineRoutingCollections } from './store/routing-repository';

export { routingConfigSchema, type RoutingConfig } from './config';
export { ROUTING_ERROR_DOMAIN, ROUTING_SCOPES } from './server';
export { ROUTING_DOMAIN, RoutingEvents } from './events/routing-events';
export { grpcContextPort, routingContextOf, NO_CONTEXT, type ContextPort, type ContextQuery, type RoutingContext } from './context-port';
export { RoutingEngine, type EngineOptions, type AgentView } from './domain/engine';
export { DEFAULT_POLICY } from './domain/policy';
export type * from './domain/model';

/** What the routing service needs from the process that hosts it. */
export interface RoutingServiceDeps {
  readonly store: DocumentStore;
  readonly bus: EventBus;
  readonly logger: Logger;
  /** How routing asks context about a customer; default: gRPC to `contextAddress`, or none. */
  readonly context?: ContextPort;
  /** CONTEXT_ADDRESS: host:port of the context service (empty: tasks are routed on their own data). */
  readonly contextAddress?: string;
  /** ROUTING_CONTEXT_DEADLINE_MS; default 500. */
  readonly contextDeadlineMs?: number;
  /** A platform token for the context call; default: the submitting caller's authorization is forwarded. */
  readonly contextToken?: string | (() => string);
  /** ROUTING_OFFER_TIMEOUT_MS; default 20 s. */
  readonly offerTimeoutMs?: number;
  /** Milliseconds since the epoch; tests inject their own. */
  readonly clock?: () => number;
  /** Whether to run the outbox relay here (default true; the all-in-one may run one for every service). */
  readonly runRelay?: boolean;
}

/** The routing service module, plus what tests and operators look at. */
export interface RoutingServiceModule extends ServiceModule {
  /** Counters of this process's outbox relay. */
  readonly relayStats: OutboxRelayStats | undefined;
  /** Resolves once every write handed to the store so far has committed (tests, shutdown). */
  flushed(): Promise<void>;
}

/**
 * Creates the routing service: declares its collections and returns its gRPC registration and
 * background work (the outbox relay; rebuilding every tenant's engine from the store so that
 * waiting tasks are offered again after a restart).
 */
export async function createRoutingService(deps: RoutingServiceDeps): Promise<RoutingServiceModule> {
  await defineRoutingCollections(deps.store);
  const log = deps.logger.child({ component: 'routing' });
  const context =
    deps.context ??
    (deps.contextAddress
      ? grpcContextPort({
          address: deps.contextAddress,
          deadlineMs: deps.contextDeadlineMs ?? 500,
          ...(deps.contextToken !== undefined ? { token: deps.contextToken } : {}),
        })
      : NO_CONTEXT);
  const repository = new RoutingRepository(deps.store, createOutbox({ store: deps.store, producer: 'routing' }));
  const app = new RoutingApplication({
    repository,
    context,
    log,
    offerTimeoutMs: deps.offerTimeoutMs ?? 20_000,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  const relay = deps.runRelay === false ? undefined : new OutboxRelay({ store: deps.store, bus: deps.bus, log });

  return {
    name: 'routing',
    registrations: [routingRegistration(app)],
    async start() {
      await deps.bus.ensureStreams([ROUTING_DOMAIN]);
      await relay?.start();
      await app.start();
    },
    async stop() {
      await app.stop();
      await relay?.stop();
    },
    get relayStats() {
      return relay?.stats;
    },
    flushed: () => repository.flushed(),
  };
}
