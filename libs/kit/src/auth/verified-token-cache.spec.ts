import { AllScopes, type Principal } from './principal';
import { VerifiedTokenCache } from './verified-token-cache';

const principal: Principal = { subject: 's', tenants: new Set(['t']), scopes: new AllScopes(), authMode: 'jwt' };

describe('VerifiedTokenCache', () => {
  it('returns a verified principal until the token expires, then forgets it', () => {
    const cache = new VerifiedTokenCache();
    cache.set('token', principal, 10_000);
    expect(cache.get('token', 9_999)).toBe(principal);
    expect(cache.get('token', 10_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never answers for another token', () => {
    const cache = new VerifiedTokenCache();
    cache.set('token', principal, 10_000);
    expect(cache.get('token2', 0)).toBeUndefined();
  });

  it('drops the oldest entry when full', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a', principal, 10_000);
    cache.set('b', principal, 10_000);
    cache.set('c', principal, 10_000);
    expect(cache.get('a', 0)).toBeUndefined();
    expect(cache.get('b', 0)).toBe(principal);
    expect(cache.get('c', 0)).toBe(principal);
  });
});
