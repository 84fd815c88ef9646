import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy, type SecretOrKeyProvider } from 'passport-jwt';
import { GATEWAY_AUTH_RESOLVED_OPTIONS, GATEWAY_JWT_STRATEGY } from '../gateway-auth.constants.js';
import type { ResolvedGatewayAuthOptions } from '../gateway-auth.options.js';
import type { GatewayIdentity, GatewayTokenClaims } from '../interfaces/gateway-identity.interface.js';
import {
  ClaimsInvalidError,
  IssuerMismatchError,
  SubjectInvalidError,
  TokenNotYetValidError,
} from '../errors/gateway-auth.error.js';
import { VerifiedCaller } from '../caller/gateway-caller.js';
import { createJwksKeyProvider } from '../utils/jwks.util.js';
import { extractToken, type RequestWithHeaders } from '../utils/token-extractor.util.js';

/**
 * The Passport strategy `gateway-jwt`: passport-jwt verifies the signature (jsonwebtoken) with a
 * key from the gateway's JWKS (jwks-rsa's `passportJwtSecret`), checking `alg` against the
 * allow-list and `exp`/`nbf` with the clock tolerance; `validate()` then checks `iss`, requires
 * `exp`, `sub` and `aud`, and refuses an `iat` in the future. The audience is the guard's job,
 * because it depends on the route.
 *
 * @publicApi
 */
@Injectable()
export class GatewayJwtStrategy extends PassportStrategy(Strategy, GATEWAY_JWT_STRATEGY) {
  constructor(
    @Inject(GATEWAY_AUTH_RESOLVED_OPTIONS) protected readonly options: ResolvedGatewayAuthOptions,
  ) {
    super({
      jwtFromRequest: (request: RequestWithHeaders) => {
        const extraction = extractToken(request, options.tokenHeader);
        return extraction.kind === 'found' ? extraction.token : null;
      },
      // The provider hands out KeyObjects, which jsonwebtoken 9 verifies with directly (no PEM
      // parsing per request); @types/passport-jwt only lists string | Buffer.
      secretOrKeyProvider: createJwksKeyProvider({
        jwksUri: options.jwksUri,
        ...options.jwks,
        maxTokenLength: options.maxTokenLength,
        algorithms: options.algorithms,
        typ: options.typ,
      }) as unknown as SecretOrKeyProvider,
      algorithms: [...options.algorithms],
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: options.clockToleranceSeconds },
    });
  }

  /**
   * Called by Passport with the signature-verified payload.
   * @throws {IssuerMismatchError} `iss` is not a configured issuer
   * @throws {ClaimsInvalidError} `exp`, `sub` or `aud` missing or of the wrong type
   * @throws {TokenNotYetValidError} `iat` in the future beyond the clock tolerance
   * @throws {SubjectInvalidError} `sub` not a DN (unless `subjectFormat: 'opaque'`)
   */
  validate(payload: Record<string, unknown>): GatewayIdentity {
    const { iss, sub, aud, exp, iat } = payload;
    if (typeof iss !== 'string' || !this.options.issuers.includes(iss)) {
      throw new IssuerMismatchError(this.options.issuers, typeof iss === 'string' ? iss : undefined);
    }
    if (exp === undefined) throw new ClaimsInvalidError('exp', 'missing');
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new ClaimsInvalidError('exp', 'invalid');
    if (sub === undefined) throw new ClaimsInvalidError('sub', 'missing');
    if (typeof sub !== 'string' || sub.trim() === '') throw new ClaimsInvalidError('sub', 'invalid');
    if (aud === undefined) throw new ClaimsInvalidError('aud', 'missing');
    if (!isAudience(aud)) throw new ClaimsInvalidError('aud', 'invalid');
    if (iat !== undefined) {
      if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new ClaimsInvalidError('iat', 'invalid');
      if (iat > Date.now() / 1000 + this.options.clockToleranceSeconds) {
        throw new TokenNotYetValidError('iat', new Date(iat * 1000));
      }
    }
    return Object.freeze({
      subject: sub,
      issuer: iss,
      claims: Object.freeze({ ...payload }) as GatewayTokenClaims,
      caller: this.callerOf(sub),
    });
  }

  /** @throws {SubjectInvalidError} when `sub` is not a DN in the configured format */
  protected callerOf(subject: string): VerifiedCaller {
    try {
      return VerifiedCaller.fromSubject(subject, this.options.subjectFormat);
    } catch (error) {
      // The parser's message quotes the sub: it goes to the log (as the cause), not the response.
      throw new SubjectInvalidError(
        `The token's sub is not a distinguished name in ${this.options.subjectFormat} form`,
        { cause: error },
      );
    }
  }
}

function isAudience(aud: unknown): aud is string | string[] {
  return (
    (typeof aud === 'string' && aud !== '') ||
    (Array.isArray(aud) && aud.length > 0 && aud.every(value => typeof value === 'string'))
  );
}
