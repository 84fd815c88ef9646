import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { VerifiedCaller as Caller } from '../caller/gateway-caller.js';
import { IDENTITY_PARAM_METADATA } from '../gateway-auth.constants.js';
import type { GatewayIdentity, GatewayTokenClaims } from '../interfaces/gateway-identity.interface.js';

/** What the startup check needs to know about a parameter decorator on a handler. */
export interface IdentityParamUse {
  readonly decorator: string;
  /** It reads the parsed DN, so `subjectFormat: 'opaque'` cannot serve it. */
  readonly needsDn: boolean;
  /** The attribute type it reads (`@GatewaySubject('CN')`), checked at startup. */
  readonly attribute?: string;
}

function identityOf(context: ExecutionContext, decoratorName: string): GatewayIdentity {
  const user: unknown = context.switchToHttp().getRequest<{ user?: unknown }>().user;
  if (typeof user !== 'object' || user === null || typeof (user as GatewayIdentity).subject !== 'string') {
    // Reached only if the route was not run through GatewayAuthGuard (the startup check covers @Public()).
    throw new Error(
      `${decoratorName} found no verified gateway caller on this request: the route is not protected by GatewayAuthGuard`,
    );
  }
  return user as GatewayIdentity;
}

/** Records, for the startup check, that a handler needs a verified caller. */
function requiresIdentity(use: IdentityParamUse, param: ParameterDecorator): ParameterDecorator {
  return (target, key, index) => {
    if (key !== undefined) {
      const uses: IdentityParamUse[] = Reflect.getMetadata(IDENTITY_PARAM_METADATA, target.constructor, key) ?? [];
      Reflect.defineMetadata(IDENTITY_PARAM_METADATA, [...uses, use], target.constructor, key);
    }
    param(target, key, index);
  };
}

const subjectParam = createParamDecorator(
  (attribute: string | undefined, context: ExecutionContext): string | undefined => {
    const identity = identityOf(context, '@GatewaySubject()');
    return attribute === undefined ? identity.subject : identity.caller.get(attribute);
  },
);
const callerParam = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Caller => identityOf(context, '@GatewayCaller()').caller,
);
const claimsParam = createParamDecorator(
  (_data: unknown, context: ExecutionContext): GatewayTokenClaims =>
    identityOf(context, '@GatewayClaims()').claims,
);

/**
 * Injects the verified caller: the token's `sub`, i.e. the Subject DN of the client certificate
 * the gateway authenticated, as the gateway wrote it (`CN=service1,OU=Payments,O=Acme Ltd,C=GB`).
 * With an attribute type, injects that attribute's most specific value instead (`undefined` when
 * the DN has none): `@GatewaySubject('CN')` gives `service1`.
 * Refused at startup on a `@Public()` route, and with an attribute when `subjectFormat` is `opaque`.
 *
 * @example
 * @Get() list(@GatewaySubject() caller: string, @GatewaySubject('CN') cn: string) { ... }
 * @publicApi
 */
export const GatewaySubject = (attribute?: string): ParameterDecorator =>
  attribute === undefined
    ? requiresIdentity({ decorator: '@GatewaySubject()', needsDn: false }, subjectParam())
    : requiresIdentity(
        { decorator: `@GatewaySubject(${JSON.stringify(attribute)})`, needsDn: true, attribute },
        subjectParam(attribute),
      );

/**
 * Injects the verified caller as a parsed `VerifiedCaller` (`dn`, `rdns`, `get('OU')`,
 * `getAll('OU')`, `is(dn)`). Refused at startup on a `@Public()` route or with
 * `subjectFormat: 'opaque'`.
 *
 * @example
 * @Get() list(@GatewayCaller() caller: VerifiedCaller) { return { unit: caller.get('OU') }; }
 * @publicApi
 */
export const GatewayCaller = (): ParameterDecorator =>
  requiresIdentity({ decorator: '@GatewayCaller()', needsDn: true }, callerParam());

/**
 * Injects all verified claims of the gateway token (`iss`, `sub`, `aud`, `exp`, `jti`, and any
 * other claim the gateway adds). Refused at startup on a `@Public()` route.
 *
 * @example
 * @Get() show(@GatewayClaims() claims: GatewayTokenClaims) { return { jti: claims.jti }; }
 * @publicApi
 */
export const GatewayClaims = (): ParameterDecorator =>
  requiresIdentity({ decorator: '@GatewayClaims()', needsDn: false }, claimsParam());
