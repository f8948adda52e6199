import { status } from '@grpc/grpc-js';
import { commonV1, identityV1 } from '@continuum/contracts';
import { failure, resolveRequest, startIdentity, type IdentityClient, type IdentityFixture } from './fixture.test-util';

const T = identityV1.IdentifierType;
/** An enum value the proto does not define (a newer client, or garbage). */
const unknown = <E>(n: number) => n as unknown as E;
const OP = identityV1.SegmentOperator;

type Call = (c: IdentityClient, o: { token: string; tenantId: string }, seed: Seed) => Promise<unknown>;
interface Seed {
  profileId: string;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => ({ type: T.IDENTIFIER_TYPE_COOKIE, value: `c-${i}`, customType: '', proof: 0 }));
const resolve = (partial: Partial<identityV1.ResolveRequest>): Call => (c, o) => c.resolve(identityV1.ResolveRequest.fromPartial({ channel: 1, identifiers: [{ type: T.IDENTIFIER_TYPE_EMAIL, value: 'ok@example.com' }], ...partial }), o);
const one = (partial: Partial<identityV1.ObservedIdentifier>) => [identityV1.ObservedIdentifier.fromPartial({ type: T.IDENTIFIER_TYPE_EMAIL, value: 'ok@example.com', ...partial })];
const segment = (partial: Partial<identityV1.Segment>) =>
  identityV1.Segment.fromPartial({ segmentId: 'vip', displayName: 'VIP', conditions: [{ trait: 'lifetime_value', operator: OP.SEGMENT_OPERATOR_GTE, value: 10000 }], ...partial });
const policy = (partial: Partial<identityV1.MergePolicy>) => identityV1.MergePolicy.fromPartial({ defaultPhoneRegion: 'ES', ...partial });
const rule = (partial: Partial<identityV1.IdentifierRule>) => identityV1.IdentifierRule.fromPartial({ type: T.IDENTIFIER_TYPE_PHONE, maxPerProfile: 0, priority: 50, ...partial });
const search = (partial: Partial<identityV1.SearchProfilesRequest>): Call => (c, o) => c.searchProfiles(identityV1.SearchProfilesRequest.fromPartial(partial), o);

