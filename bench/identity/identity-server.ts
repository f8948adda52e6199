/**
 * The identity service as the benchmark's target, in its own process: the real module from
 * apps/identity behind the kit's gRPC server, the embedded store and the in-process bus, warmed
 * with `profiles` profiles (a Spanish mobile number, verified, and an email each, plus traits).
 * Seeding goes through `bulkLoadProfiles` (normalization and segments as Resolve does them, no
 * events): a million Resolve calls would take longer than the benchmark itself.
 */
import { createGrpcServer, createLogger, loadConfig } from '@continuum/kit';
import { createInProcessBus } from '@continuum/events';
import { createEmbeddedStore } from '@continuum/store';
import { IDENTITY_ERROR_DOMAIN, bulkLoadProfiles, createIdentityService, identityConfigSchema, type BulkProfile } from '@continuum/identity';
import type { BenchServer } from '../harness/server-protocol';

export const BENCH_TENANT = 'bench';

export interface IdentityServerOptions {
  readonly profiles: number;
}

/** The caller-ID number of seeded profile `i` (E.164, unique per profile). */
export function phoneOf(i: number): string {
  return `+346${String(10_000_000 + i).slice(-8)}`;
}

export async function start(options: IdentityServerOptions): Promise<BenchServer> {
  const config = loadConfig(identityConfigSchema, { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', AUTH_MODE: 'disabled', LOG_LEVEL: 'silent' });
  const logger = createLogger({ service: 'identity', level: 'silent' });
  const store = createEmbeddedStore();
  const bus = createInProcessBus();
  const module = await createIdentityService({ store, bus, logger, defaultPhoneRegion: 'ES', lastSeenGranularityMs: config.IDENTITY_LAST_SEEN_GRANULARITY_MS });
  await module.start();

  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = Date.now();
  const batch = 10_000;
  for (let first = 0; first < options.profiles; first += batch) {
    const profiles: BulkProfile[] = [];
    for (let i = first; i < Math.min(options.profiles, first + batch); i++) {
      profiles.push({
        id: `prf_${i.toString(36).padStart(10, '0')}${'0'.repeat(22)}`, // as long as a real id (prf_ + 32)
        identifiers: [
          { type: 'PHONE', value: phoneOf(i), verifiedLevel: 'VERIFIED' },
          { type: 'EMAIL', value: `customer.${i}@example.com`, verifiedLevel: 'NONE' },
        ],
        traits: { lifetime_value: (i * 37) % 20_000, country: i % 3 === 0 ? 'PT' : 'ES', tier: i % 10 === 0 ? 'gold' : 'standard' },
      });
    }
    await bulkLoadProfiles(store, BENCH_TENANT, profiles, { defaultPhoneRegion: 'ES' });
  }
  const seedSeconds = (Date.now() - started) / 1000;
  gc?.();
  const heapAfter = process.memoryUsage().heapUsed;

  const server = createGrpcServer({ serviceName: 'identity', domain: IDENTITY_ERROR_DOMAIN, config, logger, registrations: module.registrations });
  const port = await server.start();
  return {
    address: `127.0.0.1:${port}`,
    info: {
      profiles: options.profiles,
      seedSeconds: Math.round(seedSeconds),
      heapBeforeSeedMiB: Math.round(heapBefore / 2 ** 20),
      heapAfterSeedMiB: Math.round(heapAfter / 2 ** 20),
      store: 'embedded',
      bus: 'in-process',
      auth: 'disabled',
    },
    clientMetadata: { 'x-tenant-id': BENCH_TENANT },
    async stop() {
      await server.shutdown(1_000);
      await module.stop();
      await bus.close();
      await store.close();
    },
  };
}
