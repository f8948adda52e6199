import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/** The keys tokens are verified with: one PEM public key, or a JWKS resolved by the token's `kid`. */
export type VerificationKey = KeyObject | JWTVerifyGetKey;

/**
 * Reads the verification keys once at start-up (a bad file stops the process then, not at the
 * first call). Key rotation: publish the new key in the JWKS next to the old one, restart.
 */
export function loadVerificationKey(source: { jwksFile?: string | undefined; publicKeyFile?: string | undefined }): VerificationKey {
  if (source.jwksFile !== undefined) {
    const jwks = JSON.parse(readFileSync(source.jwksFile, 'utf8')) as JSONWebKeySet;
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) {
      throw new Error(`JWKS file ${source.jwksFile} has no keys`);
    }
    return createLocalJWKSet(jwks);
  }
  if (source.publicKeyFile !== undefined) {
    const key = createPublicKey(readFileSync(source.publicKeyFile, 'utf8'));
    if (key.type !== 'public') throw new Error(`${source.publicKeyFile} is not a public key`);
    return key;
  }
  throw new Error('no token verification key configured (AUTH_JWKS_FILE or AUTH_PUBLIC_KEY_FILE)');
}
