import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A minimal stand-in for the API gateway, for local development only: it holds an RS256 signing
 * key, publishes the public half at `/.well-known/jwks.json` on 127.0.0.1, and mints the tokens the
 * real gateway would forward after authenticating Service 1 over mTLS (`iss` = the gateway's
 * signing identity, `sub` = the client certificate's Subject DN, `aud` = the URL being called).
 * There is no mTLS and no proxying here.
 */

/** The `iss` the dev gateway signs with unless told otherwise. */
export const DEV_GATEWAY_ISSUER = 'CN=Demo Gateway Signing,O=Example';

export const JWKS_PATH = '/.well-known/jwks.json';

/** A private signing key with the public JWK that advertises it. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256';
  readonly privateKey: CryptoKey;
  /** The public key as published in the JWKS: `kty`, `n`, `e`, `kid`, `alg`, `use: 'sig'`. */
  readonly publicJwk: JWK;
}

export interface MintOptions {
  /** The caller: the Subject DN of its client certificate (RFC 4514). */
  readonly sub: string;
  /** The URL being called, e.g. `http://127.0.0.1:3000/orders`. */
  readonly aud: string | readonly string[];
  /** Lifetime counted from `issuedAt`. @default 60 */
  readonly expiresInSeconds?: number;
  /**
   * `iat`, in seconds since the epoch; set it in the past to mint an already expired token.
   * @default now
   */
  readonly issuedAt?: number;
  /** `iss`. @default the gateway's issuer */
  readonly issuer?: string;
  /** Any further claims (`client_id`, `scope`, …). Registered claims above take precedence. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

export interface DevGatewayOptions {
  /** Port on 127.0.0.1. @default 0 (a free port chosen by the OS) */
  readonly port?: number;
  /** @default DEV_GATEWAY_ISSUER */
  readonly issuer?: string;
  /** @default a random `dev-…` value */
  readonly kid?: string;
}

export interface DevGateway {
  /** `http://127.0.0.1:<port>/.well-known/jwks.json` */
  readonly jwksUri: string;
  readonly issuer: string;
  readonly kid: string;
  /** Signs a token with the gateway's key. */
  mint(options: MintOptions): Promise<string>;
  /** Stops the JWKS server. */
  close(): Promise<void>;
}

/** Generates an RS256 key pair and its public JWK. */
export async function createSigningKey(kid: string = `dev-${randomUUID()}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, alg: 'RS256', privateKey, publicJwk };
}

/** Signs a gateway-style token (`iss`, `sub`, `aud`, `iat`, `exp`, `jti`) with `key`. */
export async function signToken(
  key: SigningKey,
  issuer: string,
  options: MintOptions,
): Promise<string> {
  const issuedAt = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const aud = typeof options.aud === 'string' ? options.aud : [...options.aud];
  return new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(options.issuer ?? issuer)
    .setSubject(options.sub)
    .setAudience(aud)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (options.expiresInSeconds ?? 60))
    .setJti(randomUUID())
    .sign(key.privateKey);
}

/**
 * Starts the dev gateway's JWKS endpoint on 127.0.0.1.
 *
 * @example
 * const gateway = await startDevGateway();
 * const token = await gateway.mint({
 *   sub: 'CN=service1,OU=Payments,O=Acme Ltd,C=GB',
 *   aud: 'http://127.0.0.1:3000/orders',
 * });
 */
export async function startDevGateway(options: DevGatewayOptions = {}): Promise<DevGateway> {
  const issuer = options.issuer ?? DEV_GATEWAY_ISSUER;
  const key = await createSigningKey(options.kid);
  const jwks = JSON.stringify({ keys: [key.publicJwk] });

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== JWKS_PATH) {
      send(response, 404, JSON.stringify({ error: 'not_found', path: JWKS_PATH }));
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      send(response, 405, JSON.stringify({ error: 'method_not_allowed' }));
    } else {
      response.setHeader('Cache-Control', 'public, max-age=300');
      send(response, 200, request.method === 'HEAD' ? '' : jwks);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    jwksUri: `http://127.0.0.1:${port}${JWKS_PATH}`,
    issuer,
    kid: key.kid,
    mint: mintOptions => signToken(key, issuer, mintOptions),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close(error => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(response: ServerResponse, status: number, body: string): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json');
  response.end(body);
}
