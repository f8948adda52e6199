/**
 * The document store port: the subset of the official MongoDB driver's collection API that
 * Continuum's repositories use, with tenancy built in. Two backends implement it: MongoDB (the
 * official driver) and the embedded in-process store (mingo semantics, real unique indexes).
 *
 * Every document carries `tenantId`; a repository reaches a collection only through
 * `store.forTenant(tenantId)`, which adds the tenant to every filter, insert and upsert, and every
 * index declared with `defineCollection` is created with `tenantId` as its first key.
 */

/** A filter with MongoDB query semantics (`$eq`, `$in`, `$gt`, `$elemMatch`, `$or`, dotted paths...). */
export type Filter = Record<string, unknown>;
/** An update document with MongoDB update operators (`$set`, `$unset`, `$inc`, `$push`, `$pull`, `$addToSet`, `$setOnInsert`, ...). */
export type Update = Record<string, unknown>;
/** A sort specification, e.g. `{ occurredAt: 1, _id: 1 }`. Key order matters. */
export type Sort = Record<string, 1 | -1>;
/** A projection, e.g. `{ _id: 1, name: 1 }` or `{ secret: 0 }`. */
export type Projection = Record<string, 0 | 1>;

/**
 * Every stored document: a string `_id` and the tenant it belongs to. `_id` is unique per
 * collection across tenants (MongoDB's `_id` index cannot start with the tenant): generate it
 * (`newId()`), never take it from a caller; client-supplied keys belong in a unique index, which
 * is per tenant. Field names must not start with `$`.
 */
export interface BaseDocument {
  _id: string;
  tenantId: string;
}

/** A document as the caller writes it: the tenant is filled in by the tenant scope. */
export type NewDocument<T extends BaseDocument> = Omit<T, 'tenantId'> & { tenantId?: string };

/** An open transaction; pass it as `{ session }` to every operation that belongs to it. */
export interface StoreSession {
  /** Opaque to callers; each backend keeps its own state here. */
  readonly backend: 'mongodb' | 'embedded';
}

/** Options common to every operation. */
export interface SessionOption {
  /** Run the operation inside this transaction. */
  session?: StoreSession;
}

export interface FindOptions extends SessionOption {
  sort?: Sort;
  limit?: number;
  skip?: number;
  projection?: Projection;
}

export interface UpdateOptions extends SessionOption {
  upsert?: boolean;
}

export interface FindOneAndUpdateOptions extends UpdateOptions {
  /** Return the document as it is after the update (default) or as it was before. */
  returnDocument?: 'before' | 'after';
  sort?: Sort;
  projection?: Projection;
}

export interface UpdateResult {
  matchedCount: number;
  modifiedCount: number;
  /** The `_id` of the inserted document when the update was an upsert that inserted. */
  upsertedId: string | null;
}

export interface DeleteResult {
  deletedCount: number;
}

/** One index of a collection. `tenantId` is put before `key` by the store. */
export interface IndexSpec {
  /** Fields and directions, e.g. `{ 'identifiers.key': 1 }`. Must not mention `tenantId`. */
  key: Record<string, 1 | -1>;
  /** Index name (defaults to the backend's naming). */
  name?: string;
  /** Refuse two documents with the same key within a tenant (DuplicateKeyError). */
  unique?: boolean;
  /** Only index documents where all key fields exist (for optional unique fields). */
  sparse?: boolean;
  /**
   * For queries of an `unscoped` collection across tenants (the outbox relay's "oldest pending
   * entries"): MongoDB keeps this index without the leading tenantId, so such a query is an index
   * scan instead of a collection scan. Not allowed with `unique` (uniqueness is per tenant). The
   * embedded backend serves cross-tenant queries from its per-tenant indexes either way.
   */
  crossTenant?: boolean;
}

/** How a collection is kept: storage hints for the embedded backend (MongoDB ignores `compact`), and expiry. */
export interface CollectionOptions {
  /**
   * Embedded backend: keep the documents encoded (compact JSON text with typed dates) instead of
   * as objects: about half the memory (a profile of ~800 characters takes ~840 bytes instead of
   * ~2 KB), at the price of decoding every document a query examines (a few µs each). For large
   * collections read by key (profiles), not for collections scanned or sorted in bulk. Document
   * field names must then not start with `$`. Default false.
   */
  compact?: boolean;
  /**
   * Documents whose Date `field` is more than `seconds` old are deleted by the store in the
   * background (idempotency records, sessions): MongoDB keeps a TTL index on the field (its
   * monitor runs about every minute); the embedded backend sweeps every `min(60, seconds / 2)`
   * seconds. Expiry is eventual: a document may outlive its time by up to one sweep.
   */
  expireAfter?: { field: string; seconds: number };
}

