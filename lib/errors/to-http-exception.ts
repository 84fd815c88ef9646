import { HttpException, HttpStatus } from '@nestjs/common';
import type { GatewayAuthError, GatewayAuthErrorCode, JwksUnavailableError } from './gateway-auth.error.js';

/**
 * The JSON body of every refusal. `code` is stable; `message` is for people.
 * @publicApi
 */
export interface GatewayAuthErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly code: GatewayAuthErrorCode;
  readonly message: string;
}

/**
 * A refusal as Nest sees it: the status and body, plus the headers the guard sets before throwing
 * (`WWW-Authenticate`, and `Retry-After` for 503).
 * @publicApi
 */
export class GatewayAuthHttpException extends HttpException {
  constructor(
    body: GatewayAuthErrorBody,
    readonly headers: Readonly<Record<string, string>>,
    readonly reason: GatewayAuthError,
  ) {
    super(body, body.statusCode, { cause: reason });
  }
}

/**
 * Fixed, header-safe descriptions for RFC 6750 `error_description` (printable ASCII without `"` or `\`).
 * The header never carries request-derived text, so nothing a caller sends can be reflected into it.
 */
const DESCRIPTIONS: Readonly<Record<GatewayAuthErrorCode, string>> = {
  config_invalid: 'The server is misconfigured',
  token_missing: 'No bearer token was sent',
  invalid_request: 'The authorization header is not a single bearer token',
  token_too_large: 'The token is too large',
  token_malformed: 'The token is not a well-formed JWT',
  header_unsupported: 'The token header requires unsupported processing',
  typ_mismatch: 'The token type is not accepted',
  algorithm_not_allowed: 'The token algorithm is not allowed',
  unknown_key: 'The token was signed with an unknown key',
  key_mismatch: 'The signing key does not fit the token algorithm',
  signature_invalid: 'The token signature is invalid',
  token_expired: 'The token has expired',
  token_not_yet_valid: 'The token is not valid yet',
  claims_invalid: 'The token claims are invalid',
  token_replayed: 'The token was already used',
  issuer_mismatch: 'The token issuer is not accepted',
  audience_mismatch: 'The token audience does not match this resource',
  subject_invalid: 'The token subject is not a distinguished name',
  caller_not_allowed: 'The caller is not allowed to use this resource',
  jwks_unavailable: 'The signing keys are temporarily unavailable',
};

/** Seconds a client is asked to wait when the key set cannot be had. */
export const JWKS_RETRY_AFTER_SECONDS = 10;

/**
 * The one place where errors become HTTP, following RFC 6750 §3 and §3.1:
 * no token → 401 with only the realm; a malformed header → 400 `invalid_request`;
 * a bad token (any reason, audience included) → 401 `invalid_token`; a good token from a caller
 * not allowed here → 403 `insufficient_scope`; no key set → 503.
 */
export function toHttpException(error: GatewayAuthError, realm: string): GatewayAuthHttpException {
  const challenge = `Bearer realm="${realm}"`;
  const description = DESCRIPTIONS[error.code];
  const withError = (rfcError: string): string =>
    `${challenge}, error="${rfcError}", error_description="${description}"`;

  switch (error.code) {
    case 'token_missing':
      return build(HttpStatus.UNAUTHORIZED, 'Unauthorized', error, { 'WWW-Authenticate': challenge });
    case 'invalid_request':
      return build(HttpStatus.BAD_REQUEST, 'Bad Request', error, {
        'WWW-Authenticate': withError('invalid_request'),
      });
    case 'caller_not_allowed':
      return build(HttpStatus.FORBIDDEN, 'Forbidden', error, {
        'WWW-Authenticate': withError('insufficient_scope'),
      });
    case 'jwks_unavailable':
      return build(HttpStatus.SERVICE_UNAVAILABLE, 'Service Unavailable', error, {
        'Retry-After': String((error as JwksUnavailableError).retryAfterSeconds ?? JWKS_RETRY_AFTER_SECONDS),
      });
    case 'config_invalid':
      return build(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal Server Error', error, {});
    default:
      return build(HttpStatus.UNAUTHORIZED, 'Unauthorized', error, {
        'WWW-Authenticate': withError('invalid_token'),
      });
  }
}

function build(
  statusCode: number,
  errorName: string,
  error: GatewayAuthError,
  headers: Record<string, string>,
): GatewayAuthHttpException {
  const message = error.code === 'config_invalid' ? DESCRIPTIONS.config_invalid : error.message;
  return new GatewayAuthHttpException(
    { statusCode, error: errorName, code: error.code, message },
    headers,
    error,
  );
}
