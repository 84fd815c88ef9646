import {
  ClaimsInvalidError,
  IssuerMismatchError,
  TokenExpiredError,
  TokenNotYetValidError,
} from '../errors/gateway-auth.error.js';
import type { ResolvedGatewayAuthOptions } from '../gateway-auth.options.js';

/**
 * The claim checks of a signature-verified payload, one small function each, in the order the
 * strategy runs them. Shared by `GatewayJwtStrategy.validate()` and the `doctor` command, so that
 * both judge a token by the very same code. (`nbf`/`exp` against the clock are `checkTimeClaims`
 * in jws-verify.util, run with the signature.)
 */

/** The options the claim checks read. */
export type ClaimCheckOptions = Pick<
  ResolvedGatewayAuthOptions,
  'issuers' | 'issuerPinning' | 'clockToleranceSeconds' | 'requiredClaims' | 'maxTokenAgeSeconds'
>;

/**
 * `iss` must be a configured issuer. With issuer pinning the key provider has already matched
 * `iss` to the signing certificate, so only its presence is checked here.
 * @throws {IssuerMismatchError}
 */
export function checkIssuer(payload: Record<string, unknown>, options: ClaimCheckOptions): string {
  const iss = payload['iss'];
  if (typeof iss !== 'string' || (!options.issuerPinning && !options.issuers.includes(iss))) {
    throw new IssuerMismatchError(options.issuers, typeof iss === 'string' ? iss : undefined);
  }
  return iss;
}

/** The claims every gateway token must carry, with their types. */
export interface CoreClaims {
  readonly exp: number;
  readonly sub: string;
  readonly aud: string | readonly string[];
}

/**
 * `exp`, `sub` and `aud` present and well typed (RFC 8725 §3.10: no token without an expiry).
 * @throws {ClaimsInvalidError}
 */
export function checkCoreClaims(payload: Record<string, unknown>): CoreClaims {
  const { exp, sub, aud } = payload;
  if (exp === undefined) throw new ClaimsInvalidError('exp', 'missing');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new ClaimsInvalidError('exp', 'invalid');
  if (sub === undefined) throw new ClaimsInvalidError('sub', 'missing');
  if (typeof sub !== 'string' || sub.trim() === '') throw new ClaimsInvalidError('sub', 'invalid');
  if (aud === undefined) throw new ClaimsInvalidError('aud', 'missing');
  if (!isAudience(aud)) throw new ClaimsInvalidError('aud', 'invalid');
  return { exp, sub, aud };
}

/**
 * `iat`, when present, not in the future beyond the tolerance; with `maxTokenAgeSeconds`, present
 * and recent enough.
 * @throws {ClaimsInvalidError} `iat` not a number, or missing when an age limit is set
 * @throws {TokenNotYetValidError} `iat` in the future
 * @throws {TokenExpiredError} older than `maxTokenAgeSeconds`
 */
export function checkIssuedAt(payload: Record<string, unknown>, options: ClaimCheckOptions, nowMs = Date.now()): void {
  const iat = payload['iat'];
  const now = nowMs / 1000;
  if (iat !== undefined) {
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new ClaimsInvalidError('iat', 'invalid');
    if (iat > now + options.clockToleranceSeconds) throw new TokenNotYetValidError('iat', new Date(iat * 1000));
  }
  const maxAge = options.maxTokenAgeSeconds;
  if (maxAge === undefined) return;
  if (typeof iat !== 'number') throw new ClaimsInvalidError('iat', 'missing');
  if (now > iat + maxAge + options.clockToleranceSeconds) throw new TokenExpiredError(new Date((iat + maxAge) * 1000));
}

/**
 * Every claim named in `requiredClaims` present.
 * @throws {ClaimsInvalidError}
 */
export function checkRequiredClaims(payload: Record<string, unknown>, options: ClaimCheckOptions): void {
  for (const claim of options.requiredClaims) {
    if (payload[claim] === undefined) throw new ClaimsInvalidError(claim, 'missing');
  }
}

/** A usable `aud`: a non-empty string, or a non-empty list of strings (RFC 7519 §4.1.3). */
export function isAudience(aud: unknown): aud is string | string[] {
  return (
    (typeof aud === 'string' && aud !== '') ||
    (Array.isArray(aud) && aud.length > 0 && aud.every(value => typeof value === 'string'))
  );
}