/** Each invalid field of each RPC, and the field the error must name. */
const table: [rpc: string, what: string, field: string, call: Call][] = [
  ['Resolve', 'no identifiers', 'identifiers', resolve({ identifiers: [] })],
  ['Resolve', '21 identifiers', 'identifiers', resolve({ identifiers: ids(21) })],
  ['Resolve', 'type unset', 'identifiers[0].type', resolve({ identifiers: one({ type: 0 }) })],
  ['Resolve', 'unknown type', 'identifiers[0].type', resolve({ identifiers: one({ type: unknown<identityV1.IdentifierType>(99) }) })],
  ['Resolve', 'empty value', 'identifiers[1].value', resolve({ identifiers: [...one({}), ...one({ value: '  ' })] })],
  ['Resolve', 'unparseable phone', 'identifiers[0].value', resolve({ identifiers: one({ type: T.IDENTIFIER_TYPE_PHONE, value: 'call me maybe' }) })],
  ['Resolve', 'invalid phone number', 'identifiers[0].value', resolve({ identifiers: one({ type: T.IDENTIFIER_TYPE_PHONE, value: '+34 1' }) })],
  ['Resolve', 'not an email', 'identifiers[0].value', resolve({ identifiers: one({ value: 'maria-at-example.com' }) })],
  ['Resolve', 'social without network', 'identifiers[0].value', resolve({ identifiers: one({ type: T.IDENTIFIER_TYPE_SOCIAL, value: '@maria' }) })],
  ['Resolve', 'value too long', 'identifiers[0].value', resolve({ identifiers: one({ type: T.IDENTIFIER_TYPE_LOGIN, value: 'x'.repeat(257) }) })],
  ['Resolve', 'CUSTOM without custom_type', 'identifiers[0].custom_type', resolve({ identifiers: one({ type: T.IDENTIFIER_TYPE_CUSTOM, value: '1' }) })],
  ['Resolve', 'custom_type not lower_snake', 'identifiers[0].custom_type', resolve({ identifiers: one({ type: T.IDENTIFIER_TYPE_CUSTOM, customType: 'Loyalty Card', value: '1' }) })],
  ['Resolve', 'custom_type on a LOGIN', 'identifiers[0].custom_type', resolve({ identifiers: one({ type: T.IDENTIFIER_TYPE_LOGIN, customType: 'x', value: 'l' }) })],
  ['Resolve', 'unknown proof', 'identifiers[0].proof', resolve({ identifiers: one({ proof: unknown<commonV1.AssuranceLevel>(42) }) })],
  ['Resolve', 'channel unset', 'channel', resolve({ channel: 0 })],
  ['Resolve', 'unknown channel', 'channel', resolve({ channel: unknown<commonV1.Channel>(77) })],
  ['Resolve', 'malformed request_id', 'request_id', resolve({ requestId: 'not ok!' })],
  ['Resolve', 'request_id too long', 'request_id', resolve({ requestId: 'r'.repeat(65) })],

  ['GetProfile', 'missing id', 'profile_id', (c, o) => c.getProfile({ profileId: '' }, o)],
  ['GetProfile', 'malformed id', 'profile_id', (c, o) => c.getProfile({ profileId: 'not-a-profile' }, o)],

  ['BatchGetProfiles', 'no ids', 'profile_ids', (c, o) => c.batchGetProfiles({ profileIds: [], allowMissing: false }, o)],
  ['BatchGetProfiles', '101 ids', 'profile_ids', (c, o) => c.batchGetProfiles({ profileIds: Array.from({ length: 101 }, (_, i) => `prf_${i}`), allowMissing: false }, o)],
  ['BatchGetProfiles', 'malformed id', 'profile_ids[1]', (c, o, s) => c.batchGetProfiles({ profileIds: [s.profileId, 'x'], allowMissing: false }, o)],

  ['SearchProfiles', 'no query', 'query', search({})],
  ['SearchProfiles', 'two queries', 'query', search({ segmentId: 'vip', identifier: { type: T.IDENTIFIER_TYPE_EMAIL, value: 'a@example.com', customType: '' } })],
  ['SearchProfiles', 'identifier type unset', 'identifier.type', search({ identifier: { type: 0, value: 'a', customType: '' } })],
  ['SearchProfiles', 'identifier value unparseable', 'identifier.value', search({ identifier: { type: T.IDENTIFIER_TYPE_PHONE, value: 'nope', customType: '' } })],
  ['SearchProfiles', 'page token on an identifier search', 'page_token', search({ identifier: { type: T.IDENTIFIER_TYPE_EMAIL, value: 'a@example.com', customType: '' }, pageToken: 'x' })],
  ['SearchProfiles', 'operator unset', 'trait_condition.operator', search({ traitCondition: { trait: 'tier', operator: 0, value: 'gold' } })],
  ['SearchProfiles', 'trait empty', 'trait_condition.trait', search({ traitCondition: { trait: '', operator: OP.SEGMENT_OPERATOR_EQ, value: 'gold' } })],
  ['SearchProfiles', 'trait with $', 'trait_condition.trait', search({ traitCondition: { trait: 'a.$where', operator: OP.SEGMENT_OPERATOR_EQ, value: 'gold' } })],
  ['SearchProfiles', 'null value', 'trait_condition.value', search({ traitCondition: { trait: 'tier', operator: OP.SEGMENT_OPERATOR_EQ, value: null } })],
  ['SearchProfiles', 'IN without a list', 'trait_condition.value', search({ traitCondition: { trait: 'tier', operator: OP.SEGMENT_OPERATOR_IN, value: 'gold' } })],
  ['SearchProfiles', 'malformed segment id', 'segment_id', search({ segmentId: 'VIP_1' })],
  ['SearchProfiles', 'page size too big', 'page_size', search({ segmentId: 'vip', pageSize: 501 })],
  ['SearchProfiles', 'negative page size', 'page_size', search({ segmentId: 'vip', pageSize: -1 })],
  ['SearchProfiles', 'forged page token', 'page_token', search({ segmentId: 'vip', pageToken: 'eyJ2IjoxfQ' })],

  ['UpdateTraits', 'missing id', 'profile_id', (c, o) => c.updateTraits({ profileId: '', set: { a: 1 }, remove: [], expectedVersion: 0, requestId: '' }, o)],
  ['UpdateTraits', 'nothing to change', 'set', (c, o, s) => c.updateTraits({ profileId: s.profileId, set: {}, remove: [], expectedVersion: 0, requestId: '' }, o)],
  ['UpdateTraits', 'bad trait name', 'set.bad name', (c, o, s) => c.updateTraits({ profileId: s.profileId, set: { 'bad name': 1 }, remove: [], expectedVersion: 0, requestId: '' }, o)],
  ['UpdateTraits', 'bad nested name', 'set.address.$x', (c, o, s) => c.updateTraits({ profileId: s.profileId, set: { address: { $x: 1 } }, remove: [], expectedVersion: 0, requestId: '' }, o)],
  ['UpdateTraits', 'set and removed', 'remove[0]', (c, o, s) => c.updateTraits({ profileId: s.profileId, set: { tier: 'gold' }, remove: ['tier'], expectedVersion: 0, requestId: '' }, o)],
  ['UpdateTraits', 'bad name to remove', 'remove[0]', (c, o, s) => c.updateTraits({ profileId: s.profileId, set: {}, remove: ['9lives'], expectedVersion: 0, requestId: '' }, o)],
  ['UpdateTraits', 'negative expected version', 'expected_version', (c, o, s) => c.updateTraits({ profileId: s.profileId, set: { a: 1 }, remove: [], expectedVersion: -1, requestId: '' }, o)],
  ['UpdateTraits', 'too large', 'set', (c, o, s) => c.updateTraits({ profileId: s.profileId, set: { notes: 'n'.repeat(17_000) }, remove: [], expectedVersion: 0, requestId: '' }, o)],
  ['UpdateTraits', 'malformed request_id', 'request_id', (c, o, s) => c.updateTraits({ profileId: s.profileId, set: { a: 1 }, remove: [], expectedVersion: 0, requestId: ' ' }, o)],

  ['LinkIdentifiers', 'malformed id', 'profile_id', (c, o) => c.linkIdentifiers({ profileId: 'x', identifiers: one({}), requestId: '' }, o)],
  ['LinkIdentifiers', 'no identifiers', 'identifiers', (c, o, s) => c.linkIdentifiers({ profileId: s.profileId, identifiers: [], requestId: '' }, o)],
  ['LinkIdentifiers', 'not an email', 'identifiers[0].value', (c, o, s) => c.linkIdentifiers({ profileId: s.profileId, identifiers: one({ value: 'nope' }), requestId: '' }, o)],

  ['MergeProfiles', 'survivor missing', 'surviving_profile_id', (c, o, s) => c.mergeProfiles({ survivingProfileId: '', mergedProfileId: s.profileId, requestId: '' }, o)],
  ['MergeProfiles', 'merged malformed', 'merged_profile_id', (c, o, s) => c.mergeProfiles({ survivingProfileId: s.profileId, mergedProfileId: 'x', requestId: '' }, o)],
  ['MergeProfiles', 'same profile', 'merged_profile_id', (c, o, s) => c.mergeProfiles({ survivingProfileId: s.profileId, mergedProfileId: s.profileId, requestId: '' }, o)],

  ['UnmergeProfiles', 'missing id', 'merge_id', (c, o) => c.unmergeProfiles({ mergeId: '', requestId: '' }, o)],
  ['UnmergeProfiles', 'not a merge id', 'merge_id', (c, o, s) => c.unmergeProfiles({ mergeId: s.profileId, requestId: '' }, o)],

  ['ListMergeHistory', 'missing id', 'profile_id', (c, o) => c.listMergeHistory({ profileId: '', pageSize: 0, pageToken: '' }, o)],
  ['ListMergeHistory', 'page size too big', 'page_size', (c, o, s) => c.listMergeHistory({ profileId: s.profileId, pageSize: 1000, pageToken: '' }, o)],
  ['ListMergeHistory', 'forged page token', 'page_token', (c, o, s) => c.listMergeHistory({ profileId: s.profileId, pageSize: 0, pageToken: 'abc' }, o)],

  ['UpdateMergePolicy', 'policy unset', 'policy', (c, o) => c.updateMergePolicy({ policy: undefined, expectedVersion: 0, requestId: '' }, o)],
  ['UpdateMergePolicy', 'unknown region', 'policy.default_phone_region', (c, o) => c.updateMergePolicy({ policy: policy({ defaultPhoneRegion: 'XX' }), expectedVersion: 0, requestId: '' }, o)],
  ['UpdateMergePolicy', 'unknown mode', 'policy.auto_merge_mode', (c, o) => c.updateMergePolicy({ policy: policy({ autoMergeMode: unknown<identityV1.AutoMergeMode>(9) }), expectedVersion: 0, requestId: '' }, o)],
  ['UpdateMergePolicy', 'unknown assurance', 'policy.min_stitch_assurance', (c, o) => c.updateMergePolicy({ policy: policy({ minStitchAssurance: unknown<commonV1.AssuranceLevel>(9) }), expectedVersion: 0, requestId: '' }, o)],
  ['UpdateMergePolicy', 'rule type unset', 'policy.identifier_rules[0].type', (c, o) => c.updateMergePolicy({ policy: policy({ identifierRules: [rule({ type: 0 })] }), expectedVersion: 0, requestId: '' }, o)],
  ['UpdateMergePolicy', 'limit too high', 'policy.identifier_rules[0].max_per_profile', (c, o) => c.updateMergePolicy({ policy: policy({ identifierRules: [rule({ maxPerProfile: 101 })] }), expectedVersion: 0, requestId: '' }, o)],
  ['UpdateMergePolicy', 'priority too high', 'policy.identifier_rules[0].priority', (c, o) => c.updateMergePolicy({ policy: policy({ identifierRules: [rule({ priority: 5000 })] }), expectedVersion: 0, requestId: '' }, o)],
  ['UpdateMergePolicy', 'two rules for one type', 'policy.identifier_rules[1].type', (c, o) => c.updateMergePolicy({ policy: policy({ identifierRules: [rule({}), rule({})] }), expectedVersion: 0, requestId: '' }, o)],
  ['UpdateMergePolicy', 'unparseable blocked value', 'policy.identifier_rules[0].blocked_values[1]', (c, o) => c.updateMergePolicy({ policy: policy({ identifierRules: [rule({ blockedValues: ['912345678', 'reception'] })] }), expectedVersion: 0, requestId: '' }, o)],
  ['UpdateMergePolicy', 'negative expected version', 'expected_version', (c, o) => c.updateMergePolicy({ policy: policy({}), expectedVersion: -2, requestId: '' }, o)],

  ['CreateSegment', 'segment unset', 'segment', (c, o) => c.createSegment({ segment: undefined, requestId: '' }, o)],
  ['CreateSegment', 'segment id not kebab', 'segment.segment_id', (c, o) => c.createSegment({ segment: segment({ segmentId: 'VIP' }), requestId: '' }, o)],
  ['CreateSegment', 'display name too long', 'segment.display_name', (c, o) => c.createSegment({ segment: segment({ displayName: 'd'.repeat(201) }), requestId: '' }, o)],
  ['CreateSegment', 'no conditions', 'segment.conditions', (c, o) => c.createSegment({ segment: segment({ conditions: [] }), requestId: '' }, o)],
  ['CreateSegment', 'operator unset', 'segment.conditions[0].operator', (c, o) => c.createSegment({ segment: segment({ conditions: [{ trait: 'a', operator: 0, value: 1 }] }), requestId: '' }, o)],
  ['CreateSegment', 'bad trait path', 'segment.conditions[0].trait', (c, o) => c.createSegment({ segment: segment({ conditions: [{ trait: 'a..b', operator: OP.SEGMENT_OPERATOR_EQ, value: 1 }] }), requestId: '' }, o)],
  ['CreateSegment', 'GTE with a list', 'segment.conditions[0].value', (c, o) => c.createSegment({ segment: segment({ conditions: [{ trait: 'a', operator: OP.SEGMENT_OPERATOR_GTE, value: [1] }] }), requestId: '' }, o)],
  ['CreateSegment', 'IN with an object item', 'segment.conditions[0].value[1]', (c, o) => c.createSegment({ segment: segment({ conditions: [{ trait: 'a', operator: OP.SEGMENT_OPERATOR_IN, value: ['ES', { x: 1 }] }] }), requestId: '' }, o)],
  ['CreateSegment', 'EXISTS without a boolean', 'segment.conditions[0].value', (c, o) => c.createSegment({ segment: segment({ conditions: [{ trait: 'a', operator: OP.SEGMENT_OPERATOR_EXISTS, value: 'yes' }] }), requestId: '' }, o)],

  ['GetSegment', 'missing id', 'segment_id', (c, o) => c.getSegment({ segmentId: '' }, o)],
  ['GetSegment', 'malformed id', 'segment_id', (c, o) => c.getSegment({ segmentId: 'Vip!' }, o)],
  ['ListSegments', 'page size too big', 'page_size', (c, o) => c.listSegments({ pageSize: 501, pageToken: '' }, o)],
  ['ListSegments', 'forged page token', 'page_token', (c, o) => c.listSegments({ pageSize: 0, pageToken: 'bm9wZQ' }, o)],
  ['UpdateSegment', 'segment unset', 'segment', (c, o) => c.updateSegment({ segment: undefined, expectedVersion: 0, requestId: '' }, o)],
  ['UpdateSegment', 'no conditions', 'segment.conditions', (c, o) => c.updateSegment({ segment: segment({ conditions: [] }), expectedVersion: 0, requestId: '' }, o)],
  ['UpdateSegment', 'negative expected version', 'expected_version', (c, o) => c.updateSegment({ segment: segment({}), expectedVersion: -1, requestId: '' }, o)],
  ['DeleteSegment', 'missing id', 'segment_id', (c, o) => c.deleteSegment({ segmentId: '', requestId: '' }, o)],
  ['DeleteSegment', 'malformed request_id', 'request_id', (c, o) => c.deleteSegment({ segmentId: 'vip', requestId: 'a b' }, o)],

  ['EraseProfile', 'missing id', 'profile_id', (c, o) => c.eraseProfile({ profileId: '', privacyRequestId: '', requestId: '' }, o)],
  ['EraseProfile', 'privacy request id too long', 'privacy_request_id', (c, o, s) => c.eraseProfile({ profileId: s.profileId, privacyRequestId: 'p'.repeat(129), requestId: '' }, o)],
  ['EraseProfile', 'malformed request_id', 'request_id', (c, o, s) => c.eraseProfile({ profileId: s.profileId, privacyRequestId: '', requestId: '!' }, o)],
];

