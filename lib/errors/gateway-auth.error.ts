/**
 * Every reason a request can be refused, as a stable machine-readable code.
 * The same string is the `code` of the error class and of the HTTP response body.
 *
 * @publicApi
 */
export type GatewayAuthErrorCode =
  | 'config_invalid'
  | 'token_missing'
  | 'invalid_request'
  | 'token_too_large'
  | 'token_malformed'
  | 'header_unsupported'
  | 'typ_mismatch'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'key_mismatch'
  | 'signature_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'claims_invalid'
  | 'token_replayed'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'subject_invalid'
  | 'caller_not_allowed'
  | 'jwks_unavailable';

/**
 * Base class of every error this library raises. Carries a stable `code`; the message is for
 * people and may change between versions. Never contains the token or its signature.
 *
 * @example
 * if (err instanceof GatewayAuthError && err.code === 'token_expired') { ... }
 * @publicApi
 */
export abstract class GatewayAuthError extends Error {
  abstract readonly code: GatewayAuthErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The module options are wrong; thrown while the application boots, never at request time.
 * `issues` lists every problem, one line each, with the option path.
 * @publicApi
 */
export class GatewayAuthConfigError extends GatewayAuthError {
  readonly code = 'config_invalid' as const;
  constructor(readonly issues: readonly string[]) {
    super(
      `nestjs-gateway-auth: invalid configuration:\n${issues.map(issue => `  - ${issue}`).join('\n')}`,
    );
  }
}

/** No token was sent (RFC 6750 §3.1: answered without an error code). @publicApi */
export class TokenMissingError extends GatewayAuthError {
  readonly code = 'token_missing' as const;
}

/** The Authorization (or configured) header is present but not `Bearer <token>`. @publicApi */
export class InvalidRequestError extends GatewayAuthError {
  readonly code = 'invalid_request' as const;
}

/** The token is longer than `maxTokenLength`; rejected before any decoding. @publicApi */
export class TokenTooLargeError extends GatewayAuthError {
  readonly code = 'token_too_large' as const;
  constructor(
    readonly length: number,
    readonly limit: number,
  ) {
    super(`The token is ${length} characters long; the limit is ${limit}`);
  }
}

/** The token is not a well-formed compact JWS with a JSON object header and payload. @publicApi */
export class TokenMalformedError extends GatewayAuthError {
  readonly code = 'token_malformed' as const;
}

/**
 * The token's header asks for processing this verifier does not do: a `crit` extension
 * (RFC 7515 §4.1.11) or an unencoded payload (`b64: false`, RFC 7797).
 * @publicApi
 */
export class HeaderUnsupportedError extends GatewayAuthError {
  readonly code = 'header_unsupported' as const;
  constructor(readonly parameter: 'crit' | 'b64') {
    super(parameter === 'crit' ? 'The token has a crit header this verifier does not support' : 'The token has an unencoded payload (b64: false)');
  }
}

/** The token's `typ` header is not one of the configured values. @publicApi */
export class TypMismatchError extends GatewayAuthError {
  readonly code = 'typ_mismatch' as const;
  constructor(readonly actual: string | undefined) {
    super(`The token's typ header (${actual ?? 'absent'}) is not accepted`);
  }
}

/** The token's `alg` is not in the allow-list (RFC 8725 §3.1). @publicApi */
export class AlgorithmNotAllowedError extends GatewayAuthError {
  readonly code = 'algorithm_not_allowed' as const;
  constructor(readonly algorithm: string | undefined) {
    super(`The token's algorithm (${algorithm ?? 'absent'}) is not allowed`);
  }
}

/** The gateway's JWKS has no signing key for the token's `kid`. @publicApi */
export class UnknownKeyError extends GatewayAuthError {
  readonly code = 'unknown_key' as const;
  constructor(
    readonly kid: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      kid === undefined
        ? 'The token has no kid and the key set holds more than one key'
        : 'No signing key in the key set matches the token\'s kid',
      options,
    );
  }
}

/** The key found for the token's `kid` cannot be used with the token's `alg` (RFC 8725 §3.1). @publicApi */
export class KeyMismatchError extends GatewayAuthError {
  readonly code = 'key_mismatch' as const;
}

