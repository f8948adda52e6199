import { sleep, waitFor } from '@continuum/testing';
import { DuplicateKeyError, InvalidOperationError, SessionMisuseError, TransactionConflictError, createEmbeddedStore, type BaseDocument, type EmbeddedDocumentStore, type TenantCollection } from '../index';

interface Profile extends BaseDocument {
  identifiers?: Array<{ type: string; value: string }>;
  segment?: string;
  score?: number;
  name?: string;
}

async function seeded(n: number): Promise<{ store: EmbeddedDocumentStore; a: TenantCollection<Profile> }> {
  const store = createEmbeddedStore();
  await store.defineCollection('profiles', [
    { key: { 'identifiers.value': 1 }, unique: true, sparse: true },
    { key: { segment: 1, score: -1 } },
  ]);
  const a = store.forTenant('tenant-a').collection<Profile>('profiles');
  const b = store.forTenant('tenant-b').collection<Profile>('profiles');
  const docs: Profile[] = [];
  for (let i = 0; i < n; i++) {
    docs.push({ _id: `p${i}`, tenantId: 'tenant-a', identifiers: [{ type: 'PHONE', value: `+44${i}` }, { type: 'EMAIL', value: `u${i}@x.io` }], segment: `s${i % 10}`, score: i % 100, name: `n${i}` });
  }
  await a.insertMany(docs);
  await b.insertMany(docs.map((d) => ({ ...d, _id: `b-${d._id}`, tenantId: 'tenant-b' })));
  store.resetStats();
  return { store, a };
}

