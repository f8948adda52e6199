import { createEmbeddedStore } from '../index';
import { describeStoreContract } from './store-contract.test-util';

describeStoreContract('embedded', async () => {
  const store = createEmbeddedStore();
  return { store, dispose: () => store.close() };
});
