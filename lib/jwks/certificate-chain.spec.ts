// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect
// metadata polyfill loaded before the library itself.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto, X509Certificate } from 'node:crypto';

import { dnEquals, parseDn } from '../utils/dn.util.js';
import {
  CertificateTrustError,
  loadTrustAnchors,
  verifyJwkCertificate,
  type CertificateTrustFailure,
  type TrustedCertificate,
} from './certificate-chain.js';

x509.cryptoProvider.set(webcrypto);

// ---------------------------------------------------------------------------------------------
// A test PKI, generated once

const SECOND_MS = 1000;
const HOUR_MS = 60 * 60 * SECOND_MS;
const DAY_MS = 24 * HOUR_MS;
/** Whole seconds: certificate times have no fractions, so expectations can be exact. */
const NOW = new Date(Math.floor(Date.now() / SECOND_MS) * SECOND_MS);
const at = (offsetMs: number): Date => new Date(NOW.getTime() + offsetMs);

const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const RSA_KEY: webcrypto.RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/**
 * A Subject in ASN.1 order (C first, CN last): one object per RDN, mapping attribute type (name
 * or OID) to value; several entries make a multi-valued RDN.
 */
type NameSpec = readonly Readonly<Record<string, string>>[];

/** Builds the Name in exactly the given order with explicit string types (see sample/gateway/pki.ts). */
function toName(spec: NameSpec): x509.Name {
  return new x509.Name(
    spec.map(rdn =>
      Object.fromEntries(
        Object.entries(rdn).map(([type, value]): [string, x509.JsonAttributeObject[]] => [
          type,
          [x509.Name.isPrintableString(value) ? { printableString: value } : { utf8String: value }],
        ]),
      ),
    ),
  );
}

interface Authority {
  readonly cert: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
}

async function generateKeys(
  algorithm: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams = EC_KEY,
): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
}

const caExtensions = async (publicKey: webcrypto.CryptoKey): Promise<x509.Extension[]> => [
  new x509.BasicConstraintsExtension(true, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  await x509.SubjectKeyIdentifierExtension.create(publicKey),
];

async function rootCa(subject: NameSpec, notAfter: Date): Promise<Authority> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: toName(subject),
    keys,
    notBefore: at(-DAY_MS),
    notAfter,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: await caExtensions(keys.publicKey),
  });
  return { cert, keys };
}

type Kind = 'ca' | 'leaf' | 'ca-without-basic-constraints';

