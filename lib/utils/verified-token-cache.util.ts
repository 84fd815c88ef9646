import { createHash } from 'node:crypto';

/**
 * Verified tokens by a digest of the token, for gateways that forward the same token many times:
 * a hit skips signature verification (the route's audience and caller checks still run). Bounded
 * (least recently used goes first) and each entry expires with its token, or sooner (`maxTtlMs`),
 * so a withdrawn key stops being honoured within that time.
 */
export class VerifiedTokenCache<T> {
  /** digest → entry; Map order is recency (re-inserted on hit). */
  private readonly entries = new Map<string, { readonly value: T; readonly expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxTtlMs: number,
  ) {}

  static digest(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get(digest: string, now: number): T | undefined {
    const entry = this.entries.get(digest);
    if (!entry) return undefined;
    this.entries.delete(digest);
    if (entry.expiresAt <= now) return undefined;
    this.entries.set(digest, entry);
    return entry.value;
  }

  /** @param tokenExpiresAt the token's `exp`, in milliseconds since the epoch */
  set(digest: string, value: T, tokenExpiresAt: number, now: number): void {
    const expiresAt = Math.min(tokenExpiresAt, now + this.maxTtlMs);
    if (expiresAt <= now) return;
    this.entries.delete(digest);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(digest, { value, expiresAt });
  }

  get size(): number {
    return this.entries.size;
  }
}
