import { Inject } from '@nestjs/common';
import { getGatewayAuthOptionsToken } from '../gateway-auth.providers.js';

/**
 * Injects the options given to `GatewayAuthModule.forRoot()` / `forRootAsync()`.
 *
 * @example
 * constructor(@InjectGatewayAuthOptions() options: GatewayAuthModuleOptions) {}
 * @publicApi
 */
export const InjectGatewayAuthOptions = (): PropertyDecorator & ParameterDecorator =>
  Inject(getGatewayAuthOptionsToken());
