import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { resolveGatewayAuthOptions } from '../gateway-auth.options.js';
import { createTestGateway, type TestGateway } from './test-gateway.js';
import { generateTestSigningKey } from './test-signing-key.js';

async function publishedKids(gateway: TestGateway): Promise<string[]> {
  const response = await fetch(gateway.jwksUri);
  const body = (await response.json()) as { keys: { kid: string }[] };
  return body.keys.map(key => key.kid);
}

describe('createTestGateway', () => {
  let gateway: TestGateway;
  beforeEach(async () => {
    gateway = await createTestGateway();
  });
  afterEach(async () => gateway.close());

  it('hands out module options the library accepts, pointing at its loopback JWKS', () => {
    expect(gateway.options).toEqual({
      jwksUri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/),
      issuer: 'CN=Test Gateway,O=Test',
      audience: { baseUrl: 'https://api.example.test' },
      algorithms: ['RS256'],
      jwks: { cooldownMs: 100 },
    });
    expect(gateway.options.jwksUri).toBe(gateway.jwksUri);
    expect(Object.isFrozen(gateway.options)).toBe(true);
    const resolved = resolveGatewayAuthOptions(gateway.options);
    expect(resolved.issuers).toEqual([gateway.issuer]);
    expect(gateway.caller).toBe('CN=test-caller,O=Test');
    expect(gateway.audienceBase).toBe('https://api.example.test');
  });

  it('mints tokens its JWKS verifies, with the gateway claims and a 60 s lifetime', async () => {
    const token = gateway.mint({ scope: 'orders:read' });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet((await (await fetch(gateway.jwksUri)).json()) as never), {
      issuer: gateway.issuer,
      algorithms: ['RS256'],
    });
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: gateway.signingKey.kid, typ: 'JWT' });
    expect(payload).toEqual({
      iss: 'CN=Test Gateway,O=Test',
      sub: 'CN=test-caller,O=Test',
      aud: 'https://api.example.test/',
      iat: expect.any(Number),
      exp: (payload.iat as number) + 60,
      jti: expect.any(String),
      scope: 'orders:read',
    });
    expect(gateway.jwks.fetchCount).toBe(1);
  });

  it('mints for a route, with aud = base URL + path', () => {
    expect(gateway.audienceFor('/orders/42')).toBe('https://api.example.test/orders/42');
    const claims = decodeJwt(gateway.forRoute('get', '/orders/42', { sub: 'CN=svc2,O=Test' }));
    expect([claims.aud, claims.sub]).toEqual(['https://api.example.test/orders/42', 'CN=svc2,O=Test']);
    expect(decodeJwt(gateway.forRoute('POST', '/orders?dry=1')).aud).toBe('https://api.example.test/orders?dry=1');
  });

  it('refuses a route it cannot mint for', () => {
    expect(() => gateway.forRoute('FETCH', '/orders')).toThrow("TestGateway.forRoute(): method must be an HTTP method such as 'GET' or 'POST', got \"FETCH\"");
    expect(() => gateway.forRoute('GET', 'orders')).toThrow('TestGateway.forRoute(): path must start with "/" and have no fragment or whitespace');
    expect(() => gateway.forRoute('GET', '/orders#top')).toThrow(/path must start with "\/"/);
    expect(() => gateway.forRoute('GET', '/orders', { aud: 'x' })).toThrow('TestGateway.forRoute(): aud is set from the path; use mint({ aud }) for another audience');
    expect(() => gateway.audienceFor('orders')).toThrow(/TestGateway\.audienceFor\(\): path must start/);
  });

  it('mints for another caller with withCaller()', () => {
    const intruder = gateway.withCaller('CN=intruder,O=Acme Ltd');
    expect(intruder.caller).toBe('CN=intruder,O=Acme Ltd');
    expect(decodeJwt(intruder.forRoute('GET', '/payments'))).toMatchObject({ sub: 'CN=intruder,O=Acme Ltd', aud: 'https://api.example.test/payments' });
    expect(decodeJwt(intruder.expired()).sub).toBe('CN=intruder,O=Acme Ltd');
    expect(decodeJwt(gateway.mint()).sub).toBe('CN=test-caller,O=Test');
    expect(() => gateway.withCaller('intruder')).toThrow('TestGateway.withCaller(): caller "intruder" is not a DN in rfc4514 form');
    expect(() => intruder.forRoute('GET', 'x')).toThrow('TestGateway.withCaller("CN=intruder,O=Acme Ltd").forRoute(): path must start with "/"');
    expect(() => intruder.notYetValid({ nbf: 1 })).toThrow('nbf is set by notYetValid(); use mint() to choose it');
  });

  it('mints expired and not-yet-valid tokens beyond any clock tolerance', () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = decodeJwt(gateway.expired({ aud: gateway.audienceFor('/orders') }));
    expect(expired.exp).toBeLessThanOrEqual(now - 600);
    expect(expired.exp).toBeGreaterThan(now - 602);
    expect(expired.iat).toBe((expired.exp as number) - 60);
    expect(expired.aud).toBe('https://api.example.test/orders');
    const early = decodeJwt(gateway.notYetValid());
    expect(early.nbf).toBeGreaterThanOrEqual(now + 600);
    expect(early.exp).toBe((early.nbf as number) + 60);
    expect(() => gateway.expired({ exp: 1 })).toThrow('TestGateway.expired(): exp is set by expired(); use mint() to choose it');
    expect(() => gateway.notYetValid({}, { notBefore: 5 } as never)).toThrow('TestGateway.notYetValid(): unknown option "notBefore" (known: header, omit, key)');
  });

  it('signs with an older key, by kid, or with a key it never published', async () => {
    const first = gateway.signingKey;
    await gateway.rotate();
    expect(decodeProtectedHeader(gateway.mint()).kid).toBe(gateway.signingKey.kid);
    expect(decodeProtectedHeader(gateway.mint({}, { key: first.kid })).kid).toBe(first.kid);
    const stranger = await generateTestSigningKey('RS256', { kid: 'stranger' });
    expect(decodeProtectedHeader(gateway.mint({}, { key: stranger })).kid).toBe('stranger');
    expect(() => gateway.mint({}, { key: 'nope' })).toThrow(`TestGateway.mint(): key "nope" is not a kid of this gateway (kids: ${first.kid}, ${gateway.signingKey.kid})`);
  });

  it('rotates: the new key signs and is published, the old one kept or withdrawn', async () => {
    const first = gateway.signingKey;
    const second = await gateway.rotate({ kid: 'second' });
    expect(gateway.signingKey).toBe(second);
    expect(gateway.keys.map(key => key.kid)).toEqual([first.kid, 'second']);
    expect(await publishedKids(gateway)).toEqual([first.kid, 'second']);
    await gateway.rotate({ kid: 'third', keepPrevious: false });
    expect(await publishedKids(gateway)).toEqual(['third']);
    expect(gateway.keys).toHaveLength(3);
    await expect(gateway.rotate({ kid: 'third' })).rejects.toThrow('TestGateway.rotate(): kid "third" is already used by a key of this gateway');
    await expect(gateway.rotate({ algorithm: 'ES256' })).rejects.toThrow(
      "TestGateway.rotate(): ES256 is not among the algorithms the application accepts (RS256); pass algorithms: ['RS256', 'ES256'] to createTestGateway()",
    );
    await expect(gateway.rotate({ keepPrevious: 'no' } as never)).rejects.toThrow('keepPrevious must be true or false, got "no"');
  });

  it('waits out the JWKS cooldown after a fetch before rotate() resolves', async () => {
    // EdDSA keys take a millisecond to make, so the wait is rotate()'s own.
    await using fast = await createTestGateway({ algorithm: 'EdDSA', cooldownMs: 300 });
    const started = Date.now();
    await fast.rotate();
    expect(Date.now() - started).toBeLessThan(250);
    await fetch(fast.jwksUri);
    const fetchedAt = fast.jwks.lastFetchAt as number;
    await fast.rotate();
    expect(Date.now() - fetchedAt).toBeGreaterThanOrEqual(300);
  });

  it('supports await using, and close() twice', async () => {
    let uri = '';
    {
      await using scoped = await createTestGateway({ algorithm: 'EdDSA' });
      uri = scoped.jwksUri;
      expect((await fetch(uri)).status).toBe(200);
    }
    await expect(fetch(uri)).rejects.toThrow();
    await gateway.close();
  });
});

