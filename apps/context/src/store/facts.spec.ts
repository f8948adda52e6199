import { createEmbeddedStore, type DocumentStore } from '@continuum/store';
import type { CapturedFact } from '../domain';
import { defineContextCollections, FACTS, type FactDoc } from './collections';
import { repositoriesFor } from './repositories';

const TENANT = 'tenant-a';

function fact(value: string, minute: number, touchpointId: string): CapturedFact {
  return { key: 'preferred_language', value, sensitivity: 'normal', sourceChannel: 'web', capturedAt: new Date(Date.UTC(2024, 0, 1, 0, minute)), touchpointId };
}

/**
 * A fact of origin `p-old` stored under `p-survivor` (a merge moved it): a caller that still takes
 * `p-old` for its own owner reads nothing under it, and its insert meets the stored fact.
 */
async function storedUnderSurvivor(stored: CapturedFact): Promise<DocumentStore> {
  const store = createEmbeddedStore();
  await defineContextCollections(store);
  const repos = repositoriesFor(store, TENANT);
  await store.withTransaction((session) => repos.facts.keepLatest(stored, 'p-survivor', 'p-old', undefined, session));
  return store;
}

describe('FactRepository.keepLatest when the fact is stored under another profile than the caller read', () => {
  it('returns the stored document, so a later capture of the same key in the batch updates it', async () => {
    const store = await storedUnderSurvivor(fact('en', 1, 'tp-1'));
    const repos = repositoriesFor(store, TENANT);
    await store.withTransaction(async (session) => {
      const first = await repos.facts.keepLatest(fact('fr', 2, 'tp-2'), 'p-old', 'p-old', undefined, session);
      await repos.facts.keepLatest(fact('de', 3, 'tp-3'), 'p-old', 'p-old', first, session);
    });
    const docs = await store.forTenant(TENANT).collection<FactDoc>(FACTS).find({ originProfileId: 'p-old' });
    expect(docs.map((d) => d.value)).toEqual(['de']);
  });

  it('keeps a stored capture newer than the late arrival', async () => {
    const store = await storedUnderSurvivor(fact('en', 5, 'tp-5'));
    const repos = repositoriesFor(store, TENANT);
    const kept = await store.withTransaction((session) => repos.facts.keepLatest(fact('fr', 2, 'tp-2'), 'p-old', 'p-old', undefined, session));
    expect(kept).toMatchObject({ value: 'en', touchpointId: 'tp-5', profileId: 'p-survivor' });
    const docs = await store.forTenant(TENANT).collection<FactDoc>(FACTS).find({ originProfileId: 'p-old' });
    expect(docs.map((d) => [d.value, d.profileId])).toEqual([['en', 'p-survivor']]);
  });
});
