import { Controller, Get, Module, Param, type INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import request from 'supertest';
import {
  AllowCallers,
  GatewayAuthConfigError,
  GatewayAuthGuard,
  GatewayAuthModule,
  GatewayCaller,
  GatewayClaims,
  GatewaySubject,
  Public,
  VerifiedCaller,
  type GatewayTokenClaims,
} from '../lib/index.js';
import {
  createTestGateway,
  GatewayAuthTestingModule,
  TestGatewayIdentityGuard,
  type TestGateway,
} from '../lib/testing/index.js';
import { ADAPTERS, CapturingLogger, createTestApp, type Adapter } from './fixtures/app.js';

/**
 * The testing kit (`nestjs-gateway-auth/testing`) used exactly as an application's tests would use
 * it: `GatewayAuthModule.forRoot(gateway.options)` and supertest, or the testing module in place
 * of `GatewayAuthModule`, on both HTTP adapters.
 */

const SERVICE1 = 'CN=service1,OU=Payments,O=Acme Ltd,C=GB';
const INTRUDER = 'CN=intruder,O=Acme Ltd';
const INVALID_TOKEN = /^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/;
const INSUFFICIENT_SCOPE = 'Bearer realm="api", error="insufficient_scope", error_description="The caller is not allowed to use this resource"';

@Controller('orders')
class OrdersController {
  @Get()
  list(@GatewaySubject() caller: string) {
    return { caller, orders: [] };
  }

  @Get(':id')
  show(@GatewaySubject('CN') cn: string | undefined, @Param('id') id: string) {
    return { cn, id };
  }

  @Get(':id/audit')
  audit(@GatewayCaller() caller: VerifiedCaller, @GatewayClaims() claims: GatewayTokenClaims) {
    return { units: caller.getAll('OU'), iss: claims.iss, aud: claims.aud, jti: claims.jti, scope: claims['scope'] };
  }
}

@AllowCallers(SERVICE1)
@Controller('payments')
class PaymentsController {
  @Get()
  list(@GatewaySubject() caller: string) {
    return { caller };
  }
}

@Public()
@Controller('health')
class HealthController {
  @Get()
  check() {
    return { status: 'ok' };
  }
}

const CONTROLLERS = [OrdersController, PaymentsController, HealthController];

/** An application from a compiled testing module, ready for supertest on either adapter. */
async function start(moduleRef: TestingModule, adapter: Adapter): Promise<INestApplication> {
  if (adapter === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  }
  return moduleRef.createNestApplication().init();
}

describe('the README example', () => {
  it('is a five-line e2e test', async () => {
    await using gateway = await createTestGateway();
    const moduleRef = await Test.createTestingModule({ imports: [GatewayAuthModule.forRoot(gateway.options)], controllers: [OrdersController] }).compile();
    const app = await moduleRef.createNestApplication().init();
    await request(app.getHttpServer()).get('/orders').auth(gateway.forRoute('GET', '/orders'), { type: 'bearer' }).expect(200, { caller: 'CN=test-caller,O=Test', orders: [] });
    await app.close();
  });
});

describe("the README's fuller example", () => {
  @Module({ controllers: [OrdersController] })
  class OrdersModule {}

  let gateway: TestGateway;
  let app: INestApplication;

  beforeAll(async () => {
    gateway = await createTestGateway({ caller: SERVICE1 });
    const moduleRef = await Test.createTestingModule({
      imports: [OrdersModule, GatewayAuthModule.forRoot({ ...gateway.options, allowedCallers: [SERVICE1] })],
    }).compile();
    app = await moduleRef.createNestApplication().init();
  });
  afterAll(async () => {
    await app.close();
    await gateway.close();
  });

  const get = (path: string, token: string) => request(app.getHttpServer()).get(path).auth(token, { type: 'bearer' });

  it('serves the caller the gateway vouches for', async () => {
    const response = await get('/orders/42', gateway.forRoute('GET', '/orders/42'));
    expect(response.status).toBe(200);
  });

  it('refuses what the gateway would never forward', async () => {
    const codes = async (path: string, token: string) => (await get(path, token)).body.code;
    expect(await codes('/orders', gateway.expired({ aud: gateway.audienceFor('/orders') }))).toBe('token_expired');
    expect(await codes('/orders', gateway.notYetValid({ aud: gateway.audienceFor('/orders') }))).toBe('token_not_yet_valid');
    expect(await codes('/orders/42', gateway.forRoute('GET', '/orders'))).toBe('audience_mismatch');
    expect(await codes('/orders', gateway.withCaller(INTRUDER).forRoute('GET', '/orders'))).toBe('caller_not_allowed');
  });

  it('keeps working across a key rotation', async () => {
    const old = gateway.signingKey;
    await gateway.rotate();
    expect((await get('/orders', gateway.forRoute('GET', '/orders'))).status).toBe(200);
    expect((await get('/orders', gateway.forRoute('GET', '/orders', {}, { key: old }))).status).toBe(200);
    expect(gateway.jwks.fetchCount).toBe(2);
  });
});

describe.each(ADAPTERS)('createTestGateway() on %s', adapter => {
  let gateway: TestGateway;
  let app: INestApplication;

  beforeAll(async () => {
    gateway = await createTestGateway({ caller: SERVICE1 });
    ({ app } = await createTestApp(gateway.options, { adapter, controllers: CONTROLLERS }));
  });
  afterAll(async () => {
    await app.close();
    await gateway.close();
  });

  const get = (path: string, token?: string) => {
    const call = request(app.getHttpServer()).get(path);
    return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  };

  async function expectRefused(path: string, token: string, code: string): Promise<void> {
    const response = await get(path, token);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(INVALID_TOKEN);
    expect(response.body).toEqual({ statusCode: 401, error: 'Unauthorized', code, message: expect.any(String) });
  }

  it('lets a token minted for the route reach the handler, with the caller', async () => {
    const response = await get('/orders', gateway.forRoute('GET', '/orders'));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ caller: SERVICE1, orders: [] });
    expect((await get('/orders/42', gateway.forRoute('GET', '/orders/42'))).body).toEqual({ cn: 'service1', id: '42' });
  });

  it('hands the minted claims to @GatewayCaller() and @GatewayClaims()', async () => {
    const response = await get('/orders/42/audit', gateway.forRoute('GET', '/orders/42/audit', { jti: 'audit-1', scope: 'orders:read' }));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      units: ['Payments'],
      iss: gateway.issuer,
      aud: 'https://api.example.test/orders/42/audit',
      jti: 'audit-1',
      scope: 'orders:read',
    });
  });

  it('mints tokens the module refuses: expired, not yet valid, another route, another issuer, a bad sub', async () => {
    await expectRefused('/orders', gateway.expired({ aud: gateway.audienceFor('/orders') }), 'token_expired');
    await expectRefused('/orders', gateway.forRoute('GET', '/orders', {}, { expiresIn: -600 }), 'token_expired');
    await expectRefused('/orders', gateway.notYetValid({ aud: gateway.audienceFor('/orders') }), 'token_not_yet_valid');
    await expectRefused('/orders/42', gateway.forRoute('GET', '/orders'), 'audience_mismatch');
    await expectRefused('/orders', gateway.mint(), 'audience_mismatch');
    await expectRefused('/orders', gateway.forRoute('GET', '/orders', { iss: 'CN=Other Gateway,O=Test' }), 'issuer_mismatch');
    await expectRefused('/orders', gateway.forRoute('GET', '/orders', { sub: 'not a dn' }), 'subject_invalid');
    await expectRefused('/orders', gateway.forRoute('GET', '/orders', {}, { omit: ['exp'] }), 'claims_invalid');
  });

  it('refuses a token from another test gateway, and one signed with a key never published', async () => {
    await using other = await createTestGateway({ caller: SERVICE1 });
    await expectRefused('/orders', other.forRoute('GET', '/orders'), 'unknown_key');
    const forged = other.forRoute('GET', '/orders', {}, { header: { kid: gateway.signingKey.kid } });
    await expectRefused('/orders', forged, 'signature_invalid');
  });

  it('applies @AllowCallers() to the minted caller (403), and opens @Public() routes', async () => {
    expect((await get('/payments', gateway.forRoute('GET', '/payments'))).status).toBe(200);
    const refused = await get('/payments', gateway.withCaller(INTRUDER).forRoute('GET', '/payments'));
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('caller_not_allowed');
    expect(refused.headers['www-authenticate']).toBe(INSUFFICIENT_SCOPE);
    expect((await get('/health')).body).toEqual({ status: 'ok' });
    expect((await get('/orders')).status).toBe(401);
  });
});

