import type { CallerRule } from '../caller/caller-rules.js';
import type { SubjectFormat } from '../caller/gateway-caller.js';

/**
 * The asymmetric JWS algorithms the strategy can verify (RFC 7518 §3.1). `HS*` and `none` are not
 * in this list on purpose: a gateway's public key must never be usable as an HMAC secret (RFC 8725 §2.1).
 * @publicApi
 */
export type GatewayJwsAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA';

/**
 * The audience is the public URL of the route being called: `baseUrl` joined with the request path
 * as the service received it (query string dropped). A token minted for `/orders` opens `/orders`
 * and nothing else.
 * @publicApi
 */
export interface GatewayRouteAudienceOptions {
  /**
   * The public URL at which the gateway exposes this service, e.g. `https://api.example.com`
   * or, when the gateway strips a listen path, `https://api.example.com/service2`.
   * Absolute `http:`/`https:` URL without query string or fragment.
   */
  readonly baseUrl: string;
  /**
   * `exact`: the token's `aud` must be the route's URL. `prefix`: it may also be a parent path,
   * at a segment boundary: `https://api.example.com/orders` covers `/orders` and `/orders/42`,
   * never `/orders-admin`.
   * @default 'exact'
   */
  readonly match?: 'exact' | 'prefix';
  /**
   * Make the query string significant, for gateways that put it in `aud` (nginx's
   * `$scheme://$host$request_uri` does). Not with `match: 'prefix'`.
   * @default false
   */
  readonly includeQuery?: boolean;
  /**
   * Take the scheme and host from `X-Forwarded-Proto` / `X-Forwarded-Host` (first value) instead of
   * `baseUrl`, whose path is still used. Only when the gateway always sets both headers itself:
   * otherwise a caller chooses the audience it is checked against.
   * @default false
   */
  readonly trustProxy?: boolean;
}

/**
 * A fixed audience, for gateways that put one service URI (or name) in `aud` whatever the route.
 * @publicApi
 */
export interface GatewayStaticAudienceOptions {
  /** The accepted audience value(s); the token's `aud` must contain at least one. */
  readonly value: string | readonly string[];
}

/**
 * The request as a resolver sees it (Express or Fastify request).
 * @publicApi
 */
