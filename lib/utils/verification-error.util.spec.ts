import { toVerificationError } from './verification-error.util.js';
import { TokenExpiredError as OurExpired } from '../errors/gateway-auth.error.js';

/** Builds an error shaped as jsonwebtoken/passport-jwt report it (by name and message). */
function reported(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(Object.defineProperty(new Error(message), 'name', { value: name }), extra);
}

describe('toVerificationError', () => {
  it.each([
    [reported('TokenExpiredError', 'jwt expired', { expiredAt: new Date(0) }), 'token_expired'],
    [reported('NotBeforeError', 'jwt not active', { date: new Date(0) }), 'token_not_yet_valid'],
    [new Error('No auth token'), 'token_missing'],
    [reported('JsonWebTokenError', 'invalid signature'), 'signature_invalid'],
    [reported('JsonWebTokenError', 'invalid algorithm'), 'algorithm_not_allowed'],
    [reported('JsonWebTokenError', 'invalid exp value'), 'claims_invalid'],
    [reported('JsonWebTokenError', 'jwt malformed'), 'token_malformed'],
    [new Error('"alg" parameter for "rsa" key type must be one of: RS256'), 'key_mismatch'],
    [new TypeError('ES256 signature must be 64 bytes'), 'signature_invalid'],
    ['a string', 'token_malformed'],
    [undefined, 'token_malformed'],
  ])('maps %p to %s', (input, code) => {
    expect(toVerificationError(input).code).toBe(code);
  });

  it('passes our own errors through', () => {
    const error = new OurExpired(new Date(0));
    expect(toVerificationError(error)).toBe(error);
  });
});