/** Keyset pagination: the next page starts strictly after the last item of this page. */
export interface PageRequest {
  /** Items per page; the store caps it at `maxPageSize`. */
  pageSize: number;
  /** The `nextPageToken` of the previous page, or empty for the first page. */
  pageToken?: string;
  /** Upper bound for `pageSize` (default 1000). */
  maxPageSize?: number;
  /** Page size when `pageSize` is 0 or missing (AIP-158: the server picks; default 50). */
  defaultPageSize?: number;
}

export interface Page<T> {
  items: T[];
  /** Empty when there are no more items. */
  nextPageToken: string;
}

/** A collection scoped to one tenant: the tenant is part of every filter and every written document. */
export interface TenantCollection<T extends BaseDocument> {
  readonly name: string;
  /** The tenant of the scope (`'*'` for an `unscoped` collection). */
  readonly tenantId: string;
  insertOne(doc: NewDocument<T>, options?: SessionOption): Promise<void>;
  insertMany(docs: readonly NewDocument<T>[], options?: SessionOption): Promise<void>;
  findOne(filter: Filter, options?: FindOptions): Promise<T | null>;
  find(filter: Filter, options?: FindOptions): Promise<T[]>;
  /** Keyset pagination over `sort` (which must end with `_id` for a total order; the store appends it if missing). */
  findPage(filter: Filter, sort: Sort, page: PageRequest, options?: SessionOption & { projection?: Projection }): Promise<Page<T>>;
  countDocuments(filter: Filter, options?: SessionOption): Promise<number>;
  updateOne(filter: Filter, update: Update, options?: UpdateOptions): Promise<UpdateResult>;
  updateMany(filter: Filter, update: Update, options?: UpdateOptions): Promise<UpdateResult>;
  /** Replaces the whole document (the tenant is kept). */
  replaceOne(filter: Filter, doc: NewDocument<T>, options?: UpdateOptions): Promise<UpdateResult>;
  findOneAndUpdate(filter: Filter, update: Update, options?: FindOneAndUpdateOptions): Promise<T | null>;
  findOneAndDelete(filter: Filter, options?: SessionOption & { sort?: Sort }): Promise<T | null>;
  deleteOne(filter: Filter, options?: SessionOption): Promise<DeleteResult>;
  deleteMany(filter: Filter, options?: SessionOption): Promise<DeleteResult>;
}

/** The collections of one tenant. */
export interface TenantScope {
  readonly tenantId: string;
  collection<T extends BaseDocument>(name: string): TenantCollection<T>;
}

/** What a transaction body gets: the session to pass to each operation. */
export type TransactionBody<R> = (session: StoreSession) => Promise<R>;

/** The document store: one per process, shared by every repository of a service. */
export interface DocumentStore {
  readonly backend: 'mongodb' | 'embedded';
  /** Declares a collection and its indexes (idempotent; call at start-up before serving). */
  defineCollection(name: string, indexes: readonly IndexSpec[], options?: CollectionOptions): Promise<void>;
  /** The collections of a tenant. Throws InvalidTenantError for an empty or malformed tenant id. */
  forTenant(tenantId: string): TenantScope;
  /**
   * UNSCOPED, cross-tenant access to a collection, for the few infrastructure places that must
   * work across tenants (the outbox relay, the erasure sweeper, benchmarks) and never for serving
   * a tenant's request: filters are taken as they are (no tenant is added), so a query sees every
   * tenant's documents. Writes still keep tenants apart: every document inserted or upserted must
   * carry a valid `tenantId` (InvalidTenantError otherwise) and no update may change `tenantId`.
   * Equality lookups on an index's fields still use the index (per tenant).
   */
  unscoped<T extends BaseDocument>(name: string): TenantCollection<T>;
  /**
   * Runs `body` in a transaction: every operation given the session commits together or not at
   * all. A body that throws rolls everything back and the error propagates. Transient conflicts
   * are retried (the body must be safe to run again); TransactionConflictError when they persist.
   * A `withTransaction` inside a running body joins it (one commit, one rollback). Pass the
   * session to every operation of the body: the embedded store refuses a write without it inside
   * its own transaction (SessionMisuseError; it would wait for itself), and a session used after
   * its transaction ended is refused too. Writers are isolated: in the embedded store they run one
   * transaction at a time (a write outside a transaction waits for the running one) and readers
   * outside a transaction see committed versions only; MongoDB gives snapshot isolation with
   * majority read and write concern.
   */
  withTransaction<R>(body: TransactionBody<R>): Promise<R>;
  /** Closes connections; pending operations finish first. */
  close(): Promise<void>;
}
