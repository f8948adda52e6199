import type { Metadata } from '@grpc/grpc-js';
import { InvalidArgumentError, PermissionDeniedError } from '../errors/domain-errors';
import { TENANT_ID_PATTERN, TENANT_METADATA_KEY, type Principal } from './principal';

/**
 * The tenant a call acts on: metadata `x-tenant-id`, well formed, and one the principal may act
 * on. Runs before the handler, so a caller of tenant A learns nothing about tenant B.
 */
export function authorizeTenant(principal: Principal, metadata: Metadata): string {
  const value = metadata.get(TENANT_METADATA_KEY)[0];
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(
      [{ field: TENANT_METADATA_KEY, description: 'metadata x-tenant-id is required', reason: 'REQUIRED' }],
      'TENANT_REQUIRED',
    );
  }
  if (!TENANT_ID_PATTERN.test(value)) {
    throw new InvalidArgumentError(
      [{ field: TENANT_METADATA_KEY, description: 'must be 1-63 lower-case letters, digits or dashes', reason: 'INVALID_FORMAT' }],
      'TENANT_INVALID',
    );
  }
  if (principal.tenants !== '*' && !principal.tenants.has(value)) {
    throw new PermissionDeniedError('TENANT_NOT_ALLOWED', 'the token does not grant access to this tenant');
  }
  return value;
}

/** The method's required scope must be among the caller's; checked before existence. */
export function authorizeScope(principal: Principal, requiredScope: string): void {
  if (!principal.scopes.has(requiredScope)) {
    throw new PermissionDeniedError('MISSING_SCOPE', `the token lacks scope ${requiredScope}`, { scope: requiredScope });
  }
}
