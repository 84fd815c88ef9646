import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwksRsa from 'jwks-rsa';
import { ensureDemoPki, type DemoPki } from '../../sample/gateway/pki.js';
import {
  createJwksFetcher,
  JwksFetchError,
  type JwksFetcher,
  type JwksFetchFailure,
  type JwksTransportOptions,
} from './jwks-fetcher.js';

// Real sockets on 127.0.0.1, no mocks: every server below is a real node:http / node:https /
// node:net server with an OS-assigned port.

const MiB = 1024 * 1024;
const JWKS = { keys: [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' }] };

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface TestServer {
  readonly port: number;
  /** Request headers, in arrival order (http/https servers only). */
  readonly requests: http.IncomingHttpHeaders[];
  /** TCP connections accepted so far. */
  accepted(): number;
  /** TCP connections still open. */
  open(): number;
  /** Most connections open at the same time. */
  peak(): number;
  url(path?: string, host?: string): string;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const fetchers: JwksFetcher[] = [];

function track(fetcher: JwksFetcher): JwksFetcher {
  fetchers.push(fetcher);
  return fetcher;
}

function fetcherFor(options: JwksTransportOptions): JwksFetcher {
  return track(createJwksFetcher(options));
}

async function listen(
  server: net.Server,
  scheme: 'http' | 'https',
  requests: http.IncomingHttpHeaders[],
): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let peak = 0;
  server.on('connection', (socket: net.Socket) => {
    accepted += 1;
    sockets.add(socket);
    peak = Math.max(peak, sockets.size);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const { port } = address;
  const testServer: TestServer = {
    port,
    requests,
    accepted: () => accepted,
    open: () => sockets.size,
    peak: () => peak,
    url: (path = '/jwks.json', host = '127.0.0.1') => `${scheme}://${host}:${port}${path}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
  servers.push(testServer);
  return testServer;
}

function withRequestTracking(requests: http.IncomingHttpHeaders[], handler: Handler): Handler {
  return (req, res) => {
    requests.push(req.headers);
    res.on('error', () => undefined);
    handler(req, res);
  };
}

function httpServer(handler: Handler): Promise<TestServer> {
  const requests: http.IncomingHttpHeaders[] = [];
  return listen(http.createServer(withRequestTracking(requests, handler)), 'http', requests);
}

function httpsServer(tls: https.ServerOptions, handler: Handler): Promise<TestServer> {
  const requests: http.IncomingHttpHeaders[] = [];
  return listen(https.createServer(tls, withRequestTracking(requests, handler)), 'https', requests);
}

/** Accepts TCP connections and never says anything (it reads, so it sees the client hang up). */
function silentTcpServer(): Promise<TestServer> {
  return listen(net.createServer(socket => socket.resume()), 'https', []);
}

function json(body: unknown, status = 200): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

/** The fetch's rejection, checked to be a JwksFetchError. */
async function failureOf(promise: Promise<unknown>): Promise<JwksFetchError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(JwksFetchError);
    return error as JwksFetchError;
  }
  throw new Error('expected the fetch to fail, but it resolved');
}

async function expectFailure(promise: Promise<unknown>, reason: JwksFetchFailure): Promise<JwksFetchError> {
  const error = await failureOf(promise);
  expect(error.reason).toBe(reason);
  return error;
}

/** The server saw the client's connection, and sees it closed within a second: no leaked socket. */
async function expectConnectionsClosed(server: TestServer): Promise<void> {
  expect(server.accepted()).toBeGreaterThan(0);
  const deadline = Date.now() + 1_000;
  while (server.open() > 0) {
    if (Date.now() > deadline) throw new Error(`${server.open()} connection(s) still open after 1 s`);
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

async function timed<T>(promise: Promise<T>): Promise<{ result: T; elapsedMs: number }> {
  const start = performance.now();
  const result = await promise;
  return { result, elapsedMs: performance.now() - start };
}

const base = { timeoutMs: 2_000, maxResponseBytes: MiB } as const;

afterEach(async () => {
  for (const fetcher of fetchers.splice(0)) fetcher.close();
  await Promise.all(servers.splice(0).map(server => server.close()));
});

describe('createJwksFetcher', () => {
  describe('options', () => {
    it.each([
      ['not a URL', { jwksUri: 'jwks.json' }, TypeError],
      ['not http(s)', { jwksUri: 'ftp://127.0.0.1/jwks.json' }, TypeError],
      ['credentials in the URL', { jwksUri: 'https://user:pw@127.0.0.1/jwks.json' }, TypeError],
      ['timeoutMs 0', { timeoutMs: 0 }, RangeError],
      ['timeoutMs NaN', { timeoutMs: Number.NaN }, RangeError],
      ['maxResponseBytes 0', { maxResponseBytes: 0 }, RangeError],
      ['maxResponseBytes 1.5', { maxResponseBytes: 1.5 }, RangeError],
      ['TLS material on http:', { jwksUri: 'http://127.0.0.1/jwks.json', ca: 'x' }, TypeError],
      ['cert without key', { cert: 'x' }, TypeError],
      ['a CA that is not PEM', { ca: 'not a certificate' }, TypeError],
      ['a CA that does not parse', { ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }, TypeError],
      ['an empty CA list', { ca: [] }, TypeError],
      ['header value with a newline', { headers: { 'x-api-key': 'a\r\nb' } }, TypeError],
      ['header name with a space', { headers: { 'x api': 'a' } }, TypeError],
    ] as const)('rejects %s at creation', (_what, override, errorClass) => {
      const options = { jwksUri: 'https://127.0.0.1/jwks.json', ...base, ...override } as JwksTransportOptions;
      expect(() => createJwksFetcher(options)).toThrow(errorClass);
    });

    it('does not echo a header value in the validation error', () => {
      const options = { jwksUri: 'http://127.0.0.1/', ...base, headers: { 'x-api-key': 'SECRET\n' } };
      let message = '';
      try {
        createJwksFetcher(options);
      } catch (error) {
        message = error instanceof Error ? error.message : String(error);
      }
      expect(message).toContain('x-api-key');
      expect(message).not.toContain('SECRET');
    });

    it('refuses a uri on another origin than the configured one', async () => {
      const fetcher = fetcherFor({ jwksUri: 'http://127.0.0.1:1/jwks.json', ...base, headers: { 'x-api-key': 'k' } });
      await expect(fetcher('http://127.0.0.2:1/jwks.json')).rejects.toThrow(TypeError);
      await expect(fetcher('not a url')).rejects.toThrow(TypeError);
    });

    it('is assignable to the jwks-rsa fetcher option', () => {
      const fetcher = fetcherFor({ jwksUri: 'http://127.0.0.1:1/jwks.json', ...base });
      const options: jwksRsa.Options = { jwksUri: 'http://127.0.0.1:1/jwks.json', fetcher };
      expect(options.fetcher).toBe(fetcher);
    });
  });

  describe('over http', () => {
    it('resolves the key set, with accept and the extra headers sent', async () => {
      const server = await httpServer(json(JWKS));
      const fetcher = fetcherFor({ jwksUri: server.url(), ...base, headers: { 'X-Api-Key': 'k-123' } });

      await expect(fetcher()).resolves.toEqual({ keys: JWKS.keys });
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]).toMatchObject({ accept: 'application/json', 'x-api-key': 'k-123' });
    });

    it('uses the uri jwks-rsa passes, query string included', async () => {
      const paths: (string | undefined)[] = [];
      const server = await httpServer((req, res) => {
        paths.push(req.url);
        json(JWKS)(req, res);
      });
      const fetcher = fetcherFor({ jwksUri: server.url(), ...base });
      await fetcher(server.url('/other.json?v=2'));
      expect(paths).toEqual(['/other.json?v=2']);
    });

    it('lets an extra accept header replace the default one', async () => {
      const server = await httpServer(json(JWKS));
      const headers = { Accept: 'application/jwk-set+json' };
      const fetcher = fetcherFor({ jwksUri: server.url(), ...base, headers });
      await fetcher();
      expect(server.requests[0]?.accept).toBe('application/jwk-set+json');
    });

    it('keeps the connection alive between fetches, and close() ends it', async () => {
      const server = await httpServer(json(JWKS));
      const fetcher = fetcherFor({ jwksUri: server.url(), ...base });
      await fetcher();
      await fetcher();
      expect(server.accepted()).toBe(1);
      expect(server.open()).toBe(1);
      fetcher.close();
      await expectConnectionsClosed(server);
      await expectFailure(fetcher(), 'network');
    });

    it('opens at most 2 sockets', async () => {
      const server = await httpServer((req, res) => {
        setTimeout(() => json(JWKS)(req, res), 100);
      });
      const fetcher = fetcherFor({ jwksUri: server.url(), ...base });
      await Promise.all([fetcher(), fetcher(), fetcher(), fetcher()]);
      expect(server.requests).toHaveLength(4);
      expect(server.peak()).toBe(2);
    });

    it('works as the fetcher of a jwks-rsa client', async () => {
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' };
      const server = await httpServer(json({ keys: [jwk] }));
      const fetcher = fetcherFor({ jwksUri: server.url(), ...base });
      const client = jwksRsa({ jwksUri: server.url(), fetcher, cache: false });

      const key = await client.getSigningKey('k1');
      expect(key.getPublicKey()).toContain('BEGIN PUBLIC KEY');
    });

    it.each([404, 500, 302])('rejects HTTP %i as status, without the body and without following', async status => {
      const server = await httpServer((_req, res) => {
        res.writeHead(status, { location: '/elsewhere.json', 'content-type': 'text/plain' });
        res.end('SECRET-BODY');
      });
      const fetcher = fetcherFor({ jwksUri: server.url('/jwks.json?token=SECRET-QUERY'), ...base });

      const error = await expectFailure(fetcher(), 'status');
      expect(error.status).toBe(status);
      expect(error.message).toContain(`HTTP ${status}`);
      expect(error.message).toContain(`${server.url('/jwks.json')} `);
      expect(error.message).not.toMatch(/SECRET|elsewhere/);
      expect(server.requests).toHaveLength(1);
      await expectConnectionsClosed(server);
    });

    it('rejects a body that is not JSON as not_json, without quoting it', async () => {
      const server = await httpServer(json('not json'));
      const fetcher = fetcherFor({ jwksUri: server.url(), ...base });

      const error = await expectFailure(fetcher(), 'not_json');
      expect(error.message).not.toContain('not json');
      expect(error.cause).toBeUndefined();
      await expectConnectionsClosed(server);
    });

    it('rejects invalid UTF-8 as not_json', async () => {
      const server = await httpServer((_req, res) => res.end(Buffer.from([0x7b, 0xff, 0x7d])));
      await expectFailure(fetcherFor({ jwksUri: server.url(), ...base })(), 'not_json');
    });

    it.each([
      ['keys not an array', { keys: 3 }],
      ['a top-level array', [1]],
      ['no keys', { foo: [] }],
      ['a key that is not an object', { keys: [{ kid: 'a' }, 'b'] }],
      ['a key that is an array', { keys: [[]] }],
      ['null', null],
    ])('rejects %s as not_jwks', async (_what, body) => {
      const server = await httpServer(json(JSON.stringify(body)));
      const fetcher = fetcherFor({ jwksUri: server.url(), ...base });

      const error = await expectFailure(fetcher(), 'not_jwks');
      expect(error.message).not.toContain(JSON.stringify(body));
      await expectConnectionsClosed(server);
    });

    it('accepts an empty key set (the caller decides what that means)', async () => {
      const server = await httpServer(json({ keys: [] }));
      await expect(fetcherFor({ jwksUri: server.url(), ...base })()).resolves.toEqual({ keys: [] });
    });

    it('times out a server that drips one byte every 200 ms, within about timeoutMs', async () => {
      const timeoutMs = 600;
      const server = await httpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        const drip = setInterval(() => res.write(' '), 200);
        res.on('close', () => clearInterval(drip));
      });
      const fetcher = fetcherFor({ jwksUri: server.url('/jwks.json?secret=1'), timeoutMs, maxResponseBytes: MiB });

      const { result: error, elapsedMs } = await timed(expectFailure(fetcher(), 'timeout'));
      expect(error.message).toBe(`no complete JWKS response within 600 ms from ${server.url()}`);
      expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs - 50);
      expect(elapsedMs).toBeLessThan(timeoutMs + 1_000);
      await expectConnectionsClosed(server);
    });

    it('times out a server that never answers', async () => {
      const timeoutMs = 600;
      const server = await httpServer(() => undefined);
      const fetcher = fetcherFor({ jwksUri: server.url(), timeoutMs, maxResponseBytes: MiB });

      const { elapsedMs } = await timed(expectFailure(fetcher(), 'timeout'));
      expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs - 50);
      expect(elapsedMs).toBeLessThan(timeoutMs + 1_000);
      await expectConnectionsClosed(server);
    });

    it('aborts a streamed body beyond maxResponseBytes as too_large', async () => {
      const server = await httpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = (): void => {
          while (sent < 2 * MiB && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
      });
      const fetcher = fetcherFor({ jwksUri: server.url(), timeoutMs: 5_000, maxResponseBytes: MiB });

      const error = await expectFailure(fetcher(), 'too_large');
      expect(error.message).toContain(String(MiB));
      await expectConnectionsClosed(server);
    });

    it('rejects an announced content-length beyond the cap before reading the body', async () => {
      const server = await httpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(5 * MiB) });
        res.write('{"keys":['); // and never the rest
      });
      const fetcher = fetcherFor({ jwksUri: server.url(), timeoutMs: 5_000, maxResponseBytes: MiB });

      const { result: error, elapsedMs } = await timed(expectFailure(fetcher(), 'too_large'));
      expect(error.message).toContain(String(5 * MiB));
      expect(elapsedMs).toBeLessThan(1_000);
      await expectConnectionsClosed(server);
    });

    it('rejects a connection closed mid-body as network', async () => {
      const server = await httpServer((req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"keys":[', () => req.socket.destroy());
      });
      await expectFailure(fetcherFor({ jwksUri: server.url(), ...base })(), 'network');
      await expectConnectionsClosed(server);
    });

    it('rejects a closed port as network', async () => {
      const probe = await httpServer(json(JWKS));
      const url = probe.url();
      await probe.close();
      const error = await expectFailure(fetcherFor({ jwksUri: url, ...base })(), 'network');
      expect(error.message).toContain('ECONNREFUSED');
    });

    it('aborts a fetch in flight on close()', async () => {
      const server = await httpServer(() => undefined);
      const fetcher = fetcherFor({ jwksUri: server.url(), ...base });
      const pending = fetcher();
      await new Promise(resolve => setTimeout(resolve, 50));
      fetcher.close();
      await expectFailure(pending, 'network');
      await expectConnectionsClosed(server);
    });
  });

  describe('over https with a private CA', () => {
    let pkiDir: string;
    let pki: DemoPki;

    beforeAll(async () => {
      pkiDir = await mkdtemp(join(tmpdir(), 'jwks-fetcher-pki-'));
      pki = await ensureDemoPki(pkiDir);
    });

    afterAll(async () => {
      await rm(pkiDir, { recursive: true, force: true });
    });

    const gatewayTls = (): https.ServerOptions => ({ cert: pki.gatewayTls.certPem, key: pki.gatewayTls.keyPem });

    it('succeeds with the CA, by name and by IP', async () => {
      const server = await httpsServer(gatewayTls(), json(JWKS));
      const byName = fetcherFor({ jwksUri: server.url('/jwks.json', 'localhost'), ...base, ca: pki.ca.certPem });
      const byIp = fetcherFor({ jwksUri: server.url(), ...base, ca: [Buffer.from(pki.ca.certPem)] });

      await expect(byName()).resolves.toEqual({ keys: JWKS.keys });
      await expect(byIp()).resolves.toEqual({ keys: JWKS.keys });
    });

    it('rejects the server without the CA as tls', async () => {
      const server = await httpsServer(gatewayTls(), json(JWKS));
      const fetcher = fetcherFor({ jwksUri: server.url('/jwks.json', 'localhost'), ...base });

      const error = await expectFailure(fetcher(), 'tls');
      expect(error.message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER/);
      expect(server.requests).toHaveLength(0);
      await expectConnectionsClosed(server);
    });

    it('rejects a certificate for another host name as tls', async () => {
      // The signing certificate (CN=IAG Signing, no SAN) chains to the CA but does not name localhost.
      const signing = { cert: pki.gatewaySigning.certPem, key: pki.gatewaySigning.keyPem };
      const server = await httpsServer(signing, json(JWKS));
      const fetcher = fetcherFor({ jwksUri: server.url('/jwks.json', 'localhost'), ...base, ca: pki.ca.certPem });

      const error = await expectFailure(fetcher(), 'tls');
      expect(error.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
      await expectConnectionsClosed(server);
    });

    it('rejects a plain http server on an https URL as tls', async () => {
      const server = await httpServer(json(JWKS));
      const fetcher = fetcherFor({ jwksUri: server.url().replace('http:', 'https:'), ...base, ca: pki.ca.certPem });

      const error = await expectFailure(fetcher(), 'tls');
      expect(error.message).toMatch(/EPROTO.*wrong version number/);
      await expectConnectionsClosed(server);
    });

    it('times out a server that never completes the handshake', async () => {
      const timeoutMs = 600;
      const server = await silentTcpServer();
      const fetcher = fetcherFor({
        jwksUri: server.url('/jwks.json', 'localhost'),
        timeoutMs,
        maxResponseBytes: MiB,
        ca: pki.ca.certPem,
      });

      const { elapsedMs } = await timed(expectFailure(fetcher(), 'timeout'));
      expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs - 50);
      expect(elapsedMs).toBeLessThan(timeoutMs + 1_000);
      await expectConnectionsClosed(server);
    });

    describe('behind mTLS', () => {
      const mtls = (): https.ServerOptions => ({
        ...gatewayTls(),
        requestCert: true,
        rejectUnauthorized: true,
        ca: pki.ca.certPem,
      });

      it('succeeds with a client certificate from the trusted CA', async () => {
        const server = await httpsServer(mtls(), json(JWKS));
        const fetcher = fetcherFor({
          jwksUri: server.url('/jwks.json', 'localhost'),
          ...base,
          ca: pki.ca.certPem,
          cert: pki.service1.certPem,
          key: pki.service1.keyPem,
        });
        await expect(fetcher()).resolves.toEqual({ keys: JWKS.keys });
      });

      it.each([
        ['without a client certificate', (): Partial<JwksTransportOptions> => ({})],
        [
          'with a certificate from another CA',
          (): Partial<JwksTransportOptions> => ({ cert: pki.rogue.certPem, key: pki.rogue.keyPem }),
        ],
      ])('fails %s (tls or network, never resolved)', async (_what, client) => {
        const server = await httpsServer(mtls(), json(JWKS));
        const fetcher = fetcherFor({
          jwksUri: server.url('/jwks.json', 'localhost'),
          ...base,
          ca: pki.ca.certPem,
          ...client(),
        });

        const error = await failureOf(fetcher());
        expect(['tls', 'network']).toContain(error.reason);
        expect(server.requests).toHaveLength(0);
        await expectConnectionsClosed(server);
      });
    });
  });
});
