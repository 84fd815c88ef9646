import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { request, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { DEMO_CALLER_DNS, ensureDemoPki, type CertifiedKey, type DemoPki } from '../sample/gateway/pki.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 24 * 60 * 60 * 1000;

const cert = (pem: string): X509Certificate => new X509Certificate(pem);

/** The demo's test PKI: generated with @peculiar/x509, checked here with Node's own X.509 and TLS. */
describe('demo PKI', () => {
  let tmp: string;
  let pki: DemoPki;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'demo-pki-'));
    pki = await ensureDemoPki(join(tmp, 'nested', 'pki'));
  });

  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  describe('certificates', () => {
    it('writes every file as PEM, keys PKCS#8 with mode 0600', async () => {
      const leaves = [pki.gatewayTls, pki.gatewaySigning, pki.service1, pki.escaped, pki.rogue];
      for (const { certPath, certPem } of [pki.ca, pki.untrustedCa, ...leaves]) {
        expect(certPem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
        await expect(readFile(certPath, 'utf8')).resolves.toBe(certPem);
      }
      for (const { keyPath, keyPem } of leaves) {
        expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
        await expect(readFile(keyPath, 'utf8')).resolves.toBe(keyPem);
        expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
      }
      expect(pki.ca.certPath).toBe(join(tmp, 'nested', 'pki', 'ca.crt'));
    });

    it('has self-signed CAs', () => {
      for (const { certPem } of [pki.ca, pki.untrustedCa]) {
        const ca = cert(certPem);
        expect(ca.ca).toBe(true);
        expect(ca.checkIssued(ca)).toBe(true);
        expect(ca.verify(ca.publicKey)).toBe(true);
      }
      expect(cert(pki.ca.certPem).subject).toBe('C=GB\nO=Example\nCN=Demo Gateway Test CA');
    });

    it.each<[string, (p: DemoPki) => CertifiedKey]>([
      ['gatewayTls', p => p.gatewayTls],
      ['gatewaySigning', p => p.gatewaySigning],
      ['service1', p => p.service1],
      ['escaped', p => p.escaped],
    ])('issues %s from the trusted CA, valid for about a year', (_name, pick) => {
      const ca = cert(pki.ca.certPem);
      const leaf = cert(pick(pki).certPem);
      expect(leaf.ca).toBe(false);
      expect(leaf.checkIssued(ca)).toBe(true);
      expect(leaf.verify(ca.publicKey)).toBe(true);
      const now = Date.now();
      expect(Date.parse(leaf.validFrom)).toBeLessThan(now);
      expect(Date.parse(leaf.validTo)).toBeGreaterThan(now + 360 * DAY_MS);
    });

    it('issues rogue from the untrusted CA only, under a service1 look-alike name', () => {
      const rogue = cert(pki.rogue.certPem);
      const trusted = cert(pki.ca.certPem);
      expect(rogue.checkIssued(cert(pki.untrustedCa.certPem))).toBe(true);
      expect(rogue.verify(cert(pki.untrustedCa.certPem).publicKey)).toBe(true);
      expect(rogue.checkIssued(trusted)).toBe(false);
      expect(rogue.verify(trusted.publicKey)).toBe(false);
      expect(rogue.subject).toBe('C=GB\nO=Acme Ltd\nCN=service1');
    });

    it('gives the gateway a server certificate for localhost and 127.0.0.1', () => {
      const tls = cert(pki.gatewayTls.certPem);
      expect(tls.subjectAltName?.split(', ')).toEqual(
        expect.arrayContaining(['DNS:localhost', 'IP Address:127.0.0.1']),
      );
      expect(tls.checkHost('localhost')).toBe('localhost');
      expect(tls.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(tls.keyUsage).toContain(SERVER_AUTH);
      expect(tls.checkPrivateKey(keyOf(pki.gatewayTls))).toBe(true);
    });

    it('gives the gateway an RSA-2048 signing certificate named CN=IAG Signing', () => {
      const signing = cert(pki.gatewaySigning.certPem);
      expect(signing.subject).toBe('C=GB\nO=Example\nCN=IAG Signing');
      expect(signing.publicKey.asymmetricKeyType).toBe('rsa');
      expect(signing.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      expect(signing.checkPrivateKey(keyOf(pki.gatewaySigning))).toBe(true);
    });

    it('names the client certificates in ASN.1 order, with values that need RFC 4514 escaping', () => {
      const service1 = cert(pki.service1.certPem);
      const escaped = cert(pki.escaped.certPem);
      expect(service1.subject).toBe('C=GB\nO=Acme Ltd\nOU=Payments\nCN=service1');
      // Node escapes RFC 2253 specials in its multi-line form too.
      expect(escaped.subject).toBe('C=GB\nO=Acme Ltd\nOU=R\\+D\nCN=Smith\\, John');
      expect(service1.keyUsage).toContain(CLIENT_AUTH);
      expect(escaped.keyUsage).toContain(CLIENT_AUTH);
      expect(DEMO_CALLER_DNS).toEqual({
        service1: 'CN=service1,OU=Payments,O=Acme Ltd,C=GB',
        escaped: 'CN=Smith\\, John,OU=R\\+D,O=Acme Ltd,C=GB',
        gatewaySigning: 'CN=IAG Signing,O=Example,C=GB',
      });
    });

    const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
    (hasOpenssl ? it : it.skip)('prints as DEMO_CALLER_DNS in openssl RFC 2253 form', () => {
      const rfc2253 = (path: string): string =>
        spawnSync('openssl', ['x509', '-in', path, '-noout', '-subject', '-nameopt', 'RFC2253'], { encoding: 'utf8' })
          .stdout.trim()
          .replace(/^subject=/, '');
      expect(rfc2253(pki.service1.certPath)).toBe(DEMO_CALLER_DNS.service1);
      expect(rfc2253(pki.escaped.certPath)).toBe(DEMO_CALLER_DNS.escaped);
      expect(rfc2253(pki.gatewaySigning.certPath)).toBe(DEMO_CALLER_DNS.gatewaySigning);
    });
  });

  describe('mutual TLS with node:https on 127.0.0.1', () => {
    /** Requires a client certificate from the trusted CA, as the gateway does. */
    let strict: Server;
    /** Asks for a client certificate but lets the request through, reporting Node's verdict on it. */
    let lenient: Server;
    const clientErrors: string[] = [];

    const startServer = async (rejectUnauthorized: boolean): Promise<Server> => {
      const server = createServer(
        {
          key: pki.gatewayTls.keyPem,
          cert: pki.gatewayTls.certPem,
          ca: pki.ca.certPem,
          requestCert: true,
          rejectUnauthorized,
        },
        (req, res) => {
          const socket = req.socket as TLSSocket;
          const peer = socket.getPeerCertificate();
          res.end(socket.authorized ? peer.subject.CN : `unauthorized: ${String(socket.authorizationError)}`);
        },
      );
      server.on('tlsClientError', err => clientErrors.push(err.message));
      await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
      return server;
    };

    beforeAll(async () => {
      [strict, lenient] = await Promise.all([startServer(true), startServer(false)]);
    });

    afterAll(async () => {
      await Promise.all([strict, lenient].map(server => new Promise<void>(resolve => server.close(() => resolve()))));
    });

    type Outcome = { readonly status: number; readonly body: string } | { readonly error: string };

    const call = (server: Server, client?: CertifiedKey): Promise<Outcome> =>
      new Promise(resolve => {
        const req = request(
          {
            host: '127.0.0.1',
            port: (server.address() as AddressInfo).port,
            path: '/',
            servername: 'localhost',
            ca: pki.ca.certPem,
            agent: false,
            ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
          },
          res => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', err => resolve({ error: err.message }));
        req.end();
      });

    it('accepts service1', async () => {
      await expect(call(strict, pki.service1)).resolves.toEqual({ status: 200, body: 'service1' });
    });

    it('accepts the escaped-name client', async () => {
      await expect(call(strict, pki.escaped)).resolves.toEqual({ status: 200, body: 'Smith, John' });
    });

    it('refuses a client without a certificate', async () => {
      const before = clientErrors.length;
      await expect(call(strict)).resolves.toEqual({ error: expect.stringMatching(/certificate required/) });
      await waitFor(() => clientErrors.length > before);
      expect(clientErrors.at(-1)).toMatch(/did not return a certificate/);
    });

    it('refuses the rogue certificate from the untrusted CA', async () => {
      const before = clientErrors.length;
      // Node's server drops the connection without a TLS alert, so both ends only see a reset.
      await expect(call(strict, pki.rogue)).resolves.toEqual({ error: expect.any(String) });
      await waitFor(() => clientErrors.length > before);
    });

    it('refuses rogue because of its issuer: Node cannot chain it to the trusted CA', async () => {
      await expect(call(lenient, pki.rogue)).resolves.toEqual({
        status: 200,
        body: 'unauthorized: UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
      await expect(call(lenient, pki.service1)).resolves.toEqual({ status: 200, body: 'service1' });
    });
  });

  describe('loading and regeneration', () => {
    let dir: string;
    let first: DemoPki;

    beforeAll(async () => {
      dir = join(tmp, 'regen');
      first = await ensureDemoPki(dir);
    });

    it('reuses the files on the next call', async () => {
      const again = await ensureDemoPki(dir);
      expect(again).toEqual(first);
    });

    it('regenerates the whole set when one file is missing', async () => {
      await unlink(first.service1.keyPath);
      const regenerated = await ensureDemoPki(dir);
      expect(regenerated.service1.certPem).not.toBe(first.service1.certPem);
      expect(regenerated.ca.certPem).not.toBe(first.ca.certPem);
      expect(cert(regenerated.service1.certPem).checkIssued(cert(regenerated.ca.certPem))).toBe(true);
      await expect(readFile(regenerated.service1.keyPath, 'utf8')).resolves.toBe(regenerated.service1.keyPem);
      first = regenerated;
    });

    it('regenerates when a file was changed behind its back', async () => {
      await writeFile(first.ca.certPath, first.untrustedCa.certPem);
      const regenerated = await ensureDemoPki(dir);
      expect(regenerated.ca.certPem).not.toBe(first.ca.certPem);
      expect(regenerated.ca.certPem).not.toBe(first.untrustedCa.certPem);
      first = regenerated;
    });

    it('regenerates when the manifest lists another version', async () => {
      const manifestPath = join(dir, 'manifest.json');
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
      await writeFile(manifestPath, JSON.stringify({ ...manifest, version: -1 }));
      const regenerated = await ensureDemoPki(dir);
      expect(regenerated.ca.certPem).not.toBe(first.ca.certPem);
      first = regenerated;
    });

    it('regenerates when a certificate expires within 7 days', async () => {
      // Seen from 360 days on, the one-year leaves have 5 days left.
      const later = Date.now() + 360 * DAY_MS;
      const now = jest.spyOn(Date, 'now').mockImplementation(() => later);
      try {
        const regenerated = await ensureDemoPki(dir);
        expect(regenerated.service1.certPem).not.toBe(first.service1.certPem);
      } finally {
        now.mockRestore();
      }
    });

    it('takes over a lock left behind by a process that is gone', async () => {
      const fresh = join(tmp, 'stale-lock');
      await mkdir(fresh, { recursive: true });
      await writeFile(join(fresh, '.lock'), '99999999\n'); // above any pid_max: no such process
      const pki = await ensureDemoPki(fresh);
      expect(cert(pki.service1.certPem).checkIssued(cert(pki.ca.certPem))).toBe(true);
      await expect(stat(join(fresh, '.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('lets concurrent callers on a fresh directory share one generated set', async () => {
      const fresh = join(tmp, 'concurrent');
      const results = await Promise.all([ensureDemoPki(fresh), ensureDemoPki(fresh), ensureDemoPki(fresh)]);
      const onDisk = await ensureDemoPki(fresh);
      for (const result of results) expect(result).toEqual(onDisk);
    });
  });
});

function keyOf(certified: CertifiedKey): KeyObject {
  return createPrivateKey(certified.keyPem);
}

async function waitFor(condition: () => boolean, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}
