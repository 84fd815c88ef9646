import { VerifiedTokenCache } from './verified-token-cache.util.js';

describe('VerifiedTokenCache', () => {
  it('returns an entry until the token expires, or the TTL ends, whichever is first', () => {
    const cache = new VerifiedTokenCache<string>(10, 1_000);
    cache.set('a', 'A', 5_000, 0);
    cache.set('b', 'B', 500, 0);
    expect(cache.get('a', 999)).toBe('A');
    expect(cache.get('a', 1_000)).toBeUndefined();
    expect(cache.get('b', 499)).toBe('B');
    expect(cache.get('b', 500)).toBeUndefined();
  });

  it('does not store expired tokens, and evicts the least recently used when full', () => {
    const cache = new VerifiedTokenCache<string>(2, 10_000);
    cache.set('old', 'X', 100, 200);
    expect(cache.size).toBe(0);
    cache.set('a', 'A', 9_000, 0);
    cache.set('b', 'B', 9_000, 0);
    expect(cache.get('a', 1)).toBe('A');
    cache.set('c', 'C', 9_000, 1);
    expect(cache.get('b', 2)).toBeUndefined();
    expect(cache.get('a', 2)).toBe('A');
    expect(cache.get('c', 2)).toBe('C');
  });

  it('digests tokens so the cache never holds them', () => {
    expect(VerifiedTokenCache.digest('a.b.c')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(VerifiedTokenCache.digest('a.b.c')).not.toBe(VerifiedTokenCache.digest('a.b.d'));
  });
});
