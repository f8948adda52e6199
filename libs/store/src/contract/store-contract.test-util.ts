/**
 * The document store contract: one suite, run against every backend (embedded always, MongoDB
 * when MONGODB_URI is set). It covers what the repositories rely on: the query and update
 * operators the services use, upserts, duplicate keys as a typed error, stable sort and keyset
 * pagination, transactions (rollback, serialization of concurrent writers), tenant isolation and
 * copy semantics of returned documents.
 */
import {
  DuplicateKeyError,
  ImmutableFieldError,
  InvalidPageTokenError,
  InvalidTenantError,
  SessionMisuseError,
  type BaseDocument,
  type CollectionOptions,
  type DocumentStore,
  type StoreSession,
  type TenantCollection,
} from '../index';

/** What the suite needs from a backend: a fresh store, and how to dispose of it. */
export interface ContractFixture {
  store: DocumentStore;
  dispose(): Promise<void>;
  /** Options every collection of the suite is declared with (e.g. the embedded compact storage). */
  collectionOptions?: CollectionOptions;
}

interface Profile extends BaseDocument {
  name?: string;
  age?: number;
  score?: number;
  tags?: string[];
  identifiers?: Array<{ type: string; value: string; verified?: boolean }>;
  traits?: Record<string, unknown>;
  email?: string;
  createdAt?: Date;
  visits?: number;
  history?: number[];
}

let sequence = 0;
/** A collection name no other test uses (the MongoDB run shares one database). */
function fresh(prefix: string): string {
  sequence += 1;
  return `${prefix}_${process.pid}_${sequence}`;
}

async function dump<T extends BaseDocument>(coll: TenantCollection<T>): Promise<T[]> {
  return coll.find({}, { sort: { _id: 1 } });
}