describe('bad input: INVALID_ARGUMENT naming the field, and nothing written', () => {
  let f: IdentityFixture;
  let as: { token: string; tenantId: string };
  let seed: Seed;
  beforeAll(async () => {
    f = await startIdentity();
    as = await f.as('acme');
    const r = await f.client.resolve(resolveRequest([[T.IDENTIFIER_TYPE_EMAIL, 'seed@example.com']]), as);
    seed = { profileId: r.profile?.profileId ?? '' };
    await f.client.createSegment({ segment: segment({ segmentId: 'vip' }), requestId: '' }, as);
  });
  afterAll(() => f.stop());

  it('covers every RPC that takes input', () => {
    const covered = new Set(table.map(([rpc]) => rpc));
    const all = Object.values(identityV1.IdentityServiceService).map((m) => m.path.split('/').pop());
    expect(all.filter((rpc) => !covered.has(rpc!))).toEqual(['GetMergePolicy']); // it takes no input
  });

  it.each(table)('%s: %s -> %s', async (_rpc, _what, field, call) => {
    const before = await f.snapshot();
    const { error, details } = await failure(call(f.client, as, seed));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(details?.errorInfo?.domain).toBe('identity.continuum.dev');
    expect(details?.badRequest?.fieldViolations.map((v) => v.field)).toContain(field);
    expect(await f.snapshot()).toBe(before);
  });
});
