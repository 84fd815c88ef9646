import { ReplayCache } from './replay-cache.util.js';

describe('ReplayCache', () => {
  it('refuses a second use until the token expires', () => {
    const cache = new ReplayCache(10);
    expect(cache.firstUse('a', 100, 50)).toBe(true);
    expect(cache.firstUse('a', 100, 60)).toBe(false);
    expect(cache.firstUse('b', 100, 60)).toBe(true);
    expect(cache.firstUse('a', 100, 100)).toBe(true);
  });

  it('stays within its bound, dropping the oldest entries first', () => {
    const cache = new ReplayCache(3);
    for (const key of ['a', 'b', 'c', 'd']) expect(cache.firstUse(key, 1000, 0)).toBe(true);
    expect(cache.size).toBe(3);
    expect(cache.firstUse('a', 1000, 0)).toBe(true);
    expect(cache.firstUse('d', 1000, 0)).toBe(false);
  });

  it('drops expired entries as it goes', () => {
    const cache = new ReplayCache(100);
    for (let i = 0; i < 50; i++) cache.firstUse(`k${i}`, 10, 0);
    cache.firstUse('late', 100, 20);
    expect(cache.size).toBe(1);
  });
});
