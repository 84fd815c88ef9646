import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { GATEWAY_AUTH_RESOLVED_OPTIONS } from '../gateway-auth.constants.js';
import type { ResolvedGatewayAuthOptions } from '../gateway-auth.options.js';
import { verifyJwkCertificate, type TrustedCertificate } from './certificate-chain.js';
import { createJwksFetcher, type JwksFetcher } from './jwks-fetcher.js';
import { JwksKeyStore, type KeyStoreEvent, type KeyStoreStatus, type PublishedJwk } from './jwks-key-store.js';

/**
 * The gateway's keys for this module: the transport (deadline, size cap, private CA, mTLS), the
 * key store (cooldown, stale window), certificate pinning of the issuer, start-up prefetch, and
 * a status for health checks.
 * @publicApi
 */
@Injectable()
export class GatewayJwksService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly store: JwksKeyStore;
  private readonly fetcher: JwksFetcher;
  private readonly certificates = new WeakMap<PublishedJwk, TrustedCertificate>();
  private readonly logger = new Logger('GatewayAuth');

  constructor(@Inject(GATEWAY_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedGatewayAuthOptions) {
    const { jwks } = options;
    this.fetcher = createJwksFetcher({
      jwksUri: options.jwksUri,
      timeoutMs: jwks.timeoutMs,
      maxResponseBytes: jwks.maxResponseBytes,
      ...(jwks.ca !== undefined ? { ca: jwks.ca } : {}),
      ...(jwks.cert !== undefined ? { cert: jwks.cert } : {}),
      ...(jwks.key !== undefined ? { key: jwks.key } : {}),
      ...(jwks.headers !== undefined ? { headers: jwks.headers } : {}),
    });
    this.store = new JwksKeyStore({
      fetch: () => this.fetcher(),
      filter: keys => this.usableKeys(keys),
      maxAgeMs: jwks.cacheMaxAgeMs,
      cooldownMs: jwks.cooldownMs,
      staleWindowMs: jwks.staleWindowMs,
      onEvent: event => this.log(event),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const mode = this.options.jwks.prefetch;
    if (mode === 'off') return;
    try {
      const set = await this.store.refresh();
      this.logger.log(`Fetched ${set.keys.length} signing key(s) from ${this.where()}`);
    } catch (error) {
      const message = `Cannot fetch the gateway's keys from ${this.where()}: ${describe(error)}; check jwksUri and the jwks transport options`;
      if (mode === 'fail') throw new Error(message, { cause: error });
      this.logger.warn(message);
    }
  }

  onModuleDestroy(): void {
    this.fetcher.close();
  }

  /** The signing certificate a key was pinned with (issuer pinning on). */
  certificateOf(jwk: PublishedJwk): TrustedCertificate | undefined {
    return this.certificates.get(jwk);
  }

  status(): KeyStoreStatus {
    return this.store.status();
  }

  /** Keys for signatures (RFC 7517 `use`), of a type we verify, and, when pinning, certified. */
  private usableKeys(keys: readonly PublishedJwk[]): readonly PublishedJwk[] {
    const pinning = this.options.issuerPinning;
    const now = new Date();
    return keys.filter(jwk => {
      if ((jwk['use'] !== undefined && jwk['use'] !== 'sig') || (jwk['kty'] !== 'RSA' && jwk['kty'] !== 'EC' && jwk['kty'] !== 'OKP')) return false;
      if (!pinning) return true;
      try {
        this.certificates.set(jwk, verifyJwkCertificate(jwk, pinning.anchors, now));
        return true;
      } catch (error) {
        this.logger.warn(`JWKS key kid=${JSON.stringify(jwk['kid'] ?? null)} is not used: ${describe(error)}`);
        return false;
      }
    });
  }

  private log(event: KeyStoreEvent): void {
    if (event.kind === 'fetched') {
      this.logger.debug(`Fetched ${event.keyCount} signing key(s) from ${this.where()}: ${event.kids.join(', ')}`);
    } else if (event.servingStale) {
      this.logger.warn(`Cannot refresh the gateway's keys from ${this.where()} (${describe(event.error)}); still using the key set fetched ${Math.round((event.ageMs ?? 0) / 1000)} s ago`);
    } else {
      this.logger.error(`Cannot fetch the gateway's keys from ${this.where()}: ${describe(event.error)}`);
    }
  }

  private where(): string {
    const uri = this.options.jwksUri;
    const cut = uri.search(/[?#]/);
    return cut === -1 ? uri : uri.slice(0, cut);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
