import type { Principal } from './principal';

/**
 * Remembers tokens whose signature and claims were verified, until they expire: a service sees
 * the same bearer token on call after call, and verifying an ES256/RS256 signature each time
 * costs more than the rest of the call pipeline together. Only successes are cached, keyed by
 * the exact token string, and a cached entry is dropped at the token's `exp`, so expiry is
 * enforced as before. Bounded: the oldest entries go first.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string, now = Date.now()): Principal | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (now >= entry.expiresAt) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.principal;
  }

  set(token: string, principal: Principal, expiresAt: number): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { principal, expiresAt });
  }

  get size(): number {
    return this.entries.size;
  }
}
