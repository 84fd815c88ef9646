import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { VerifiedCaller } from '../caller/gateway-caller.js';
import { AllowCallers } from '../decorators/allow-callers.decorator.js';
import { GatewayAudience } from '../decorators/gateway-audience.decorator.js';
import { Public } from '../decorators/public.decorator.js';
import { GatewayAuthConfigError } from '../errors/gateway-auth.error.js';
import { GatewayAuthHttpException } from '../errors/to-http-exception.js';
import { GatewayAuthTestingModule } from './gateway-auth-testing.module.js';
import { TestGatewayIdentityGuard } from './test-gateway-identity.guard.js';
import { createTestGatewayIdentity } from './test-gateway-identity.js';

describe('createTestGatewayIdentity', () => {
  it('builds the frozen identity the strategy would, for the default caller', () => {
    const identity = createTestGatewayIdentity();
    expect(identity.subject).toBe('CN=test-caller,O=Test');
    expect(identity.issuer).toBe('CN=Test Gateway,O=Test');
    expect(identity.caller).toBeInstanceOf(VerifiedCaller);
    expect(identity.caller.get('CN')).toBe('test-caller');
    expect(identity.claims).toEqual({
      iss: 'CN=Test Gateway,O=Test',
      sub: 'CN=test-caller,O=Test',
      aud: 'https://api.example.test/',
      iat: expect.any(Number),
      exp: identity.claims.iat as number + 60,
      jti: expect.any(String),
    });
    expect([Object.isFrozen(identity), Object.isFrozen(identity.claims), Object.isFrozen(identity.caller)]).toEqual([true, true, true]);
  });

  it('takes a caller in any format, extra claims, issuer and audience', () => {
    const identity = createTestGatewayIdentity('/C=GB/O=Acme Ltd/OU=Payments/CN=service1', {
      subjectFormat: 'openssl',
      issuer: 'CN=IAG,O=Example',
      audience: ['https://a.example/x', 'https://b.example/y'],
      claims: { scope: 'orders:read' },
    });
    expect(identity.caller.is('CN=service1,OU=Payments,O=Acme Ltd,C=GB')).toBe(true);
    expect(identity.claims).toMatchObject({ iss: 'CN=IAG,O=Example', aud: ['https://a.example/x', 'https://b.example/y'], scope: 'orders:read' });
    expect(createTestGatewayIdentity('client-1', { subjectFormat: 'opaque' }).caller.dn).toBe('client-1');
  });

  it('refuses what is not a DN, and claims that would contradict the identity', () => {
    expect(() => createTestGatewayIdentity('service1')).toThrow(/createTestGatewayIdentity\(\): the caller "service1" is not a DN in rfc4514 form/);
    expect(() => createTestGatewayIdentity('')).toThrow(/the caller must be a non-empty DN string, got ""/);
    expect(() => createTestGatewayIdentity(undefined, { claims: { sub: 'CN=x' } })).toThrow('claims.sub is not settable: the caller is the sub');
    expect(() => createTestGatewayIdentity(undefined, { claims: { iss: 'CN=x' } })).toThrow('claims.iss is not settable: use the issuer option');
    expect(() => createTestGatewayIdentity(undefined, { audience: [] })).toThrow('audience must be a non-empty string or list of them, got []');
    expect(() => createTestGatewayIdentity(undefined, { subjectformat: 'openssl' } as never)).toThrow(/unknown option "subjectformat"/);
  });
});

