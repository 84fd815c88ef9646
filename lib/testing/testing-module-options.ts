import type { CallerRule } from '../caller/caller-rules.js';
import type { SubjectFormat } from '../caller/gateway-caller.js';
import { resolveGatewayAuthOptions, type ResolvedGatewayAuthOptions } from '../gateway-auth.options.js';
import type { GatewayAuthModuleOptions } from '../interfaces/gateway-auth-options.interface.js';
import { invalid, knownKeys, objectArgument } from './input-checks.js';
import { TEST_AUDIENCE_BASE, TEST_GATEWAY_ISSUER } from './test-defaults.js';
import type { TestCallerOptions } from './test-gateway-identity.js';

/** Injection token of the testing module's caller options. */
export const GATEWAY_AUTH_TESTING_OPTIONS = 'GATEWAY_AUTH:TESTING_OPTIONS';

/**
 * A `jwksUri` that is never fetched: the testing module has no token, so no key. Port 9 is the
 * discard service; nothing is ever sent there.
 */
export const TESTING_PLACEHOLDER_JWKS_URI = 'http://127.0.0.1:9/not-fetched-by-GatewayAuthTestingModule';

/**
 * Options of `GatewayAuthTestingModule`. Test-only.
 * @publicApi
 */
export interface GatewayAuthTestingModuleOptions extends TestCallerOptions {
  /**
   * The caller of every protected request, as the gateway writes it in `sub`; `null` for none
   * (protected routes answer 401 `token_missing`). Change it per test with
   * `TestGatewayIdentityGuard.from(app).setCaller()`.
   * @default TEST_CALLER_DN, 'CN=test-caller,O=Test'
   */
  readonly caller?: string | null;
  /** The service's public URL: `aud` of the identity is this plus the request path. @default TEST_AUDIENCE_BASE */
  readonly audienceBase?: string;
  /** As `GatewayAuthModule`'s `subjectFormat`. @default 'rfc4514' */
  readonly subjectFormat?: SubjectFormat;
  /** As `GatewayAuthModule`'s `allowedCallers`: callers not matched get 403 `caller_not_allowed`. */
  readonly allowedCallers?: readonly CallerRule[];
  /** As `GatewayAuthModule`'s `realm`. @default 'api' */
  readonly realm?: string;
}

/** The caller part of the options, given to the guard. */
export type TestGuardOptions = TestCallerOptions & { readonly caller?: string | null };

export const TESTING_MODULE_OPTION_NAMES: readonly string[] = ['caller', 'claims', 'issuer', 'audienceBase', 'subjectFormat', 'allowedCallers', 'realm'];

/**
 * The module options the testing module stands for, checked by the library's own validation
 * (`resolveGatewayAuthOptions`): a malformed `allowedCallers` DN fails as it would in production.
 */
export function testingModuleOptions(where: string, options: unknown): {
  readonly moduleOptions: GatewayAuthModuleOptions;
  readonly resolved: ResolvedGatewayAuthOptions;
  readonly guardOptions: TestGuardOptions;
} {
  const given = objectArgument(options, where, 'options');
  knownKeys(given, TESTING_MODULE_OPTION_NAMES, where, 'option');
  const { caller, claims, issuer, audienceBase, subjectFormat, allowedCallers, realm } = given;
  if (caller !== undefined && caller !== null && typeof caller !== 'string') invalid(where, 'caller must be a DN string, or null for no caller');
  const moduleOptions = Object.freeze({
    jwksUri: TESTING_PLACEHOLDER_JWKS_URI,
    issuer: issuer ?? TEST_GATEWAY_ISSUER,
    audience: Object.freeze({ baseUrl: audienceBase ?? TEST_AUDIENCE_BASE }),
    ...(subjectFormat === undefined ? {} : { subjectFormat }),
    ...(allowedCallers === undefined ? {} : { allowedCallers }),
    ...(realm === undefined ? {} : { realm }),
  }) as GatewayAuthModuleOptions;
  const resolved = resolveGatewayAuthOptions(moduleOptions);
  const guardOptions: TestGuardOptions = Object.freeze({
    ...(caller === undefined ? {} : { caller: caller as string | null }),
    ...(claims === undefined ? {} : { claims: claims as Readonly<Record<string, unknown>> }),
    ...(issuer === undefined ? {} : { issuer: issuer as string }),
  });
  return { moduleOptions, resolved, guardOptions };
}
