import fc from 'fast-check';
import { MemoryModel, holdsVerifiedLogin, testContext } from './memory-model.test-util';
import { normalizeIdentifier } from './normalize';
import { planUnmerge } from './operations';
import { CompiledPolicy, defaultPolicy, type AutoMergeMode, type MergePolicy } from './policy';
import { firstOverLimit, isActive } from './profile';
import { planChange, planResolve, recognizeUnchanged, type ObservedIdentifier, type ResolveResult } from './resolve';
import type { Assurance, IdentifierType, SegmentDefinition } from './types';

const MINUTE = 60_000;
let fastPathHits = 0;
const segments: SegmentDefinition[] = [
  { id: 'anyone', displayName: 'Everyone without a country', conditions: [{ trait: 'country', operator: 'EXISTS', value: false }], version: 1, updateTime: new Date(0) },
];

/** A tenant as the domain sees it: a model store, a policy and a clock. */
function tenant(policy: MergePolicy = defaultPolicy('ES')) {
  const model = new MemoryModel();
  const ctx = testContext();
  const compiled = new CompiledPolicy(policy);
  const resolve = (...ids: [IdentifierType, string, Assurance?][]): ResolveResult => {
    const observed: ObservedIdentifier[] = ids.map(([type, value, proof], index) => ({
      index,
      id: normalizeIdentifier(type, '', value, { defaultRegion: 'ES' }),
      proof: proof ?? 'NONE',
    }));
    const args = { observed, holders: model.holders(observed.map((o) => o.id.key)), policy: compiled, segments, ctx, lastSeenGranularityMs: 15 * MINUTE };
    const plan = planResolve(args);
    // The cheap path for "nothing changes" must decide exactly what the full decision does.
    const quick = recognizeUnchanged(args);
    if (quick) {
      fastPathHits++;
      expect(quick).toEqual(planChange(args));
    }
    model.apply(plan.changes);
    expect(model.violations()).toEqual([]);
    return plan.result;
  };
  return { model, ctx, resolve, policy: compiled };
}

