/**
 * Typed errors of the document store. Both backends throw the same classes, so repositories and
 * the services' error mapping are written once. None of them carries stored values (a duplicate
 * key names the index and its fields, never the key), so they are safe to log.
 */

/** Base of every error the store throws on purpose. */
export abstract class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Thrown when a write would give two documents the same key of a unique index (within a tenant for declared indexes; `_id` is unique per collection). */
export class DuplicateKeyError extends StoreError {
  constructor(
    /** Collection the write went to. */
    readonly collection: string,
    /** Name of the violated index (`_id_` for the primary key). */
    readonly index: string,
    /** The index's fields as declared, without the leading `tenantId` (`['_id']` for the primary key). */
    readonly keyFields: readonly string[],
  ) {
    super(`duplicate key in ${collection}: index ${index} (${keyFields.join(', ')})`);
  }
}

/** Thrown when a tenant id is empty or malformed (must match `^[a-z0-9][a-z0-9-]{0,62}$`), or a document or update names another tenant than its scope. */
export class InvalidTenantError extends StoreError {}

/** Thrown when a page token is malformed or was issued for another query (collection, tenant, filter or sort); services map it to INVALID_ARGUMENT on `page_token`. */
export class InvalidPageTokenError extends StoreError {
  constructor(reason: string) {
    super(`invalid page token: ${reason}`);
  }
}

/** Thrown when a transaction cannot commit because concurrent writes kept conflicting with it after the backend's retries (MongoDB), or when a write of the embedded store waited longer than its lock timeout for the running transaction; the caller may retry the whole operation. */
export class TransactionConflictError extends StoreError {}

/** Thrown when a session is used after its transaction ended, with another store, or a write without the session is attempted inside the store's own running transaction (it would wait for itself). */
export class SessionMisuseError extends StoreError {}

/** Thrown when an update or replacement would change `_id` or move a document to another tenant. */
export class ImmutableFieldError extends StoreError {
  constructor(readonly field: '_id' | 'tenantId') {
    super(`the field ${field} of a stored document cannot be changed`);
  }
}

/** Thrown when a document, filter, update or option is not valid for the store (e.g. a missing `_id`, an unknown update operator, a non-numeric `$inc`). */
export class InvalidOperationError extends StoreError {}
