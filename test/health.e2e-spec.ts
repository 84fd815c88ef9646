import { Controller, Get, Query, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { Public, type GatewayAuthModuleOptions } from '../lib/index.js';
import { GatewayAuthHealthModule, GatewayJwksHealthIndicator, type GatewayJwksHealthOptions } from '../lib/health/index.js';
import { CapturingLogger, gatewayModule } from './fixtures/app.js';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import { BASE_URL, createTestKey, ISSUER, mint, type TestKey } from './fixtures/tokens.js';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const COOLDOWN_MS = 300;

function optionalNumber(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** `GET /health?refresh=…&maxAge=…`: the indicator under its default key, options from the query. */
@Public()
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly gatewayJwks: GatewayJwksHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(@Query('refresh') refresh?: string, @Query('maxAge') maxAge?: string) {
    const refreshIfOlderThanMs = optionalNumber(refresh);
    const maxAgeMs = optionalNumber(maxAge);
    const options: GatewayJwksHealthOptions = {
      ...(refreshIfOlderThanMs !== undefined ? { refreshIfOlderThanMs } : {}),
      ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
    };
    return this.health.check([() => this.gatewayJwks.isHealthy(undefined, options)]);
  }

  @Get('named')
  named() {
    return this.health.check([() => this.gatewayJwks.isHealthy('keys')]);
  }
}

@Controller()
class OrdersController {
  @Get('orders')
  list() {
    return { orders: [] };
  }
}

async function createHealthApp(options: GatewayAuthModuleOptions): Promise<{ app: INestApplication; logger: CapturingLogger }> {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [gatewayModule('forRoot', options), TerminusModule, GatewayAuthHealthModule],
    controllers: [HealthController, OrdersController],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await app.init();
  return { app, logger };
}

/** The terminus indicator for the gateway's JWKS, against a real JWKS server. */
describe('GatewayJwksHealthIndicator', () => {
  let jwks: JwksServer;
  let key: TestKey;
  let app: INestApplication;
  let logger: CapturingLogger;

  const health = (query = '') => request(app.getHttpServer()).get(`/health${query}`);
  const order = async () =>
    request(app.getHttpServer())
      .get('/orders')
      .set('Authorization', `Bearer ${await mint(key, '/orders')}`);

  beforeAll(async () => {
    key = await createTestKey('health-1', 'ES256');
  });

  beforeEach(async () => {
    jwks = await startJwksServer([key.jwk]);
    ({ app, logger } = await createHealthApp({
      jwksUri: jwks.url,
      issuer: ISSUER,
      audience: { baseUrl: BASE_URL },
      // A cooldown well above a request's time on a loaded two-core machine, so "within the
      // cooldown" holds while the other suites run.
      jwks: { timeoutMs: 500, cooldownMs: COOLDOWN_MS, cacheMaxAgeMs: 60_000, staleWindowMs: 60_000 },
    }));
  });

  afterEach(async () => {
    await app.close();
    await jwks.close();
  });

  it('reports down without fetching when no key set is held and no refresh is asked for', async () => {
    const response = await health();
    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      status: 'error',
      info: {},
      error: { 'gateway-jwks': { status: 'down', reachable: false, keyCount: 0, kids: [], ageSeconds: null } },
      details: { 'gateway-jwks': { status: 'down', reachable: false, keyCount: 0, kids: [], ageSeconds: null } },
    });
    expect(jwks.requestCount).toBe(0);
  });

  it('reports up with the key count once the keys have been fetched by a request', async () => {
    expect((await order()).status).toBe(200);
    const response = await health();
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ok',
      info: { 'gateway-jwks': { status: 'up', reachable: true, keyCount: 1, kids: ['health-1'], ageSeconds: 0 } },
      error: {},
      details: { 'gateway-jwks': { status: 'up', reachable: true, keyCount: 1, kids: ['health-1'], ageSeconds: 0 } },
    });
    expect(jwks.requestCount).toBe(1);
  });

  it('fetches on a cold service with refreshIfOlderThanMs, and not again while the set is younger', async () => {
    const first = await health('?refresh=60000');
    expect(first.status).toBe(200);
    expect(first.body.info['gateway-jwks']).toMatchObject({ status: 'up', reachable: true, keyCount: 1 });
    expect(jwks.requestCount).toBe(1);

    expect((await health('?refresh=60000')).status).toBe(200);
    expect(jwks.requestCount).toBe(1);

    // Past the limit, but within the store's cooldown: the probe does not fetch.
    await sleep(30);
    expect((await health('?refresh=10')).status).toBe(200);
    expect(jwks.requestCount).toBe(1);
    // Past the cooldown too, it fetches again.
    await sleep(COOLDOWN_MS);
    expect((await health('?refresh=10')).status).toBe(200);
    expect(jwks.requestCount).toBe(2);
  });

  it('reports a failing JWKS endpoint as down (503) when nothing usable is held, with the message only', async () => {
    jwks.behave({ kind: 'status', status: 500 });
    const response = await health('?refresh=60000');
    expect(response.status).toBe(503);
    expect(response.body.status).toBe('error');
    expect(response.body.info).toEqual({});
    const report = response.body.error['gateway-jwks'];
    expect(report).toEqual({
      status: 'down',
      reachable: false,
      keyCount: 0,
      kids: [],
      ageSeconds: null,
      lastError: expect.stringMatching(/500/),
    });
    expect(report.lastError).toContain(jwks.url);
    expect(response.body.details).toEqual(response.body.error);
    expect(jwks.requestCount).toBe(1);
    // Terminus logs the failed check through the application's logger.
    expect(logger.entries.some(entry => entry.level === 'error' && entry.message.includes('gateway-jwks'))).toBe(true);

    // A down endpoint is not polled by every probe: once per cooldown.
    expect((await health('?refresh=60000')).status).toBe(503);
    expect(jwks.requestCount).toBe(1);

    // Once the endpoint recovers, the next probe after the cooldown fetches and reports up.
    jwks.behave({ kind: 'serve' });
    await sleep(COOLDOWN_MS + 10);
    const recovered = await health('?refresh=60000');
    expect(recovered.status).toBe(200);
    expect(recovered.body.info['gateway-jwks']).toEqual({
      status: 'up',
      reachable: true,
      keyCount: 1,
      kids: ['health-1'],
      ageSeconds: 0,
    });
  });

  it('stays up on a held usable set when a refresh fails, reporting the endpoint unreachable', async () => {
    expect((await health('?refresh=60000')).status).toBe(200);
    jwks.behave({ kind: 'status', status: 500 });
    await sleep(COOLDOWN_MS + 10);
    const response = await health('?refresh=10');
    expect(response.status).toBe(200);
    expect(response.body.info['gateway-jwks']).toEqual({
      status: 'up',
      reachable: false,
      keyCount: 1,
      kids: ['health-1'],
      ageSeconds: 0,
      lastError: expect.stringMatching(/500/),
    });
    expect(jwks.requestCount).toBe(2);
  });

  it('turns a set older than maxAgeMs down, though the service can still use it', async () => {
    expect((await health('?refresh=60000')).status).toBe(200);
    await sleep(60);
    expect((await health('?maxAge=60000')).status).toBe(200);

    const stale = await health('?maxAge=50');
    expect(stale.status).toBe(503);
    expect(stale.body.error['gateway-jwks']).toEqual({
      status: 'down',
      reachable: true,
      keyCount: 1,
      kids: ['health-1'],
      ageSeconds: 0,
    });
    // Still usable for requests: maxAgeMs only tightens what the probe calls healthy.
    expect((await order()).status).toBe(200);
    expect(jwks.requestCount).toBe(1);

    // A refresh before the age check brings it back up (the cooldown has passed).
    await sleep(COOLDOWN_MS);
    expect((await health('?maxAge=50&refresh=50')).status).toBe(200);
    expect(jwks.requestCount).toBe(2);
  });

  it('reports under the key it is given', async () => {
    expect((await order()).status).toBe(200);
    const response = await request(app.getHttpServer()).get('/health/named');
    expect(response.status).toBe(200);
    expect(Object.keys(response.body.details)).toEqual(['keys']);
    expect(response.body.details.keys).toMatchObject({ status: 'up', keyCount: 1 });
  });
});

