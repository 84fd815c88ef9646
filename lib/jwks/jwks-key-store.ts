/**
 * The gateway's key set as this service holds it: one fetch at a time, a cooldown between fetches,
 * and a stale window during outages. jwks-rsa asks it for the key set (as its `fetcher`) whenever
 * its own per-kid cache misses; this store decides whether that means a network request.
 *
 * - Cold start: concurrent requests share one fetch.
 * - A fresh set is served from memory; an unknown `kid` refetches at most once per cooldown, so a
 *   flood of random kids costs the gateway nothing more, while a key rotated in is seen within
 *   the cooldown.
 * - Past its max age the set is refetched; if that fails, the last good set is still used for
 *   `staleWindowMs` (logged), after which keys are unavailable (503, not 401).
 */

/** A JWK as published, untyped: another layer checks each member. */
export type PublishedJwk = Readonly<Record<string, unknown>>;

export interface KeySet {
  readonly keys: readonly PublishedJwk[];
  /** `Date.now()` when it was fetched. */
  readonly fetchedAt: number;
}

export interface JwksKeyStoreOptions {
  /** Fetches the document (the transport, with its deadline and size cap). */
  readonly fetch: () => Promise<{ readonly keys: readonly PublishedJwk[] }>;
  /** Keeps the keys that may be used (e.g. certificate pinning); the others are reported. */
  readonly filter?: (keys: readonly PublishedJwk[]) => readonly PublishedJwk[];
  readonly maxAgeMs: number;
  readonly cooldownMs: number;
  readonly staleWindowMs: number;
  readonly now?: () => number;
  readonly onEvent?: (event: KeyStoreEvent) => void;
}

export type KeyStoreEvent =
  | { readonly kind: 'fetched'; readonly keyCount: number; readonly kids: readonly string[] }
  | { readonly kind: 'fetch_failed'; readonly error: unknown; readonly servingStale: boolean; readonly ageMs: number | undefined };

export interface KeyStoreStatus {
  readonly keyCount: number;
  readonly kids: readonly string[];
  /** Age of the key set in milliseconds; undefined before the first successful fetch. */
  readonly ageMs: number | undefined;
  readonly fetchedAt: number | undefined;
  readonly lastError: unknown;
  readonly lastAttemptAt: number | undefined;
  /** A usable key set is held (fresh, or stale within the window). */
  readonly usable: boolean;
  /** The last fetch succeeded. */
  readonly reachable: boolean;
}

/** Thrown when no usable key set can be had: the endpoint failed and no set (or only an expired one) is held. */
export class KeySetUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KeySetUnavailableError';
  }
}

export class JwksKeyStore {
  private set: KeySet | undefined;
  private inFlight: Promise<KeySet> | undefined;
  private lastAttemptAt: number | undefined;
  private lastError: unknown;
  private readonly now: () => number;