describe('embedded store: index use (explain)', () => {
  it('answers an equality on an indexed field without a scan', async () => {
    const { store, a } = await seeded(2000);
    const doc = await a.findOne({ 'identifiers.value': 'u1234@x.io' });
    expect(doc?._id).toBe('p1234');
    const stats = store.stats();
    expect(stats.lastPlan).toEqual({ kind: 'index', index: 'tenantId_1_identifiers.value_1', prefix: 1 });
    expect(stats.docsExamined).toBe(1);
    expect(stats.collectionScans).toBe(0);
  });

  it('answers $in on an indexed field and _id lookups by key', async () => {
    const { store, a } = await seeded(2000);
    const docs = await a.find({ 'identifiers.value': { $in: ['+445', 'u7@x.io', '+44999', 'missing'] } }, { sort: { _id: 1 } });
    expect(docs.map((d) => d._id)).toEqual(['p5', 'p7', 'p999']);
    expect(store.stats().docsExamined).toBe(3);
    store.resetStats();
    expect((await a.find({ _id: { $in: ['p1', 'p2', 'b-p3'] } })).map((d) => d._id).sort()).toEqual(['p1', 'p2']);
    expect(store.stats()).toMatchObject({ lastPlan: { kind: 'id' }, docsExamined: 2, collectionScans: 0 });
  });

  it('uses the equality prefix of a compound index for a range, and walks it in order for a sort with a limit', async () => {
    const { store, a } = await seeded(2000);
    const docs = await a.find({ segment: 's3', score: { $gte: 90 } }, { sort: { score: -1 }, limit: 5 });
    expect(docs.map((d) => d.score)).toEqual([93, 93, 93, 93, 93]);
    let stats = store.stats();
    expect(stats.lastPlan).toEqual({ kind: 'index', index: 'tenantId_1_segment_1_score_-1', prefix: 1, ordered: true });
    // Walked from the highest score: only the 20 documents tied at 93 were looked at.
    expect(stats.docsExamined).toBe(20);
    store.resetStats();
    const byName = await a.find({ segment: 's3', score: { $gte: 90 } }, { sort: { name: 1 }, limit: 3 });
    expect(byName.map((d) => d.name)).toEqual(['n1093', 'n1193', 'n1293']);
    stats = store.stats();
    expect(stats.lastPlan).toEqual({ kind: 'index', index: 'tenantId_1_segment_1_score_-1', prefix: 1 });
    // Only the 200 documents of segment s3 in tenant A were looked at, not 4000.
    expect(stats.docsExamined).toBe(200);
  });

  it('returns the same order walking an index as sorting, ties broken by the rest of the sort', async () => {
    const { store, a } = await seeded(1000);
    for (const [sort, limit, skip] of [
      [{ score: 1, _id: 1 }, 7, 0],
      [{ score: -1, _id: -1 }, 13, 5],
      [{ score: 1, name: -1 }, 30, 0],
    ] as const) {
      const walked = await a.find({ segment: 's7' }, { sort, limit, skip });
      expect(store.stats().lastPlan).toMatchObject({ ordered: true });
      const all = await a.find({ segment: 's7' }, { sort });
      expect(walked.map((d) => d._id)).toEqual(all.slice(skip, skip + limit).map((d) => d._id));
    }
    // Pages through the walk match a full sort.
    const ids: string[] = [];
    let token = '';
    do {
      const page = await a.findPage({ segment: 's7' }, { score: -1 }, { pageSize: 9, pageToken: token });
      ids.push(...page.items.map((d) => d._id));
      token = page.nextPageToken;
    } while (token !== '');
    expect(ids).toEqual((await a.find({ segment: 's7' }, { sort: { score: -1, _id: 1 } })).map((d) => d._id));
  });

  it('keeps the order of a walked index through inserts, updates and deletes', async () => {
    const { a } = await seeded(300);
    const check = async () => {
      const walked = await a.find({ segment: 's1' }, { sort: { score: 1, _id: 1 }, limit: 1000 });
      const sorted = await a.find({ segment: 's1' }, { sort: { score: 1, _id: 1 } });
      expect(walked.map((d) => d._id)).toEqual(sorted.map((d) => d._id));
    };
    await check();
    await a.insertMany([
      { _id: 'x1', segment: 's1', score: -5 },
      { _id: 'x2', segment: 's1', score: 1000 },
      { _id: 'x3', segment: 's1', score: 50.5 },
      { _id: 'x4', segment: 's1' },
    ]);
    await a.updateMany({ segment: 's1', score: { $gte: 40, $lt: 60 } }, { $inc: { score: 0.25 } });
    await a.deleteMany({ segment: 's1', score: { $lt: 10 } });
    await a.updateOne({ _id: 'x4' }, { $set: { score: 7 } });
    await check();
  });

  it('walks an index in order without any equality when the sort starts with its first field', async () => {
    const { store, a } = await seeded(500);
    const docs = await a.find({}, { sort: { segment: -1, score: -1 }, limit: 2 });
    expect(docs.map((d) => [d.segment, d.score])).toEqual([
      ['s9', 99],
      ['s9', 99],
    ]);
    expect(store.stats().lastPlan).toMatchObject({ kind: 'index', ordered: true });
    expect(store.stats().docsExamined).toBeLessThan(10);
  });

  it('does not use a sparse compound index for an equality on part of it', async () => {
    const store = createEmbeddedStore();
    await store.defineCollection('c', [{ key: { a: 1, b: 1 }, sparse: true }]);
    const c = store.forTenant('t').collection<BaseDocument & { a: number; b?: number }>('c');
    await c.insertMany([
      { _id: '1', a: 1, b: 1 },
      { _id: '2', a: 1 },
    ]);
    expect((await c.find({ a: 1 }, { sort: { _id: 1 } })).map((d) => d._id)).toEqual(['1', '2']);
    expect((await c.find({ a: 1, b: 1 })).map((d) => d._id)).toEqual(['1']);
    expect(store.stats().lastPlan).toMatchObject({ kind: 'index' });
  });

  it('scans (only the tenant) when no index applies', async () => {
    const { store, a } = await seeded(500);
    expect(await a.countDocuments({ name: 'n42' })).toBe(1);
    expect(store.stats()).toMatchObject({ lastPlan: { kind: 'scan' }, docsExamined: 500 });
  });

  it('keeps indexes right through updates, deletes and replacements', async () => {
    const { store, a } = await seeded(100);
    await a.updateOne({ _id: 'p1' }, { $set: { 'identifiers.0.value': '+new' } });
    expect(await a.findOne({ 'identifiers.value': '+441' })).toBeNull();
    expect((await a.findOne({ 'identifiers.value': '+new' }))?._id).toBe('p1');
    await a.replaceOne({ _id: 'p2' }, { _id: 'p2', identifiers: [{ type: 'LOGIN', value: 'l2' }] });
    expect(await a.findOne({ 'identifiers.value': 'u2@x.io' })).toBeNull();
    expect((await a.findOne({ 'identifiers.value': 'l2' }))?._id).toBe('p2');
    await a.deleteOne({ _id: 'p3' });
    expect(await a.findOne({ 'identifiers.value': '+443' })).toBeNull();
    // The freed keys can be taken again.
    await a.insertOne({ _id: 'q', identifiers: [{ type: 'PHONE', value: '+441' }, { type: 'PHONE', value: '+443' }] });
    store.resetStats();
    expect((await a.findOne({ 'identifiers.value': '+443' }))?._id).toBe('q');
    expect(store.stats().docsExamined).toBe(1);
  });
});

