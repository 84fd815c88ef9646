import type { Provider } from '@nestjs/common';
import { GATEWAY_AUTH_RESOLVED_OPTIONS } from './gateway-auth.constants.js';
import { MODULE_OPTIONS_TOKEN } from './gateway-auth.module-definition.js';
import { resolveGatewayAuthOptions } from './gateway-auth.options.js';

/**
 * Validates the options once, at bootstrap: with `forRootAsync` they only exist at DI time.
 */
export const resolvedOptionsProvider: Provider = {
  provide: GATEWAY_AUTH_RESOLVED_OPTIONS,
  useFactory: resolveGatewayAuthOptions,
  inject: [MODULE_OPTIONS_TOKEN],
};

/**
 * The injection token of the options as given to `forRoot()` / `forRootAsync()`.
 * @publicApi
 */
export const getGatewayAuthOptionsToken = (): string | symbol => MODULE_OPTIONS_TOKEN;
