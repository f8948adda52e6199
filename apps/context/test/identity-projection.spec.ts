// The identity-event projection through the real inbox consumer on the in-process bus: identity
// events published as identity publishes them, their effect read back through the gRPC API.
import { commonV1, contextV1, identityV1 } from '@continuum/contracts';
import { createEnvelope, OUTBOX_COLLECTION, outboxEventsOf, type EventType, type OutboxDocument } from '@continuum/events';
import type { BaseDocument } from '@continuum/store';
import { waitFor } from '@continuum/testing';
import { status } from '@grpc/grpc-js';
import { IdentifiersLinked, ProfileCreated, ProfileErased, ProfilesMerged, ProfilesUnmerged, SegmentMembershipChanged } from '../src/events/identity-events';
import { MINUTE, T0, failure, returnItemDefinition, startContext, touchpoint, type ContextFixture } from './fixture';

const { Channel, Purpose, AssuranceLevel } = commonV1;
const { IdentifierType } = identityV1;
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * MINUTE);

let f: ContextFixture;
let tenant: { tenantId: string; token: string };
let version = 0;

beforeAll(async () => {
  f = await startContext();
  tenant = await f.as('acme');
  await f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition(), requestId: 'def' }, tenant);
});
afterAll(async () => {
  await f.stop();
});

async function publish<P>(type: EventType<P>, subjectProfileId: string, payload: P): Promise<void> {
  await f.bus.publish(createEnvelope(type, { tenantId: tenant.tenantId, subjectProfileId, payload }, { producer: 'identity' }));
}

/** Waits until the projection applied `n` more events than before. */
async function applied(before: number, n = 1): Promise<void> {
  await waitFor(() => f.module.identityEventsApplied >= before + n, { timeoutMs: 2500, intervalMs: 5, description: `the projection to apply ${n} events` });
}

function profile(profileId: string, over: Partial<identityV1.Profile> = {}): identityV1.Profile {
  version += 1;
  return identityV1.Profile.fromPartial({ profileId, anonymous: true, version, ...over });
}

const identifier = (type: identityV1.IdentifierType, value: string, verifiedLevel = AssuranceLevel.ASSURANCE_LEVEL_NONE) => identityV1.Identifier.fromPartial({ type, value, verifiedLevel });

const context = (profileId: string) => f.client.getContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 50, factLimit: 0 }, tenant);

function merge(survivor: string, merged: string): identityV1.MergeRecord {
  return identityV1.MergeRecord.fromPartial({ mergeId: `mrg_${merged}`, survivingProfileId: survivor, mergedProfileId: merged, reason: identityV1.MergeReason.MERGE_REASON_STITCH, rule: 'stitch:anonymous-into-known', actor: 'system', mergeTime: f.clock.now });
}

describe('identity read model', () => {
  it('keeps anonymity, segments and best assurance from identity events', async () => {
    const id = 'prf_rm_1';
    const before = f.module.identityEventsApplied;
    await publish(ProfileCreated, id, { profile: profile(id, { identifiers: [identifier(IdentifierType.IDENTIFIER_TYPE_COOKIE, 'c-1')] }) });
    await publish(IdentifiersLinked, id, { profileId: id, identifiers: [identifier(IdentifierType.IDENTIFIER_TYPE_LOGIN, 'maria', AssuranceLevel.ASSURANCE_LEVEL_VERIFIED)], version: ++version });
    await publish(SegmentMembershipChanged, id, { profileId: id, enteredSegmentIds: ['vip'], leftSegmentIds: [], segmentIds: ['vip', 'returns-heavy'] });
    await applied(before, 3);
    const ctx = await context(id);
    expect(ctx.profile).toMatchObject({ profileId: id, anonymous: false, knownToIdentity: true, segmentIds: ['vip', 'returns-heavy'], bestAssurance: AssuranceLevel.ASSURANCE_LEVEL_VERIFIED });
  });
});