describe.each(ADAPTERS)('key rotation and JWKS behaviour through the kit, on %s', adapter => {
  it('accepts a rotated-in key at once, keeps or withdraws the old one, and counts the fetches', async () => {
    await using gateway = await createTestGateway();
    const { app } = await createTestApp(gateway.options, { adapter, controllers: CONTROLLERS });
    const status = async (token: string) => {
      const response = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`);
      return response.status === 200 ? 200 : `${response.status} ${response.body.code}`;
    };
    try {
      const first = gateway.signingKey;
      expect(await status(gateway.forRoute('GET', '/orders'))).toBe(200);
      expect(gateway.jwks.fetchCount).toBe(1);

      const second = await gateway.rotate();
      expect(second.kid).not.toBe(first.kid);
      expect(await status(gateway.forRoute('GET', '/orders'))).toBe(200);
      expect(gateway.jwks.fetchCount).toBe(2);
      expect(await status(gateway.forRoute('GET', '/orders', {}, { key: first.kid }))).toBe(200);

      await gateway.rotate({ keepPrevious: false });
      expect(await status(gateway.forRoute('GET', '/orders'))).toBe(200);
      expect(gateway.jwks.fetchCount).toBe(3);
      expect(await status(gateway.forRoute('GET', '/orders', {}, { key: first.kid }))).toBe('401 unknown_key');
      expect(await status(gateway.forRoute('GET', '/orders', {}, { key: second }))).toBe('401 unknown_key');
      expect(gateway.jwks.fetchCount).toBe(3);
    } finally {
      await app.close();
    }
  });

  it('simulates a JWKS outage: 503 jwks_unavailable', async () => {
    await using gateway = await createTestGateway({ algorithm: 'ES256' });
    gateway.jwks.behave({ kind: 'status', status: 500 });
    const { app, logger } = await createTestApp(gateway.options, { adapter, controllers: CONTROLLERS });
    try {
      const response = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${gateway.forRoute('GET', '/orders')}`);
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('jwks_unavailable');
      expect(gateway.jwks.fetchCount).toBe(1);
      expect(logger.rejections().map(entry => entry.level)).toEqual(['error']);
    } finally {
      await app.close();
    }
  });
});

