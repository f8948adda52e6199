import fc from 'fast-check';
import { MergeRefusedError, UnmergeRefusedError } from './errors';
import { decideAutoMerge } from './merge';
import { testContext } from './memory-model.test-util';
import { normalizeIdentifier } from './normalize';
import { planExplicitMerge, planUnmerge } from './operations';
import { CompiledPolicy, defaultPolicy, type MergePolicy } from './policy';
import { sameContent, withSegments } from './profile';
import type { Assurance, IdentifierState, IdentifierType, ProfileState, SegmentDefinition, Traits } from './types';

const policy = new CompiledPolicy(defaultPolicy('ES'));
const at = new Date('2025-06-01T10:00:00Z');

function ident(type: IdentifierType, value: string, verifiedLevel: Assurance = 'NONE'): IdentifierState {
  return { ...normalizeIdentifier(type, '', value, { defaultRegion: 'ES' }), verifiedLevel, linkedAt: at, lastSeenAt: at };
}

function profile(id: string, identifiers: IdentifierState[], traits: Traits = {}, segments: SegmentDefinition[] = []): ProfileState {
  return withSegments({ id, identifiers, traits, segmentIds: [], createTime: at, updateTime: at, version: 3 }, segments);
}

const segments: SegmentDefinition[] = [
  { id: 'vip', displayName: 'VIP', conditions: [{ trait: 'lifetime_value', operator: 'GTE', value: 10000 }], version: 1, updateTime: at },
  { id: 'es', displayName: 'Spain', conditions: [{ trait: 'country', operator: 'EQ', value: 'ES' }], version: 1, updateTime: at },
];

