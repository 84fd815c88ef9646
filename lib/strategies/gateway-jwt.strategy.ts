import type { KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy, type SecretOrKeyProvider } from 'passport-jwt';
import { GATEWAY_AUTH_RESOLVED_OPTIONS, GATEWAY_JWT_STRATEGY } from '../gateway-auth.constants.js';
import type { ResolvedGatewayAuthOptions } from '../gateway-auth.options.js';
import type { GatewayIdentity, GatewayTokenClaims } from '../interfaces/gateway-identity.interface.js';
import {
  GatewayAuthError,
  ClaimsInvalidError,
  InvalidRequestError,
  TokenMissingError,
  UnknownKeyError,
  SubjectInvalidError,
  TokenReplayedError,
} from '../errors/gateway-auth.error.js';
import { VerifiedCaller } from '../caller/gateway-caller.js';
import { VerificationPlacement } from './verification-placement.js';
import { checkCoreClaims, checkIssuedAt, checkIssuer, checkRequiredClaims } from './claim-checks.js';
import { createJwksKeyProvider } from '../jwks/jwks-key-provider.js';
import { signedClaims, verifyJws, verifyJwsSignatureInThreadPool } from '../utils/jws-verify.util.js';
import { GatewayJwksService } from '../jwks/gateway-jwks.service.js';
import { ReplayCache } from '../utils/replay-cache.util.js';
import { extractToken, type RequestWithHeaders } from '../utils/token-extractor.util.js';

/**
 * The Passport strategy `gateway-jwt`, on passport-jwt: the key comes from the gateway's JWKS
 * (jwks-rsa's `passportJwtSecret`, behind the key provider's checks), the signature and `exp`/`nbf`
 * are verified with one-shot `crypto.verify` (RS*, PS*, ES*, EdDSA), and `validate()` then checks
 * `iss`, requires `exp`, `sub` and `aud`, and refuses an `iat` in the future. The audience is the
 * guard's job, because it depends on the route.
 *
 * @publicApi
 */
@Injectable()
export class GatewayJwtStrategy extends PassportStrategy(Strategy, GATEWAY_JWT_STRATEGY) {
  constructor(
    @Inject(GATEWAY_AUTH_RESOLVED_OPTIONS) protected readonly options: ResolvedGatewayAuthOptions,
    jwks: GatewayJwksService,
  ) {
    super({
      jwtFromRequest: (request: RequestWithHeaders) => {
        const extraction = extractToken(request, options.tokenHeader);
        return extraction.kind === 'found' ? extraction.token : null;
      },
      // The provider hands out KeyObjects (no PEM parsing per request); @types/passport-jwt only
      // lists string | Buffer.
      secretOrKeyProvider: createJwksKeyProvider(options, jwks) as unknown as SecretOrKeyProvider,
      // No algorithms/jsonWebTokenOptions: `authenticate` below verifies, not jsonwebtoken.
    });
    this.replayCache = options.replayCache ? new ReplayCache(options.replayCache.maxEntries) : undefined;
    this.placement = options.signatureVerification === 'auto' ? new VerificationPlacement() : undefined;
    // The provider given to passport-jwt above (passport-jwt keeps it as _secretOrKeyProvider):
    // one provider, one jwks-rsa client.
    this.keyProvider = (this as unknown as { _secretOrKeyProvider: KeyProvider })._secretOrKeyProvider;
  }

  private readonly keyProvider: KeyProvider;

  /**
   * Passport's entry point (for `AuthGuard('gateway-jwt')` and any other Passport user): verifies
   * the request's token and reports through `success`/`fail`/`error`, as passport-jwt does.
   * passport-jwt's own verification (jsonwebtoken) would decode the token again and verify through
   * a stream; this path decodes once and verifies with one-shot `crypto.verify`. Keys still come
   * from jwks-rsa's `passportJwtSecret` (through the key provider).
   */
  override authenticate(request: RequestWithHeaders): void {
    const extraction = extractToken(request, this.options.tokenHeader);
    if (extraction.kind !== 'found') {
      this.fail(extraction.kind === 'missing' ? tokenMissing() : malformedHeader(this.options.tokenHeader), 401);
      return;
    }
    this.verifyToken(extraction.token, (error, identity) => {
      if (identity) this.success(identity);
      else if (error instanceof GatewayAuthError) this.fail(error, 401);
      else this.error(error instanceof Error ? error : new Error(String(error)));
    }, request);
  }

  /**
   * The whole verification of one token: checks before any key lookup, the key from the JWKS, the
   * signature and time claims, then `validate()`. `done` gets a `GatewayAuthError` for a refused
   * token (any other error is a bug), or the identity. It is called synchronously when the signing
   * key is already known, which is every request but the first per key: the guard then answers
   * without a Promise.
   */
  verifyToken(token: string, done: VerificationCallback, request?: unknown): void {
    this.keyProvider(request, token, (error, key, header, payload) => {
      if (error || !key || !header) {
        done(error ?? new UnknownKeyError(header?.kid));
        return;
      }
      const handOff = this.options.signatureVerification === 'thread-pool' ? ALWAYS_HANDED_OFF : this.placement?.begin();
      if (handOff === undefined) {
        this.conclude(token, payload, done, header.alg, key);
        return;
      }
      verifyJwsSignatureInThreadPool(token, header.alg, key, failure => {
        if (handOff !== ALWAYS_HANDED_OFF) this.placement?.handedOffEnded(handOff);
        if (failure) done(failure);
        else this.conclude(token, payload, done);
      });
    });
  }