/** A hand-made HTTP execution context: the guard needs no Nest application to be unit-tested. */
function httpContext(handler: Function, controller: Function, path = '/orders') {
  const request: { method: string; originalUrl: string; headers: Record<string, string>; user?: unknown } = { method: 'GET', originalUrl: path, headers: {} };
  const headers: Record<string, string> = {};
  const response = { setHeader: (name: string, value: string) => (headers[name] = value) };
  const context = {
    getType: () => 'http',
    getHandler: () => handler,
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
  return { context, request, headers };
}

class OrdersController {
  list() {}
  @AllowCallers('CN=service1,OU=Payments,O=Acme Ltd,C=GB')
  payments() {}
  @Public()
  health() {}
  @GatewayAudience('urn:example:reports')
  reports() {}
}
const proto = OrdersController.prototype;

describe('TestGatewayIdentityGuard (no Nest application)', () => {
  it('puts the identity on the request, with aud = the route URL', () => {
    const guard = new TestGatewayIdentityGuard();
    const { context, request } = httpContext(proto.list, OrdersController, '/orders?page=2');
    expect(guard.canActivate(context)).toBe(true);
    const identity = request.user as ReturnType<typeof createTestGatewayIdentity>;
    expect(identity.subject).toBe('CN=test-caller,O=Test');
    expect(identity.claims.aud).toBe('https://api.example.test/orders');
    expect(Object.isFrozen(identity)).toBe(true);
  });

  it('writes a @GatewayAudience() value as the aud', () => {
    const { context, request } = httpContext(proto.reports, OrdersController, '/reports');
    new TestGatewayIdentityGuard().canActivate(context);
    expect((request.user as { claims: { aud: unknown } }).claims.aud).toBe('urn:example:reports');
  });

  it('lets a @Public() route through without a caller', () => {
    const guard = new TestGatewayIdentityGuard().setCaller(null);
    const { context, request } = httpContext(proto.health, OrdersController, '/health');
    expect(guard.canActivate(context)).toBe(true);
    expect(request.user).toBeUndefined();
  });

  it('refuses a caller @AllowCallers() does not name, as the real guard does (403 insufficient_scope)', () => {
    const guard = new TestGatewayIdentityGuard(undefined, undefined, new Reflector());
    const { context, headers } = httpContext(proto.payments, OrdersController, '/payments');
    let thrown: unknown;
    try {
      guard.canActivate(context);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayAuthHttpException);
    expect((thrown as GatewayAuthHttpException).getStatus()).toBe(403);
    expect((thrown as GatewayAuthHttpException).getResponse()).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      code: 'caller_not_allowed',
      message: 'The caller is not allowed to use this resource',
    });
    expect(headers['WWW-Authenticate']).toBe('Bearer realm="api", error="insufficient_scope", error_description="The caller is not allowed to use this resource"');

    guard.setCaller('cn=service1, ou=payments, o=acme ltd, c=gb');
    expect(guard.caller).toBe('cn=service1, ou=payments, o=acme ltd, c=gb');
    expect(guard.canActivate(httpContext(proto.payments, OrdersController, '/payments').context)).toBe(true);
    expect(guard.caller).toBe('cn=service1, ou=payments, o=acme ltd, c=gb');
  });

  it('answers 401 token_missing when there is no caller', () => {
    const guard = new TestGatewayIdentityGuard().setCaller(null);
    const { context, headers } = httpContext(proto.list, OrdersController);
    expect(() => guard.canActivate(context)).toThrow(expect.objectContaining({ reason: expect.objectContaining({ code: 'token_missing' }) }));
    expect(headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="api"' });
    expect(guard.caller).toBeUndefined();
  });

  it('refuses non-HTTP handlers, as the real guard does', () => {
    const { context } = httpContext(proto.list, OrdersController);
    const rpc = { ...context, getType: () => 'rpc', getHandler: context.getHandler, getClass: context.getClass } as unknown as ExecutionContext;
    expect(() => new TestGatewayIdentityGuard().canActivate(rpc)).toThrow('TestGatewayIdentityGuard, like GatewayAuthGuard, protects HTTP routes only; mark OrdersController.list @Public() to run it over rpc');
  });

  it('goes back to its configured caller on reset()', () => {
    const Preset = TestGatewayIdentityGuard.withCaller('CN=service1,OU=Payments,O=Acme Ltd,C=GB', { claims: { scope: 'a' } });
    const guard = new Preset();
    expect(guard.setCaller(null).caller).toBeUndefined();
    expect(guard.reset().caller).toBe('CN=service1,OU=Payments,O=Acme Ltd,C=GB');
    const { context, request } = httpContext(proto.list, OrdersController);
    guard.canActivate(context);
    expect((request.user as { claims: Record<string, unknown> }).claims['scope']).toBe('a');
    expect(new TestGatewayIdentityGuard().setCaller('CN=x,O=y').reset().caller).toBe('CN=test-caller,O=Test');
    expect(TestGatewayIdentityGuard.withCaller(null).name).toBe('TestGatewayIdentityGuard');
    expect(new (TestGatewayIdentityGuard.withCaller(null))().caller).toBeUndefined();
  });

  it('checks a caller when it is set', () => {
    expect(() => new TestGatewayIdentityGuard().setCaller('nobody')).toThrow(/TestGatewayIdentityGuard\.setCaller\(\): the caller "nobody" is not a DN in rfc4514 form/);
    expect(() => TestGatewayIdentityGuard.withCaller('' as never)).toThrow(/withCaller\(\): the caller must be a non-empty DN string or null, got ""/);
  });
});

describe('GatewayAuthTestingModule.forRoot', () => {
  it('checks the caller and options where the test names them', () => {
    expect(() => GatewayAuthTestingModule.withCaller('service1')).toThrow(/GatewayAuthTestingModule\.forRoot\(\): the caller "service1" is not a DN in rfc4514 form/);
    expect(() => GatewayAuthTestingModule.forRoot({ allowedCallers: ['not a dn'] })).toThrow(GatewayAuthConfigError);
    expect(() => GatewayAuthTestingModule.forRoot({ audienceBase: 'nope' })).toThrow(/audience\.baseUrl: must be an absolute http: or https: URL/);
    expect(() => GatewayAuthTestingModule.forRoot({ user: 'CN=x' } as never)).toThrow(/unknown option "user" \(known: caller, claims, issuer, audienceBase, subjectFormat, allowedCallers, realm\)/);
    expect(() => GatewayAuthTestingModule.forRoot({ caller: 42 as never })).toThrow('caller must be a DN string, or null for no caller');
    expect(GatewayAuthTestingModule.withCaller(null).module).toBe(GatewayAuthTestingModule);
    expect(GatewayAuthTestingModule.forRoot({ subjectFormat: 'openssl' }).global).toBe(true);
  });
});
