import { ImmutableFieldError, InvalidOperationError, InvalidTenantError } from '../errors';
import { newId, validateTenantId } from '../tenancy';
import type {
  BaseDocument,
  DeleteResult,
  Filter,
  FindOneAndUpdateOptions,
  FindOptions,
  NewDocument,
  Page,
  PageRequest,
  Projection,
  SessionOption,
  Sort,
  TenantCollection,
  TenantScope,
  Update,
  UpdateOptions,
  UpdateResult,
} from '../types';
import type { CollectionBackend } from './backend';
import { DEFAULT_MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, decodePageToken, encodePageToken, keysetFilter, projectionForPaging, tokenBinding, totalSort } from './paging';
import { isPlainObject, unsetPath, type Doc } from './values';

/** Operators through which an update may name `tenantId` / `_id` (only to the value they already have, on insert). */
const INSERT_ONLY = '$setOnInsert';

/**
 * A collection seen through a tenant (`tenantId` set) or across tenants (`tenantId` null, for
 * `unscoped`). Written once for both backends: it adds the tenant to every filter, document and
 * upsert, refuses to move documents between tenants, makes ids and page tokens.
 */
export class ScopedCollection<T extends BaseDocument> implements TenantCollection<T> {
  readonly name: string;

  constructor(
    private readonly backend: CollectionBackend,
    private readonly scope: string | null,
  ) {
    this.name = backend.name;
  }

  /** The tenant of this view ('*' for an unscoped view). */
  get tenantId(): string {
    return this.scope ?? '*';
  }

  private filter(filter: Filter): Filter {
    if (!isPlainObject(filter)) throw new InvalidOperationError('a filter must be a plain object');
    const tenantId = this.scope;
    if (tenantId === null) return filter;
    // The tenant condition sits at the top level, ANDed with the caller's filter: nothing the
    // caller writes (another tenantId, an $or) can widen it. A caller's own tenantId condition is
    // kept (ANDed) rather than overwritten, so a filter naming another tenant matches nothing.
    if (Object.hasOwn(filter, 'tenantId')) return { tenantId, $and: [filter] };
    return { tenantId, ...filter };
  }

  private document(doc: NewDocument<T>): Doc {
    if (!isPlainObject(doc)) throw new InvalidOperationError('a document must be a plain object');
    const out: Doc = { ...(doc as Doc) };
    if (out._id === undefined) out._id = newId();
    if (typeof out._id !== 'string' || out._id.length === 0) throw new InvalidOperationError('_id must be a non-empty string');
    this.assignTenant(out, 'document');
    return out;
  }

  /** Fills in the scope's tenant; an unscoped view needs a valid one in the document itself. */
  private assignTenant(out: Doc, what: 'document' | 'replacement'): void {
    if (this.scope === null) {
      validateTenantId(out.tenantId);
    } else {
      if (out.tenantId !== undefined && out.tenantId !== this.scope) throw new InvalidTenantError(`${what} belongs to another tenant than its scope`);
      out.tenantId = this.scope;
    }
  }

  private update(update: Update, upsert: boolean, filter: Filter): Update {
    if (!isPlainObject(update)) throw new InvalidOperationError('an update must be a plain object of update operators');
    const ops = Object.keys(update);
    if (ops.length === 0) throw new InvalidOperationError('an update must not be empty');
    const out: Update = {};
    for (const op of ops) {
      if (!op.startsWith('$')) throw new InvalidOperationError('an update must consist of update operators ($set, $inc, ...); use replaceOne to replace');
      const fields = update[op];
      if (!isPlainObject(fields)) throw new InvalidOperationError(`the argument of ${op} must be an object`);
      let copy: Record<string, unknown> | null = null;
      for (const path of Object.keys(fields)) {
        const dot = path.indexOf('.');
        const root = dot < 0 ? path : path.slice(0, dot);
        if (root !== 'tenantId' && root !== '_id') continue;
        const value = fields[path];
        if (root === 'tenantId') {
          const same = this.scope !== null ? path === 'tenantId' && value === this.scope : op === INSERT_ONLY && path === 'tenantId' && typeof value === 'string';
          if (!same || (op !== '$set' && op !== INSERT_ONLY)) throw new ImmutableFieldError('tenantId');
          if (this.scope !== null) {
            // Naming the scope's own tenant is harmless: drop it, the filter already sets it.
            copy ??= { ...fields };
            delete copy[path];
          } else {
            validateTenantId(value);
          }
        } else if (op !== INSERT_ONLY || path !== '_id' || typeof value !== 'string' || value.length === 0) {
          throw new ImmutableFieldError('_id');
        }
      }
      const result = copy ?? fields;
      if (Object.keys(result).length > 0) out[op] = result;
    }
    if (upsert && !Object.hasOwn(filter, '_id')) {
      // Make the id of an upserted document here, so both backends insert a string id.
      const onInsert = (out[INSERT_ONLY] as Record<string, unknown> | undefined) ?? {};
      if (onInsert._id === undefined) out[INSERT_ONLY] = { ...onInsert, _id: newId() };
    }
    if (Object.keys(out).length === 0) throw new InvalidOperationError('an update must change something besides the tenant');
    return out;
  }

