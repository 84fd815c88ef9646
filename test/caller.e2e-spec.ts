import { Controller, Get, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  AllowCallers,
  GatewayAuthConfigError,
  GatewayCaller,
  GatewaySubject,
  Public,
  VerifiedCaller,
  type GatewayAuthModuleOptions,
} from '../lib/index.js';
import { ADAPTERS, createTestApp, type Adapter } from './fixtures/app.js';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import { BASE_URL, CALLER_DN, createTestKey, ISSUER, mint, type TestKey } from './fixtures/tokens.js';

@Controller('who')
class WhoController {
  @Get()
  who(
    @GatewaySubject() subject: string,
    @GatewaySubject('CN') cn: string | undefined,
    @GatewaySubject('organizationalUnitName') ou: string | undefined,
    @GatewayCaller() caller: VerifiedCaller,
  ) {
    return { subject, cn, ou, units: caller.getAll('OU'), rfc4514: caller.rfc4514, isService1: caller.is(CALLER_DN) };
  }
}

@AllowCallers(caller => caller.get('OU') === 'Payments')
@Controller('payments')
class PaymentsController {
  @Get()
  list(@GatewaySubject() caller: string) {
    return { caller };
  }

  @AllowCallers('CN=service1,OU=Payments,O=Acme Ltd,C=GB', 'CN=B\\C3\\A4ckerei,O=Acme Ltd,C=DE')
  @Get('strict')
  strict(@GatewaySubject() caller: string) {
    return { caller };
  }

  @AllowCallers(() => {
    throw new Error('a predicate bug');
  })
  @Get('broken')
  broken(@GatewaySubject() caller: string) {
    return { caller };
  }
}

@Controller('plain')
class PlainController {
  @Get()
  plain(@GatewaySubject() caller: string) {
    return { caller };
  }
}

let jwks: JwksServer;
let key: TestKey;
beforeAll(async () => {
  key = await createTestKey('caller-1');
  jwks = await startJwksServer([key.jwk]);
});
afterAll(async () => jwks.close());

const baseOptions = (): GatewayAuthModuleOptions => ({ jwksUri: jwks.url, issuer: ISSUER, audience: { baseUrl: BASE_URL } });

async function withApp(
  adapter: Adapter,
  options: Partial<GatewayAuthModuleOptions>,
  controllers: (new (...args: never[]) => unknown)[],
  run: (call: (path: string, sub: string) => Promise<request.Response>) => Promise<void>,
): Promise<void> {
  const { app } = await createTestApp({ ...baseOptions(), ...options }, { adapter, controllers });
  const call = async (path: string, sub: string) =>
    request((app as INestApplication).getHttpServer())
      .get(path)
      .set('Authorization', `Bearer ${await mint(key, path, { claims: { sub } })}`);
  try {
    await run(call);
  } finally {
    await app.close();
  }
}

