import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { exportJWK, SignJWT } from 'jose';
import request from 'supertest';
import type { GatewayAuthModuleOptions } from '../lib/index.js';
import { ADAPTERS, createTestApp, type Adapter, type CapturingLogger } from './fixtures/app.js';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import { b64url, BASE_URL, CALLER_DN, createTestKey, ISSUER, mint, type TestKey } from './fixtures/tokens.js';

/** RFC 8725 hardening, each item by its error code, through HTTP against a real JWKS server. */
let jwks: JwksServer;
let rsa: TestKey;
let ec: TestKey;
let attacker: TestKey;
let attackerJwks: JwksServer;
const rsaPrivate = (): KeyObject => rsa.privateKeyObject;

beforeAll(async () => {
  [rsa, ec, attacker] = await Promise.all([createTestKey('rsa-1', 'RS256'), createTestKey('ec-1', 'ES256'), createTestKey('evil', 'RS256')]);
  jwks = await startJwksServer([rsa.jwk, ec.jwk]);
  attackerJwks = await startJwksServer([attacker.jwk]);
});
afterAll(async () => {
  await jwks.close();
  await attackerJwks.close();
});

async function withApp(
  adapter: Adapter,
  options: Partial<GatewayAuthModuleOptions>,
  run: (app: INestApplication, logger: CapturingLogger) => Promise<void>,
): Promise<void> {
  const { app, logger } = await createTestApp(
    { jwksUri: jwks.url, issuer: ISSUER, audience: { baseUrl: BASE_URL }, algorithms: ['RS256', 'ES256', 'PS256'], ...options },
    { adapter },
  );
  try {
    await run(app, logger);
  } finally {
    await app.close();
  }
}