describe('merge rules', () => {
  const maria = profile('prf_maria', [ident('LOGIN', 'maria', 'VERIFIED'), ident('PHONE', '+34612345678', 'VERIFIED')]);
  const cookie = profile('prf_cookie', [ident('COOKIE', 'c-81f')]);
  const otherLogin = profile('prf_juan', [ident('LOGIN', 'juan', 'VERIFIED')]);
  const typedLogin = profile('prf_typed', [ident('LOGIN', 'typed', 'NONE')]);
  const email = profile('prf_email', [ident('EMAIL', 'x@example.com', 'ASSERTED')]);

  it('joins an anonymous profile to a known one when the known side is proven in the interaction', () => {
    expect(decideAutoMerge(maria, cookie, policy, 'VERIFIED', 'NONE')).toEqual({ ok: true, rule: 'stitch:anonymous-into-known' });
    expect(decideAutoMerge(maria, cookie, policy, 'ASSERTED', 'NONE')).toMatchObject({ ok: false, refusal: 'INSUFFICIENT_PROOF' });
  });

  it('joins two anonymous profiles without proof', () => {
    const device = profile('prf_device', [ident('DEVICE', 'd-1')]);
    expect(decideAutoMerge(device, cookie, policy, 'NONE', 'NONE')).toEqual({ ok: true, rule: 'stitch:anonymous-into-anonymous' });
  });

  it('never joins two different verified LOGINs automatically, whatever the mode', () => {
    const permissive = new CompiledPolicy({
      ...defaultPolicy('ES'),
      autoMergeMode: 'KNOWN_PROFILES',
      rules: [{ type: 'LOGIN', customType: '', maxPerProfile: 5, priority: 100, blockedValues: [] }],
    });
    expect(decideAutoMerge(maria, otherLogin, permissive, 'STRONG', 'STRONG')).toMatchObject({ ok: false, refusal: 'VERIFIED_LOGIN_CONFLICT' });
  });

  it('refuses a second LOGIN on one profile (per-type limit), verified or not', () => {
    const known = new CompiledPolicy({ ...defaultPolicy('ES'), autoMergeMode: 'KNOWN_PROFILES' });
    expect(decideAutoMerge(maria, typedLogin, known, 'VERIFIED', 'VERIFIED')).toMatchObject({ ok: false, refusal: 'IDENTIFIER_LIMIT_EXCEEDED' });
  });

  it('joins known profiles only under KNOWN_PROFILES and with both sides proven', () => {
    expect(decideAutoMerge(maria, email, policy, 'VERIFIED', 'VERIFIED')).toMatchObject({ ok: false, refusal: 'MERGE_NOT_ALLOWED' });
    const known = new CompiledPolicy({ ...defaultPolicy('ES'), autoMergeMode: 'KNOWN_PROFILES' });
    expect(decideAutoMerge(maria, email, known, 'VERIFIED', 'ASSERTED')).toMatchObject({ ok: false, refusal: 'INSUFFICIENT_PROOF' });
    expect(decideAutoMerge(maria, email, known, 'VERIFIED', 'VERIFIED')).toEqual({ ok: true, rule: 'stitch:known-into-known' });
    const off = new CompiledPolicy({ ...defaultPolicy('ES'), autoMergeMode: 'DISABLED' });
    expect(decideAutoMerge(maria, cookie, off, 'STRONG', 'NONE')).toMatchObject({ ok: false, refusal: 'MERGE_NOT_ALLOWED' });
  });

  it('explicit merges keep rule, actor, time and the limits', () => {
    const ctx = testContext(at, 'agent-7');
    const plan = planExplicitMerge(maria, cookie, policy, [], ctx);
    expect(plan.record).toMatchObject({ survivorId: 'prf_maria', mergedId: 'prf_cookie', reason: 'EXPLICIT', rule: 'explicit', actor: 'agent-7', mergeTime: at });
    expect(plan.survivor.identifiers.map((i) => i.key)).toEqual(['LOGIN:maria', 'PHONE:+34612345678', 'COOKIE:c-81f']);
    expect(plan.changes.keyMoves).toEqual([{ key: 'COOKIE:c-81f', from: 'prf_cookie', to: 'prf_maria' }]);
    const tombstone = plan.changes.updated.find((u) => u.after.id === 'prf_cookie')!.after;
    expect(tombstone).toMatchObject({ mergedInto: 'prf_maria', identifiers: [], version: 4 });
    expect(() => planExplicitMerge(maria, otherLogin, policy, [], ctx)).toThrow(MergeRefusedError);
    expect(() => planExplicitMerge(maria, maria, policy, [], ctx)).toThrow(expect.objectContaining({ reason: 'SAME_PROFILE' }));
    expect(() => planExplicitMerge(maria, tombstone, policy, [], ctx)).toThrow(expect.objectContaining({ reason: 'PROFILE_ALREADY_MERGED' }));
  });

  it('the survivor keeps its own traits and only takes the ones it lacks; segments follow', () => {
    const a = profile('prf_a', [ident('LOGIN', 'a', 'VERIFIED')], { country: 'FR', tier: 'gold' }, segments);
    const b = profile('prf_b', [ident('COOKIE', 'c')], { country: 'ES', lifetime_value: 25000 }, segments);
    const plan = planExplicitMerge(a, b, policy, segments, testContext(at));
    expect(plan.survivor.traits).toEqual({ country: 'FR', tier: 'gold', lifetime_value: 25000 });
    expect(plan.survivor.segmentIds).toEqual(['vip']);
    expect(plan.changes.events.map((e) => e.type)).toEqual(['profiles_merged', 'segment_membership_changed', 'segment_membership_changed']);
  });

  it('unmerge gives what the survivor gained after the merge to the survivor', () => {
    const ctx = testContext(at);
    const a = profile('prf_a', [ident('LOGIN', 'a', 'VERIFIED')], { tier: 'gold' });
    const b = profile('prf_b', [ident('COOKIE', 'c')], { seen: 1 });
    const merged = planExplicitMerge(a, b, policy, [], ctx);
    const tombstone = merged.changes.updated[1]!.after;
    // After the merge: a new phone, a changed filled trait and a new trait on the survivor.
    const later: ProfileState = {
      ...merged.survivor,
      identifiers: [...merged.survivor.identifiers, ident('PHONE', '+34612345678')],
      traits: { ...merged.survivor.traits, seen: 2, note: 'x' },
      version: merged.survivor.version + 1,
    };
    const undone = planUnmerge(merged.record, later, tombstone, [], ctx);
    expect(undone.survivor.identifiers.map((i) => i.key)).toEqual(['LOGIN:a', 'PHONE:+34612345678']);
    expect(undone.survivor.traits).toEqual({ tier: 'gold', seen: 2, note: 'x' });
    expect(undone.restored).toMatchObject({ id: 'prf_b', traits: { seen: 1 }, mergedInto: undefined });
    expect(undone.restored.identifiers.map((i) => i.key)).toEqual(['COOKIE:c']);
    expect(undone.record).toMatchObject({ unmergeActor: 'tester' });
    expect(() => planUnmerge(undone.record, undone.survivor, undone.restored, [], ctx)).toThrow(UnmergeRefusedError);
  });

  it('refuses to unmerge while the survivor is itself merged into another profile', () => {
    const ctx = testContext(at);
    const a = profile('prf_a', [ident('EMAIL', 'a@example.com')]);
    const b = profile('prf_b', [ident('COOKIE', 'c')]);
    const first = planExplicitMerge(a, b, policy, [], ctx);
    const z = profile('prf_z', [ident('LOGIN', 'z', 'VERIFIED')]);
    const second = planExplicitMerge(z, first.survivor, policy, [], ctx);
    const aTombstone = second.changes.updated[1]!.after;
    expect(() => planUnmerge(first.record, aTombstone, first.changes.updated[1]!.after, [], ctx)).toThrow(
      expect.objectContaining({ reason: 'SURVIVOR_MERGED_SINCE' }),
    );
  });

  describe('property: unmerge(merge(a, b)) gives back a and b exactly', () => {
    const types: IdentifierType[] = ['EMAIL', 'ACCOUNT', 'DEVICE', 'COOKIE', 'PHONE', 'LOGIN', 'CRM'];
    const phones = ['+34612345678', '+34622345678', '+34632345678', '+447911123456', '+33612345678'];
    const identifier = fc.record({
      type: fc.constantFrom(...types),
      n: fc.integer({ min: 0, max: 4 }),
      level: fc.constantFrom<Assurance>('NONE', 'ASSERTED', 'VERIFIED', 'STRONG'),
    });
    const json = fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }));
    const traits = fc.dictionary(fc.constantFrom('country', 'lifetime_value', 'tier', 'city', 'x'), json, { maxKeys: 4, noNullPrototype: true });
    const side = fc.record({ ids: fc.array(identifier, { maxLength: 6 }), traits, createdDaysAgo: fc.integer({ min: 0, max: 400 }) });

    const build = (id: string, s: { ids: { type: IdentifierType; n: number; level: Assurance }[]; traits: Traits; createdDaysAgo: number }, tag: string) => {
      const seen = new Set<string>();
      const identifiers = s.ids
        .map(({ type, n, level }) => ident(type, type === 'PHONE' ? phones[n]! : type === 'EMAIL' ? `${tag}${n}@example.com` : `${tag}-${n}`, level))
        .filter((i) => (seen.has(i.key) ? false : (seen.add(i.key), true)));
      const created = new Date(at.getTime() - s.createdDaysAgo * 86_400_000);
      return withSegments({ id, identifiers, traits: s.traits, segmentIds: [], createTime: created, updateTime: created, version: 1 }, segments);
    };

    it('holds for any two profiles the policy lets merge', () => {
      const unlimited: MergePolicy = { ...defaultPolicy('ES'), rules: types.map((type) => ({ type, customType: '', maxPerProfile: 0, priority: 10, blockedValues: [] })) };
      const compiled = new CompiledPolicy(unlimited);
      fc.assert(
        fc.property(side, side, (sa, sb) => {
          const a = build('prf_a', sa, 'a');
          // Phones come from one small pool shared by both sides: b keeps only what a does not hold
          // (one identifier is never on two profiles).
          const aKeys = new Set(a.identifiers.map((i) => i.key));
          const b0 = build('prf_b', sb, 'b');
          const b = withSegments({ ...b0, identifiers: b0.identifiers.filter((i) => !aKeys.has(i.key)) }, segments);
          const ctx = testContext(new Date(at.getTime() + 1000));
          const merged = planExplicitMerge(a, b, compiled, segments, ctx);
          const tombstone = merged.changes.updated[1]!.after;
          const undone = planUnmerge(merged.record, merged.survivor, tombstone, segments, ctx);
          expect(sameContent(undone.survivor, a)).toBe(true);
          expect(sameContent(undone.restored, b)).toBe(true);
          expect(undone.survivor.version).toBe(a.version + 2);
          expect(undone.restored.version).toBe(b.version + 2);
        }),
        { numRuns: 500 },
      );
    });
  });
});
