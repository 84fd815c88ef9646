import type { VerifiedCaller } from '../caller/gateway-caller.js';

/**
 * The verified claims of a gateway token. Registered claims are typed; any other claim the gateway
 * adds (`cnf`, `scope`, `client_id`, …) is kept as `unknown`.
 * @publicApi
 */
export interface GatewayTokenClaims {
  readonly iss: string;
  /** The caller: the Subject DN of its client certificate, e.g. `CN=service1,OU=Payments,O=Acme Ltd,C=GB`. */
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat?: number;
  readonly nbf?: number;
  readonly jti?: string;
  readonly [claim: string]: unknown;
}

/**
 * What a verified request carries (`request.user`): the caller, the issuer and all claims.
 * @publicApi
 */
export interface GatewayIdentity {
  /** The caller's DN, the token's `sub`. */
  readonly subject: string;
  /** The gateway that vouched for the caller, the token's `iss`. */
  readonly issuer: string;
  readonly claims: GatewayTokenClaims;
  /** The caller parsed from `sub` (an opaque one with `subjectFormat: 'opaque'`). */
  readonly caller: VerifiedCaller;
}
