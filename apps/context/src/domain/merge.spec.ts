import { mergedFamily, planMerge, planUnmerge, survivorOf } from './merge';

describe('merge bookkeeping', () => {
  it('a merge moves everything under the merged profile to the survivor', () => {
    expect(planMerge(new Map(), 'cookie', 'maria')).toEqual({ fromProfileId: 'cookie', originProfileIds: ['cookie'], toProfileId: 'maria' });
  });

  it('chained merges: undoing B-into-C brings back what originated in B and in A (merged into B before)', () => {
    const edges = new Map([
      ['A', 'B'],
      ['B', 'C'],
    ]);
    expect(survivorOf(edges, 'A')).toBe('C');
    expect([...mergedFamily(edges, 'C')].sort()).toEqual(['A', 'B', 'C']);
    expect(planUnmerge(edges, 'B', 'C')).toEqual({ fromProfileId: 'C', originProfileIds: ['A', 'B'], toProfileId: 'B' });
  });

  it('unmerging A from B after B went into C takes A\'s records from C', () => {
    const edges = new Map([
      ['A', 'B'],
      ['B', 'C'],
    ]);
    expect(planUnmerge(edges, 'A', 'B')).toEqual({ fromProfileId: 'C', originProfileIds: ['A'], toProfileId: 'A' });
  });

  it('survives a cycle in bad data without looping', () => {
    expect(survivorOf(new Map([['x', 'y'], ['y', 'x']]), 'x')).toMatch(/x|y/);
  });
});