  /**
   * The claims of a signed token through `validate()`, the outcome to `done`. With `alg` and `key`
   * the signature is verified here first (on the event loop); without, it was already (in the
   * thread pool). No closure per request: this is the hot path.
   */
  private conclude(token: string, decoded: Record<string, unknown> | undefined, done: VerificationCallback, alg?: string, key?: KeyObject): void {
    const tolerance = this.options.clockToleranceSeconds;
    let identity: GatewayIdentity;
    try {
      const claims = alg !== undefined && key !== undefined
        ? verifyJws(token, alg, key, tolerance, Date.now(), decoded)
        : signedClaims(token, tolerance, Date.now(), decoded);
      identity = this.validate(claims);
    } catch (failure) {
      done(failure);
      return;
    }
    done(null, identity);
  }

  private readonly replayCache: ReplayCache | undefined;
  /** With `signatureVerification: 'auto'`: where each signature is checked. */
  private readonly placement: VerificationPlacement | undefined;

  /**
   * Called with the signature-verified payload (the checks are in claim-checks.ts, shared with
   * the `doctor` command).
   * @throws {IssuerMismatchError} `iss` is not a configured issuer
   * @throws {ClaimsInvalidError} `exp`, `sub` or `aud` missing or of the wrong type
   * @throws {TokenNotYetValidError} `iat` in the future beyond the clock tolerance
   * @throws {TokenExpiredError} older than `maxTokenAgeSeconds`
   * @throws {TokenReplayedError} `replayCache` has seen this `jti`
   * @throws {SubjectInvalidError} `sub` not a DN (unless `subjectFormat: 'opaque'`)
   */
  validate(payload: Record<string, unknown>): GatewayIdentity {
    const iss = checkIssuer(payload, this.options);
    const { exp, sub } = checkCoreClaims(payload);
    checkIssuedAt(payload, this.options);
    checkRequiredClaims(payload, this.options);
    this.checkReplay(iss, payload['jti'], exp);
    return Object.freeze({
      subject: sub,
      issuer: iss,
      // A fresh object from JSON.parse, owned by this request: frozen in place, not copied.
      claims: Object.freeze(payload) as GatewayTokenClaims,
      caller: this.callerOf(sub),
    });
  }

  /** `replayCache`: a token (issuer and `jti`) is accepted once until it expires. */
  protected checkReplay(iss: string, jti: unknown, exp: number): void {
    if (!this.replayCache) return;
    if (typeof jti !== 'string' || jti === '') throw new ClaimsInvalidError('jti', jti === undefined ? 'missing' : 'invalid');
    if (!this.replayCache.firstUse(`${iss}\u0000${jti}`, exp + this.options.clockToleranceSeconds, Date.now() / 1000)) {
      throw new TokenReplayedError();
    }
  }

  /** Parsed callers by `sub`: the same few callers come back on every request. */
  private readonly callers = new Map<string, VerifiedCaller>();

  /** @throws {SubjectInvalidError} when `sub` is not a DN in the configured format */
  protected callerOf(subject: string): VerifiedCaller {
    const known = this.callers.get(subject);
    if (known) return known;
    try {
      const caller = Object.freeze(VerifiedCaller.fromSubject(subject, this.options.subjectFormat));
      if (this.callers.size >= CALLER_CACHE_LIMIT) this.callers.clear();
      this.callers.set(subject, caller);
      return caller;
    } catch (error) {
      // The parser's message quotes the sub: it goes to the log (as the cause), not the response.
      throw new SubjectInvalidError(
        `The token's sub is not a distinguished name in ${this.options.subjectFormat} form`,
        { cause: error },
      );
    }
  }
}

const CALLER_CACHE_LIMIT = 1_000;
/** The hand-off ticket of `signatureVerification: 'thread-pool'`, where nothing is decided. */
const ALWAYS_HANDED_OFF = 0;

type KeyProvider = ReturnType<typeof createJwksKeyProvider>;

/** The outcome of `verifyToken`: an error (a `GatewayAuthError` for a refused token), or the identity. */
export type VerificationCallback = (error: unknown, identity?: GatewayIdentity) => void;

/** RFC 6750 §3.1: no token, no error code. */
export function tokenMissing(): TokenMissingError {
  return new TokenMissingError('No bearer token was sent');
}

/** The refusal of a token header that is repeated, empty or not one bearer token (RFC 6750 §3.1). */
export function malformedHeader(tokenHeader: string): InvalidRequestError {
  return new InvalidRequestError(`The ${tokenHeader} header must hold a single bearer token`);
}
