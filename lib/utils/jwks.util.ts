import { createPublicKey, type KeyObject } from 'node:crypto';
import jwksRsa from 'jwks-rsa';
import {
  GatewayAuthError,
  JwksUnavailableError,
  KeyMismatchError,
  UnknownKeyError,
} from '../errors/gateway-auth.error.js';
import { inspectToken, type InspectionRules } from './token-inspection.util.js';

/** passport-jwt's `secretOrKeyProvider` contract. */
export type SecretOrKeyProvider = (
  request: unknown,
  rawJwtToken: string,
  done: (error: unknown, key?: KeyObject) => void,
) => void;

export interface JwksProviderSettings extends InspectionRules {
  readonly jwksUri: string;
  readonly cacheMaxAgeMs: number;
  readonly cacheMaxEntries: number;
  readonly requestsPerMinute: number;
  readonly timeoutMs: number;
}

/** Parsed keys kept per PEM, so that no request parses a PEM again (jwks-rsa hands out PEM strings). */
const KEY_OBJECT_CACHE_LIMIT = 64;

/**
 * The strategy's key source: jwks-rsa's `passportJwtSecret` (cache, rate limit and timeout on),
 * preceded by the cheap token checks of `inspectToken` and followed by a PEM → KeyObject cache.
 * Every failure is turned into a `GatewayAuthError` here.
 */
export function createJwksKeyProvider(settings: JwksProviderSettings): SecretOrKeyProvider {
  const secret = jwksRsa.passportJwtSecret({
    jwksUri: settings.jwksUri,
    cache: true,
    cacheMaxAge: settings.cacheMaxAgeMs,
    cacheMaxEntries: settings.cacheMaxEntries,
    rateLimit: true,
    jwksRequestsPerMinute: settings.requestsPerMinute,
    timeout: settings.timeoutMs,
    // jwks-rsa's default turns an unknown kid into "no key", which jsonwebtoken then reports as a
    // generic error; keep the real reason.
    handleSigningKeyError: (error, callback) => callback(error),
  });
  const keyObjects = new Map<string, KeyObject>();

  return (request, rawJwtToken, done) => {
    let kid: string | undefined;
    try {
      kid = inspectToken(rawJwtToken, settings).kid;
    } catch (error) {
      done(error);
      return;
    }
    secret(request, rawJwtToken, (error, pem) => {
      if (error) {
        done(toKeyError(error, kid));
        return;
      }
      if (pem === undefined || pem === null) {
        done(new UnknownKeyError(kid));
        return;
      }
      try {
        done(null, keyObjectFor(String(pem), keyObjects));
      } catch (cause) {
        done(new KeyMismatchError('The key set holds a key that cannot be parsed', { cause }));
      }
    });
  };
}

function keyObjectFor(pem: string, cache: Map<string, KeyObject>): KeyObject {
  let key = cache.get(pem);
  if (!key) {
    if (cache.size >= KEY_OBJECT_CACHE_LIMIT) cache.clear();
    key = createPublicKey(pem);
    cache.set(pem, key);
  }
  return key;
}

/**
 * jwks-rsa@3 reports an unknown kid as `SigningKeyNotFoundError`, a non-2xx answer or an empty
 * key set as `JwksError`, too many fetches as `JwksRateLimitError`, and network failures or a
 * body that is not JSON unwrapped (`ECONNREFUSED`, `ECONNRESET`, `SyntaxError`, …).
 */
export function toKeyError(error: unknown, kid: string | undefined): GatewayAuthError {
  if (error instanceof GatewayAuthError) return error;
  const name = error instanceof Error ? error.name : '';
  switch (name) {
    case 'SigningKeyNotFoundError':
      return new UnknownKeyError(kid, { cause: error });
    case 'JwksRateLimitError':
      return new JwksUnavailableError(
        'The signing keys could not be fetched: too many JWKS requests, try again shortly',
        { cause: error },
      );
    default:
      return new JwksUnavailableError('The signing keys could not be fetched from the gateway', {
        cause: error,
      });
  }
}
