/**
 * Remembers the `jti`s seen until their tokens expire, bounded in size: for gateways that mint one
 * token per request, a second use of a token is a replay. When full, the oldest entry goes first
 * (a token evicted early could be replayed once more: size the cache for the request rate times
 * the token lifetime).
 */
export class ReplayCache {
  /** key → expiry in seconds since the epoch; insertion order is the eviction order. */
  private readonly entries = new Map<string, number>();

  constructor(private readonly maxEntries: number) {}

  /** Records the token; false when it was already recorded and has not expired. */
  firstUse(key: string, expiresAt: number, nowSeconds: number): boolean {
    const seen = this.entries.get(key);
    if (seen !== undefined && seen > nowSeconds) return false;
    this.entries.delete(key);
    this.evict(nowSeconds);
    this.entries.set(key, expiresAt);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(nowSeconds: number): void {
    for (const [key, expiresAt] of this.entries) {
      if (this.entries.size < this.maxEntries && expiresAt > nowSeconds) break;
      this.entries.delete(key);
    }
  }
}
