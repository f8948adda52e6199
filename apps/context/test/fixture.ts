// A real context service for handler tests: the module from index.ts behind the kit's gRPC server
// on a free port, JWT auth from a fresh dev issuer, the embedded store, the in-process bus, and an
// injected clock the test moves.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { commonV1, contextV1 } from '@continuum/contracts';
import {
  createClient,
  createDevTokenIssuer,
  createGrpcServer,
  createLogger,
  decodeStatusDetails,
  loadConfig,
  type DevTokenIssuer,
  type GrpcServer,
  type KitClient,
} from '@continuum/kit';
import { createInProcessBus, type EventBus } from '@continuum/events';
import { createEmbeddedStore, type DocumentStore } from '@continuum/store';
import { Registry } from 'prom-client';
import { CONTEXT_ERROR_DOMAIN, contextConfigSchema, createContextService, type ContextServiceModule } from '../src';

export const T0 = new Date('2026-03-02T10:00:00.000Z');
export const MINUTE = 60_000;

/** A clock the test moves by hand. */
export class TestClock {
  /** Where the clock starts and returns to: an hour after T0, so tests can place touchpoints before it. */
  static readonly START = new Date(T0.getTime() + 60 * MINUTE);
  constructor(public now: Date = TestClock.START) {}
  reset(): void {
    this.now = TestClock.START;
  }
  readonly read = (): Date => new Date(this.now.getTime());
  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }
  at(minutes: number): Date {
    return new Date(T0.getTime() + minutes * MINUTE);
  }
}

export type ContextClient = KitClient<typeof contextV1.ContextServiceService>;

export interface ContextFixture {
  readonly client: ContextClient;
  readonly module: ContextServiceModule;
  readonly store: DocumentStore;
  readonly bus: EventBus;
  readonly clock: TestClock;
  readonly issuer: DevTokenIssuer;
  readonly server: GrpcServer;
  /** Call options for a tenant with every context scope (or the ones given). */
  as(tenantId: string, scopes?: readonly string[]): Promise<{ tenantId: string; token: string }>;
  stop(): Promise<void>;
}

export const ALL_SCOPES = ['context.read', 'context.write', 'context.admin'] as const;

export async function startContext(options: { bus?: EventBus; store?: DocumentStore } = {}): Promise<ContextFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'context-test-'));
  const issuer = createDevTokenIssuer();
  const config = loadConfig(contextConfigSchema, { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', ...issuer.authEnv(join(dir, 'jwks.json')) });
  const logger = createLogger({ service: 'context', level: 'silent' });
  const store = options.store ?? createEmbeddedStore();
  const bus = options.bus ?? createInProcessBus();
  const clock = new TestClock();
  const module = await createContextService({ store, bus, logger, clock: clock.read, abandonSweepMs: 0 });
  const server = createGrpcServer({
    serviceName: 'context',
    domain: CONTEXT_ERROR_DOMAIN,
    config,
    logger,
    registrations: module.registrations,
    metricsRegistry: new Registry(),
  });
  await module.start();
  const port = await server.start();
  const client = createClient(contextV1.ContextServiceClient, { address: `127.0.0.1:${port}`, deadlineMs: 10_000 });
  const tokens = new Map<string, string>();
  return {
    client,
    module,
    store,
    bus,
    clock,
    issuer,
    server,
    async as(tenantId, scopes = ALL_SCOPES) {
      const key = `${tenantId}|${scopes.join(',')}`;
      let token = tokens.get(key);
      if (!token) tokens.set(key, (token = await issuer.issue({ tenant: tenantId, scopes })));
      return { tenantId, token };
    },
    async stop() {
      client.close();
      await server.shutdown(0);
      await module.stop();
      if (!options.bus) await bus.close();
      if (!options.store) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The gRPC error a call failed with, with its decoded details. */
export async function failure(call: Promise<unknown>): Promise<{ code: status; reason: string; domain: string; fields: string[] }> {
  try {
    await call;
  } catch (err) {
    const e = err as ServiceError;
    const details = decodeStatusDetails(e.metadata);
    return {
      code: e.code,
      reason: details?.errorInfo?.reason ?? '',
      domain: details?.errorInfo?.domain ?? '',
      fields: details?.badRequest?.fieldViolations.map((v) => v.field) ?? [],
    };
  }
  throw new Error('expected the call to fail');
}

let seq = 0;
/** A touchpoint with defaults for what a test does not care about. */
export function touchpoint(over: Partial<contextV1.Touchpoint> = {}): contextV1.Touchpoint {
  seq += 1;
  return contextV1.Touchpoint.fromPartial({
    touchpointId: `tp-${seq}-${Math.random().toString(36).slice(2, 8)}`,
    profileId: 'prf_maria',
    channel: commonV1.Channel.CHANNEL_WEB,
    direction: commonV1.Direction.DIRECTION_INBOUND,
    occurredAt: T0,
    ...over,
  });
}

/** The "return an item" journey used across the tests. */
export function returnItemDefinition(over: Partial<contextV1.JourneyDefinition> = {}): contextV1.JourneyDefinition {
  return contextV1.JourneyDefinition.fromPartial({
    journeyDefinitionId: 'return-item',
    displayName: 'Return an item',
    steps: [
      { stepId: 'start', displayName: 'Started' },
      { stepId: 'label-printed', displayName: 'Label printed', action: 'offer_prepaid_label', actionDescription: 'Send the prepaid label' },
      { stepId: 'parcel-dropped', displayName: 'Parcel dropped', action: 'share_drop_off_points', actionDescription: 'Show drop-off points' },
      { stepId: 'refunded', displayName: 'Refunded', action: 'issue_refund', actionDescription: 'Issue the refund' },
    ],
    completionStepId: 'refunded',
    abandonAfter: { seconds: 3600, nanos: 0 },
    intent: 'return_item',
    ...over,
  });
}

export { CONTEXT_ERROR_DOMAIN };
