import type { Logger, ServiceModule } from '@continuum/kit';
import type { EventBus } from '@continuum/events';
import type { DocumentStore } from '@continuum/store';
import { CONTEXT_ERROR_DOMAIN, contextConfigSchema, createContextService, type ContextConfig } from '@continuum/context';
import { IDENTITY_ERROR_DOMAIN, createIdentityService, identityConfigSchema, type IdentityConfig } from '@continuum/identity';
import { ROUTING_ERROR_DOMAIN, createRoutingService, routingConfigSchema, type RoutingConfig } from '@continuum/routing';
import type { z } from 'zod';

/** What a hosted service gets from the all-in-one process. */
export interface HostDeps {
  readonly store: DocumentStore;
  readonly bus: EventBus;
  readonly logger: Logger;
  /** `host:port` of every service started before this one, by name. */
  readonly addresses: ReadonlyMap<string, string>;
}

/** One service the all-in-one process can host: how to read its config and build its module. */
export interface HostedService<C extends { GRPC_PORT: number; MONGODB_DB: string }> {
  readonly name: string;
  /** Prefix of its own overrides (`IDENTITY_` → `IDENTITY_GRPC_PORT`). */
  readonly envPrefix: string;
  readonly schema: z.ZodType<C, Record<string, unknown>>;
  /** ErrorInfo domain of its errors. */
  readonly errorDomain: string;
  create(config: C, deps: HostDeps): Promise<ServiceModule>;
}

const identity: HostedService<IdentityConfig> = {
  name: 'identity',
  envPrefix: 'IDENTITY',
  schema: identityConfigSchema,
  errorDomain: IDENTITY_ERROR_DOMAIN,
  create: (config, deps) =>
    createIdentityService({
      store: deps.store,
      bus: deps.bus,
      logger: deps.logger,
      defaultPhoneRegion: config.IDENTITY_DEFAULT_PHONE_REGION,
      lastSeenGranularityMs: config.IDENTITY_LAST_SEEN_GRANULARITY_MS,
      settingsCacheMs: config.IDENTITY_SETTINGS_CACHE_MS,
      segmentBatchSize: config.IDENTITY_SEGMENT_BATCH_SIZE,
    }),
};

const context: HostedService<ContextConfig> = {
  name: 'context',
  envPrefix: 'CONTEXT',
  schema: contextConfigSchema,
  errorDomain: CONTEXT_ERROR_DOMAIN,
  create: (config, deps) =>
    createContextService({
      store: deps.store,
      bus: deps.bus,
      logger: deps.logger,
      abandonSweepMs: config.CONTEXT_ABANDON_SWEEP_MS,
      identityDurable: config.CONTEXT_IDENTITY_DURABLE,
    }),
};

const routing: HostedService<RoutingConfig> = {
  name: 'routing',
  envPrefix: 'ROUTING',
  schema: routingConfigSchema,
  errorDomain: ROUTING_ERROR_DOMAIN,
  create: (config, deps) =>
    createRoutingService({
      store: deps.store,
      bus: deps.bus,
      logger: deps.logger,
      // Asks the context service of this same process unless told otherwise.
      contextAddress: config.CONTEXT_ADDRESS !== '' ? config.CONTEXT_ADDRESS : deps.addresses.get('context'),
      contextDeadlineMs: config.ROUTING_CONTEXT_DEADLINE_MS,
      offerTimeoutMs: config.ROUTING_OFFER_TIMEOUT_MS,
    }),
};

/** The services of this wave, in start order (a service may call those started before it). */
// Each entry keeps its own config type; the list erases it (the platform only hands each service
// the config its own schema parsed), which TypeScript can only say with `any` here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const HOSTED_SERVICES: readonly HostedService<any>[] = [identity, context, routing];
