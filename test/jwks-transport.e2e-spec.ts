import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPKCS8, SignJWT } from 'jose';
import request from 'supertest';
import type { GatewayAuthModuleOptions } from '../lib/index.js';
import { ensureDemoPki, type DemoPki } from '../sample/gateway/pki.js';
import { createTestApp } from './fixtures/app.js';
import { BASE_URL, CALLER_DN, createTestKey, ISSUER, mint, type TestKey } from './fixtures/tokens.js';

/** The JWKS over HTTPS with a private CA, behind mTLS, and the issuer pinned to the signing certificate. */
let dir: string;
let pki: DemoPki;
let key: TestKey;
const servers: Server[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jwks-transport-'));
  [pki, key] = await Promise.all([ensureDemoPki(dir), createTestKey('https-1', 'ES256')]);
});
afterAll(async () => {
  await Promise.all(servers.map(server => new Promise(resolve => { server.closeAllConnections(); server.close(resolve); })));
  await rm(dir, { recursive: true, force: true });
});

async function httpsJwks(keys: readonly object[], requireClientCertificate = false): Promise<string> {
  const server = createServer(
    { key: pki.gatewayTls.keyPem, cert: pki.gatewayTls.certPem, ca: pki.ca.certPem, requestCert: requireClientCertificate, rejectUnauthorized: requireClientCertificate },
    (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    },
  );
  servers.push(server);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return `https://localhost:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
}

async function status(options: GatewayAuthModuleOptions, token: string): Promise<[number, unknown]> {
  const { app } = await createTestApp(options);
  try {
    const response = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`);
    return [response.status, response.body.code ?? response.body.caller];
  } finally {
    await app.close();
  }
}

describe('the JWKS over HTTPS', () => {
  it('trusts a private CA only when given it', async () => {
    const jwksUri = await httpsJwks([key.jwk]);
    const token = await mint(key, '/orders');
    const base = { jwksUri, issuer: ISSUER, audience: { baseUrl: BASE_URL } };
    expect(await status({ ...base, jwks: { ca: pki.ca.certPem } }, token)).toEqual([200, CALLER_DN]);
    expect(await status(base, token)).toEqual([503, 'jwks_unavailable']);
  });

  it('presents a client certificate to a JWKS endpoint behind mutual TLS', async () => {
    const jwksUri = await httpsJwks([key.jwk], true);
    const token = await mint(key, '/orders');
    const base = { jwksUri, issuer: ISSUER, audience: { baseUrl: BASE_URL } };
    expect(await status({ ...base, jwks: { ca: pki.ca.certPem, cert: pki.service1.certPem, key: pki.service1.keyPem } }, token)).toEqual([200, CALLER_DN]);
    expect(await status({ ...base, jwks: { ca: pki.ca.certPem } }, token)).toEqual([503, 'jwks_unavailable']);
    expect(await status({ ...base, jwks: { ca: pki.ca.certPem, cert: pki.rogue.certPem, key: pki.rogue.keyPem } }, token)).toEqual([503, 'jwks_unavailable']);
  });
});

describe('issuer pinned to the signing certificate (x5c)', () => {
  const der = (pem: string) => new X509Certificate(pem).raw.toString('base64');
  const signingJwk = () => {
    const cert = new X509Certificate(pki.gatewaySigning.certPem);
    return { ...cert.publicKey.export({ format: 'jwk' }), kid: 'signing', alg: 'RS256', use: 'sig', x5c: [der(pki.gatewaySigning.certPem), der(pki.ca.certPem)] };
  };
  const signed = async (iss: string, kid = 'signing', pem = pki.gatewaySigning.keyPem, alg: 'RS256' | 'ES256' = 'RS256') =>
    new SignJWT({ iss, sub: CALLER_DN, aud: `${BASE_URL}/orders`, exp: Math.floor(Date.now() / 1000) + 60 })
      .setProtectedHeader({ alg, kid })
      .sign(await importPKCS8(pem, alg));

  it('accepts iss equal to the certificate subject as a DN, in any spelling', async () => {
    const jwksUri = await httpsJwks([signingJwk()]);
    const options = { jwksUri, issuer: { fromCertificate: { ca: pki.ca.certPem } }, audience: { baseUrl: BASE_URL }, jwks: { ca: pki.ca.certPem } };
    expect(await status(options, await signed('CN=IAG Signing,O=Example,C=GB'))).toEqual([200, CALLER_DN]);
    expect(await status(options, await signed('cn=iag signing, o=EXAMPLE, 2.5.4.6=gb'))).toEqual([200, CALLER_DN]);
    expect(await status(options, await signed('CN=Other Gateway,O=Example,C=GB'))).toEqual([401, 'issuer_mismatch']);
    expect(await status(options, await signed('IAG Signing'))).toEqual([401, 'issuer_mismatch']);
    expect(await status({ ...options, issuer: { fromCertificate: { ca: pki.ca.certPem, match: 'cn' } } }, await signed('IAG Signing'))).toEqual([200, CALLER_DN]);
  });

  it('never uses a key whose certificate does not chain to the CA, or is not the key', async () => {
    const rogueCert = new X509Certificate(pki.rogue.certPem);
    const rogueJwk = { ...rogueCert.publicKey.export({ format: 'jwk' }), kid: 'rogue', alg: 'ES256', x5c: [der(pki.rogue.certPem)] };
    const wrongKeyJwk = { ...key.jwk, kid: 'wrong-key', x5c: [der(pki.gatewaySigning.certPem), der(pki.ca.certPem)] };
    const noX5c = { ...key.jwk, kid: 'no-x5c' };
    const jwksUri = await httpsJwks([signingJwk(), rogueJwk, wrongKeyJwk, noX5c]);
    const options = { jwksUri, issuer: { fromCertificate: { ca: pki.ca.certPem } }, audience: { baseUrl: BASE_URL }, jwks: { ca: pki.ca.certPem } };
    const rogueSubject = 'CN=service1,O=Acme Ltd,C=GB';
    expect(await status(options, await signed(rogueSubject, 'rogue', pki.rogue.keyPem, 'ES256'))).toEqual([401, 'unknown_key']);
    expect(await status(options, await mint({ ...key, kid: 'wrong-key' }, '/orders', { claims: { iss: 'CN=IAG Signing,O=Example,C=GB' } }))).toEqual([401, 'unknown_key']);
    expect(await status(options, await mint({ ...key, kid: 'no-x5c' }, '/orders'))).toEqual([401, 'unknown_key']);
    expect(await status(options, await signed('CN=IAG Signing,O=Example,C=GB'))).toEqual([200, CALLER_DN]);
  });
});