export function describeStoreContract(label: string, create: () => Promise<ContractFixture>): void {
  describe(`document store contract: ${label}`, () => {
    let fixture: ContractFixture;
    let store: DocumentStore;

    beforeAll(async () => {
      fixture = await create();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture?.dispose();
    });

    async function profiles(indexes = true): Promise<{ name: string; a: TenantCollection<Profile>; b: TenantCollection<Profile> }> {
      const name = fresh('profiles');
      if (indexes) {
        await store.defineCollection(
          name,
          [
            { key: { 'identifiers.value': 1 }, unique: true, sparse: true },
            { key: { email: 1 }, unique: true, sparse: true },
            { key: { name: 1, age: 1 } },
          ],
          fixture.collectionOptions,
        );
      }
      return { name, a: store.forTenant('tenant-a').collection<Profile>(name), b: store.forTenant('tenant-b').collection<Profile>(name) };
    }

    describe('insert and find', () => {
      it('stores the tenant with the document and finds it by _id', async () => {
        const { a } = await profiles();
        await a.insertOne({ _id: 'p1', name: 'Ada', age: 36 });
        expect(await a.findOne({ _id: 'p1' })).toEqual({ _id: 'p1', tenantId: 'tenant-a', name: 'Ada', age: 36 });
        expect(await a.findOne({ _id: 'nope' })).toBeNull();
      });

      it('gives a string _id to a document without one', async () => {
        const { a } = await profiles();
        await a.insertOne({ name: 'NoId' } as unknown as Profile);
        const found = await a.findOne({ name: 'NoId' });
        expect(typeof found?._id).toBe('string');
        expect(found?._id.length).toBeGreaterThan(0);
      });

      it('keeps dates and nested values', async () => {
        const { a } = await profiles();
        const createdAt = new Date('2024-05-01T10:00:00.000Z');
        await a.insertOne({ _id: 'p1', createdAt, traits: { ltv: 12.5, address: { city: 'Leeds' } }, tags: ['x'] });
        const found = await a.findOne({ createdAt });
        expect(found?.createdAt).toBeInstanceOf(Date);
        expect(found?.createdAt?.getTime()).toBe(createdAt.getTime());
        expect(found?.traits).toEqual({ ltv: 12.5, address: { city: 'Leeds' } });
      });

      it('keeps bytes as bytes, byte for byte, including inside arrays of objects', async () => {
        const { a } = await profiles();
        const bytes = Uint8Array.from([0, 1, 2, 254, 255]);
        await a.insertOne({ _id: 'p1', traits: { blob: bytes, list: [{ blob: Buffer.from('hello') }] } } as unknown as Profile);
        const found = (await a.findOne({ _id: 'p1' })) as unknown as { traits: { blob: unknown; list: { blob: unknown }[] } };
        expect(found.traits.blob).toBeInstanceOf(Uint8Array);
        expect([...(found.traits.blob as Uint8Array)]).toEqual([0, 1, 2, 254, 255]);
        expect(Buffer.from(found.traits.list[0]?.blob as Uint8Array).toString()).toBe('hello');
      });

      it('drops undefined fields (absent and undefined are the same)', async () => {
        const { a } = await profiles();
        await a.insertOne({ _id: 'p1', name: 'Ada', email: undefined });
        const found = await a.findOne({ _id: 'p1' });
        expect(found).not.toHaveProperty('email');
        expect(await a.countDocuments({ email: { $exists: false } })).toBe(1);
      });
    });

    describe('query operators', () => {
      let a: TenantCollection<Profile>;
      beforeAll(async () => {
        ({ a } = await profiles());
        await a.insertMany([
          { _id: 'p1', name: 'Ada', age: 36, tags: ['vip', 'uk'], identifiers: [{ type: 'PHONE', value: '+441', verified: true }], traits: { ltv: 100, city: 'Leeds' } },
          { _id: 'p2', name: 'Bob', age: 25, tags: ['uk'], identifiers: [{ type: 'EMAIL', value: 'bob@x.io', verified: false }, { type: 'PHONE', value: '+442' }], traits: { ltv: 5 } },
          { _id: 'p3', name: 'Cyd', age: 52, tags: [], identifiers: [], traits: { city: 'York' } },
          { _id: 'p4', name: 'Dee', email: 'dee@x.io' },
        ]);
      });
      const ids = async (filter: Record<string, unknown>) => (await a.find(filter, { sort: { _id: 1 } })).map((d) => d._id);

      it('equality, comparison and sets', async () => {
        expect(await ids({ name: 'Bob' })).toEqual(['p2']);
        expect(await ids({ age: { $eq: 36 } })).toEqual(['p1']);
        expect(await ids({ age: { $ne: 36 } })).toEqual(['p2', 'p3', 'p4']);
        expect(await ids({ age: { $gt: 25 } })).toEqual(['p1', 'p3']);
        expect(await ids({ age: { $gte: 25, $lt: 52 } })).toEqual(['p1', 'p2']);
        expect(await ids({ age: { $lte: 25 } })).toEqual(['p2']);
        expect(await ids({ name: { $in: ['Ada', 'Dee', 'Zed'] } })).toEqual(['p1', 'p4']);
        expect(await ids({ name: { $nin: ['Ada', 'Dee'] } })).toEqual(['p2', 'p3']);
        expect(await ids({ _id: { $in: ['p2', 'p3', 'zz'] } })).toEqual(['p2', 'p3']);
        expect(await ids({ _id: { $in: [] } })).toEqual([]);
      });

      it('existence, null and missing', async () => {
        expect(await ids({ email: { $exists: true } })).toEqual(['p4']);
        expect(await ids({ age: { $exists: false } })).toEqual(['p4']);
        expect(await ids({ email: null })).toEqual(['p1', 'p2', 'p3']);
      });

      it('logical operators', async () => {
        expect(await ids({ $or: [{ name: 'Ada' }, { age: { $gt: 50 } }] })).toEqual(['p1', 'p3']);
        expect(await ids({ $and: [{ age: { $gt: 20 } }, { age: { $lt: 40 } }] })).toEqual(['p1', 'p2']);
        expect(await ids({ $nor: [{ name: 'Ada' }, { name: 'Bob' }] })).toEqual(['p3', 'p4']);
        expect(await ids({ age: { $not: { $gt: 30 } } })).toEqual(['p2', 'p4']);
      });

      it('arrays: element match, $all, $size, $elemMatch and dotted paths through arrays', async () => {
        expect(await ids({ tags: 'uk' })).toEqual(['p1', 'p2']);
        expect(await ids({ tags: { $all: ['vip', 'uk'] } })).toEqual(['p1']);
        expect(await ids({ tags: { $size: 0 } })).toEqual(['p3']);
        expect(await ids({ 'identifiers.type': 'PHONE' })).toEqual(['p1', 'p2']);
        expect(await ids({ 'identifiers.value': '+442' })).toEqual(['p2']);
        expect(await ids({ identifiers: { $elemMatch: { type: 'EMAIL', verified: false } } })).toEqual(['p2']);
        expect(await ids({ identifiers: { $elemMatch: { type: 'EMAIL', verified: true } } })).toEqual([]);
      });

      it('nested fields, $regex and $type', async () => {
        expect(await ids({ 'traits.city': 'Leeds' })).toEqual(['p1']);
        expect(await ids({ 'traits.ltv': { $gte: 10 } })).toEqual(['p1']);
        expect(await ids({ name: { $regex: '^[AB]' } })).toEqual(['p1', 'p2']);
        expect(await ids({ name: /^c/i })).toEqual(['p3']);
        expect(await ids({ age: { $type: 'number' } })).toEqual(['p1', 'p2', 'p3']);
      });

      it('sort, skip, limit and projection', async () => {
        const sorted = await a.find({ age: { $exists: true } }, { sort: { age: -1 }, skip: 1, limit: 1 });
        expect(sorted.map((d) => d._id)).toEqual(['p1']);
        const nullsFirst = await a.find({}, { sort: { age: 1, _id: 1 } });
        expect(nullsFirst.map((d) => d._id)).toEqual(['p4', 'p2', 'p1', 'p3']);
        const inc = await a.find({ _id: 'p1' }, { projection: { name: 1, 'traits.city': 1 } });
        expect(inc).toEqual([{ _id: 'p1', name: 'Ada', traits: { city: 'Leeds' } }]);
        const exc = await a.findOne({ _id: 'p2' }, { projection: { identifiers: 0, traits: 0, tags: 0, _id: 0 } });
        expect(exc).toEqual({ tenantId: 'tenant-a', name: 'Bob', age: 25 });
        const sub = await a.findOne({ _id: 'p2' }, { projection: { 'identifiers.type': 1, _id: 0 } });
        expect(sub).toEqual({ identifiers: [{ type: 'EMAIL' }, { type: 'PHONE' }] });
        expect(await a.countDocuments({ tags: 'uk' })).toBe(2);
        expect(await a.countDocuments({})).toBe(4);
      });
    });

    describe('update operators', () => {
      it('$set, $unset, $inc, $min, $max, $mul on top-level and nested fields', async () => {
        const { a } = await profiles();
        await a.insertOne({ _id: 'p1', name: 'Ada', age: 36, score: 10, traits: { ltv: 1, tier: 'gold' } });
        const r = await a.updateOne({ _id: 'p1' }, { $set: { 'traits.city': 'York', name: 'Ada L' }, $unset: { 'traits.tier': '' }, $inc: { age: 1, visits: 2 }, $min: { score: 4 }, $max: { 'traits.ltv': 9 } });
        expect(r).toEqual({ matchedCount: 1, modifiedCount: 1, upsertedId: null });
        expect(await a.findOne({ _id: 'p1' })).toEqual({ _id: 'p1', tenantId: 'tenant-a', name: 'Ada L', age: 37, score: 4, visits: 2, traits: { ltv: 9, city: 'York' } });
        await a.updateOne({ _id: 'p1' }, { $mul: { score: 3 }, $min: { age: 99 } });
        expect((await a.findOne({ _id: 'p1' }))?.score).toBe(12);
        expect((await a.findOne({ _id: 'p1' }))?.age).toBe(37);
      });

      it('reports a match without change as not modified', async () => {
        const { a } = await profiles();
        await a.insertOne({ _id: 'p1', name: 'Ada' });
        expect(await a.updateOne({ _id: 'p1' }, { $set: { name: 'Ada' } })).toEqual({ matchedCount: 1, modifiedCount: 0, upsertedId: null });
        expect(await a.updateOne({ _id: 'zz' }, { $set: { name: 'Ada' } })).toEqual({ matchedCount: 0, modifiedCount: 0, upsertedId: null });
      });

      it('array operators: $push with $each/$slice, $pull, $addToSet, $pop', async () => {
        const { a } = await profiles();
        await a.insertOne({ _id: 'p1', tags: ['a'], history: [1, 2, 3], identifiers: [{ type: 'PHONE', value: '+1' }, { type: 'EMAIL', value: 'x@y.z' }] });
        await a.updateOne({ _id: 'p1' }, { $push: { history: { $each: [4, 5, 6], $slice: -4 } }, $addToSet: { tags: { $each: ['a', 'b'] } } });
        let doc = await a.findOne({ _id: 'p1' });
        expect(doc?.history).toEqual([3, 4, 5, 6]);
        expect(doc?.tags).toEqual(['a', 'b']);
        await a.updateOne({ _id: 'p1' }, { $pull: { identifiers: { type: 'EMAIL' }, history: { $gte: 5 } }, $push: { tags: 'c' } });
        doc = await a.findOne({ _id: 'p1' });
        expect(doc?.identifiers).toEqual([{ type: 'PHONE', value: '+1' }]);
        expect(doc?.history).toEqual([3, 4]);
        expect(doc?.tags).toEqual(['a', 'b', 'c']);
        await a.updateOne({ _id: 'p1' }, { $addToSet: { tags: 'a' }, $pop: { history: -1 } });
        doc = await a.findOne({ _id: 'p1' });
        expect(doc?.tags).toEqual(['a', 'b', 'c']);
        expect(doc?.history).toEqual([4]);
      });

      it('$rename, $currentDate and $push with $position and $sort', async () => {
        const { a } = await profiles();
        await a.insertOne({ _id: 'p1', name: 'Ada', history: [5, 1] });
        const before = Date.now();
        await a.updateOne({ _id: 'p1' }, { $rename: { name: 'email' }, $currentDate: { createdAt: true }, $push: { history: { $each: [3], $sort: 1 }, tags: { $each: ['b'], $position: 0 } } });
        const doc = await a.findOne({ _id: 'p1' });
        expect(doc?.email).toBe('Ada');
        expect((await a.findOne({ email: 'Ada' }))?._id).toBe('p1');
        expect(doc).not.toHaveProperty('name');
        expect(doc?.history).toEqual([1, 3, 5]);
        expect(doc?.tags).toEqual(['b']);
        expect(doc?.createdAt).toBeInstanceOf(Date);
        expect(doc?.createdAt?.getTime()).toBeGreaterThanOrEqual(before - 1000);
      });

      it('the positional $ operator updates the matched array element', async () => {
        const { a } = await profiles();
        await a.insertOne({ _id: 'p1', identifiers: [{ type: 'PHONE', value: '+1' }, { type: 'EMAIL', value: 'x@y.z' }] });
        await a.updateOne({ _id: 'p1', 'identifiers.type': 'EMAIL' }, { $set: { 'identifiers.$.verified': true } });
        expect((await a.findOne({ _id: 'p1' }))?.identifiers).toEqual([
          { type: 'PHONE', value: '+1' },
          { type: 'EMAIL', value: 'x@y.z', verified: true },
        ]);
      });

      it('updateMany updates every match', async () => {
        const { a } = await profiles();
        await a.insertMany([
          { _id: 'p1', age: 1 },
          { _id: 'p2', age: 1 },
          { _id: 'p3', age: 2 },
        ]);
        expect(await a.updateMany({ age: 1 }, { $set: { name: 'one' } })).toEqual({ matchedCount: 2, modifiedCount: 2, upsertedId: null });
        expect(await a.countDocuments({ name: 'one' })).toBe(2);
      });

      it('refuses updates without operators and changes of _id or tenantId', async () => {
        const { a } = await profiles();
        await a.insertOne({ _id: 'p1', name: 'Ada' });
        await expect(a.updateOne({ _id: 'p1' }, { name: 'x' })).rejects.toThrow();
        await expect(a.updateOne({ _id: 'p1' }, { $set: { _id: 'p9' } })).rejects.toBeInstanceOf(ImmutableFieldError);
        await expect(a.updateOne({ _id: 'p1' }, { $set: { tenantId: 'tenant-b' } })).rejects.toBeInstanceOf(ImmutableFieldError);
        await expect(a.updateOne({ _id: 'p1' }, { $unset: { tenantId: '' } })).rejects.toBeInstanceOf(ImmutableFieldError);
        expect(await a.findOne({ _id: 'p1' })).toEqual({ _id: 'p1', tenantId: 'tenant-a', name: 'Ada' });
      });
    });

    describe('upsert, find-and-modify, replace, delete', () => {
      it('updateOne upsert inserts from the filter and $setOnInsert, then only updates', async () => {
        const { a } = await profiles();
        const first = await a.updateOne({ email: 'ada@x.io' }, { $set: { name: 'Ada' }, $setOnInsert: { visits: 0, createdAt: new Date(0) }, $inc: { score: 1 } }, { upsert: true });
        expect(first.matchedCount).toBe(0);
        expect(typeof first.upsertedId).toBe('string');
        const second = await a.updateOne({ email: 'ada@x.io' }, { $set: { name: 'Ada L' }, $setOnInsert: { visits: 100 }, $inc: { score: 1 } }, { upsert: true });
        expect(second).toEqual({ matchedCount: 1, modifiedCount: 1, upsertedId: null });
        expect(await a.findOne({ email: 'ada@x.io' })).toEqual({ _id: first.upsertedId, tenantId: 'tenant-a', email: 'ada@x.io', name: 'Ada L', visits: 0, createdAt: new Date(0), score: 2 });
      });

      it('upsert with an _id in the filter uses it', async () => {
        const { a } = await profiles();
        const r = await a.updateOne({ _id: 'p7' }, { $set: { name: 'Seven' } }, { upsert: true });
        expect(r.upsertedId).toBe('p7');
        expect(await a.findOne({ _id: 'p7' })).toEqual({ _id: 'p7', tenantId: 'tenant-a', name: 'Seven' });
      });

      it('findOneAndUpdate returns the document after (default) or before, honours sort and upsert', async () => {
        const { a } = await profiles();
        await a.insertMany([
          { _id: 'p1', name: 'x', score: 5 },
          { _id: 'p2', name: 'x', score: 9 },
        ]);
        const after = await a.findOneAndUpdate({ name: 'x' }, { $inc: { score: 1 } }, { sort: { score: -1 } });
        expect(after).toEqual({ _id: 'p2', tenantId: 'tenant-a', name: 'x', score: 10 });
        const before = await a.findOneAndUpdate({ name: 'x' }, { $inc: { score: 1 } }, { sort: { score: 1 }, returnDocument: 'before' });
        expect(before?.score).toBe(5);
        expect((await a.findOne({ _id: 'p1' }))?.score).toBe(6);
        expect(await a.findOneAndUpdate({ name: 'none' }, { $set: { score: 1 } })).toBeNull();
        const upserted = await a.findOneAndUpdate({ name: 'new' }, { $set: { score: 1 } }, { upsert: true, projection: { name: 1, score: 1, _id: 0 } });
        expect(upserted).toEqual({ name: 'new', score: 1 });
        expect(await a.findOneAndUpdate({ name: 'newer' }, { $set: { score: 1 } }, { upsert: true, returnDocument: 'before' })).toBeNull();
        expect(await a.countDocuments({ name: 'newer' })).toBe(1);
      });

      it('replaceOne keeps _id and tenant, counts changes, upserts', async () => {
        const { a } = await profiles();
        await a.insertOne({ _id: 'p1', name: 'Ada', age: 36 });
        expect(await a.replaceOne({ _id: 'p1' }, { _id: 'p1', name: 'Ada2' })).toEqual({ matchedCount: 1, modifiedCount: 1, upsertedId: null });
        expect(await a.findOne({ _id: 'p1' })).toEqual({ _id: 'p1', tenantId: 'tenant-a', name: 'Ada2' });
        expect(await a.replaceOne({ name: 'Ada2' }, { name: 'Ada2' } as Profile)).toEqual({ matchedCount: 1, modifiedCount: 0, upsertedId: null });
        expect(await a.replaceOne({ _id: 'p2' }, { name: 'Bob' } as Profile, { upsert: true })).toEqual({ matchedCount: 0, modifiedCount: 0, upsertedId: 'p2' });
        expect(await a.findOne({ _id: 'p2' })).toEqual({ _id: 'p2', tenantId: 'tenant-a', name: 'Bob' });
        await expect(a.replaceOne({ _id: 'p1' }, { _id: 'other', name: 'x' })).rejects.toThrow();
        expect((await a.findOne({ _id: 'p1' }))?.name).toBe('Ada2');
      });

      it('findOneAndDelete, deleteOne and deleteMany', async () => {
        const { a } = await profiles();
        await a.insertMany([
          { _id: 'p1', score: 1 },
          { _id: 'p2', score: 2 },
          { _id: 'p3', score: 3 },
          { _id: 'p4', score: 3 },
        ]);
        expect((await a.findOneAndDelete({}, { sort: { score: -1, _id: -1 } }))?._id).toBe('p4');
        expect(await a.deleteOne({ score: { $gte: 1 } })).toEqual({ deletedCount: 1 });
        expect(await a.countDocuments({})).toBe(2);
        expect(await a.deleteMany({})).toEqual({ deletedCount: 2 });
        expect(await a.findOneAndDelete({})).toBeNull();
      });
    });

    describe('unique indexes', () => {
      it('a duplicate key is a DuplicateKeyError naming the index and its fields, and writes nothing', async () => {
        const { name, a } = await profiles();
        await a.insertOne({ _id: 'p1', identifiers: [{ type: 'PHONE', value: '+441' }] });
        const err = await a.insertOne({ _id: 'p2', identifiers: [{ type: 'EMAIL', value: 'z@z.z' }, { type: 'PHONE', value: '+441' }] }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DuplicateKeyError);
        expect(err).toMatchObject({ collection: name, index: 'tenantId_1_identifiers.value_1', keyFields: ['identifiers.value'] });
        expect(String((err as Error).message)).not.toContain('+441');
        expect(await a.findOne({ _id: 'p2' })).toBeNull();
        expect(await a.findOne({ 'identifiers.value': 'z@z.z' })).toBeNull();
      });

      it('the primary key is unique too', async () => {
        const { a } = await profiles();
        await a.insertOne({ _id: 'p1' });
        await expect(a.insertOne({ _id: 'p1' })).rejects.toMatchObject({ index: '_id_', keyFields: ['_id'] });
      });

      it('updates and upserts that would duplicate a key fail and leave the document as it was', async () => {
        const { a } = await profiles();
        await a.insertMany([
          { _id: 'p1', email: 'a@x.io' },
          { _id: 'p2', email: 'b@x.io' },
        ]);
        await expect(a.updateOne({ _id: 'p2' }, { $set: { email: 'a@x.io', name: 'changed' } })).rejects.toBeInstanceOf(DuplicateKeyError);
        expect(await a.findOne({ _id: 'p2' })).toEqual({ _id: 'p2', tenantId: 'tenant-a', email: 'b@x.io' });
        await expect(a.updateOne({ name: 'none' }, { $set: { email: 'b@x.io' } }, { upsert: true })).rejects.toBeInstanceOf(DuplicateKeyError);
        expect(await a.countDocuments({})).toBe(2);
      });

      it('a sparse unique index allows any number of documents without the field', async () => {
        const { a } = await profiles();
        await a.insertMany([{ _id: 'p1' }, { _id: 'p2' }, { _id: 'p3', email: 'c@x.io' }]);
        await expect(a.insertOne({ _id: 'p4', email: 'c@x.io' })).rejects.toBeInstanceOf(DuplicateKeyError);
      });

      it('a compound unique index compares the whole key', async () => {
        const name = fresh('compound');
        await store.defineCollection(name, [{ key: { type: 1, value: 1 }, unique: true, name: 'by_type_value' }], fixture.collectionOptions);
        const c = store.forTenant('tenant-a').collection<BaseDocument & { type: string; value: string }>(name);
        await c.insertMany([
          { _id: 'i1', type: 'PHONE', value: '1' },
          { _id: 'i2', type: 'EMAIL', value: '1' },
          { _id: 'i3', type: 'PHONE', value: '2' },
        ]);
        await expect(c.insertOne({ _id: 'i4', type: 'PHONE', value: '1' })).rejects.toMatchObject({ index: 'by_type_value', keyFields: ['type', 'value'] });
      });

      it('defineCollection is idempotent', async () => {
        const { name, a } = await profiles();
        await store.defineCollection(name, [{ key: { 'identifiers.value': 1 }, unique: true, sparse: true }]);
        await a.insertOne({ _id: 'p1', identifiers: [{ type: 'PHONE', value: '1' }] });
        await expect(a.insertOne({ _id: 'p2', identifiers: [{ type: 'PHONE', value: '1' }] })).rejects.toBeInstanceOf(DuplicateKeyError);
      });
    });

    describe('pagination', () => {
      let a: TenantCollection<Profile>;
      let b: TenantCollection<Profile>;
      beforeAll(async () => {
        ({ a, b } = await profiles());
        // 23 documents, scores with many ties, some without a score.
        const docs: Profile[] = [];
        for (let i = 0; i < 23; i++) docs.push({ _id: `p${String(i).padStart(2, '0')}`, tenantId: 'tenant-a', ...(i % 7 === 6 ? {} : { score: i % 4 }), age: i });
        await a.insertMany(docs);
        await b.insertOne({ _id: 'b1', score: 1 });
      });

      async function pageAll(filter: Record<string, unknown>, sort: Record<string, 1 | -1>, pageSize: number): Promise<{ ids: string[]; pages: number }> {
        const ids: string[] = [];
        let token = '';
        let pages = 0;
        do {
          const page = await a.findPage(filter, sort, { pageSize, pageToken: token });
          pages++;
          ids.push(...page.items.map((d) => d._id));
          token = page.nextPageToken;
          if (pages > 100) throw new Error('pagination does not end');
        } while (token !== '');
        return { ids, pages };
      }

      it('pages through ties in a stable total order, each document once', async () => {
        const expected = (await a.find({}, { sort: { score: 1, _id: 1 } })).map((d) => d._id);
        expect(expected).toHaveLength(23);
        for (const size of [1, 2, 5, 22, 23, 24, 100]) {
          const { ids, pages } = await pageAll({}, { score: 1 }, size);
          expect(ids).toEqual(expected);
          expect(pages).toBe(Math.max(1, Math.ceil(23 / size)));
        }
      });

      it('pages descending and with a filter', async () => {
        const expected = (await a.find({ age: { $gte: 3 } }, { sort: { score: -1, _id: -1 } })).map((d) => d._id);
        const { ids } = await pageAll({ age: { $gte: 3 } }, { score: -1, _id: -1 }, 4);
        expect(ids).toEqual(expected);
        const mixed = (await a.find({}, { sort: { score: -1, age: 1, _id: 1 } })).map((d) => d._id);
        expect((await pageAll({}, { score: -1, age: 1 }, 3)).ids).toEqual(mixed);
      });

      it('the last page has no token; an exact fit ends on a full page', async () => {
        const exact = await a.findPage({}, { age: 1 }, { pageSize: 23 });
        expect(exact.items).toHaveLength(23);
        expect(exact.nextPageToken).toBe('');
        const empty = await a.findPage({ name: 'nobody' }, { age: 1 }, { pageSize: 5 });
        expect(empty).toEqual({ items: [], nextPageToken: '' });
      });

      it('caps the page size and picks a default for 0', async () => {
        const capped = await a.findPage({}, { age: 1 }, { pageSize: 50, maxPageSize: 10 });
        expect(capped.items).toHaveLength(10);
        const defaulted = await a.findPage({}, { age: 1 }, { pageSize: 0, defaultPageSize: 7 });
        expect(defaulted.items).toHaveLength(7);
      });

      it('returns the projection only, even though it pages on other fields', async () => {
        const page = await a.findPage({}, { score: 1 }, { pageSize: 3 }, { projection: { age: 1, _id: 0 } });
        expect(page.items.every((d) => Object.keys(d).join() === 'age')).toBe(true);
        const next = await a.findPage({}, { score: 1 }, { pageSize: 3, pageToken: page.nextPageToken }, { projection: { age: 1, _id: 0 } });
        const all = (await a.find({}, { sort: { score: 1, _id: 1 }, limit: 6 })).map((d) => d.age);
        expect([...page.items, ...next.items].map((d) => d.age)).toEqual(all);
      });

      it('refuses a token used with another filter, sort, collection or tenant, and a malformed one', async () => {
        const page = await a.findPage({ age: { $gte: 1 } }, { score: 1 }, { pageSize: 2 });
        expect(page.nextPageToken).not.toBe('');
        await expect(a.findPage({ age: { $gte: 2 } }, { score: 1 }, { pageSize: 2, pageToken: page.nextPageToken })).rejects.toBeInstanceOf(InvalidPageTokenError);
        await expect(a.findPage({ age: { $gte: 1 } }, { score: -1 }, { pageSize: 2, pageToken: page.nextPageToken })).rejects.toBeInstanceOf(InvalidPageTokenError);
        await expect(b.findPage({ age: { $gte: 1 } }, { score: 1 }, { pageSize: 2, pageToken: page.nextPageToken })).rejects.toBeInstanceOf(InvalidPageTokenError);
        for (const bad of ['x', 'not a token!', Buffer.from('{"v":1}').toString('base64url'), page.nextPageToken.slice(0, -3)]) {
          await expect(a.findPage({ age: { $gte: 1 } }, { score: 1 }, { pageSize: 2, pageToken: bad })).rejects.toBeInstanceOf(InvalidPageTokenError);
        }
        // A page size change is fine: the token is a position, not a page number.
        const other = await a.findPage({ age: { $gte: 1 } }, { score: 1 }, { pageSize: 5, pageToken: page.nextPageToken });
        expect(other.items).toHaveLength(5);
      });
    });

    describe('transactions', () => {
      it('commits every write of the body together', async () => {
        const { a } = await profiles();
        const result = await store.withTransaction(async (session) => {
          await a.insertOne({ _id: 'p1', name: 'Ada' }, { session });
          await a.updateOne({ _id: 'p1' }, { $set: { age: 1 } }, { session });
          expect((await a.findOne({ _id: 'p1' }, { session }))?.age).toBe(1);
          return 'done';
        });
        expect(result).toBe('done');
        expect(await a.findOne({ _id: 'p1' })).toEqual({ _id: 'p1', tenantId: 'tenant-a', name: 'Ada', age: 1 });
      });

      it('rolls back on error: the state is exactly as before', async () => {
        const { a, b } = await profiles();
        await a.insertMany([
          { _id: 'p1', name: 'Ada', identifiers: [{ type: 'PHONE', value: '1' }] },
          { _id: 'p2', name: 'Bob', tags: ['x'] },
          { _id: 'p3', name: 'Cyd' },
        ]);
        await b.insertOne({ _id: 'b1', name: 'Bee' });
        const beforeA = await dump(a);
        const beforeB = await dump(b);
        await expect(
          store.withTransaction(async (session) => {
            await a.insertOne({ _id: 'p4', name: 'New', identifiers: [{ type: 'PHONE', value: '4' }] }, { session });
            await a.updateOne({ _id: 'p1' }, { $set: { name: 'Changed', 'identifiers.0.value': '9' } }, { session });
            await a.updateMany({}, { $push: { tags: 'y' } }, { session });
            await a.deleteOne({ _id: 'p3' }, { session });
            await a.replaceOne({ _id: 'p2' }, { _id: 'p2', name: 'Replaced' }, { session });
            await b.deleteMany({}, { session });
            throw new Error('business rule failed');
          }),
        ).rejects.toThrow('business rule failed');
        expect(await dump(a)).toEqual(beforeA);
        expect(await dump(b)).toEqual(beforeB);
        // Indexes were rolled back too: the old key is found, the new keys are free.
        expect((await a.findOne({ 'identifiers.value': '1' }))?._id).toBe('p1');
        expect(await a.findOne({ 'identifiers.value': '9' })).toBeNull();
        await a.insertOne({ _id: 'p9', identifiers: [{ type: 'PHONE', value: '4' }] });
      });

      it('a duplicate key inside a transaction is a DuplicateKeyError and rolls back the whole transaction', async () => {
        const { a } = await profiles();
        await a.insertOne({ _id: 'p1', email: 'a@x.io' });
        const before = await dump(a);
        const err = await store
          .withTransaction(async (session) => {
            await a.insertOne({ _id: 'p2', email: 'b@x.io' }, { session });
            await a.updateOne({ _id: 'p1' }, { $set: { name: 'touched' } }, { session });
            await a.insertOne({ _id: 'p3', email: 'a@x.io' }, { session });
          })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DuplicateKeyError);
        expect(await dump(a)).toEqual(before);
      });

      it('serializes concurrent transactions: no lost updates', async () => {
        const { a } = await profiles();
        await a.insertOne({ _id: 'counter', visits: 0 });
        const n = 12;
        await Promise.all(
          Array.from({ length: n }, () =>
            store.withTransaction(async (session) => {
              // Read-modify-write with a pause in between: without isolation updates would be lost.
              const doc = await a.findOne({ _id: 'counter' }, { session });
              await new Promise((r) => setTimeout(r, 1));
              await a.updateOne({ _id: 'counter' }, { $set: { visits: (doc?.visits ?? 0) + 1 } }, { session });
            }),
          ),
        );
        expect((await a.findOne({ _id: 'counter' }))?.visits).toBe(n);
      });

      it('nested use joins the running transaction', async () => {
        const { a } = await profiles();
        await expect(
          store.withTransaction(async (session) => {
            await a.insertOne({ _id: 'outer' }, { session });
            await store.withTransaction(async (inner) => {
              await a.insertOne({ _id: 'inner' }, { session: inner });
            });
            throw new Error('outer fails');
          }),
        ).rejects.toThrow('outer fails');
        expect(await a.countDocuments({})).toBe(0);
      });

      it('a session cannot be used after its transaction ended', async () => {
        const { a } = await profiles();
        let leaked: StoreSession | undefined;
        await store.withTransaction(async (session) => {
          leaked = session;
          await a.insertOne({ _id: 'p1' }, { session });
        });
        await expect(a.insertOne({ _id: 'p2' }, { session: leaked })).rejects.toBeInstanceOf(SessionMisuseError);
        await expect(a.findOne({}, { session: leaked })).rejects.toBeInstanceOf(SessionMisuseError);
      });
    });

    describe('tenant isolation', () => {
      it('tenant B sees nothing of tenant A, not even by _id or with its own tenantId condition', async () => {
        const { a, b } = await profiles();
        await a.insertOne({ _id: 'a1', name: 'Ada', email: 'ada@x.io' });
        expect(await b.find({})).toEqual([]);
        expect(await b.findOne({ _id: 'a1' })).toBeNull();
        expect(await b.countDocuments({})).toBe(0);
        expect(await b.find({ tenantId: 'tenant-a' })).toEqual([]);
        expect(await b.find({ $or: [{ tenantId: 'tenant-a' }, { name: 'Ada' }] })).toEqual([]);
        expect(await b.find({ _id: { $in: ['a1'] } })).toEqual([]);
        expect((await b.findPage({}, { _id: 1 }, { pageSize: 10 })).items).toEqual([]);
      });

      it('tenant B cannot change or delete tenant A documents, even by _id', async () => {
        const { a, b } = await profiles();
        await a.insertOne({ _id: 'a1', name: 'Ada' });
        const before = await dump(a);
        expect(await b.updateOne({ _id: 'a1' }, { $set: { name: 'pwned' } })).toEqual({ matchedCount: 0, modifiedCount: 0, upsertedId: null });
        expect(await b.updateMany({}, { $set: { name: 'pwned' } })).toMatchObject({ matchedCount: 0 });
        expect(await b.replaceOne({ _id: 'a1' }, { _id: 'a1', name: 'pwned' })).toMatchObject({ matchedCount: 0 });
        expect(await b.findOneAndUpdate({ _id: 'a1' }, { $set: { name: 'pwned' } })).toBeNull();
        expect(await b.deleteOne({ _id: 'a1' })).toEqual({ deletedCount: 0 });
        expect(await b.deleteMany({ tenantId: 'tenant-a' })).toEqual({ deletedCount: 0 });
        expect(await b.findOneAndDelete({ _id: 'a1' })).toBeNull();
        expect(await dump(a)).toEqual(before);
      });

      it('unique indexes are per tenant', async () => {
        const { a, b } = await profiles();
        await a.insertOne({ _id: 'a1', email: 'same@x.io', identifiers: [{ type: 'PHONE', value: '+1' }] });
        await b.insertOne({ _id: 'b1', email: 'same@x.io', identifiers: [{ type: 'PHONE', value: '+1' }] });
        expect((await b.findOne({ email: 'same@x.io' }))?._id).toBe('b1');
        expect((await a.findOne({ 'identifiers.value': '+1' }))?._id).toBe('a1');
      });

      it('documents and updates cannot name another tenant', async () => {
        const { a, b } = await profiles();
        await expect(b.insertOne({ _id: 'x', tenantId: 'tenant-a' })).rejects.toBeInstanceOf(InvalidTenantError);
        await expect(b.replaceOne({ _id: 'x' }, { _id: 'x', tenantId: 'tenant-a' }, { upsert: true })).rejects.toBeInstanceOf(InvalidTenantError);
        await expect(b.updateOne({ _id: 'x' }, { $setOnInsert: { tenantId: 'tenant-a' } }, { upsert: true })).rejects.toBeInstanceOf(ImmutableFieldError);
        expect(await a.countDocuments({})).toBe(0);
        // An upsert lands in the scope's tenant whatever the filter says.
        await b.updateOne({ email: 'e@x.io' }, { $set: { name: 'B' } }, { upsert: true });
        expect(await a.countDocuments({})).toBe(0);
        expect(await b.countDocuments({ email: 'e@x.io' })).toBe(1);
      });

      it('refuses malformed tenant ids', () => {
        for (const bad of ['', 'UPPER', '-lead', 'a_b', 'a'.repeat(64), 'dot.ted', ' space']) {
          expect(() => store.forTenant(bad)).toThrow(InvalidTenantError);
        }
        expect(store.forTenant('a').tenantId).toBe('a');
        expect(store.forTenant('t-1'.padEnd(63, 'x')).tenantId).toHaveLength(63);
      });

      it('unscoped collections see every tenant and need the tenant on each document', async () => {
        const { name, a, b } = await profiles();
        await a.insertOne({ _id: 'a1', name: 'x' });
        await b.insertOne({ _id: 'b1', name: 'x' });
        const all = store.unscoped<Profile>(name);
        expect((await all.find({ name: 'x' }, { sort: { _id: 1 } })).map((d) => d.tenantId)).toEqual(['tenant-a', 'tenant-b']);
        await expect(all.insertOne({ _id: 'n1' } as Profile)).rejects.toBeInstanceOf(InvalidTenantError);
        await all.insertOne({ _id: 'n2', tenantId: 'tenant-b' });
        expect(await b.countDocuments({})).toBe(2);
        await expect(all.updateOne({ _id: 'b1' }, { $set: { tenantId: 'tenant-a' } })).rejects.toBeInstanceOf(ImmutableFieldError);
      });
    });

    describe('returned documents are copies', () => {
      it('mutating what find returns, what was inserted or the update argument changes nothing stored', async () => {
        const { a } = await profiles();
        const input: Profile = { _id: 'p1', tenantId: 'tenant-a', name: 'Ada', tags: ['a'], traits: { nested: { deep: 1 } } };
        await a.insertOne(input);
        input.tags?.push('mutated');
        (input.traits as { nested: { deep: number } }).nested.deep = 2;
        const found = (await a.findOne({ _id: 'p1' })) as Profile;
        expect(found).toEqual({ _id: 'p1', tenantId: 'tenant-a', name: 'Ada', tags: ['a'], traits: { nested: { deep: 1 } } });
        found.tags?.push('x');
        (found.traits as { nested: { deep: number } }).nested.deep = 3;
        found.name = 'changed';
        const listed = await a.find({});
        listed[0]?.tags?.push('y');
        const value = { deep: { list: [1] } };
        await a.updateOne({ _id: 'p1' }, { $set: { 'traits.v': value } });
        value.deep.list.push(2);
        const after = (await a.findOneAndUpdate({ _id: 'p1' }, { $set: { age: 1 } })) as Profile;
        after.tags?.push('z');
        expect(await a.findOne({ _id: 'p1' })).toEqual({ _id: 'p1', tenantId: 'tenant-a', name: 'Ada', tags: ['a'], age: 1, traits: { nested: { deep: 1 }, v: { deep: { list: [1] } } } });
      });
    });
  });
}
