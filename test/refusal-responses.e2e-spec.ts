import { Controller, Get, Req, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AllowCallers, GatewayClaims, GatewaySubject, type GatewayIdentity, type GatewayTokenClaims } from '../lib/index.js';
import { ADAPTERS, createTestApp, OrdersController } from './fixtures/app.js';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import { BASE_URL, CALLER_DN, createTestKey, ISSUER, mint, type TestKey } from './fixtures/tokens.js';

@Controller('identity')
class IdentityController {
  /** What the handler sees: the decorators and `request.user`, on the adapter's own request object. */
  @Get()
  show(
    @GatewaySubject() subject: string,
    @GatewaySubject('CN') cn: string | undefined,
    @GatewayClaims() claims: GatewayTokenClaims,
    @Req() incoming: { user?: GatewayIdentity },
  ) {
    return { subject, cn, aud: claims.aud, user: incoming.user?.subject };
  }

  @AllowCallers('CN=someone else,O=Acme Ltd,C=GB')
  @Get('restricted')
  restricted(@GatewaySubject() subject: string) {
    return { subject };
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';
const CHALLENGE = 'Bearer realm="api"';

/**
 * Every refusal status with its whole response (status, body, headers), the same literal values on
 * every adapter: a refusal must not depend on the HTTP platform the service runs on.
 */
describe.each(ADAPTERS)('refusals on %s', adapter => {
  let key: TestKey;
  let jwks: JwksServer;
  let deadJwks: JwksServer;
  let app: INestApplication;
  let outage: INestApplication;

  beforeAll(async () => {
    key = await createTestKey('resp-1');
    [jwks, deadJwks] = await Promise.all([startJwksServer([key.jwk]), startJwksServer([key.jwk])]);
    deadJwks.behave({ kind: 'status', status: 500 });
    const controllers = [OrdersController, IdentityController];
    ({ app } = await createTestApp({ jwksUri: jwks.url, issuer: ISSUER, audience: { baseUrl: BASE_URL } }, { adapter, controllers }));
    ({ app: outage } = await createTestApp(
      { jwksUri: deadJwks.url, issuer: ISSUER, audience: { baseUrl: BASE_URL }, jwks: { cooldownMs: 10_000 } },
      { adapter, controllers },
    ));
  });

  afterAll(async () => {
    await Promise.all([app.close(), outage.close()]);
    await Promise.all([jwks.close(), deadJwks.close()]);
  });

  const get = (target: INestApplication, path: string, authorization?: string) => {
    const call = request(target.getHttpServer()).get(path);
    return authorization === undefined ? call : call.set('Authorization', authorization);
  };

  it('hands the verified caller to the handler: decorators and request.user', async () => {
    const response = await get(app, '/identity?x=1', `Bearer ${await mint(key, '/identity')}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ subject: CALLER_DN, cn: 'service1', aud: `${BASE_URL}/identity`, user: CALLER_DN });
  });

  it('400 invalid_request: a header that is not one bearer token', async () => {
    const response = await get(app, '/orders', 'Bearer a b');
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(response.headers['www-authenticate']).toBe(
      `${CHALLENGE}, error="invalid_request", error_description="The authorization header is not a single bearer token"`,
    );
    expect(response.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'invalid_request',
      message: 'The authorization header must hold a single bearer token',
    });
  });

  it('401 token_missing: the challenge carries only the realm (RFC 6750 §3.1)', async () => {
    const response = await get(app, '/orders');
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(response.headers['www-authenticate']).toBe(CHALLENGE);
    expect(response.body).toEqual({ statusCode: 401, error: 'Unauthorized', code: 'token_missing', message: 'No bearer token was sent' });
  });

  it('401 invalid_token: a token for another route', async () => {
    const response = await get(app, '/orders/42?page=2', `Bearer ${await mint(key, '/orders')}`);
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(response.headers['www-authenticate']).toBe(
      `${CHALLENGE}, error="invalid_token", error_description="The token audience does not match this resource"`,
    );
    expect(response.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      code: 'audience_mismatch',
      message: `The token's audience does not cover this route (expected ${BASE_URL}/orders/42)`,
    });
  });

  it('401 invalid_token: a trailing slash is another route, when the router runs the handler', async () => {
    // Fastify matches no route for /orders/ unless told to ignore trailing slashes.
    const lenient =
      adapter === 'fastify'
        ? (
            await createTestApp(
              { jwksUri: jwks.url, issuer: ISSUER, audience: { baseUrl: BASE_URL } },
              { adapter, fastify: { routerOptions: { ignoreTrailingSlash: true } } },
            )
          ).app
        : app;
    try {
      const response = await get(lenient, '/orders/', `Bearer ${await mint(key, '/orders')}`);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'audience_mismatch',
        message: `The token's audience does not cover this route (expected ${BASE_URL}/orders/)`,
      });
      expect((await get(lenient, '/orders', `Bearer ${await mint(key, '/orders')}`)).status).toBe(200);
    } finally {
      if (lenient !== app) await lenient.close();
    }
  });

  it('403 insufficient_scope: a caller the route does not allow', async () => {
    const response = await get(app, '/identity/restricted', `Bearer ${await mint(key, '/identity/restricted')}`);
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(response.headers['www-authenticate']).toBe(
      `${CHALLENGE}, error="insufficient_scope", error_description="The caller is not allowed to use this resource"`,
    );
    expect(response.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      code: 'caller_not_allowed',
      message: 'The caller is not allowed to use this resource',
    });
  });

  it('503 jwks_unavailable: Retry-After, no challenge (the caller did nothing wrong)', async () => {
    const response = await get(outage, '/orders', `Bearer ${await mint(key, '/orders')}`);
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(response.headers['retry-after']).toBe('10');
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(response.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'jwks_unavailable',
      message: 'The signing keys could not be fetched from the gateway',
    });
  });
});
