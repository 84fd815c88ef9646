/**
 * The values the testing kit uses when a test does not give its own. Test-only: none of them is a
 * real gateway, caller or host (`.test` is reserved by RFC 2606).
 */

/** The issuer (`iss`) of kit-minted tokens: the Subject DN of an imaginary gateway signing certificate. */
export const TEST_GATEWAY_ISSUER = 'CN=Test Gateway,O=Test';

/** The caller (`sub`) of kit-minted tokens and of the testing module's identity. */
export const TEST_CALLER_DN = 'CN=test-caller,O=Test';

/** The public URL of the service under test at the gateway (`audience.baseUrl`). */
export const TEST_AUDIENCE_BASE = 'https://api.example.test';

/** Lifetime of a kit-minted token: `exp` = `iat` + 60 s. */
export const TEST_TOKEN_TTL_SECONDS = 60;

/**
 * How far in the past `expired()` puts `exp`, and in the future `notYetValid()` puts `nbf`: beyond
 * the largest clock tolerance the module accepts (300 s), so such a token is refused whatever the
 * application's `clockToleranceSeconds`.
 */
export const TEST_OUT_OF_TOLERANCE_SECONDS = 600;

/** `TEST_CALLER_DN` as written in a `sub` of the given format (OpenSSL's slash form lists the country/organisation first). */
export function defaultCallerFor(format: 'rfc4514' | 'openssl' | 'opaque'): string {
  return format === 'openssl' ? '/O=Test/CN=test-caller' : TEST_CALLER_DN;
}
