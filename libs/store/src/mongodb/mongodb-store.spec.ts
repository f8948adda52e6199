/**
 * The MongoDB backend against a recording fake of the driver (no server can run here): what it
 * asks the driver for (options, filters, index specs, sessions) and how it maps driver errors.
 * The behaviour against a real server is the contract suite's job when MONGODB_URI is set.
 */
import { MongoServerError, type ClientSession, type Db, type MongoClient } from 'mongodb';
import { DuplicateKeyError, InvalidOperationError, SessionMisuseError, TransactionConflictError, type StoreSession } from '../index';
import { MongoDocumentStore, dbNameFromUri, duplicateKeyOf } from './mongodb-store';

interface Call {
  method: string;
  args: unknown[];
}

function fakeDriver(overrides: Record<string, (...args: unknown[]) => unknown> = {}) {
  const calls: Call[] = [];
  const record =
    (method: string, result: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      calls.push({ method, args });
      return result(...args);
    };
  const collection = {
    insertOne: record('insertOne', overrides.insertOne ?? (() => Promise.resolve({}))),
    insertMany: record('insertMany', overrides.insertMany ?? (() => Promise.resolve({}))),
    find: record('find', () => ({ toArray: () => Promise.resolve([{ _id: 'p1', tenantId: 'acme' }]) })),
    countDocuments: record('countDocuments', () => Promise.resolve(3)),
    updateOne: record('updateOne', overrides.updateOne ?? (() => Promise.resolve({ matchedCount: 1, modifiedCount: 1, upsertedId: null }))),
    updateMany: record('updateMany', () => Promise.resolve({ matchedCount: 2, modifiedCount: 2, upsertedId: null })),
    replaceOne: record('replaceOne', () => Promise.resolve({ matchedCount: 0, modifiedCount: 0, upsertedId: 'x' })),
    findOneAndUpdate: record('findOneAndUpdate', () => Promise.resolve({ _id: 'p1' })),
    findOneAndDelete: record('findOneAndDelete', () => Promise.resolve(null)),
    deleteOne: record('deleteOne', () => Promise.resolve({ deletedCount: 1 })),
    deleteMany: record('deleteMany', () => Promise.resolve({ deletedCount: 4 })),
    createIndexes: record('createIndexes', overrides.createIndexes ?? (() => Promise.resolve([]))),
  };
  const db = {
    collection: record('db.collection', () => collection),
    listCollections: record('listCollections', () => ({ toArray: () => Promise.resolve([]) })),
    createCollection: record('createCollection', () => Promise.resolve(collection)),
  };
  const clientSession: Record<string, unknown> = {};
  clientSession.withTransaction = record('withTransaction', overrides.withTransaction ?? ((fn: unknown): Promise<unknown> => (fn as (s: unknown) => Promise<unknown>)(clientSession)));
  clientSession.endSession = record('endSession', () => Promise.resolve());
  const client = { startSession: record('startSession', () => clientSession), close: record('close', () => Promise.resolve()) };
  const store = new MongoDocumentStore(client as unknown as MongoClient, db as unknown as Db);
  const of = (method: string) => calls.filter((c) => c.method === method).map((c) => c.args);
  return { store, calls, of, clientSession: clientSession as unknown as ClientSession };
}

function duplicateKeyError(index: string): MongoServerError {
  return new MongoServerError({
    message: `E11000 duplicate key error collection: db.profiles index: ${index} dup key: { tenantId: "acme", email: "secret@x.io" }`,
    errmsg: `E11000 duplicate key error collection: db.profiles index: ${index} dup key: { tenantId: "acme", email: "secret@x.io" }`,
    code: 11000,
    keyPattern: { tenantId: 1, email: 1 },
    keyValue: { tenantId: 'acme', email: 'secret@x.io' },
  });
}

