import { createHash, createPublicKey, randomUUID, X509Certificate } from 'node:crypto';
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { importPKCS8, SignJWT, type JWK } from 'jose';
import type { DemoPki } from './pki.js';
import { subjectDn } from './certificate-subject.js';

/**
 * A stand-in for an Internet API Gateway such as Tyk, doing what the one in our problem statement
 * does:
 *  1. it authenticates the caller by mutual TLS against the test CA (no certificate, or one from
 *     another CA, and the TLS handshake fails);
 *  2. it mints a short-lived RS256 JWT: `iss` = the Subject DN of its signing certificate,
 *     `sub` = the Subject DN of the caller's certificate (RFC 4514), `aud` = the URL it forwards
 *     the request to, `iat`, `exp`, `jti`;
 *  3. it proxies the request to the upstream with `Authorization: Bearer <jwt>`, dropping any
 *     `Authorization` header the caller sent;
 *  4. it publishes its public key (`kid`, `alg`, `use`, `x5c`) at `/.well-known/jwks.json`.
 *
 * Routing is Tyk-style: requests under `listenPath` go to `upstream`, with the listen path
 * stripped (`strip_listen_path: true`) or kept.
 */
export interface GatewaySimulatorOptions {
  readonly pki: DemoPki;
  /** The mTLS port callers use. @default 8443 (0: any free port) */
  readonly port?: number;
  /**
   * The port of the key endpoint, plain HTTP on loopback, so that Service 2 can fetch the JWKS
   * without a client certificate. @default 8081 (0: any free port)
   */
  readonly jwksPort?: number;
  /** @default '/service2' */
  readonly listenPath?: string;
  /** @default true */
  readonly stripListenPath?: boolean;
  /** Where requests are forwarded. @default 'http://127.0.0.1:3000' */
  readonly upstream?: string;
  /** Lifetime of a minted token. @default 60 */
  readonly tokenTtlSeconds?: number;
}

/** What a token carries, for a caller minting one by hand (the demo's replay and expiry cases). */
export interface MintRequest {
  readonly sub: string;
  readonly aud: string;
  /** Seconds from now; negative for an already-expired token. */
  readonly expiresIn?: number;
}

export interface MintedToken {
  readonly token: string;
  readonly sub: string;
  readonly aud: string;
}

export interface GatewaySimulator {
  /** e.g. `https://localhost:8443` */
  readonly url: string;
  /** The public base URL of the API: `url` + listen path. */
  readonly publicBaseUrl: string;
  readonly upstream: string;
  readonly jwksUri: string;
  /** `iss` of every token: the signing certificate's Subject DN. */
  readonly issuer: string;
  readonly kid: string;
  mint(request: MintRequest): Promise<string>;
  /** Called with every token minted for a proxied request (a tap on the gateway → Service 2 hop). */
  onForward(listener: (minted: MintedToken) => void): void;
  close(): Promise<void>;
}

/** Headers that concern one connection only (RFC 9110 §7.6.1), plus the caller's credentials. */
const NOT_FORWARDED = new Set([
  'authorization', 'proxy-authorization', 'connection', 'keep-alive', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'proxy-connection', 'host',
]);

