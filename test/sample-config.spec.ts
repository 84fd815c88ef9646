import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayOptionsFromEnv, SampleConfigError } from '../sample/sample-config.js';

/** The sample's TLS and issuer-pinning variables: files read as PEM text. */
describe('sample configuration: JWKS transport and issuer pinning files', () => {
  let dir: string;
  const base = { GATEWAY_JWKS_URI: 'https://gw.example.com/jwks', GATEWAY_AUDIENCE_BASE: 'https://api.example.com' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sample-config-'));
    await Promise.all(['ca.pem', 'cert.pem', 'key.pem'].map(name => writeFile(join(dir, name), `-----BEGIN ${name}-----\n`)));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads GATEWAY_JWKS_CA_FILE, _CERT_FILE and _KEY_FILE into jwks.ca, .cert and .key', () => {
    const options = gatewayOptionsFromEnv({
      ...base,
      GATEWAY_ISSUER: 'CN=IAG',
      GATEWAY_JWKS_CA_FILE: join(dir, 'ca.pem'),
      GATEWAY_JWKS_CERT_FILE: join(dir, 'cert.pem'),
      GATEWAY_JWKS_KEY_FILE: join(dir, 'key.pem'),
    });
    expect(options.jwks).toEqual({ ca: '-----BEGIN ca.pem-----\n', cert: '-----BEGIN cert.pem-----\n', key: '-----BEGIN key.pem-----\n' });
    expect(options.issuer).toBe('CN=IAG');
  });

  it('pins the issuer with GATEWAY_ISSUER_CA_FILE, which makes GATEWAY_ISSUER optional', () => {
    const options = gatewayOptionsFromEnv({ ...base, GATEWAY_ISSUER_CA_FILE: join(dir, 'ca.pem') });
    expect(options.issuer).toEqual({ fromCertificate: { ca: '-----BEGIN ca.pem-----\n' } });
    expect(options).not.toHaveProperty('jwks');
  });

  it('names a file it cannot read', () => {
    expect(() => gatewayOptionsFromEnv({ ...base, GATEWAY_ISSUER: 'CN=IAG', GATEWAY_JWKS_CA_FILE: join(dir, 'missing.pem') })).toThrow(
      new SampleConfigError(`Service 2 cannot start: GATEWAY_JWKS_CA_FILE=${join(dir, 'missing.pem')} cannot be read (ENOENT)`),
    );
  });
});

describe('sample configuration: GATEWAY_SIGNATURE_VERIFICATION', () => {
  const base = { GATEWAY_JWKS_URI: 'https://gw.example.com/jwks', GATEWAY_AUDIENCE_BASE: 'https://api.example.com', GATEWAY_ISSUER: 'CN=IAG' };

  it('passes signatureVerification on when set, and leaves the library default otherwise', () => {
    expect(gatewayOptionsFromEnv({ ...base, GATEWAY_SIGNATURE_VERIFICATION: ' thread-pool ' }).signatureVerification).toBe('thread-pool');
    expect(gatewayOptionsFromEnv(base)).not.toHaveProperty('signatureVerification');
  });
});