interface IssueParams {
  readonly subject: NameSpec;
  readonly publicKey: webcrypto.CryptoKey;
  readonly issuer: Authority;
  readonly kind?: Kind;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

async function issue(params: IssueParams): Promise<x509.X509Certificate> {
  const { subject, publicKey, issuer, kind = 'leaf' } = params;
  const extensions: x509.Extension[] =
    kind === 'ca'
      ? await caExtensions(publicKey)
      : kind === 'ca-without-basic-constraints'
        ? // Looks like a CA (may sign certificates) but has no basicConstraints at all.
          [
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
            await x509.SubjectKeyIdentifierExtension.create(publicKey),
          ]
        : [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
            await x509.SubjectKeyIdentifierExtension.create(publicKey),
          ];
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey));
  return x509.X509CertificateGenerator.create({
    subject: toName(subject),
    issuer: issuer.cert.subjectName,
    publicKey,
    signingKey: issuer.keys.privateKey,
    notBefore: params.notBefore ?? at(-DAY_MS),
    notAfter: params.notAfter ?? at(365 * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
}

/** A copy: `Buffer.from(arrayBuffer)` would share (and let {@link tampered} change) the certificate's bytes. */
const der = (cert: x509.X509Certificate): Buffer => Buffer.from(cert.rawData.slice(0));
const b64 = (cert: x509.X509Certificate): string => der(cert).toString('base64');
const pem = (cert: x509.X509Certificate): string => cert.toString('pem');
const fingerprint = (cert: x509.X509Certificate): string => new X509Certificate(der(cert)).fingerprint256;

/** The DER with its last byte (inside the signature value) changed: still parses, no longer verifies. */
function tampered(cert: x509.X509Certificate): string {
  const bytes = der(cert);
  const last = bytes.length - 1;
  bytes[last] = (bytes[last] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

async function publicJwk(key: webcrypto.CryptoKey): Promise<Record<string, unknown>> {
  const jwk = await webcrypto.subtle.exportKey('jwk', key);
  return { ...jwk, kid: 'signing-1', use: 'sig' };
}

const ROOT_SUBJECT: NameSpec = [{ C: 'GB' }, { O: 'Example' }, { CN: 'Example Root CA' }];

interface Pki {
  readonly root: Authority;
  readonly intermediate: Authority;
  readonly unrelatedCa: Authority;
  readonly fakeCa: Authority;
  readonly shortLivedCa: Authority;
  /** RSA key, issued by the intermediate. */
  readonly leaf: x509.X509Certificate;
  readonly leafJwk: Record<string, unknown>;
  /** The following all certify one EC key, {@link Pki.ecJwk}. */
  readonly ecJwk: Record<string, unknown>;
  readonly rootLeaf: x509.X509Certificate;
  readonly expiredLeaf: x509.X509Certificate;
  readonly futureLeaf: x509.X509Certificate;
  readonly unrelatedLeaf: x509.X509Certificate;
  readonly fakeCaLeaf: x509.X509Certificate;
  readonly shortLivedCaLeaf: x509.X509Certificate;
  readonly escapedLeaf: x509.X509Certificate;
  readonly multiValuedLeaf: x509.X509Certificate;
  /** No Subject at all (Node's `subject` is then `undefined`): nothing to pin an issuer to. */
  readonly emptySubjectLeaf: x509.X509Certificate;
}

let pki: Pki;
let anchors: readonly X509Certificate[];

beforeAll(async () => {
  const root = await rootCa(ROOT_SUBJECT, at(3650 * DAY_MS));
  const intermediateKeys = await generateKeys();
  const intermediate: Authority = {
    keys: intermediateKeys,
    cert: await issue({
      subject: [{ C: 'GB' }, { O: 'Example' }, { CN: 'Example Issuing CA' }],
      publicKey: intermediateKeys.publicKey,
      issuer: root,
      kind: 'ca',
      notAfter: at(1825 * DAY_MS),
    }),
  };
  const unrelatedCa = await rootCa([{ C: 'GB' }, { O: 'Elsewhere' }, { CN: 'Unrelated CA' }], at(3650 * DAY_MS));
  const fakeCaKeys = await generateKeys();
  const fakeCa: Authority = {
    keys: fakeCaKeys,
    cert: await issue({
      subject: [{ C: 'GB' }, { O: 'Example' }, { CN: 'Not Really A CA' }],
      publicKey: fakeCaKeys.publicKey,
      issuer: root,
      kind: 'ca-without-basic-constraints',
    }),
  };
  const shortLivedCa = await rootCa([{ CN: 'Short-lived CA' }], at(HOUR_MS));

  const rsaKeys = await generateKeys(RSA_KEY);
  const ecKeys = await generateKeys();
  const ecLeaf = (subject: NameSpec, issuer: Authority, notBefore?: Date, notAfter?: Date) =>
    issue({
      subject,
      publicKey: ecKeys.publicKey,
      issuer,
      ...(notBefore === undefined ? {} : { notBefore }),
      ...(notAfter === undefined ? {} : { notAfter }),
    });
  const signing: NameSpec = [{ C: 'GB' }, { O: 'Example' }, { CN: 'IAG Signing' }];

  pki = {
    root,
    intermediate,
    unrelatedCa,
    fakeCa,
    shortLivedCa,
    leaf: await issue({ subject: signing, publicKey: rsaKeys.publicKey, issuer: intermediate }),
    leafJwk: await publicJwk(rsaKeys.publicKey),
    ecJwk: await publicJwk(ecKeys.publicKey),
    rootLeaf: await ecLeaf([{ C: 'GB' }, { O: 'Example' }, { CN: 'Direct Signing' }], root),
    expiredLeaf: await ecLeaf(signing, intermediate, at(-30 * DAY_MS), at(-DAY_MS)),
    futureLeaf: await ecLeaf(signing, intermediate, at(DAY_MS), at(30 * DAY_MS)),
    unrelatedLeaf: await ecLeaf(signing, unrelatedCa),
    fakeCaLeaf: await ecLeaf(signing, fakeCa),
    shortLivedCaLeaf: await ecLeaf([{ CN: 'Outlives its CA' }], shortLivedCa, at(-DAY_MS), at(30 * DAY_MS)),
    escapedLeaf: await ecLeaf(
      [
        { C: 'GB' },
        { L: 'Two\nLines' },
        { O: 'Acme "Q" <Ltd>; #1' },
        { OU: '#R+D ' },
        { CN: 'Smith, John' },
      ],
      intermediate,
    ),
    multiValuedLeaf: await ecLeaf(
      [
        { C: 'DE' },
        { '2.5.4.15': 'Private Organization' }, // businessCategory: OpenSSL's name for it is not RFC 4514's
        { O: 'Bäckerei GmbH' },
        { CN: 'Bäckerei', '0.9.2342.19200300.100.1.1': '42' }, // UID
      ],
      intermediate,
    ),
    emptySubjectLeaf: await ecLeaf([], intermediate),
  };
  anchors = loadTrustAnchors(pem(root.cert));
});

// ---------------------------------------------------------------------------------------------
// Helpers

const withX5c = (jwk: Record<string, unknown>, x5c: unknown): Record<string, unknown> => ({ ...jwk, x5c });

function failureOf(verify: () => unknown): CertificateTrustError {
  try {
    verify();
  } catch (error: unknown) {
    if (error instanceof CertificateTrustError) return error;
    throw error;
  }
  throw new Error('expected a CertificateTrustError');
}

function expectTrusted(
  result: TrustedCertificate,
  cert: x509.X509Certificate,
  subjectDn: string,
  commonName: string | undefined,
): void {
  expect(result.subjectDn).toBe(subjectDn);
  expect(result.commonName).toBe(commonName);
  expect(dnEquals(result.subject, parseDn(subjectDn))).toBe(true);
  expect(result.notAfter.toISOString()).toBe(cert.notAfter.toISOString());
  expect(result.fingerprint256).toBe(fingerprint(cert));
}

// ---------------------------------------------------------------------------------------------
// verifyJwkCertificate: success

describe('verifyJwkCertificate: trusted chains', () => {
  it('accepts a leaf issued by a trust anchor, x5c [leaf]', () => {
    const result = verifyJwkCertificate(withX5c(pki.ecJwk, [b64(pki.rootLeaf)]), anchors, NOW);
    expectTrusted(result, pki.rootLeaf, 'CN=Direct Signing,O=Example,C=GB', 'Direct Signing');
    expect(Object.isFrozen(result)).toBe(true);
  });

  it('accepts an RSA leaf under an intermediate, x5c [leaf, intermediate]', () => {
    const jwk = withX5c(pki.leafJwk, [b64(pki.leaf), b64(pki.intermediate.cert)]);
    const result = verifyJwkCertificate(jwk, anchors, NOW);
    expectTrusted(result, pki.leaf, 'CN=IAG Signing,O=Example,C=GB', 'IAG Signing');
  });

  it('accepts a chain that includes the trust anchor itself, x5c [leaf, intermediate, root]', () => {
    const jwk = withX5c(pki.leafJwk, [b64(pki.leaf), b64(pki.intermediate.cert), b64(pki.root.cert)]);
    expectTrusted(verifyJwkCertificate(jwk, anchors, NOW), pki.leaf, 'CN=IAG Signing,O=Example,C=GB', 'IAG Signing');
  });

  it('accepts a chain whose last certificate is an anchor (an intermediate configured as anchor)', () => {
    const jwk = withX5c(pki.leafJwk, [b64(pki.leaf), b64(pki.intermediate.cert)]);
    const intermediateOnly = loadTrustAnchors(pem(pki.intermediate.cert));
    expect(verifyJwkCertificate(jwk, intermediateOnly, NOW).commonName).toBe('IAG Signing');
  });

  it('takes the validity bounds as inclusive', () => {
    const jwk = withX5c(pki.ecJwk, [b64(pki.futureLeaf), b64(pki.intermediate.cert)]);
    expect(verifyJwkCertificate(jwk, anchors, pki.futureLeaf.notBefore).commonName).toBe('IAG Signing');
    expect(verifyJwkCertificate(jwk, anchors, pki.futureLeaf.notAfter).commonName).toBe('IAG Signing');
    const justAfter = new Date(pki.futureLeaf.notAfter.getTime() + 1);
    expect(failureOf(() => verifyJwkCertificate(jwk, anchors, justAfter)).reason).toBe('expired');
  });

  it('reads a Subject whose values need escaping (Node: one RFC 2253-escaped RDN per line)', () => {
    const jwk = withX5c(pki.ecJwk, [b64(pki.escapedLeaf), b64(pki.intermediate.cert)]);
    const result = verifyJwkCertificate(jwk, anchors, NOW);
    // What `openssl x509 -noout -subject -nameopt RFC2253` prints for this certificate.
    const subjectDn = String.raw`CN=Smith\, John,OU=\#R\+D\ ,O=Acme \"Q\" \<Ltd\>\; #1,L=Two\0ALines,C=GB`;
    expectTrusted(result, pki.escapedLeaf, subjectDn, 'Smith, John');
    expect(result.subject.rdns.map(rdn => rdn.map(a => [a.name, a.value]))).toEqual([
      [['CN', 'Smith, John']],
      [['OU', '#R+D ']],
      [['O', 'Acme "Q" <Ltd>; #1']],
      [['L', 'Two\nLines']],
      [['C', 'GB']],
    ]);
  });

  it('reads a multi-valued RDN, UTF-8 values and a type RFC 4514 has no name for', () => {
    const jwk = withX5c(pki.ecJwk, [b64(pki.multiValuedLeaf), b64(pki.intermediate.cert)]);
    const result = verifyJwkCertificate(jwk, anchors, NOW);
    expectTrusted(
      result,
      pki.multiValuedLeaf,
      'CN=Bäckerei+UID=42,O=Bäckerei GmbH,2.5.4.15=Private Organization,C=DE',
      'Bäckerei',
    );
    // OpenSSL's RFC2253 output (-nameopt RFC2253,oid) lists the RDN's attributes the other way round.
    const openssl = String.raw`0.9.2342.19200300.100.1.1=42+2.5.4.3=B\C3\A4ckerei,2.5.4.10=B\C3\A4ckerei GmbH,2.5.4.15=Private Organization,2.5.4.6=DE`;
    expect(dnEquals(result.subject, parseDn(openssl))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// verifyJwkCertificate: failures

describe('verifyJwkCertificate: untrusted chains', () => {
  type Case = readonly [
    label: string,
    reason: CertificateTrustFailure,
    input: () => { jwk: Record<string, unknown>; anchors?: readonly X509Certificate[]; now?: Date },
    message?: RegExp,
  ];
  const chain = (...certs: x509.X509Certificate[]): string[] => certs.map(b64);
  const cases: readonly Case[] = [
    ['x5c absent', 'no_x5c', () => ({ jwk: pki.ecJwk })],
    ['x5c null', 'malformed', () => ({ jwk: withX5c(pki.ecJwk, null) })],
    ['x5c empty', 'malformed', () => ({ jwk: withX5c(pki.ecJwk, []) })],
    ['x5c a string', 'malformed', () => ({ jwk: withX5c(pki.ecJwk, b64(pki.rootLeaf)) })],
    ['x5c entry a number', 'malformed', () => ({ jwk: withX5c(pki.ecJwk, [42]) }), /x5c\[0\] is not a string/],
    ['x5c entry base64url', 'malformed', () => ({ jwk: withX5c(pki.ecJwk, ['-_8=']) }), /standard base64/],
    ['x5c entry unpadded', 'malformed', () => ({ jwk: withX5c(pki.ecJwk, ['AAA']) })],
    ['x5c entry non-canonical padding bits', 'malformed', () => ({ jwk: withX5c(pki.ecJwk, ['AB==']) })],
    [
      'x5c entry with line breaks',
      'malformed',
      () => ({ jwk: withX5c(pki.ecJwk, [(b64(pki.rootLeaf).match(/.{1,64}/g) ?? []).join('\n')]) }),
    ],
    ['x5c entry as PEM', 'malformed', () => ({ jwk: withX5c(pki.ecJwk, [pem(pki.rootLeaf)]) })],
    [
      'x5c entry not a certificate',
      'malformed',
      () => ({ jwk: withX5c(pki.ecJwk, [Buffer.from('not a certificate').toString('base64')]) }),
      /x5c\[0\] is not a DER certificate/,
    ],
    [
      'x5c entry with bytes after the certificate',
      'malformed',
      () => ({ jwk: withX5c(pki.ecJwk, [Buffer.concat([der(pki.rootLeaf), Buffer.from([0])]).toString('base64')]) }),
    ],
    [
      'x5c longer than 10',
      'malformed',
      () => ({ jwk: withX5c(pki.ecJwk, Array.from({ length: 11 }, () => b64(pki.rootLeaf))) }),
    ],
    [
      'leaf with an empty Subject',
      'malformed',
      () => ({ jwk: withX5c(pki.ecJwk, chain(pki.emptySubjectLeaf, pki.intermediate.cert)) }),
      /the Subject of x5c\[0\] cannot be read as a DN \(the Subject is empty\)/,
    ],
    [
      'leaf expired',
      'expired',
      () => ({ jwk: withX5c(pki.ecJwk, chain(pki.expiredLeaf, pki.intermediate.cert)) }),
      /x5c\[0\] \(subject 'CN=IAG Signing,O=Example,C=GB', SHA-256 [0-9A-F:]+\) expired at /,
    ],
    [
      'leaf not yet valid',
      'not_yet_valid',
      () => ({ jwk: withX5c(pki.ecJwk, chain(pki.futureLeaf, pki.intermediate.cert)) }),
      /x5c\[0\] .* is not valid before /,
    ],
    [
      'whole chain checked before its validity starts',
      'not_yet_valid',
      () => ({ jwk: withX5c(pki.leafJwk, chain(pki.leaf, pki.intermediate.cert)), now: at(-2 * DAY_MS) }),
    ],
    [
      'trust anchor expired (leaf outlives its CA)',
      'expired',
      () => ({
        jwk: withX5c(pki.ecJwk, chain(pki.shortLivedCaLeaf)),
        anchors: loadTrustAnchors(pem(pki.shortLivedCa.cert)),
        now: at(2 * HOUR_MS),
      }),
      /the trust anchor \(subject 'CN=Short-lived CA'.*\) expired at /,
    ],
    [
      'intermediate without basicConstraints',
      'not_a_ca',
      () => ({ jwk: withX5c(pki.ecJwk, chain(pki.fakeCaLeaf, pki.fakeCa.cert)) }),
      /x5c\[1\] \(subject 'CN=Not Really A CA,O=Example,C=GB'.*\) is not a CA certificate/,
    ],
    [
      'a leaf used as an intermediate',
      'not_a_ca',
      () => ({ jwk: withX5c(pki.leafJwk, chain(pki.leaf, pki.rootLeaf)) }),
    ],
    [
      'leaf signature tampered with',
      'bad_signature',
      () => ({ jwk: withX5c(pki.leafJwk, [tampered(pki.leaf), b64(pki.intermediate.cert)]) }),
      /the signature of x5c\[0\] .* does not verify under the key of x5c\[1\]/,
    ],
    [
      'signature tampered with, checked against the anchor',
      'bad_signature',
      () => ({ jwk: withX5c(pki.ecJwk, [tampered(pki.rootLeaf)]) }),
      /does not verify under the trust anchor/,
    ],
    [
      'leaf issued by an unrelated CA',
      'untrusted',
      () => ({ jwk: withX5c(pki.ecJwk, chain(pki.unrelatedLeaf)) }),
      /x5c\[0\] .*issued by 'CN=Unrelated CA,O=Elsewhere,C=GB'\) is not a trust anchor and was not issued by one/,
    ],
    [
      'chain up to an unrelated root',
      'untrusted',
      () => ({ jwk: withX5c(pki.ecJwk, chain(pki.unrelatedLeaf, pki.unrelatedCa.cert)) }),
    ],
    [
      'intermediate missing from x5c',
      'untrusted',
      () => ({ jwk: withX5c(pki.leafJwk, chain(pki.leaf)) }),
    ],
    [
      'x5c[1] did not issue x5c[0]',
      'untrusted',
      () => ({ jwk: withX5c(pki.ecJwk, chain(pki.rootLeaf, pki.intermediate.cert)) }),
      /x5c\[0\] was not issued by x5c\[1\] \(subject 'CN=Example Issuing CA,O=Example,C=GB'.*\): its issuer is 'CN=Example Root CA,O=Example,C=GB'$/,
    ],
    [
      'no trust anchors',
      'untrusted',
      () => ({ jwk: withX5c(pki.ecJwk, chain(pki.rootLeaf)), anchors: [] }),
    ],
    [
      'certificate for another key',
      'key_mismatch',
      () => ({ jwk: withX5c(pki.leafJwk, chain(pki.rootLeaf)) }),
      /x5c\[0\] .* certifies another public key than the JWK's/,
    ],
    [
      'JWK that does not import',
      'key_mismatch',
      () => ({ jwk: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', x5c: chain(pki.rootLeaf) } }),
      /the JWK does not import as a public key/,
    ],
  ];

  for (const [label, reason, input, message] of cases) {
    it(`${label}: ${reason}`, () => {
      const { jwk, anchors: given = anchors, now = NOW } = input();
      const error = failureOf(() => verifyJwkCertificate(jwk, given, now));
      expect(error.reason).toBe(reason);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('CertificateTrustError');
      if (message) expect(error.message).toMatch(message);
    });
  }

  it('rejects an invalid `now` as a programming error', () => {
    const jwk = withX5c(pki.ecJwk, [b64(pki.rootLeaf)]);
    expect(() => verifyJwkCertificate(jwk, anchors, new Date(Number.NaN))).toThrow(TypeError);
  });
});

// ---------------------------------------------------------------------------------------------
// loadTrustAnchors

describe('loadTrustAnchors', () => {
  it('reads every CA of a bundle, ignoring text between blocks', () => {
    const bundle = `# Example Root CA\n${pem(pki.root.cert)}\n# Unrelated CA\n${pem(pki.unrelatedCa.cert)}\n`;
    const loaded = loadTrustAnchors(bundle);
    expect(loaded.map(cert => cert.fingerprint256)).toEqual([fingerprint(pki.root.cert), fingerprint(pki.unrelatedCa.cert)]);
    expect(Object.isFrozen(loaded)).toBe(true);
  });

  it('reads several bundles, strings and Buffers, and drops duplicates', () => {
    const loaded = loadTrustAnchors([
      pem(pki.root.cert),
      Buffer.from(`${pem(pki.intermediate.cert)}\r\n${pem(pki.root.cert)}`),
    ]);
    expect(loaded.map(cert => cert.fingerprint256)).toEqual([
      fingerprint(pki.root.cert),
      fingerprint(pki.intermediate.cert),
    ]);
  });

  it.each<readonly [string, () => string | Buffer | readonly (string | Buffer)[], RegExp]>([
    ['garbage', () => 'hello', /^trust anchors: PEM bundle is not PEM: no '-----BEGIN CERTIFICATE-----' block found$/],
    ['DER', () => der(pki.root.cert), /is not PEM: .*it looks like DER/],
    ['no bundle', () => [], /no PEM bundle given/],
    [
      'a corrupt block',
      () => '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      /PEM bundle: certificate #1 is not a valid certificate \(/,
    ],
    [
      'an unterminated block',
      () => `${pem(pki.root.cert)}\n-----BEGIN CERTIFICATE-----\nMIIB\n`,
      /certificate #2 has no '-----END CERTIFICATE-----' line/,
    ],
    [
      'a private key',
      () => `${pem(pki.root.cert)}\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`,
      /holds a 'PRIVATE KEY' PEM block; only CERTIFICATE blocks are accepted/,
    ],
    [
      'a leaf certificate',
      () => pem(pki.leaf),
      /certificate #1 \(subject 'CN=IAG Signing,O=Example,C=GB', SHA-256 [0-9A-F:]+\) is not a CA certificate: basicConstraints CA must be true/,
    ],
    [
      'a CA certificate without basicConstraints, in the second bundle',
      () => [pem(pki.root.cert), `${pem(pki.intermediate.cert)}${pem(pki.fakeCa.cert)}`],
      /^trust anchors: PEM bundle #2: certificate #2 \(subject 'CN=Not Really A CA,O=Example,C=GB'.*\) is not a CA certificate/,
    ],
  ])('rejects %s', (_label, input, message) => {
    expect(() => loadTrustAnchors(input())).toThrow(message);
  });
});