export async function startGatewaySimulator(options: GatewaySimulatorOptions): Promise<GatewaySimulator> {
  const { pki } = options;
  const listenPath = (options.listenPath ?? '/service2').replace(/\/+$/, '');
  const stripListenPath = options.stripListenPath ?? true;
  const upstream = new URL(options.upstream ?? 'http://127.0.0.1:3000');
  const upstreamBase = upstream.origin + upstream.pathname.replace(/\/+$/, '');
  const ttl = options.tokenTtlSeconds ?? 60;

  const signingCert = new X509Certificate(pki.gatewaySigning.certPem);
  const issuer = subjectDn(signingCert.raw);
  const kid = createHash('sha256').update(signingCert.raw).digest('base64url').slice(0, 16);
  const signingKey = await importPKCS8(pki.gatewaySigning.keyPem, 'RS256');
  const jwk: JWK = {
    ...(createPublicKey(pki.gatewaySigning.certPem).export({ format: 'jwk' }) as JWK),
    kid,
    alg: 'RS256',
    use: 'sig',
    x5c: [signingCert.raw.toString('base64'), new X509Certificate(pki.ca.certPem).raw.toString('base64')],
  };
  const jwks = JSON.stringify({ keys: [jwk] });
  const listeners: ((minted: MintedToken) => void)[] = [];
  const dnByFingerprint = new Map<string, string>();

  const mint = async ({ sub, aud, expiresIn = ttl }: MintRequest): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sub, aud })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(signingKey);
  };

  const serveJwks = (response: ServerResponse): void => {
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
    response.end(jwks);
  };

  const gateway = createHttpsServer(
    {
      key: pki.gatewayTls.keyPem,
      cert: pki.gatewayTls.certPem,
      ca: pki.ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (request, response) => {
      handle(request, response).catch(() => {
        if (!response.headersSent) answer(response, 502, 'bad_gateway', 'The gateway could not forward the request');
        else response.destroy();
      });
    },
  );
  // Refused handshakes (no certificate, untrusted CA) are expected in the demo: nothing to log.
  gateway.on('tlsClientError', () => undefined);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = request.url ?? '/';
    const path = target.split('?')[0] as string;
    if (path === '/.well-known/jwks.json') return serveJwks(response);
    if (path !== listenPath && !path.startsWith(`${listenPath}/`)) {
      return answer(response, 404, 'no_route', `No API is served at ${path}; this gateway listens on ${listenPath}/`);
    }
    const forwardedTarget = stripListenPath ? target.slice(listenPath.length) || '/' : target;
    const forwardedPath = forwardedTarget.split('?')[0] as string;
    const aud = upstreamBase + forwardedPath;
    const sub = callerDn(request.socket as TLSSocket);
    const token = await mint({ sub, aud });
    for (const listener of listeners) listener({ token, sub, aud });
    forward(request, response, upstreamBase + forwardedTarget, token);
  }

  function callerDn(socket: TLSSocket): string {
    const certificate = socket.getPeerX509Certificate();
    if (!certificate) throw new Error('mutual TLS should have refused a caller without a certificate');
    let dn = dnByFingerprint.get(certificate.fingerprint256);
    if (dn === undefined) {
      dn = subjectDn(certificate.raw);
      dnByFingerprint.set(certificate.fingerprint256, dn);
    }
    return dn;
  }

  function forward(request: IncomingMessage, response: ServerResponse, url: string, token: string): void {
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!NOT_FORWARDED.has(name)) headers[name] = value;
    }
    headers['authorization'] = `Bearer ${token}`;
    headers['x-forwarded-proto'] = 'https';
    headers['x-forwarded-host'] = request.headers.host ?? '';
    headers['x-forwarded-for'] = request.socket.remoteAddress ?? '';
    const upstreamRequest = httpRequest(url, { method: request.method ?? 'GET', headers }, upstreamResponse => {
      response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
      upstreamResponse.pipe(response);
    });
    upstreamRequest.on('error', () => {
      if (!response.headersSent) answer(response, 502, 'upstream_unreachable', `The gateway could not reach ${upstreamBase}`);
      else response.destroy();
    });
    request.pipe(upstreamRequest);
  }

  const keyEndpoint = createHttpServer((request, response) => {
    if ((request.url ?? '').split('?')[0] === '/.well-known/jwks.json') return serveJwks(response);
    answer(response, 404, 'no_route', 'Only /.well-known/jwks.json is served here');
  });

  await listen(gateway, options.port ?? 8443, 'the gateway (mTLS)');
  try {
    await listen(keyEndpoint, options.jwksPort ?? 8081, 'the gateway key endpoint');
  } catch (error) {
    await close(gateway);
    throw error;
  }
  const port = (gateway.address() as AddressInfo).port;
  const url = `https://localhost:${port}`;

  return {
    url,
    publicBaseUrl: url + listenPath,
    upstream: upstreamBase,
    jwksUri: `http://127.0.0.1:${(keyEndpoint.address() as AddressInfo).port}/.well-known/jwks.json`,
    issuer,
    kid,
    mint,
    onForward: listener => {
      listeners.push(listener);
    },
    close: async () => {
      await Promise.all([close(gateway), close(keyEndpoint)]);
    },
  };
}

function answer(response: ServerResponse, status: number, error: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-served-by': 'gateway' });
  response.end(JSON.stringify({ error, message }));
}

function listen(server: Server, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Cannot start ${what}: port ${port} on 127.0.0.1 is in use; stop what listens there or choose another port`)
          : error,
      );
    });
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise(resolve => server.close(() => resolve()));
}
