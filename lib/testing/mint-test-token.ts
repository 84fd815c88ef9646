import { randomUUID } from 'node:crypto';
import { describeValue, finiteNumber, invalid, knownKeys, objectArgument } from './input-checks.js';
import { signCompactJws } from './sign-test-jwt.js';
import { TEST_TOKEN_TTL_SECONDS } from './test-defaults.js';
import type { TestSigningKey } from './test-signing-key.js';

/**
 * Claims of a test token. The registered ones are typed as the module expects them; any value is
 * written as given, so `{ sub: 42 } as TestTokenClaims` mints a token the module must refuse.
 * @publicApi
 */
export interface TestTokenClaims {
  readonly iss?: string;
  /** The caller's DN (RFC 4514), e.g. `CN=service1,OU=Payments,O=Acme Ltd,C=GB`. */
  readonly sub?: string;
  readonly aud?: string | readonly string[];
  readonly exp?: number;
  readonly nbf?: number;
  readonly iat?: number;
  readonly jti?: string;
  readonly [claim: string]: unknown;
}

/**
 * How a token is minted, beyond its claims.
 * @publicApi
 */
export interface MintTestTokenOptions {
  /** Header parameters on top of `{ alg, kid, typ: 'JWT' }`; `undefined` removes one (`{ typ: undefined }`). */
  readonly header?: Readonly<Record<string, unknown>>;
  /**
   * `exp` in seconds from now; negative for a token that has expired. Not with an `exp` claim.
   * @default the token lifetime (60 s), counted from `nbf` when `notBefore` is given
   */
  readonly expiresIn?: number;
  /** `nbf` in seconds from now (positive: not valid yet). Not with an `nbf` claim. */
  readonly notBefore?: number;
  /** Claims to leave out, defaults included, e.g. `['exp']` or `['jti', 'iat']`. */
  readonly omit?: readonly string[];
}

export const MINT_OPTION_NAMES: readonly string[] = ['header', 'expiresIn', 'notBefore', 'omit'];

/**
 * The payload of a test token: `iat` now, `exp` after the lifetime, a random `jti`, then `defaults`
 * and `claims` on top, less `omit`. Shared by `mintTestToken()` and the test gateway.
 */
export function buildTestClaims(
  where: string,
  defaults: Readonly<Record<string, unknown>>,
  claims: unknown,
  options: unknown,
  ttlSeconds: number,
  knownOptions: readonly string[] = MINT_OPTION_NAMES,
): { readonly payload: Record<string, unknown>; readonly header: Readonly<Record<string, unknown>> } {
  const given = objectArgument(claims, where, 'claims');
  const opts = objectArgument(options, where, 'options');
  knownKeys(opts, knownOptions, where, 'option');
  const expiresIn = finiteNumber(opts['expiresIn'], where, 'expiresIn');
  const notBefore = finiteNumber(opts['notBefore'], where, 'notBefore');
  if (expiresIn !== undefined && given['exp'] !== undefined) invalid(where, 'give claims.exp or options.expiresIn, not both');
  if (notBefore !== undefined && given['nbf'] !== undefined) invalid(where, 'give claims.nbf or options.notBefore, not both');
  const omit = opts['omit'] ?? [];
  if (!Array.isArray(omit) || omit.some(name => typeof name !== 'string' || name === '')) {
    invalid(where, `omit must be a list of claim names, got ${describeValue(omit)}`);
  }
  const header = objectArgument(opts['header'], where, 'header');

  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    ...defaults,
    iat: now,
    ...(notBefore === undefined ? {} : { nbf: now + notBefore }),
    exp: now + (expiresIn ?? Math.max(notBefore ?? 0, 0) + ttlSeconds),
    jti: randomUUID(),
    ...given,
  };
  for (const name of omit as string[]) delete payload[name];
  return { payload, header };
}

/**
 * Mints a token with `key`: `claims` plus `iat` (now), `exp` (now + 60 s, or `expiresIn`) and a
 * random `jti`, unless given or omitted. Nothing else is added: `iss`, `sub` and `aud` are yours
 * (a test gateway's `mint()` fills them in).
 *
 * @example
 * const token = mintTestToken(key, { iss, sub: 'CN=service1,O=Acme', aud: 'https://api.example.com/orders' });
 * const stale = mintTestToken(key, claims, { expiresIn: -600 });
 * @publicApi
 */
export function mintTestToken(key: TestSigningKey, claims: TestTokenClaims = {}, options: MintTestTokenOptions = {}): string {
  const where = 'mintTestToken()';
  const { payload, header } = buildTestClaims(where, {}, claims, options, TEST_TOKEN_TTL_SECONDS);
  return signCompactJws(where, key, payload, header);
}