async function startupFailure(options: Partial<GatewayAuthModuleOptions>, controllers: (new (...args: never[]) => unknown)[]): Promise<readonly string[]> {
  const failure = await createTestApp({ ...baseOptions(), ...options }, { controllers }).then(
    async ({ app }) => {
      await app.close();
      return undefined;
    },
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(GatewayAuthConfigError);
  return (failure as GatewayAuthConfigError).issues;
}

/** The HTTP groups run on every adapter; startup checks do not depend on one. */
describe.each(ADAPTERS)('on %s', adapter => {
  describe('the caller parsed from sub', () => {
    it('gives the raw sub, single attributes and the parsed caller', async () => {
      await withApp(adapter, {}, [WhoController], async call => {
        const response = await call('/who', 'CN=service1,OU=Payments,OU=Acme Group,O=Acme Ltd,C=GB');
        expect(response.status).toBe(200);
        expect(response.body).toEqual({
          subject: 'CN=service1,OU=Payments,OU=Acme Group,O=Acme Ltd,C=GB',
          cn: 'service1',
          ou: 'Payments',
          units: ['Payments', 'Acme Group'],
          rfc4514: 'CN=service1,OU=Payments,OU=Acme Group,O=Acme Ltd,C=GB',
          isService1: false,
        });
        const same = await call('/who', 'cn=Service1, ou=payments,  o=ACME LTD,2.5.4.6=gb');
        expect(same.body).toMatchObject({ cn: 'Service1', isService1: true });
      });
    });

    it.each(['service1', 'CN=a,,O=b', 'CN', '=x', 'foo=bar', 'CN=a"b', '/C=GB/CN=service1'])(
      'refuses a sub that is not an RFC 4514 DN: %j',
      async sub => {
        await withApp(adapter, {}, [PlainController], async call => {
          const response = await call('/plain', sub);
          expect(response.status).toBe(401);
          expect(response.body).toMatchObject({ code: 'subject_invalid' });
          expect(response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
          expect(response.text).not.toContain(sub.length > 3 ? sub : '\u0000');
        });
      },
    );

    it("reads OpenSSL's slash form with subjectFormat: 'openssl'", async () => {
      await withApp(adapter, { subjectFormat: 'openssl' }, [WhoController, PaymentsController], async call => {
        const response = await call('/who', '/C=GB/O=Acme Ltd/OU=Payments/CN=service1');
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ cn: 'service1', rfc4514: CALLER_DN, isService1: true });
        expect((await call('/payments/strict', '/C=GB/O=Acme Ltd/OU=Payments/CN=service1')).status).toBe(200);
        expect((await call('/who', CALLER_DN)).body.code).toBe('subject_invalid');
      });
    });

    it("takes sub as it is with subjectFormat: 'opaque'", async () => {
      await withApp(adapter, { subjectFormat: 'opaque' }, [PlainController], async call => {
        const response = await call('/plain', 'client-8f2a');
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ caller: 'client-8f2a' });
      });
    });
  });

  describe('@AllowCallers', () => {
    it('lets in the listed DN by meaning, and refuses others with 403 insufficient_scope', async () => {
      await withApp(adapter, {}, [PaymentsController], async call => {
        for (const sub of [
          CALLER_DN,
          'cn=service1,ou=payments,o=acme ltd,c=gb',
          '2.5.4.3=service1, 2.5.4.11=Payments, 2.5.4.10=Acme  Ltd, 2.5.4.6=GB',
          'CN=Bäckerei,O=Acme Ltd,C=DE',
        ]) {
          const response = await call('/payments/strict', sub);
          expect([sub, response.status]).toEqual([sub, 200]);
        }
        for (const sub of ['CN=service2,OU=Payments,O=Acme Ltd,C=GB', 'OU=Payments,CN=service1,O=Acme Ltd,C=GB', 'CN=service1,OU=Payments,O=Acme Ltd']) {
          const response = await call('/payments/strict', sub);
          expect([sub, response.status, response.body.code]).toEqual([sub, 403, 'caller_not_allowed']);
          expect(response.headers['www-authenticate']).toBe(
            'Bearer realm="api", error="insufficient_scope", error_description="The caller is not allowed to use this resource"',
          );
        }
      });
    });

    it('applies a controller predicate to routes without their own rules', async () => {
      await withApp(adapter, {}, [PaymentsController], async call => {
        expect((await call('/payments', 'CN=anyone,OU=Payments,O=Acme Ltd')).status).toBe(200);
        expect((await call('/payments', 'CN=anyone,OU=Sales,O=Acme Ltd')).body.code).toBe('caller_not_allowed');
        // The method's rules replace the controller's: OU=Payments alone is not enough there.
        expect((await call('/payments/strict', 'CN=anyone,OU=Payments,O=Acme Ltd')).status).toBe(403);
      });
    });

    it('refuses when a predicate throws', async () => {
      await withApp(adapter, {}, [PaymentsController], async call => {
        expect((await call('/payments/broken', CALLER_DN)).body.code).toBe('caller_not_allowed');
      });
    });

    it('uses the module-level allowedCallers where no decorator says otherwise', async () => {
      await withApp(adapter, { allowedCallers: ['/C=GB/O=Acme Ltd/OU=Payments/CN=service1'] }, [PlainController, PaymentsController], async call => {
        expect((await call('/plain', CALLER_DN)).status).toBe(200);
        expect((await call('/plain', 'CN=intruder,O=Acme Ltd')).status).toBe(403);
        expect((await call('/payments', 'CN=intruder,OU=Payments,O=Acme Ltd')).status).toBe(200);
      });
    });

    it('checks the audience before the caller: a token for another route is 401, not 403', async () => {
      const { app } = await createTestApp(baseOptions(), { adapter, controllers: [PaymentsController] });
      try {
        const token = await mint(key, '/payments', { claims: { sub: 'CN=intruder,O=Acme Ltd' } });
        const response = await request(app.getHttpServer()).get('/payments/strict').set('Authorization', `Bearer ${token}`);
        expect([response.status, response.body.code]).toEqual([401, 'audience_mismatch']);
      } finally {
        await app.close();
      }
    });
  });
});

describe('misuse is refused at startup', () => {
  it('names a malformed DN in @AllowCallers and an unknown attribute in @GatewaySubject', async () => {
    @Controller('bad')
    class BadController {
      @AllowCallers('CN=ok,O=Acme', 'CN=broken,,O=Acme')
      @Get()
      bad(@GatewaySubject('favouriteColour') colour: string) {
        return { colour };
      }

      @Public()
      @AllowCallers(CALLER_DN)
      @Get('open')
      open() {
        return {};
      }
    }
    expect(await startupFailure({}, [BadController])).toEqual([
      expect.stringMatching(/^BadController\.bad: @GatewaySubject\("favouriteColour"\) names no attribute type/),
      expect.stringMatching(/^BadController\.bad: @AllowCallers\(\): "CN=broken,,O=Acme" is not a distinguished name/),
      expect.stringMatching(/^BadController\.open: has @AllowCallers\(\) but is @Public\(\)/),
    ]);
  });

  it("refuses DN decorators and DN allow-lists with subjectFormat: 'opaque'", async () => {
    expect(await startupFailure({ subjectFormat: 'opaque' }, [WhoController])).toEqual([
      expect.stringMatching(/^WhoController\.who: uses @GatewayCaller\(\), which needs a DN in sub/),
      expect.stringMatching(/^WhoController\.who: uses @GatewaySubject\("organizationalUnitName"\), which needs a DN/),
      expect.stringMatching(/^WhoController\.who: uses @GatewaySubject\("CN"\), which needs a DN/),
    ]);
    expect(await startupFailure({ subjectFormat: 'opaque' }, [PaymentsController])).toEqual([
      expect.stringMatching(/^PaymentsController\.strict: @AllowCallers\(\) lists DNs, but subjectFormat is 'opaque'/),
    ]);
    expect(await startupFailure({ subjectFormat: 'opaque', allowedCallers: [CALLER_DN] }, [PlainController])).toEqual([
      expect.stringMatching(/^allowedCallers: DN strings need a DN in sub, but subjectFormat is 'opaque'/),
    ]);
  });

  it('refuses a malformed module-level allowedCallers and an unknown subjectFormat', async () => {
    expect(await startupFailure({ allowedCallers: ['not a dn'], subjectFormat: 'x509' as never }, [PlainController])).toEqual([
      expect.stringMatching(/^subjectFormat: must be 'rfc4514', 'openssl' or 'opaque'/),
      expect.stringMatching(/^allowedCallers: "not a dn" is not a distinguished name/),
    ]);
  });
});
