import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { GatewayAuthModuleOptions } from '../lib/index.js';
import { ADAPTERS, createTestApp, MODULE_SETUPS, type CapturingLogger } from './fixtures/app.js';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import {
  b64url,
  BASE_URL,
  CALLER_DN,
  createTestKey,
  hmacWithPublicKey,
  ISSUER,
  mint,
  unsignedToken,
  type TestKey,
} from './fixtures/tokens.js';

const INVALID_TOKEN_CHALLENGE = /^Bearer realm="api", error="invalid_token", error_description="[^"\\]+"$/;

/**
 * Adapters × module setups. The setup only changes how the options reach the module and the
 * adapter only the HTTP layer, so the Fastify leg runs with `forRoot` alone: the full cross
 * product added ~3 s to a suite that must stay under a minute on two cores.
 */
const MATRIX = ADAPTERS.flatMap(adapter =>
  (adapter === 'express' ? MODULE_SETUPS : (['forRoot'] as const)).map(setup => [adapter, setup] as const),
);

describe.each(MATRIX)('on %s, GatewayAuthModule configured with %s', (adapter, setup) => {
  let jwks: JwksServer;
  let rsa: TestKey;
  let ec: TestKey;
  let stranger: TestKey;
  let app: INestApplication;
  let logger: CapturingLogger;

  beforeAll(async () => {
    [rsa, ec, stranger] = await Promise.all([
      createTestKey('rsa-1', 'RS256'),
      createTestKey('ec-1', 'ES256'),
      createTestKey('stranger', 'RS256'),
    ]);
    jwks = await startJwksServer([rsa.jwk, ec.jwk]);
    const options: GatewayAuthModuleOptions = {
      jwksUri: jwks.url,
      issuer: ISSUER,
      audience: { baseUrl: BASE_URL },
    };
    ({ app, logger } = await createTestApp(options, { setup, adapter }));
  });

  afterAll(async () => {
    await app.close();
    await jwks.close();
  });

  beforeEach(() => logger.clear());

  const get = (path: string, token?: string) => {
    const call = request(app.getHttpServer()).get(path);
    return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  };

  /** Asserts an RFC 6750 invalid_token refusal with the given code, and that the token is not echoed. */
  async function expectRejected(path: string, token: string, code: string): Promise<void> {
    const response = await get(path, token);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(INVALID_TOKEN_CHALLENGE);
    expect(response.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      code,
      message: expect.any(String),
    });
    expect(response.text).not.toContain(token.split('.')[2] || token);
  }

  describe('a valid token for the route', () => {
    it('reaches the handler, which receives the caller DN', async () => {
      const response = await get('/orders', await mint(rsa, '/orders'));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ caller: CALLER_DN, orders: [] });
    });

    it('opens a parameterised route when minted for that exact path', async () => {
      const response = await get('/orders/42', await mint(rsa, '/orders/42'));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ caller: CALLER_DN, order: { id: '42' } });
    });

    it('accepts ES256 from the same key set', async () => {
      const response = await get('/orders', await mint(ec, '/orders'));
      expect(response.status).toBe(200);
    });

    it('accepts an aud array when one element names the route (RFC 7519 §4.1.3)', async () => {
      const token = await mint(rsa, '/orders', {
        claims: { aud: ['https://other.example.com/x', `${BASE_URL}/orders`] },
      });
      expect((await get('/orders', token)).status).toBe(200);
    });

    it('compares the audience after URI normalisation (scheme/host case, default port)', async () => {
      const token = await mint(rsa, '/orders', { claims: { aud: 'HTTPS://API.Example.COM:443/orders' } });
      expect((await get('/orders', token)).status).toBe(200);
    });

    it('ignores the query string on the request', async () => {
      const response = await get('/orders?page=2', await mint(rsa, '/orders'));
      expect(response.status).toBe(200);
    });

    it('accepts the scheme in any case (RFC 6750 §2.1)', async () => {
      const token = await mint(rsa, '/orders');
      const response = await request(app.getHttpServer()).get('/orders').set('Authorization', `bEaReR ${token}`);
      expect(response.status).toBe(200);
    });

    it('accepts what real issuers emit: typ at+jwt or absent, unknown claims', async () => {
      const atJwt = await mint(rsa, '/claims', {
        header: { typ: 'at+jwt' },
        claims: { cnf: { 'x5t#S256': 'abc' }, scope: 'orders:read', client_id: 'service1' },
      });
      const response = await get('/claims', atJwt);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ sub: CALLER_DN, jti: expect.stringMatching(/^jti-/), scope: 'orders:read' });

      const noTyp = await mint(rsa, '/orders', { header: { typ: undefined } });
      expect(JSON.parse(Buffer.from(noTyp.split('.')[0] as string, 'base64url').toString())).not.toHaveProperty('typ');
      expect((await get('/orders', noTyp)).status).toBe(200);
    });

    it('tolerates an expiry within the clock tolerance (30 s)', async () => {
      const token = await mint(rsa, '/orders', { expiresIn: -10 });
      expect((await get('/orders', token)).status).toBe(200);
    });
  });

  describe('public routes', () => {
    it('opens a handler marked @Public() without a token', async () => {
      const response = await get('/health');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok' });
    });

    it('opens every handler of a controller marked @Public()', async () => {
      const response = await get('/public/ping');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ pong: true });
    });
  });

  describe('a missing or malformed header', () => {
    it('answers 401 with only the realm when no token is sent (RFC 6750 §3.1)', async () => {
      const response = await get('/orders');
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(response.body).toEqual({ statusCode: 401, error: 'Unauthorized', code: 'token_missing', message: expect.any(String) });
      expect(logger.rejections()).toEqual([
        { level: 'debug', message: expect.stringContaining('code=token_missing route="GET /orders"') },
      ]);
    });

    it('treats another scheme as no bearer token', async () => {
      const response = await request(app.getHttpServer()).get('/orders').set('Authorization', 'Basic dXNlcjpwYXNz');
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('token_missing');
    });

    it.each(['Bearer', 'Bearer a b', 'Bearer   ', 'Bearer tok"en'])(
      'answers 400 invalid_request to "%s"',
      async header => {
        const response = await request(app.getHttpServer()).get('/orders').set('Authorization', header);
        expect(response.status).toBe(400);
        expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_request"/);
        expect(response.body.code).toBe('invalid_request');
      },
    );

    it('never reads a token from the query string', async () => {
      const token = await mint(rsa, '/orders');
      const response = await get(`/orders?access_token=${token}`);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('token_missing');
    });
  });

  describe('an invalid token', () => {
    it('is refused when expired', async () => {
      await expectRejected('/orders', await mint(rsa, '/orders', { expiresIn: -120 }), 'token_expired');
    });

    it('is refused before nbf', async () => {
      const nbf = Math.floor(Date.now() / 1000) + 300;
      await expectRejected('/orders', await mint(rsa, '/orders', { claims: { nbf } }), 'token_not_yet_valid');
    });

    it('is refused when issued in the future (iat)', async () => {
      const iat = Math.floor(Date.now() / 1000) + 300;
      await expectRejected('/orders', await mint(rsa, '/orders', { claims: { iat } }), 'token_not_yet_valid');
    });

    it('is refused from another issuer', async () => {
      await expectRejected('/orders', await mint(rsa, '/orders', { claims: { iss: 'CN=Evil Gateway,O=Example' } }), 'issuer_mismatch');
    });

    it.each(['/orders/42', '/orders-archive', '/claims'])(
      'is refused on %s when minted for /orders',
      async path => {
        await expectRejected(path, await mint(rsa, '/orders'), 'audience_mismatch');
      },
    );

    it('is refused on /orders/ when minted for /orders (Fastify\'s router matches no route there)', async () => {
      const token = await mint(rsa, '/orders');
      // With ignoreTrailingSlash Fastify runs the /orders handler, and the guard refuses as on
      // Express: see refusal-responses.e2e-spec.ts.
      if (adapter === 'express') await expectRejected('/orders/', token, 'audience_mismatch');
      else expect((await get('/orders/', token)).status).toBe(404);
    });

    it('is refused for another host or scheme', async () => {
      await expectRejected('/orders', await mint(rsa, '/orders', { claims: { aud: 'https://api.example.org/orders' } }), 'audience_mismatch');
      await expectRejected('/orders', await mint(rsa, '/orders', { claims: { aud: 'http://api.example.com/orders' } }), 'audience_mismatch');
      await expectRejected('/orders', await mint(rsa, '/orders', { claims: { aud: 'https://api.example.com:8443/orders' } }), 'audience_mismatch');
    });

    // 401: the router matched a handler and the guard refused; 404: no handler matched at all.
    it.each([
      ['/orders/%2e%2e', 401],
      ['/orders/%2E', 401],
      ['/orders/.', 401],
      ['/orders/..%2f', 401],
      ['/orders/42%2F..%2F..', 401],
      ['/orders/42/..', 404],
      ['/orders/42/%2e%2e', 404],
      ['/orders-archive/../orders', 404],
      ['/./orders', 404],
      ['/orders%2F42', 404],
      ['//orders', 404],
      ['/orders//', 404],
    ])('cannot be stretched to %s (dot-segments, encoded or doubled slashes)', async (path, status) => {
      const response = await get(path, await mint(rsa, '/orders'));
      expect(response.status).toBe(status);
      if (status === 401) expect(response.body.code).toBe('audience_mismatch');
    });

    it('refuses dot-segments in the request path even when the token names that very path', async () => {
      const token = await mint(rsa, '/orders/%2e%2e');
      const response = await get('/orders/%2e%2e', token);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('audience_mismatch');
    });

    it('is refused when signed by a key the gateway does not publish', async () => {
      await expectRejected('/orders', await mint(stranger, '/orders'), 'unknown_key');
    });

    it('is refused when signed by another key under a published kid', async () => {
      const forged = await mint({ ...stranger, kid: rsa.kid }, '/orders');
      await expectRejected('/orders', forged, 'signature_invalid');
    });

    it('is refused when the payload was altered after signing', async () => {
      const [header, , signature] = (await mint(rsa, '/orders')).split('.');
      const payload = b64url({ iss: ISSUER, sub: 'CN=admin,O=Acme Ltd', aud: `${BASE_URL}/orders`, exp: Math.floor(Date.now() / 1000) + 60 });
      await expectRejected('/orders', `${header}.${payload}.${signature}`, 'signature_invalid');
    });

    it('is refused with alg none, even with a published kid (RFC 8725 §3.1)', async () => {
      const response = await get('/orders', unsignedToken('/orders', rsa.kid));
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('algorithm_not_allowed');
    });

    it('is refused when HMAC-signed with the public key (key confusion, RFC 8725 §2.1)', async () => {
      await expectRejected('/orders', await hmacWithPublicKey(rsa, '/orders'), 'algorithm_not_allowed');
    });

    it('is refused with an algorithm outside the allow-list', async () => {
      const rs384 = await createTestKey('rsa-384', 'RS384');
      await expectRejected('/orders', await mint(rs384, '/orders'), 'algorithm_not_allowed');
    });

    it('is refused when the kid points at a key of another type than alg', async () => {
      const token = await mint({ ...rsa, kid: ec.kid }, '/orders');
      await expectRejected('/orders', token, 'key_mismatch');
    });

    it.each([
      ['not a JWT', 'abc'],
      ['two parts', 'abc.def'],
      ['a header that is not JSON', `${b64url('nope')}.${b64url({})}.c2ln`],
      ['a header that is a JSON array', `${b64url([1])}.${b64url({})}.c2ln`],
      ['a payload that is not an object', `${b64url({ alg: 'RS256', kid: 'rsa-1' })}.${b64url('"str"')}.c2ln`],
      ['an empty signature', `${b64url({ alg: 'RS256', kid: 'rsa-1' })}.${b64url({})}.`],
    ])('is refused as malformed: %s', async (_label, token) => {
      await expectRejected('/orders', token, 'token_malformed');
    });

    it('is refused before decoding when larger than maxTokenLength', async () => {
      const token = await mint(rsa, '/orders', { claims: { padding: 'x'.repeat(9000) } });
      const countBefore = jwks.requestCount;
      await expectRejected('/orders', token, 'token_too_large');
      expect(jwks.requestCount).toBe(countBefore);
    });

    it.each([
      ['exp missing', { omit: ['exp'] }],
      ['sub missing', { omit: ['sub'] }],
      ['sub empty', { claims: { sub: '' } }],
      ['sub not a string', { claims: { sub: 42 } }],
      ['aud missing', { omit: ['aud'] }],
      ['aud a number', { claims: { aud: 7 } }],
      ['iat not a number', { claims: { iat: 'yesterday' } }],
    ] as const)('is refused with claims_invalid: %s', async (_label, options) => {
      await expectRejected('/orders', await mint(rsa, '/orders', options as never), 'claims_invalid');
    });

    it('is refused with exp not a number', async () => {
      const token = await mint(rsa, '/orders', { claims: { exp: 'tomorrow' } as never });
      const response = await get('/orders', token);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('claims_invalid');
    });
  });

  describe('logging', () => {
    it('logs each refusal once, with code, kid, iss and sub, never the token', async () => {
      const token = await mint(rsa, '/orders');
      await get('/orders/42', token);
      const lines = logger.rejections();
      expect(lines).toHaveLength(1);
      expect(lines[0]?.level).toBe('warn');
      expect(lines[0]?.message).toContain('code=audience_mismatch');
      expect(lines[0]?.message).toContain('kid="rsa-1"');
      expect(lines[0]?.message).toContain(`iss=${JSON.stringify(ISSUER)}`);
      expect(lines[0]?.message).toContain(`sub=${JSON.stringify(CALLER_DN)}`);
      for (const part of token.split('.')) expect(lines[0]?.message).not.toContain(part);
    });
  });
});