describe('planResolve', () => {
  it('creates one anonymous profile for unknown identifiers, then recognizes it', () => {
    const t = tenant();
    const first = t.resolve(['COOKIE', 'c-81f']);
    expect(first).toMatchObject({ matchType: 'CREATED', created: true, assurance: 'NONE', merges: [], conflicts: [] });
    expect(first.outcomes).toMatchObject([{ index: 0, resolution: 'LINKED', profileId: first.profile!.id }]);
    expect(first.profile!.segmentIds).toEqual(['anyone']);
    const again = t.resolve(['COOKIE', 'c-81f']);
    expect(again).toMatchObject({ matchType: 'MATCHED', created: false, profile: { id: first.profile!.id } });
    expect(again.outcomes[0]!.resolution).toBe('MATCHED');
    expect(t.model.profiles.size).toBe(1);
  });

  it('web-then-call: the cookie profile joins the login profile, then caller ID recognizes her at ASSERTED', () => {
    const t = tenant();
    const maria = t.resolve(['LOGIN', 'maria.lopez', 'VERIFIED'], ['PHONE', '+34 612 345 678', 'VERIFIED']).profile!;
    t.ctx.advance(MINUTE);
    const visitor = t.resolve(['COOKIE', 'c-81f']).profile!;
    t.ctx.advance(MINUTE);
    const login = t.resolve(['COOKIE', 'c-81f'], ['LOGIN', 'maria.lopez', 'VERIFIED']);
    expect(login).toMatchObject({ matchType: 'STITCHED', assurance: 'VERIFIED', profile: { id: maria.id } });
    expect(login.merges).toHaveLength(1);
    expect(login.merges[0]).toMatchObject({ survivorId: maria.id, mergedId: visitor.id, reason: 'STITCH', rule: 'stitch:anonymous-into-known', actor: 'tester' });
    expect(login.merges[0]!.evidence.map((e) => e.key)).toEqual(['COOKIE:c-81f', 'LOGIN:maria.lopez']);
    expect(login.outcomes.map((o) => o.resolution)).toEqual(['MERGED', 'MATCHED']);
    expect(t.model.profiles.get(visitor.id)!.mergedInto).toBe(maria.id);

    t.ctx.advance(20 * MINUTE);
    const call = t.resolve(['PHONE', '612345678', 'ASSERTED']);
    expect(call).toMatchObject({ matchType: 'MATCHED', assurance: 'ASSERTED', profile: { id: maria.id } });
  });

  it('caps the assurance at ASSERTED when the identifier was never verified on the profile', () => {
    const t = tenant();
    t.resolve(['EMAIL', 'ana@example.com'], ['PHONE', '+34622345678', 'NONE']);
    expect(t.resolve(['PHONE', '+34622345678', 'VERIFIED']).assurance).toBe('ASSERTED');
    // ...that one-time code verified the phone: from now on it counts in full.
    expect(t.resolve(['PHONE', '+34622345678', 'STRONG']).assurance).toBe('STRONG');
    expect(t.resolve(['EMAIL', 'ana@example.com', 'NONE']).assurance).toBe('NONE');
  });

  it('never joins two profiles that hold different verified LOGINs: a conflict, nothing moved', () => {
    const t = tenant({ ...defaultPolicy('ES'), autoMergeMode: 'KNOWN_PROFILES' });
    const a = t.resolve(['LOGIN', 'ana', 'VERIFIED'], ['EMAIL', 'shared@example.com', 'VERIFIED']).profile!;
    const b = t.resolve(['LOGIN', 'bea', 'VERIFIED']).profile!;
    const both = t.resolve(['LOGIN', 'bea', 'STRONG'], ['EMAIL', 'shared@example.com', 'STRONG']);
    expect(both.profile!.id).toBe(b.id);
    expect(both.merges).toEqual([]);
    expect(both.conflicts).toEqual([expect.objectContaining({ kind: 'VERIFIED_LOGIN', profileIds: [b.id, a.id], identifierIndexes: [1] })]);
    expect(both.outcomes.map((o) => o.resolution)).toEqual(['MATCHED', 'CONFLICT']);
    expect(t.model.profiles.get(a.id)!.identifiers.map((i) => i.key)).toEqual(['LOGIN:ana', 'EMAIL:shared@example.com']);
  });

  it('a verified login on a shared computer gets its own profile; the cookie stays with its owner', () => {
    const t = tenant();
    const ana = t.resolve(['COOKIE', 'c-1'], ['LOGIN', 'ana', 'VERIFIED']).profile!;
    const bob = t.resolve(['COOKIE', 'c-1'], ['LOGIN', 'bob', 'VERIFIED']);
    expect(bob).toMatchObject({ matchType: 'CREATED', assurance: 'VERIFIED' });
    expect(bob.profile!.id).not.toBe(ana.id);
    expect(bob.profile!.identifiers.map((i) => i.key)).toEqual(['LOGIN:bob']);
    expect(bob.conflicts[0]).toMatchObject({ kind: 'VERIFIED_LOGIN', profileIds: [bob.profile!.id, ana.id] });
  });

  it('reports a second LOGIN for one profile as a limit conflict and does not link it', () => {
    const t = tenant();
    t.resolve(['LOGIN', 'ana', 'VERIFIED']);
    const r = t.resolve(['LOGIN', 'ana', 'VERIFIED'], ['LOGIN', 'ana2', 'NONE']);
    expect(r.conflicts).toEqual([expect.objectContaining({ kind: 'IDENTIFIER_LIMIT', identifierIndexes: [1] })]);
    expect(r.outcomes[1]).toMatchObject({ resolution: 'CONFLICT', profileId: '' });
    expect(t.model.keys.has('LOGIN:ana2')).toBe(false);
  });

  it('blocked values never match and are never linked', () => {
    const t = tenant({
      ...defaultPolicy('ES'),
      rules: [{ type: 'PHONE', customType: '', maxPerProfile: 0, priority: 50, blockedValues: ['+34912345678'] }],
    });
    const switchboard = t.resolve(['PHONE', '912 345 678', 'ASSERTED']);
    expect(switchboard).toMatchObject({ matchType: 'NO_MATCH', assurance: 'NONE' });
    expect(switchboard.profile).toBeUndefined();
    expect(t.model.profiles.size).toBe(0);
    const withEmail = t.resolve(['PHONE', '912 345 678', 'ASSERTED'], ['EMAIL', 'x@example.com']);
    expect(withEmail.outcomes.map((o) => o.resolution)).toEqual(['BLOCKED', 'LINKED']);
    expect(t.model.keys.has('PHONE:+34912345678')).toBe(false);
  });

  it('a typed-in email does not pull an anonymous profile into a known one', () => {
    const t = tenant();
    const known = t.resolve(['EMAIL', 'ana@example.com', 'VERIFIED']).profile!;
    const visitor = t.resolve(['COOKIE', 'c-9']).profile!;
    const r = t.resolve(['COOKIE', 'c-9'], ['EMAIL', 'ana@example.com', 'NONE']);
    expect(r.profile!.id).toBe(known.id);
    expect(r.conflicts).toEqual([expect.objectContaining({ kind: 'INSUFFICIENT_PROOF', profileIds: [known.id, visitor.id] })]);
  });

  it('joins anonymous profiles seen together and links the unknown identifiers', () => {
    const t = tenant();
    const cookie = t.resolve(['COOKIE', 'c-1']).profile!;
    t.ctx.advance(1000);
    const device = t.resolve(['DEVICE', 'd-1']).profile!;
    const r = t.resolve(['DEVICE', 'd-1'], ['COOKIE', 'c-1'], ['COOKIE', 'c-2']);
    // The device is the stronger identifier type (policy priority): its profile survives.
    expect(r.profile!.id).toBe(device.id);
    expect(r.merges[0]).toMatchObject({ mergedId: cookie.id, rule: 'stitch:anonymous-into-anonymous' });
    expect(r.linked.map((i) => i.key)).toEqual(['COOKIE:c-2']);
  });

  it('records a stronger proof and refreshes last seen only after the granularity', () => {
    const t = tenant();
    const p = t.resolve(['PHONE', '+34612345678', 'ASSERTED']).profile!;
    t.ctx.advance(MINUTE);
    const quiet = t.resolve(['PHONE', '+34612345678', 'ASSERTED']);
    expect(quiet.profile!.version).toBe(p.version); // a pure read
    const stronger = t.resolve(['PHONE', '+34612345678', 'VERIFIED']);
    expect(stronger.linked).toEqual([expect.objectContaining({ key: 'PHONE:+34612345678', verifiedLevel: 'VERIFIED' })]);
    t.ctx.advance(16 * MINUTE);
    const later = t.resolve(['PHONE', '+34612345678', 'NONE']);
    expect(later.profile!.identifiers[0]!.lastSeenAt).toEqual(t.ctx.now);
    expect(later.linked).toEqual([]);
  });

  it('joins repeated identifiers of one request, keeping the strongest proof', () => {
    const t = tenant();
    const r = t.resolve(['EMAIL', 'A@example.com', 'NONE'], ['EMAIL', 'a@example.com ', 'VERIFIED']);
    expect(r.profile!.identifiers).toEqual([expect.objectContaining({ key: 'EMAIL:a@example.com', verifiedLevel: 'VERIFIED' })]);
    expect(r.outcomes.map((o) => o.index)).toEqual([0, 1]);
  });

  describe('property: no sequence of resolves and unmerges leaves one identifier on two profiles', () => {
    const pool: [IdentifierType, string][] = [
      ['COOKIE', 'c1'], ['COOKIE', 'c2'], ['COOKIE', 'c3'], ['DEVICE', 'd1'], ['DEVICE', 'd2'],
      ['LOGIN', 'l1'], ['LOGIN', 'l2'], ['LOGIN', 'l3'], ['EMAIL', 'e1@example.com'], ['EMAIL', 'e2@example.com'],
      ['PHONE', '+34612345678'], ['PHONE', '+34622345678'], ['PHONE', '+34912345678'], ['CRM', 'k1'], ['CRM', 'k2'],
    ];
    const proof = fc.constantFrom<Assurance>('NONE', 'ASSERTED', 'VERIFIED', 'STRONG');
    const step = fc.oneof(
      { weight: 5, arbitrary: fc.array(fc.tuple(fc.integer({ min: 0, max: pool.length - 1 }), proof), { minLength: 1, maxLength: 4 }).map((ids) => ({ kind: 'resolve' as const, ids })) },
      { weight: 1, arbitrary: fc.nat().map((n) => ({ kind: 'unmerge' as const, n })) },
    );
    const policy = fc.record({
      mode: fc.constantFrom<AutoMergeMode>('DISABLED', 'ANONYMOUS_ONLY', 'KNOWN_PROFILES', 'KNOWN_PROFILES'),
      min: fc.constantFrom<Assurance>('NONE', 'ASSERTED', 'VERIFIED'),
      loginLimit: fc.constantFrom(1, 2),
      blockSwitchboard: fc.boolean(),
    });

    it('keeps the identity graph sound (unique keys, limits, no verified-LOGIN merges)', () => {
      const seen = { merges: 0, unmerges: 0, conflicts: 0 };
      fc.assert(
        fc.property(policy, fc.array(step, { minLength: 5, maxLength: 30 }), (p, steps) => {
          const merge: MergePolicy = {
            ...defaultPolicy('ES'),
            autoMergeMode: p.mode,
            minStitchAssurance: p.min,
            rules: [
              { type: 'LOGIN', customType: '', maxPerProfile: p.loginLimit, priority: 100, blockedValues: [] },
              { type: 'PHONE', customType: '', maxPerProfile: 0, priority: 50, blockedValues: p.blockSwitchboard ? ['+34912345678'] : [] },
            ],
          };
          const t = tenant(merge);
          for (const s of steps) {
            t.ctx.advance(MINUTE);
            if (s.kind === 'resolve') {
              const before = new Map(t.model.profiles);
              const r = t.resolve(...s.ids.map(([i, level]) => [...pool[i]!, level] as [IdentifierType, string, Assurance]));
              seen.merges += r.merges.length;
              seen.conflicts += r.conflicts.length;
              for (const m of r.merges) {
                const survivorBefore = before.get(m.survivorId);
                // Profiles created earlier in the same call have no "before": they hold no verified LOGIN of another profile.
                if (survivorBefore) expect(holdsVerifiedLogin(survivorBefore) && holdsVerifiedLogin(m.mergedSnapshot)).toBe(false);
              }
              if (r.profile) {
                // Everything not reported as blocked or in conflict is on the returned profile.
                for (const o of r.outcomes) if (o.resolution !== 'BLOCKED' && o.resolution !== 'CONFLICT') expect(o.profileId).toBe(r.profile.id);
              }
            } else {
              const open = [...t.model.merges.values()].filter((m) => !m.unmergeTime);
              const record = open[s.n % Math.max(1, open.length)];
              if (!record) continue;
              const survivor = t.model.profiles.get(record.survivorId)!;
              if (!isActive(survivor)) continue;
              t.model.apply(planUnmerge(record, survivor, t.model.profiles.get(record.mergedId)!, segments, t.ctx).changes);
              seen.unmerges += 1;
              expect(t.model.violations()).toEqual([]);
            }
            for (const profile of t.model.profiles.values()) {
              if (isActive(profile)) expect(firstOverLimit([], profile.identifiers, t.policy)).toBeUndefined();
            }
          }
        }),
        { numRuns: 400 },
      );
      // The generator must reach the interesting paths, or the property proves little.
      expect(seen.merges).toBeGreaterThan(60);
      expect(seen.unmerges).toBeGreaterThan(20);
      expect(seen.conflicts).toBeGreaterThan(200);
      expect(fastPathHits).toBeGreaterThan(100);
    });
  });
});
