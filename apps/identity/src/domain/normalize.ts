import { isSupportedCountry, parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max';
import { IdentifierFormatError } from './errors';
import type { IdentifierType, NormalizedIdentifier } from './types';

/** Longest raw value accepted, in characters (before normalization). */
export const MAX_IDENTIFIER_LENGTH = 256;
const CUSTOM_TYPE = /^[a-z][a-z0-9_]{0,39}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;
const SOCIAL = /^([a-z0-9_-]{1,32}):(.+)$/;

/** Settings of the tenant that change how values normalize. */
export interface NormalizeOptions {
  /** ISO 3166-1 alpha-2 region for phone numbers without a country code; '' for none. */
  readonly defaultRegion: string;
}

/** Whether `region` is a region libphonenumber knows (for policy validation). */
export function isKnownRegion(region: string): boolean {
  return region === '' || isSupportedCountry(region);
}

/** The match key of an identifier: unique within a tenant. */
export function identifierKey(type: IdentifierType, customType: string, value: string): string {
  return type === 'CUSTOM' ? `CUSTOM/${customType}:${value}` : `${type}:${value}`;
}

/** The parts of a match key (the inverse of `identifierKey`). */
export function parseIdentifierKey(key: string): NormalizedIdentifier {
  const colon = key.indexOf(':');
  const head = key.slice(0, colon);
  const value = key.slice(colon + 1);
  if (head.startsWith('CUSTOM/')) return { type: 'CUSTOM', customType: head.slice('CUSTOM/'.length), value, key };
  return { type: head as IdentifierType, customType: '', value, key };
}

/**
 * Normalizes one identifier so that the same customer detail always gives the same stored value
 * and match key. Idempotent: a normalized value normalizes to itself. Throws
 * IdentifierFormatError (message without the value) when it cannot be parsed.
 */
export function normalizeIdentifier(
  type: IdentifierType,
  customType: string,
  rawValue: string,
  options: NormalizeOptions,
): NormalizedIdentifier {
  if (type === 'CUSTOM') {
    if (!CUSTOM_TYPE.test(customType)) throw new IdentifierFormatError('custom_type must be lower_snake, 1-40 characters');
  } else if (customType !== '') {
    throw new IdentifierFormatError('custom_type is only allowed for CUSTOM identifiers');
  }
  if (rawValue.length > MAX_IDENTIFIER_LENGTH) throw new IdentifierFormatError(`must be at most ${MAX_IDENTIFIER_LENGTH} characters`);
  const value = normalizeValue(type, rawValue, options);
  return { type, customType: type === 'CUSTOM' ? customType : '', value, key: identifierKey(type, customType, value) };
}

function normalizeValue(type: IdentifierType, raw: string, options: NormalizeOptions): string {
  const text = raw.trim().normalize('NFC').trim();
  if (text === '') throw new IdentifierFormatError('is required');
  if (hasControlCharacter(text)) throw new IdentifierFormatError('must not contain control characters');
  switch (type) {
    case 'PHONE':
      return normalizePhone(text, options.defaultRegion);
    case 'EMAIL':
      return normalizeEmail(text);
    case 'SOCIAL':
      return normalizeSocial(text);
    default:
      return text;
  }
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function normalizePhone(text: string, defaultRegion: string): string {
  const number = text.replace(/^tel:/i, '');
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(
      number,
      defaultRegion !== '' && isSupportedCountry(defaultRegion) ? { defaultCountry: defaultRegion as CountryCode } : {},
    );
  } catch {
    // The library's messages (TOO_SHORT, INVALID_COUNTRY) are codes; ours names the fix.
    throw new IdentifierFormatError(
      defaultRegion === '' ? 'must be a phone number in international format (+...)' : 'must be a phone number',
    );
  }
  if (!parsed.isValid()) throw new IdentifierFormatError('must be a valid phone number');
  return parsed.number;
}

function normalizeEmail(text: string): string {
  const email = text.toLowerCase().normalize('NFC');
  if (email.length > 254 || !EMAIL.test(email)) throw new IdentifierFormatError('must be an email address');
  return email;
}

function normalizeSocial(text: string): string {
  const colon = text.indexOf(':');
  const network = colon < 0 ? '' : text.slice(0, colon).trim().toLowerCase();
  const handle = colon < 0 ? '' : text.slice(colon + 1).trim().replace(/^@+/, '').trim();
  const value = `${network}:${handle}`;
  if (!SOCIAL.test(value) || handle === '' || /\s/.test(handle)) {
    throw new IdentifierFormatError('must be network:handle');
  }
  return value;
}
