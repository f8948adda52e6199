// GetContext's newest touchpoints come from the timeline index (profileId, occurredAt,
// touchpointId), walked from its newest end: no list of recent keys is kept on the profile. These
// tests check the order through late arrivals, merges and unmerges, that the read is an ordered
// walk and not a sort of the whole timeline, and that profile documents of earlier versions (which
// still carry a `recent` array) are read as if it were not there.
import { commonV1, contextV1, identityV1 } from '@continuum/contracts';
import { createEnvelope, type EventType } from '@continuum/events';
import { createEmbeddedStore, type BaseDocument, type EmbeddedPlan } from '@continuum/store';
import { waitFor } from '@continuum/testing';
import { ProfilesMerged, ProfilesUnmerged } from '../src/events/identity-events';
import { T0, startContext, touchpoint, type ContextFixture } from './fixture';

const { Purpose } = commonV1;
/** `seconds` after T0 (the test clock stands at T0 + 1 hour). */
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

const store = createEmbeddedStore();
let f: ContextFixture;
let tenant: { tenantId: string; token: string };
let version = 0;

beforeAll(async () => {
  f = await startContext({ store });
  tenant = await f.as('recent');
});
afterAll(async () => {
  await f.stop();
  await store.close();
});

const context = (profileId: string, touchpointLimit = 20) => f.client.getContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit, factLimit: 0 }, tenant);
const ids = (ctx: contextV1.GetContextResponse): string[] => ctx.recentTouchpoints.map((t) => t.touchpointId);
/** Touchpoint ids `<prefix>-<from>` … `<prefix>-<to>` (descending when from > to). */
const range = (prefix: string, from: number, to: number): string[] => Array.from({ length: Math.abs(to - from) + 1 }, (_, i) => `${prefix}-${from > to ? from - i : from + i}`);

/** Records `<prefix>-<s>` at(s) for each of `seconds` in one RecordTouchpoints stream. */
async function recordAll(profileId: string, prefix: string, seconds: readonly number[]): Promise<void> {
  const res = await f.client.recordTouchpoints(
    seconds.map((s) => ({ touchpoint: touchpoint({ profileId, touchpointId: `${prefix}-${s}`, occurredAt: at(s) }) })),
    tenant,
  );
  expect(res).toMatchObject({ recordedCount: seconds.length, rejectedCount: 0 });
}

const profiles = () => store.forTenant(tenant.tenantId).collection<BaseDocument & { profileId: string; recent?: unknown; touchpointCount: number }>('context_profiles');

async function publish<P>(type: EventType<P>, subjectProfileId: string, payload: P): Promise<void> {
  const before = f.module.identityEventsApplied;
  await f.bus.publish(createEnvelope(type, { tenantId: tenant.tenantId, subjectProfileId, payload }, { producer: 'identity' }));
  await waitFor(() => f.module.identityEventsApplied > before, { timeoutMs: 2500, intervalMs: 5, description: `the projection to apply ${type.type}` });
}

function mergeRecord(survivor: string, merged: string): identityV1.MergeRecord {
  return identityV1.MergeRecord.fromPartial({ mergeId: `mrg_${merged}`, survivingProfileId: survivor, mergedProfileId: merged, reason: identityV1.MergeReason.MERGE_REASON_STITCH, rule: 'stitch:anonymous-into-known', actor: 'system', mergeTime: f.clock.now });
}
const profile = (profileId: string, anonymous: boolean) => identityV1.Profile.fromPartial({ profileId, anonymous, version: ++version });

