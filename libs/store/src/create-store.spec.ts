import { createStore, EmbeddedDocumentStore } from './index';

describe('createStore', () => {
  it('gives the embedded store when no MongoDB URI is configured', async () => {
    const logged: string[] = [];
    const store = await createStore({ mongodbUri: '  ', logger: { info: (_o, msg) => logged.push(msg), warn: () => undefined } });
    expect(store.backend).toBe('embedded');
    expect(store).toBeInstanceOf(EmbeddedDocumentStore);
    expect(logged.join()).toContain('embedded');
    await store.close();
  });

  it('fails at start-up on a malformed MongoDB URI', async () => {
    await expect(createStore({ mongodbUri: 'http://not-mongo' })).rejects.toThrow();
  });
});
