import { parseDoctorArgs } from './doctor-args.js';
import { buildModuleOptions, readToken } from './doctor-settings.js';
import { UsageError } from './usage-error.js';

const PEM = (label: string): string => `-----BEGIN CERTIFICATE-----\n${label}\n-----END CERTIFICATE-----\n`;

/** A file system of a few files under /cfg and /work. */
function files(entries: Record<string, string>, extra: { stdin?: string; tty?: boolean } = {}) {
  const read: string[] = [];
  return {
    read,
    io: {
      cwd: '/work',
      readFile: async (path: string): Promise<string> => {
        read.push(path);
        const text = entries[path];
        if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
        return text;
      },
      readStdin: async (): Promise<string> => extra.stdin ?? '',
      stdinIsTTY: extra.tty ?? false,
    },
  };
}

const build = (argv: string[], fs = files({})) => buildModuleOptions(parseDoctorArgs(argv), fs.io);

describe('buildModuleOptions', () => {
  it('maps each flag to its module option', async () => {
    const fs = files({ '/work/ca.pem': PEM('ca'), '/work/c.pem': PEM('cert'), '/work/k.pem': 'KEY' });
    const options = await build(
      [
        '--jwks-uri', 'https://gw.example.com/jwks',
        '--issuer', 'CN=IAG',
        '--audience-base', 'https://api.example.com',
        '--algorithms', 'ES256',
        '--clock-tolerance', '10',
        '--token-header', 'x-jwt',
        '--subject-format', 'openssl',
        '--jwks-ca', 'ca.pem', '--jwks-cert', 'c.pem', '--jwks-key', 'k.pem',
      ],
      fs,
    );
    expect(options).toEqual({
      jwksUri: 'https://gw.example.com/jwks',
      issuer: 'CN=IAG',
      audience: { baseUrl: 'https://api.example.com' },
      algorithms: ['ES256'],
      clockToleranceSeconds: 10,
      tokenHeader: 'x-jwt',
      subjectFormat: 'openssl',
      jwks: { ca: PEM('ca'), cert: PEM('cert'), key: 'KEY' },
    });
  });

  it('lets flags override the config file, keeping what they do not set', async () => {
    const fs = files({
      '/cfg/gw.json': JSON.stringify({
        jwksUri: 'https://old.example.com/jwks',
        issuer: 'CN=Old',
        audience: { baseUrl: 'https://old.example.com', match: 'prefix' },
        requiredClaims: ['jti'],
        jwks: { timeoutMs: 2000, prefetch: 'fail' },
      }),
    });
    const options = await build(['--config', '/cfg/gw.json', '--issuer', 'CN=New', '--issuer', 'CN=Newer', '--audience-base', 'https://api.example.com'], fs);
    expect(options).toEqual({
      jwksUri: 'https://old.example.com/jwks',
      issuer: ['CN=New', 'CN=Newer'],
      audience: { baseUrl: 'https://api.example.com', match: 'prefix' },
      requiredClaims: ['jti'],
      // The doctor fetches the keys itself.
      jwks: { timeoutMs: 2000, prefetch: 'off' },
    });
  });

  it('replaces a derived audience with a fixed one, and an issuer with pinning', async () => {
    const fs = files({ '/cfg/gw.json': JSON.stringify({ audience: { baseUrl: 'https://a', match: 'prefix' }, issuer: 'CN=Old' }), '/work/pin.pem': PEM('pin') });
    expect(await build(['--config', '/cfg/gw.json', '--audience', 'urn:svc', '--issuer-ca', 'pin.pem'], fs)).toEqual({
      audience: { value: 'urn:svc' },
      issuer: { fromCertificate: { ca: PEM('pin') } },
    });
  });

  it('reads PEM paths in the config file relative to it, and keeps inline PEM', async () => {
    const fs = files({
      '/cfg/gw.json': JSON.stringify({ jwks: { ca: ['ca.pem', PEM('inline')], cert: 'tls/c.pem', key: 'tls/k.pem' }, issuer: { fromCertificate: { ca: '/abs/pin.pem', match: 'cn' } } }),
      '/cfg/ca.pem': PEM('ca'),
      '/cfg/tls/c.pem': PEM('cert'),
      '/cfg/tls/k.pem': 'KEY',
      '/abs/pin.pem': PEM('pin'),
    });
    expect(await build(['--config', '/cfg/gw.json'], fs)).toEqual({
      jwks: { ca: [PEM('ca'), PEM('inline')], cert: PEM('cert'), key: 'KEY' },
      issuer: { fromCertificate: { ca: PEM('pin'), match: 'cn' } },
    });
  });

  it('refuses conflicting flags, unreadable files and configs that are not a JSON object', async () => {
    await expect(build(['--issuer', 'CN=A', '--issuer-ca', 'x.pem'])).rejects.toThrow(/--issuer .* or --issuer-ca/);
    await expect(build(['--audience-base', 'https://a', '--audience', 'b'])).rejects.toThrow(/not both/);
    await expect(build(['--jwks-ca', 'missing.pem'])).rejects.toThrow('--jwks-ca: cannot read missing.pem (ENOENT)');
    await expect(build(['--config', '/cfg/list.json'], files({ '/cfg/list.json': '[1]' }))).rejects.toThrow(/must hold a JSON object/);
  });

  it('does not quote a config file that is not JSON (it may hold a key)', async () => {
    const error = await build(['--config', '/cfg/bad.json'], files({ '/cfg/bad.json': '{"jwks": {"key": "-----BEGIN PRIVATE KEY-----SECRET' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe('--config: /cfg/bad.json is not valid JSON');
  });
});

describe('readToken', () => {
  it('takes the argument, a file or stdin, without Bearer and whitespace', async () => {
    const fs = files({ '/work/t.txt': 'Bearer eyJ.a.b\n' }, { stdin: '  Authorization: Bearer eyJ.c.\n d \n' });
    expect(await readToken({ kind: 'argument', token: 'eyJ.x.y' }, fs.io)).toBe('eyJ.x.y');
    expect(await readToken({ kind: 'file', path: 't.txt' }, fs.io)).toBe('eyJ.a.b');
    expect(await readToken({ kind: 'stdin' }, fs.io)).toBe('eyJ.c.d');
  });

  it('refuses a terminal on stdin, an empty token and an unreadable file', async () => {
    await expect(readToken({ kind: 'stdin' }, files({}, { tty: true }).io)).rejects.toThrow(/no token given/);
    await expect(readToken({ kind: 'stdin' }, files({}, { stdin: '\n' }).io)).rejects.toThrow('no token on stdin');
    await expect(readToken({ kind: 'file', path: 'nope.txt' }, files({}).io)).rejects.toThrow('--token-file: cannot read nope.txt (ENOENT)');
  });
});