describe('GetContext recent touchpoints', () => {
  it('shows the newest touchpoints by when they happened: a late arrival older than them stays out, a newer one comes first', async () => {
    const profileId = 'prf_late';
    await recordAll(profileId, 't', Array.from({ length: 30 }, (_, i) => i + 1));
    expect(ids(await context(profileId))).toEqual(range('t', 30, 11));

    // Arrives now, happened before the 20 newest: counted, not shown.
    await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, touchpointId: 'old-late', occurredAt: at(5) }), requestId: '' }, tenant);
    let ctx = await context(profileId);
    expect(ids(ctx)).toEqual(range('t', 30, 11));
    expect(ctx.touchpointCount).toBe(31);

    // Arrives late but falls among the newest: in its place.
    await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, touchpointId: 'mid-late', occurredAt: new Date(at(25).getTime() + 500) }), requestId: '' }, tenant);
    ctx = await context(profileId);
    expect(ids(ctx)).toEqual([...range('t', 30, 26), 'mid-late', ...range('t', 25, 12)]);

    // Newer than everything: first.
    await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, touchpointId: 'newest', occurredAt: at(40) }), requestId: '' }, tenant);
    ctx = await context(profileId);
    expect(ids(ctx)).toEqual(['newest', ...range('t', 30, 26), 'mid-late', ...range('t', 25, 13)]);
    expect(ctx.touchpointCount).toBe(33);
    // The limit is honoured, and touchpoints at the same time are ordered by id, newest (greatest) first.
    await recordAll(profileId, 'same', [40]);
    expect(ids(await context(profileId, 3))).toEqual(['same-40', 'newest', 't-30']);
    expect((await context(profileId)).touchpointCount).toBe(34);
  });

  it('reads them by walking the timeline index from its newest end, not by sorting the whole timeline', async () => {
    const profileId = 'prf_walk';
    for (let batch = 0; batch < 4; batch++) await recordAll(profileId, 'w', Array.from({ length: 100 }, (_, i) => batch * 100 + i));
    const backend = store.backendCollection('context_touchpoints');
    const find = backend.find.bind(backend);
    const reads: Array<{ filter: unknown; plan: EmbeddedPlan | null; examined: number }> = [];
    const spy = jest.spyOn(backend, 'find').mockImplementation((filter, options) => {
      const before = store.stats().docsExamined;
      const result = find(filter, options); // selects synchronously
      reads.push({ filter, plan: store.stats().lastPlan, examined: store.stats().docsExamined - before });
      return result;
    });
    try {
      const ctx = await context(profileId);
      expect(ids(ctx)).toEqual(range('w', 399, 380));
      expect(ctx.touchpointCount).toBe(400);
    } finally {
      spy.mockRestore();
    }
    expect(reads).toEqual([{ filter: expect.objectContaining({ profileId }), plan: { kind: 'index', index: 'timeline', prefix: 1, ordered: true }, examined: 20 }]);

    // While a recording's transaction is open, GetContext still walks the index and shows what is committed.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inside!: () => void;
    const reached = new Promise<void>((r) => (inside = r));
    const timeline = store.forTenant(tenant.tenantId).collection<BaseDocument & { touchpointId: string; occurredAt: Date }>('context_touchpoints');
    const model = await timeline.findOne({ touchpointId: 'w-0' });
    if (!model) throw new Error('w-0 is not stored');
    const txn = store.withTransaction(async (session) => {
      await timeline.insertOne({ ...model, _id: 'pending', touchpointId: 'pending', occurredAt: at(1000) }, { session });
      await timeline.updateOne({ touchpointId: 'w-399' }, { $set: { occurredAt: at(-1) } }, { session });
      inside();
      await gate;
    });
    await reached;
    store.resetStats();
    expect(ids(await context(profileId, 3))).toEqual(['w-399', 'w-398', 'w-397']);
    expect(store.stats().docsExamined).toBeLessThan(50);
    release();
    await txn;
    expect(ids(await context(profileId, 3))).toEqual(['pending', 'w-398', 'w-397']);
  });

  it('ignores the recent-keys array of earlier versions and drops it with the next recording', async () => {
    const profileId = 'prf_legacy';
    await recordAll(profileId, 'l', [1, 2, 3]);
    // What an earlier version left: keys the timeline no longer agrees with.
    await profiles().updateOne({ profileId }, { $set: { recent: ['2030-01-01T00:00:00.000Z|ghost', '2026-03-02T10:00:02.000Z|l-2'] } });
    expect(ids(await context(profileId))).toEqual(['l-3', 'l-2', 'l-1']);

    await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, touchpointId: 'l-0', occurredAt: at(0) }), requestId: '' }, tenant);
    const doc = await profiles().findOne({ profileId });
    expect(doc).toMatchObject({ touchpointCount: 4 });
    expect(doc).not.toHaveProperty('recent');
    expect(ids(await context(profileId))).toEqual(['l-3', 'l-2', 'l-1', 'l-0']);
  });

  it('loses no recording when many arrive for one customer at once', async () => {
    const profileId = 'prf_busy';
    const unary = Array.from({ length: 30 }, (_, i) => f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, touchpointId: `u-${100 + i}`, occurredAt: at(100 + i) }), requestId: '' }, tenant));
    const batches = [0, 1, 2].map((b) => recordAll(profileId, 'b', Array.from({ length: 10 }, (_, i) => 200 + b * 10 + i)));
    await Promise.all([...unary, ...batches]);
    const ctx = await context(profileId, 25);
    expect(ctx.touchpointCount).toBe(60);
    expect(ids(ctx)).toEqual([...range('b', 229, 200), ...range('u', 129, 100)].slice(0, 25));
  });

  it("shows the merged profile's touchpoints among the survivor's in time order, and splits them back on unmerge", async () => {
    const known = 'prf_known';
    const cookie = 'prf_cookie';
    // Interleaved: the known profile on even seconds, the cookie on odd ones.
    await recordAll(known, 'k', Array.from({ length: 15 }, (_, i) => 2 * i));
    await recordAll(cookie, 'c', Array.from({ length: 15 }, (_, i) => 2 * i + 1));
    // An earlier version's array on the survivor: the merge rewrites the summary without it.
    await profiles().updateOne({ profileId: known }, { $set: { recent: ['2026-03-02T10:00:28.000Z|k-28'] } });
    const interleaved = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? `c-${29 - i}` : `k-${29 - i}`));

    await publish(ProfilesMerged, known, { merge: mergeRecord(known, cookie), survivingProfile: profile(known, false) });
    const ctx = await context(known);
    expect(ids(ctx)).toEqual(interleaved.slice(0, 20));
    expect(ctx.recentTouchpoints.every((t) => t.profileId === known)).toBe(true);
    expect(ctx.touchpointCount).toBe(30);
    expect(await profiles().findOne({ profileId: known })).not.toHaveProperty('recent');
    // Asked by the merged id: the survivor's context.
    expect(ids(await context(cookie, 5))).toEqual(interleaved.slice(0, 5));
    // A late touchpoint of the merged cookie lands under the survivor, in its place.
    await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId: cookie, touchpointId: 'c-late', occurredAt: new Date(at(28).getTime() + 500) }), requestId: '' }, tenant);
    expect(ids(await context(known, 4))).toEqual(['c-29', 'c-late', 'k-28', 'c-27']);

    await publish(ProfilesUnmerged, known, { merge: mergeRecord(known, cookie), survivingProfile: profile(known, false), restoredProfile: profile(cookie, true) });
    const mine = await context(known, 5);
    expect(ids(mine)).toEqual(['k-28', 'k-26', 'k-24', 'k-22', 'k-20']);
    expect(mine.touchpointCount).toBe(15);
    const theirs = await context(cookie, 5);
    expect(ids(theirs)).toEqual(['c-29', 'c-late', 'c-27', 'c-25', 'c-23']);
    expect(theirs.touchpointCount).toBe(16);
  });
});
