import type { DeleteResult, Filter, FindOneAndUpdateOptions, Projection, Sort, StoreSession, Update, UpdateResult } from '../types';
import type { Doc } from './values';

/** Options of a backend find: the tenant layer has already scoped the filter. */
export interface RawFindOptions {
  sort?: Sort;
  limit?: number;
  skip?: number;
  projection?: Projection;
  session?: StoreSession;
}

/**
 * What each backend implements for one collection, across tenants. The tenant layer
 * (`ScopedCollection`) sits on top and adds the tenant to filters, documents and updates, makes
 * ids and page tokens, so those rules are written once for both backends.
 */
export interface CollectionBackend {
  readonly name: string;
  insertMany(docs: Doc[], session?: StoreSession): Promise<void>;
  find(filter: Filter, options: RawFindOptions): Promise<Doc[]>;
  countDocuments(filter: Filter, session?: StoreSession): Promise<number>;
  update(filter: Filter, update: Update, options: { multi: boolean; upsert: boolean; session?: StoreSession }): Promise<UpdateResult>;
  replaceOne(filter: Filter, doc: Doc, options: { upsert: boolean; session?: StoreSession }): Promise<UpdateResult>;
  findOneAndUpdate(filter: Filter, update: Update, options: FindOneAndUpdateOptions): Promise<Doc | null>;
  findOneAndDelete(filter: Filter, options: { sort?: Sort; session?: StoreSession }): Promise<Doc | null>;
  delete(filter: Filter, options: { multi: boolean; session?: StoreSession }): Promise<DeleteResult>;
}
