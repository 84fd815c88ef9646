export * from './gateway-auth.error.js';
export { GatewayAuthHttpException, type GatewayAuthErrorBody } from './to-http-exception.js';
