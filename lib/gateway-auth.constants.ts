/** Name under which the Passport strategy is registered. */
export const GATEWAY_JWT_STRATEGY = 'gateway-jwt';

/** Injection token of the validated options (see `resolveGatewayAuthOptions`). */
export const GATEWAY_AUTH_RESOLVED_OPTIONS = 'GATEWAY_AUTH:RESOLVED_OPTIONS';

/** Metadata keys; namespaced so they cannot clash with an application's own. */
export const PUBLIC_ROUTE_METADATA = 'gateway_auth:public';
export const IDENTITY_PARAM_METADATA = 'gateway_auth:identity_param';
export const ALLOW_CALLERS_METADATA = 'gateway_auth:allow_callers';
