import { GatewayAuthConfigError } from './errors/gateway-auth.error.js';
import { DEFAULTS, resolveGatewayAuthOptions } from './gateway-auth.options.js';

const valid = {
  jwksUri: 'https://gateway.example.com/.well-known/jwks.json',
  issuer: 'CN=IAG Signing,O=Example',
  audience: { baseUrl: 'https://api.example.com' },
};

function issuesOf(input: unknown): readonly string[] {
  try {
    resolveGatewayAuthOptions(input);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayAuthConfigError);
    expect((error as GatewayAuthConfigError).code).toBe('config_invalid');
    return (error as GatewayAuthConfigError).issues;
  }
  throw new Error('expected a configuration error');
}

describe('resolveGatewayAuthOptions', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveGatewayAuthOptions(valid);
    expect(resolved).toEqual({
      jwksUri: valid.jwksUri,
      issuers: [valid.issuer],
      audience: {
        kind: 'route',
        base: { origin: 'https://api.example.com', path: '/', query: undefined },
        matching: { mode: 'exact', includeQuery: false },
        trustProxy: false,
      },
      algorithms: ['RS256', 'ES256'],
      clockToleranceSeconds: 30,
      tokenHeader: 'authorization',
      typ: undefined,
      maxTokenLength: 8192,
      realm: 'api',
      jwks: { ...DEFAULTS.jwks, ca: undefined, cert: undefined, key: undefined, headers: undefined, prefetch: 'off' },
      subjectFormat: 'rfc4514',
      allowedCallers: undefined,
      issuerPinning: undefined,
      requiredClaims: [],
      maxTokenAgeSeconds: undefined,
      replayCache: undefined,
      rejectionLogsPerMinute: 120,
      verifiedTokenCache: undefined,
      signatureVerification: 'auto',
    });
    expect(DEFAULTS.jwks).toEqual({
      cacheMaxAgeMs: 600_000,
      cacheMaxEntries: 16,
      cooldownMs: 10_000,
      staleWindowMs: 900_000,
      timeoutMs: 5_000,
      maxResponseBytes: 1_048_576,
    });
  });

  it('normalises what it can: header name, typ, static audiences', () => {
    const resolved = resolveGatewayAuthOptions({
      ...valid,
      audience: { value: ['HTTPS://Orders.Internal:443', 'orders-api'] },
      tokenHeader: 'X-Gateway-JWT',
      typ: ['application/AT+JWT', 'JWT'],
      issuer: ['a', 'b'],
    });
    expect(resolved.audience).toEqual({ kind: 'static', values: ['https://orders.internal/', 'orders-api'] });
    expect(resolved.tokenHeader).toBe('x-gateway-jwt');
    expect(resolved.typ).toEqual(['at+jwt', 'jwt']);
    expect(resolved.issuers).toEqual(['a', 'b']);
  });

  it('resolves the audience options', () => {
    const prefix = resolveGatewayAuthOptions({ ...valid, audience: { baseUrl: 'HTTPS://API.example.com:443/svc/', match: 'prefix', trustProxy: true } });
    expect(prefix.audience).toEqual({
      kind: 'route',
      base: { origin: 'https://api.example.com', path: '/svc/', query: undefined },
      matching: { mode: 'prefix', includeQuery: false },
      trustProxy: true,
    });
    const resolve = () => 'https://a.example/x';
    expect(resolveGatewayAuthOptions({ ...valid, audience: { resolve } }).audience).toEqual({
      kind: 'resolve',
      resolve,
      matching: { mode: 'exact', includeQuery: false },
    });
  });

  it('allows http: for loopback JWKS hosts only', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]']) {
      expect(() => resolveGatewayAuthOptions({ ...valid, jwksUri: `http://${host}:8080/jwks` })).not.toThrow();
    }
    expect(issuesOf({ ...valid, jwksUri: 'http://10.0.0.1/jwks' })).toEqual([expect.stringMatching(/^jwksUri: must use https:/)]);
  });

  it.each([
    ['no jwksUri', { ...valid, jwksUri: undefined }, /^jwksUri: required/],
    ['relative jwksUri', { ...valid, jwksUri: '/jwks.json' }, /^jwksUri: "\/jwks.json" is not an absolute URL/],
    ['ftp jwksUri', { ...valid, jwksUri: 'ftp://gateway.example.com/jwks' }, /^jwksUri: must be an https: URL/],
    ['credentials in jwksUri', { ...valid, jwksUri: 'https://u:p@gateway.example.com/jwks' }, /^jwksUri: must not carry credentials/],
    ['empty issuer', { ...valid, issuer: '' }, /^issuer: required/],
    ['empty issuer list', { ...valid, issuer: [] }, /^issuer: required/],
    ['no audience', { ...valid, audience: undefined }, /^audience: required/],
    ['empty audience object', { ...valid, audience: {} }, /^audience: required/],
    ['both audience kinds', { ...valid, audience: { baseUrl: 'https://a.example', value: 'x' } }, /^audience: set one of baseUrl, value or resolve, not baseUrl and value/],
    ['a bad match mode', { ...valid, audience: { baseUrl: 'https://a.example', match: 'fuzzy' } }, /^audience.match: must be 'exact' or 'prefix'/],
    ['prefix with query', { ...valid, audience: { baseUrl: 'https://a.example', match: 'prefix', includeQuery: true } }, /^audience.includeQuery: cannot be combined with match: 'prefix'/],
    ['trustProxy not a boolean', { ...valid, audience: { baseUrl: 'https://a.example', trustProxy: 'yes' } }, /^audience.trustProxy: must be true or false/],
    ['a resolver that is not a function', { ...valid, audience: { resolve: 'https://a.example' } }, /^audience.resolve: must be a function/],
    ['an option of another audience kind', { ...valid, audience: { value: 'x', match: 'prefix' } }, /^audience.match: not an option of audience.value/],
    ['relative baseUrl', { ...valid, audience: { baseUrl: 'api.example.com' } }, /^audience.baseUrl: must be an absolute/],
    ['baseUrl with query', { ...valid, audience: { baseUrl: 'https://api.example.com/?a=1' } }, /^audience.baseUrl: must not have a query string/],
    ['baseUrl with fragment', { ...valid, audience: { baseUrl: 'https://api.example.com/#x' } }, /^audience.baseUrl: must not have a query string or fragment/],
    ['empty static audience', { ...valid, audience: { value: [''] } }, /^audience.value: required/],
    ['HS256', { ...valid, algorithms: ['HS256'] }, /^algorithms: "HS256" is refused: .*HMAC with a public key/],
    ['none', { ...valid, algorithms: ['none'] }, /^algorithms: "none" is refused: .*unsigned tokens/],
    ['unknown algorithm', { ...valid, algorithms: ['RS999'] }, /^algorithms: unknown algorithm "RS999"/],
    ['empty algorithms', { ...valid, algorithms: [] }, /^algorithms: must be a non-empty list/],
    ['negative clock tolerance', { ...valid, clockToleranceSeconds: -1 }, /^clockToleranceSeconds: must be a number from 0 to 300/],
    ['huge clock tolerance', { ...valid, clockToleranceSeconds: 3600 }, /^clockToleranceSeconds: must be a number from 0 to 300/],
    ['bad token header', { ...valid, tokenHeader: 'x gateway' }, /^tokenHeader: must be an HTTP header name/],
    ['empty typ', { ...valid, typ: '' }, /^typ: required/],
    ['realm with a quote', { ...valid, realm: 'a"b' }, /^realm: must be non-empty printable ASCII/],
    ['tiny maxTokenLength', { ...valid, maxTokenLength: 10 }, /^maxTokenLength: must be a number from 256/],
    ['bad jwks timeout', { ...valid, jwks: { timeoutMs: 0 } }, /^jwks.timeoutMs: must be a number from 100/],
    ['bad jwks cooldown', { ...valid, jwks: { cooldownMs: 'long' } }, /^jwks.cooldownMs: must be a number/],
    ['an unknown jwks option', { ...valid, jwks: { requestsPerMinute: 10 } }, /^jwks.requestsPerMinute: unknown option/],
    ['a bad prefetch', { ...valid, jwks: { prefetch: 'yes' } }, /^jwks.prefetch: must be 'off', 'warn' or 'fail'/],
    ['cert without key', { ...valid, jwks: { cert: 'x' } }, /^jwks.cert and jwks.key: give both/],
    ['TLS settings on http:', { ...valid, jwksUri: 'http://127.0.0.1:1/jwks', jwks: { ca: 'x' } }, /^jwks.ca \/ jwks.cert \/ jwks.key: TLS settings need an https: jwksUri/],
    ['an issuer pinned to no CA', { ...valid, issuer: { fromCertificate: { ca: 'not pem' } } }, /^issuer.fromCertificate.ca: /],
    ['a verified-token cache with a replay cache', { ...valid, replayCache: true, verifiedTokenCache: true }, /^verifiedTokenCache: cannot be combined with replayCache/],
    ['a bad verified-token cache', { ...valid, verifiedTokenCache: { maxTtlSeconds: 0 } }, /^verifiedTokenCache.maxTtlSeconds: must be a number from 1/],
    ['a bad replay cache', { ...valid, replayCache: 'on' }, /^replayCache: true, false, or \{ maxEntries \}/],
    ['bad required claims', { ...valid, requiredClaims: [''] }, /^requiredClaims: must be a list of claim names/],
    ['a negative token age', { ...valid, maxTokenAgeSeconds: -5 }, /^maxTokenAgeSeconds: must be a number from 1/],
    ['unknown option', { ...valid, audiance: {} }, /^audiance: unknown option/],
  ])('refuses %s', (_label, input, message) => {
    expect(issuesOf(input)).toEqual([expect.stringMatching(message)]);
  });

  it('reports every problem at once, in one message', () => {
    const issues = issuesOf({ jwksUri: 'nope', issuer: 7, audience: null, algorithms: ['HS512'] });
    expect(issues).toHaveLength(4);
    try {
      resolveGatewayAuthOptions({ jwksUri: 'nope', issuer: 7, audience: null });
    } catch (error) {
      expect((error as Error).message).toMatch(/^nestjs-gateway-auth: invalid configuration:\n {2}- jwksUri: .*\n {2}- issuer: .*\n {2}- audience: /);
    }
  });

  it("takes signatureVerification 'event-loop', 'thread-pool' or 'auto', and names them otherwise", () => {
    expect(resolveGatewayAuthOptions({ ...valid, signatureVerification: 'thread-pool' }).signatureVerification).toBe('thread-pool');
    expect(resolveGatewayAuthOptions({ ...valid, signatureVerification: 'auto' }).signatureVerification).toBe('auto');
    expect(() => resolveGatewayAuthOptions({ ...valid, signatureVerification: 'worker' as never })).toThrow(
      /signatureVerification: 'event-loop', 'thread-pool' or 'auto', got "worker"/,
    );
  });

  it('refuses a non-object', () => {
    expect(issuesOf(undefined)).toEqual([expect.stringMatching(/^options: expected an object/)]);
  });
});
