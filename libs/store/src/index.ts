/**
 * @continuum/store: the document store port (types), its two backends (embedded, MongoDB), the
 * factory that picks one, the tenant rules and the typed errors. See types.ts for the port.
 */
export * from './types';
export * from './errors';
export { TENANT_ID_PATTERN, newId, validateTenantId } from './tenancy';
export { connectMongoStore, createStore, type CreateStoreOptions, type StoreLogger } from './create-store';
export { EmbeddedDocumentStore, createEmbeddedStore, type EmbeddedPlan, type EmbeddedStoreOptions, type EmbeddedStoreStats } from './embedded/embedded-store';
// Types only: the MongoDB module (and the driver) is loaded by connectMongoStore when first used.
export type { MongoDocumentStore, MongoStoreOptions } from './mongodb/mongodb-store';