describe('createTestGateway options', () => {
  it('takes another algorithm, issuer, base URL, caller and lifetime', async () => {
    await using gateway = await createTestGateway({
      algorithm: 'ES384',
      algorithms: ['ES384', 'PS256'],
      kid: 'gw-1',
      issuer: 'CN=IAG Signing,O=Example',
      audienceBase: 'https://api.example.com/service2/',
      caller: 'CN=service1,OU=Payments,O=Acme Ltd,C=GB',
      ttlSeconds: 5,
      cooldownMs: 250,
      cacheMaxAgeSeconds: 30,
    });
    expect(gateway.options).toMatchObject({
      issuer: 'CN=IAG Signing,O=Example',
      audience: { baseUrl: 'https://api.example.com/service2' },
      algorithms: ['ES384', 'PS256'],
      jwks: { cooldownMs: 250 },
    });
    expect((await fetch(gateway.jwksUri)).headers.get('cache-control')).toBe('public, max-age=30');
    const token = gateway.forRoute('GET', '/orders');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES384', kid: 'gw-1', typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: 'CN=IAG Signing,O=Example', sub: 'CN=service1,OU=Payments,O=Acme Ltd,C=GB', aud: 'https://api.example.com/service2/orders' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(5);
    const rotated = await gateway.rotate({ algorithm: 'PS256' });
    expect(rotated.alg).toBe('PS256');
  });

  it('writes the default caller in the subject format asked for', async () => {
    await using openssl = await createTestGateway({ subjectFormat: 'openssl' });
    expect(openssl.caller).toBe('/O=Test/CN=test-caller');
    expect(openssl.options.subjectFormat).toBe('openssl');
    await using opaque = await createTestGateway({ subjectFormat: 'opaque', caller: 'client-8f2a' });
    expect(decodeJwt(opaque.mint()).sub).toBe('client-8f2a');
  });

  it.each([
    [{ algorithm: 'HS256' }, /algorithm must be one of RS256, .* got "HS256" \(a gateway signs with a private key/],
    [{ algorithm: 'ES256', algorithms: ['RS256'] }, /algorithms \[RS256\] must include the signing algorithm ES256/],
    [{ algorithms: [] }, /algorithms must be a non-empty list, got \[\]/],
    [{ issuer: '' }, /issuer must be a non-empty string, got ""/],
    [{ audienceBase: 'api.example.com' }, /audienceBase must be an absolute http: or https: URL without credentials, query or fragment, got "api\.example\.com"/],
    [{ audienceBase: 'https://api.example.com/?x=1' }, /audienceBase must be an absolute http: or https: URL/],
    [{ caller: 'service1' }, /caller "service1" is not a DN in rfc4514 form: /],
    [{ caller: '/C=GB/CN=svc' }, /is not a DN in rfc4514 form: .*; for OpenSSL's slash form set subjectFormat: 'openssl'/],
    [{ subjectFormat: 'x509' }, /subjectFormat must be 'rfc4514', 'openssl' or 'opaque', got "x509"/],
    [{ ttlSeconds: 0 }, /ttlSeconds must be a finite number from 1 to 86400 \(seconds\), got 0/],
    [{ cooldownMs: 10 }, /cooldownMs must be a finite number from 100 to 3600000 \(milliseconds\), got 10/],
    [{ jwksUri: 'x' }, /unknown option "jwksUri" \(known: algorithm, algorithms, kid, issuer, audienceBase, caller, subjectFormat, ttlSeconds, cooldownMs, cacheMaxAgeSeconds\)/],
  ])('refuses %j', async (options, message) => {
    await expect(createTestGateway(options as never)).rejects.toThrow(message);
  });
});
