export { GatewayAuthModule } from './gateway-auth.module.js';
export { GATEWAY_JWT_STRATEGY } from './gateway-auth.constants.js';
export { getGatewayAuthOptionsToken } from './gateway-auth.providers.js';
export { GatewayAuthGuard, type GatewayRequest } from './guards/gateway-auth.guard.js';
export { GatewayJwtStrategy } from './strategies/gateway-jwt.strategy.js';
export * from './decorators/index.js';
export * from './errors/index.js';
export * from './interfaces/index.js';
export { VerifiedCaller, type SubjectFormat } from './caller/gateway-caller.js';
export type { CallerRule } from './caller/caller-rules.js';
export {
  parseDn,
  parseOpenSslDn,
  formatDistinguishedName,
  dnEquals,
  DnSyntaxError,
  type DistinguishedName,
  type DnRdn,
  type DnAttributeValue,
} from './utils/dn.util.js';
export { GatewayJwksService } from './jwks/gateway-jwks.service.js';
export type { KeyStoreStatus } from './jwks/jwks-key-store.js';
