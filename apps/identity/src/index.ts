// Public surface of the identity service: the module factory that main.ts, the all-in-one
// process, tests and benchmarks compose, and its configuration schema.
import type { Logger, ServiceModule } from '@continuum/kit';
import { OutboxRelay, createOutbox, type EventBus, type OutboxRelayStats } from '@continuum/events';
import type { DocumentStore } from '@continuum/store';
import { IdentityApplication } from './application';
import { IDENTITY_DOMAIN } from './events/identity-events';
import { identityRegistration } from './server';

export { identityConfigSchema, type IdentityConfig } from './config';
export { IDENTITY_ERROR_DOMAIN, IDENTITY_SCOPES } from './server';
export { IDENTITY_DOMAIN, IdentityEvents } from './events/identity-events';
export { bulkLoadProfiles, type BulkProfile } from './store/bulk-load';

/** What the identity service needs from the process that hosts it. */
export interface IdentityServiceDeps {
  readonly store: DocumentStore;
  readonly bus: EventBus;
  readonly logger: Logger;
  /** Defaults to the wall clock; tests inject one to move time. */
  readonly clock?: () => Date;
  /** Phone region of tenants without their own policy (IDENTITY_DEFAULT_PHONE_REGION). Default: none. */
  readonly defaultPhoneRegion?: string;
  /** IDENTITY_LAST_SEEN_GRANULARITY_MS; default 15 minutes. */
  readonly lastSeenGranularityMs?: number;
  /** IDENTITY_SETTINGS_CACHE_MS; default 2 s. */
  readonly settingsCacheMs?: number;
  /** IDENTITY_SEGMENT_BATCH_SIZE; default 200. */
  readonly segmentBatchSize?: number;
  /** Whether to run the outbox relay here (default true; the all-in-one may run one for every service). */
  readonly runRelay?: boolean;
}

/** The identity service module, plus what tests and operators look at. */
export interface IdentityServiceModule extends ServiceModule {
  /** Counters of this process's outbox relay. */
  readonly relayStats: OutboxRelayStats | undefined;
}

/**
 * Creates the identity service: its gRPC registration and background work (the outbox relay,
 * resuming segment re-evaluations a crash interrupted). Its collections are declared by `start()`,
 * which every host runs before serving.
 */
export async function createIdentityService(deps: IdentityServiceDeps): Promise<IdentityServiceModule> {
  const log = deps.logger.child({ component: 'identity' });
  const app = new IdentityApplication({
    store: deps.store,
    outbox: createOutbox({ store: deps.store, producer: 'identity' }),
    defaultPhoneRegion: deps.defaultPhoneRegion ?? '',
    lastSeenGranularityMs: deps.lastSeenGranularityMs ?? 15 * 60_000,
    settingsCacheMs: deps.settingsCacheMs ?? 2_000,
    ...(deps.segmentBatchSize !== undefined ? { segmentBatchSize: deps.segmentBatchSize } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    log,
  });
  const relay = deps.runRelay === false ? undefined : new OutboxRelay({ store: deps.store, bus: deps.bus, log });

  return {
    name: 'identity',
    registrations: [identityRegistration(app)],
    async start() {
      await deps.bus.ensureStreams([IDENTITY_DOMAIN]);
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
  };
}
