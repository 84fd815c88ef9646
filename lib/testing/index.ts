/**
 * `nestjs-gateway-auth/testing`: TEST-ONLY helpers. Nothing here belongs in production code.
 *
 * - e2e tests: `createTestGateway()` starts a JWKS endpoint on loopback with fresh keys and mints
 *   tokens as the gateway would; `GatewayAuthModule.forRoot(gateway.options)` trusts it.
 * - controller tests without tokens or keys: `GatewayAuthTestingModule.withCaller(dn)`, or
 *   `TestGatewayIdentityGuard` in place of `GatewayAuthGuard`.
 * - lower level: `generateTestSigningKey()`, `signTestJwt()`, `mintTestToken()`,
 *   `startTestJwksServer()`, `createTestGatewayIdentity()`.
 */
export {
  createTestGateway,
  type TestGateway,
  type TestGatewayOptions,
  type TestGatewayMintOptions,
  type TestGatewayTimedMintOptions,
  type TestGatewayRotateOptions,
} from './test-gateway.js';
export { GatewayAuthTestingModule } from './gateway-auth-testing.module.js';
export { TestGatewayIdentityGuard } from './test-gateway-identity.guard.js';
export type { GatewayAuthTestingModuleOptions } from './testing-module-options.js';
export {
  createTestGatewayIdentity,
  type TestCallerOptions,
  type TestGatewayIdentityOptions,
} from './test-gateway-identity.js';
export {
  generateTestSigningKey,
  TEST_SIGNING_ALGORITHMS,
  type TestSigningKey,
  type TestSigningKeyOptions,
  type TestPublicJwk,
} from './test-signing-key.js';
export { signTestJwt } from './sign-test-jwt.js';
export { mintTestToken, type MintTestTokenOptions, type TestTokenClaims } from './mint-test-token.js';
export {
  startTestJwksServer,
  type TestJwksServer,
  type TestJwksServerOptions,
  type TestJwksBehaviour,
} from './test-jwks-server.js';
export {
  TEST_AUDIENCE_BASE,
  TEST_CALLER_DN,
  TEST_GATEWAY_ISSUER,
  TEST_TOKEN_TTL_SECONDS,
} from './test-defaults.js';
