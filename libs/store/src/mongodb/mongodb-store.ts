import { AsyncLocalStorage } from 'node:async_hooks';
import { MongoClient, MongoServerError, type ClientSession, type Collection, type Db, type Document, type TransactionOptions } from 'mongodb';
import { DuplicateKeyError, InvalidOperationError, SessionMisuseError, TransactionConflictError } from '../errors';
import type { StoreLogger } from '../create-store';
import type { CollectionBackend, RawFindOptions } from '../internal/backend';
import { checkExpiry, resolveIndex } from '../internal/indexes';
import { ScopedCollection, tenantScope } from '../internal/scoped-collection';
import type { Doc } from '../internal/values';
import type {
  BaseDocument,
  CollectionOptions,
  DeleteResult,
  DocumentStore,
  Filter,
  FindOneAndUpdateOptions,
  IndexSpec,
  Sort,
  StoreSession,
  TenantCollection,
  TenantScope,
  TransactionBody,
  Update,
  UpdateResult,
} from '../types';

/** A transaction of the MongoDB backend: the driver's session, with the transaction started by `withTransaction`. */
export class MongoSession implements StoreSession {
  readonly backend = 'mongodb' as const;
  /** False once the transaction's callback has returned or thrown. */
  active = true;

  constructor(
    readonly store: MongoDocumentStore,
    readonly clientSession: ClientSession,
  ) {}
}

/** MongoDB's duplicate key error code. */
const DUPLICATE_KEY = 11000;
/** Server codes of conflicting index declarations (IndexOptionsConflict, IndexKeySpecsConflict). */
const INDEX_CONFLICT = new Set([85, 86]);
/** NamespaceExists: the collection exists already. */
const NAMESPACE_EXISTS = 48;
/** WriteConflict: a transaction lost a race for a document. */
const WRITE_CONFLICT = 112;

/**
 * Transactions: majority reads and writes, on the primary. Reads inside a transaction see a
 * majority-committed snapshot, so state that feeds events (outbox) is never read from a write
 * that could still roll back.
 */
const TRANSACTION_OPTIONS: TransactionOptions = {
  readConcern: { level: 'majority' },
  writeConcern: { w: 'majority' },
  readPreference: 'primary',
};

interface WriteErrorLike {
  code?: unknown;
  errmsg?: unknown;
  keyPattern?: unknown;
}

/** The duplicate-key facts of a driver error (also of one inside a bulk write error), or null. Exported for tests. */
export function duplicateKeyOf(err: unknown): { index: string | undefined; keyPattern: Record<string, unknown> | undefined } | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as WriteErrorLike & { writeErrors?: unknown; errorResponse?: WriteErrorLike; message?: unknown };
  const candidates: WriteErrorLike[] = [];
  if (e.code === DUPLICATE_KEY) candidates.push({ code: e.code, errmsg: e.message, keyPattern: e.keyPattern ?? e.errorResponse?.keyPattern });
  const writeErrors = Array.isArray(e.writeErrors) ? (e.writeErrors as unknown[]) : e.writeErrors !== undefined ? [e.writeErrors] : [];
  for (const we of writeErrors) {
    if (typeof we !== 'object' || we === null) continue;
    const w = we as WriteErrorLike & { err?: WriteErrorLike };
    const inner = w.err ?? w;
    if (inner.code === DUPLICATE_KEY || w.code === DUPLICATE_KEY) candidates.push({ errmsg: inner.errmsg ?? w.errmsg, keyPattern: inner.keyPattern ?? w.keyPattern, code: DUPLICATE_KEY });
  }
  if (candidates.length === 0) return null;
  let index: string | undefined;
  let keyPattern: Record<string, unknown> | undefined;
  for (const c of candidates) {
    index ??= /index: (\S+) dup key/.exec(typeof c.errmsg === 'string' ? c.errmsg : '')?.[1];
    if (keyPattern === undefined && typeof c.keyPattern === 'object' && c.keyPattern !== null) keyPattern = c.keyPattern as Record<string, unknown>;
  }
  return { index, keyPattern };
}

