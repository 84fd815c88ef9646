import { createPublicKey, type KeyObject } from 'node:crypto';
import jwksRsa from 'jwks-rsa';
import {
  GatewayAuthError,
  IssuerMismatchError,
  JwksUnavailableError,
  KeyMismatchError,
  UnknownKeyError,
} from '../errors/gateway-auth.error.js';
import type { ResolvedGatewayAuthOptions } from '../gateway-auth.options.js';
import { dnEquals, parseDn } from '../utils/dn.util.js';
import { createJwsInspector, type InspectedJws, type JwsHeader } from '../utils/token-inspection.util.js';
import type { GatewayJwksService } from './gateway-jwks.service.js';
import { jwkMismatch } from './jwk-algorithm.js';
import { KeySetUnavailableError, type PublishedJwk } from './jwks-key-store.js';

/** What the key provider answers: the key, with the token's header and (unverified) payload. */
export type KeyCallback = (error: unknown, key?: KeyObject, header?: JwsHeader, payload?: Record<string, unknown>) => void;

/**
 * passport-jwt's `secretOrKeyProvider` contract. `done` is called synchronously when the key is
 * already known (every request but the first per key), asynchronously otherwise.
 */
export type SecretOrKeyProvider = (request: unknown, rawJwtToken: string, done: KeyCallback) => void;

/** Parsed keys kept per PEM, so that no request parses a PEM again (jwks-rsa hands out PEM strings). */
const KEY_OBJECT_CACHE_LIMIT = 64;

/**
 * The strategy's key source. In order:
 *  1. the cheap checks of `inspectToken` (size, shape, `alg` allow-list, `crit`, `b64`, `typ`);
 *  2. an unknown `kid` refused at once while the cooldown forbids a refetch;
 *  3. the key from jwks-rsa's `passportJwtSecret`, whose transport is the key store;
 *  4. the key still published, and fitting the token's `alg` (RFC 8725 §3.1);
 *  5. with issuer pinning, the token's `iss` being the key certificate's subject;
 *  6. the key as a cached `KeyObject`.
 * Every failure becomes a `GatewayAuthError`. Header parameters that could name a key (`jku`,
 * `x5u`, `jwk`, `x5c`) are never read: keys come from the configured JWKS only (RFC 8725 §3.10).
 */
export function createJwksKeyProvider(
  options: ResolvedGatewayAuthOptions,
  jwks: GatewayJwksService,
): SecretOrKeyProvider {
  const store = jwks.store;
  const secret = jwksRsa.passportJwtSecret({
    jwksUri: options.jwksUri,
    fetcher: () => store.keysForLookup(),
    cache: true,
    cacheMaxAge: options.jwks.cacheMaxAgeMs,
    cacheMaxEntries: options.jwks.cacheMaxEntries,
    // The store's cooldown bounds fetches; jwks-rsa's limiter would refuse genuine rotations.
    rateLimit: false,
    // jwks-rsa's default turns an unknown kid into "no key", which jsonwebtoken then reports as a
    // generic error; keep the real reason.
    handleSigningKeyError: (error, callback) => callback(error),
  });
  const inspect = createJwsInspector({ maxTokenLength: options.maxTokenLength, algorithms: options.algorithms, typ: options.typ });
  const keyObjects = new Map<string, KeyObject>();
  // The KeyObject jwks-rsa's key became, per published JWK: a new key set brings new JWK objects,
  // so this is invalidated with the key set, and a hit skips jwks-rsa's lookup altogether.
  const resolved = new WeakMap<PublishedJwk, KeyObject>();
  /** Why `jwk` may not verify this token (RFC 8725 §3.1, issuer pinning), or undefined when it may. */
  const unfit = (jwk: PublishedJwk, alg: string, payload: Record<string, unknown>): GatewayAuthError | undefined => {
    const mismatch = jwkMismatch(jwk, alg);
    if (mismatch) return new KeyMismatchError(`The key cannot verify this token: ${mismatch}`);
    return options.issuerPinning ? pinnedIssuerMismatch(payload['iss'], jwks, jwk, options.issuerPinning.match) : undefined;
  };

  /** Through jwks-rsa: the first use of a key, or after the key set changed. */
  const lookUp = (request: unknown, token: string, header: JwsHeader, payload: Record<string, unknown>, done: KeyCallback): void =>
    secret(request, token, (error, pem) => {
      const kid = header.kid;
      if (error) {
        done(toKeyError(error, kid));
        return;
      }
      // jwks-rsa may still hold a key the gateway has since withdrawn: only published keys count.
      const jwk = store.find(kid);
      if (pem === undefined || pem === null || !jwk) {
        done(new UnknownKeyError(kid));
        return;
      }
      const failure = unfit(jwk, header.alg, payload);
      if (failure) {
        done(failure);
        return;
      }
      let key: KeyObject;
      try {
        key = keyObjectFor(String(pem), keyObjects);
      } catch (error) {
        done(toKeyError(error, kid));
        return;
      }
      resolved.set(jwk, key);
      done(null, key, header, payload);
    });

  return (request, rawJwtToken, done) => {
    let inspected: InspectedJws;
    try {
      inspected = inspect(rawJwtToken);
    } catch (error) {
      done(error);
      return;
    }
    const { header, payload } = inspected;
    const kid = header.kid;
    if (store.isFresh()) {
      const jwk = store.find(kid);
      const key = jwk && resolved.get(jwk);
      if (key) {
        // The hot path: a known key, answered synchronously.
        const failure = unfit(jwk, header.alg, payload);
        if (failure) done(failure);
        else done(null, key, header, payload);
        return;
      }
      if (!jwk && store.isKnownToBeUnknown(kid)) {
        done(new UnknownKeyError(kid));
        return;
      }
      lookUp(request, rawJwtToken, header, payload, done);
    } else {
      store.ensureUsable().then(
        () => lookUp(request, rawJwtToken, header, payload, done),
        (error: unknown) => done(toKeyError(error, kid)),
      );
    }
  };
}

