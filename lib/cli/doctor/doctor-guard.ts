import type { ExecutionContext, INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GatewayAuthHttpException } from '../../errors/to-http-exception.js';
import { GatewayAuthModule } from '../../gateway-auth.module.js';
import type { GatewayAuthGuard, GatewayRequest } from '../../guards/gateway-auth.guard.js';
import type { GatewayAuthModuleOptions } from '../../interfaces/gateway-auth-options.interface.js';
import type { DoctorRoute } from './doctor-args.js';
import { messageOf } from './doctor-format.js';
import type { DoctorOutcome } from './doctor-report.js';

/** The application the doctor asks: nothing but `GatewayAuthModule.forRoot(options)`. */
class DoctorModule {}

/** The route the guard is asked about: a handler without metadata (not `@Public()`, no override). */
class DoctorController {
  handle(): void {}
}

/**
 * A Nest application context with `GatewayAuthModule.forRoot(options)`, as a service would have it
 * (its options validated by the module itself), without logging.
 * @throws {GatewayAuthConfigError} options the module refuses
 */
export function createDoctorContext(options: object): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(
    { module: DoctorModule, imports: [GatewayAuthModule.forRoot(options as GatewayAuthModuleOptions)] },
    { logger: false, abortOnError: false },
  );
}

/** A request for `route` carrying the token in the module's token header, as the gateway sends it. */
export function doctorRequest(token: string, route: DoctorRoute, tokenHeader: string): GatewayRequest & { rawHeaders: string[] } {
  const value = `Bearer ${token}`;
  return {
    method: route.method,
    url: route.target,
    originalUrl: route.target,
    headers: { [tokenHeader]: value },
    rawHeaders: [tokenHeader, value],
  };
}

/**
 * The guard's verdict on the request, exactly as Nest asks it: `canActivate` with the request, a
 * response and the handler. `true` accepts; a refusal is the `GatewayAuthHttpException` carrying
 * the library's error and its stable code.
 */
export async function guardVerdict(guard: GatewayAuthGuard, request: GatewayRequest): Promise<DoctorOutcome> {
  const context = httpContext(request, DoctorController, DoctorController.prototype.handle);
  try {
    const allowed = await guard.canActivate(context);
    if (allowed === true) return { verdict: 'accepted', caller: subjectOf(request.user) };
    return { verdict: 'rejected', code: 'internal_error', httpStatus: undefined, message: `the guard answered ${String(allowed)}` };
  } catch (error) {
    if (error instanceof GatewayAuthHttpException) {
      return { verdict: 'rejected', code: error.reason.code, httpStatus: error.getStatus(), message: messageOf(error.reason) };
    }
    return { verdict: 'rejected', code: 'internal_error', httpStatus: 500, message: `the guard threw ${messageOf(error)}` };
  }
}

function subjectOf(user: unknown): string | undefined {
  const subject = (user as { subject?: unknown } | undefined)?.subject;
  return typeof subject === 'string' ? subject : undefined;
}

/**
 * The `ExecutionContext` Nest builds for an HTTP request, made here: Nest's own
 * (`ExecutionContextHost`) is internal to @nestjs/core and not part of its public exports.
 */
function httpContext(request: GatewayRequest, controller: Type, handler: (...args: never[]) => unknown): ExecutionContext {
  const response = {};
  const next = (): void => undefined;
  const args = [request, response, next];
  const http = { getRequest: <T>() => request as T, getResponse: <T>() => response as T, getNext: <T>() => next as T };
  const unsupported = (kind: string) => (): never => {
    throw new Error(`the doctor's request is HTTP, not ${kind}`);
  };
  return {
    getClass: <T>() => controller as Type<T>,
    getHandler: () => handler as never,
    getArgs: <T extends unknown[]>() => args as T,
    getArgByIndex: <T>(index: number) => args[index] as T,
    getType: <T extends string>() => 'http' as T,
    switchToHttp: () => http,
    switchToRpc: unsupported('RPC'),
    switchToWs: unsupported('WebSocket'),
  };
}
