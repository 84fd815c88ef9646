import { Inject, Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { GATEWAY_AUTH_RESOLVED_OPTIONS } from '../gateway-auth.constants.js';
import { callerAllowed, type CompiledCallerRules } from '../caller/caller-rules.js';
import type { ResolvedGatewayAuthOptions } from '../gateway-auth.options.js';
import type { GatewayIdentity } from '../interfaces/gateway-identity.interface.js';
import {
  AudienceMismatchError,
  CallerNotAllowedError,
  GatewayAuthError,
} from '../errors/gateway-auth.error.js';
import { audienceMatches } from '../utils/audience.util.js';
import { audienceRequirement } from '../utils/audience-requirement.util.js';
import { isPublicRoute, refuse, routeCallerRules } from './route-rules.js';
import { GatewayAudience } from '../decorators/gateway-audience.decorator.js';
import { extractToken, type RequestWithHeaders } from '../utils/token-extractor.util.js';
import { peekForLog } from '../utils/token-inspection.util.js';
import { VerifiedTokenCache } from '../utils/verified-token-cache.util.js';
import {
  GatewayJwtStrategy,
  malformedHeader,
  tokenMissing,
  type VerificationCallback,
} from '../strategies/gateway-jwt.strategy.js';

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
 * It calls its own module's strategy instance (`verifyToken`) rather than Passport's middleware
 * with the name `gateway-jwt`: Passport's registry is process-wide, so two applications in one
 * process would otherwise verify with whichever strategy registered last, and accept each other's
 * tokens. (The strategy stays registered with Passport, for `AuthGuard('gateway-jwt')`.)
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

  /**
   * Answers `true` synchronously when the signing key is already known (every request but the
   * first per key) and the signature is checked on the event loop, so the hot path allocates no
   * Promise; a Promise while a key is being fetched, or when the signature is checked in the
   * thread pool (`signatureVerification`).
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const route = this.routeOf(context);
    if (route.isPublic) return true;
    if (context.getType() !== 'http') {
      throw new Error(
        `GatewayAuthGuard protects HTTP routes only; mark ${context.getClass().name}.${context.getHandler().name} @Public() to run it over ${context.getType()}`,
      );
    }
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const identity = this.authenticate(request, context);
    return identity instanceof Promise
      ? identity.then(verified => this.authorize(verified, request, route, context))
      : this.authorize(identity, request, route, context);
  }

  /** What the guard needs of a route's metadata, read once per handler (metadata is static). */
  protected routeOf(context: ExecutionContext): GuardedRoute {
    const controller = context.getClass();
    const handler = context.getHandler();
    let routes = this.routes.get(controller);
    let route = routes?.get(handler);
    if (route === undefined) {
      route = Object.freeze({
        isPublic: this.isPublic(context),
        audience: this.reflector.getAllAndOverride(GatewayAudience, [handler, controller]),
        callers: this.allowedCallers(context),
      });
      if (!routes) this.routes.set(controller, (routes = new WeakMap()));
      routes.set(handler, route);
    }
    return route;
  }

  private readonly routes = new WeakMap<object, WeakMap<object, GuardedRoute>>();

  /** The token's audience must name this route; the caller must be one the route allows. */
  protected authorize(identity: GatewayIdentity, request: GatewayRequest, route: GuardedRoute, context: ExecutionContext): true {
    request.user = identity;
    const required = audienceRequirement(this.gatewayOptions.audience, request, route.audience);
    if (!audienceMatches(identity.claims.aud, required.values, required.matching)) {
      const actual = typeof identity.claims.aud === 'string' ? [identity.claims.aud] : identity.claims.aud;
      this.reject(new AudienceMismatchError(required.values, actual), context);
    }
    if (route.callers && !callerAllowed(route.callers, identity.caller)) {
      this.reject(new CallerNotAllowedError(identity.subject), context);
    }
    return true;
  }

  /** The route's `@AllowCallers()` rules, else the module's `allowedCallers`; none means anyone. */
  protected allowedCallers(context: ExecutionContext): CompiledCallerRules | undefined {
    return routeCallerRules(this.reflector, context, this.gatewayOptions.allowedCallers);
  }

  /**
   * The verified identity of the request's token: from the strategy, or with `verifiedTokenCache`
   * from the cache when this token was verified before. A header that is not a single bearer token
   * is refused as `invalid_request`; no header at all with a bare RFC 6750 challenge.
   */
  protected authenticate(request: GatewayRequest, context: ExecutionContext): GatewayIdentity | Promise<GatewayIdentity> {
    const extraction = extractToken(request, this.gatewayOptions.tokenHeader);
    if (extraction.kind !== 'found') {
      this.reject(extraction.kind === 'missing' ? tokenMissing() : malformedHeader(this.gatewayOptions.tokenHeader), context);
    }
    const token = extraction.token;
    if (!this.verifiedTokens) return this.verify(token, request, context);
    const digest = VerifiedTokenCache.digest(token);
    const cached = this.verifiedTokens.get(digest, Date.now());
    if (cached) return cached;
    const remember = (identity: GatewayIdentity): GatewayIdentity => {
      this.verifiedTokens?.set(digest, identity, identity.claims.exp * 1000, Date.now());
      return identity;
    };
    const identity = this.verify(token, request, context);
    return identity instanceof Promise ? identity.then(remember) : remember(identity);
  }

  /**
   * This module's strategy, called directly rather than through `passport.authenticate()`: the
   * same verification, without Passport's per-request middleware, and never the process-wide
   * strategy registered under the name `gateway-jwt` (see the class comment).
   */
  protected verify(token: string, request: GatewayRequest, context: ExecutionContext): GatewayIdentity | Promise<GatewayIdentity> {
    let settled = false;
    let failure: unknown;
    let verified: GatewayIdentity | undefined;
    let settle: VerificationCallback | undefined;
    this.strategy.verifyToken(
      token,
      (error, identity) => {
        if (settle) {
          settle(error, identity);
          return;
        }
        settled = true;
        failure = error;
        verified = identity;
      },
      request,
    );
    if (settled) return this.verdict(failure, verified, context);
    return new Promise((resolve, reject) => {
      settle = (error, identity) => {
        try {
          resolve(this.verdict(error, identity, context));
        } catch (refusal) {
          reject(refusal);
        }
      };
    });
  }

  /** The strategy's outcome: the identity, or the refusal (a non-`GatewayAuthError` is a bug, rethrown). */
  protected verdict(error: unknown, identity: GatewayIdentity | undefined, context: ExecutionContext): GatewayIdentity {
    if (!error && identity) return identity;
    if (!(error instanceof GatewayAuthError)) throw error ?? new Error('The gateway-jwt strategy gave neither an identity nor an error');
    return this.reject(error, context);
  }

  /** True for handlers or controllers marked `@Public()`. */
  protected isPublic(context: ExecutionContext): boolean {
    return isPublicRoute(this.reflector, context);
  }

  /** Logs the refusal once, sets the RFC 6750 headers and throws the HTTP exception. */
  protected reject(error: GatewayAuthError, context: ExecutionContext): never {
    this.logRejection(error, context.switchToHttp().getRequest<GatewayRequest>());
    return refuse(error, this.gatewayOptions.realm, context, this.adapterHost);
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

/** A route's guard settings, from its metadata. */
export interface GuardedRoute {
  readonly isPublic: boolean;
  /** `@GatewayAudience()` values, replacing the module's audience for this route. */
  readonly audience: string | readonly string[] | undefined;
  /** `@AllowCallers()` (else the module's `allowedCallers`); undefined lets any caller in. */
  readonly callers: CompiledCallerRules | undefined;
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