describe.each(ADAPTERS)('GatewayAuthTestingModule on %s', adapter => {
  let app: INestApplication;
  let guard: TestGatewayIdentityGuard;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [GatewayAuthTestingModule.withCaller(SERVICE1, { claims: { scope: 'orders:read' } })],
      controllers: CONTROLLERS,
    })
      .setLogger(new CapturingLogger())
      .compile();
    app = await start(moduleRef, adapter);
    guard = TestGatewayIdentityGuard.from(app);
  });
  afterAll(async () => app.close());
  beforeEach(() => guard.reset());

  const get = (path: string) => request(app.getHttpServer()).get(path);

  it('injects the caller into @GatewaySubject(), @GatewaySubject("CN"), @GatewayCaller() and @GatewayClaims(), without a token', async () => {
    expect((await get('/orders')).body).toEqual({ caller: SERVICE1, orders: [] });
    expect((await get('/orders/42')).body).toEqual({ cn: 'service1', id: '42' });
    const audit = await get('/orders/42/audit');
    expect(audit.status).toBe(200);
    expect(audit.body).toEqual({
      units: ['Payments'],
      iss: 'CN=Test Gateway,O=Test',
      aud: 'https://api.example.test/orders/42/audit',
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      scope: 'orders:read',
    });
  });

  it('keeps @AllowCallers(): another caller gets the real 403 caller_not_allowed', async () => {
    expect((await get('/payments')).status).toBe(200);
    guard.setCaller(INTRUDER);
    const refused = await get('/payments');
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toBe(INSUFFICIENT_SCOPE);
    expect(refused.body).toEqual({ statusCode: 403, error: 'Forbidden', code: 'caller_not_allowed', message: expect.any(String) });
    expect((await get('/orders')).body.caller).toBe(INTRUDER);
  });

  it('answers 401 token_missing when there is no caller, and keeps @Public() open', async () => {
    guard.setCaller(null);
    const refused = await get('/orders');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(refused.body.code).toBe('token_missing');
    expect((await get('/health')).body).toEqual({ status: 'ok' });
  });
});

