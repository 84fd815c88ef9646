import { Injectable, Module } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule, type HealthIndicatorResult } from '@nestjs/terminus';
import { GatewayJwksService } from '../jwks/gateway-jwks.service.js';
import type { KeyStoreStatus } from '../jwks/jwks-key-store.js';

/** The key under which the indicator reports when none is given. */
export const GATEWAY_JWKS_HEALTH_KEY = 'gateway-jwks';

/**
 * When the JWKS health check fetches, and how old a key set may be and still count as up.
 * @publicApi
 */
export interface GatewayJwksHealthOptions {
  /**
   * Report down when the held key set is older than this, in milliseconds, even though it is still
   * usable (within its max age or stale window).
   * @default undefined (any usable key set is up)
   */
  readonly maxAgeMs?: number;
  /**
   * Fetch the key set before reporting when none is held yet, or when the held one is older than
   * this, in milliseconds. A failed fetch is reported (`reachable: false`, `lastError`), not
   * thrown. The fetch ignores the cooldown but shares a fetch already in flight, so every probe
   * that finds the set this old asks the gateway once.
   * @default undefined (never fetch from a probe: report what the service holds)
   */
  readonly refreshIfOlderThanMs?: number;
}

/**
 * What the indicator reports beside `status`. No key material and no raw error: the kids, a count,
 * and the message of the last failed fetch (which names the JWKS URL without its query string).
 * @publicApi
 */
export type GatewayJwksHealthData = {
  /** The last fetch succeeded. */
  readonly reachable: boolean;
  readonly keyCount: number;
  readonly kids: readonly string[];
  /** Whole seconds since the held key set was fetched; `null` before the first successful fetch. */
  readonly ageSeconds: number | null;
  /** Message of the last fetch's failure; absent when it succeeded. */
  readonly lastError?: string;
};

/**
 * A `@nestjs/terminus` health indicator for the gateway's JWKS: up while this service holds a
 * usable key set (so it can verify tokens), down otherwise. Needs `GatewayAuthModule` registered
 * as global (the default) and `GatewayAuthHealthModule` imported.
 *
 * @example
 * @Public() @Get('health') @HealthCheck()
 * check() {
 *   return this.health.check([() => this.jwks.isHealthy('gateway-jwks', { refreshIfOlderThanMs: 60_000 })]);
 * }
 * @publicApi
 */
@Injectable()
export class GatewayJwksHealthIndicator {
  constructor(
    private readonly jwks: GatewayJwksService,
    private readonly healthIndicatorService: HealthIndicatorService,
  ) {}

  /**
   * Reports the key set under `key`: `up` when a usable set is held and (with `maxAgeMs`) not
   * older than that, `down` otherwise; never throws.
   */
  async isHealthy<const Key extends string = typeof GATEWAY_JWKS_HEALTH_KEY>(
    key?: Key,
    options: GatewayJwksHealthOptions = {},
  ): Promise<HealthIndicatorResult<Key, 'up' | 'down', GatewayJwksHealthData>> {
    // `Key` defaults to the default key's literal type, which is what `key` is when omitted.
    const indicator = this.healthIndicatorService.check((key ?? GATEWAY_JWKS_HEALTH_KEY) as Key);
    const { refreshIfOlderThanMs, maxAgeMs } = options;
    // The store's cooldown also paces probes: a down endpoint is not polled by every health check.
    if (refreshIfOlderThanMs !== undefined && olderThan(this.jwks.status(), refreshIfOlderThanMs) && this.jwks.store.mayFetch()) {
      try {
        await this.jwks.store.refresh();
      } catch {
        // Recorded by the store as `lastError`, reported below.
      }
    }
    const status = this.jwks.status();
    const data = healthData(status);
    const healthy = status.usable && (maxAgeMs === undefined || !olderThan(status, maxAgeMs));
    return healthy ? indicator.up(data) : indicator.down(data);
  }
}

/**
 * Provides `GatewayJwksHealthIndicator`. Import it next to `GatewayAuthModule`, and terminus'
 * `TerminusModule` (or `TerminusModule.forRoot(...)`) in the module of your health controller for
 * `HealthCheckService`: this module does not re-export terminus, so your terminus options apply.
 *
 * @example
 * @Module({
 *   imports: [GatewayAuthModule.forRoot(options), TerminusModule, GatewayAuthHealthModule],
 *   controllers: [HealthController],
 * })
 * @publicApi
 */
@Module({
  imports: [TerminusModule],
  providers: [GatewayJwksHealthIndicator],
  exports: [GatewayJwksHealthIndicator],
})
export class GatewayAuthHealthModule {}

/** No key set held counts as older than any limit. */
function olderThan(status: KeyStoreStatus, limitMs: number): boolean {
  return status.ageMs === undefined || status.ageMs > limitMs;
}

function healthData(status: KeyStoreStatus): GatewayJwksHealthData {
  const base = {
    reachable: status.reachable,
    keyCount: status.keyCount,
    kids: [...status.kids],
    ageSeconds: status.ageMs === undefined ? null : Math.floor(status.ageMs / 1000),
  };
  return status.lastError === undefined ? base : { ...base, lastError: describe(status.lastError) };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