/** One collection through the official driver. */
class MongoCollectionBackend implements CollectionBackend {
  constructor(
    readonly name: string,
    private readonly collection: Collection<Document>,
    private readonly store: MongoDocumentStore,
  ) {}

  private session(session: StoreSession | undefined): ClientSession | undefined {
    return this.store.resolveSession(session)?.clientSession;
  }

  /** Runs a driver call, turning a duplicate key into DuplicateKeyError (without the key's value, which the server's message contains). */
  private async run<R>(op: () => Promise<R>): Promise<R> {
    try {
      return await op();
    } catch (err) {
      const dup = duplicateKeyOf(err);
      if (dup !== null) {
        const index = dup.index ?? 'unknown';
        const fields = this.store.indexFields(this.name, index) ?? (dup.keyPattern !== undefined ? Object.keys(dup.keyPattern).filter((f) => f !== 'tenantId') : []);
        throw new DuplicateKeyError(this.name, index, index === '_id_' ? ['_id'] : fields);
      }
      throw err;
    }
  }

  insertMany(docs: Doc[], session?: StoreSession): Promise<void> {
    const s = this.session(session);
    return this.run(async () => {
      // insertMany serializes the documents; the callers' objects are not kept. `ordered` stops at
      // the first error; outside a transaction the documents before it stay inserted.
      if (docs.length === 1) await this.collection.insertOne(docs[0] as Document, { session: s });
      else await this.collection.insertMany(docs as Document[], { session: s, ordered: true });
    });
  }

  find(filter: Filter, options: RawFindOptions): Promise<Doc[]> {
    const s = this.session(options.session);
    return this.run(async () => {
      const cursor = this.collection.find(filter, {
        session: s,
        ...(options.sort !== undefined ? { sort: options.sort } : {}),
        ...(options.skip !== undefined && options.skip > 0 ? { skip: Math.floor(options.skip) } : {}),
        ...(options.limit !== undefined && options.limit > 0 ? { limit: Math.floor(options.limit) } : {}),
        ...(options.projection !== undefined ? { projection: options.projection } : {}),
      });
      return (await cursor.toArray()) as Doc[];
    });
  }

  countDocuments(filter: Filter, session?: StoreSession): Promise<number> {
    const s = this.session(session);
    return this.run(() => this.collection.countDocuments(filter, { session: s }));
  }

  update(filter: Filter, update: Update, options: { multi: boolean; upsert: boolean; session?: StoreSession }): Promise<UpdateResult> {
    const s = this.session(options.session);
    return this.run(async () => {
      const opts = { session: s, upsert: options.upsert };
      const r = options.multi ? await this.collection.updateMany(filter, update, opts) : await this.collection.updateOne(filter, update, opts);
      return { matchedCount: r.matchedCount, modifiedCount: r.modifiedCount, upsertedId: r.upsertedId === null ? null : String(r.upsertedId) };
    });
  }

  replaceOne(filter: Filter, doc: Doc, options: { upsert: boolean; session?: StoreSession }): Promise<UpdateResult> {
    const s = this.session(options.session);
    return this.run(async () => {
      const r = await this.collection.replaceOne(filter, doc, { session: s, upsert: options.upsert });
      return { matchedCount: r.matchedCount, modifiedCount: r.modifiedCount, upsertedId: r.upsertedId === null ? null : String(r.upsertedId) };
    });
  }

  findOneAndUpdate(filter: Filter, update: Update, options: FindOneAndUpdateOptions): Promise<Doc | null> {
    const s = this.session(options.session);
    return this.run(async () => {
      const r = await this.collection.findOneAndUpdate(filter, update, {
        session: s,
        upsert: options.upsert === true,
        // The port's default is the document after the update (the driver's is before).
        returnDocument: options.returnDocument === 'before' ? 'before' : 'after',
        includeResultMetadata: false,
        ...(options.sort !== undefined ? { sort: options.sort } : {}),
        ...(options.projection !== undefined ? { projection: options.projection } : {}),
      });
      return r as Doc | null;
    });
  }

