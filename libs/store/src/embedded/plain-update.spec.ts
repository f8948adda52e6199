import fc from 'fast-check';
import { update as mingoUpdate } from 'mingo';
import { canonical, cloneValue, type Doc } from '../internal/values';
import { applyPlainUpdate, preparePlainUpdate, sameValue } from './plain-update';

/** What the general path (mingo on a deep copy) does with the same update. */
function general(prev: Doc, modifier: Record<string, unknown>): { next: Doc; changed: boolean } {
  const next = cloneValue(prev);
  const changed = mingoUpdate(next, modifier as Parameters<typeof mingoUpdate>[1], undefined, undefined, { cloneMode: 'deep' });
  return { next, changed: changed.length > 0 };
}

const key = fc.constantFrom('a', 'b', 'c', 'd');
const leaf = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('x', 'y', null, true), fc.constant(new Date(0)), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }));
const value: fc.Arbitrary<unknown> = fc.oneof(leaf, fc.dictionary(key, leaf, { maxKeys: 3 }));
const doc: fc.Arbitrary<Doc> = fc.record({ _id: fc.constant('d1'), tenantId: fc.constant('t1') }).chain((base) =>
  fc.dictionary(key, fc.oneof(value, fc.dictionary(key, value, { maxKeys: 3 })), { maxKeys: 4 }).map((rest) => ({ ...base, ...rest })),
);
const path = fc.array(key, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
const modifier = fc.record(
  {
    $set: fc.dictionary(path, value, { minKeys: 1, maxKeys: 2 }),
    $unset: fc.dictionary(path, fc.constant(''), { minKeys: 1, maxKeys: 2 }),
    $inc: fc.dictionary(path, fc.integer({ min: -3, max: 3 }), { minKeys: 1, maxKeys: 2 }),
  },
  { requiredKeys: [] },
);

describe('plain updates (copy-on-write $set / $unset / $inc)', () => {
  it('gives the same document and the same "changed" answer as the general path, and leaves the stored version untouched', () => {
    let applied = 0;
    fc.assert(
      fc.property(doc, modifier, (prev, mod) => {
        if (Object.keys(mod).length === 0) return;
        const ops = preparePlainUpdate(mod);
        if (ops === null) return; // conflicting paths: the general path decides
        const before = canonical(prev, false);
        const plain = applyPlainUpdate(prev, ops);
        expect(canonical(prev, false)).toBe(before);
        if (plain === null) return; // a path through a non-object: the general path decides
        // $inc on a non-number is refused before either path runs (checkArithmetic).
        const incOnNonNumber = Object.keys(mod.$inc ?? {}).some((p) => {
          const v = p.split('.').reduce<unknown>((n, k) => (n !== null && typeof n === 'object' ? (n as Record<string, unknown>)[k] : undefined), prev);
          return v !== undefined && typeof v !== 'number';
        });
        if (incOnNonNumber) return;
        applied++;
        const expected = general(prev, mod);
        expect(plain.changed.length > 0).toBe(expected.changed);
        expect(canonical(plain.next, false)).toBe(canonical(expected.next, false));
      }),
      { numRuns: 3_000, seed: 20261122 },
    );
    // The property must have exercised the fast path, not only its refusals.
    expect(applied).toBeGreaterThan(500);
  });

  it('copies only the objects along the written path', () => {
    const prev: Doc = { _id: '1', tenantId: 't', a: { b: 1, c: { d: 2 } }, e: { f: [1, 2] } };
    const result = applyPlainUpdate(prev, preparePlainUpdate({ $set: { 'a.b': 5 } }) ?? []);
    expect(result?.next).toEqual({ _id: '1', tenantId: 't', a: { b: 5, c: { d: 2 } }, e: { f: [1, 2] } });
    expect(result?.next).not.toBe(prev);
    expect(result?.next['a']).not.toBe(prev['a']);
    expect((result?.next['a'] as Doc)['c']).toBe((prev['a'] as Doc)['c']);
    expect(result?.next['e']).toBe(prev['e']);
    expect(prev).toEqual({ _id: '1', tenantId: 't', a: { b: 1, c: { d: 2 } }, e: { f: [1, 2] } });
  });

  it('reports no change for an equal value, whatever the key order of an embedded object', () => {
    const prev: Doc = { _id: '1', tenantId: 't', a: { x: 1, y: 2 }, n: 3 };
    expect(applyPlainUpdate(prev, preparePlainUpdate({ $set: { a: { y: 2, x: 1 } }, $inc: { n: 0 } }) ?? [])).toEqual({ next: prev, changed: [] });
    expect(applyPlainUpdate(prev, preparePlainUpdate({ $unset: { missing: '' } }) ?? [])).toEqual({ next: prev, changed: [] });
  });

  it('leaves positional paths, array elements, other operators and conflicting paths to the general path', () => {
    expect(preparePlainUpdate({ $set: { 'items.$.qty': 1 } })).toBeNull();
    expect(preparePlainUpdate({ $set: { 'items.0.qty': 1 } })).toBeNull();
    expect(preparePlainUpdate({ $push: { items: 1 } })).toBeNull();
    expect(preparePlainUpdate({ $set: { a: 1, 'a.b': 2 } })).toBeNull();
    expect(preparePlainUpdate({ $set: { a: 1 }, $unset: { a: '' } })).toBeNull();
    expect(preparePlainUpdate({ $set: { a: 1, 'a-x': 2, 'a.b': 3 } })).toBeNull();
    expect(preparePlainUpdate({ $set: { 'a.b.c': 1 }, $inc: { 'a.b': 1 } })).toBeNull();
    expect(preparePlainUpdate({ $set: { a: 1, ab: 2, 'b.a': 3 } })).not.toBeNull();
    expect(preparePlainUpdate({ $set: { '': 1 } })).toBeNull();
    expect(preparePlainUpdate({ $set: { 'a..b': 1 } })).toBeNull();
    expect(preparePlainUpdate({ $set: { 'a.': 1 } })).toBeNull();
    expect(preparePlainUpdate({ $set: { a1: 1, 'b.c2': 1 } })?.map((o) => o.parts)).toEqual([['a1'], ['b', 'c2']]);
  });

  it('answers null for a path through an array or a scalar, before changing anything', () => {
    const prev: Doc = { _id: '1', tenantId: 't', list: [{ q: 1 }], s: 'text' };
    expect(applyPlainUpdate(prev, preparePlainUpdate({ $set: { ok: 1, 'list.q': 2 } }) ?? [])).toBeNull();
    expect(applyPlainUpdate(prev, preparePlainUpdate({ $set: { 's.x': 1 } }) ?? [])).toBeNull();
    expect(prev).toEqual({ _id: '1', tenantId: 't', list: [{ q: 1 }], s: 'text' });
  });

  it('compares values like the general path', () => {
    expect(sameValue(new Date(5), new Date(5))).toBe(true);
    expect(sameValue(new Date(5), 5)).toBe(false);
    expect(sameValue([1, { a: 2 }], [1, { a: 2 }])).toBe(true);
    expect(sameValue([1, 2], [2, 1])).toBe(false);
    expect(sameValue({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameValue(/x/i, /x/i)).toBe(true);
    expect(sameValue(null, undefined)).toBe(false);
  });
});
