import { Query } from 'mingo';
import { InvalidPageTokenError } from '../errors';
import { decodePageToken, encodePageToken, keysetFilter, projectionForPaging, tokenBinding, totalSort } from './paging';

describe('keyset pagination helpers', () => {
  it('appends _id to make the order total', () => {
    expect(totalSort({ score: -1 })).toEqual([
      ['score', -1],
      ['_id', 1],
    ]);
    expect(totalSort({ _id: -1, a: 1 })).toEqual([
      ['_id', -1],
      ['a', 1],
    ]);
  });

  it('round-trips typed positions through the token and refuses other bindings', () => {
    const sort = totalSort({ at: 1, n: -1, s: 1, b: 1 });
    const binding = tokenBinding('c', 't', { x: 1 }, sort);
    const at = new Date('2024-01-02T03:04:05.678Z');
    const token = encodePageToken(binding, sort, { _id: 'id-1', at, n: 2.5, s: 'str', b: true });
    expect(decodePageToken(token, binding, sort.length)).toEqual([at, 2.5, 'str', true, 'id-1']);
    expect(() => decodePageToken(token, tokenBinding('c', 't', { x: 2 }, sort), sort.length)).toThrow(InvalidPageTokenError);
    expect(() => decodePageToken(token, tokenBinding('c', 'u', { x: 1 }, sort), sort.length)).toThrow(InvalidPageTokenError);
  });

  it('binds to the filter whatever its key order, but not to its values', () => {
    const sort = totalSort({});
    expect(tokenBinding('c', 't', { a: 1, b: 2 }, sort)).toBe(tokenBinding('c', 't', { b: 2, a: 1 }, sort));
    expect(tokenBinding('c', 't', { a: new Date(0) }, sort)).not.toBe(tokenBinding('c', 't', { a: '1970-01-01T00:00:00.000Z' }, sort));
  });

  it('refuses a position that smuggles an operator', () => {
    const sort = totalSort({ a: 1 });
    const binding = tokenBinding('c', 't', {}, sort);
    const forged = Buffer.from(JSON.stringify({ v: 1, h: binding, k: [{ $gt: '' }, { s: 'x' }] })).toString('base64url');
    expect(() => decodePageToken(forged, binding, sort.length)).toThrow(InvalidPageTokenError);
  });

  it('selects exactly what follows the position, nulls first ascending and last descending', () => {
    const docs = [
      { _id: 'a', v: null },
      { _id: 'b' },
      { _id: 'c', v: 1 },
      { _id: 'd', v: 1 },
      { _id: 'e', v: 2 },
    ];
    const after = (sort: Record<string, 1 | -1>, position: unknown[]) =>
      docs.filter((d) => new Query(keysetFilter(totalSort(sort), position), {}).test(d)).map((d) => d._id);
    expect(after({ v: 1 }, [null, 'a'])).toEqual(['b', 'c', 'd', 'e']);
    expect(after({ v: 1 }, [1, 'c'])).toEqual(['d', 'e']);
    expect(after({ v: -1 }, [1, 'c'])).toEqual(['a', 'b', 'd']);
    expect(after({ v: -1 }, [null, 'a'])).toEqual(['b']);
  });

  it('adds the sort fields to a projection and says what to strip', () => {
    expect(projectionForPaging({ name: 1, _id: 0 }, totalSort({ score: 1 }))).toEqual({ projection: { name: 1, score: 1 }, strip: ['score', '_id'] });
    expect(projectionForPaging({ secret: 0, score: 0 }, totalSort({ score: 1 }))).toEqual({ projection: { secret: 0 }, strip: ['score'] });
    expect(projectionForPaging({ traits: 1 }, totalSort({ 'traits.ltv': 1 }))).toEqual({ projection: { traits: 1 }, strip: [] });
    expect(projectionForPaging(undefined, totalSort({ a: 1 }))).toEqual({ projection: undefined, strip: [] });
  });
});
