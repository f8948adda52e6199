import { randomBytes } from 'node:crypto';

/**
 * Tenant ids for tests. Every test that writes data should use its own tenant, so tests sharing a
 * store or a NATS server never see each other's data, and tenant isolation is exercised for free.
 * The ids are valid everywhere a tenant id goes: store scopes, gRPC metadata and NATS subject tokens
 * (lower-case letters, digits and dashes; no dots, wildcards or spaces).
 */
export const TEST_TENANTS = {
  /** The main tenant of a test. */
  acme: 'acme',
  /** A second tenant, for isolation checks. */
  globex: 'globex',
  /** A third tenant, never written to by fixtures: reads through it must see nothing. */
  initech: 'initech',
} as const;

/** A tenant id unique to this call: `<prefix>-<8 hex>`. */
export function uniqueTenant(prefix = 't'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