  findOneAndDelete(filter: Filter, options: { sort?: Sort; session?: StoreSession }): Promise<Doc | null> {
    const s = this.session(options.session);
    return this.run(async () => {
      const r = await this.collection.findOneAndDelete(filter, { session: s, includeResultMetadata: false, ...(options.sort !== undefined ? { sort: options.sort } : {}) });
      return r as Doc | null;
    });
  }

  delete(filter: Filter, options: { multi: boolean; session?: StoreSession }): Promise<DeleteResult> {
    const s = this.session(options.session);
    return this.run(async () => {
      const r = options.multi ? await this.collection.deleteMany(filter, { session: s }) : await this.collection.deleteOne(filter, { session: s });
      return { deletedCount: r.deletedCount };
    });
  }
}

/** Options of the MongoDB backend. */
export interface MongoStoreOptions {
  /** Connection string of a replica set (transactions need one). */
  uri: string;
  /** Database name (default: the one in the URI, else `continuum`). */
  dbName?: string | undefined;
  logger?: StoreLogger | undefined;
}

/**
 * The MongoDB backend, through the official driver: majority write concern and retryable writes
 * on every write, majority read concern, transactions through the driver's `withTransaction`
 * helper (which retries transient conflicts and unknown commit results), indexes created with
 * `tenantId` first, duplicate keys as DuplicateKeyError.
 */
export class MongoDocumentStore implements DocumentStore {
  readonly backend = 'mongodb' as const;
  private readonly current = new AsyncLocalStorage<MongoSession>();
  private readonly backends = new Map<string, MongoCollectionBackend>();
  /** Declared fields of each index, to name them in DuplicateKeyError. */
  private readonly declared = new Map<string, Map<string, readonly string[]>>();

  constructor(
    readonly client: MongoClient,
    readonly db: Db,
    private readonly logger?: StoreLogger,
  ) {}

  indexFields(collection: string, index: string): readonly string[] | undefined {
    return this.declared.get(collection)?.get(index);
  }

  private backendCollection(name: string): MongoCollectionBackend {
    let b = this.backends.get(name);
    if (b === undefined) {
      b = new MongoCollectionBackend(name, this.db.collection(name), this);
      this.backends.set(name, b);
    }
    return b;
  }

  resolveSession(session: StoreSession | undefined): MongoSession | null {
    if (session === undefined) return null;
    if (!(session instanceof MongoSession) || session.store !== this) throw new SessionMisuseError('the session belongs to another store');
    if (!session.active) throw new SessionMisuseError('the session is used after its transaction ended');
    return session;
  }

