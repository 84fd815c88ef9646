import { Controller, Get, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { GatewayAuthConfigError, GatewaySubject, Public, GatewayClaims, type GatewayAuthModuleOptions } from '../lib/index.js';
import { ADAPTERS, createTestApp, MODULE_SETUPS } from './fixtures/app.js';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import { BASE_URL, CALLER_DN, createTestKey, ISSUER, mint, type TestKey } from './fixtures/tokens.js';

let jwks: JwksServer;
let key: TestKey;

beforeAll(async () => {
  key = await createTestKey('k1', 'RS256');
  jwks = await startJwksServer([key.jwk]);
});
afterAll(async () => jwks.close());

async function withApp(
  options: Partial<GatewayAuthModuleOptions>,
  run: (app: INestApplication) => Promise<void>,
): Promise<void> {
  const { app } = await createTestApp({ jwksUri: jwks.url, issuer: ISSUER, audience: { baseUrl: BASE_URL }, ...options });
  try {
    await run(app);
  } finally {
    await app.close();
  }
}

describe('tokenHeader: a gateway that forwards the JWT in a custom header', () => {
  it('reads a raw token or "Bearer <token>" from that header, and ignores Authorization', async () => {
    await withApp({ tokenHeader: 'X-Gateway-JWT' }, async app => {
      const token = await mint(key, '/orders');
      const raw = await request(app.getHttpServer()).get('/orders').set('x-gateway-jwt', token);
      expect(raw.status).toBe(200);
      expect(raw.body.caller).toBe(CALLER_DN);

      const bearer = await request(app.getHttpServer()).get('/orders').set('X-Gateway-Jwt', `Bearer ${token}`);
      expect(bearer.status).toBe(200);

      const wrongHeader = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`);
      expect(wrongHeader.status).toBe(401);
      expect(wrongHeader.body.code).toBe('token_missing');

      const junk = await request(app.getHttpServer()).get('/orders').set('x-gateway-jwt', 'not a token');
      expect(junk.status).toBe(400);
      expect(junk.body.code).toBe('invalid_request');
    });
  });
});

describe('audience.value: a gateway that puts one fixed service URI in aud', () => {
  it('accepts that audience on every route and refuses any other', async () => {
    await withApp({ audience: { value: ['https://orders.internal', 'urn:example:orders'] } }, async app => {
      for (const path of ['/orders', '/orders/42', '/orders-archive']) {
        const token = await mint(key, '/ignored', { claims: { aud: 'HTTPS://orders.internal/' } });
        const response = await request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${token}`);
        expect(response.status).toBe(200);
      }
      const urn = await mint(key, '/x', { claims: { aud: 'urn:example:orders' } });
      expect((await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${urn}`)).status).toBe(200);

      const routeToken = await mint(key, '/orders');
      const refused = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${routeToken}`);
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('audience_mismatch');
    });
  });
});

describe('audience.baseUrl with a path: a gateway that strips its listen path', () => {
  it('joins the listen path and the path the service received', async () => {
    await withApp({ audience: { baseUrl: 'https://gateway.example.com/service2/' } }, async app => {
      const token = await mint(key, '', { claims: { aud: 'https://gateway.example.com/service2/orders/42' } });
      const response = await request(app.getHttpServer()).get('/orders/42').set('Authorization', `Bearer ${token}`);
      expect(response.status).toBe(200);
      const other = await mint(key, '', { claims: { aud: 'https://gateway.example.com/orders/42' } });
      expect((await request(app.getHttpServer()).get('/orders/42').set('Authorization', `Bearer ${other}`)).body.code).toBe('audience_mismatch');
    });
  });
});

