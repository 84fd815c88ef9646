import {
  AlgorithmNotAllowedError,
  ClaimsInvalidError,
  GatewayAuthError,
  KeyMismatchError,
  SignatureInvalidError,
  TokenExpiredError,
  TokenMalformedError,
  TokenMissingError,
  TokenNotYetValidError,
} from '../errors/gateway-auth.error.js';

/**
 * Translates what passport-jwt reports (its own "No auth token", jsonwebtoken's errors, plain
 * errors from key validation and signature decoding) into our typed errors. Errors we raised
 * ourselves pass through unchanged.
 */
export function toVerificationError(reported: unknown): GatewayAuthError {
  if (reported instanceof GatewayAuthError) return reported;
  if (!(reported instanceof Error)) {
    return new TokenMalformedError('The token could not be verified');
  }
  const { name, message } = reported;
  const withDate = reported as Error & { expiredAt?: unknown; date?: unknown };
  if (name === 'TokenExpiredError' && withDate.expiredAt instanceof Date) {
    return new TokenExpiredError(withDate.expiredAt);
  }
  if (name === 'NotBeforeError' && withDate.date instanceof Date) {
    return new TokenNotYetValidError('nbf', withDate.date);
  }
  if (message === 'No auth token') return new TokenMissingError('No bearer token was sent');
  if (message === 'invalid signature') {
    return new SignatureInvalidError('The token signature does not verify with the gateway key');
  }
  if (message === 'invalid algorithm') return new AlgorithmNotAllowedError(undefined);
  if (message === 'invalid exp value') return new ClaimsInvalidError('exp', 'invalid');
  if (message === 'invalid nbf value') return new ClaimsInvalidError('nbf', 'invalid');
  if (/^(jwt malformed|invalid token|jwt signature is required|jwt must be)/.test(message)) {
    return new TokenMalformedError('The token is not a well-formed JWT');
  }
  if (/^("alg" parameter|Invalid key for this operation|secretOrPublicKey must)/.test(message)) {
    return new KeyMismatchError('The key for this kid cannot verify the token\'s algorithm', {
      cause: reported,
    });
  }
  // jws throws for signatures it cannot even decode (e.g. an ES256 signature of the wrong length).
  return new SignatureInvalidError('The token signature could not be verified', { cause: reported });
}