  /** `compact` (a storage hint of the embedded backend) does not apply to MongoDB; `expireAfter` is a TTL index. */
  async defineCollection(name: string, indexes: readonly IndexSpec[], options?: CollectionOptions): Promise<void> {
    const resolved = indexes.map((spec) => resolveIndex(name, spec));
    const expiry = options?.expireAfter;
    if (expiry !== undefined) checkExpiry(name, expiry);
    let fields = this.declared.get(name);
    if (fields === undefined) {
      fields = new Map();
      this.declared.set(name, fields);
    }
    for (const r of resolved) fields.set(r.name, r.fields);
    if (resolved.length === 0 && expiry === undefined) {
      // Create the collection so that transactions can write to it on any server version.
      const existing = await this.db.listCollections({ name }, { nameOnly: true }).toArray();
      if (existing.length === 0) {
        try {
          await this.db.createCollection(name);
        } catch (err) {
          // Another process created it in between: what we wanted.
          if (!(err instanceof MongoServerError && err.code === NAMESPACE_EXISTS)) throw err;
        }
      }
      return;
    }
    try {
      await this.db.collection(name).createIndexes([
        ...resolved.map((r) => {
          const key: Record<string, 1 | -1> = r.crossTenant ? {} : { tenantId: 1 };
          r.fields.forEach((f, i) => (key[f] = r.directions[i] as 1 | -1));
          return {
            key,
            name: r.name,
            unique: r.unique,
            // `sparse` would index every document (each has tenantId); a partial index on the
            // declared fields existing is what "only documents that have the fields" means here.
            ...(r.sparse ? { partialFilterExpression: Object.fromEntries(r.fields.map((f) => [f, { $exists: true }])) } : {}),
          };
        }),
        // A TTL index has one field (MongoDB refuses compound TTL indexes); it serves no query, so
        // it does not lead with tenantId like the others.
        ...(expiry !== undefined ? [{ key: { [expiry.field]: 1 as const }, name: `ttl_${expiry.field}`, expireAfterSeconds: Math.round(expiry.seconds) }] : []),
      ]);
    } catch (err) {
      if (err instanceof MongoServerError && typeof err.code === 'number' && INDEX_CONFLICT.has(err.code)) {
        throw new InvalidOperationError(`an index of ${name} exists with other keys or options: ${err.message}`);
      }
      const dup = duplicateKeyOf(err);
      if (dup !== null) throw new DuplicateKeyError(name, dup.index ?? 'unknown', dup.index !== undefined ? (fields.get(dup.index) ?? []) : []);
      throw err;
    }
  }

  forTenant(tenantId: string): TenantScope {
    return tenantScope(tenantId, (name) => this.backendCollection(name));
  }

  unscoped<T extends BaseDocument>(name: string): TenantCollection<T> {
    return new ScopedCollection<T>(this.backendCollection(name), null);
  }

  async withTransaction<R>(body: TransactionBody<R>): Promise<R> {
    const running = this.current.getStore();
    if (running !== undefined && running.store === this && running.active) return body(running);
    const clientSession = this.client.startSession();
    try {
      return await clientSession.withTransaction(async (s) => {
        // The helper may run the callback again after a transient error: a fresh store session each time.
        const session = new MongoSession(this, s);
        try {
          return await this.current.run(session, body, session);
        } finally {
          session.active = false;
        }
      }, TRANSACTION_OPTIONS);
    } catch (err) {
      if (err instanceof MongoServerError && (err.hasErrorLabel('TransientTransactionError') || err.code === WRITE_CONFLICT)) {
        this.logger?.warn({ code: err.code }, 'document store: transaction gave up after conflicting writes');
        throw new TransactionConflictError('the transaction kept conflicting with concurrent writes', { cause: err });
      }
      throw err;
    } finally {
      await clientSession.endSession();
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Database name from a connection string's path, if any. Exported for tests. */
export function dbNameFromUri(uri: string): string | undefined {
  const m = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]+)/.exec(uri);
  return m?.[1] !== undefined && m[1] !== '' ? decodeURIComponent(m[1]) : undefined;
}

/** Connects to MongoDB and returns the store (fails fast when the server cannot be reached). */
export async function connectMongoStore(options: MongoStoreOptions): Promise<MongoDocumentStore> {
  const client = new MongoClient(options.uri, {
    writeConcern: { w: 'majority' },
    readConcern: { level: 'majority' },
    retryWrites: true,
    retryReads: true,
    // Absent and undefined mean the same, as in the embedded store (which drops undefined fields).
    ignoreUndefined: true,
    // Bytes come back as bytes (a Buffer), as from the embedded store, not as BSON Binary objects.
    promoteBuffers: true,
    appName: 'continuum',
  });
  await client.connect();
  const dbName = options.dbName ?? dbNameFromUri(options.uri) ?? 'continuum';
  options.logger?.info({ backend: 'mongodb', db: dbName }, 'document store: MongoDB');
  return new MongoDocumentStore(client, client.db(dbName), options.logger);
}
