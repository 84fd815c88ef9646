export { GatewayAuthModule } from './gateway-auth.module.js';
export { GATEWAY_JWT_STRATEGY } from './gateway-auth.constants.js';
export { getGatewayAuthOptionsToken } from './gateway-auth.providers.js';
export { GatewayAuthGuard, type GatewayRequest } from './guards/gateway-auth.guard.js';
export { GatewayJwtStrategy } from './strategies/gateway-jwt.strategy.js';
export * from './decorators/index.js';
export * from './errors/index.js';
export * from './interfaces/index.js';
