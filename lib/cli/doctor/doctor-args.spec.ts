import { DEFAULT_ROUTE, parseDoctorArgs, parseRoute } from './doctor-args.js';
import { UsageError } from './usage-error.js';

const usage = (argv: string[]): UsageError => {
  try {
    parseDoctorArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
};

describe('parseDoctorArgs', () => {
  it('reads every setting flag', () => {
    const args = parseDoctorArgs([
      'eyJ.a.b',
      '--config', 'gw.json',
      '--jwks-uri', 'https://gw.example.com/jwks',
      '--issuer', 'CN=A', '--issuer', 'CN=B',
      '--audience-base', 'https://api.example.com',
      '--algorithms', 'RS256, ES256', '--algorithms', 'PS256',
      '--clock-tolerance', '45',
      '--token-header', 'x-gateway-jwt',
      '--subject-format', 'openssl',
      '--jwks-ca', 'a.pem', '--jwks-ca', 'b.pem',
      '--jwks-cert', 'c.pem',
      '--jwks-key', 'k.pem',
      '--route', 'post /orders?x=1',
      '--json',
    ]);
    expect(args).toEqual({
      help: false,
      json: true,
      token: { kind: 'argument', token: 'eyJ.a.b' },
      route: { method: 'POST', target: '/orders?x=1' },
      config: 'gw.json',
      jwksUri: 'https://gw.example.com/jwks',
      issuers: ['CN=A', 'CN=B'],
      audienceBase: 'https://api.example.com',
      audiences: [],
      algorithms: ['RS256', 'ES256', 'PS256'],
      clockToleranceSeconds: 45,
      tokenHeader: 'x-gateway-jwt',
      subjectFormat: 'openssl',
      jwksCa: ['a.pem', 'b.pem'],
      jwksCert: 'c.pem',
      jwksKey: 'k.pem',
    });
  });

  it('leaves unset options out, and checks GET / by default', () => {
    const args = parseDoctorArgs(['--token', 'eyJ.a.b']);
    expect(args.route).toEqual(DEFAULT_ROUTE);
    expect(args.token).toEqual({ kind: 'argument', token: 'eyJ.a.b' });
    expect(Object.keys(args).sort()).toEqual(['algorithms', 'audiences', 'help', 'issuers', 'json', 'jwksCa', 'route', 'token']);
  });

  it('reads the token from a file, or from stdin for "-" or nothing', () => {
    expect(parseDoctorArgs(['--token-file', 't.txt']).token).toEqual({ kind: 'file', path: 't.txt' });
    expect(parseDoctorArgs(['-']).token).toEqual({ kind: 'stdin' });
    expect(parseDoctorArgs([]).token).toEqual({ kind: 'stdin' });
    expect(parseDoctorArgs(['--audience', 'urn:svc', '--audience', 'urn:other']).audiences).toEqual(['urn:svc', 'urn:other']);
  });

  it('knows --help and -h', () => {
    expect(parseDoctorArgs(['--help']).help).toBe(true);
    expect(parseDoctorArgs(['-h']).help).toBe(true);
  });

  it('refuses unknown flags, naming the flag but no value', () => {
    const error = usage(['--tokn=eyJhbGciOiJSUzI1NiJ9.e30.c2ln']);
    expect(error.message).toMatch(/^unknown flag --tokn \(known: --token, /);
    expect(error.message).not.toContain('eyJ');
  });

  it('refuses a flag without its value, and a value for a switch', () => {
    expect(usage(['--jwks-uri']).message).toBe('--jwks-uri: expected a value');
    expect(usage(['--json=yes']).message).toBe('--json: takes no value');
    expect(usage(['--jwks-uri', ' ']).message).toBe('--jwks-uri: expected a value');
  });

  it('refuses two token sources and extra arguments, without echoing them', () => {
    expect(usage(['eyJ.a.b', '--token-file', 't.txt']).message).toMatch(/give the token once/);
    expect(usage(['--token', 'eyJ.a.b', '-']).message).toMatch(/give the token once/);
    const extra = usage(['eyJ.a.b', 'eyJ.c.d']);
    expect(extra.message).toBe('expected at most one token argument, got 2 arguments');
  });

  it('refuses a clock tolerance that is not a number of seconds', () => {
    expect(usage(['--clock-tolerance', '30s']).message).toMatch(/^--clock-tolerance: expected a number of seconds/);
    expect(usage(['--clock-tolerance', '-1']).message).toMatch(/--clock-tolerance/);
  });
});

describe('parseRoute', () => {
  it('reads METHOD and path, or a bare path as GET', () => {
    expect(parseRoute('GET /orders/42')).toEqual({ method: 'GET', target: '/orders/42' });
    expect(parseRoute('  delete   /orders/42 ')).toEqual({ method: 'DELETE', target: '/orders/42' });
    expect(parseRoute('/orders?page=2')).toEqual({ method: 'GET', target: '/orders?page=2' });
  });

  it('refuses a URL, a path without "/", a bad method, and extra words', () => {
    expect(() => parseRoute('GET https://api.example.com/orders')).toThrow(/must start with "\/"/);
    expect(() => parseRoute('GET orders')).toThrow(/must start with "\/"/);
    expect(() => parseRoute('G3T /orders')).toThrow(/not an HTTP method/);
    expect(() => parseRoute('GET /a /b')).toThrow(/expected 'METHOD \/path'/);
    expect(() => parseRoute('  ')).toThrow(UsageError);
  });
});