/** The signature does not verify with the gateway's key. @publicApi */
export class SignatureInvalidError extends GatewayAuthError {
  readonly code = 'signature_invalid' as const;
}

/** `exp` is in the past (beyond the clock tolerance). @publicApi */
export class TokenExpiredError extends GatewayAuthError {
  readonly code = 'token_expired' as const;
  constructor(readonly expiredAt: Date) {
    super(`The token expired at ${expiredAt.toISOString()}`);
  }
}

/** `nbf` (or `iat`) is in the future (beyond the clock tolerance). @publicApi */
export class TokenNotYetValidError extends GatewayAuthError {
  readonly code = 'token_not_yet_valid' as const;
  constructor(
    readonly claim: 'nbf' | 'iat',
    readonly validFrom: Date,
  ) {
    super(`The token is not valid before ${validFrom.toISOString()} (${claim})`);
  }
}

/** A registered claim is missing or has the wrong type (e.g. no `exp`, no `sub`). @publicApi */
export class ClaimsInvalidError extends GatewayAuthError {
  readonly code = 'claims_invalid' as const;
  constructor(
    readonly claim: string,
    readonly reason: 'missing' | 'invalid',
  ) {
    super(`The token's ${claim} claim is ${reason}`);
  }
}

/** The token's `jti` was seen before (replay cache on): gateways mint one token per request. @publicApi */
export class TokenReplayedError extends GatewayAuthError {
  readonly code = 'token_replayed' as const;
  constructor() {
    super('The token was already used');
  }
}

/** `iss` is not one of the configured issuers. @publicApi */
export class IssuerMismatchError extends GatewayAuthError {
  readonly code = 'issuer_mismatch' as const;
  constructor(
    readonly expected: readonly string[],
    readonly actual: string | undefined,
  ) {
    super('The token was not issued by an accepted issuer');
  }
}

/** The token's `aud` does not name the route being called (RFC 7519 §4.1.3). @publicApi */
export class AudienceMismatchError extends GatewayAuthError {
  readonly code = 'audience_mismatch' as const;
  constructor(
    readonly required: readonly string[],
    readonly actual: readonly string[],
  ) {
    super(
      required.length === 0
        ? 'No audience can be derived for this request path'
        : `The token's audience does not cover this route (expected ${required.join(' or ')})`,
    );
  }
}

/** The token's `sub` is not a distinguished name in the configured `subjectFormat`. @publicApi */
export class SubjectInvalidError extends GatewayAuthError {
  readonly code = 'subject_invalid' as const;
}

/**
 * The verified caller is not among those allowed on this route (`@AllowCallers`, `allowedCallers`):
 * answered 403, RFC 6750 `insufficient_scope`.
 * @publicApi
 */
export class CallerNotAllowedError extends GatewayAuthError {
  readonly code = 'caller_not_allowed' as const;
  constructor(readonly caller: string) {
    super('The caller is not allowed to use this resource');
  }
}

/**
 * No key could be had because the JWKS endpoint is down, slow, rate-limited or answering garbage.
 * The server's outage, not the caller's fault: answered 503.
 * @publicApi
 */
export class JwksUnavailableError extends GatewayAuthError {
  readonly code = 'jwks_unavailable' as const;
  constructor(
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  /** When the next fetch may be tried, if known. */
  readonly retryAfterSeconds: number | undefined;
}

/**
 * A discriminated union of every error, for `switch (err.code)`.
 * @publicApi
 */
export type AnyGatewayAuthError =
  | GatewayAuthConfigError
  | TokenMissingError
  | InvalidRequestError
  | TokenTooLargeError
  | TokenMalformedError
  | HeaderUnsupportedError
  | TypMismatchError
  | AlgorithmNotAllowedError
  | UnknownKeyError
  | KeyMismatchError
  | SignatureInvalidError
  | TokenExpiredError
  | TokenNotYetValidError
  | ClaimsInvalidError
  | TokenReplayedError
  | IssuerMismatchError
  | AudienceMismatchError
  | SubjectInvalidError
  | CallerNotAllowedError
  | JwksUnavailableError;
