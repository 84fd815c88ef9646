import {
  Inject,
  Injectable,
  Optional,
  type CanActivate,
  type ExecutionContext,
  type INestApplicationContext,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { callerAllowed, type CompiledCallerRules } from '../caller/caller-rules.js';
import { GatewayAudience } from '../decorators/gateway-audience.decorator.js';
import { CallerNotAllowedError, TokenMissingError, type GatewayAuthError } from '../errors/gateway-auth.error.js';
import { GATEWAY_AUTH_RESOLVED_OPTIONS } from '../gateway-auth.constants.js';
import type { ResolvedGatewayAuthOptions } from '../gateway-auth.options.js';
import { GatewayAuthGuard, type GatewayRequest } from '../guards/gateway-auth.guard.js';
import { isPublicRoute, refuse, routeCallerRules } from '../guards/route-rules.js';
import type { GatewayIdentity } from '../interfaces/gateway-identity.interface.js';
import { audienceRequirement } from '../utils/audience-requirement.util.js';
import { describeValue, invalid, objectArgument } from './input-checks.js';
import { defaultCallerFor, TEST_AUDIENCE_BASE, TEST_GATEWAY_ISSUER } from './test-defaults.js';
import { identityFrom, testCallerTemplate, type TestCallerOptions, type TestCallerTemplate } from './test-gateway-identity.js';
import { GATEWAY_AUTH_TESTING_OPTIONS, testingModuleOptions, type TestGuardOptions } from './testing-module-options.js';

/** Options preset by `TestGatewayIdentityGuard.withCaller()`, by the subclass it made. */
const presets = new WeakMap<Function, TestGuardOptions>();

/**
 * TEST-ONLY. NEVER USE IN PRODUCTION: it lets every request in as a caller nobody authenticated.
 *
 * Stands in for `GatewayAuthGuard` in unit and e2e tests of controllers: no token, no keys, no
 * JWKS. Each protected request gets `request.user` = a frozen `GatewayIdentity` for the configured
 * caller (built as the real strategy builds it, so `@GatewaySubject()`, `@GatewaySubject('CN')`,
 * `@GatewayCaller()` and `@GatewayClaims()` work), its `aud` the URL the route requires.
 *
 * Faithful to `GatewayAuthGuard` where a controller can tell: `@Public()` routes pass without a
 * caller; `@AllowCallers()` and `allowedCallers` are applied by the library's own rule code, and a
 * caller not allowed gets the same 403 `caller_not_allowed` (body and `WWW-Authenticate`); with no
 * caller (`setCaller(null)`) a protected route gets 401 `token_missing`; non-HTTP handlers are
 * refused. Not checked, since there is no token: signature, `iss`, `exp`/`nbf`, the audience
 * (`@GatewayAudience()` only shapes `aud`), `typ`, replay. Test those with `createTestGateway()`.
 *
 * Use it through `GatewayAuthTestingModule`, or in place of the real guard in an application
 * module: `.overrideProvider(GatewayAuthGuard).useClass(TestGatewayIdentityGuard.withCaller(dn))`
 * (the module's `allowedCallers`, `subjectFormat`, `realm` and issuer then apply).
 * @publicApi
 */
@Injectable()
export class TestGatewayIdentityGuard implements CanActivate {
  private readonly settings: ResolvedGatewayAuthOptions;
  private readonly reflector: Reflector;
  private current: TestCallerTemplate | undefined;
  private readonly initial: TestGuardOptions;

  /**
   * Nest injects the arguments (the testing module's caller, the module options, the reflector and
   * the HTTP adapter); `new TestGatewayIdentityGuard()` outside Nest gets the defaults.
   */
  constructor(
    @Optional() @Inject(GATEWAY_AUTH_TESTING_OPTIONS) options?: TestGuardOptions,
    @Optional() @Inject(GATEWAY_AUTH_RESOLVED_OPTIONS) moduleOptions?: ResolvedGatewayAuthOptions,
    @Optional() @Inject(Reflector) reflector?: Reflector,
    @Optional() @Inject(HttpAdapterHost) private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.settings = moduleOptions ?? testingModuleOptions('TestGatewayIdentityGuard', {}).resolved;
    this.reflector = reflector ?? new Reflector();
    this.initial = { ...options, ...presets.get(new.target) };
    this.reset();
  }

  /**
   * A guard class with this caller preset, for
   * `.overrideProvider(GatewayAuthGuard).useClass(TestGatewayIdentityGuard.withCaller(dn))`.
   * The DN is checked when the guard is made, against the module's `subjectFormat`.
   */
  static withCaller(subject: string | null, options: TestCallerOptions = {}): Type<TestGatewayIdentityGuard> {
    const where = 'TestGatewayIdentityGuard.withCaller()';
    if (subject !== null && (typeof subject !== 'string' || subject.trim() === '')) {
      invalid(where, `the caller must be a non-empty DN string or null, got ${describeValue(subject)}`);
    }
    const preset = class extends TestGatewayIdentityGuard {};
    Object.defineProperty(preset, 'name', { value: 'TestGatewayIdentityGuard' });
    presets.set(preset, Object.freeze({ ...objectArgument(options, where, 'options'), caller: subject }));
    return preset;
  }

  /**
   * The test guard of an application or testing module: the one `GatewayAuthTestingModule`
   * registers, or the one that replaced `GatewayAuthGuard`.
   * @throws {Error} when the application has none
   */
  static from(app: Pick<INestApplicationContext, 'get'>): TestGatewayIdentityGuard {
    for (const token of [TestGatewayIdentityGuard, GatewayAuthGuard]) {
      let found: unknown;
      try {
        found = app.get(token, { strict: false });
      } catch {
        continue;
      }
      if (found instanceof TestGatewayIdentityGuard) return found;
    }
    throw new Error(
      'nestjs-gateway-auth/testing: no TestGatewayIdentityGuard in this application: import GatewayAuthTestingModule, or .overrideProvider(GatewayAuthGuard).useClass(TestGatewayIdentityGuard)',
    );
  }

  /**
   * The caller of the next requests (a DN in the module's `subjectFormat`, with its own `claims`
   * and `issuer`), or `null` for none (401 `token_missing`).
   */
  setCaller(subject: string | null, options: TestCallerOptions = {}): this {
    if (subject === null) {
      this.current = undefined;
      return this;
    }
    this.current = testCallerTemplate('TestGatewayIdentityGuard.setCaller()', subject, options, this.settings.subjectFormat);
    return this;
  }

  /** Back to the caller the guard was configured with (`withCaller()`, the testing module's options), e.g. in `beforeEach`. */
  reset(): this {
    const { caller, ...rest } = this.initial;
    return this.setCaller(caller === undefined ? defaultCallerFor(this.settings.subjectFormat) : caller, rest);
  }

  /** The current caller's DN, or `undefined` when there is none. */
  get caller(): string | undefined {
    return this.current?.subject;
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.isPublic(context)) return true;
    if (context.getType() !== 'http') {
      throw new Error(
        `TestGatewayIdentityGuard, like GatewayAuthGuard, protects HTTP routes only; mark ${context.getClass().name}.${context.getHandler().name} @Public() to run it over ${context.getType()}`,
      );
    }
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    if (!this.current) return this.reject(new TokenMissingError('No bearer token was sent'), context);
    const identity = this.identityFor(context, request, this.current);
    request.user = identity;
    const callers = this.allowedCallers(context);
    if (callers && !callerAllowed(callers, identity.caller)) {
      this.reject(new CallerNotAllowedError(identity.subject), context);
    }
    return true;
  }

  /** The identity the real strategy would hand over for a token the gateway minted for this route. */
  private identityFor(context: ExecutionContext, request: GatewayRequest, template: TestCallerTemplate): GatewayIdentity {
    const issuer = template.issuer ?? this.settings.issuers[0] ?? TEST_GATEWAY_ISSUER;
    let aud: string | readonly string[] = `${TEST_AUDIENCE_BASE}/`;
    try {
      const override = this.reflector.getAllAndOverride(GatewayAudience, [context.getHandler(), context.getClass()]);
      const required = audienceRequirement(this.settings.audience, request, override);
      if (required.values.length === 1) aud = required.values[0] as string;
      else if (required.values.length > 1) aud = Object.freeze([...required.values]);
    } catch {
      // An audience resolver that throws: keep the placeholder audience.
    }
    return identityFrom(template, issuer, aud);
  }

  private isPublic(context: ExecutionContext): boolean {
    return isPublicRoute(this.reflector, context);
  }

  /** As `GatewayAuthGuard`: the route's `@AllowCallers()` rules, else the module's `allowedCallers`. */
  private allowedCallers(context: ExecutionContext): CompiledCallerRules | undefined {
    return routeCallerRules(this.reflector, context, this.settings.allowedCallers);
  }

  /** As `GatewayAuthGuard`: the library's RFC 6750 headers set on the response, then the same exception. */
  private reject(error: GatewayAuthError, context: ExecutionContext): never {
    return refuse(error, this.settings.realm, context, this.adapterHost);
  }
}
