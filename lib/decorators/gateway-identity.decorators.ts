import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { IDENTITY_PARAM_METADATA } from '../gateway-auth.constants.js';
import type { GatewayIdentity, GatewayTokenClaims } from '../interfaces/gateway-identity.interface.js';

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
function requiresIdentity(decoratorName: string, param: ParameterDecorator): ParameterDecorator {
  return (target, key, index) => {
    if (key !== undefined) {
      const names: string[] = Reflect.getMetadata(IDENTITY_PARAM_METADATA, target.constructor, key) ?? [];
      Reflect.defineMetadata(IDENTITY_PARAM_METADATA, [...names, decoratorName], target.constructor, key);
    }
    param(target, key, index);
  };
}

const subjectParam = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string => identityOf(context, '@GatewaySubject()').subject,
);
const claimsParam = createParamDecorator(
  (_data: unknown, context: ExecutionContext): GatewayTokenClaims =>
    identityOf(context, '@GatewayClaims()').claims,
);

/**
 * Injects the verified caller: the token's `sub`, i.e. the Subject DN of the client certificate
 * the gateway authenticated, e.g. `CN=service1,OU=Payments,O=Acme Ltd,C=GB`.
 * Refused at startup on a `@Public()` route.
 *
 * @example
 * @Get() list(@GatewaySubject() caller: string) { return { caller }; }
 * @publicApi
 */
export const GatewaySubject = (): ParameterDecorator =>
  requiresIdentity('@GatewaySubject()', subjectParam());

/**
 * Injects all verified claims of the gateway token (`iss`, `sub`, `aud`, `exp`, `jti`, and any
 * other claim the gateway adds). Refused at startup on a `@Public()` route.
 *
 * @example
 * @Get() show(@GatewayClaims() claims: GatewayTokenClaims) { return { jti: claims.jti }; }
 * @publicApi
 */
export const GatewayClaims = (): ParameterDecorator =>
  requiresIdentity('@GatewayClaims()', claimsParam());