describe('GatewayJwksHealthIndicator past the stale window', () => {
  it('reports down once the held set is no longer usable, even without maxAgeMs', async () => {
    const key = await createTestKey('short-1', 'ES256');
    const jwks = await startJwksServer([key.jwk]);
    let app: INestApplication | undefined;
    try {
      ({ app } = await createHealthApp({
        jwksUri: jwks.url,
        issuer: ISSUER,
        audience: { baseUrl: BASE_URL },
        // The shortest max age the options allow, and a short stale window after it.
        jwks: { timeoutMs: 500, cooldownMs: 100, cacheMaxAgeMs: 1_000, staleWindowMs: 400 },
      }));
      const server = app.getHttpServer();
      const health = (query = '') => request(server).get(`/health${query}`);
      expect((await health('?refresh=60000')).status).toBe(200);
      jwks.behave({ kind: 'status', status: 503 });
      await sleep(1_050);
      // Past its max age but within the stale window: still usable, so up, though the refresh failed.
      const stale = await health('?refresh=1000');
      expect(stale.status).toBe(200);
      expect(stale.body.info['gateway-jwks']).toMatchObject({ status: 'up', reachable: false, keyCount: 1, ageSeconds: 1 });
      await sleep(450);
      const expired = await health();
      expect(expired.status).toBe(503);
      expect(expired.body.error['gateway-jwks']).toEqual({
        status: 'down',
        reachable: false,
        keyCount: 1,
        kids: ['short-1'],
        ageSeconds: 1,
        lastError: expect.stringMatching(/503/),
      });
      expect(jwks.requestCount).toBe(2);
    } finally {
      await app?.close();
      await jwks.close();
    }
  });
});
