import { createEmbeddedStore } from '../index';
import { describeStoreContract } from './store-contract.test-util';

describeStoreContract('embedded', async () => {
  const store = createEmbeddedStore();
  return { store, dispose: () => store.close() };
});

describeStoreContract('embedded, compact collections', async () => {
  const store = createEmbeddedStore();
  return { store, dispose: () => store.close(), collectionOptions: { compact: true } };
});