describe('two applications in one process', () => {
  it('each verifies with its own gateway settings, never the other one\'s', async () => {
    const otherKey = await createTestKey('other-1', 'RS256');
    const otherJwks = await startJwksServer([otherKey.jwk]);
    const first = await createTestApp({ jwksUri: jwks.url, issuer: ISSUER, audience: { baseUrl: BASE_URL } });
    const second = await createTestApp({ jwksUri: otherJwks.url, issuer: 'CN=Other Gateway', audience: { baseUrl: BASE_URL } });
    try {
      const firstToken = await mint(key, '/orders');
      const secondToken = await mint(otherKey, '/orders', { claims: { iss: 'CN=Other Gateway' } });
      const call = (app: INestApplication, token: string) =>
        request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`);

      const results = await Promise.all([
        call(first.app, firstToken),
        call(second.app, secondToken),
        call(first.app, secondToken),
        call(second.app, firstToken),
      ]);
      expect(results.map(response => [response.status, response.body.code])).toEqual([
        [200, undefined],
        [200, undefined],
        [401, 'unknown_key'],
        [401, 'unknown_key'],
      ]);
    } finally {
      await first.app.close();
      await second.app.close();
      await otherJwks.close();
    }
  });
});

describe.each(ADAPTERS)('an application with a global prefix, on %s', adapter => {
  it('derives the audience from the full path the service received, prefix included, query dropped', async () => {
    const { app } = await createTestApp(
      { jwksUri: jwks.url, issuer: ISSUER, audience: { baseUrl: BASE_URL } },
      { adapter, configure: nest => nest.setGlobalPrefix('api/v1') },
    );
    try {
      const token = await mint(key, '/api/v1/orders/7');
      const ok = await request(app.getHttpServer()).get('/api/v1/orders/7').set('Authorization', `Bearer ${token}`);
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ caller: CALLER_DN, order: { id: '7' } });
      const withQuery = await request(app.getHttpServer()).get('/api/v1/orders/7?page=2&x=%2F').set('Authorization', `Bearer ${token}`);
      expect(withQuery.status).toBe(200);
      const withoutPrefix = await mint(key, '/orders/7');
      const refused = await request(app.getHttpServer()).get('/api/v1/orders/7').set('Authorization', `Bearer ${withoutPrefix}`);
      expect(refused.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'audience_mismatch',
        message: `The token's audience does not cover this route (expected ${BASE_URL}/api/v1/orders/7)`,
      });
      expect((await request(app.getHttpServer()).get('/api/v1/health')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('issuer list, typ, algorithms, realm', () => {
  it('accepts any configured issuer and checks typ when asked to', async () => {
    await withApp({ issuer: ['CN=Old Gateway,O=Example', ISSUER], typ: 'at+jwt', realm: 'orders' }, async app => {
      const atJwt = await mint(key, '/orders', { header: { typ: 'application/AT+JWT' } });
      expect((await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${atJwt}`)).status).toBe(200);
      const oldIssuer = await mint(key, '/orders', { header: { typ: 'at+jwt' }, claims: { iss: 'CN=Old Gateway,O=Example' } });
      expect((await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${oldIssuer}`)).status).toBe(200);

      const plainJwt = await mint(key, '/orders', { header: { typ: 'JWT' } });
      const refused = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${plainJwt}`);
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('typ_mismatch');
      expect(refused.headers['www-authenticate']).toMatch(/^Bearer realm="orders", error="invalid_token"/);
    });
  });

  it('verifies PS256, ES384 and EdDSA (Ed25519) when allowed', async () => {
    const [ps, es, ed] = await Promise.all([createTestKey('ps', 'PS256'), createTestKey('es384', 'ES384'), createTestKey('ed', 'EdDSA')]);
    jwks.setKeys([key.jwk, ps.jwk, es.jwk, ed.jwk]);
    try {
      await withApp({ algorithms: ['PS256', 'ES384', 'EdDSA'] }, async app => {
        for (const signer of [ps, es, ed]) {
          const token = await mint(signer, '/orders');
          expect((await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(200);
        }
        const rs = await mint(key, '/orders');
        expect((await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${rs}`)).body.code).toBe('algorithm_not_allowed');
      });
    } finally {
      jwks.setKeys([key.jwk]);
    }
  });
});

describe.each(MODULE_SETUPS)('bad configuration with %s', setup => {
  it('stops the application from starting, listing every problem', async () => {
    const options = {
      jwksUri: 'http://gateway.example.com/jwks.json',
      issuer: '',
      audience: { baseUrl: 'https://api.example.com/?tenant=1' },
      algorithms: ['HS256', 'none', 'RS256'],
    } as unknown as GatewayAuthModuleOptions;
    const failure = await createTestApp(options, { setup }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(GatewayAuthConfigError);
    const issues = (failure as GatewayAuthConfigError).issues;
    expect(issues).toHaveLength(5);
    expect(issues.join('\n')).toMatch(/^jwksUri: must use https:/m);
    expect(issues.join('\n')).toMatch(/^issuer: required/m);
    expect(issues.join('\n')).toMatch(/^audience.baseUrl: must not have a query string/m);
    expect(issues.join('\n')).toMatch(/^algorithms: "HS256" is refused/m);
    expect(issues.join('\n')).toMatch(/^algorithms: "none" is refused/m);
  });
});

describe('@GatewaySubject() on a @Public() route', () => {
  @Controller('misused')
  class MisusedController {
    @Public()
    @Get()
    whoAmI(@GatewaySubject() caller: string, @GatewayClaims() _claims: unknown) {
      return { caller };
    }
  }

  @Public()
  @Controller('open')
  class OpenController {
    @Get()
    who(@GatewaySubject() caller: string) {
      return { caller };
    }
  }

  it('is refused at startup, naming the handler', async () => {
    const failure = await createTestApp(
      { jwksUri: jwks.url, issuer: ISSUER, audience: { baseUrl: BASE_URL } },
      { controllers: [MisusedController, OpenController] },
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(GatewayAuthConfigError);
    expect((failure as GatewayAuthConfigError).issues).toEqual([
      expect.stringMatching(/^MisusedController\.whoAmI: uses @GatewayClaims\(\) and @GatewaySubject\(\) but is @Public\(\)/),
      expect.stringMatching(/^OpenController\.who: uses @GatewaySubject\(\) but is @Public\(\)/),
    ]);
  });
});
