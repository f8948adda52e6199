import { randomBytes, randomUUID } from 'node:crypto';

/** A new server-assigned id with a type prefix (`jrn_`, `cas_`): 128 random bits, base32-ish. */
export function newResourceId(prefix: 'jrn' | 'cas'): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

/** A new `_id` for a stored document (global across tenants, never caller-chosen). */
export function newDocumentId(): string {
  return randomUUID();
}
