import { Controller, Get, Req, UseGuards, type INestApplication } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { AuthGuard } from '@nestjs/passport';
import request from 'supertest';
import { GatewayAuthGuard, GatewayAuthHttpException, Public, type GatewayIdentity } from '../lib/index.js';
import { ADAPTERS, createTestApp, OrdersController } from './fixtures/app.js';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import { BASE_URL, CALLER_DN, createTestKey, ISSUER, mint, type TestKey } from './fixtures/tokens.js';

/** A route guarded by Passport itself (`AuthGuard('gateway-jwt')`), not by GatewayAuthGuard. */
@Public()
@Controller('passport')
class PassportGuardedController {
  @UseGuards(AuthGuard('gateway-jwt'))
  @Get('me')
  me(@Req() req: { user: GatewayIdentity }) {
    return { subject: req.user.subject, cn: req.user.caller.get('CN') };
  }
}

describe('the guard and the strategy on the hot path', () => {
  let jwks: JwksServer;
  let key: TestKey;
  let app: INestApplication;

  beforeAll(async () => {
    key = await createTestKey('hot-1', 'RS256');
    jwks = await startJwksServer([key.jwk]);
    ({ app } = await createTestApp(
      // On the event loop for certain: 'auto' (the default) may hand off when the loop is busy.
      { jwksUri: jwks.url, issuer: ISSUER, audience: { baseUrl: BASE_URL }, signatureVerification: 'event-loop' },
      { controllers: [OrdersController, PassportGuardedController] },
    ));
  });

  afterAll(async () => {
    await app.close();
    await jwks.close();
  });

  /** Calls the guard as Nest does for `GET /orders` with `token`. */
  const callGuard = (token: string) => {
    const req: Record<string, unknown> = { method: 'GET', url: '/orders', originalUrl: '/orders', headers: { authorization: `Bearer ${token}` } };
    const context = new ExecutionContextHost([req, { set: () => undefined, setHeader: () => undefined, header: () => undefined }, () => undefined], OrdersController, OrdersController.prototype.list);
    return { req, verdict: () => app.get(GatewayAuthGuard).canActivate(context) };
  };

  it('answers synchronously, without a Promise, once the signing key is known; a Promise while it is fetched', async () => {
    const fetchesBefore = jwks.requestCount;
    const first = callGuard(await mint(key, '/orders'));
    const cold = first.verdict();
    expect(cold).toBeInstanceOf(Promise);
    await expect(cold).resolves.toBe(true);
    expect(jwks.requestCount - fetchesBefore).toBe(1);

    const second = callGuard(await mint(key, '/orders'));
    expect(second.verdict()).toBe(true);
    expect((second.req['user'] as GatewayIdentity).subject).toBe(CALLER_DN);
    expect(jwks.requestCount - fetchesBefore).toBe(1);
  });

  it('refuses synchronously too: a bad token on the hot path throws the 401 at once', async () => {
    await callGuard(await mint(key, '/orders')).verdict(); // the key is known
    const expired = callGuard(await mint(key, '/orders', { expiresIn: -3600 }));
    let thrown: unknown;
    try {
      expired.verdict();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayAuthHttpException);
    expect((thrown as GatewayAuthHttpException).getStatus()).toBe(401);
    expect((thrown as GatewayAuthHttpException).reason.code).toBe('token_expired');
    expect(expired.req['user']).toBeUndefined();
  });

  describe("the strategy is a Passport strategy: AuthGuard('gateway-jwt') uses it too", () => {
    it('lets a valid token through and gives Passport the identity', async () => {
      const response = await request(app.getHttpServer())
        .get('/passport/me')
        .set('Authorization', `Bearer ${await mint(key, '/passport/me')}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ subject: CALLER_DN, cn: 'service1' });
    });

    it.each([
      ['an expired token', { expiresIn: -3600 }],
      ['a token from another issuer', { claims: { iss: 'CN=Someone Else' } }],
    ])('refuses %s with 401', async (_label, options) => {
      const response = await request(app.getHttpServer())
        .get('/passport/me')
        .set('Authorization', `Bearer ${await mint(key, '/passport/me', options)}`);
      expect(response.status).toBe(401);
    });

    it('refuses a request without a token with 401', async () => {
      expect((await request(app.getHttpServer()).get('/passport/me')).status).toBe(401);
    });
  });
});

describe.each(ADAPTERS)("signatureVerification: 'thread-pool', on %s", adapter => {
  let jwks: JwksServer;
  let key: TestKey;
  let app: INestApplication;

  beforeAll(async () => {
    key = await createTestKey('pool-1', 'RS256');
    jwks = await startJwksServer([key.jwk]);
    ({ app } = await createTestApp(
      { jwksUri: jwks.url, issuer: ISSUER, audience: { baseUrl: BASE_URL }, signatureVerification: 'thread-pool', replayCache: true },
      { adapter },
    ));
  });

  afterAll(async () => {
    await app.close();
    await jwks.close();
  });

  const get = (path: string, token: string) => request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${token}`);

  it('lets a valid token through, with the caller', async () => {
    const response = await get('/orders', await mint(key, '/orders'));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ caller: CALLER_DN, orders: [] });
  });

  it('refuses a forged signature, an expired token and another route, with the same codes as on the event loop', async () => {
    const token = await mint(key, '/orders');
    const forged = `${token.slice(0, -6)}${token.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`;
    const answers = await Promise.all([
      get('/orders', forged),
      get('/orders', await mint(key, '/orders', { expiresIn: -3600 })),
      get('/orders/42', await mint(key, '/orders')),
    ]);
    expect(answers.map(answer => answer.status)).toEqual([401, 401, 401]);
    expect(answers.map(answer => answer.body.code)).toEqual(['signature_invalid', 'token_expired', 'audience_mismatch']);
    expect(answers.map(answer => answer.headers['www-authenticate'])).toEqual(answers.map(() => expect.stringMatching(/^Bearer realm="api", error="invalid_token"/)));
  });

  it('still accepts a token once only with replayCache, when both copies are verified at the same time', async () => {
    const token = await mint(key, '/orders');
    const answers = await Promise.all([get('/orders', token), get('/orders', token)]);
    expect(answers.map(answer => answer.status).sort()).toEqual([200, 401]);
    expect(answers.find(answer => answer.status === 401)?.body.code).toBe('token_replayed');
  });

  it('answers with a Promise even once the key is known: the signature is checked off the event loop', async () => {
    await get('/orders', await mint(key, '/orders')); // the key is known
    const req: Record<string, unknown> = { method: 'GET', url: '/orders', originalUrl: '/orders', headers: { authorization: `Bearer ${await mint(key, '/orders')}` } };
    const context = new ExecutionContextHost([req, { set: () => undefined, setHeader: () => undefined, header: () => undefined }, () => undefined], OrdersController, OrdersController.prototype.list);
    const verdict = app.get(GatewayAuthGuard).canActivate(context);
    expect(verdict).toBeInstanceOf(Promise);
    await expect(verdict).resolves.toBe(true);
    expect((req['user'] as GatewayIdentity).subject).toBe(CALLER_DN);
  });
});