describe('MongoDB backend (against a fake driver)', () => {
  it('creates indexes with tenantId first; sparse becomes a partial index on the declared fields', async () => {
    const { store, of } = fakeDriver();
    await store.defineCollection('profiles', [
      { key: { email: 1 }, unique: true, sparse: true },
      { key: { name: 1, age: -1 }, name: 'by_name' },
    ]);
    expect(of('createIndexes')[0]?.[0]).toEqual([
      { key: { tenantId: 1, email: 1 }, name: 'tenantId_1_email_1', unique: true, partialFilterExpression: { email: { $exists: true } } },
      { key: { tenantId: 1, name: 1, age: -1 }, name: 'by_name', unique: false },
    ]);
  });

  it('creates a collection declared without indexes, so transactions can write to it', async () => {
    const { store, of } = fakeDriver();
    await store.defineCollection('plain', []);
    expect(of('createCollection')).toEqual([['plain']]);
  });

  it('turns an index conflict into InvalidOperationError', async () => {
    const conflict = new MongoServerError({ message: 'Index already exists with different options', code: 85 });
    const { store } = fakeDriver({ createIndexes: () => Promise.reject(conflict) });
    await expect(store.defineCollection('c', [{ key: { a: 1 } }])).rejects.toBeInstanceOf(InvalidOperationError);
  });

  it('scopes filters, documents and upserts to the tenant', async () => {
    const { store, of } = fakeDriver();
    const c = store.forTenant('acme').collection<{ _id: string; tenantId: string; email?: string }>('profiles');
    await c.findOne({ email: 'a@x.io' });
    expect(of('find')[0]?.[0]).toEqual({ tenantId: 'acme', email: 'a@x.io' });
    expect(of('find')[0]?.[1]).toMatchObject({ limit: 1 });
    await c.find({ tenantId: 'other' });
    expect(of('find')[1]?.[0]).toEqual({ tenantId: 'acme', $and: [{ tenantId: 'other' }] });
    await c.insertOne({ _id: 'p1', email: 'a@x.io' });
    expect(of('insertOne')[0]?.[0]).toEqual({ _id: 'p1', email: 'a@x.io', tenantId: 'acme' });
    await c.updateOne({ email: 'b@x.io' }, { $set: { email: 'b@x.io' } }, { upsert: true });
    const [filter, update, options] = of('updateOne')[0] as [unknown, { $setOnInsert: { _id: unknown } }, unknown];
    expect(filter).toEqual({ tenantId: 'acme', email: 'b@x.io' });
    expect(typeof update.$setOnInsert._id).toBe('string');
    expect(options).toMatchObject({ upsert: true });
    await c.findOneAndUpdate({ _id: 'p1' }, { $set: { email: 'c@x.io' } });
    expect(of('findOneAndUpdate')[0]?.[2]).toMatchObject({ returnDocument: 'after', includeResultMetadata: false, upsert: false });
    expect(await c.countDocuments({})).toBe(3);
    expect(of('countDocuments')[0]?.[0]).toEqual({ tenantId: 'acme' });
  });

  it('maps a duplicate key to DuplicateKeyError naming the declared fields, without the value', async () => {
    const { store } = fakeDriver({ insertOne: () => Promise.reject(duplicateKeyError('tenantId_1_email_1')) });
    await store.defineCollection('profiles', [{ key: { email: 1 }, unique: true }]);
    const err = await store
      .forTenant('acme')
      .collection('profiles')
      .insertOne({ _id: 'p1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateKeyError);
    expect(err).toMatchObject({ collection: 'profiles', index: 'tenantId_1_email_1', keyFields: ['email'] });
    expect((err as Error).message).not.toContain('secret');
    expect((err as Error).cause).toBeUndefined();
  });

  it('finds the duplicate key inside a bulk write error, and names _id for the primary key', () => {
    const bulk = { code: 11000, message: 'bulk failed', writeErrors: [{ code: 11000, errmsg: 'E11000 duplicate key error collection: db.c index: _id_ dup key: { _id: "p1" }', err: { code: 11000, errmsg: 'E11000 duplicate key error collection: db.c index: _id_ dup key: { _id: "p1" }' } }] };
    expect(duplicateKeyOf(bulk)?.index).toBe('_id_');
    expect(duplicateKeyOf(new MongoServerError({ message: 'other', code: 2 }))).toBeNull();
    expect(duplicateKeyOf('nope')).toBeNull();
  });

  it('runs a transaction through the driver helper with majority concerns, passes the session, joins nested use', async () => {
    const { store, of, clientSession } = fakeDriver();
    const c = store.forTenant('acme').collection('profiles');
    let leaked: StoreSession | undefined;
    const result = await store.withTransaction(async (session) => {
      leaked = session;
      await c.updateOne({ _id: 'p1' }, { $set: { a: 1 } }, { session });
      return store.withTransaction(async (inner) => {
        expect(inner).toBe(session);
        return 'done';
      });
    });
    expect(result).toBe('done');
    expect(of('startSession')).toHaveLength(1);
    expect(of('withTransaction')[0]?.[1]).toEqual({ readConcern: { level: 'majority' }, writeConcern: { w: 'majority' }, readPreference: 'primary' });
    expect((of('updateOne')[0]?.[2] as { session: unknown }).session).toBe(clientSession);
    expect(of('endSession')).toHaveLength(1);
    await expect(c.findOne({}, { session: leaked })).rejects.toBeInstanceOf(SessionMisuseError);
  });

  it('reports a transaction that kept conflicting as TransactionConflictError, other errors as they are', async () => {
    const transient = new MongoServerError({ message: 'WriteConflict', code: 112 });
    transient.addErrorLabel('TransientTransactionError');
    const { store, of } = fakeDriver({ withTransaction: () => Promise.reject(transient) });
    await expect(store.withTransaction(() => Promise.resolve(1))).rejects.toBeInstanceOf(TransactionConflictError);
    expect(of('endSession')).toHaveLength(1);
    const boom = new Error('business rule');
    const other = fakeDriver({ withTransaction: () => Promise.reject(boom) });
    await expect(other.store.withTransaction(() => Promise.resolve(1))).rejects.toBe(boom);
  });

  it('reads the database name from the connection string', () => {
    expect(dbNameFromUri('mongodb://h1:27017,h2:27017/continuum_prod?replicaSet=rs0')).toBe('continuum_prod');
    expect(dbNameFromUri('mongodb+srv://user:pw@cluster.example.net/app')).toBe('app');
    expect(dbNameFromUri('mongodb://localhost:27017/?replicaSet=rs0')).toBeUndefined();
    expect(dbNameFromUri('mongodb://localhost:27017')).toBeUndefined();
  });
});

describe('MongoDB backend: expiring collections', () => {
  it('keeps a TTL index on the expiry field alone (MongoDB has no compound TTL index)', async () => {
    const { store, of } = fakeDriver();
    await store.defineCollection('requests', [{ key: { key: 1 }, unique: true }], { expireAfter: { field: 'createdAt', seconds: 86_400 } });
    expect(of('createIndexes')).toHaveLength(1);
    expect(of('createIndexes')[0]?.[0]).toEqual([
      expect.objectContaining({ key: { tenantId: 1, key: 1 }, unique: true }),
      { key: { createdAt: 1 }, name: 'ttl_createdAt', expireAfterSeconds: 86_400 },
    ]);
  });

  it('creates an expiring collection without other indexes through its TTL index, and a changed expiry is an index conflict', async () => {
    const { store, of } = fakeDriver();
    await store.defineCollection('requests', [], { expireAfter: { field: 'createTime', seconds: 60 } });
    expect(of('createIndexes')).toEqual([[[{ key: { createTime: 1 }, name: 'ttl_createTime', expireAfterSeconds: 60 }]]]);
    expect(of('createCollection')).toEqual([]);
    const conflict = new MongoServerError({ message: 'An equivalent index already exists with different options', code: 85 });
    const changed = fakeDriver({ createIndexes: () => Promise.reject(conflict) });
    await expect(changed.store.defineCollection('requests', [], { expireAfter: { field: 'createTime', seconds: 120 } })).rejects.toBeInstanceOf(InvalidOperationError);
  });

  it('refuses an unusable expiry before asking the server for anything', async () => {
    const { store, calls } = fakeDriver();
    await expect(store.defineCollection('requests', [], { expireAfter: { field: '$x', seconds: 60 } })).rejects.toBeInstanceOf(InvalidOperationError);
    await expect(store.defineCollection('requests', [], { expireAfter: { field: 'createdAt', seconds: -1 } })).rejects.toBeInstanceOf(InvalidOperationError);
    expect(calls).toEqual([]);
  });
});

describe('MongoDB backend: cross-tenant indexes', () => {
  it('keeps a crossTenant index without the leading tenantId, and refuses one that is unique', async () => {
    const { store, of } = fakeDriver();
    await store.defineCollection('outbox', [{ key: { state: 1, _id: 1 }, name: 'state_id', crossTenant: true }, { key: { kind: 1 } }]);
    expect(of('createIndexes')[0]?.[0]).toEqual([
      expect.objectContaining({ key: { state: 1, _id: 1 }, name: 'state_id' }),
      expect.objectContaining({ key: { tenantId: 1, kind: 1 }, name: 'tenantId_1_kind_1' }),
    ]);
    await expect(store.defineCollection('outbox', [{ key: { a: 1 }, crossTenant: true, unique: true }])).rejects.toBeInstanceOf(InvalidOperationError);
  });
});
