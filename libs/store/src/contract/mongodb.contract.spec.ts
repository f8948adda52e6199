import { randomBytes } from 'node:crypto';
import { connectMongoStore } from '../index';
import { describeStoreContract } from './store-contract.test-util';

const uri = process.env.MONGODB_URI?.trim();

if (uri !== undefined && uri !== '') {
  describeStoreContract('mongodb', async () => {
    // A database of its own, dropped afterwards: runs never see each other's data.
    const store = await connectMongoStore({ uri, dbName: `continuum_contract_${randomBytes(4).toString('hex')}` });
    return {
      store,
      dispose: async () => {
        await store.db.dropDatabase();
        await store.close();
      },
    };
  });
} else {
  const reason = 'MONGODB_URI is not set (no MongoDB server on this machine)';
  console.log(`store contract suite: MongoDB run skipped: ${reason}`);
  describe.skip(`document store contract: mongodb (skipped: ${reason})`, () => {
    it('runs against a MongoDB replica set when MONGODB_URI is set', () => undefined);
  });
}
