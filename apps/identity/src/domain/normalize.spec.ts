import fc from 'fast-check';
import { getCountries, getExampleNumber, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { IdentifierFormatError } from './errors';
import { normalizeIdentifier } from './normalize';
import { IDENTIFIER_TYPES, type IdentifierType } from './types';

const ES = { defaultRegion: 'ES' };
const NONE = { defaultRegion: '' };

describe('normalizeIdentifier', () => {
  it.each([
    ['PHONE', '+34 612 345 678', '+34612345678', ES],
    ['PHONE', '612 345 678', '+34612345678', ES],
    ['PHONE', '(612) 34-56-78', '+34612345678', ES],
    ['PHONE', 'tel:+34612345678', '+34612345678', NONE],
    ['PHONE', '+44 7911 123456', '+447911123456', ES],
    ['EMAIL', '  Maria.Lopez@Example.COM ', 'maria.lopez@example.com', ES],
    ['LOGIN', '  maria.lopez\t', 'maria.lopez', ES],
    ['COOKIE', 'c-81f', 'c-81f', ES],
    ['SOCIAL', ' Twitter:@@MariaL ', 'twitter:MariaL', ES],
  ] as const)('%s %j -> %s', (type, raw, expected, options) => {
    expect(normalizeIdentifier(type, '', raw, options).value).toBe(expected);
  });

  it('builds keys that separate types and custom types', () => {
    expect(normalizeIdentifier('LOGIN', '', 'x', ES).key).toBe('LOGIN:x');
    expect(normalizeIdentifier('CUSTOM', 'loyalty_card', 'x', ES).key).toBe('CUSTOM/loyalty_card:x');
    expect(normalizeIdentifier('CUSTOM', 'member_no', 'x', ES).key).not.toBe(normalizeIdentifier('CUSTOM', 'loyalty_card', 'x', ES).key);
  });

  it.each([
    ['PHONE', '', '612 345 678', NONE, /international/],
    ['PHONE', '', 'not a number', ES, /phone/],
    ['PHONE', '', '+34 1', ES, /phone/],
    ['PHONE', '', '+44 7700 900123', ES, /valid phone/], // reserved for drama: parses but is not a real number
    ['EMAIL', '', 'maria@', ES, /email/],
    ['EMAIL', '', 'maria example.com', ES, /email/],
    ['EMAIL', '', 'maria@localhost', ES, /email/],
    ['LOGIN', '', '   ', ES, /required/],
    ['LOGIN', '', 'a\u0000b', ES, /control/],
    ['LOGIN', '', `${'x'.repeat(257)}`, ES, /at most 256/],
    ['SOCIAL', '', 'mariaL', ES, /network:handle/],
    ['SOCIAL', '', 'twitter:@', ES, /network:handle/],
    ['CUSTOM', 'Bad-Type', 'x', ES, /custom_type/],
    ['LOGIN', 'loyalty', 'x', ES, /only allowed for CUSTOM/],
  ] as const)('%s (custom type %j) %j is refused', (type, customType, raw, options, message) => {
    const attempt = () => normalizeIdentifier(type, customType, raw, options);
    expect(attempt).toThrow(IdentifierFormatError);
    expect(attempt).toThrow(message);
  });

  it('never echoes the value in its error message (the message reaches clients and logs)', () => {
    try {
      normalizeIdentifier('EMAIL', '', 'secret-person@', ES);
      throw new Error('expected a failure');
    } catch (e) {
      expect((e as Error).message).not.toContain('secret-person');
    }
  });

  describe('properties', () => {
    const countries = getCountries();

    it('a mobile number of any region, written any usual way, normalizes to its E.164 form', () => {
      fc.assert(
        fc.property(fc.constantFrom(...countries), fc.constantFrom('national', 'international', 'e164', 'dashed'), (country, style) => {
          const number = getExampleNumber(country as CountryCode, examples)!;
          const written =
            style === 'national'
              ? number.formatNational()
              : style === 'international'
                ? number.formatInternational()
                : style === 'e164'
                  ? number.number
                  : number.formatInternational().replace(/ /g, '-');
          expect(normalizeIdentifier('PHONE', '', ` ${written} `, { defaultRegion: country }).value).toBe(number.number);
        }),
      );
    });

    it('is idempotent for every type: a normalized value normalizes to itself', () => {
      const country = fc.constantFrom(...countries);
      const phone = country.map((c) => ({ raw: getExampleNumber(c as CountryCode, examples)!.formatNational(), region: c as string }));
      const anyType = fc.constantFrom<IdentifierType>(...IDENTIFIER_TYPES);
      fc.assert(
        fc.property(anyType, fc.string({ unit: 'grapheme', maxLength: 40 }), phone, (type, text, ph) => {
          const customType = type === 'CUSTOM' ? 'loyalty_card' : '';
          const raw = type === 'PHONE' ? ph.raw : type === 'EMAIL' ? ` ${text.replace(/[\s@]/g, '') || 'x'}@Example.org ` : type === 'SOCIAL' ? ` Net:@${text}` : ` ${text} `;
          let once;
          try {
            once = normalizeIdentifier(type, customType, raw, { defaultRegion: ph.region });
          } catch (e) {
            expect(e).toBeInstanceOf(IdentifierFormatError);
            return;
          }
          const twice = normalizeIdentifier(type, customType, once.value, { defaultRegion: ph.region });
          expect(twice).toEqual(once);
          // E.164 does not depend on the region it was parsed with.
          if (type === 'PHONE') expect(normalizeIdentifier('PHONE', '', once.value, NONE).value).toBe(once.value);
        }),
        { numRuns: 500 },
      );
    });

    it('emails that differ only in case and surrounding space share one key', () => {
      fc.assert(
        fc.property(fc.stringMatching(/^[a-z0-9._]{1,20}$/), fc.stringMatching(/^[a-z]{1,10}$/), fc.boolean(), (local, domain, upper) => {
          const email = `${local}@${domain}.com`;
          const variant = `  ${upper ? email.toUpperCase() : email}\t`;
          expect(normalizeIdentifier('EMAIL', '', variant, ES).key).toBe(normalizeIdentifier('EMAIL', '', email, ES).key);
        }),
      );
    });
  });
});
