import { InvalidOperationError } from '../errors';
import { isPlainObject, type Doc } from '../internal/values';

/**
 * The compact form of a stored document: JSON text, with the values JSON cannot carry as tagged
 * objects (`{"$d":ms}`, `{"$n":"NaN"}`, `{"$b":"base64"}`, `{"$r":["src","flags"]}`).
 * A flat one-byte string takes about half the memory of the same document as JS objects (a Date
 * alone is 96 bytes on the heap), and decoding it makes the fresh copy every read needs anyway.
 * Field names starting with `$` are refused, so a tag is never ambiguous.
 */
export function encodeDocument(doc: Doc): string {
  const text = encodeValue(doc);
  // Concatenation builds a rope of many small string pieces; converting it to a number makes V8
  // flatten it into one sequential string (measured: same memory as Array.join, twice as fast),
  // so the pieces become garbage. The number itself is not used.
  void Number(text);
  return text;
}

function encodeValue(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : `{"$n":"${String(v)}"}`;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'bigint':
      return String(v);
    case 'object':
      break;
    default:
      throw new InvalidOperationError(`a document cannot hold a ${typeof v}`);
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out += ',';
      out += encodeValue(v[i]);
    }
    return `${out}]`;
  }
  if (v instanceof Date) return `{"$d":${String(v.getTime())}}`;
  if (isPlainObject(v)) {
    let out = '{';
    let first = true;
    for (const key of Object.keys(v)) {
      const value = v[key];
      if (value === undefined) continue;
      if (key.charCodeAt(0) === 36 /* $ */) throw new InvalidOperationError('document field names must not start with $');
      if (!first) out += ',';
      first = false;
      out += JSON.stringify(key);
      out += ':';
      out += encodeValue(value);
    }
    return `${out}}`;
  }
  if (v instanceof Uint8Array) return `{"$b":"${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}"}`;
  if (v instanceof RegExp) return `{"$r":${JSON.stringify([v.source, v.flags])}}`;
  throw new InvalidOperationError('a document can hold plain objects, arrays, strings, numbers, booleans, null, dates, byte arrays and regular expressions only');
}

function revive(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const el: unknown = v[i];
      if (typeof el === 'object' && el !== null) v[i] = revive(el);
    }
    return v;
  }
  const o = v as Record<string, unknown>;
  for (const key in o) {
    const value = o[key];
    if (typeof value === 'object' && value !== null) o[key] = revive(value);
    if (key.charCodeAt(0) === 36 /* $ */) return tagged(key, value);
  }
  return o;
}

function tagged(key: string, value: unknown): unknown {
  switch (key) {
    case '$d':
      return new Date(value as number);
    case '$n':
      return Number(value);
    case '$b':
      return new Uint8Array(Buffer.from(value as string, 'base64'));
    case '$r': {
      const [source, flags] = value as [string, string];
      return new RegExp(source, flags);
    }
    default:
      return { [key]: value };
  }
}

/** Decodes a compact document into fresh objects that the caller owns. */
export function decodeDocument(text: string): Doc {
  const parsed = JSON.parse(text) as Doc;
  // Only documents with a tagged value need the walk.
  return text.includes('{"$') ? (revive(parsed) as Doc) : parsed;
}
