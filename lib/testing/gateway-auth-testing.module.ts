import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { GATEWAY_AUTH_RESOLVED_OPTIONS } from '../gateway-auth.constants.js';
import { GatewayAuthExplorer } from '../gateway-auth.explorer.js';
import { getGatewayAuthOptionsToken } from '../gateway-auth.providers.js';
import { TestGatewayIdentityGuard } from './test-gateway-identity.guard.js';
import { defaultCallerFor } from './test-defaults.js';
import { testCallerTemplate } from './test-gateway-identity.js';
import { GATEWAY_AUTH_TESTING_OPTIONS, testingModuleOptions, type GatewayAuthTestingModuleOptions } from './testing-module-options.js';

/**
 * TEST-ONLY. NEVER IMPORT IT IN PRODUCTION CODE: every request is let in as the configured caller.
 *
 * Replaces `GatewayAuthModule` in a test module, so a controller using `@GatewaySubject()`,
 * `@GatewayCaller()`, `@GatewayClaims()` and `@AllowCallers()` can be tested without tokens, keys
 * or a JWKS endpoint. It registers `TestGatewayIdentityGuard` as the global guard (see there for
 * what it does and does not check) and runs the same start-up checks as `GatewayAuthModule` (a
 * `@Public()` handler asking for the caller, a malformed DN in `@AllowCallers()`, …).
 * `@InjectGatewayAuthOptions()` receives the options it stands for, whose `jwksUri` is a
 * placeholder nothing ever fetches.
 *
 * @example
 * const moduleRef = await Test.createTestingModule({
 *   imports: [GatewayAuthTestingModule.withCaller('CN=service1,OU=Payments,O=Acme Ltd,C=GB')],
 *   controllers: [OrdersController],
 * }).compile();
 * @publicApi
 */
@Module({})
export class GatewayAuthTestingModule {
  /**
   * The testing module with these options; the caller defaults to `TEST_CALLER_DN`.
   * @throws {GatewayAuthConfigError} for options `GatewayAuthModule` would refuse (e.g. a malformed `allowedCallers` DN)
   * @throws {TypeError} for a caller that is not a DN in `subjectFormat`
   */
  static forRoot(options: GatewayAuthTestingModuleOptions = {}): DynamicModule {
    const where = 'GatewayAuthTestingModule.forRoot()';
    const { moduleOptions, resolved, guardOptions } = testingModuleOptions(where, options);
    // Check the caller now, where the test names it, rather than when the module is compiled.
    const { caller, ...rest } = guardOptions;
    if (caller !== null) testCallerTemplate(where, caller ?? defaultCallerFor(resolved.subjectFormat), rest, resolved.subjectFormat);
    return {
      module: GatewayAuthTestingModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [
        { provide: GATEWAY_AUTH_TESTING_OPTIONS, useValue: guardOptions },
        { provide: GATEWAY_AUTH_RESOLVED_OPTIONS, useValue: resolved },
        { provide: getGatewayAuthOptionsToken(), useValue: moduleOptions },
        TestGatewayIdentityGuard,
        { provide: APP_GUARD, useExisting: TestGatewayIdentityGuard },
        GatewayAuthExplorer,
      ],
      exports: [TestGatewayIdentityGuard, GATEWAY_AUTH_RESOLVED_OPTIONS, getGatewayAuthOptionsToken()],
    };
  }

  /** `forRoot({ ...options, caller: subject })`: every protected request comes from `subject` (`null`: from nobody, 401). */
  static withCaller(subject: string | null, options: Omit<GatewayAuthTestingModuleOptions, 'caller'> = {}): DynamicModule {
    return GatewayAuthTestingModule.forRoot({ ...options, caller: subject });
  }
}
