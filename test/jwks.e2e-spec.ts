import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createTestApp, type CapturingLogger } from './fixtures/app.js';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import { BASE_URL, CALLER_DN, createTestKey, ISSUER, mint, type TestKey } from './fixtures/tokens.js';

/** Fetching the gateway's keys: caching, rotation and outages, against a real JWKS server. */
describe('JWKS key fetching', () => {
  let jwks: JwksServer;
  let current: TestKey;
  let next: TestKey;
  let app: INestApplication;
  let logger: CapturingLogger;

  const get = (path: string, token: string) =>
    request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${token}`);

  beforeEach(async () => {
    [current, next] = await Promise.all([createTestKey('2026-01', 'RS256'), createTestKey('2026-02', 'ES256')]);
    jwks = await startJwksServer([current.jwk]);
    ({ app, logger } = await createTestApp({
      jwksUri: jwks.url,
      issuer: ISSUER,
      audience: { baseUrl: BASE_URL },
      jwks: { timeoutMs: 500 },
    }));
  });

  afterEach(async () => {
    await app.close();
    await jwks.close();
  });

  it('does not fetch the key set before the first protected request', async () => {
    expect((await request(app.getHttpServer()).get('/health')).status).toBe(200);
    expect(jwks.requestCount).toBe(0);
  });

  it('makes one JWKS request for a cold start with many concurrent requests', async () => {
    const token = await mint(current, '/orders');
    const responses = await Promise.all(Array.from({ length: 50 }, () => get('/orders', token)));
    expect(responses.map(response => response.status)).toEqual(Array(50).fill(200));
    expect(jwks.requestCount).toBe(1);
  });

  it('serves later requests for a known kid from the cache', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await get('/orders', await mint(current, '/orders'))).status).toBe(200);
    }
    expect(jwks.requestCount).toBe(1);
  });

  it('picks up a key rotated in on the JWKS server without a restart', async () => {
    expect((await get('/orders', await mint(current, '/orders'))).status).toBe(200);
    expect((await get('/orders', await mint(next, '/orders'))).body.code).toBe('unknown_key');

    jwks.setKeys([current.jwk, next.jwk]);
    const response = await get('/orders', await mint(next, '/orders'));
    expect(response.status).toBe(200);
    expect(response.body.caller).toBe(CALLER_DN);
    expect((await get('/orders', await mint(current, '/orders'))).status).toBe(200);
    expect(jwks.requestCount).toBe(3);
  });

  it('keeps verifying with cached keys while the endpoint is down', async () => {
    expect((await get('/orders', await mint(current, '/orders'))).status).toBe(200);
    jwks.behave({ kind: 'status', status: 500 });
    expect((await get('/orders', await mint(current, '/orders'))).status).toBe(200);
    expect(jwks.requestCount).toBe(1);
  });

  it('answers 503 jwks_unavailable with Retry-After when the endpoint fails', async () => {
    jwks.behave({ kind: 'status', status: 500 });
    const response = await get('/orders', await mint(current, '/orders'));
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('10');
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(response.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'jwks_unavailable',
      message: expect.any(String),
    });
    expect(logger.rejections()).toEqual([
      { level: 'error', message: expect.stringContaining('code=jwks_unavailable') },
    ]);
  });

  it('answers 503 when the key set is not JSON', async () => {
    jwks.behave({ kind: 'garbage' });
    const response = await get('/orders', await mint(current, '/orders'));
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('jwks_unavailable');
  });

  it('answers 503 when the key set is empty', async () => {
    jwks.setKeys([]);
    const response = await get('/orders', await mint(current, '/orders'));
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('jwks_unavailable');
  });

  it('answers 503, not a hang, when the endpoint never answers', async () => {
    jwks.behave({ kind: 'hang' });
    const response = await get('/orders', await mint(current, '/orders'));
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('jwks_unavailable');
  });

  it('answers 503 when nothing listens at the JWKS URI', async () => {
    await jwks.close();
    const response = await get('/orders', await mint(current, '/orders'));
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('jwks_unavailable');
    jwks = await startJwksServer(); // for afterEach
  });

  it('does not reach the JWKS endpoint for tokens refused before key lookup', async () => {
    const garbage = ['abc', 'a.b.c', `${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.`];
    for (const token of garbage) {
      expect((await get('/orders', token)).status).toBe(401);
    }
    expect(jwks.requestCount).toBe(0);
  });

  it('bounds the JWKS requests a flood of unknown kids can cause (rate limit)', async () => {
    const codes: string[] = [];
    for (let i = 0; i < 15; i++) {
      const token = await mint({ ...current, kid: `random-${i}` }, '/orders');
      codes.push((await get('/orders', token)).body.code);
    }
    expect(jwks.requestCount).toBe(10);
    expect(codes.slice(0, 10)).toEqual(Array(10).fill('unknown_key'));
    expect(codes.slice(10)).toEqual(Array(5).fill('jwks_unavailable'));
  });
});