const send = (app: INestApplication, token: string, path = '/orders') =>
  request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${token}`);
const outcome = (response: request.Response) => [response.status, response.body.code];

/**
 * A GET written by hand on a socket, so one header name can repeat (supertest merges them).
 * `app.listen()` rather than the bare server's `listen()`: Fastify closes only a server it started.
 */
async function rawGet(app: INestApplication, headers: string[]): Promise<[number, unknown]> {
  const server = app.getHttpServer() as Server;
  if (!server.listening) await app.listen(0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  const lines = ['GET /orders HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close'];
  for (let i = 0; i < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      const json = /\{.*\}/s.exec(body)?.[0];
      resolve([status, json ? (JSON.parse(json) as { code?: unknown }).code : undefined]);
    });
  });
}

/** Signs a compact JWS by hand, for headers and keys that jose rightly refuses to produce. */
function signRaw(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

const claimsFor = (path: string) => ({ iss: ISSUER, sub: CALLER_DN, aud: `${BASE_URL}${path}`, exp: Math.floor(Date.now() / 1000) + 60 });

describe.each(ADAPTERS)('on %s', adapter => {
  describe('header parameters', () => {
    it('refuses a crit extension and an unencoded payload (RFC 7515 §4.1.11, RFC 7797)', async () => {
      await withApp(adapter, {}, async app => {
        const key = rsaPrivate();
        const base = { alg: 'RS256', kid: rsa.kid };
        expect(outcome(await send(app, signRaw({ ...base, crit: ['exp'], exp: 1 }, claimsFor('/orders'), key)))).toEqual([401, 'header_unsupported']);
        expect(outcome(await send(app, signRaw({ ...base, crit: ['b64'], b64: false }, claimsFor('/orders'), key)))).toEqual([401, 'header_unsupported']);
        expect(outcome(await send(app, signRaw({ ...base, b64: false }, claimsFor('/orders'), key)))).toEqual([401, 'header_unsupported']);
        expect(outcome(await send(app, signRaw({ ...base, b64: true }, claimsFor('/orders'), key)))).toEqual([200, undefined]);
      });
    });

    it('never fetches keys from jku or x5u, nor takes one from jwk or x5c (RFC 8725 §3.10)', async () => {
      await withApp(adapter, {}, async app => {
        attackerJwks.resetCount();
        const jku = await mint(attacker, '/orders', { header: { jku: attackerJwks.url, x5u: attackerJwks.url } });
        expect(outcome(await send(app, jku))).toEqual([401, 'unknown_key']);
        expect(attackerJwks.requestCount).toBe(0);

        // Same kid as the gateway's key, the attacker's key embedded in the header: the gateway's key is used.
        const embedded = await mint({ ...attacker, kid: rsa.kid }, '/orders', { header: { jwk: attacker.jwk, x5c: ['MIIB'] } });
        expect(outcome(await send(app, embedded))).toEqual([401, 'signature_invalid']);
      });
    });
  });

  describe('the key must fit the algorithm (RFC 8725 §3.1)', () => {
    it('refuses a key of another type or curve, a key for another alg, and short RSA keys', async () => {
      const p384 = await createTestKey('p384', 'ES384');
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const weakJwk = { ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak', alg: 'RS256', use: 'sig' };
      const rsaForPs = { ...rsa.jwk, kid: 'rsa-ps-only', alg: 'PS256' };
      const rsaForEnc = { ...rsa.jwk, kid: 'rsa-enc', use: 'enc' };
      jwks.setKeys([rsa.jwk, ec.jwk, { ...p384.jwk, kid: 'p384-as-es256' }, weakJwk, rsaForPs, rsaForEnc]);
      try {
        await withApp(adapter, {}, async app => {
          // ES256 header, but the kid names a P-384 key.
          expect(outcome(await send(app, await mint({ ...ec, kid: 'p384-as-es256' }, '/orders')))).toEqual([401, 'key_mismatch']);
          // RS256 header, kid of an EC key.
          expect(outcome(await send(app, await mint({ ...rsa, kid: ec.kid }, '/orders')))).toEqual([401, 'key_mismatch']);
          // The key says PS256, the token RS256.
          expect(outcome(await send(app, await mint({ ...rsa, kid: 'rsa-ps-only' }, '/orders')))).toEqual([401, 'key_mismatch']);
          // An encryption key is never a signing key: it is not in the signing set at all.
          expect(outcome(await send(app, await mint({ ...rsa, kid: 'rsa-enc' }, '/orders')))).toEqual([401, 'unknown_key']);
          const weakToken = signRaw({ alg: 'RS256', kid: 'weak' }, claimsFor('/orders'), weak.privateKey);
          expect(outcome(await send(app, weakToken))).toEqual([401, 'key_mismatch']);
          // The right pairing still works.
          expect(outcome(await send(app, await mint(rsa, '/orders')))).toEqual([200, undefined]);
        });
      } finally {
        jwks.setKeys([rsa.jwk, ec.jwk]);
      }
    });

    it('never accepts none or HS256, whatever the key (RFC 8725 §2.1)', async () => {
      const symmetric = { kty: 'oct', kid: 'hmac', k: b64url('secret-secret-secret-secret-1234') };
      jwks.setKeys([rsa.jwk, symmetric]);
      try {
        await withApp(adapter, {}, async app => {
          const hs = await new SignJWT({ iss: ISSUER, sub: CALLER_DN, aud: `${BASE_URL}/orders`, exp: Math.floor(Date.now() / 1000) + 60 })
            .setProtectedHeader({ alg: 'HS256', kid: 'hmac' })
            .sign(Buffer.from('secret-secret-secret-secret-1234'));
          expect(outcome(await send(app, hs))).toEqual([401, 'algorithm_not_allowed']);
          const none = `${b64url({ alg: 'none', kid: 'hmac' })}.${b64url({ iss: ISSUER, sub: CALLER_DN, aud: `${BASE_URL}/orders`, exp: 9e9 })}.`;
          expect(outcome(await send(app, none))).toEqual([401, 'algorithm_not_allowed']);
        });
      } finally {
        jwks.setKeys([rsa.jwk, ec.jwk]);
      }
    });
  });

  describe('claims users can require', () => {
    it('requiredClaims, maxTokenAgeSeconds', async () => {
      await withApp(adapter, { requiredClaims: ['jti', 'client_id'], maxTokenAgeSeconds: 60 }, async app => {
        expect(outcome(await send(app, await mint(rsa, '/orders', { claims: { client_id: 'svc' } })))).toEqual([200, undefined]);
        expect(outcome(await send(app, await mint(rsa, '/orders')))).toEqual([401, 'claims_invalid']);
        expect(outcome(await send(app, await mint(rsa, '/orders', { claims: { client_id: 'svc' }, omit: ['jti'] })))).toEqual([401, 'claims_invalid']);
        const old = Math.floor(Date.now() / 1000) - 120;
        expect(outcome(await send(app, await mint(rsa, '/orders', { claims: { client_id: 'svc', iat: old } })))).toEqual([401, 'token_expired']);
        expect(outcome(await send(app, await mint(rsa, '/orders', { claims: { client_id: 'svc' }, omit: ['iat'] })))).toEqual([401, 'claims_invalid']);
      });
    });

    it('replayCache refuses a second use of a token, and requires jti', async () => {
      await withApp(adapter, { replayCache: { maxEntries: 1000 } }, async app => {
        const token = await mint(rsa, '/orders');
        expect(outcome(await send(app, token))).toEqual([200, undefined]);
        expect(outcome(await send(app, token))).toEqual([401, 'token_replayed']);
        expect(outcome(await send(app, await mint(rsa, '/orders')))).toEqual([200, undefined]);
        expect(outcome(await send(app, await mint(rsa, '/orders', { omit: ['jti'] })))).toEqual([401, 'claims_invalid']);
      });
    });

    it('keeps replays off by default', async () => {
      await withApp(adapter, {}, async app => {
        const token = await mint(rsa, '/orders');
        expect(outcome(await send(app, token))).toEqual([200, undefined]);
        expect(outcome(await send(app, token))).toEqual([200, undefined]);
      });
    });
  });

  describe('ambiguous requests', () => {
    it('refuses two Authorization headers, and a token in both the custom header and Authorization', async () => {
      const token = await mint(rsa, '/orders');
      await withApp(adapter, {}, async app => {
        expect(await rawGet(app, ['Authorization', `Bearer ${token}`, 'Authorization', `Bearer ${token}`])).toEqual([400, 'invalid_request']);
        expect(await rawGet(app, ['Authorization', `Bearer ${token}`])).toEqual([200, undefined]);
      });
      await withApp(adapter, { tokenHeader: 'x-gateway-jwt' }, async app => {
        const both = await request(app.getHttpServer()).get('/orders').set('x-gateway-jwt', token).set('Authorization', `Bearer ${token}`);
        expect(outcome(both)).toEqual([400, 'invalid_request']);
        const one = await request(app.getHttpServer()).get('/orders').set('x-gateway-jwt', token);
        expect(outcome(one)).toEqual([200, undefined]);
      });
    });
  });

  describe('a flood of bad tokens', () => {
    it('is answered with stable codes, stays responsive, and logs at a bounded pace', async () => {
      await withApp(adapter, { rejectionLogsPerMinute: 20 }, async (app, logger) => {
        const garbage = ['x'.repeat(9000), 'a.b.c', `${b64url({ alg: 'RS256' })}.${b64url({})}.c2ln`];
        const unknownKids = await Promise.all(Array.from({ length: 40 }, (_, i) => mint({ ...rsa, kid: `nope-${i}` }, '/orders')));
        const tokens = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? garbage[i % 3] as string : unknownKids[i % 40] as string));
        logger.clear();
        const codes = new Map<string, number>();
        for (let batch = 0; batch < tokens.length; batch += 50) {
          const responses = await Promise.all(tokens.slice(batch, batch + 50).map(token => send(app, token)));
          for (const response of responses) codes.set(`${response.status} ${response.body.code}`, (codes.get(`${response.status} ${response.body.code}`) ?? 0) + 1);
        }
        expect([...codes.keys()].sort()).toEqual(['401 token_malformed', '401 token_too_large', '401 unknown_key']);
        expect([...codes.values()].reduce((a, b) => a + b)).toBe(300);
        expect(logger.rejections().length).toBe(20);
        expect(outcome(await send(app, await mint(rsa, '/orders')))).toEqual([200, undefined]);
      });
    });

    it('refuses a 1 MB header before the application sees it', async () => {
      await withApp(adapter, {}, async app => {
        const response = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${'a'.repeat(1_000_000)}`).catch((error: unknown) => error);
        // Node's HTTP parser answers 431 (or drops the connection) for headers beyond its limit.
        if (response instanceof Error) expect(response.message).toMatch(/socket hang up|ECONNRESET|EPIPE/);
        else expect((response as request.Response).status).toBe(431);
      });
    });
  });

  describe('keys from the gateway JWKS only', () => {
    it('does not use a published key of a type it cannot verify, and uses the next one', async () => {
      const okp = await exportJWK(generateKeyPairSync('x25519').publicKey);
      jwks.setKeys([{ ...okp, kid: 'x25519' }, rsa.jwk]);
      try {
        await withApp(adapter, {}, async app => {
          expect(outcome(await send(app, await mint(rsa, '/orders')))).toEqual([200, undefined]);
        });
      } finally {
        jwks.setKeys([rsa.jwk, ec.jwk]);
      }
    });
  });
});
