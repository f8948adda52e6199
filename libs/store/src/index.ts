/**
 * @continuum/store: the document store port (types), its two backends (embedded, MongoDB), the
 * factory that picks one, the tenant rules and the typed errors. See types.ts for the port.
 */
export * from './types';
export * from './errors';
export { TENANT_ID_PATTERN, newId, validateTenantId } from './tenancy';
export { createStore, type CreateStoreOptions, type StoreLogger } from './create-store';
export { EmbeddedDocumentStore, createEmbeddedStore, type EmbeddedPlan, type EmbeddedStoreOptions, type EmbeddedStoreStats } from './embedded/embedded-store';
export { MongoDocumentStore, connectMongoStore, type MongoStoreOptions } from './mongodb/mongodb-store';
