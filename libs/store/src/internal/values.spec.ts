import { canonical, cloneValue, compareValues, pathValues } from './values';

describe('value helpers', () => {
  it('deep-copies documents, dropping undefined properties', () => {
    const at = new Date(5);
    const src = { a: [1, { b: at }], c: { d: 'x', e: undefined }, f: new Uint8Array([1, 2]) };
    const copy = cloneValue(src);
    expect(copy).toEqual({ a: [1, { b: at }], c: { d: 'x' }, f: new Uint8Array([1, 2]) });
    expect(copy.a).not.toBe(src.a);
    expect((copy.a[1] as { b: Date }).b).not.toBe(at);
    expect(copy.f).not.toBe(src.f);
    expect(Object.keys(copy.c)).toEqual(['d']);
  });

  it('copies the bytes of a Buffer (whose own slice() would share them)', () => {
    const src = { data: Buffer.from([1, 2, 3]) };
    const copy = cloneValue(src);
    src.data[0] = 9;
    expect([...copy.data]).toEqual([1, 2, 3]);
  });

  it('orders values across types as MongoDB does', () => {
    const ordered = [null, -1, 2.5, 'a', 'b', { x: 1 }, [1], true, new Date(0)];
    const shuffled = [...ordered].reverse();
    expect(shuffled.sort(compareValues)).toEqual(ordered);
  });

  it('follows paths through arrays', () => {
    const doc = { ids: [{ k: 'a' }, { k: ['b', 'c'] }, { x: 1 }], n: { m: 2 } };
    expect(pathValues(doc, 'ids.k')).toEqual(['a', 'b', 'c']);
    expect(pathValues(doc, 'ids.1.k')).toEqual(['b', 'c']);
    expect(pathValues(doc, 'n.m')).toEqual([2]);
    expect(pathValues(doc, 'n.zz')).toEqual([]);
  });

  it('serializes canonically, with types', () => {
    expect(canonical({ b: 1, a: 'x' })).toBe(canonical({ a: 'x', b: 1 }));
    expect(canonical({ b: 1, a: 'x' }, false)).not.toBe(canonical({ a: 'x', b: 1 }, false));
    expect(canonical(1)).not.toBe(canonical('1'));
    expect(canonical(() => 1)).toBeUndefined();
  });
});
