/** Who a verified token (or the development mode) says the caller is. */
export interface Principal {
  readonly subject: string;
  /** Tenants the caller may act on; `'*'` for platform service tokens that serve every tenant. */
  readonly tenants: ReadonlySet<string> | '*';
  readonly scopes: ReadonlySet<string>;
  readonly authMode: 'jwt' | 'disabled';
}

/**
 * The scope set of the development mode with auth off: every scope is granted, so handlers
 * that check `ctx.scopes.has(...)` behave as for an all-powerful caller.
 */
export class AllScopes extends Set<string> {
  override has(_scope: string): boolean {
    return true;
  }
}

/** Tenant ids: lower-case, digits and dashes, 1-63 characters, as in DNS labels and subjects. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The metadata key carrying the tenant a call acts on. */
export const TENANT_METADATA_KEY = 'x-tenant-id';
