/**
 * Where a Resolve's CPU goes, without gRPC: 100,000 seeded profiles, the Resolve handler called
 * in process 50,000 times (known caller, as in identity-bench), a CPU profile of that loop written
 * to PROFILE_OUT (default ./identity-resolve.cpuprofile; open it in Chrome DevTools).
 *
 *   node --conditions=@continuum/source --import tsx bench/identity/profile-probe.ts
 */
import { createInProcessBus } from '@continuum/events';
import { createLogger, type CallContext } from '@continuum/kit';
import { createEmbeddedStore } from '@continuum/store';
import { commonV1, identityV1 } from '@continuum/contracts';
import { bulkLoadProfiles, createIdentityService, type BulkProfile } from '@continuum/identity';
import { phoneOf } from './identity-server';
async function main(): Promise<void> {
  const N = Number(process.env["PROBE_PROFILES"] ?? 100_000);
  const store = createEmbeddedStore();
  const module = await createIdentityService({ store, bus: createInProcessBus(), logger: createLogger({ service: 'x', level: 'silent' }), defaultPhoneRegion: 'ES' });
  await module.start();
  for (let first = 0; first < N; first += 10_000) {
    const ps: BulkProfile[] = [];
    for (let i = first; i < Math.min(N, first + 10_000); i++) ps.push({ id: `prf_${i}`, identifiers: [{ type: 'PHONE', value: phoneOf(i), verifiedLevel: 'VERIFIED' }, { type: 'EMAIL', value: `c.${i}@example.com`, verifiedLevel: 'NONE' }], traits: { lifetime_value: i, country: 'ES' } });
    await bulkLoadProfiles(store, 'bench', ps, { defaultPhoneRegion: 'ES' });
  }
  const h = module.registrations[0]!.handlers as unknown as { resolve(r: identityV1.ResolveRequest, c: CallContext): Promise<identityV1.ResolveResponse> };
  const ctx = { tenantId: 'bench', subject: 'x' } as CallContext;
  const req = (i: number) => identityV1.ResolveRequest.fromPartial({ identifiers: [{ type: 1, value: phoneOf((i * 7919) % N), proof: commonV1.AssuranceLevel.ASSURANCE_LEVEL_ASSERTED }], channel: 3 });
  for (let i = 0; i < 20000; i++) await h.resolve(req(i), ctx);
  const n = 50000;
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  // CONCURRENCY calls in flight at once (as 64 gRPC callers would keep the server busy), default 1.
  const concurrency = Number(process.env['CONCURRENCY'] ?? 1);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const r = await h.resolve(req(next++), ctx);
      identityV1.ResolveResponse.encode(r).finish();
    }
  };
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const used = process.cpuUsage(cpu);
  console.log('CPU µs/call', (used.user + used.system) / n);
  console.log('handler+encode µs/call', Number(process.hrtime.bigint() - t) / n / 1000);
  const { profile } = await session.post('Profiler.stop');
  const out = process.env['PROFILE_OUT'] ?? 'identity-resolve.cpuprofile';
  (await import('node:fs')).writeFileSync(out, JSON.stringify(profile));
  console.log(`CPU profile of the measured loop: ${out}`);
  const coll = store.forTenant('bench').collection('identity_profiles');
  const t3 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await coll.find({ 'identifiers.key': `PHONE:${phoneOf(i % N)}` });
  console.log('find µs', Number(process.hrtime.bigint() - t3) / n / 1000);
  process.exit(0);
}
void main();
