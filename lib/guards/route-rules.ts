import type { ExecutionContext } from '@nestjs/common';
import type { HttpAdapterHost, Reflector } from '@nestjs/core';
import { compiledCallerRules, type CallerRule, type CompiledCallerRules } from '../caller/caller-rules.js';
import type { GatewayAuthError } from '../errors/gateway-auth.error.js';
import { toHttpException } from '../errors/to-http-exception.js';
import { ALLOW_CALLERS_METADATA, PUBLIC_ROUTE_METADATA } from '../gateway-auth.constants.js';

/**
 * What a route's metadata says, and how a refusal is answered: shared by `GatewayAuthGuard` and
 * the testing kit's stand-in guard, so the two cannot drift apart.
 */

/** True for handlers or controllers marked `@Public()`. */
export function isPublicRoute(reflector: Reflector, context: ExecutionContext): boolean {
  return reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE_METADATA, [context.getHandler(), context.getClass()]) === true;
}

/** The route's `@AllowCallers()` rules, else the module's `allowedCallers`; none means anyone. */
export function routeCallerRules(
  reflector: Reflector,
  context: ExecutionContext,
  moduleRules: CompiledCallerRules | undefined,
): CompiledCallerRules | undefined {
  const rules = reflector.getAllAndOverride<readonly CallerRule[] | undefined>(ALLOW_CALLERS_METADATA, [
    context.getHandler(),
    context.getClass(),
  ]);
  return rules ? compiledCallerRules(rules) : moduleRules;
}

/** A response without an HTTP adapter to write to it: Express's and Fastify's both have one of these. */
interface HeaderTarget {
  header?: (name: string, value: string) => unknown;
  setHeader?: (name: string, value: string) => unknown;
}

/**
 * Sets the refusal's RFC 6750 headers on the response and throws its HTTP exception. Without an
 * HTTP adapter (an application context, a guard made by hand) the headers go straight on a
 * response that takes them, and the exception carries them in any case.
 */
export function refuse(error: GatewayAuthError, realm: string, context: ExecutionContext, adapterHost: HttpAdapterHost | undefined): never {
  const exception = toHttpException(error, realm);
  const adapter = adapterHost?.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
  const response = context.switchToHttp().getResponse<HeaderTarget | undefined>();
  for (const [name, value] of Object.entries(exception.headers)) {
    if (adapter) adapter.setHeader(response, name, value);
    else if (typeof response?.header === 'function') response.header(name, value);
    else if (typeof response?.setHeader === 'function') response.setHeader(name, value);
  }
  throw exception;
}