/**
 * The token's (still unverified) `iss` must name the key's certificate; the signature check
 * follows. Exported for the `doctor` command, which explains refusals with the same rule.
 */
export function pinnedIssuerMismatch(iss: unknown, jwks: GatewayJwksService, jwk: PublishedJwk, match: 'dn' | 'cn'): IssuerMismatchError | undefined {
  const certificate = jwks.certificateOf(jwk);
  const expected = certificate ? [match === 'cn' ? (certificate.commonName ?? '') : certificate.subjectDn] : [];
  const actual = typeof iss === 'string' ? iss : undefined;
  let matches = false;
  if (certificate && actual !== undefined) {
    if (match === 'cn') {
      matches = actual === certificate.commonName;
    } else {
      try {
        matches = dnEquals(parseDn(actual), certificate.subject);
      } catch {
        matches = false;
      }
    }
  }
  return matches ? undefined : new IssuerMismatchError(expected, actual);
}

function keyObjectFor(pem: string, cache: Map<string, KeyObject>): KeyObject {
  let key = cache.get(pem);
  if (!key) {
    key = createPublicKey(pem);
    const tooShort = rsaKeySizeProblem(key);
    if (tooShort) throw new KeyMismatchError(tooShort);
    if (cache.size >= KEY_OBJECT_CACHE_LIMIT) cache.clear();
    cache.set(pem, key);
  }
  return key;
}

/** RFC 7518 §3.3: RSA keys of 2048 bits or more. Why `key` is refused, or undefined. */
export function rsaKeySizeProblem(key: KeyObject): string | undefined {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  return bits !== undefined && bits < 2048 ? `The RSA key has ${bits} bits; at least 2048 are required` : undefined;
}

/**
 * jwks-rsa@3 reports an unknown kid as `SigningKeyNotFoundError`; the store reports an outage as
 * `KeySetUnavailableError`; anything else on the way to a key means the keys cannot be had.
 */
export function toKeyError(error: unknown, kid: string | undefined): GatewayAuthError {
  if (error instanceof GatewayAuthError) return error;
  if (error instanceof KeySetUnavailableError) {
    return new JwksUnavailableError('The signing keys could not be fetched from the gateway', {
      cause: error.cause ?? error,
      retryAfterSeconds: Math.max(1, Math.ceil(error.retryAfterMs / 1000)),
    });
  }
  if (error instanceof Error && error.name === 'SigningKeyNotFoundError') {
    return new UnknownKeyError(kid, { cause: error });
  }
  return new JwksUnavailableError('The signing keys could not be fetched from the gateway', { cause: error });
}
