import type { Metadata } from '@grpc/grpc-js';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { UnauthenticatedError } from '../errors/domain-errors';
import type { Logger } from '../logging/logger';
import { loadVerificationKey, type VerificationKey } from './key-source';
import { AllScopes, type Principal } from './principal';
import { VerifiedTokenCache } from './verified-token-cache';

/** Verifies the credentials of a call; built once per process from the configuration. */
export interface Authenticator {
  readonly mode: 'jwt' | 'disabled';
  /** Resolves the caller or throws UnauthenticatedError. */
  authenticate(metadata: Metadata): Promise<Principal>;
}

export interface JwtAuthOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Allowlist of JWS algorithms; the token's `alg` must be one of them. */
  readonly algorithms: readonly string[];
  readonly key: VerificationKey;
  /** Tolerated clock skew between the issuer and us, in seconds. */
  readonly clockToleranceSeconds?: number;
  readonly logger?: Logger;
  /** How many verified tokens to remember until they expire (0 disables the cache). */
  readonly cacheSize?: number;
}

/** The subset of KitConfig the authenticator reads. */
export interface AuthConfig {
  readonly AUTH_MODE: 'jwt' | 'disabled';
  readonly AUTH_ISSUER: string;
  readonly AUTH_AUDIENCE: string;
  readonly AUTH_ALGORITHMS: readonly string[];
  readonly AUTH_JWKS_FILE?: string | undefined;
  readonly AUTH_PUBLIC_KEY_FILE?: string | undefined;
}

/** Builds the authenticator the configuration asks for. */
export function createAuthenticator(config: AuthConfig, logger?: Logger): Authenticator {
  if (config.AUTH_MODE === 'disabled') return disabledAuthenticator();
  return jwtAuthenticator({
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    algorithms: config.AUTH_ALGORITHMS,
    key: loadVerificationKey({ jwksFile: config.AUTH_JWKS_FILE, publicKeyFile: config.AUTH_PUBLIC_KEY_FILE }),
    ...(logger ? { logger } : {}),
  });
}

/**
 * Bearer JWT verification with issuer, audience, expiry and algorithms pinned. `alg: none` and
 * HMAC never pass: jose refuses unsecured tokens and the allowlist holds asymmetric algorithms only.
 */
export function jwtAuthenticator(options: JwtAuthOptions): Authenticator {
  const algorithms = options.algorithms.filter((alg) => alg !== 'none' && !alg.startsWith('HS'));
  const cacheSize = options.cacheSize ?? 10_000;
  const cache = cacheSize > 0 ? new VerifiedTokenCache(cacheSize) : undefined;
  return {
    mode: 'jwt',
    async authenticate(metadata) {
      const token = bearerToken(metadata);
      const cached = cache?.get(token);
      if (cached !== undefined) return cached;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, options.key as Parameters<typeof jwtVerify>[1], {
          issuer: options.issuer,
          audience: options.audience,
          algorithms,
          requiredClaims: ['exp', 'sub'],
          clockTolerance: options.clockToleranceSeconds ?? 5,
        }));
      } catch (error) {
        // The reason stays in our log; the caller only learns that the token was refused (or
        // expired, which tells an honest client to refresh and an attacker nothing).
        options.logger?.info({ err_code: (error as { code?: string }).code }, 'token refused');
        if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('TOKEN_EXPIRED', 'token expired');
        throw new UnauthenticatedError('TOKEN_INVALID', 'invalid token');
      }
      const principal = principalFromClaims(payload);
      if (payload.exp !== undefined) cache?.set(token, principal, payload.exp * 1000);
      return principal;
    },
  };
}

/** Development mode: nobody is authenticated, everybody may do everything. */
export function disabledAuthenticator(): Authenticator {
  const principal: Principal = { subject: 'anonymous', tenants: '*', scopes: new AllScopes(), authMode: 'disabled' };
  return { mode: 'disabled', authenticate: () => Promise.resolve(principal) };
}

function bearerToken(metadata: Metadata): string {
  const header = metadata.get('authorization')[0];
  if (typeof header !== 'string' || header === '') {
    throw new UnauthenticatedError('TOKEN_MISSING', 'missing bearer token');
  }
  const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  if (!match?.[1]) throw new UnauthenticatedError('TOKEN_INVALID', 'authorization must be "Bearer <token>"');
  return match[1];
}

function principalFromClaims(payload: JWTPayload): Principal {
  return {
    subject: payload.sub ?? '',
    tenants: tenantsFromClaims(payload),
    scopes: scopesFromClaims(payload),
    authMode: 'jwt',
  };
}

function tenantsFromClaims(payload: JWTPayload): ReadonlySet<string> | '*' {
  const claimed: string[] = [];
  if (typeof payload['tenant'] === 'string') claimed.push(payload['tenant']);
  const list = payload['tenants'];
  if (Array.isArray(list)) claimed.push(...list.filter((t): t is string => typeof t === 'string'));
  return claimed.includes('*') ? '*' : new Set(claimed);
}

function scopesFromClaims(payload: JWTPayload): ReadonlySet<string> {
  const scopes = new Set<string>();
  const add = (value: unknown): void => {
    if (typeof value === 'string') value.split(' ').filter(Boolean).forEach((s) => scopes.add(s));
    else if (Array.isArray(value)) value.forEach(add);
  };
  add(payload['scope']);
  add(payload['scp']);
  return scopes;
}
