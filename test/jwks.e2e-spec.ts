import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createTestApp, type CapturingLogger } from './fixtures/app.js';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import { BASE_URL, CALLER_DN, createTestKey, ISSUER, mint, type TestKey } from './fixtures/tokens.js';

const COOLDOWN_MS = 300;
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

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
      jwks: { timeoutMs: 500, cooldownMs: COOLDOWN_MS },
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

  it('picks up a key rotated in on the JWKS server within the cooldown, without a restart', async () => {
    expect((await get('/orders', await mint(current, '/orders'))).status).toBe(200);
    // Within the cooldown an unknown kid is refused from memory: no second fetch.
    expect((await get('/orders', await mint(next, '/orders'))).body.code).toBe('unknown_key');
    expect(jwks.requestCount).toBe(1);

    jwks.setKeys([current.jwk, next.jwk]);
    await sleep(COOLDOWN_MS + 50);
    const response = await get('/orders', await mint(next, '/orders'));
    expect(response.status).toBe(200);
    expect(response.body.caller).toBe(CALLER_DN);
    expect((await get('/orders', await mint(current, '/orders'))).status).toBe(200);
    expect(jwks.requestCount).toBe(2);
  });

  it('stops accepting a key the gateway has withdrawn, once the key set is refetched', async () => {
    jwks.setKeys([current.jwk, next.jwk]);
    expect((await get('/orders', await mint(current, '/orders'))).status).toBe(200);
    jwks.setKeys([next.jwk]);
    await sleep(COOLDOWN_MS + 50);
    // An unknown kid triggers the refetch, which no longer lists the current key.
    expect((await get('/orders', await mint({ ...next, kid: 'other' }, '/orders'))).body.code).toBe('unknown_key');
    expect((await get('/orders', await mint(current, '/orders'))).body.code).toBe('unknown_key');
    expect((await get('/orders', await mint(next, '/orders'))).status).toBe(200);
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
    expect(response.headers['retry-after']).toBe('1');
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

  it('answers a flood of 200 unknown kids with 401 from a handful of fetches, and keeps serving', async () => {
    expect((await get('/orders', await mint(current, '/orders'))).status).toBe(200);
    const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => mint({ ...current, kid: `random-${i}` }, '/orders')));
    const codes = new Set<string>();
    const started = Date.now();
    for (let batch = 0; batch < 200; batch += 50) {
      const responses = await Promise.all(tokens.slice(batch, batch + 50).map(token => get('/orders', token)));
      for (const response of responses) codes.add(`${response.status} ${response.body.code}`);
    }
    expect([...codes]).toEqual(['401 unknown_key']);
    // One fetch per cooldown at most, however many kids: a handful over the flood.
    expect(jwks.requestCount).toBeLessThanOrEqual(2 + Math.floor((Date.now() - started) / COOLDOWN_MS));
    expect(jwks.requestCount).toBeLessThanOrEqual(10);
    expect((await get('/orders', await mint(current, '/orders'))).status).toBe(200);
  });

  it('retries a failed endpoint at most once per cooldown', async () => {
    jwks.behave({ kind: 'status', status: 500 });
    for (let i = 0; i < 20; i++) expect((await get('/orders', await mint(current, '/orders'))).status).toBe(503);
    expect(jwks.requestCount).toBe(1);
    jwks.behave({ kind: 'serve' });
    await sleep(COOLDOWN_MS + 50);
    expect((await get('/orders', await mint(current, '/orders'))).status).toBe(200);
    expect(jwks.requestCount).toBe(2);
  });
});

describe('JWKS outages: the stale window and start-up prefetch', () => {
  let jwks: JwksServer;
  let key: TestKey;

  beforeEach(async () => {
    key = await createTestKey('2026-03', 'ES256');
    jwks = await startJwksServer([key.jwk]);
  });
  afterEach(async () => jwks.close());

  it('keeps verifying with the last good keys for the stale window, then answers 503', async () => {
    const { app, logger } = await createTestApp({
      jwksUri: jwks.url,
      issuer: ISSUER,
      audience: { baseUrl: BASE_URL },
      jwks: { cacheMaxAgeMs: 1_000, staleWindowMs: 1_000, cooldownMs: 100 },
    });
    const get = async () =>
      request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${await mint(key, '/orders')}`);
    try {
      expect((await get()).status).toBe(200);
      jwks.behave({ kind: 'garbage' });
      await sleep(1_150);
      expect((await get()).status).toBe(200);
      expect(logger.entries.some(entry => entry.level === 'warn' && /still using the key set fetched 1 s ago/.test(entry.message))).toBe(true);
      await sleep(1_000);
      const response = await get();
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('jwks_unavailable');
      jwks.behave({ kind: 'serve' });
      await sleep(150);
      expect((await get()).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it("prefetch 'fail' stops the start-up when the keys cannot be had", async () => {
    jwks.behave({ kind: 'status', status: 404 });
    const failure = await createTestApp({
      jwksUri: jwks.url,
      issuer: ISSUER,
      audience: { baseUrl: BASE_URL },
      jwks: { prefetch: 'fail' },
    }).then(
      async ({ app }) => {
        await app.close();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^Cannot fetch the gateway's keys from http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json: .*404.*check jwksUri/);
  });

  it("prefetch 'warn' logs and starts; 'fail' with a healthy endpoint fetches once at boot", async () => {
    jwks.behave({ kind: 'status', status: 503 });
    const warned = await createTestApp({ jwksUri: jwks.url, issuer: ISSUER, audience: { baseUrl: BASE_URL }, jwks: { prefetch: 'warn' } });
    expect(warned.logger.entries.filter(entry => entry.level === 'warn' && entry.message.startsWith("Cannot fetch the gateway's keys"))).toHaveLength(1);
    await warned.app.close();

    jwks.behave({ kind: 'serve' });
    jwks.resetCount();
    const started = await createTestApp({ jwksUri: jwks.url, issuer: ISSUER, audience: { baseUrl: BASE_URL }, jwks: { prefetch: 'fail' } });
    try {
      expect(jwks.requestCount).toBe(1);
      const response = await request(started.app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${await mint(key, '/orders')}`);
      expect(response.status).toBe(200);
      expect(jwks.requestCount).toBe(1);
    } finally {
      await started.app.close();
    }
  });
});

describe('verifiedTokenCache', () => {
  it('verifies a repeated token once, still checks the route, and honours a withdrawn key only until the TTL', async () => {
    const key = await createTestKey('cache-1', 'RS256');
    const jwks = await startJwksServer([key.jwk]);
    const { app } = await createTestApp({
      jwksUri: jwks.url,
      issuer: ISSUER,
      audience: { baseUrl: BASE_URL },
      jwks: { cooldownMs: 100, cacheMaxAgeMs: 1_000, staleWindowMs: 0 },
      verifiedTokenCache: { maxEntries: 100, maxTtlSeconds: 1 },
    });
    const get = (path: string, token: string) => request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${token}`);
    try {
      const token = await mint(key, '/orders');
      expect((await get('/orders', token)).status).toBe(200);
      // Served from the cache: the key set is withdrawn, yet the same token still passes.
      jwks.setKeys([]);
      await sleep(150);
      expect((await get('/orders', token)).status).toBe(200);
      // The route is still checked on a cache hit.
      expect((await get('/orders/42', token)).body.code).toBe('audience_mismatch');
      // After the TTL the token is verified again: the key set has aged, its refetch finds no key.
      await sleep(1_000);
      expect((await get('/orders', token)).body.code).toBe('jwks_unavailable');
    } finally {
      await app.close();
      await jwks.close();
    }
  });
});
