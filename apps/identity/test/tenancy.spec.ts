import { status } from '@grpc/grpc-js';
import { commonV1, identityV1 } from '@continuum/contracts';
import { IDENTITY_SCOPES } from '../src';
import { failure, resolveRequest, startIdentity, type IdentityFixture } from './fixture.test-util';

const T = identityV1.IdentifierType;
const A = commonV1.AssuranceLevel;

describe('tenant isolation and permission', () => {
  let f: IdentityFixture;
  let a: { token: string; tenantId: string };
  let b: { token: string; tenantId: string };
  let bProfile: string;
  let bMerge: string;
  let bState: string;

  /** What tenant B holds, for "tenant A changed nothing of B" checks. */
  const stateOfB = async () => JSON.stringify(await f.client.batchGetProfiles({ profileIds: [bProfile], allowMissing: false }, b));

  beforeAll(async () => {
    f = await startIdentity();
    a = await f.as('tenant-a');
    b = await f.as('tenant-b');
    const shared = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'shared@example.com', A.ASSURANCE_LEVEL_VERIFIED], [T.IDENTIFIER_TYPE_LOGIN, 'b-user', A.ASSURANCE_LEVEL_VERIFIED]]), b);
    bProfile = shared.profile?.profileId ?? '';
    const cookie = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_COOKIE, 'b-cookie']]), b);
    const merged = await f.client.mergeProfiles({ survivingProfileId: bProfile, mergedProfileId: cookie.profile?.profileId ?? '', requestId: '' }, b);
    bMerge = merged.merge?.mergeId ?? '';
    await f.client.updateTraits({ profileId: bProfile, set: { lifetime_value: 99999, tier: 'b-secret' }, remove: [], expectedVersion: 0, requestId: '' }, b);
    await f.client.createSegment({ segment: identityV1.Segment.fromPartial({ segmentId: 'b-vip', conditions: [{ trait: 'lifetime_value', operator: identityV1.SegmentOperator.SEGMENT_OPERATOR_GTE, value: 1 }] }), requestId: '' }, b);
    bState = await stateOfB();
  });
  afterAll(() => f.stop());

  afterEach(async () => {
    expect(await stateOfB()).toBe(bState);
  });

  /** Tenant A gets exactly the same error for B's id as for an id that exists nowhere. */
  async function sameAnswer(forB: Promise<unknown>, forNobody: Promise<unknown>, code: status): Promise<void> {
    const x = await failure(forB);
    const y = await failure(forNobody);
    expect(x.error.code).toBe(code);
    expect(y.error.code).toBe(code);
    expect(x.error.details).toBe(y.error.details);
    expect(x.details).toEqual(y.details);
  }

  it('cannot read B profiles, nor tell them from missing ones', async () => {
    await sameAnswer(f.client.getProfile({ profileId: bProfile }, a), f.client.getProfile({ profileId: 'prf_nobody' }, a), status.NOT_FOUND);
    await sameAnswer(
      f.client.batchGetProfiles({ profileIds: [bProfile], allowMissing: false }, a),
      f.client.batchGetProfiles({ profileIds: ['prf_nobody'], allowMissing: false }, a),
      status.NOT_FOUND,
    );
    const lenient = await f.client.batchGetProfiles({ profileIds: [bProfile, 'prf_nobody'], allowMissing: true }, a);
    expect(lenient).toEqual({ profiles: [], missingProfileIds: [bProfile, 'prf_nobody'] });
    await sameAnswer(f.client.listMergeHistory({ profileId: bProfile, pageSize: 0, pageToken: '' }, a), f.client.listMergeHistory({ profileId: 'prf_nobody', pageSize: 0, pageToken: '' }, a), status.NOT_FOUND);
    await sameAnswer(f.client.getSegment({ segmentId: 'b-vip' }, a), f.client.getSegment({ segmentId: 'nobody' }, a), status.NOT_FOUND);
  });

  it('cannot find B profiles by identifier, trait or segment', async () => {
    const byEmail = await f.client.searchProfiles({ identifier: { type: T.IDENTIFIER_TYPE_EMAIL, value: 'shared@example.com', customType: '' }, pageSize: 0, pageToken: '' }, a);
    expect(byEmail.profiles).toEqual([]);
    const byTrait = await f.client.searchProfiles({ traitCondition: { trait: 'tier', operator: identityV1.SegmentOperator.SEGMENT_OPERATOR_EQ, value: 'b-secret' }, pageSize: 0, pageToken: '' }, a);
    expect(byTrait.profiles).toEqual([]);
    expect((await f.client.searchProfiles({ segmentId: 'b-vip', pageSize: 0, pageToken: '' }, a)).profiles).toEqual([]);
    expect((await f.client.listSegments({ pageSize: 0, pageToken: '' }, a)).segments).toEqual([]);
    expect((await f.client.getMergePolicy({}, a)).policy?.version).toBe(0);
  });

  it('cannot resolve into B: the same identifiers make a separate profile of A', async () => {
    const r = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'shared@example.com', A.ASSURANCE_LEVEL_VERIFIED], [T.IDENTIFIER_TYPE_COOKIE, 'b-cookie']]), a);
    expect(r).toMatchObject({ created: true, matchType: identityV1.MatchType.MATCH_TYPE_CREATED, merges: [], conflicts: [] });
    expect(r.profile?.profileId).not.toBe(bProfile);
    expect(r.profile?.traits).toEqual({});
    // A may link identifiers B holds: nothing tells A they exist elsewhere.
    const linked = await f.client.linkIdentifiers({ profileId: r.profile?.profileId ?? '', identifiers: [{ type: T.IDENTIFIER_TYPE_LOGIN, value: 'b-user', customType: '', proof: 0 }], requestId: '' }, a);
    expect(linked.linkedIdentifiers).toHaveLength(1);
  });

  it('cannot change, merge, unmerge or erase B profiles', async () => {
    const mine = (await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_DEVICE, 'a-device']]), a)).profile?.profileId ?? '';
    await sameAnswer(
      f.client.updateTraits({ profileId: bProfile, set: { tier: 'x' }, remove: [], expectedVersion: 0, requestId: '' }, a),
      f.client.updateTraits({ profileId: 'prf_nobody', set: { tier: 'x' }, remove: [], expectedVersion: 0, requestId: '' }, a),
      status.NOT_FOUND,
    );
    await sameAnswer(
      f.client.linkIdentifiers({ profileId: bProfile, identifiers: [{ type: T.IDENTIFIER_TYPE_COOKIE, value: 'x', customType: '', proof: 0 }], requestId: '' }, a),
      f.client.linkIdentifiers({ profileId: 'prf_nobody', identifiers: [{ type: T.IDENTIFIER_TYPE_COOKIE, value: 'x', customType: '', proof: 0 }], requestId: '' }, a),
      status.NOT_FOUND,
    );
    await sameAnswer(
      f.client.mergeProfiles({ survivingProfileId: mine, mergedProfileId: bProfile, requestId: '' }, a),
      f.client.mergeProfiles({ survivingProfileId: mine, mergedProfileId: 'prf_nobody', requestId: '' }, a),
      status.NOT_FOUND,
    );
    await sameAnswer(
      f.client.mergeProfiles({ survivingProfileId: bProfile, mergedProfileId: mine, requestId: '' }, a),
      f.client.mergeProfiles({ survivingProfileId: 'prf_nobody', mergedProfileId: mine, requestId: '' }, a),
      status.NOT_FOUND,
    );
    await sameAnswer(f.client.unmergeProfiles({ mergeId: bMerge, requestId: '' }, a), f.client.unmergeProfiles({ mergeId: 'mrg_nobody', requestId: '' }, a), status.NOT_FOUND);
    await sameAnswer(
      f.client.eraseProfile({ profileId: bProfile, privacyRequestId: '', requestId: '' }, a),
      f.client.eraseProfile({ profileId: 'prf_nobody', privacyRequestId: '', requestId: '' }, a),
      status.NOT_FOUND,
    );
    await sameAnswer(
      f.client.updateSegment({ segment: identityV1.Segment.fromPartial({ segmentId: 'b-vip', conditions: [{ trait: 'x', operator: identityV1.SegmentOperator.SEGMENT_OPERATOR_EXISTS, value: true }] }), expectedVersion: 0, requestId: '' }, a),
      f.client.updateSegment({ segment: identityV1.Segment.fromPartial({ segmentId: 'nobody', conditions: [{ trait: 'x', operator: identityV1.SegmentOperator.SEGMENT_OPERATOR_EXISTS, value: true }] }), expectedVersion: 0, requestId: '' }, a),
      status.NOT_FOUND,
    );
    // A request id B used means nothing to A.
    await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_COOKIE, 'req-b']], { requestId: 'shared-req' }), b);
    const own = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_COOKIE, 'req-a']], { requestId: 'shared-req' }), a);
    expect(own.created).toBe(true);
  });

  it("a token of A cannot act on B's tenant at all (PERMISSION_DENIED, the same for existing and missing ids)", async () => {
    const onB = { token: a.token, tenantId: 'tenant-b' };
    await sameAnswer(f.client.getProfile({ profileId: bProfile }, onB), f.client.getProfile({ profileId: 'prf_nobody' }, onB), status.PERMISSION_DENIED);
    const resolveIntoB = await failure(f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'shared@example.com']]), onB));
    expect(resolveIntoB.error.code).toBe(status.PERMISSION_DENIED);
    expect(resolveIntoB.details?.errorInfo?.reason).toBe('TENANT_NOT_ALLOWED');
  });

  it('checks the scope before existence, and before validation', async () => {
    const readOnly = await f.as('tenant-a', [IDENTITY_SCOPES.read]);
    const writeOnly = await f.as('tenant-a', [IDENTITY_SCOPES.write]);
    await sameAnswer(
      f.client.updateTraits({ profileId: bProfile, set: { a: 1 }, remove: [], expectedVersion: 0, requestId: '' }, readOnly),
      f.client.updateTraits({ profileId: 'not even an id', set: {}, remove: [], expectedVersion: 0, requestId: '' }, readOnly),
      status.PERMISSION_DENIED,
    );
    const resolve = await failure(f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'x@example.com']]), readOnly));
    expect(resolve.details?.errorInfo).toMatchObject({ reason: 'MISSING_SCOPE', metadata: { scope: 'identity.write' } });
    const get = await failure(f.client.getProfile({ profileId: 'prf_nobody' }, writeOnly));
    expect(get.error.code).toBe(status.PERMISSION_DENIED);
    for (const adminCall of [
      f.client.eraseProfile({ profileId: 'prf_nobody', privacyRequestId: '', requestId: '' }, writeOnly),
      f.client.updateMergePolicy({ policy: undefined, expectedVersion: 0, requestId: '' }, writeOnly),
      f.client.createSegment({ segment: undefined, requestId: '' }, writeOnly),
      f.client.deleteSegment({ segmentId: 'b-vip', requestId: '' }, writeOnly),
    ]) {
      const denied = await failure(adminCall);
      expect(denied.error.code).toBe(status.PERMISSION_DENIED);
      expect(denied.details?.errorInfo?.metadata).toEqual({ scope: 'identity.admin' });
    }
    const noToken = await failure(f.client.getProfile({ profileId: bProfile }, { tenantId: 'tenant-a' }));
    expect(noToken.error.code).toBe(status.UNAUTHENTICATED);
  });
});