describe('embedded store: transactions and isolation', () => {
  it('readers outside a running transaction see committed versions only', async () => {
    const { a, store } = await seeded(10);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inside!: () => void;
    const reached = new Promise<void>((r) => (inside = r));
    const txn = store.withTransaction(async (session) => {
      await a.insertOne({ _id: 'new', identifiers: [{ type: 'PHONE', value: '+new' }] }, { session });
      await a.updateOne({ _id: 'p1' }, { $set: { 'identifiers.0.value': '+changed', name: 'changed' } }, { session });
      await a.deleteOne({ _id: 'p2' }, { session });
      inside();
      await gate;
    });
    await reached;
    expect(await a.findOne({ _id: 'new' })).toBeNull();
    expect(await a.findOne({ 'identifiers.value': '+new' })).toBeNull();
    expect((await a.findOne({ 'identifiers.value': '+441' }))?._id).toBe('p1');
    expect(await a.findOne({ 'identifiers.value': '+changed' })).toBeNull();
    expect((await a.findOne({ _id: 'p1' }))?.name).toBe('n1');
    expect((await a.findOne({ _id: 'p2' }))?._id).toBe('p2');
    expect(await a.countDocuments({})).toBe(10);
    expect((await a.find({ name: { $in: ['n1', 'n2', 'changed'] } })).map((d) => d._id).sort()).toEqual(['p1', 'p2']);
    release();
    await txn;
    expect((await a.findOne({ _id: 'new' }))?._id).toBe('new');
    expect((await a.findOne({ _id: 'p1' }))?.name).toBe('changed');
    expect(await a.findOne({ _id: 'p2' })).toBeNull();
    expect(await a.countDocuments({})).toBe(10);
  });

  it('walks an index in order for a reader outside a running transaction, in the committed versions', async () => {
    const { a, store } = await seeded(200);
    const sorts = [
      { score: -1, _id: 1 },
      { score: 1, _id: -1 },
    ] as const;
    const committed = await Promise.all(sorts.map((sort) => a.find({ segment: 's3' }, { sort })));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inside!: () => void;
    const reached = new Promise<void>((r) => (inside = r));
    const txn = store.withTransaction(async (session) => {
      await a.insertOne({ _id: 'new', segment: 's3', score: 1000 }, { session });
      await a.updateOne({ _id: 'p3' }, { $set: { score: 500 } }, { session }); // committed: the lowest, now the highest
      await a.updateOne({ _id: 'p93' }, { $set: { segment: 's4' } }, { session }); // committed: the highest, now elsewhere
      await a.deleteOne({ _id: 'p193' }, { session }); // committed: tied highest
      await a.updateOne({ _id: 'p5' }, { $set: { score: 99 } }, { session }); // another segment
      // The transaction itself walks its own versions.
      expect((await a.find({ segment: 's3' }, { sort: sorts[0], limit: 3, session })).map((d) => d._id)).toEqual(['new', 'p3', 'p183']);
      inside();
      await gate;
    });
    await reached;
    for (const [k, sort] of sorts.entries()) {
      for (const limit of [1, 3, 8, 25]) {
        store.resetStats();
        const walked = await a.find({ segment: 's3' }, { sort, limit });
        expect(store.stats().lastPlan).toMatchObject({ kind: 'index', ordered: true });
        expect(walked.map((d) => [d._id, d.score])).toEqual(committed[k]?.slice(0, limit).map((d) => [d._id, d.score]));
      }
    }
    release();
    await txn;
    expect((await a.find({ segment: 's3' }, { sort: sorts[0], limit: 3 })).map((d) => d._id)).toEqual(['new', 'p3', 'p183']);
    expect((await a.find({ segment: 's3' }, { sort: sorts[1], limit: 2 })).map((d) => d._id)).toEqual(['p103', 'p13']);
  });

  it('a walk the index gives up half way (an embedded document as a key) still finds every match for a reader outside a running transaction', async () => {
    const store = createEmbeddedStore();
    await store.defineCollection('events', [{ key: { stream: 1, at: 1, tag: 1 } }]);
    const events = store.forTenant('tenant-a').collection<BaseDocument & { stream: string; at: number; tag: unknown }>('events');
    // at=1 and at=2 walk in order; under at=3 a tag is an object, which the index cannot order.
    await events.insertMany([
      { _id: 'e1', tenantId: 'tenant-a', stream: 's', at: 1, tag: 'a' },
      { _id: 'e2', tenantId: 'tenant-a', stream: 's', at: 2, tag: 'b' },
      { _id: 'e3', tenantId: 'tenant-a', stream: 's', at: 3, tag: { k: 1 } },
      { _id: 'e4', tenantId: 'tenant-a', stream: 's', at: 3, tag: 'c' },
      { _id: 'other', tenantId: 'tenant-a', stream: 't', at: 0, tag: 'x' },
    ]);
    const sort = { at: 1, tag: 1 } as const;
    const expected = (await events.find({ stream: 's' }, { sort, limit: 10 })).map((d) => d._id);
    expect(expected).toEqual(['e1', 'e2', 'e4', 'e3']);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inside!: () => void;
    const reached = new Promise<void>((r) => (inside = r));
    const txn = store.withTransaction(async (session) => {
      await events.updateOne({ _id: 'other' }, { $set: { at: 5 } }, { session });
      inside();
      await gate;
    });
    await reached;
    try {
      expect((await events.find({ stream: 's' }, { sort, limit: 10 })).map((d) => d._id)).toEqual(expected);
    } finally {
      release();
      await txn;
    }
  });

  it('a write outside the transaction waits until the transaction has finished', async () => {
    const { a, store } = await seeded(1);
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const txn = store.withTransaction(async (session) => {
      await a.updateOne({ _id: 'p0' }, { $set: { score: 1 } }, { session });
      order.push('txn wrote');
      await gate;
      order.push('txn done');
    });
    await Promise.resolve();
    const outside = a.updateOne({ _id: 'p0' }, { $inc: { score: 10 } }).then(() => order.push('outside wrote'));
    await sleep(5);
    expect(order).toEqual(['txn wrote']);
    release();
    await Promise.all([txn, outside]);
    expect(order).toEqual(['txn wrote', 'txn done', 'outside wrote']);
    expect((await a.findOne({ _id: 'p0' }))?.score).toBe(11);
  });

  it('refuses a write without the session inside the transaction (it would wait for itself)', async () => {
    const { a, store } = await seeded(1);
    await expect(
      store.withTransaction(async (session) => {
        await a.updateOne({ _id: 'p0' }, { $set: { score: 5 } }, { session });
        await a.updateOne({ _id: 'p0' }, { $set: { score: 6 } });
      }),
    ).rejects.toBeInstanceOf(SessionMisuseError);
    expect((await a.findOne({ _id: 'p0' }))?.score).toBe(0);
  });

  it('a writer waiting too long for the running transaction fails instead of hanging', async () => {
    const store = createEmbeddedStore({ lockTimeoutMs: 50 });
    const c = store.forTenant('t').collection<BaseDocument & { n?: number }>('c');
    await c.insertOne({ _id: '1', n: 0 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const txn = store.withTransaction(async (session) => {
      await c.updateOne({ _id: '1' }, { $set: { n: 1 } }, { session });
      await gate;
    });
    await Promise.resolve();
    await expect(c.updateOne({ _id: '1' }, { $set: { n: 2 } })).rejects.toBeInstanceOf(TransactionConflictError);
    await expect(store.withTransaction(() => Promise.resolve())).rejects.toBeInstanceOf(TransactionConflictError);
    release();
    await txn;
    await c.updateOne({ _id: '1' }, { $inc: { n: 10 } });
    expect((await c.findOne({ _id: '1' }))?.n).toBe(11);
  });

  it('a session of another store is refused', async () => {
    const { a } = await seeded(1);
    const other = createEmbeddedStore();
    await other.withTransaction(async (session) => {
      await expect(a.findOne({}, { session })).rejects.toBeInstanceOf(SessionMisuseError);
    });
  });

  it('insertMany is all or nothing', async () => {
    const { a } = await seeded(3);
    await expect(
      a.insertMany([
        { _id: 'x1', identifiers: [{ type: 'PHONE', value: '+x1' }] },
        { _id: 'x2', identifiers: [{ type: 'PHONE', value: '+440' }] },
      ]),
    ).rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await a.findOne({ _id: 'x1' })).toBeNull();
    expect(await a.findOne({ 'identifiers.value': '+x1' })).toBeNull();
  });

  it('an updateMany that fails half-way changes nothing', async () => {
    const { a } = await seeded(3);
    await expect(a.updateMany({}, { $set: { 'identifiers.0.value': 'same' } })).rejects.toBeInstanceOf(DuplicateKeyError);
    expect((await a.find({}, { sort: { _id: 1 } })).map((d) => d.identifiers?.[0]?.value)).toEqual(['+440', '+441', '+442']);
  });

  it('an invalid update operation is an InvalidOperationError and changes nothing', async () => {
    const { a } = await seeded(1);
    await expect(a.updateOne({ _id: 'p0' }, { $inc: { name: 1 } })).rejects.toBeInstanceOf(InvalidOperationError);
    await expect(a.updateOne({ _id: 'p0' }, { $bogus: { name: 1 } })).rejects.toBeInstanceOf(InvalidOperationError);
    expect((await a.findOne({ _id: 'p0' }))?.name).toBe('n0');
  });
});

describe('embedded store: compact collections', () => {
  it('refuses a document it cannot encode without touching the indexes', async () => {
    const store = createEmbeddedStore();
    await store.defineCollection('c', [{ key: { k: 1 }, unique: true }], { compact: true });
    const c = store.forTenant('t').collection<BaseDocument & { k: string; bad?: unknown }>('c');
    await expect(c.insertOne({ _id: '1', k: 'x', bad: { $weird: 1 } })).rejects.toBeInstanceOf(InvalidOperationError);
    await c.insertOne({ _id: '2', k: 'x' });
    await expect(c.updateOne({ _id: '2' }, { $set: { k: 'y', bad: new Map() } })).rejects.toBeInstanceOf(InvalidOperationError);
    expect(await c.findOne({ k: 'x' })).toEqual({ _id: '2', tenantId: 't', k: 'x' });
    expect(await c.findOne({ k: 'y' })).toBeNull();
  });

  it('converts the documents already stored when a collection becomes compact (and back)', async () => {
    const store = createEmbeddedStore();
    const c = store.forTenant('t').collection<BaseDocument & { at: Date; n: number }>('c');
    await c.insertOne({ _id: '1', at: new Date(7), n: 1 });
    await store.defineCollection('c', [{ key: { n: 1 } }], { compact: true });
    expect(await c.findOne({ n: 1 })).toEqual({ _id: '1', tenantId: 't', at: new Date(7), n: 1 });
    await store.defineCollection('c', [], { compact: false });
    expect((await c.findOne({ _id: '1' }))?.at).toEqual(new Date(7));
  });
});

describe('embedded store: index declarations', () => {
  it('refuses a unique index over existing duplicates, and conflicting redeclarations', async () => {
    const store = createEmbeddedStore();
    const c = store.forTenant('t').collection<BaseDocument & { k: string }>('c');
    await c.insertMany([
      { _id: '1', k: 'x' },
      { _id: '2', k: 'x' },
    ]);
    await expect(store.defineCollection('c', [{ key: { k: 1 }, unique: true }])).rejects.toBeInstanceOf(DuplicateKeyError);
    await store.defineCollection('c', [{ key: { k: 1 } }]);
    await store.defineCollection('c', [{ key: { k: 1 } }]);
    await expect(store.defineCollection('c', [{ key: { k: 1 }, unique: true }])).rejects.toBeInstanceOf(InvalidOperationError);
    await expect(store.defineCollection('c', [{ key: { tenantId: 1 } }])).rejects.toBeInstanceOf(InvalidOperationError);
  });
});

interface Expiring extends BaseDocument {
  key?: string;
  createdAt?: Date;
  at?: Date;
}

describe('embedded store: expiring collections', () => {
  it('deletes, in every tenant, the documents older than the expiry and keeps the rest', async () => {
    const store = createEmbeddedStore();
    await store.defineCollection('requests', [{ key: { key: 1 }, unique: true }], { expireAfter: { field: 'createdAt', seconds: 3600 } });
    const now = Date.parse('2026-11-22T12:00:00Z');
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);
    await store.forTenant('acme').collection<Expiring>('requests').insertMany([
      { _id: 'old', key: 'a', createdAt: at(61) },
      { _id: 'fresh', key: 'b', createdAt: at(59) },
      { _id: 'undated', key: 'c' },
    ]);
    await store.forTenant('globex').collection<Expiring>('requests').insertOne({ _id: 'g-old', key: 'a', createdAt: at(120) });
    expect(await store.sweepExpired('requests', { field: 'createdAt', seconds: 3600 }, now)).toBe(2);
    expect((await store.unscoped('requests').find({}, { sort: { _id: 1 } })).map((d) => d._id)).toEqual(['fresh', 'undated']);
    // The freed unique key can be used again.
    await store.forTenant('acme').collection<Expiring>('requests').insertOne({ _id: 'again', key: 'a', createdAt: at(0) });
    await store.close();
  });

  it('sweeps in the background, without being asked', async () => {
    const store = createEmbeddedStore();
    await store.defineCollection('sessions', [], { expireAfter: { field: 'at', seconds: 2 } });
    const sessions = store.forTenant('acme').collection<Expiring>('sessions');
    await sessions.insertMany([
      { _id: 'stale', at: new Date(Date.now() - 10_000) },
      { _id: 'live', at: new Date(Date.now() + 60_000) },
    ]);
    // Sweeps run every second here (half the expiry, at most a minute).
    await waitFor(async () => (await sessions.findOne({ _id: 'stale' })) === null, { timeoutMs: 4000, intervalMs: 100, description: 'the background sweep' });
    expect((await sessions.find({})).map((d) => d._id)).toEqual(['live']);
    await store.close();
  });

  it('a background sweep that fails (the write lock held too long) is tried again at the next one, and does not reject unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const store = createEmbeddedStore({ lockTimeoutMs: 50 });
    try {
      await store.defineCollection('sessions', [], { expireAfter: { field: 'at', seconds: 1 } });
      const sessions = store.forTenant('acme').collection<Expiring>('sessions');
      await sessions.insertOne({ _id: 'stale', at: new Date(Date.now() - 10_000) });
      // Sweeps run every 500 ms here; the transaction holds the write lock across at least one, which gives up after 50 ms.
      await store.withTransaction(() => sleep(1200));
      await waitFor(async () => (await sessions.findOne({ _id: 'stale' })) === null, { timeoutMs: 4000, intervalMs: 50, description: 'the sweep after the failed one' });
      await sleep(10);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await store.close();
    }
  });

  it('refuses an expiry without a usable field or with a non-positive time, defining nothing', async () => {
    const store = createEmbeddedStore();
    await expect(store.defineCollection('x', [], { expireAfter: { field: '', seconds: 60 } })).rejects.toBeInstanceOf(InvalidOperationError);
    await expect(store.defineCollection('x', [], { expireAfter: { field: 'tenantId', seconds: 60 } })).rejects.toBeInstanceOf(InvalidOperationError);
    await expect(store.defineCollection('x', [], { expireAfter: { field: 'createdAt', seconds: 0 } })).rejects.toBeInstanceOf(InvalidOperationError);
    await store.close();
  });
});
