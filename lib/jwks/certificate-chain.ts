/**
 * Certificate pinning for JWKS keys: a gateway that signs tokens with a certified key publishes
 * the certificate chain in the JWK's `x5c` (RFC 7517 §4.7). These functions verify that chain
 * against configured trust anchors, check that the certificate certifies the JWK's own key, and
 * give the certificate's Subject DN, to which the token issuer is then pinned.
 *
 * Pure functions over `node:crypto`: no Nest, no I/O. The chain is taken as given, in `x5c`
 * order (no path building, no reordering), and checked like OpenSSL's default verification does
 * for the parts that matter here: validity windows, issuer names and key identifiers, signatures,
 * CA flags, and a trust anchor at the top. Not checked: revocation, path-length and name
 * constraints, policies, unknown critical extensions, the leaf's key usage.
 */
import { createPublicKey, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';

import {
  formatDistinguishedName,
  parseDn,
  resolveAttributeType,
  type DistinguishedName,
} from '../utils/dn.util.js';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/**
 * Why a JWK's certificate was not trusted:
 * - `no_x5c`: the JWK has no `x5c` member;
 * - `malformed`: `x5c` is not a non-empty array of standard base64 DER certificates (at most
 *   10), or the leaf's Subject cannot be read as a DN;
 * - `expired` / `not_yet_valid`: a certificate of the chain, or the trust anchor it chains to, is
 *   outside its validity window;
 * - `not_a_ca`: a certificate after the leaf is not a CA (basicConstraints CA, and keyCertSign
 *   when keyUsage is present);
 * - `bad_signature`: a certificate names its issuer correctly but the signature does not verify;
 * - `untrusted`: a certificate was not issued by the next one in `x5c`, or the last one neither is
 *   a trust anchor nor was issued by one;
 * - `key_mismatch`: the leaf certificate certifies another key than the JWK's, or the JWK does
 *   not import as a public key.
 * @publicApi
 */
export type CertificateTrustFailure =
  | 'no_x5c'
  | 'malformed'
  | 'expired'
  | 'not_yet_valid'
  | 'not_a_ca'
  | 'bad_signature'
  | 'untrusted'
  | 'key_mismatch';

/**
 * A JWK's certificate chain is not trusted. `reason` is stable; the message is for people (it
 * names the `x5c` position and subject of the offending certificate) and may change.
 *
 * @example
 * if (err instanceof CertificateTrustError && err.reason === 'expired') { ... }
 * @publicApi
 */
export class CertificateTrustError extends Error {
  readonly reason: CertificateTrustFailure;

  constructor(reason: CertificateTrustFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CertificateTrustError';
    this.reason = reason;
  }
}

/**
 * The leaf certificate of a verified `x5c` chain.
 * @publicApi
 */
export interface TrustedCertificate {
  /** The leaf's Subject DN, parsed; most specific RDN first. */
  readonly subject: DistinguishedName;
  /** `formatDistinguishedName(subject)`: RFC 4514, most specific RDN first (`CN=…,O=…,C=GB`). */
  readonly subjectDn: string;
  /** The value of the leaf's most specific CN, or `undefined` when its Subject has none. */
  readonly commonName: string | undefined;
  /** End of the leaf's validity window. */
  readonly notAfter: Date;
  /** SHA-256 fingerprint of the leaf, as Node writes it (`AB:CD:…`, upper-case hex). */
  readonly fingerprint256: string;
}

// ---------------------------------------------------------------------------------------------
// Trust anchors
// ---------------------------------------------------------------------------------------------

/**
 * Parses one or more PEM bundles (each may hold several `CERTIFICATE` blocks; text between
 * blocks is ignored) into CA certificates, for {@link verifyJwkCertificate}. Duplicates are
 * dropped. Expiry is not checked here: an anchor outside its validity window is simply not used.
 *
 * @throws {Error} saying what is wrong and where: no PEM certificate in a bundle (DER is not
 * accepted), an unterminated block or one of another kind (`PRIVATE KEY`, …), a block that is not
 * a certificate, or a certificate that is not a CA (basicConstraints CA must be true, and
 * keyUsage, when present, must allow keyCertSign). Meant for configuration validation.
 * @publicApi
 */
export function loadTrustAnchors(
  pem: string | Buffer | readonly (string | Buffer)[],
): readonly X509Certificate[] {
  const bundles = isBundleList(pem) ? pem : [pem];
  if (bundles.length === 0) {
    throw new Error('trust anchors: no PEM bundle given');
  }
  const anchors: X509Certificate[] = [];
  const seen = new Set<string>();
  bundles.forEach((bundle, index) => {
    const where = bundles.length > 1 ? `PEM bundle #${index + 1}` : 'PEM bundle';
    for (const cert of parseCaBundle(bundle, where)) {
      if (!seen.has(cert.fingerprint256)) {
        seen.add(cert.fingerprint256);
        anchors.push(cert);
      }
    }
  });
  return Object.freeze(anchors);
}

function isBundleList(
  pem: string | Buffer | readonly (string | Buffer)[],
): pem is readonly (string | Buffer)[] {
  return Array.isArray(pem);
}

function parseCaBundle(bundle: unknown, where: string): X509Certificate[] {
  if (typeof bundle !== 'string' && !Buffer.isBuffer(bundle)) {
    throw new Error(`trust anchors: ${where} is not a string or Buffer`);
  }
  // PEM is ASCII; latin1 keeps every byte as one character, so a DER Buffer cannot fail to decode.
  const text = typeof bundle === 'string' ? bundle : bundle.toString('latin1');
  const certs: X509Certificate[] = [];
  const begin = /-----BEGIN ([^\r\n-]*)-----/g;
  for (let match = begin.exec(text); match !== null; match = begin.exec(text)) {
    const label = match[1] ?? '';
    const number = certs.length + 1;
    if (label !== 'CERTIFICATE') {
      throw new Error(
        `trust anchors: ${where} holds a '${label}' PEM block; only CERTIFICATE blocks are accepted`,
      );
    }
    const endMarker = '-----END CERTIFICATE-----';
    const end = text.indexOf(endMarker, begin.lastIndex);
    if (end < 0) {
      throw new Error(`trust anchors: ${where}: certificate #${number} has no '${endMarker}' line`);
    }
    const block = text.slice(match.index, end + endMarker.length);
    begin.lastIndex = end + endMarker.length;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch (err: unknown) {
      throw new Error(
        `trust anchors: ${where}: certificate #${number} is not a valid certificate (${errorMessage(err)})`,
        { cause: err },
      );
    }
    if (!cert.ca) {
      throw new Error(
        `trust anchors: ${where}: certificate #${number} (${describe(cert)}) is not a CA certificate: ` +
          'basicConstraints CA must be true (and keyUsage, when present, must include keyCertSign)',
      );
    }
    certs.push(cert);
  }
  if (certs.length === 0) {
    const der = text.charCodeAt(0) === 0x30 ? ' (it looks like DER; convert it to PEM)' : '';
    throw new Error(
      `trust anchors: ${where} is not PEM: no '-----BEGIN CERTIFICATE-----' block found${der}`,
    );
  }
  return certs;
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/** Longest `x5c` accepted: a real chain has two or three certificates. */
const MAX_CHAIN_LENGTH = 10;
/** Longest base64 text of one certificate (48 KiB of DER). */
const MAX_CERTIFICATE_BASE64_LENGTH = 65_536;
/** RFC 4648 §4 base64 with padding; no base64url characters, no whitespace. */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Verifies the JWK's `x5c` chain (leaf first, then each issuer) at time `now`:
 * 1. every certificate is within its validity window (bounds included);
 * 2. each certificate after the leaf is a CA, and names, key identifiers and signature show it
 *    issued the one before it;
 * 3. the last certificate is one of `anchors` (same SHA-256 fingerprint), or was issued by and
 *    verifies under an anchor that is a CA and within its validity window;
 * 4. the leaf's public key is the JWK's key (SPKI DER compared byte for byte).
 *
 * @param jwk The JWK as published; only `x5c` and the key members are read.
 * @param anchors Trusted CA certificates, usually from {@link loadTrustAnchors}.
 * @param now The time to check validity at.
 * @returns the leaf's subject, fingerprint and expiry.
 * @throws {CertificateTrustError} with the first failure found, in the order above.
 * @throws {TypeError} when `now` is not a valid Date.
 * @publicApi
 */
export function verifyJwkCertificate(
  jwk: Readonly<Record<string, unknown>>,
  anchors: readonly X509Certificate[],
  now: Date,
): TrustedCertificate {
  // Not `instanceof Date`: a Date from another realm (a vm context, Jest) is just as good.
  const nowMs =
    Object.prototype.toString.call(now) === '[object Date]' ? now.getTime() : Number.NaN;
  if (Number.isNaN(nowMs)) {
    throw new TypeError('verifyJwkCertificate: `now` must be a valid Date');
  }
  const chain = parseX5c(jwk['x5c']).map(
    (cert, i): ChainEntry => ({ cert, at: `x5c[${i}]`, window: validityWindow(cert, i) }),
  );
  const [leaf] = chain;
  const top = chain[chain.length - 1];
  if (leaf === undefined || top === undefined) {
    throw new CertificateTrustError('malformed', 'x5c is not a non-empty array'); // unreachable
  }

  for (const entry of chain) {
    checkWindow(entry.window, nowMs, entry.at, entry.cert);
  }

  let child: ChainEntry | undefined;
  for (const parent of chain) {
    if (child !== undefined) checkIssuedBy(child, parent);
    child = parent;
  }

  checkAnchored(top, anchors, nowMs);

  checkKey(jwk, leaf.cert);

  return Object.freeze({
    ...subjectOf(leaf.cert),
    notAfter: new Date(leaf.window.notAfter),
    fingerprint256: leaf.cert.fingerprint256,
  });
}

/** One certificate of `x5c`, with its position (`x5c[1]`) for messages. */
interface ChainEntry {
  readonly cert: X509Certificate;
  readonly at: string;
  readonly window: ValidityWindow;
}

function parseX5c(x5c: unknown): readonly X509Certificate[] {
  if (x5c === undefined) {
    throw new CertificateTrustError('no_x5c', 'the JWK has no x5c certificate chain');
  }
  if (!Array.isArray(x5c) || x5c.length === 0) {
    throw new CertificateTrustError('malformed', 'x5c is not a non-empty array');
  }
  if (x5c.length > MAX_CHAIN_LENGTH) {
    throw new CertificateTrustError(
      'malformed',
      `x5c holds ${x5c.length} certificates; at most ${MAX_CHAIN_LENGTH} are accepted`,
    );
  }
  const entries: readonly unknown[] = x5c;
  return entries.map((entry, i) => parseCertificate(entry, i));
}

function parseCertificate(entry: unknown, index: number): X509Certificate {
  const at = `x5c[${index}]`;
  if (typeof entry !== 'string') {
    throw new CertificateTrustError('malformed', `${at} is not a string`);
  }
  if (entry.length > MAX_CERTIFICATE_BASE64_LENGTH) {
    throw new CertificateTrustError(
      'malformed',
      `${at} is longer than ${MAX_CERTIFICATE_BASE64_LENGTH} characters`,
    );
  }
  const der = Buffer.from(entry, 'base64');
  // The round trip rejects non-zero padding bits, so each certificate has one encoding.
  if (entry === '' || !STRICT_BASE64.test(entry) || der.toString('base64') !== entry) {
    throw new CertificateTrustError(
      'malformed',
      `${at} is not standard base64 (RFC 4648 §4, padded, no whitespace)`,
    );
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (err: unknown) {
    // Node tries PEM before DER, so OpenSSL's message ("no start line") would mislead; keep it as cause.
    throw new CertificateTrustError('malformed', `${at} is not a DER certificate`, { cause: err });
  }
  if (!cert.raw.equals(der)) {
    throw new CertificateTrustError('malformed', `${at} has data after the certificate`);
  }
  return cert;
}

interface ValidityWindow {
  readonly notBefore: number;
  readonly notAfter: number;
}

function validityWindow(cert: X509Certificate, index: number): ValidityWindow {
  // Node 20 has only the text forms (`Dec  4 18:02:47 2026 GMT`); validFromDate came in 22.10.
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  if (Number.isNaN(notBefore) || Number.isNaN(notAfter)) {
    throw new CertificateTrustError(
      'malformed',
      `x5c[${index}] has an unreadable validity period ('${cert.validFrom}' to '${cert.validTo}')`,
    );
  }
  return { notBefore, notAfter };
}

function checkWindow(
  window: ValidityWindow,
  nowMs: number,
  what: string,
  cert: X509Certificate,
): void {
  if (nowMs < window.notBefore) {
    throw new CertificateTrustError(
      'not_yet_valid',
      `${what} (${describe(cert)}) is not valid before ${new Date(window.notBefore).toISOString()}`,
    );
  }
  if (nowMs > window.notAfter) {
    throw new CertificateTrustError(
      'expired',
      `${what} (${describe(cert)}) expired at ${new Date(window.notAfter).toISOString()}`,
    );
  }
}

function checkIssuedBy(child: ChainEntry, parent: ChainEntry): void {
  if (!parent.cert.ca) {
    throw new CertificateTrustError(
      'not_a_ca',
      `${parent.at} (${describe(parent.cert)}) is not a CA certificate ` +
        '(basicConstraints CA must be true, and keyUsage, when present, must include keyCertSign)',
    );
  }
  if (!child.cert.checkIssued(parent.cert)) {
    throw new CertificateTrustError(
      'untrusted',
      `${child.at} was not issued by ${parent.at} (${describe(parent.cert)}): ` +
        `its issuer is ${describeName(child.cert.issuer)}`,
    );
  }
  if (!verifiesUnder(child.cert, parent.cert.publicKey)) {
    throw new CertificateTrustError(
      'bad_signature',
      `the signature of ${child.at} (${describe(child.cert)}) does not verify ` +
        `under the key of ${parent.at}`,
    );
  }
}

function checkAnchored(entry: ChainEntry, anchors: readonly X509Certificate[], nowMs: number): void {
  const top = entry.cert;
  if (anchors.some(anchor => anchor.fingerprint256 === top.fingerprint256)) {
    return; // The anchor itself, already checked for validity as part of the chain.
  }
  const issuers = anchors.filter(anchor => anchor.ca && top.checkIssued(anchor));
  if (issuers.length === 0) {
    throw new CertificateTrustError(
      'untrusted',
      `${entry.at} (${describe(top)}, issued by ${describeName(top.issuer)}) is not a trust anchor ` +
        'and was not issued by one',
    );
  }
  const signers = issuers.filter(anchor => verifiesUnder(top, anchor.publicKey));
  const [signer] = signers;
  if (signer === undefined) {
    throw new CertificateTrustError(
      'bad_signature',
      `the signature of ${entry.at} (${describe(top)}) does not verify ` +
        'under the trust anchor that names it as issuer',
    );
  }
  const inWindow = signers.find(anchor => {
    const window = anchorWindow(anchor);
    return window !== undefined && window.notBefore <= nowMs && nowMs <= window.notAfter;
  });
  if (inWindow === undefined) {
    const window = anchorWindow(signer);
    if (window === undefined) {
      throw new CertificateTrustError(
        'untrusted',
        `the trust anchor (${describe(signer)}) has an unreadable validity period`,
      );
    }
    checkWindow(window, nowMs, 'the trust anchor', signer);
  }
}

function anchorWindow(anchor: X509Certificate): ValidityWindow | undefined {
  const notBefore = Date.parse(anchor.validFrom);
  const notAfter = Date.parse(anchor.validTo);
  return Number.isNaN(notBefore) || Number.isNaN(notAfter) ? undefined : { notBefore, notAfter };
}

function verifiesUnder(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.verify(key);
  } catch {
    return false; // e.g. a key type the signature algorithm does not fit
  }
}

function checkKey(jwk: Readonly<Record<string, unknown>>, leaf: X509Certificate): void {
  let jwkSpki: Buffer;
  try {
    const key: JsonWebKey = { ...jwk };
    jwkSpki = createPublicKey({ key, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  } catch (err: unknown) {
    throw new CertificateTrustError(
      'key_mismatch',
      `the JWK does not import as a public key (${errorMessage(err)})`,
      { cause: err },
    );
  }
  const leafSpki = leaf.publicKey.export({ type: 'spki', format: 'der' });
  if (!jwkSpki.equals(leafSpki)) {
    throw new CertificateTrustError(
      'key_mismatch',
      `x5c[0] (${describe(leaf)}) certifies another public key than the JWK's`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Subject DN
// ---------------------------------------------------------------------------------------------

/**
 * Types OpenSSL writes by a short name that `parseDn` does not know; they are rewritten as
 * dotted OIDs (so `businessCategory=…` becomes `2.5.4.15=…`).
 */
const OPENSSL_NAME_OIDS: Readonly<Record<string, string>> = {
  businessCategory: '2.5.4.15',
  description: '2.5.4.13',
  houseIdentifier: '2.5.4.51',
  jurisdictionC: '1.3.6.1.4.1.311.60.2.1.3',
  jurisdictionL: '1.3.6.1.4.1.311.60.2.1.1',
  jurisdictionST: '1.3.6.1.4.1.311.60.2.1.2',
  mail: '0.9.2342.19200300.100.1.3',
  name: '2.5.4.41',
  postalAddress: '2.5.4.16',
  postOfficeBox: '2.5.4.18',
  role: '2.5.4.72',
  telephoneNumber: '2.5.4.20',
  unstructuredAddress: '1.2.840.113549.1.9.8',
  unstructuredName: '1.2.840.113549.1.9.2',
  x500UniqueIdentifier: '2.5.4.45',
};

/**
 * Node's `X509Certificate.subject` is OpenSSL's multi-line form (`X509_NAME_print_ex` with
 * `XN_FLAG_SEP_MULTILINE | XN_FLAG_FN_SN | ASN1_STRFLGS_ESC_2253 | ASN1_STRFLGS_ESC_CTRL |
 * ASN1_STRFLGS_UTF8_CONVERT`): one RDN per line in certificate order (country first), the
 * attributes of a multi-valued RDN joined by ` + `, values escaped as in RFC 2253 (`\,` `\+`
 * `\#`… and `\0A` for control characters, so a value never holds a raw newline or an unescaped
 * `+`) and non-ASCII written as UTF-8. Reversing the lines gives an RFC 4514 string.
 * For an empty Subject, Node gives `undefined`.
 */
function rfc4514FromNodeSubject(text: string | undefined): string {
  if (text === undefined || text === '') {
    throw new Error('the Subject is empty');
  }
  return text
    .split('\n')
    .reverse()
    .map(line => line.split(' + ').map(withParsableType).join('+'))
    .join(',');
}

function withParsableType(attribute: string): string {
  const eq = attribute.indexOf('=');
  const type = attribute.slice(0, eq);
  const known = eq > 0 && resolveAttributeType(type)?.oid !== undefined;
  const oid = eq > 0 && !known ? OPENSSL_NAME_OIDS[type] : undefined;
  return oid === undefined ? attribute : `${oid}${attribute.slice(eq)}`;
}

function subjectOf(
  leaf: X509Certificate,
): Pick<TrustedCertificate, 'subject' | 'subjectDn' | 'commonName'> {
  const text: string | undefined = leaf.subject;
  let subject: DistinguishedName;
  try {
    subject = parseDn(rfc4514FromNodeSubject(text));
  } catch (err: unknown) {
    throw new CertificateTrustError(
      'malformed',
      `the Subject of x5c[0] cannot be read as a DN (${errorMessage(err)})`,
      { cause: err },
    );
  }
  const commonName = subject.rdns.flat().find(attribute => attribute.oid === '2.5.4.3')?.value;
  return { subject, subjectDn: formatDistinguishedName(subject), commonName };
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/** `subject 'CN=…,O=…', SHA-256 AB:CD:…` for error messages; never throws. */
function describe(cert: X509Certificate): string {
  return `subject ${describeName(cert.subject)}, SHA-256 ${cert.fingerprint256}`;
}

/** An OpenSSL multi-line name as a quoted RFC 4514 string when it parses, else JSON-quoted. */
function describeName(text: string | undefined): string {
  if (text === undefined || text === '') return 'empty';
  try {
    return `'${formatDistinguishedName(parseDn(rfc4514FromNodeSubject(text)))}'`;
  } catch {
    return JSON.stringify(text);
  }
}

// Structural, not `instanceof Error`: under Jest's VM modules, Node's errors come from another realm.
function errorMessage(err: unknown): string {
  return typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string'
    ? err.message
    : String(err);
}
