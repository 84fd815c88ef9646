import { randomUUID } from 'node:crypto';
import { VerifiedCaller, type SubjectFormat } from '../caller/gateway-caller.js';
import type { GatewayIdentity, GatewayTokenClaims } from '../interfaces/gateway-identity.interface.js';
import { describeValue, invalid, knownKeys, nonEmptyString, objectArgument } from './input-checks.js';
import { defaultCallerFor, TEST_AUDIENCE_BASE, TEST_GATEWAY_ISSUER, TEST_TOKEN_TTL_SECONDS } from './test-defaults.js';

/**
 * Who a test identity is, beyond its DN.
 * @publicApi
 */
export interface TestCallerOptions {
  /** Extra claims (`scope`, `client_id`, …) in `@GatewayClaims()`; `iss` and `sub` come from `issuer` and the caller. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** `iss` and `identity.issuer`. @default the module's first configured issuer, else TEST_GATEWAY_ISSUER */
  readonly issuer?: string;
}

/** @publicApi */
export interface TestGatewayIdentityOptions extends TestCallerOptions {
  /** How `subject` is written. @default 'rfc4514' */
  readonly subjectFormat?: SubjectFormat;
  /** `aud`. @default TEST_AUDIENCE_BASE + '/' */
  readonly audience?: string | readonly string[];
}

/** A caller checked once, whose identity is made afresh for each request. */
export interface TestCallerTemplate {
  readonly subject: string;
  readonly caller: VerifiedCaller;
  readonly issuer: string | undefined;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Checks a test caller: a DN of `format` (the library's own parser), claims without `iss`/`sub`. */
export function testCallerTemplate(where: string, subject: unknown, options: unknown, format: SubjectFormat, extraOptions: readonly string[] = []): TestCallerTemplate {
  const given = objectArgument(options, where, 'options');
  knownKeys(given, ['claims', 'issuer', ...extraOptions], where, 'option');
  if (typeof subject !== 'string' || subject.trim() === '') invalid(where, `the caller must be a non-empty DN string, got ${describeValue(subject)}`);
  let caller: VerifiedCaller;
  try {
    caller = Object.freeze(VerifiedCaller.fromSubject(subject, format));
  } catch (error) {
    const hint = format === 'rfc4514' && subject.startsWith('/') ? "; for OpenSSL's slash form set subjectFormat: 'openssl'" : '';
    return invalid(where, `the caller ${describeValue(subject)} is not a DN in ${format} form: ${(error as Error).message}${hint}`);
  }
  const claims = objectArgument(given['claims'], where, 'claims');
  for (const name of ['iss', 'sub']) {
    if (claims[name] !== undefined) {
      invalid(where, `claims.${name} is not settable: ${name === 'sub' ? 'the caller is the sub' : 'use the issuer option'}`);
    }
  }
  return Object.freeze({ subject, caller, issuer: nonEmptyString(given['issuer'], where, 'issuer'), claims: Object.freeze({ ...claims }) });
}

/** The frozen `request.user` the real strategy would build for this caller: `{ subject, issuer, claims, caller }`. */
export function identityFrom(template: TestCallerTemplate, issuer: string, aud: string | readonly string[]): GatewayIdentity {
  const now = Math.floor(Date.now() / 1000);
  const claims = Object.freeze({
    iss: issuer,
    sub: template.subject,
    aud,
    iat: now,
    exp: now + TEST_TOKEN_TTL_SECONDS,
    jti: randomUUID(),
    ...template.claims,
  }) as GatewayTokenClaims;
  return Object.freeze({ subject: template.subject, issuer, claims, caller: template.caller });
}

/**
 * A verified identity as `request.user` carries it (default caller `TEST_CALLER_DN`), without any token: for calling a handler
 * directly (`controller.list(identity.subject)`, `identity.caller.get('CN')`) or for a custom guard
 * in a test. Test-only: it vouches for a caller nobody authenticated.
 *
 * @example
 * const identity = createTestGatewayIdentity('CN=service1,OU=Payments,O=Acme Ltd,C=GB');
 * expect(controller.payments(identity.caller.get('CN'), identity.caller)).toEqual({ ... });
 * @publicApi
 */
export function createTestGatewayIdentity(subject?: string, options: TestGatewayIdentityOptions = {}): GatewayIdentity {
  const where = 'createTestGatewayIdentity()';
  const given = objectArgument(options, where, 'options');
  const format = given['subjectFormat'] ?? 'rfc4514';
  if (format !== 'rfc4514' && format !== 'openssl' && format !== 'opaque') {
    invalid(where, `subjectFormat must be 'rfc4514', 'openssl' or 'opaque', got ${describeValue(format)}`);
  }
  const template = testCallerTemplate(where, subject ?? defaultCallerFor(format), given, format, ['subjectFormat', 'audience']);
  const audience = given['audience'] ?? `${TEST_AUDIENCE_BASE}/`;
  const valid = typeof audience === 'string' ? audience !== '' : Array.isArray(audience) && audience.length > 0 && audience.every(item => typeof item === 'string' && item !== '');
  if (!valid) invalid(where, `audience must be a non-empty string or list of them, got ${describeValue(audience)}`);
  const aud = typeof audience === 'string' ? audience : Object.freeze([...(audience as string[])]);
  return identityFrom(template, template.issuer ?? TEST_GATEWAY_ISSUER, aud);
}
