import { Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { GATEWAY_AUTH_RESOLVED_OPTIONS } from './gateway-auth.constants.js';
import { GatewayAuthExplorer } from './gateway-auth.explorer.js';
import { ConfigurableModuleClass } from './gateway-auth.module-definition.js';
import { resolvedOptionsProvider } from './gateway-auth.providers.js';
import { GatewayAuthGuard } from './guards/gateway-auth.guard.js';
import { GatewayJwtStrategy } from './strategies/gateway-jwt.strategy.js';
import { GatewayJwksService } from './jwks/gateway-jwks.service.js';

/**
 * Protects every route of the application with the gateway's signed JWT.
 *
 * `forRoot(options)` or `forRootAsync({ imports, inject, useFactory | useClass | useExisting })`
 * registers the `gateway-jwt` Passport strategy and `GatewayAuthGuard` as an `APP_GUARD`, so every
 * route of the whole application is protected unless marked `@Public()`. The options are validated
 * once at bootstrap: a misconfiguration stops the application from starting.
 *
 * `isGlobal` (default `true`) only decides whether other modules can inject what this module
 * exports (the guard, the options); the guard applies to the whole application either way.
 *
 * @example
 * GatewayAuthModule.forRoot({
 *   jwksUri: 'https://iag.example.com/.well-known/jwks.json',
 *   issuer: 'CN=IAG Signing,O=Example',
 *   audience: { baseUrl: 'https://api.example.com' },
 * })
 * @publicApi
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    resolvedOptionsProvider,
    GatewayJwksService,
    GatewayJwtStrategy,
    GatewayAuthGuard,
    { provide: APP_GUARD, useExisting: GatewayAuthGuard },
    GatewayAuthExplorer,
  ],
  exports: [GATEWAY_AUTH_RESOLVED_OPTIONS, GatewayAuthGuard, GatewayJwksService],
})
export class GatewayAuthModule extends ConfigurableModuleClass {}
