import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SignJWT, type JSONWebKeySet, type JWK } from 'jose';

export interface DevTokenIssuerOptions {
  /** ES256 (default) or EdDSA (Ed25519). */
  readonly algorithm?: 'ES256' | 'EdDSA';
  /** `iss` of issued tokens; matches the kit's AUTH_ISSUER default. */
  readonly issuer?: string;
  /** Default `aud` of issued tokens; matches the kit's AUTH_AUDIENCE default. */
  readonly audience?: string;
}

export interface IssueOptions {
  /** One tenant (`tenant` claim); `'*'` for a platform token valid for every tenant. */
  readonly tenant?: string;
  /** Several tenants (`tenants` claim). */
  readonly tenants?: readonly string[];
  readonly scopes?: readonly string[];
  /** `sub`; defaults to `dev-user`. */
  readonly subject?: string;
  /** Lifetime in seconds (negative: already expired, for tests) or a jose span like '15m'. Default 1 h. */
  readonly expiresIn?: number | string;
  readonly audience?: string;
  readonly issuer?: string;
  /** More claims (tests: `scp`, odd shapes); the registered claims above win over these. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** Issues signed tokens the kit's servers accept when configured with its JWKS. */
export interface DevTokenIssuer {
  readonly algorithm: 'ES256' | 'EdDSA';
  readonly issuer: string;
  readonly audience: string;
  readonly keyId: string;
  /** The public key as a JWKS (what AUTH_JWKS_FILE holds). */
  readonly jwks: JSONWebKeySet;
  /** The public key as PEM (what AUTH_PUBLIC_KEY_FILE holds). */
  readonly publicKeyPem: string;
  issue(options?: IssueOptions): Promise<string>;
  /** Writes the JWKS to `path` (creating folders) and returns the path. */
  writeJwks(path: string): string;
  /** Writes the PEM public key to `path` and returns the path. */
  writePublicKey(path: string): string;
  /** Writes the JWKS to `jwksPath` and returns the environment variables that make a service trust this issuer. */
  authEnv(jwksPath: string): Record<string, string>;
}

/**
 * A token issuer for development and tests: a fresh key pair per instance, never persisted
 * beyond the files it is asked to write. Production tokens come from the real identity provider.
 */
export function createDevTokenIssuer(options: DevTokenIssuerOptions = {}): DevTokenIssuer {
  const algorithm = options.algorithm ?? 'ES256';
  const issuer = options.issuer ?? 'continuum-dev';
  const audience = options.audience ?? 'continuum';
  const { privateKey, publicKey } = generatePair(algorithm);
  const keyId = randomUUID();
  const jwk: JWK = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid: keyId, alg: algorithm, use: 'sig' };
  const jwks: JSONWebKeySet = { keys: [jwk] };
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();

  const write = (path: string, content: string): string => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content, { mode: 0o644 });
    return path;
  };
  const writeJwks = (path: string): string => write(path, JSON.stringify(jwks, null, 2));

  return {
    algorithm,
    issuer,
    audience,
    keyId,
    jwks,
    publicKeyPem,
    async issue(claims = {}) {
      const payload: Record<string, unknown> = { ...claims.claims };
      if (claims.tenant !== undefined) payload['tenant'] = claims.tenant;
      if (claims.tenants !== undefined) payload['tenants'] = [...claims.tenants];
      if (claims.scopes !== undefined) payload['scope'] = claims.scopes.join(' ');
      const now = Math.floor(Date.now() / 1000);
      const expiresIn = claims.expiresIn ?? 3600;
      const jwt = new SignJWT(payload)
        .setProtectedHeader({ alg: algorithm, kid: keyId, typ: 'JWT' })
        .setSubject(claims.subject ?? 'dev-user')
        .setIssuer(claims.issuer ?? issuer)
        .setAudience(claims.audience ?? audience)
        .setJti(randomUUID());
      if (typeof expiresIn === 'number') {
        // Back-date iat for already-expired test tokens so the claims stay consistent.
        jwt.setIssuedAt(Math.min(now, now + expiresIn - 60)).setExpirationTime(now + expiresIn);
      } else {
        jwt.setIssuedAt(now).setExpirationTime(expiresIn);
      }
      return jwt.sign(privateKey);
    },
    writeJwks,
    writePublicKey: (path) => write(path, publicKeyPem),
    authEnv: (jwksPath) => ({
      AUTH_MODE: 'jwt',
      AUTH_ISSUER: issuer,
      AUTH_AUDIENCE: audience,
      AUTH_ALGORITHMS: algorithm,
      AUTH_JWKS_FILE: writeJwks(jwksPath),
    }),
  };
}

function generatePair(algorithm: 'ES256' | 'EdDSA'): { privateKey: KeyObject; publicKey: KeyObject } {
  return algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
}
