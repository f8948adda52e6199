import { InvalidOperationError } from '../errors';
import { decodeDocument, encodeDocument } from './codec';

describe('compact document codec', () => {
  it('round-trips every value a document may hold', () => {
    const doc = {
      _id: 'x',
      s: 'quote " and \\ and ünïcödé 🙂',
      n: [0, -1.5, 1e300, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      b: [true, false],
      nil: null,
      at: new Date('2024-02-29T12:00:00.123Z'),
      nested: { list: [{ at: new Date(0) }, [1, [2]]], empty: {}, none: [] },
      bytes: new Uint8Array([0, 255, 7]),
      re: /^a.b$/gi,
    };
    const back = decodeDocument(encodeDocument(doc));
    expect(back).toEqual(doc);
    expect(back.at).toBeInstanceOf(Date);
    expect((back.nested as { list: Array<{ at: Date }> }).list[0]?.at).toBeInstanceOf(Date);
    expect(back.bytes).toBeInstanceOf(Uint8Array);
  });

  it('drops undefined properties and writes undefined array elements as null', () => {
    expect(decodeDocument(encodeDocument({ a: undefined, b: [undefined, 1] }))).toEqual({ b: [null, 1] });
  });

  it('refuses field names starting with $ (they would read as tags) and values it cannot keep', () => {
    expect(() => encodeDocument({ a: { $d: 1 } })).toThrow(InvalidOperationError);
    expect(() => encodeDocument({ f: () => 1 })).toThrow(InvalidOperationError);
    expect(() => encodeDocument({ m: new Map() })).toThrow(InvalidOperationError);
  });

  it('decodes into fresh objects each time', () => {
    const text = encodeDocument({ a: { b: [1] } });
    const one = decodeDocument(text);
    const two = decodeDocument(text);
    expect(one).toEqual(two);
    expect(one.a).not.toBe(two.a);
  });
});
