import { randomUUID } from 'node:crypto';
import { InvalidTenantError } from './errors';

/** The shape of a tenant id: lower-case letters, digits and dashes, 1–63 characters, not starting with a dash. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Returns the tenant id if it is well formed; throws InvalidTenantError otherwise (the id itself is not echoed). */
export function validateTenantId(tenantId: unknown): string {
  if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) {
    throw new InvalidTenantError('tenant id must match ^[a-z0-9][a-z0-9-]{0,62}$');
  }
  return tenantId;
}

/**
 * A new document id: a random UUID (v4). `_id` is unique per collection across tenants (as in
 * MongoDB, where the `_id` index cannot be prefixed), so ids must be generated, never taken from
 * a caller: a caller-chosen `_id` could reveal that another tenant uses it. Client-supplied keys
 * (request ids, external ids) belong in a unique index, which is per tenant.
 */
export function newId(): string {
  return randomUUID();
}
