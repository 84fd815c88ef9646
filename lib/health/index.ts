// `nestjs-gateway-auth/health`: needs the optional peer `@nestjs/terminus`, so the main entry never imports it.
export {
  GatewayAuthHealthModule,
  GatewayJwksHealthIndicator,
  GATEWAY_JWKS_HEALTH_KEY,
  type GatewayJwksHealthData,
  type GatewayJwksHealthOptions,
} from './gateway-jwks.health.js';
