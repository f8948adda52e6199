/**
 * The context service's identity-event projection (apps/context, built on the inbox consumer of
 * libs/events) consuming a backlog from the in-process bus, set up as bench/context measures its
 * "identity-event consumption" figure: a new profile, then its segments, for EVENTS / 2 profiles.
 */
import { identityV1 } from '@continuum/contracts';
import { createEnvelope, createInProcessBus, defineEvent } from '@continuum/events';
import { createLogger } from '@continuum/kit';
import { createEmbeddedStore } from '@continuum/store';
import { createContextService } from '@continuum/context';

const created = defineEvent({ domain: 'identity', type: 'profile_created', payloadType: 'continuum.identity.v1.ProfileCreatedEvent', codec: identityV1.ProfileCreatedEvent });
const segments = defineEvent({
  domain: 'identity',
  type: 'segment_membership_changed',
  payloadType: 'continuum.identity.v1.SegmentMembershipChangedEvent',
  codec: identityV1.SegmentMembershipChangedEvent,
});

/** Events/s from the consumer's start to the last event applied, and this process's CPU µs per event. */
export async function measureIdentityProjection(events: number): Promise<{ rate: number; cpuUs: number }> {
  const store = createEmbeddedStore();
  const bus = createInProcessBus({ maxMessagesPerStream: events * 2 });
  const logger = createLogger({ service: 'identity-projection-bench', level: 'silent' });
  const module = await createContextService({ store, bus, logger, abandonSweepMs: 0, identityDurable: 'bench-identity' });
  await bus.ensureStreams(['identity']);
  for (let i = 0; i < events; i++) {
    const profileId = `prf_id_${i >> 1}`;
    const envelope =
      i % 2 === 0
        ? createEnvelope(created, { tenantId: 'bench', subjectProfileId: profileId, payload: { profile: identityV1.Profile.fromPartial({ profileId, anonymous: i % 4 === 0, version: 1 }) } }, { producer: 'identity' })
        : createEnvelope(segments, { tenantId: 'bench', subjectProfileId: profileId, payload: { profileId, enteredSegmentIds: ['vip'], leftSegmentIds: [], segmentIds: ['vip'] } }, { producer: 'identity' });
    await bus.publish(envelope);
  }
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await module.start();
  while (module.identityEventsApplied < events) await new Promise((resolve) => setTimeout(resolve, 5));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  await module.stop();
  await bus.close();
  await store.close();
  return { rate: Math.round(events / seconds), cpuUs: Math.round(((used.user + used.system) / events) * 10) / 10 };
}
