import {
  AudienceMismatchError,
  GatewayAuthConfigError,
  InvalidRequestError,
  JwksUnavailableError,
  SignatureInvalidError,
  TokenExpiredError,
  TokenMissingError,
  type GatewayAuthError,
  type GatewayAuthErrorCode,
} from './gateway-auth.error.js';
import { toHttpException } from './to-http-exception.js';

describe('toHttpException (RFC 6750 §3)', () => {
  it('answers a missing token with the realm only', () => {
    const exception = toHttpException(new TokenMissingError('none'), 'api');
    expect(exception.getStatus()).toBe(401);
    expect(exception.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="api"' });
    expect(exception.getResponse()).toEqual({ statusCode: 401, error: 'Unauthorized', code: 'token_missing', message: 'none' });
  });

  it('answers a malformed header with 400 invalid_request', () => {
    const exception = toHttpException(new InvalidRequestError('bad'), 'api');
    expect(exception.getStatus()).toBe(400);
    expect(exception.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="invalid_request", error_description="The authorization header is not a single bearer token"',
    );
  });

  it.each<[GatewayAuthError, GatewayAuthErrorCode]>([
    [new TokenExpiredError(new Date(0)), 'token_expired'],
    [new SignatureInvalidError('x'), 'signature_invalid'],
    [new AudienceMismatchError(['https://a.example/x'], ['https://a.example/y"\r\nX-Evil: 1']), 'audience_mismatch'],
  ])('answers %s with 401 invalid_token and a fixed, header-safe description', (error, code) => {
    const exception = toHttpException(error, 'orders');
    expect(exception.getStatus()).toBe(401);
    expect(exception.headers['WWW-Authenticate']).toMatch(/^Bearer realm="orders", error="invalid_token", error_description="[\x20\x21\x23-\x5B\x5D-\x7E]+"$/);
    expect(exception.getResponse()).toMatchObject({ code });
  });

  it('answers an unavailable key set with 503 and Retry-After, not 401', () => {
    const exception = toHttpException(new JwksUnavailableError('down'), 'api');
    expect(exception.getStatus()).toBe(503);
    expect(exception.headers).toEqual({ 'Retry-After': '10' });
    expect(exception.getResponse()).toMatchObject({ code: 'jwks_unavailable', error: 'Service Unavailable' });
  });

  it('never exposes configuration details', () => {
    const exception = toHttpException(new GatewayAuthConfigError(['jwksUri: secret detail']), 'api');
    expect(exception.getStatus()).toBe(500);
    expect(JSON.stringify(exception.getResponse())).not.toContain('secret detail');
  });
});