  private replacement(doc: NewDocument<T>, upsert: boolean, filter: Filter): Doc {
    if (!isPlainObject(doc)) throw new InvalidOperationError('a replacement must be a plain object');
    const out: Doc = { ...(doc as Doc) };
    for (const key of Object.keys(out)) {
      if (key.startsWith('$')) throw new InvalidOperationError('a replacement must not contain update operators');
    }
    if (out._id !== undefined && (typeof out._id !== 'string' || out._id.length === 0)) throw new InvalidOperationError('_id must be a non-empty string');
    this.assignTenant(out, 'replacement');
    if (upsert && out._id === undefined) {
      const id = filter._id;
      if (typeof id !== 'string') throw new InvalidOperationError('replaceOne with upsert needs _id in the replacement or an _id equality in the filter');
      out._id = id;
    }
    return out;
  }

  async insertOne(doc: NewDocument<T>, options?: SessionOption): Promise<void> {
    await this.backend.insertMany([this.document(doc)], options?.session);
  }

  async insertMany(docs: readonly NewDocument<T>[], options?: SessionOption): Promise<void> {
    if (docs.length === 0) return;
    await this.backend.insertMany(
      docs.map((d) => this.document(d)),
      options?.session,
    );
  }

  async findOne(filter: Filter, options?: FindOptions): Promise<T | null> {
    const docs = await this.backend.find(this.filter(filter), { ...options, limit: 1 });
    return (docs[0] as T | undefined) ?? null;
  }

  async find(filter: Filter, options?: FindOptions): Promise<T[]> {
    return (await this.backend.find(this.filter(filter), options ?? {})) as T[];
  }

  async findPage(filter: Filter, sort: Sort, page: PageRequest, options?: SessionOption & { projection?: Projection }): Promise<Page<T>> {
    const order = totalSort(sort);
    const scoped = this.filter(filter);
    const binding = tokenBinding(this.name, this.tenantId, filter, order);
    const max = page.maxPageSize !== undefined && page.maxPageSize > 0 ? Math.floor(page.maxPageSize) : DEFAULT_MAX_PAGE_SIZE;
    const requested = Number.isFinite(page.pageSize) && page.pageSize > 0 ? Math.floor(page.pageSize) : (page.defaultPageSize ?? DEFAULT_PAGE_SIZE);
    const size = Math.max(1, Math.min(requested, max));
    const effective =
      page.pageToken !== undefined && page.pageToken !== '' ? { $and: [scoped, keysetFilter(order, decodePageToken(page.pageToken, binding, order.length))] } : scoped;
    const { projection, strip } = projectionForPaging(options?.projection, order);
    const sortSpec: Sort = Object.fromEntries(order);
    const docs = await this.backend.find(effective, { sort: sortSpec, limit: size + 1, projection, session: options?.session });
    const items = docs.length > size ? docs.slice(0, size) : docs;
    const last = items[items.length - 1];
    const nextPageToken = docs.length > size && last !== undefined ? encodePageToken(binding, order, last) : '';
    if (strip.length > 0) {
      for (const item of items) for (const field of strip) unsetPath(item, field);
    }
    return { items: items as T[], nextPageToken };
  }

  async countDocuments(filter: Filter, options?: SessionOption): Promise<number> {
    return this.backend.countDocuments(this.filter(filter), options?.session);
  }

  async updateOne(filter: Filter, update: Update, options?: UpdateOptions): Promise<UpdateResult> {
    const upsert = options?.upsert === true;
    return this.backend.update(this.filter(filter), this.update(update, upsert, filter), { multi: false, upsert, session: options?.session });
  }

  async updateMany(filter: Filter, update: Update, options?: UpdateOptions): Promise<UpdateResult> {
    const upsert = options?.upsert === true;
    return this.backend.update(this.filter(filter), this.update(update, upsert, filter), { multi: true, upsert, session: options?.session });
  }

  async replaceOne(filter: Filter, doc: NewDocument<T>, options?: UpdateOptions): Promise<UpdateResult> {
    const upsert = options?.upsert === true;
    return this.backend.replaceOne(this.filter(filter), this.replacement(doc, upsert, filter), { upsert, session: options?.session });
  }

  async findOneAndUpdate(filter: Filter, update: Update, options?: FindOneAndUpdateOptions): Promise<T | null> {
    const upsert = options?.upsert === true;
    return (await this.backend.findOneAndUpdate(this.filter(filter), this.update(update, upsert, filter), { ...options, upsert })) as T | null;
  }

  async findOneAndDelete(filter: Filter, options?: SessionOption & { sort?: Sort }): Promise<T | null> {
    return (await this.backend.findOneAndDelete(this.filter(filter), options ?? {})) as T | null;
  }

  async deleteOne(filter: Filter, options?: SessionOption): Promise<DeleteResult> {
    return this.backend.delete(this.filter(filter), { multi: false, session: options?.session });
  }

  async deleteMany(filter: Filter, options?: SessionOption): Promise<DeleteResult> {
    return this.backend.delete(this.filter(filter), { multi: true, session: options?.session });
  }
}

/** The collections of one tenant over a backend's collections (`open` gives the backend of a collection name). Throws InvalidTenantError for a malformed id. */
export function tenantScope(tenantId: string, open: (name: string) => CollectionBackend): TenantScope {
  const id = validateTenantId(tenantId);
  return {
    tenantId: id,
    collection: <T extends BaseDocument>(name: string): TenantCollection<T> => new ScopedCollection<T>(open(name), id),
  };
}
