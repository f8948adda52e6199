import fc from 'fast-check';
import { Query } from 'mingo';
import type { Filter } from '../types';
import { compileFilter } from './matcher';

// The direct matcher (equality, $eq, $in of scalars, top-level $exists) must answer exactly as the
// general one (mingo, MongoDB's semantics) on every document.
const scalar = fc.oneof(fc.constantFrom('a', 'b', 'c', '1'), fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.constant(Number.NaN), fc.constant(-0));
const value = fc.oneof(scalar, fc.constant(null), fc.array(scalar, { maxLength: 3 }), fc.record({ k: scalar }, { requiredKeys: [], noNullPrototype: true }), fc.array(fc.record({ k: scalar }, { requiredKeys: [], noNullPrototype: true }), { maxLength: 3 }));
const doc = fc.dictionary(fc.constantFrom('x', 'y', 'z'), value, { maxKeys: 3, noNullPrototype: true });
const condition = fc.oneof(
  scalar,
  scalar.map((v) => ({ $eq: v })),
  fc.array(scalar, { maxLength: 4 }).map((vs) => ({ $in: vs })),
  fc.boolean().map((b) => ({ $exists: b })),
);
const filter = fc.dictionary(fc.constantFrom('x', 'y', 'x.k', 'y.k'), condition, { minKeys: 1, maxKeys: 3, noNullPrototype: true });

describe('compileFilter: the direct matcher', () => {
  it('matches exactly the documents mingo matches', () => {
    fc.assert(
      fc.property(filter, fc.array(doc, { minLength: 1, maxLength: 8 }), (f, docs) => {
        const direct = compileFilter(f as Filter);
        const general = new Query(f, { scriptEnabled: false });
        for (const d of docs) expect(direct(d)).toBe(general.test(d));
      }),
      { numRuns: 3_000, seed: 20261122 },
    );
  });

  it('answers the cases that matter by hand', () => {
    const m = compileFilter({ profileId: { $in: ['p1', 'p2'] }, key: 'order' } as Filter);
    expect(m({ profileId: 'p2', key: 'order' })).toBe(true);
    expect(m({ profileId: 'p3', key: 'order' })).toBe(false);
    expect(m({ profileId: ['p9', 'p1'], key: 'order' })).toBe(true);
    expect(m({ profileId: 'p1' })).toBe(false);
    const missing = compileFilter({ summaryVersion: { $exists: false } } as Filter);
    expect(missing({})).toBe(true);
    expect(missing({ summaryVersion: null })).toBe(false);
    expect(compileFilter({ n: { $in: [1] } } as Filter)({ n: '1' })).toBe(false);
  });
});
