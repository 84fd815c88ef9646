import { Inject, Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import passport from 'passport';
import {
  ALLOW_CALLERS_METADATA,
  GATEWAY_AUTH_RESOLVED_OPTIONS,
  PUBLIC_ROUTE_METADATA,
} from '../gateway-auth.constants.js';
import {
  callerAllowed,
  compiledCallerRules,
  type CallerRule,
  type CompiledCallerRules,
} from '../caller/caller-rules.js';
import type { ResolvedGatewayAuthOptions } from '../gateway-auth.options.js';
import type { GatewayIdentity } from '../interfaces/gateway-identity.interface.js';
import {
  AudienceMismatchError,
  CallerNotAllowedError,
  GatewayAuthError,
  InvalidRequestError,
} from '../errors/gateway-auth.error.js';
import { toHttpException } from '../errors/to-http-exception.js';
import { audienceMatches } from '../utils/audience.util.js';
import { audienceRequirement, type AudienceRequirement } from '../utils/audience-requirement.util.js';
import { GatewayAudience } from '../decorators/gateway-audience.decorator.js';
import { extractToken, type RequestWithHeaders } from '../utils/token-extractor.util.js';
import { peekForLog } from '../utils/token-inspection.util.js';
import { toVerificationError } from '../utils/verification-error.util.js';
import { VerifiedTokenCache } from '../utils/verified-token-cache.util.js';
import { GatewayJwtStrategy } from '../strategies/gateway-jwt.strategy.js';

/**
 * The parts of an Express or Fastify request the guard reads. Both have `headers`, `method`, `url`
 * and `originalUrl` (the path as received, global prefix and query string included); Express's
 * request is Node's own and has `rawHeaders`, Fastify's keeps them on `raw`.
 */
export interface GatewayRequest extends RequestWithHeaders {
  readonly method?: string;
  readonly originalUrl?: string;
  readonly url?: string;
  user?: unknown;
}

/**
 * The global guard (registered as `APP_GUARD` by `GatewayAuthModule`). For every route not marked
 * `@Public()` it runs the `gateway-jwt` strategy, then checks that the token's `aud` names the
 * route being called. Every refusal is logged once and answered per RFC 6750 with a stable code.
 *
 * It hands Passport its own module's strategy instance rather than the name `gateway-jwt`:
 * Passport's registry is process-wide, so two applications in one process would otherwise verify
 * with whichever strategy registered last, and accept each other's tokens.
 *
 * Subclass it to change a step: the helper methods are `protected`.
 *
 * @throws {GatewayAuthHttpException} 401 (invalid or missing token), 400 (malformed header),
 *   503 (signing keys unavailable)
 * @publicApi
 */
@Injectable()
export class GatewayAuthGuard implements CanActivate {
  protected readonly logger = new Logger('GatewayAuth');
  /** Bounds warning/error lines per minute; the rest are counted and reported with the next line. */
  protected readonly logBudget: LogBudget;

  constructor(
    protected readonly reflector: Reflector,
    @Inject(GATEWAY_AUTH_RESOLVED_OPTIONS) protected readonly gatewayOptions: ResolvedGatewayAuthOptions,
    protected readonly adapterHost: HttpAdapterHost,
    protected readonly strategy: GatewayJwtStrategy,
  ) {
    this.logBudget = new LogBudget(gatewayOptions.rejectionLogsPerMinute, 60_000);
    const cache = gatewayOptions.verifiedTokenCache;
    this.verifiedTokens = cache ? new VerifiedTokenCache(cache.maxEntries, cache.maxTtlMs) : undefined;
  }

  /** Tokens already verified (`verifiedTokenCache`), by digest; off by default. */
  protected readonly verifiedTokens: VerifiedTokenCache<GatewayIdentity> | undefined;

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.isPublic(context)) return true;
    if (context.getType() !== 'http') {
      throw new Error(
        `GatewayAuthGuard protects HTTP routes only; mark ${context.getClass().name}.${context.getHandler().name} @Public() to run it over ${context.getType()}`,
      );
    }
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const identity = await this.authenticate(context);
    request.user = identity;
    const required = this.requiredAudience(context, request);
    if (!audienceMatches(identity.claims.aud, required.values, required.matching)) {
      const actual = typeof identity.claims.aud === 'string' ? [identity.claims.aud] : identity.claims.aud;
      this.reject(new AudienceMismatchError(required.values, actual), context);
    }
    const callers = this.allowedCallers(context);
    if (callers && !callerAllowed(callers, identity.caller)) {
      this.reject(new CallerNotAllowedError(identity.subject), context);
    }
    return true;
  }

  /** The route's `@AllowCallers()` rules, else the module's `allowedCallers`; none means anyone. */
  protected allowedCallers(context: ExecutionContext): CompiledCallerRules | undefined {
    const rules = this.reflector.getAllAndOverride<readonly CallerRule[] | undefined>(ALLOW_CALLERS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    return rules ? compiledCallerRules(rules) : this.gatewayOptions.allowedCallers;
  }

  /**
   * Runs the strategy through Passport and resolves with the verified identity; with
   * `verifiedTokenCache`, a token verified before is answered from the cache. (A header that is
   * not a single bearer token reaches `handleRequest` as a missing token, refused there as
   * `invalid_request`.)
   */
  protected async authenticate(context: ExecutionContext): Promise<GatewayIdentity> {
    if (!this.verifiedTokens) return this.runStrategy(context);
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const extraction = extractToken(request, this.gatewayOptions.tokenHeader);
    if (extraction.kind === 'found') {
      const digest = VerifiedTokenCache.digest(extraction.token);
      const cached = this.verifiedTokens.get(digest, Date.now());
      if (cached) return cached;
      const identity = await this.runStrategy(context);
      this.verifiedTokens.set(digest, identity, identity.claims.exp * 1000, Date.now());
      return identity;
    }
    return this.runStrategy(context);
  }

  /** Passport with this module's strategy: the full verification. */
  protected runStrategy(context: ExecutionContext): Promise<GatewayIdentity> {
    const http = context.switchToHttp();
    const request = http.getRequest<GatewayRequest>();
    // A fresh object per request: Passport binds success/fail to the object it is given, and the
    // key lookup is asynchronous, so a shared instance would mix up concurrent requests.
    const strategy = Object.create(this.strategy) as GatewayJwtStrategy;
    return new Promise((resolve, reject) => {
      const middleware = passport.authenticate(
        strategy,
        { session: false },
        (err: unknown, user: unknown, info: unknown) => {
          try {
            resolve(this.handleRequest(err, user, info, context));
          } catch (error) {
            reject(error);
          }
        },
      ) as (request: unknown, response: unknown, next: (error?: unknown) => void) => void;
      middleware(request, http.getResponse(), error => reject(error));
    });
  }

  /**
   * Passport's verdict, translated into our errors: the single place where verification failures
   * (reported by passport-jwt in `info`, or thrown by `validate()` in `err`) become refusals.
   */
  protected handleRequest(err: unknown, user: unknown, info: unknown, context: ExecutionContext): GatewayIdentity {
    if (!err && user) return user as GatewayIdentity;
    if (err && !(err instanceof GatewayAuthError)) throw err; // a bug, not a bad token
    let error = toVerificationError(err ?? info);
    if (error.code === 'token_missing') {
      const request = context.switchToHttp().getRequest<GatewayRequest>();
      if (extractToken(request, this.gatewayOptions.tokenHeader).kind === 'malformed') {
        error = this.malformedHeaderError();
      }
    }
    return this.reject(error, context);
  }

  /** The refusal of a token header that is repeated, empty or not one bearer token (RFC 6750 §3.1). */
  private malformedHeaderError(): InvalidRequestError {
    return new InvalidRequestError(`The ${this.gatewayOptions.tokenHeader} header must hold a single bearer token`);
  }

  /** True for handlers or controllers marked `@Public()`. */
  protected isPublic(context: ExecutionContext): boolean {
    return (
      this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) === true
    );
  }

  /** The normalised audience values of which the token must carry one, and how to compare them. */
  protected requiredAudience(context: ExecutionContext, request: GatewayRequest): AudienceRequirement {
    const override = this.reflector.getAllAndOverride(GatewayAudience, [context.getHandler(), context.getClass()]);
    return audienceRequirement(this.gatewayOptions.audience, request, override);
  }

  /** Logs the refusal once, sets the RFC 6750 headers and throws the HTTP exception. */
  protected reject(error: GatewayAuthError, context: ExecutionContext): never {
    const http = context.switchToHttp();
    const request = http.getRequest<GatewayRequest>();
    this.logRejection(error, request);
    const exception = toHttpException(error, this.gatewayOptions.realm);
    const response: unknown = http.getResponse();
    const adapter = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(exception.headers)) {
      adapter.setHeader(response, name, value);
    }
    throw exception;
  }

  protected logRejection(error: GatewayAuthError, request: GatewayRequest): void {
    const target = (request.originalUrl ?? request.url ?? '').split('?')[0] ?? '';
    const extraction = extractToken(request, this.gatewayOptions.tokenHeader);
    const seen = extraction.kind === 'found' ? peekForLog(extraction.token) : {};
    const fields = [
      `code=${error.code}`,
      `route=${clip(`${request.method ?? '?'} ${target}`)}`,
      ...(['kid', 'iss', 'sub'] as const)
        .filter(name => seen[name] !== undefined)
        .map(name => `${name}=${clip(seen[name])}`),
    ];
    const cause = error.cause instanceof Error ? ` cause=${clip(`${error.cause.name}: ${error.cause.message}`)}` : '';
    const line = `Rejected request: ${error.message}; ${fields.join(' ')}${cause}`;
    if (error.code === 'token_missing' || error.code === 'invalid_request') {
      this.logger.debug(line);
      return;
    }
    // A flood of bad tokens must not become a flood of log lines.
    const suppressed = this.logBudget.take(Date.now());
    if (suppressed === undefined) return;
    const note = suppressed > 0 ? ` (${suppressed} earlier rejection(s) not logged)` : '';
    if (error.code === 'jwks_unavailable') this.logger.error(line + note);
    else this.logger.warn(line + note);
  }
}

/** Untrusted values are quoted and escaped (no log injection) and cut short. */
function clip(value: unknown): string {
  const text = JSON.stringify(typeof value === 'string' ? value : String(value)) ?? '';
  return text.length > 202 ? `${text.slice(0, 200)}…"` : text;
}

/** A fixed-window budget of log lines. */
export class LogBudget {
  private windowStart = 0;
  private used = 0;
  private suppressed = 0;

  constructor(
    private readonly perWindow: number,
    private readonly windowMs: number,
  ) {}

  /** `undefined` when the line must be dropped; otherwise how many lines were dropped before it. */
  take(now: number): number | undefined {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= this.perWindow) {
      this.suppressed++;
      return undefined;
    }
    this.used++;
    const dropped = this.suppressed;
    this.suppressed = 0;
    return dropped;
  }
}
