import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ServiceError } from '@grpc/grpc-js';
import { identityV1 } from '@continuum/contracts';
import { createInProcessBus, OUTBOX_COLLECTION, type EventBus } from '@continuum/events';
import {
  createClient,
  createDevTokenIssuer,
  createGrpcServer,
  createLogger,
  decodeStatusDetails,
  kitConfigSchema,
  loadConfig,
  type DevTokenIssuer,
  type GrpcServer,
  type KitClient,
  type StatusDetails,
} from '@continuum/kit';
import { createEmbeddedStore, type DocumentStore } from '@continuum/store';
import { Registry } from 'prom-client';
import { createIdentityService, IDENTITY_SCOPES, type IdentityServiceModule } from '../src';
import { COLLECTIONS } from '../src/store/documents';

/** Log lines written by the service, parsed (to check that no personal data is logged). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
}

export type IdentityClient = KitClient<typeof identityV1.IdentityServiceService>;

export interface IdentityFixture {
  readonly store: DocumentStore;
  readonly bus: EventBus;
  readonly module: IdentityServiceModule;
  readonly server: GrpcServer;
  readonly address: string;
  readonly issuer: DevTokenIssuer;
  readonly client: IdentityClient;
  readonly logs: LogCapture;
  /** Moves the service's clock forward. */
  advance(ms: number): void;
  /** Call options for a tenant with the given scopes (default: read, write and admin). */
  as(tenant: string, scopes?: readonly string[]): Promise<{ token: string; tenantId: string }>;
  /** Every stored document of the identity collections and the outbox, for "nothing written" checks. */
  snapshot(): Promise<string>;
  stop(): Promise<void>;
}

export const ALL_SCOPES = [IDENTITY_SCOPES.read, IDENTITY_SCOPES.write, IDENTITY_SCOPES.admin];

/** The identity service on a free port, real JWT auth, embedded store, the given bus (in-process by default). */
export async function startIdentity(options: { bus?: EventBus; defaultPhoneRegion?: string; store?: DocumentStore } = {}): Promise<IdentityFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'identity-test-'));
  const issuer = createDevTokenIssuer();
  const config = loadConfig(kitConfigSchema, { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', ...issuer.authEnv(join(dir, 'jwks.json')) });
  const logs = new LogCapture();
  const logger = createLogger({ service: 'identity', level: 'debug', destination: logs });
  const store = options.store ?? createEmbeddedStore();
  const bus = options.bus ?? createInProcessBus();
  let now = new Date('2026-03-01T09:00:00Z').getTime();
  const module = await createIdentityService({
    store,
    bus,
    logger,
    clock: () => new Date(now),
    defaultPhoneRegion: options.defaultPhoneRegion ?? 'ES',
    settingsCacheMs: 0,
  });
  await module.start();
  const server = createGrpcServer({
    serviceName: 'identity',
    domain: 'identity.continuum.dev',
    config,
    logger,
    registrations: module.registrations,
    metricsRegistry: new Registry(),
  });
  const port = await server.start();
  const address = `127.0.0.1:${port}`;
  const client = createClient(identityV1.IdentityServiceClient, { address, deadlineMs: 10_000 });
  return {
    store,
    bus,
    module,
    server,
    address,
    issuer,
    client,
    logs,
    advance: (ms) => {
      now += ms;
    },
    as: async (tenant, scopes = ALL_SCOPES) => ({ token: await issuer.issue({ tenant, scopes, subject: `agent-of-${tenant}` }), tenantId: tenant }),
    snapshot: async () => {
      const parts: string[] = [];
      for (const name of [...Object.values(COLLECTIONS), OUTBOX_COLLECTION, 'identity_segment_jobs']) {
        // The relay marks outbox entries sent in the background, whenever it gets to them: that
        // bookkeeping is not a change the test is about.
        const projection = name === OUTBOX_COLLECTION ? ({ state: 0, sentAt: 0 } as const) : undefined;
        const docs = await store.unscoped(name).find({}, { sort: { _id: 1 }, ...(projection ? { projection } : {}) });
        parts.push(`${name}:${JSON.stringify(docs)}`);
      }
      return parts.join('\n');
    },
    stop: async () => {
      client.close();
      await server.shutdown(0);
      await module.stop();
      if (!options.bus) await bus.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The error a call failed with, and its decoded details; fails the test if the call succeeded. */
export async function failure(promise: Promise<unknown>): Promise<{ error: ServiceError; details: StatusDetails | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as ServiceError;
    return { error: e, details: decodeStatusDetails(e.metadata) ?? undefined };
  }
  throw new Error('expected the call to fail');
}

/** A Resolve request from short tuples: [type, value, proof?]. */
export function resolveRequest(
  ids: [identityV1.IdentifierType, string, number?][],
  extra: Partial<identityV1.ResolveRequest> = {},
): identityV1.ResolveRequest {
  return identityV1.ResolveRequest.fromPartial({
    identifiers: ids.map(([type, value, proof]) => ({ type, value, proof: proof ?? 0 })),
    channel: 1,
    ...extra,
  });
}
