import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { adapterFromEnv, gatewayOptionsFromEnv, portFromEnv, SampleConfigError } from '../sample/sample-config.js';
import { startService2, type Service2 } from '../sample/service2.js';
import { ADAPTERS } from './fixtures/app.js';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import { BASE_URL, CALLER_DN, createTestKey, ISSUER, mint, type TestKey } from './fixtures/tokens.js';

/**
 * The sample (Service 2) as operators run it: configured from environment variables, started by
 * `startService2` on 127.0.0.1 (any free port), on each adapter `GATEWAY_SAMPLE_ADAPTER` offers.
 */
describe.each(ADAPTERS)('sample Service 2 on %s', adapter => {
  let jwks: JwksServer;
  let key: TestKey;
  let service: Service2;
  let app: INestApplication;

  beforeAll(async () => {
    key = await createTestKey('sample-1', 'ES256');
    jwks = await startJwksServer([key.jwk]);
    service = await startService2({
      env: {
        GATEWAY_JWKS_URI: jwks.url,
        GATEWAY_ISSUER: ISSUER,
        GATEWAY_AUDIENCE_BASE: BASE_URL,
        GATEWAY_ALGORITHMS: 'ES256, RS256',
      },
      port: 0,
      host: '127.0.0.1',
      logLevels: ['fatal'],
      adapter,
    });
    app = service.app;
  });

  afterAll(async () => {
    await service.close();
    await jwks.close();
  });

  it('runs on the adapter it was asked for', () => {
    expect(app.getHttpAdapter().getType()).toBe(adapter);
  });

  const get = (path: string, token?: string) => {
    const call = request(app.getHttpServer()).get(path);
    return token ? call.set('Authorization', `Bearer ${token}`) : call;
  };

  it('serves GET /health without a token', async () => {
    const response = await get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'ok', info: { 'gateway-jwks': { status: 'up' } } });
  });

  it('reports the gateway key set in GET /health, fetched once even before any request', async () => {
    const response = await get('/health');
    expect(response.status).toBe(200);
    // A cold service fetches on its first probe; a fresh set is not fetched again.
    expect(jwks.requestCount).toBe(1);
    expect(response.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    expect(response.body.status).toBe('ok');
    expect(response.body.info['gateway-jwks']).toEqual({
      status: 'up',
      reachable: true,
      keyCount: 1,
      kids: ['sample-1'],
      ageSeconds: expect.any(Number),
    });
    expect(response.body.details).toEqual(response.body.info);
    expect(response.body.error).toEqual({});
    expect(JSON.stringify(response.body)).not.toMatch(/"(x|y|n|e|crv|kty)":/);
  });

  it.each([
    ['/orders', 'orders'],
    ['/orders/42', 'order'],
    ['/orders-archive', 'archived'],
  ])('serves GET %s with the caller DN in "caller"', async (path, field) => {
    const response = await get(path, await mint(key, path));
    expect(response.status).toBe(200);
    expect(response.body.caller).toBe(CALLER_DN);
    expect(response.body).toHaveProperty(field);
  });

  it('adds the caller\'s CN to GET /orders', async () => {
    const response = await get('/orders', await mint(key, '/orders'));
    expect(response.body).toMatchObject({ caller: CALLER_DN, cn: 'service1' });
  });

  it.each([
    CALLER_DN,
    'cn=service1, ou=payments, o=acme ltd, c=gb',
    '2.5.4.3=service1,2.5.4.11=Payments,2.5.4.10=Acme Ltd,2.5.4.6=GB',
  ])('serves GET /payments to %s, the payments caller by meaning', async sub => {
    const response = await get('/payments', await mint(key, '/payments', { claims: { sub } }));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ caller: sub, cn: 'service1', payments: expect.any(Array) });
  });

  it.each(['CN=service2,OU=Payments,O=Acme Ltd,C=GB', 'CN=service1,OU=Sales,O=Acme Ltd,C=GB', 'CN=Smith\\, John,OU=R\\+D,O=Acme Ltd,C=GB'])(
    'refuses GET /payments to %s with 403 caller_not_allowed',
    async sub => {
      const response = await get('/payments', await mint(key, '/payments', { claims: { sub } }));
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('caller_not_allowed');
      expect(response.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
    },
  );

  it.each(['/orders/42', '/orders-archive'])('refuses a token for /orders on %s', async path => {
    const response = await get(path, await mint(key, '/orders'));
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('audience_mismatch');
  });

  it('refuses a call without a token', async () => {
    const response = await get('/orders');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
  });
});

describe('sample configuration from the environment', () => {
  it('lists every missing variable with what to set', () => {
    let error: unknown;
    try {
      gatewayOptionsFromEnv({ GATEWAY_ISSUER: ISSUER });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SampleConfigError);
    const lines = (error as Error).message.split('\n');
    expect(lines.filter(line => /^\s+GATEWAY_/.test(line))).toEqual([
      expect.stringMatching(/^ {2}GATEWAY_JWKS_URI is not set: /),
      expect.stringMatching(/^ {2}GATEWAY_AUDIENCE_BASE is not set: /),
    ]);
  });

  it('keeps a DN issuer whole and reads the optional variables', () => {
    expect(
      gatewayOptionsFromEnv({
        GATEWAY_JWKS_URI: 'https://gw.example.com/jwks',
        GATEWAY_ISSUER: 'CN=IAG Signing,O=Example',
        GATEWAY_AUDIENCE_BASE: 'https://api.example.com',
        GATEWAY_ALGORITHMS: ' RS256 , PS256 ',
        GATEWAY_TOKEN_HEADER: 'x-gateway-jwt',
      }),
    ).toEqual({
      jwksUri: 'https://gw.example.com/jwks',
      issuer: 'CN=IAG Signing,O=Example',
      audience: { baseUrl: 'https://api.example.com' },
      algorithms: ['RS256', 'PS256'],
      tokenHeader: 'x-gateway-jwt',
    });
  });

  it('reads GATEWAY_SAMPLE_ADAPTER: express by default, fastify, nothing else', () => {
    expect(adapterFromEnv({})).toBe('express');
    expect(adapterFromEnv({ GATEWAY_SAMPLE_ADAPTER: '' })).toBe('express');
    expect(adapterFromEnv({ GATEWAY_SAMPLE_ADAPTER: 'fastify' })).toBe('fastify');
    expect(adapterFromEnv({ GATEWAY_SAMPLE_ADAPTER: ' Express ' })).toBe('express');
    expect(() => adapterFromEnv({ GATEWAY_SAMPLE_ADAPTER: 'koa' })).toThrow(
      new SampleConfigError('Service 2 cannot start: GATEWAY_SAMPLE_ADAPTER must be "express" or "fastify", got "koa"'),
    );
  });

  it('defaults PORT to 3000 and refuses a bad one', () => {
    expect(portFromEnv({})).toBe(3000);
    expect(portFromEnv({ PORT: '8080' })).toBe(8080);
    expect(() => portFromEnv({ PORT: 'http' })).toThrow(SampleConfigError);
    expect(() => portFromEnv({ PORT: '70000' })).toThrow(SampleConfigError);
  });
});