describe('merge, unmerge, erase', () => {
  const cookie = 'prf_cookie_c81f';
  const maria = 'prf_maria';
  let journeyId = '';
  let caseId = '';

  it('moves the anonymous cookie profile\'s timeline, journey, case and facts to the known profile on merge', async () => {
    f.clock.now = at(30);
    const before = f.module.identityEventsApplied;
    await publish(ProfileCreated, cookie, { profile: profile(cookie) });
    await publish(ProfileCreated, maria, { profile: profile(maria, { anonymous: false, segmentIds: ['vip'] }) });
    await applied(before, 2);
    // She browses anonymously: returns pages, journey to "label printed", facts.
    const web1 = await f.client.recordTouchpoint({ touchpoint: touchpoint({ touchpointId: 'web-1', profileId: cookie, journeyDefinitionId: 'return-item', journeyStepId: 'start', occurredAt: at(0) }), requestId: '' }, tenant);
    journeyId = web1.touchpoint?.journeyId ?? '';
    await f.client.recordTouchpoint(
      {
        touchpoint: touchpoint({
          touchpointId: 'web-2',
          profileId: cookie,
          journeyDefinitionId: 'return-item',
          journeyStepId: 'label-printed',
          occurredAt: at(5),
          facts: [{ key: 'order_number', value: '1234', sensitivity: 0, sourceChannel: 0, touchpointId: '', capturedAt: undefined }],
        }),
        requestId: '',
      },
      tenant,
    );
    caseId = (await f.client.openCase({ profileId: cookie, subject: 'Damaged item', ownerAgentId: '', teamId: 'returns', requestId: 'cookie-case' }, tenant)).case?.caseId ?? '';
    // Maria's own earlier history.
    await f.client.recordTouchpoint({ touchpoint: touchpoint({ touchpointId: 'app-1', profileId: maria, channel: Channel.CHANNEL_MOBILE_APP, occurredAt: at(-600), agentId: 'agent-old' }), requestId: '' }, tenant);

    const watch = f.client.watchContext({ profileId: maria, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 10 }, tenant);
    const updates = watch[Symbol.asyncIterator]();
    expect((await updates.next()).value).toMatchObject({ change: contextV1.ContextChange.CONTEXT_CHANGE_INITIAL });

    const m = f.module.identityEventsApplied;
    await publish(ProfilesMerged, maria, { merge: merge(maria, cookie), survivingProfile: profile(maria, { anonymous: false, segmentIds: ['vip'] }) });
    await applied(m);

    const ctx = await context(maria);
    expect(ctx.recentTouchpoints.map((t) => [t.touchpointId, t.profileId, t.originProfileId])).toEqual([
      ['web-2', maria, cookie],
      ['web-1', maria, cookie],
      ['app-1', maria, maria],
    ]);
    expect(ctx.activeJourneys.map((j) => [j.journeyId, j.currentStepId])).toEqual([[journeyId, 'label-printed']]);
    expect(ctx.openCases.map((c) => c.caseId)).toEqual([caseId]);
    expect(ctx.facts.map((x) => [x.key, x.value])).toEqual([['order_number', '1234']]);
    expect(ctx.profile).toMatchObject({ profileId: maria, anonymous: false, segmentIds: ['vip'], mergedProfileIds: [cookie] });
    expect(ctx).toMatchObject({ touchpointCount: 3, lastAgentId: 'agent-old' });
    // Asking with the old cookie id answers with her context.
    expect((await context(cookie)).profile?.profileId).toBe(maria);
    // The agent desktop watching her saw it happen.
    const update = (await updates.next()).value as contextV1.WatchContextResponse;
    expect(update.change).toBe(contextV1.ContextChange.CONTEXT_CHANGE_PROFILE);
    expect(update.context?.recentTouchpoints).toHaveLength(3);
    watch.cancel();
    await updates.next().catch(() => undefined);
  });

  it('records a late touchpoint of the merged cookie under the survivor, remembering its origin', async () => {
    const late = await f.client.recordTouchpoint({ touchpoint: touchpoint({ touchpointId: 'web-late', profileId: cookie, occurredAt: at(7) }), requestId: '' }, tenant);
    expect(late.touchpoint).toMatchObject({ profileId: maria, originProfileId: cookie });
    // And a call on her own profile after the merge stays hers.
    await f.client.recordTouchpoint({ touchpoint: touchpoint({ touchpointId: 'call-1', profileId: maria, channel: Channel.CHANNEL_VOICE, journeyDefinitionId: 'return-item', journeyStepId: 'parcel-dropped', occurredAt: at(25), agentId: 'agent-ana' }), requestId: '' }, tenant);
    const journey = await f.client.getJourney({ journeyId }, tenant);
    expect(journey.journey).toMatchObject({ profileId: maria, originProfileId: cookie, currentStepId: 'parcel-dropped', channelsUsed: [Channel.CHANNEL_WEB, Channel.CHANNEL_VOICE] });
  });

  it('splits them back exactly on unmerge', async () => {
    const before = f.module.identityEventsApplied;
    await publish(ProfilesUnmerged, maria, { merge: merge(maria, cookie), survivingProfile: profile(maria, { anonymous: false, segmentIds: ['vip'] }), restoredProfile: profile(cookie) });
    await applied(before);
    const hers = await context(maria);
    expect(hers.recentTouchpoints.map((t) => t.touchpointId)).toEqual(['call-1', 'app-1']);
    expect(hers.profile?.mergedProfileIds).toEqual([]);
    expect(hers).toMatchObject({ touchpointCount: 2, lastAgentId: 'agent-ana' });
    expect(hers.facts).toEqual([]);
    expect(hers.openCases).toEqual([]);
    const cookies = await context(cookie);
    expect(cookies.profile?.profileId).toBe(cookie);
    expect(cookies.recentTouchpoints.map((t) => t.touchpointId)).toEqual(['web-late', 'web-2', 'web-1']);
    expect(cookies.facts.map((x) => x.key)).toEqual(['order_number']);
    expect(cookies.openCases.map((c) => c.caseId)).toEqual([caseId]);
    expect(cookies).toMatchObject({ touchpointCount: 3, lastAgentId: '' });
    // The journey started on the cookie goes back with it.
    expect((await f.client.getJourney({ journeyId }, tenant)).journey?.profileId).toBe(cookie);
  });

  it('erases everything of a profile (and of profiles merged into it), confirms it, and refuses to bring it back', async () => {
    const before = f.module.identityEventsApplied;
    await publish(ProfilesMerged, maria, { merge: merge(maria, cookie), survivingProfile: profile(maria, { anonymous: false }) });
    await applied(before);
    const bystander = 'prf_bystander';
    await f.client.recordTouchpoint({ touchpoint: touchpoint({ touchpointId: 'other-1', profileId: bystander, occurredAt: at(1) }), requestId: '' }, tenant);

    const e = f.module.identityEventsApplied;
    await publish(ProfileErased, maria, { profileId: maria, mergedProfileIds: [cookie], privacyRequestId: 'prq_1' });
    await applied(e);
    for (const id of [maria, cookie]) {
      const ctx = await context(id);
      expect(ctx).toMatchObject({ recentTouchpoints: [], facts: [], openCases: [], activeJourneys: [], touchpointCount: 0, lastAgentId: '' });
      expect((await f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId: id }), tenant)).touchpoints).toEqual([]);
      expect((await f.client.getFacts({ profileId: id, purpose: Purpose.PURPOSE_SERVICE, keys: [] }, tenant)).facts).toEqual([]);
    }
    expect((await failure(f.client.getCase({ caseId }, tenant))).code).toBe(status.NOT_FOUND);
    expect((await failure(f.client.getJourney({ journeyId }, tenant))).code).toBe(status.NOT_FOUND);
    // No stored document of the context service mentions her any more (tombstones hold the id only).
    for (const name of ['context_touchpoints', 'context_facts', 'context_journeys', 'context_cases', 'context_requests']) {
      const docs = await f.store.forTenant('acme').collection<BaseDocument>(name).find({});
      expect(JSON.stringify(docs)).not.toMatch(/prf_maria|prf_cookie_c81f|Damaged item|1234/);
    }
    // Other customers are untouched.
    expect((await context(bystander)).recentTouchpoints.map((t) => t.touchpointId)).toEqual(['other-1']);
    // The per-service confirmation is on its way.
    const outbox = outboxEventsOf(await f.store.forTenant('acme').collection<OutboxDocument>(OUTBOX_COLLECTION).find({}));
    expect(outbox.filter((e) => e.type === 'profile_data_erased')).toHaveLength(1);
    // A late touchpoint cannot bring her back.
    const late = await failure(f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId: maria }), requestId: '' }, tenant));
    expect(late).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'PROFILE_ERASED' });
    f.clock.reset();
  });
});


