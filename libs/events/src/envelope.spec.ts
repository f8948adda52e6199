import { testingV1 } from '@continuum/contracts';
import type { BinaryWriter } from '@bufbuild/protobuf/wire';
import { createEnvelope, decodeEnvelope, decodePayload, encodeEnvelope, encodeEnvelopes, packPayload, splitEnvelopes } from './envelope';
import { testEventType, TestPayload } from './test-support.test-util';
import type { PayloadCodec } from './types';

// Envelopes and payloads are encoded with writers reused across calls: each result must be its
// own bytes, and a failed encode must not leave anything behind for the next one.
describe('envelope encoding with reused writers', () => {
  const type = testEventType('envtest');
  /** An event type of the test domain whose payload codec encodes with `encode`. */
  const withEncoder = (name: string, encode: PayloadCodec<TestPayload>['encode']) => testEventType('envtest', name, { ...TestPayload, encode });

  it('gives every encode its own bytes: a later encode does not change an earlier result', () => {
    const long = createEnvelope(type, { tenantId: 'acme', subjectProfileId: 'p-1', payload: { message: 'x'.repeat(5000) } }, { producer: 'test' });
    const short = createEnvelope(type, { tenantId: 'globex', payload: { message: 'short' } }, { producer: 'test' });
    const first = encodeEnvelope(long);
    const copy = Buffer.from(first);
    const second = encodeEnvelope(short);
    expect(Buffer.from(first).equals(copy)).toBe(true);
    expect(decodePayload(type, decodeEnvelope(first)).message).toBe('x'.repeat(5000));
    expect(decodeEnvelope(second)).toMatchObject({ tenantId: 'globex', eventId: short.eventId });
    expect(decodePayload(type, decodeEnvelope(second)).message).toBe('short');
    // The payload bytes of the first envelope were not overwritten by the second payload either.
    expect(TestPayload.decode(long.payload?.value ?? new Uint8Array()).message).toBe('x'.repeat(5000));
  });

  it('encodes correctly after an encode that failed half way', () => {
    const brittle = withEncoder('brittle_happened', (message, writer) => {
      // Leaves a field and an open fork in the writer, then fails.
      testingV1.EchoStreamRequest.encode(message, writer).uint32(18).fork();
      throw new Error('encoder failed');
    });
    expect(() => createEnvelope(brittle, { tenantId: 'acme', payload: { message: 'first' } }, { producer: 'test' })).toThrow('encoder failed');
    const after = createEnvelope(type, { tenantId: 'acme', payload: { message: 'after' } }, { producer: 'test' });
    // Byte for byte what a fresh writer gives (leftovers could still decode: the last field wins).
    const fresh = testingV1.EchoStreamRequest.encode({ message: 'after' }).finish();
    expect(Buffer.from(after.payload?.value ?? new Uint8Array()).equals(Buffer.from(fresh))).toBe(true);
    expect(decodePayload(type, decodeEnvelope(encodeEnvelope(after))).message).toBe('after');
  });

  it('encodes a payload whose codec packs another payload while it writes (a nested encode)', () => {
    const nesting = withEncoder('nesting_happened', (message, writer) => {
      const out = testingV1.EchoStreamRequest.encode(message, writer);
      // Half way through its own message, the codec packs an inner payload (field 2, unknown to the decoder).
      const inner = packPayload(type, { message: 'inner' });
      expect(Buffer.from(inner.value).equals(Buffer.from(testingV1.EchoStreamRequest.encode({ message: 'inner' }).finish()))).toBe(true);
      return out.uint32(18).bytes(inner.value);
    });
    const outer = createEnvelope(nesting, { tenantId: 'acme', payload: { message: 'outer' } }, { producer: 'test' });
    expect(testingV1.EchoStreamRequest.decode(outer.payload?.value ?? new Uint8Array()).message).toBe('outer');
  });

  it('does not keep a writer that grew past 1 MB for later encodes', () => {
    const given: BinaryWriter[] = [];
    const recording = withEncoder('recorded', (message, writer) => {
      if (writer) given.push(writer);
      return testingV1.EchoStreamRequest.encode(message, writer);
    });
    createEnvelope(recording, { tenantId: 'acme', payload: { message: 'x'.repeat(2_000_000) } }, { producer: 'test' });
    createEnvelope(recording, { tenantId: 'acme', payload: { message: 'small' } }, { producer: 'test' });
    expect(given).toHaveLength(2);
    // The writer that holds a buffer of 2 MB or more is dropped, not reused.
    expect(given[1]).not.toBe(given[0]);
  });

  it('keeps several envelopes in one byte string and gives each back byte for byte', () => {
    const many = ['a', 'b'.repeat(300), ''].map((message, i) => createEnvelope(type, { tenantId: 'acme', subjectProfileId: `p-${i}`, payload: { message } }, { producer: 'test' }));
    const parts = splitEnvelopes(encodeEnvelopes(many));
    expect(parts).toHaveLength(3);
    parts.forEach((part, i) => {
      expect(Buffer.from(part).equals(Buffer.from(encodeEnvelope(many[i] as (typeof many)[number])))).toBe(true);
      expect(decodeEnvelope(part).subjectProfileId).toBe(`p-${i}`);
    });
    expect(splitEnvelopes(encodeEnvelopes([]))).toEqual([]);
  });
});
