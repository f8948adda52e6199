import { status } from '@grpc/grpc-js';
import { commonV1, identityV1 } from '@continuum/contracts';
import { OUTBOX_COLLECTION, decodeEnvelope, outboxEventsOf, type OutboxDocument } from '@continuum/events';
import { failure, resolveRequest, startIdentity, type IdentityFixture } from './fixture.test-util';

const T = identityV1.IdentifierType;
const A = commonV1.AssuranceLevel;
const M = identityV1.MatchType;
const TENANT = 'acme';

describe('IdentityService over gRPC (real server, real client)', () => {
  let f: IdentityFixture;
  let as: { token: string; tenantId: string };
  beforeAll(async () => {
    f = await startIdentity();
    as = await f.as(TENANT);
  });
  afterAll(() => f.stop());

  /** The types of the events appended to the outbox for a tenant, in order. */
  const eventTypes = async (tenant = TENANT): Promise<string[]> => {
    const docs = await f.store.forTenant(tenant).collection<OutboxDocument>(OUTBOX_COLLECTION).find({}, { sort: { _id: 1 } });
    return outboxEventsOf(docs).map((e) => decodeEnvelope(e.envelope).type);
  };

  describe('Resolve', () => {
    it('web-then-call: anonymous visitor, login stitches her, caller ID recognizes her (ASSERTED)', async () => {
      const maria = await f.client.resolve(
        resolveRequest([
          [T.IDENTIFIER_TYPE_LOGIN, 'maria.lopez', A.ASSURANCE_LEVEL_VERIFIED],
          [T.IDENTIFIER_TYPE_PHONE, '+34 612 345 678', A.ASSURANCE_LEVEL_VERIFIED],
        ]),
        as,
      );
      expect(maria).toMatchObject({ matchType: M.MATCH_TYPE_CREATED, created: true, assurance: A.ASSURANCE_LEVEL_VERIFIED });
      expect(maria.profile?.anonymous).toBe(false);
      expect(maria.profile?.identifiers.map((i) => i.value)).toEqual(['maria.lopez', '+34612345678']);

      const visitor = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_COOKIE, 'c-81f']], { channel: commonV1.Channel.CHANNEL_WEB }), as);
      expect(visitor).toMatchObject({ matchType: M.MATCH_TYPE_CREATED, assurance: A.ASSURANCE_LEVEL_NONE, profile: { anonymous: true } });

      f.advance(60_000);
      const login = await f.client.resolve(
        resolveRequest([
          [T.IDENTIFIER_TYPE_COOKIE, 'c-81f'],
          [T.IDENTIFIER_TYPE_LOGIN, 'maria.lopez', A.ASSURANCE_LEVEL_VERIFIED],
        ]),
        as,
      );
      expect(login).toMatchObject({ matchType: M.MATCH_TYPE_STITCHED, assurance: A.ASSURANCE_LEVEL_VERIFIED, profile: { profileId: maria.profile?.profileId } });
      expect(login.merges).toEqual([
        expect.objectContaining({
          survivingProfileId: maria.profile?.profileId,
          mergedProfileId: visitor.profile?.profileId,
          reason: identityV1.MergeReason.MERGE_REASON_STITCH,
          rule: 'stitch:anonymous-into-known',
          actor: `agent-of-${TENANT}`,
          mergeTime: new Date('2026-03-01T09:01:00Z'),
        }),
      ]);
      expect(login.merges[0]?.evidence.map((e) => e.value)).toEqual(['c-81f', 'maria.lopez']);
      expect(login.identifierOutcomes.map((o) => o.resolution)).toEqual([
        identityV1.IdentifierResolution.IDENTIFIER_RESOLUTION_MERGED,
        identityV1.IdentifierResolution.IDENTIFIER_RESOLUTION_MATCHED,
      ]);

      f.advance(20 * 60_000);
      const call = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_PHONE, '612 34 56 78', A.ASSURANCE_LEVEL_ASSERTED]], { channel: commonV1.Channel.CHANNEL_IVR }), as);
      expect(call).toMatchObject({ matchType: M.MATCH_TYPE_MATCHED, assurance: A.ASSURANCE_LEVEL_ASSERTED, created: false, profile: { profileId: maria.profile?.profileId } });

      // The merged visitor's id reads as Maria.
      const read = await f.client.getProfile({ profileId: visitor.profile?.profileId ?? '' }, as);
      expect(read).toMatchObject({ redirected: true, profile: { profileId: maria.profile?.profileId } });
    });

    it('two simultaneous Resolves with the same new identifier create one profile', async () => {
      const request = resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'race@example.com']]);
      const answers = await Promise.all(Array.from({ length: 8 }, () => f.client.resolve(request, as)));
      const ids = new Set(answers.map((a) => a.profile?.profileId));
      expect(ids.size).toBe(1);
      expect(answers.filter((a) => a.created)).toHaveLength(1);
      const found = await f.client.searchProfiles({ identifier: { type: T.IDENTIFIER_TYPE_EMAIL, value: 'RACE@example.com', customType: '' }, pageSize: 0, pageToken: '' }, as);
      expect(found.profiles.map((p) => p.profileId)).toEqual([...ids]);
    });

    it('a retry with the same request id returns the first answer and changes nothing twice', async () => {
      const request = resolveRequest([[T.IDENTIFIER_TYPE_DEVICE, 'dev-retry-1']], { requestId: 'req-dev-1' });
      const first = await f.client.resolve(request, as);
      const before = await f.snapshot();
      f.advance(60 * 60_000);
      const again = await f.client.resolve(request, as);
      expect(again).toEqual(first);
      expect(await f.snapshot()).toBe(before);
      const reused = await failure(f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_DEVICE, 'other']], { requestId: 'req-dev-1' }), as));
      expect(reused.error.code).toBe(status.INVALID_ARGUMENT);
      expect(reused.details?.errorInfo?.reason).toBe('REQUEST_ID_REUSED');
      expect(reused.details?.badRequest?.fieldViolations[0]?.field).toBe('request_id');
    });

    it('merge guard: two different verified LOGINs are reported as a conflict, never merged', async () => {
      await f.client.updateMergePolicy(
        { policy: identityV1.MergePolicy.fromPartial({ defaultPhoneRegion: 'ES', autoMergeMode: identityV1.AutoMergeMode.AUTO_MERGE_MODE_KNOWN_PROFILES }), expectedVersion: 0, requestId: '' },
        as,
      );
      const ana = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_LOGIN, 'ana', A.ASSURANCE_LEVEL_VERIFIED], [T.IDENTIFIER_TYPE_EMAIL, 'family@example.com', A.ASSURANCE_LEVEL_VERIFIED]]), as);
      const bea = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_LOGIN, 'bea', A.ASSURANCE_LEVEL_VERIFIED]]), as);
      const both = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_LOGIN, 'bea', A.ASSURANCE_LEVEL_STRONG], [T.IDENTIFIER_TYPE_EMAIL, 'family@example.com', A.ASSURANCE_LEVEL_STRONG]]), as);
      expect(both.profile?.profileId).toBe(bea.profile?.profileId);
      expect(both.merges).toEqual([]);
      expect(both.conflicts).toEqual([
        expect.objectContaining({ kind: identityV1.ConflictKind.CONFLICT_KIND_VERIFIED_LOGIN, profileIds: [bea.profile?.profileId, ana.profile?.profileId], identifierIndexes: [1] }),
      ]);
      const anaNow = await f.client.getProfile({ profileId: ana.profile?.profileId ?? '' }, as);
      expect(anaNow.profile?.identifiers.map((i) => i.value)).toEqual(['ana', 'family@example.com']);
      await f.client.updateMergePolicy({ policy: identityV1.MergePolicy.fromPartial({ defaultPhoneRegion: 'ES' }), expectedVersion: 0, requestId: '' }, as);
    });

    it('blocked values never match: a switchboard number recognizes nobody', async () => {
      await f.client.updateMergePolicy(
        {
          policy: identityV1.MergePolicy.fromPartial({
            defaultPhoneRegion: 'ES',
            identifierRules: [{ type: T.IDENTIFIER_TYPE_PHONE, maxPerProfile: 0, priority: 50, blockedValues: ['91 234 56 78'] }],
          }),
          expectedVersion: 0,
          requestId: '',
        },
        as,
      );
      const policy = await f.client.getMergePolicy({}, as);
      expect(policy.policy?.identifierRules.find((r) => r.type === T.IDENTIFIER_TYPE_PHONE)?.blockedValues).toEqual(['+34912345678']);
      const call = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_PHONE, '+34 912 345 678', A.ASSURANCE_LEVEL_ASSERTED]]), as);
      expect(call).toMatchObject({ matchType: M.MATCH_TYPE_NO_MATCH, assurance: A.ASSURANCE_LEVEL_NONE, created: false });
      expect(call.profile).toBeUndefined();
      expect(call.identifierOutcomes[0]?.resolution).toBe(identityV1.IdentifierResolution.IDENTIFIER_RESOLUTION_BLOCKED);
      await f.client.updateMergePolicy({ policy: identityV1.MergePolicy.fromPartial({ defaultPhoneRegion: 'ES' }), expectedVersion: 0, requestId: '' }, as);
    });
  });

  describe('profiles', () => {
    it('GetProfile, BatchGetProfiles (in order, allow_missing), SearchProfiles by identifier, trait and segment', async () => {
      const a = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'one@example.com']]), as);
      const b = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'two@example.com']]), as);
      const aId = a.profile?.profileId ?? '';
      const bId = b.profile?.profileId ?? '';
      expect((await f.client.getProfile({ profileId: aId }, as)).profile?.identifiers[0]?.value).toBe('one@example.com');
      const batch = await f.client.batchGetProfiles({ profileIds: [bId, aId], allowMissing: false }, as);
      expect(batch.profiles.map((p) => p.profileId)).toEqual([bId, aId]);
      const missing = await f.client.batchGetProfiles({ profileIds: [aId, 'prf_doesnotexist'], allowMissing: true }, as);
      expect(missing).toMatchObject({ missingProfileIds: ['prf_doesnotexist'] });
      const notFound = await failure(f.client.batchGetProfiles({ profileIds: [aId, 'prf_doesnotexist'], allowMissing: false }, as));
      expect(notFound.error.code).toBe(status.NOT_FOUND);
      expect(notFound.details?.errorInfo).toMatchObject({ reason: 'PROFILE_NOT_FOUND', metadata: { field: 'profile_ids[1]' } });

      await f.client.updateTraits({ profileId: aId, set: { tier: 'gold', lifetime_value: 12000 }, remove: [], expectedVersion: 0, requestId: '' }, as);
      await f.client.updateTraits({ profileId: bId, set: { tier: 'silver' }, remove: [], expectedVersion: 0, requestId: '' }, as);
      const gold = await f.client.searchProfiles({ traitCondition: { trait: 'tier', operator: identityV1.SegmentOperator.SEGMENT_OPERATOR_EQ, value: 'gold' }, pageSize: 0, pageToken: '' }, as);
      expect(gold.profiles.map((p) => p.profileId)).toEqual([aId]);

      // Paging through a trait search, one per page.
      const pages: string[] = [];
      let token = '';
      do {
        const page = await f.client.searchProfiles({ traitCondition: { trait: 'tier', operator: identityV1.SegmentOperator.SEGMENT_OPERATOR_IN, value: ['gold', 'silver'] }, pageSize: 1, pageToken: token }, as);
        pages.push(...page.profiles.map((p) => p.profileId));
        token = page.nextPageToken;
      } while (token !== '');
      expect(pages.sort()).toEqual([aId, bId].sort());
      const foreignToken = await failure(f.client.searchProfiles({ segmentId: 'vip', pageSize: 1, pageToken: Buffer.from('{"v":1}').toString('base64url') }, as));
      expect(foreignToken.details?.badRequest?.fieldViolations[0]?.field).toBe('page_token');
    });

    it('UpdateTraits sets and removes, re-evaluates segments, honours expected_version', async () => {
      const p = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_ACCOUNT, 'acc-vip-1']]), as)).profile!;
      await f.client.createSegment({ segment: { segmentId: 'vip', displayName: 'VIP', conditions: [{ trait: 'lifetime_value', operator: identityV1.SegmentOperator.SEGMENT_OPERATOR_GTE, value: 10000 }], version: 0, updateTime: undefined }, requestId: '' }, as);
      const up = await f.client.updateTraits({ profileId: p.profileId, set: { lifetime_value: 25000, address: { country: 'ES' } }, remove: [], expectedVersion: p.version, requestId: 'traits-1' }, as);
      expect(up).toMatchObject({ enteredSegmentIds: ['vip'], leftSegmentIds: [], profile: { segmentIds: ['vip'], traits: { lifetime_value: 25000, address: { country: 'ES' } } } });
      const stale = await failure(f.client.updateTraits({ profileId: p.profileId, set: { x: 1 }, remove: [], expectedVersion: p.version, requestId: '' }, as));
      expect(stale.error.code).toBe(status.ABORTED);
      expect(stale.details?.errorInfo?.reason).toBe('VERSION_MISMATCH');
      const down = await f.client.updateTraits({ profileId: p.profileId, set: {}, remove: ['lifetime_value'], expectedVersion: 0, requestId: '' }, as);
      expect(down).toMatchObject({ enteredSegmentIds: [], leftSegmentIds: ['vip'], profile: { traits: { address: { country: 'ES' } }, segmentIds: [] } });
      const types = await eventTypes();
      expect(types.slice(-4)).toEqual(['traits_changed', 'segment_membership_changed', 'traits_changed', 'segment_membership_changed']);
      await f.client.deleteSegment({ segmentId: 'vip', requestId: '' }, as);
    });

    it('LinkIdentifiers links, strengthens proofs, refuses an identifier of another profile and over-limit LOGINs', async () => {
      const p = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_COOKIE, 'c-link-1']]), as)).profile!;
      const other = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'taken@example.com']]), as)).profile!;
      const linked = await f.client.linkIdentifiers(
        { profileId: p.profileId, identifiers: [{ type: T.IDENTIFIER_TYPE_LOGIN, value: 'linker', customType: '', proof: A.ASSURANCE_LEVEL_VERIFIED }, { type: T.IDENTIFIER_TYPE_CUSTOM, customType: 'loyalty_card', value: ' 778899 ', proof: 0 }], requestId: '' },
        as,
      );
      expect(linked.linkedIdentifiers.map((i) => i.value)).toEqual(['linker', '778899']);
      expect(linked.profile?.anonymous).toBe(false);
      const stronger = await f.client.linkIdentifiers({ profileId: p.profileId, identifiers: [{ type: T.IDENTIFIER_TYPE_LOGIN, value: 'linker', customType: '', proof: A.ASSURANCE_LEVEL_STRONG }], requestId: '' }, as);
      expect(stronger.linkedIdentifiers).toEqual([expect.objectContaining({ value: 'linker', verifiedLevel: A.ASSURANCE_LEVEL_STRONG })]);
      const inUse = await failure(f.client.linkIdentifiers({ profileId: p.profileId, identifiers: [{ type: T.IDENTIFIER_TYPE_EMAIL, value: 'taken@example.com', customType: '', proof: 0 }], requestId: '' }, as));
      expect(inUse.error.code).toBe(status.FAILED_PRECONDITION);
      expect(inUse.details?.errorInfo).toMatchObject({ reason: 'IDENTIFIER_IN_USE', metadata: { field: 'identifiers[0]' } });
      const secondLogin = await failure(f.client.linkIdentifiers({ profileId: p.profileId, identifiers: [{ type: T.IDENTIFIER_TYPE_LOGIN, value: 'linker2', customType: '', proof: 0 }], requestId: '' }, as));
      expect(secondLogin.details?.errorInfo?.reason).toBe('IDENTIFIER_LIMIT_EXCEEDED');
      expect((await f.client.getProfile({ profileId: other.profileId }, as)).profile?.identifiers).toHaveLength(1);
    });
  });

  describe('merge and unmerge', () => {
    it('MergeProfiles then UnmergeProfiles gives both profiles back exactly; history keeps rule, actor and time', async () => {
      const a = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'merge-a@example.com', A.ASSURANCE_LEVEL_VERIFIED]]), as)).profile!;
      await f.client.updateTraits({ profileId: a.profileId, set: { country: 'ES' }, remove: [], expectedVersion: 0, requestId: '' }, as);
      const b = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_PHONE, '+34 622 345 678'], [T.IDENTIFIER_TYPE_DEVICE, 'dev-b']]), as)).profile!;
      await f.client.updateTraits({ profileId: b.profileId, set: { country: 'PT', city: 'Porto' }, remove: [], expectedVersion: 0, requestId: '' }, as);
      const aBefore = (await f.client.getProfile({ profileId: a.profileId }, as)).profile!;
      const bBefore = (await f.client.getProfile({ profileId: b.profileId }, as)).profile!;

      f.advance(1000);
      const merged = await f.client.mergeProfiles({ survivingProfileId: a.profileId, mergedProfileId: b.profileId, requestId: 'merge-ab' }, as);
      expect(merged.merge).toMatchObject({ reason: identityV1.MergeReason.MERGE_REASON_EXPLICIT, rule: 'explicit', actor: `agent-of-${TENANT}`, survivingProfileId: a.profileId, mergedProfileId: b.profileId });
      expect(merged.survivingProfile?.traits).toEqual({ country: 'ES', city: 'Porto' });
      expect(merged.survivingProfile?.identifiers.map((i) => i.value)).toEqual(['merge-a@example.com', '+34622345678', 'dev-b']);
      expect((await f.client.getProfile({ profileId: b.profileId }, as)).redirected).toBe(true);
      // The merged id now resolves to the survivor.
      const viaPhone = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_PHONE, '622345678']]), as);
      expect(viaPhone.profile?.profileId).toBe(a.profileId);

      const again = await failure(f.client.mergeProfiles({ survivingProfileId: a.profileId, mergedProfileId: b.profileId, requestId: '' }, as));
      expect(again.details?.errorInfo?.reason).toBe('PROFILE_ALREADY_MERGED');

      f.advance(1000);
      const undone = await f.client.unmergeProfiles({ mergeId: merged.merge?.mergeId ?? '', requestId: '' }, as);
      const strip = (p: identityV1.Profile | undefined) => ({ ...p, version: 0, updateTime: undefined, identifiers: p?.identifiers.map((i) => ({ ...i, lastSeenAt: undefined })) });
      expect(strip(undone.survivingProfile)).toEqual(strip(aBefore));
      expect(strip(undone.restoredProfile)).toEqual(strip(bBefore));
      expect(undone.merge).toMatchObject({ unmergeActor: `agent-of-${TENANT}`, unmergeTime: expect.any(Date) });
      const twice = await failure(f.client.unmergeProfiles({ mergeId: merged.merge?.mergeId ?? '', requestId: '' }, as));
      expect(twice.error.code).toBe(status.FAILED_PRECONDITION);
      expect(twice.details?.errorInfo?.reason).toBe('MERGE_ALREADY_UNDONE');

      const history = await f.client.listMergeHistory({ profileId: b.profileId, pageSize: 0, pageToken: '' }, as);
      expect(history.merges).toEqual([expect.objectContaining({ mergeId: merged.merge?.mergeId, rule: 'explicit', unmergeActor: `agent-of-${TENANT}` })]);
      const types = await eventTypes();
      expect(types).toContain('profiles_merged');
      expect(types).toContain('profiles_unmerged');
    });

    it('merge guards: a second LOGIN, the same profile, a missing profile', async () => {
      const x = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_LOGIN, 'guard-x', A.ASSURANCE_LEVEL_VERIFIED]]), as)).profile!;
      const y = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_LOGIN, 'guard-y', A.ASSURANCE_LEVEL_VERIFIED]]), as)).profile!;
      const limit = await failure(f.client.mergeProfiles({ survivingProfileId: x.profileId, mergedProfileId: y.profileId, requestId: '' }, as));
      expect(limit.error.code).toBe(status.FAILED_PRECONDITION);
      expect(limit.details?.errorInfo?.reason).toBe('IDENTIFIER_LIMIT_EXCEEDED');
      const same = await failure(f.client.mergeProfiles({ survivingProfileId: x.profileId, mergedProfileId: x.profileId, requestId: '' }, as));
      expect(same.error.code).toBe(status.INVALID_ARGUMENT);
      const missing = await failure(f.client.mergeProfiles({ survivingProfileId: x.profileId, mergedProfileId: 'prf_missing', requestId: '' }, as));
      expect(missing.details?.errorInfo).toMatchObject({ reason: 'PROFILE_NOT_FOUND', metadata: { field: 'merged_profile_id' } });
      const unknownMerge = await failure(f.client.unmergeProfiles({ mergeId: 'mrg_missing', requestId: '' }, as));
      expect(unknownMerge.details?.errorInfo?.reason).toBe('MERGE_NOT_FOUND');
    });

    it('refuses to undo a merge whose survivor was merged again, until that merge is undone', async () => {
      const p1 = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_COOKIE, 'chain-1']]), as)).profile!;
      const p2 = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_COOKIE, 'chain-2']]), as)).profile!;
      const p3 = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'chain-3@example.com']]), as)).profile!;
      const m1 = await f.client.mergeProfiles({ survivingProfileId: p1.profileId, mergedProfileId: p2.profileId, requestId: '' }, as);
      const m2 = await f.client.mergeProfiles({ survivingProfileId: p3.profileId, mergedProfileId: p1.profileId, requestId: '' }, as);
      expect((await f.client.getProfile({ profileId: p2.profileId }, as)).profile?.profileId).toBe(p3.profileId);
      const early = await failure(f.client.unmergeProfiles({ mergeId: m1.merge?.mergeId ?? '', requestId: '' }, as));
      expect(early.details?.errorInfo?.reason).toBe('SURVIVOR_MERGED_SINCE');
      await f.client.unmergeProfiles({ mergeId: m2.merge?.mergeId ?? '', requestId: '' }, as);
      const late = await f.client.unmergeProfiles({ mergeId: m1.merge?.mergeId ?? '', requestId: '' }, as);
      expect(late.restoredProfile?.identifiers.map((i) => i.value)).toEqual(['chain-2']);
    });
  });

  describe('policy and segments', () => {
    it('GetMergePolicy shows the defaults; UpdateMergePolicy versions and guards with expected_version', async () => {
      const t = await f.as('policy-tenant');
      const initial = await f.client.getMergePolicy({}, t);
      expect(initial.policy).toMatchObject({ version: 0, defaultPhoneRegion: 'ES', autoMergeMode: identityV1.AutoMergeMode.AUTO_MERGE_MODE_ANONYMOUS_ONLY, minStitchAssurance: A.ASSURANCE_LEVEL_VERIFIED });
      expect(initial.policy?.identifierRules.find((r) => r.type === T.IDENTIFIER_TYPE_LOGIN)?.maxPerProfile).toBe(1);
      const updated = await f.client.updateMergePolicy({ policy: identityV1.MergePolicy.fromPartial({ defaultPhoneRegion: 'GB', minStitchAssurance: A.ASSURANCE_LEVEL_STRONG }), expectedVersion: 0, requestId: 'pol-1' }, t);
      expect(updated.policy).toMatchObject({ version: 1, defaultPhoneRegion: 'GB', minStitchAssurance: A.ASSURANCE_LEVEL_STRONG, updateActor: 'agent-of-policy-tenant' });
      const stale = await failure(f.client.updateMergePolicy({ policy: identityV1.MergePolicy.fromPartial({}), expectedVersion: 7, requestId: '' }, t));
      expect(stale.details?.errorInfo).toMatchObject({ reason: 'VERSION_MISMATCH', metadata: { current_version: '1' } });
      // The new default region applies to numbers without a country code.
      const uk = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_PHONE, '07911 123456']]), t);
      expect(uk.profile?.identifiers[0]?.value).toBe('+447911123456');
    });

    it('Create/Get/List/Update/DeleteSegment: membership evaluated over existing profiles, changes are events', async () => {
      const t = await f.as('segment-tenant');
      const rich = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'rich@example.com']]), t)).profile!;
      const poor = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'poor@example.com']]), t)).profile!;
      await f.client.updateTraits({ profileId: rich.profileId, set: { lifetime_value: 50000, country: 'ES' }, remove: [], expectedVersion: 0, requestId: '' }, t);
      await f.client.updateTraits({ profileId: poor.profileId, set: { lifetime_value: 500, country: 'FR' }, remove: [], expectedVersion: 0, requestId: '' }, t);
      const vipCondition = { trait: 'lifetime_value', operator: identityV1.SegmentOperator.SEGMENT_OPERATOR_GTE, value: 10000 };
      const created = await f.client.createSegment({ segment: { segmentId: 'vip', displayName: 'VIP', conditions: [vipCondition], version: 0, updateTime: undefined }, requestId: 'seg-1' }, t);
      expect(created).toMatchObject({ memberCount: 1, segment: { segmentId: 'vip', version: 1 } });
      // The replay carries the evaluated member count too.
      expect(await f.client.createSegment({ segment: { segmentId: 'vip', displayName: 'VIP', conditions: [vipCondition], version: 0, updateTime: undefined }, requestId: 'seg-1' }, t)).toEqual(created);
      const dup = await failure(f.client.createSegment({ segment: { segmentId: 'vip', displayName: 'VIP', conditions: [vipCondition], version: 0, updateTime: undefined }, requestId: '' }, t));
      expect(dup.error.code).toBe(status.ALREADY_EXISTS);
      expect((await f.client.getProfile({ profileId: rich.profileId }, t)).profile?.segmentIds).toEqual(['vip']);
      expect((await f.client.searchProfiles({ segmentId: 'vip', pageSize: 0, pageToken: '' }, t)).profiles.map((p) => p.profileId)).toEqual([rich.profileId]);

      const updated = await f.client.updateSegment(
        { segment: { segmentId: 'vip', displayName: 'VIP (all of Europe)', conditions: [{ ...vipCondition, value: 100 }], version: 0, updateTime: undefined }, expectedVersion: 1, requestId: '' },
        t,
      );
      expect(updated).toMatchObject({ memberCount: 2, segment: { version: 2, displayName: 'VIP (all of Europe)' } });
      expect((await f.client.getSegment({ segmentId: 'vip' }, t)).segment?.conditions[0]?.value).toBe(100);
      expect((await f.client.listSegments({ pageSize: 0, pageToken: '' }, t)).segments.map((s) => s.segmentId)).toEqual(['vip']);

      const deleted = await f.client.deleteSegment({ segmentId: 'vip', requestId: '' }, t);
      expect(deleted.formerMemberCount).toBe(2);
      expect((await f.client.getProfile({ profileId: poor.profileId }, t)).profile?.segmentIds).toEqual([]);
      const gone = await failure(f.client.getSegment({ segmentId: 'vip' }, t));
      expect(gone.details?.errorInfo?.reason).toBe('SEGMENT_NOT_FOUND');
      const types = await eventTypes('segment-tenant');
      expect(types.filter((x) => x === 'segment_membership_changed')).toHaveLength(4); // rich in, poor in, rich out, poor out
    });
  });

  describe('EraseProfile', () => {
    it('removes the profile, what was merged into it, identifiers, merge records and stored answers; publishes profile_erased', async () => {
      const t = await f.as('erase-tenant');
      const keep = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'keep@example.com']]), t)).profile!;
      const cookie = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_COOKIE, 'c-erase']], { requestId: 'erase-r1' }), t)).profile!;
      await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_LOGIN, 'forget.me', A.ASSURANCE_LEVEL_VERIFIED]]), t);
      const person = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_LOGIN, 'forget.me', A.ASSURANCE_LEVEL_VERIFIED], [T.IDENTIFIER_TYPE_COOKIE, 'c-erase']]), t);
      expect(person.merges).toHaveLength(1);
      const erased = await f.client.eraseProfile({ profileId: cookie.profileId, privacyRequestId: 'pr-1', requestId: 'erase-1' }, t);
      expect(erased).toEqual({ profileId: person.profile?.profileId, mergedProfileIds: [cookie.profileId], erasedIdentifierCount: 2 });
      for (const id of [person.profile?.profileId ?? '', cookie.profileId]) {
        const gone = await failure(f.client.getProfile({ profileId: id }, t));
        expect(gone.error.code).toBe(status.NOT_FOUND);
      }
      const found = await f.client.searchProfiles({ identifier: { type: T.IDENTIFIER_TYPE_LOGIN, value: 'forget.me', customType: '' }, pageSize: 0, pageToken: '' }, t);
      expect(found.profiles).toEqual([]);
      const snapshot = await f.snapshot();
      expect(snapshot).not.toContain('forget.me');
      expect(snapshot).not.toContain('c-erase');
      expect(snapshot).not.toContain('erase-r1');
      expect((await f.client.getProfile({ profileId: keep.profileId }, t)).profile?.profileId).toBe(keep.profileId);
      expect((await eventTypes('erase-tenant')).at(-1)).toBe('profile_erased');
      // Erasing again: the retry answers as before; a new request finds nothing.
      expect(await f.client.eraseProfile({ profileId: cookie.profileId, privacyRequestId: 'pr-1', requestId: 'erase-1' }, t)).toEqual(erased);
      expect((await failure(f.client.eraseProfile({ profileId: cookie.profileId, privacyRequestId: 'pr-1', requestId: '' }, t))).error.code).toBe(status.NOT_FOUND);
    });
  });

  it('logs no identifier values', () => {
    const all = f.logs.lines.join('\n');
    for (const secret of ['maria.lopez', '+34612345678', 'family@example.com', 'forget.me']) expect(all).not.toContain(secret);
  });
});