export interface GatewayAudienceRequest {
  readonly method?: string;
  readonly originalUrl?: string;
  readonly url?: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** @publicApi */
export type AudienceResolver = (request: GatewayAudienceRequest) => string | readonly string[];

/**
 * The audience computed by your own function, for anything the other forms do not cover.
 * @publicApi
 */
export interface GatewayResolvedAudienceOptions {
  /** Returns the URL(s) of which the token's `aud` must carry one; throwing or `[]` refuses. */
  readonly resolve: AudienceResolver;
  /** As for `baseUrl`. @default 'exact' */
  readonly match?: 'exact' | 'prefix';
}

/** @publicApi */
export type GatewayAudienceOptions =
  | GatewayRouteAudienceOptions
  | GatewayStaticAudienceOptions
  | GatewayResolvedAudienceOptions;

/**
 * How keys are fetched from the gateway's JWKS endpoint (jwks-rsa underneath).
 * @publicApi
 */
export interface GatewayJwksOptions {
  /**
   * How long a fetched key set is used before it is fetched again, in milliseconds.
   * @default 600000 (10 minutes)
   */
  readonly cacheMaxAgeMs?: number;
  /**
   * How many keys (kids) jwks-rsa keeps converted.
   * @default 16
   */
  readonly cacheMaxEntries?: number;
  /**
   * Least time between two fetches, in milliseconds. A token with an unknown `kid` refetches the
   * key set at most once per cooldown (concurrent ones share the fetch), so a flood of random kids
   * cannot turn this service into an amplifier against the gateway, and a rotated-in key is
   * picked up within the cooldown. Also the pace of retries while the endpoint is down.
   * @default 10000
   */
  readonly cooldownMs?: number;
  /**
   * When the endpoint is down or answers garbage, the last good key set is still used for this
   * long past its max age (logged), then requests get 503 `jwks_unavailable`.
   * @default 900000 (15 minutes)
   */
  readonly staleWindowMs?: number;
  /**
   * Total deadline of one fetch (connect, TLS, headers and body), in milliseconds.
   * @default 5000
   */
  readonly timeoutMs?: number;
  /**
   * Largest JWKS response accepted, in bytes.
   * @default 1048576 (1 MiB)
   */
  readonly maxResponseBytes?: number;
  /** CA certificate(s) (PEM) trusted for an `https:` JWKS endpoint, e.g. a private CA. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Client certificate (PEM), for a JWKS endpoint behind mutual TLS; with `key`. */
  readonly cert?: string | Buffer;
  /** Private key (PEM) of `cert`. */
  readonly key?: string | Buffer;
  /** Extra request headers, e.g. an API key the gateway wants on its JWKS endpoint. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Fetch the keys when the application starts: `'fail'` stops the start-up when they cannot be
   * had (a wrong `jwksUri` shows at deploy time), `'warn'` logs and goes on, `'off'` waits for the
   * first request.
   * @default 'off'
   */
  readonly prefetch?: 'off' | 'warn' | 'fail';
}

/**
 * Pins the issuer to the gateway's signing certificate, carried in the JWKS key's `x5c`: only keys
 * whose certificate chains to `ca` (validity dates and CA constraints checked, and the
 * certificate's public key being the JWK's) are used, and the token's `iss` must be that
 * certificate's Subject DN (compared as DNs) or, with `match: 'cn'`, its common name.
 * @publicApi
 */
export interface GatewayIssuerFromCertificate {
  readonly fromCertificate: {
    /** CA certificate(s) (PEM) the signing certificate must chain to. */
    readonly ca: string | Buffer | readonly (string | Buffer)[];
    /** @default 'dn' */
    readonly match?: 'dn' | 'cn';
  };
}

/**
 * Options of `GatewayAuthModule.forRoot()` / `forRootAsync()`.
 * @publicApi
 */
export interface GatewayAuthModuleOptions {
  /**
   * The gateway's JWKS endpoint. Must be `https:`, except on a loopback host
   * (`localhost`, `127.0.0.0/8`, `[::1]`) where `http:` is allowed for development and tests.
   */
  readonly jwksUri: string;
  /**
   * The accepted `iss` value(s): with Tyk-style gateways, the Subject DN of the gateway's signing
   * certificate, e.g. `CN=IAG Signing,O=Example`. Compared exactly. Or `{ fromCertificate }`
   * to take it from the signing certificate itself (see `GatewayIssuerFromCertificate`).
   */
  readonly issuer: string | readonly string[] | GatewayIssuerFromCertificate;
  /** Which `aud` a token must carry: the route's public URL (`baseUrl`) or a fixed value. */
  readonly audience: GatewayAudienceOptions;
  /**
   * Allowed signature algorithms (RFC 8725 §3.1). Asymmetric only.
   * @default ['RS256', 'ES256']
   */
  readonly algorithms?: readonly GatewayJwsAlgorithm[];
  /**
   * Seconds of clock difference tolerated between the gateway and this service for `exp`, `nbf`, `iat`.
   * @default 30
   */
  readonly clockToleranceSeconds?: number;
  /**
   * Read the token from this header instead of `Authorization`. Its value may be the raw token or
   * `Bearer <token>`. Header names are case-insensitive.
   * @default undefined (the `Authorization: Bearer` header, RFC 6750 §2.1)
   */
  readonly tokenHeader?: string;
  /**
   * When set, the token's `typ` header must be one of these (compared case-insensitively, an
   * `application/` prefix ignored, RFC 7515 §4.1.9), e.g. `'JWT'` or `'at+jwt'` (RFC 9068).
   * When unset, any `typ` or none is accepted.
   * @default undefined
   */
  readonly typ?: string | readonly string[];
  /**
   * Longest token accepted, in characters, checked before any decoding.
   * @default 8192
   */
  readonly maxTokenLength?: number;
  /**
   * The `realm` of the `WWW-Authenticate` challenge (RFC 6750 §3).
   * @default 'api'
   */
  readonly realm?: string;
  /** JWKS fetching and caching. */
  readonly jwks?: GatewayJwksOptions;
  /**
   * How the gateway writes the caller's DN in `sub`: `rfc4514` (`CN=service1,OU=Payments,O=Acme Ltd,C=GB`),
   * `openssl` (`/C=GB/O=Acme Ltd/OU=Payments/CN=service1`), or `opaque` when `sub` is not a DN (then
   * `@GatewayCaller()`, `@GatewaySubject('CN')` and DN allow-lists are refused at startup).
   * A `sub` that does not parse is refused with `subject_invalid`.
   * @default 'rfc4514'
   */
  readonly subjectFormat?: SubjectFormat;
  /**
   * Who may call any route that has no `@AllowCallers()` of its own: DNs (compared by meaning) or
   * predicates on the caller. Others get 403 `caller_not_allowed`.
   * @default undefined (any caller the gateway vouches for)
   */
  readonly allowedCallers?: readonly CallerRule[];
  /**
   * Claims every token must carry, beyond `iss`, `sub`, `aud` and `exp` (e.g. `['jti', 'iat']`).
   * @default []
   */
  readonly requiredClaims?: readonly string[];
  /**
   * Refuse tokens issued (`iat`) longer ago than this many seconds, whatever their `exp`;
   * `iat` becomes required.
   * @default undefined (no limit)
   */
  readonly maxTokenAgeSeconds?: number;
  /**
   * Refuse a second use of a token (same `iss` and `jti`) until it expires, for gateways that mint
   * one token per request; `jti` becomes required. In memory, per process, bounded: `true` keeps
   * up to 100000 tokens.
   * @default false
   */
  readonly replayCache?: boolean | { readonly maxEntries?: number };
  /**
   * Most refusals logged (warn/error) per minute; the rest are counted and the count is reported
   * with the next line logged, so a flood of bad tokens cannot flood the logs.
   * @default 120
   */
  readonly rejectionLogsPerMinute?: number;
  /**
   * Remember verified tokens (by a SHA-256 digest) so a token the gateway forwards again skips
   * signature verification; the route's audience and caller checks still run on every request.
   * Entries expire with the token or after `maxTtlSeconds`, whichever is first (so a withdrawn
   * key stops counting within that time). `true`: 10000 entries, 60 s. Not with `replayCache`.
   * @default false
   */
  readonly verifiedTokenCache?: boolean | { readonly maxEntries?: number; readonly maxTtlSeconds?: number };
  /**
   * Where the signature is checked. `'event-loop'`: one-shot `crypto.verify` inline, the lowest
   * latency per request and the guard's answer without a Promise. `'thread-pool'`: `crypto.verify`
   * with a callback, in libuv's thread pool (as jose does), so the event loop serves other requests
   * meanwhile: more requests per second on a server with a spare core, but 50 to 90 µs more
   * latency per request (the thread hand-off). `'auto'`: on the event loop while it has time to
   * spare, in the thread pool while it is saturated (over 70% busy) and other requests are waiting,
   * back as soon as handing off gains nothing. The thread pool (`UV_THREADPOOL_SIZE`, 4 by default)
   * is shared with `fs`, `dns` and `zlib`.
   * @default 'auto'
   */
  readonly signatureVerification?: SignatureVerification;
}

/** Where `GatewayAuthModule` checks signatures: see `GatewayAuthModuleOptions.signatureVerification`. */
export type SignatureVerification = 'event-loop' | 'thread-pool' | 'auto';

/**
 * Implemented by a class given to `forRootAsync({ useClass })`.
 * @publicApi
 */
export interface GatewayAuthOptionsFactory {
  createGatewayAuthOptions(): GatewayAuthModuleOptions | Promise<GatewayAuthModuleOptions>;
}