  constructor(private readonly options: JwksKeyStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The key set for a lookup that missed jwks-rsa's cache (its `fetcher`). */
  async keysForLookup(): Promise<{ keys: PublishedJwk[] }> {
    const set = await this.usableSet();
    return { keys: [...set.keys] };
  }

  /**
   * The held key for `kid` (the only key when `kid` is absent and the set holds one), without any
   * network: used to check a key against the token's `alg`, and to refuse unknown kids early.
   */
  find(kid: string | undefined): PublishedJwk | undefined {
    const keys = this.set?.keys ?? [];
    if (kid === undefined) return keys.length === 1 ? keys[0] : undefined;
    return keys.find(key => key['kid'] === kid);
  }

  /**
   * True when `kid` is certainly unknown: a fresh set is held, it lacks the kid, and the cooldown
   * forbids a refetch. Lets the provider refuse at once, without jwks-rsa or the network.
   */
  isKnownToBeUnknown(kid: string | undefined): boolean {
    return this.isFresh() && !this.canAttempt() && this.find(kid) === undefined;
  }

  /**
   * Resolves when a usable set is held: at once while the set is fresh, else after a refetch (or,
   * when that fails, on the stale set within its window). jwks-rsa's own per-kid cache would
   * otherwise go on serving keys past the stale window without asking.
   * @throws {KeySetUnavailableError}
   */
  async ensureUsable(): Promise<void> {
    if (!this.isFresh()) await this.usableSet();
  }

  /** Fetches now (sharing a fetch in flight), whatever the cooldown: for start-up and health checks. */
  refresh(): Promise<KeySet> {
    return this.fetchShared();
  }

  /** Whether the cooldown allows a fetch now. */
  mayFetch(): boolean {
    return this.canAttempt();
  }

  status(): KeyStoreStatus {
    const ageMs = this.set ? this.now() - this.set.fetchedAt : undefined;
    return {
      keyCount: this.set?.keys.length ?? 0,
      kids: (this.set?.keys ?? []).map(key => key['kid']).filter((kid): kid is string => typeof kid === 'string'),
      ageMs,
      fetchedAt: this.set?.fetchedAt,
      lastError: this.lastError,
      lastAttemptAt: this.lastAttemptAt,
      usable: ageMs !== undefined && ageMs < this.options.maxAgeMs + this.options.staleWindowMs,
      reachable: this.lastAttemptAt !== undefined && this.lastError === undefined,
    };
  }

  private async usableSet(): Promise<KeySet> {
    if (this.inFlight) {
      // Concurrent lookups share the fetch under way (a cold start makes one request).
      try {
        return await this.inFlight;
      } catch (error) {
        const held = this.set;
        if (held && this.withinStaleWindow(held)) return held;
        throw this.unavailable(error);
      }
    }
    const set = this.set;
    if (set && this.isFresh()) {
      // A miss on a fresh set means an unknown kid: refetch once per cooldown, else answer from memory.
      if (!this.canAttempt()) return set;
      try {
        return await this.fetchShared();
      } catch {
        return set;
      }
    }
    if (!this.canAttempt()) {
      if (set && this.withinStaleWindow(set)) return set;
      throw this.unavailable(this.lastError);
    }
    try {
      return await this.fetchShared();
    } catch (error) {
      if (set && this.withinStaleWindow(set)) return set;
      throw this.unavailable(error);
    }
  }

  private fetchShared(): Promise<KeySet> {
    if (!this.inFlight) {
      this.lastAttemptAt = this.now();
      this.inFlight = this.fetchOnce().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  private async fetchOnce(): Promise<KeySet> {
    try {
      const document = await this.options.fetch();
      const keys = this.options.filter ? this.options.filter(document.keys) : document.keys;
      if (keys.length === 0) throw new Error('the JWKS holds no usable signing key');
      const set: KeySet = { keys, fetchedAt: this.now() };
      this.set = set;
      this.lastError = undefined;
      this.options.onEvent?.({
        kind: 'fetched',
        keyCount: keys.length,
        kids: keys.map(key => String(key['kid'] ?? '(none)')),
      });
      return set;
    } catch (error) {
      this.lastError = error;
      const held = this.set;
      this.options.onEvent?.({
        kind: 'fetch_failed',
        error,
        servingStale: held !== undefined && !this.isFresh() && this.withinStaleWindow(held),
        ageMs: held ? this.now() - held.fetchedAt : undefined,
      });
      throw error;
    }
  }

  isFresh(): boolean {
    return this.set !== undefined && this.now() - this.set.fetchedAt < this.options.maxAgeMs;
  }

  private withinStaleWindow(set: KeySet): boolean {
    return this.now() - set.fetchedAt < this.options.maxAgeMs + this.options.staleWindowMs;
  }

  private canAttempt(): boolean {
    return this.lastAttemptAt === undefined || this.now() - this.lastAttemptAt >= this.options.cooldownMs;
  }

  private unavailable(cause: unknown): KeySetUnavailableError {
    const wait = this.lastAttemptAt === undefined ? 0 : Math.max(0, this.options.cooldownMs - (this.now() - this.lastAttemptAt));
    return new KeySetUnavailableError('The gateway key set cannot be fetched and no usable copy is held', wait, { cause });
  }
}