describe('TestGatewayIdentityGuard in place of GatewayAuthGuard in an application module', () => {
  @Module({
    imports: [
      GatewayAuthModule.forRoot({
        jwksUri: 'http://127.0.0.1:9/.well-known/jwks.json',
        issuer: 'CN=IAG Signing,O=Example',
        audience: { baseUrl: 'https://api.example.com' },
        allowedCallers: [SERVICE1],
      }),
    ],
    controllers: CONTROLLERS,
  })
  class AppModule {}

  it('takes the module options (issuer, audience, allowedCallers) and needs no JWKS (its jwksUri leads nowhere)', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(GatewayAuthGuard)
      .useClass(TestGatewayIdentityGuard.withCaller(SERVICE1))
      .setLogger(new CapturingLogger())
      .compile();
    const app = await moduleRef.createNestApplication().init();
    try {
      const audit = await request(app.getHttpServer()).get('/orders/7/audit');
      expect(audit.status).toBe(200);
      expect(audit.body).toMatchObject({ iss: 'CN=IAG Signing,O=Example', aud: 'https://api.example.com/orders/7/audit' });
      TestGatewayIdentityGuard.from(app).setCaller(INTRUDER);
      const refused = await request(app.getHttpServer()).get('/orders');
      expect([refused.status, refused.body.code]).toEqual([403, 'caller_not_allowed']);
    } finally {
      await app.close();
    }
  });

  it('says so when the application has no test guard', async () => {
    await using gateway = await createTestGateway();
    const { app } = await createTestApp(gateway.options);
    try {
      expect(() => TestGatewayIdentityGuard.from(app)).toThrow(/no TestGatewayIdentityGuard in this application/);
    } finally {
      await app.close();
    }
  });
});

describe('GatewayAuthTestingModule start-up checks', () => {
  @Controller('broken')
  class BrokenController {
    @Public()
    @Get()
    whoami(@GatewaySubject() caller: string) {
      return { caller };
    }
  }

  it('stops a misused @Public() handler as GatewayAuthModule does', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [GatewayAuthTestingModule.forRoot()], controllers: [BrokenController] })
      .setLogger(new CapturingLogger())
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const failure = await app.init().then(
      () => undefined,
      (error: unknown) => error,
    );
    await app.close();
    expect(failure).toBeInstanceOf(GatewayAuthConfigError);
    expect((failure as GatewayAuthConfigError).issues).toEqual([
      'BrokenController.whoami: uses @GatewaySubject() but is @Public(), so it has no verified caller; remove @Public() or the parameter',
    ]);
  });
});
