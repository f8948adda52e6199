import { Violations } from './violations';

enum Colour {
  COLOUR_UNSPECIFIED = 0,
  COLOUR_RED = 1,
  COLOUR_BLUE = 2,
}
enum Size {
  SIZE_UNSPECIFIED = 0,
  SIZE_SMALL = 1,
  SIZE_LARGE = 7,
}

describe('Violations.requiredEnum', () => {
  it('accepts the known values of each enum and names the field of an unspecified, unknown or negative one', () => {
    const v = new Violations();
    expect(v.requiredEnum('colour', Colour.COLOUR_BLUE, Colour)).toBe(true);
    expect(v.requiredEnum('size', Size.SIZE_LARGE, Size)).toBe(true);
    // 7 is a Size, not a Colour: the values are known per enum.
    expect(v.requiredEnum('colour', 7, Colour)).toBe(false);
    expect(v.requiredEnum('size', 2, Size)).toBe(false);
    expect(v.requiredEnum('colour', 0, Colour)).toBe(false);
    expect(v.requiredEnum('size', -1, Size)).toBe(false);
    expect(v.violations).toEqual([
      { field: 'colour', description: 'unknown value 7', reason: 'UNKNOWN_ENUM_VALUE' },
      { field: 'size', description: 'unknown value 2', reason: 'UNKNOWN_ENUM_VALUE' },
      { field: 'colour', description: 'is required', reason: 'REQUIRED' },
      { field: 'size', description: 'unknown value -1', reason: 'UNKNOWN_ENUM_VALUE' },
    ]);
  });
});
