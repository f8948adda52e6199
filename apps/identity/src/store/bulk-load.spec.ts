import { DuplicateKeyError, createEmbeddedStore } from '@continuum/store';
import { bulkLoadProfiles } from './bulk-load';
import { COLLECTIONS, type SegmentDocument } from './documents';
import { IdentityRepository, defineIdentityCollections } from './identity-repository';

describe('bulkLoadProfiles', () => {
  it('stores profiles as Resolve would find them (normalized keys, segments evaluated), and refuses a repeated identifier', async () => {
    const store = createEmbeddedStore();
    await defineIdentityCollections(store);
    await store.forTenant('acme').collection<SegmentDocument>(COLLECTIONS.segments).insertOne({
      _id: 'seg-1',
      segmentId: 'vip',
      displayName: 'VIP',
      conditions: [{ trait: 'lifetime_value', operator: 'GTE', value: 10000 }],
      version: 1,
      updateTime: new Date(),
    });
    await bulkLoadProfiles(
      store,
      'acme',
      [
        { id: 'prf_a', identifiers: [{ type: 'PHONE', value: '612 345 678', verifiedLevel: 'VERIFIED' }], traits: { lifetime_value: 20000 } },
        { id: 'prf_b', identifiers: [{ type: 'EMAIL', value: ' B@Example.com ', verifiedLevel: 'NONE' }], traits: {} },
      ],
      { defaultPhoneRegion: 'ES' },
    );
    const repo = new IdentityRepository(store).forTenant('acme');
    const holders = await repo.findHolders(['PHONE:+34612345678', 'EMAIL:b@example.com']);
    expect(holders.get('PHONE:+34612345678')).toMatchObject({ id: 'prf_a', segmentIds: ['vip'] });
    expect(holders.get('EMAIL:b@example.com')).toMatchObject({ id: 'prf_b', segmentIds: [] });
    await expect(
      bulkLoadProfiles(store, 'acme', [{ id: 'prf_c', identifiers: [{ type: 'PHONE', value: '+34612345678', verifiedLevel: 'NONE' }], traits: {} }]),
    ).rejects.toBeInstanceOf(DuplicateKeyError);
  });
});
