import { createOutbox } from '@continuum/events';
import { DuplicateKeyError, TransactionConflictError, createEmbeddedStore, type DocumentStore } from '@continuum/store';
import { IdentityApplication } from './application';
import { normalizeIdentifier, type ObservedIdentifier, type ResolveResult } from './domain';
import { ConcurrentChangeError } from './errors';
import { COLLECTIONS } from './store/documents';
import { StaleProfileError } from './store/identity-repository';

/**
 * A store whose transactions lose a race the first `losses` times: the body runs (and writes),
 * then the commit fails the way a concurrent writer makes it fail, and everything rolls back.
 */
function racingStore(inner: DocumentStore, losses: Error[]): DocumentStore & { attempts: number } {
  const wrapper: DocumentStore & { attempts: number } = {
    backend: inner.backend,
    attempts: 0,
    defineCollection: (name, indexes) => inner.defineCollection(name, indexes),
    forTenant: (tenantId) => inner.forTenant(tenantId),
    unscoped: (name) => inner.unscoped(name),
    close: () => inner.close(),
    withTransaction: (body) =>
      inner.withTransaction(async (session) => {
        wrapper.attempts++;
        const result = await body(session);
        const loss = losses.shift();
        if (loss) throw loss;
        return result;
      }),
  };
  return wrapper;
}

const observe = (type: 'EMAIL' | 'COOKIE', value: string): ObservedIdentifier[] => [
  { index: 0, id: normalizeIdentifier(type, '', value, { defaultRegion: 'ES' }), proof: 'NONE' },
];
const present = (r: ResolveResult) => r;

async function app(store: DocumentStore): Promise<IdentityApplication> {
  const application = new IdentityApplication({
    store,
    outbox: createOutbox({ store, producer: 'identity' }),
    defaultPhoneRegion: 'ES',
    lastSeenGranularityMs: 60_000,
    settingsCacheMs: 0,
  });
  await application.start();
  return application;
}

describe('IdentityApplication write path', () => {
  it.each([
    ['a unique identifier taken meanwhile', new DuplicateKeyError(COLLECTIONS.profiles, 'identifier_key_unique', ['identifiers.key'])],
    ['a profile changed meanwhile', new StaleProfileError('prf_x')],
    ['a transaction conflict', new TransactionConflictError('write conflict')],
  ])('reruns the whole decision when it loses a race (%s), and writes once', async (_what, loss) => {
    const inner = createEmbeddedStore();
    const store = racingStore(inner, [loss]);
    const identity = await app(store);
    const result = await identity.resolve('acme', 'tester', observe('EMAIL', 'race@example.com'), { present });
    expect(result.created).toBe(true);
    expect(store.attempts).toBe(2);
    expect(await inner.forTenant('acme').collection(COLLECTIONS.profiles).countDocuments({})).toBe(1);
    expect(await inner.forTenant('acme').collection('outbox').countDocuments({})).toBe(1);
  });

  it('gives up with ConcurrentChangeError when every attempt loses, leaving nothing written', async () => {
    const inner = createEmbeddedStore();
    const store = racingStore(inner, Array.from({ length: 20 }, () => new StaleProfileError('prf_x')));
    const identity = await app(store);
    await expect(identity.resolve('acme', 'tester', observe('COOKIE', 'c-1'), { present })).rejects.toBeInstanceOf(ConcurrentChangeError);
    expect(await inner.forTenant('acme').collection(COLLECTIONS.profiles).countDocuments({})).toBe(0);
  });

  it('does not retry other errors', async () => {
    const inner = createEmbeddedStore();
    const store = racingStore(inner, [new DuplicateKeyError(COLLECTIONS.segments, 'segment_id_unique', ['segmentId'])]);
    const identity = await app(store);
    await expect(identity.resolve('acme', 'tester', observe('COOKIE', 'c-2'), { present })).rejects.toBeInstanceOf(DuplicateKeyError);
    expect(store.attempts).toBe(1);
  });

  it('a twin call with the same request id that commits first wins: the loser answers with its stored answer', async () => {
    const inner = createEmbeddedStore();
    const identity = await app(inner);
    const idem = {
      key: 'Resolve:twin',
      fingerprint: 'same',
      encode: (r: { id: string }) => Buffer.from(r.id),
      decode: (b: Uint8Array) => ({ id: Buffer.from(b).toString() }),
      profileIds: (r: { id: string }) => [r.id],
    };
    const [a, b] = await Promise.all([
      identity.resolve('acme', 'tester', observe('EMAIL', 'twin@example.com'), { present: (r) => ({ id: r.profile?.id ?? '' }), idempotency: idem }),
      identity.resolve('acme', 'tester', observe('EMAIL', 'twin@example.com'), { present: (r) => ({ id: r.profile?.id ?? '' }), idempotency: idem }),
    ]);
    expect(a).toEqual(b);
    expect(await inner.forTenant('acme').collection(COLLECTIONS.requests).countDocuments({})).toBe(1);
  });
});
