import { SetMetadata } from '@nestjs/common';
import { PUBLIC_ROUTE_METADATA } from '../gateway-auth.constants.js';

/**
 * Opens a route, or every route of a controller, to requests without a gateway token
 * (health checks, readiness probes). A method-level `@Public()` beats nothing else: there is no
 * way to re-protect one handler of a public controller other than removing `@Public()` from it.
 *
 * Combining `@Public()` with `@GatewaySubject()` or `@GatewayClaims()` on one handler is refused
 * when the application starts, since such a handler would have no caller to receive.
 *
 * @example
 * @Public() @Get('health') health() { return { status: 'ok' }; }
 * @publicApi
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE_METADATA, true);
