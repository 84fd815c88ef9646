// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect
// metadata polyfill loaded before the library itself.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The demo's test PKI: a CA the gateway trusts, the gateway's TLS and JWT-signing certificates,
 * two client certificates it issued, and a second, untrusted CA with a look-alike client
 * certificate. Generated on first use with @peculiar/x509 over Node's WebCrypto and kept as PEM
 * files, so the gateway simulator, curl and openssl can all use the same set.
 *
 * For local development and tests only: the private keys are written unencrypted.
 */

x509.cryptoProvider.set(webcrypto);

/** A certificate with its private key, as PEM text and as the files holding them. */
export interface CertifiedKey {
  readonly certPem: string;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/** A CA certificate (its key is not kept: nothing is issued after generation). */
export interface DemoCa {
  readonly certPem: string;
  readonly certPath: string;
}

export interface DemoPki {
  /** The directory holding the PEM files (absolute). */
  readonly dir: string;
  /** The test CA the gateway trusts for client certificates; it also signed the gateway's certificates. */
  readonly ca: DemoCa;
  /** The gateway's TLS server certificate: SAN `DNS:localhost`, `IP:127.0.0.1`; EKU serverAuth. */
  readonly gatewayTls: CertifiedKey;
  /**
   * The gateway's JWT signing certificate and RSA-2048 key (RS256), issued by the test CA.
   * Subject: {@link DEMO_CALLER_DNS}.gatewaySigning.
   */
  readonly gatewaySigning: CertifiedKey;
  /** A client certificate (EKU clientAuth). Subject: {@link DEMO_CALLER_DNS}.service1. */
  readonly service1: CertifiedKey;
  /** A client certificate whose values need RFC 4514 escaping. Subject: {@link DEMO_CALLER_DNS}.escaped. */
  readonly escaped: CertifiedKey;
  /** A second CA, which the gateway does NOT trust. */
  readonly untrustedCa: DemoCa;
  /**
   * A client certificate issued by {@link DemoPki.untrustedCa}, named like service1:
   * `CN=service1,O=Acme Ltd,C=GB`.
   */
  readonly rogue: CertifiedKey;
}

/** The RFC 4514 Subject DNs of the demo certificates, as the gateway reports them. */
export const DEMO_CALLER_DNS = {
  service1: 'CN=service1,OU=Payments,O=Acme Ltd,C=GB',
  escaped: 'CN=Smith\\, John,OU=R\\+D,O=Acme Ltd,C=GB',
  gatewaySigning: 'CN=IAG Signing,O=Example,C=GB',
} as const;

/** Bump to make every existing PKI directory regenerate (e.g. after changing a subject). */
const PKI_VERSION = 1;
const MANIFEST = 'manifest.json';
const LOCK = '.lock';
/** Regenerate when any certificate expires within this window. */
const MIN_REMAINING_MS = 7 * 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
const LEAF_LIFETIME_MS = 365 * 24 * HOUR_MS;
const CA_LIFETIME_MS = 2 * LEAF_LIFETIME_MS;
/** A lock file older than this is taken to be left behind, even if its pid looks alive. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// What is generated

type AttributeType = 'C' | 'O' | 'OU' | 'CN';
/** One single-valued RDN. A subject is a list of these in ASN.1 (encoding) order: C first, CN last. */
type Rdn = readonly [type: AttributeType, value: string];

type CaName = 'ca' | 'untrustedCa';
type LeafName = 'gatewayTls' | 'gatewaySigning' | 'service1' | 'escaped' | 'rogue';
type LeafKind = 'server' | 'client' | 'signing';

interface CaSpec {
  readonly file: string;
  readonly subject: readonly Rdn[];
}

interface LeafSpec {
  readonly certFile: string;
  readonly keyFile: string;
  readonly subject: readonly Rdn[];
  readonly issuer: CaName;
  readonly kind: LeafKind;
}

const CAS: Readonly<Record<CaName, CaSpec>> = {
  ca: {
    file: 'ca.crt',
    subject: [['C', 'GB'], ['O', 'Example'], ['CN', 'Demo Gateway Test CA']],
  },
  untrustedCa: {
    file: 'untrusted-ca.crt',
    subject: [['C', 'GB'], ['O', 'Untrusted Example'], ['CN', 'Untrusted Test CA']],
  },
};

const LEAVES: Readonly<Record<LeafName, LeafSpec>> = {
  gatewayTls: {
    certFile: 'gateway-tls.crt',
    keyFile: 'gateway-tls.key',
    subject: [['C', 'GB'], ['O', 'Example'], ['CN', 'localhost']],
    issuer: 'ca',
    kind: 'server',
  },
  gatewaySigning: {
    certFile: 'gateway-signing.crt',
    keyFile: 'gateway-signing.key',
    subject: [['C', 'GB'], ['O', 'Example'], ['CN', 'IAG Signing']],
    issuer: 'ca',
    kind: 'signing',
  },
  service1: {
    certFile: 'service1.crt',
    keyFile: 'service1.key',
    subject: [['C', 'GB'], ['O', 'Acme Ltd'], ['OU', 'Payments'], ['CN', 'service1']],
    issuer: 'ca',
    kind: 'client',
  },
  escaped: {
    certFile: 'escaped.crt',
    keyFile: 'escaped.key',
    subject: [['C', 'GB'], ['O', 'Acme Ltd'], ['OU', 'R+D'], ['CN', 'Smith, John']],
    issuer: 'ca',
    kind: 'client',
  },
  rogue: {
    certFile: 'rogue.crt',
    keyFile: 'rogue.key',
    subject: [['C', 'GB'], ['O', 'Acme Ltd'], ['CN', 'service1']],
    issuer: 'untrustedCa',
    kind: 'client',
  },
};

const CA_NAMES = Object.keys(CAS) as CaName[];
const LEAF_NAMES = Object.keys(LEAVES) as LeafName[];
const ALL_FILES: readonly string[] = [
  ...CA_NAMES.map(n => CAS[n].file),
  ...LEAF_NAMES.flatMap(n => [LEAVES[n].certFile, LEAVES[n].keyFile]),
];

const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const RSA_KEY: webcrypto.RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};
/** Every certificate is signed by an ECDSA P-256 CA key. */
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

// ---------------------------------------------------------------------------------------------
// Public entry point

/**
 * Loads the PKI from `dir`, generating it when a file is missing, unreadable, or a certificate
 * expires within 7 days.
 *
 * The set is checked as a whole on load (manifest version and file hashes, every leaf chains to
 * its CA, every key matches its certificate); anything off regenerates all of it, so a
 * half-written set never survives. Concurrent callers on the same directory (e.g. parallel Jest
 * workers) serialise on a lock file, and the losers load what the winner wrote.
 *
 * @param dir Where the PEM files live. @default `<repo>/sample/.pki`
 */
export async function ensureDemoPki(dir: string = defaultPkiDir()): Promise<DemoPki> {
  const abs = resolve(dir);
  const existing = await tryLoad(abs);
  if (existing) return existing;

  await mkdir(abs, { recursive: true });
  return withLock(abs, async () => {
    // Another process may have generated the set while this one waited for the lock.
    const generatedMeanwhile = await tryLoad(abs);
    if (generatedMeanwhile) return generatedMeanwhile;
    const files = await generateFiles();
    await writeSet(abs, files);
    return toPki(abs, files);
  });
}

// ---------------------------------------------------------------------------------------------
// Generation

/** Builds an x509 Name in exactly the given (ASN.1) order, with explicit string types. */
function toName(subject: readonly Rdn[]): x509.Name {
  // The JSON form keeps the array order as the encoding order. Each value is passed as an object
  // with an explicit string type because plain string values go through the library's
  // string-form unescaping (quotes stripped, `\x` collapsed, a leading `#` read as hex).
  // PrintableString where the value allows it (C must be PrintableString), as the library does.
  return new x509.Name(
    subject.map(([type, value]) => ({
      [type]: [x509.Name.isPrintableString(value) ? { printableString: value } : { utf8String: value }],
    })),
  );
}

type FileSet = ReadonlyMap<string, string>;

async function generateFiles(): Promise<FileSet> {
  const files = new Map<string, string>();
  const now = Date.now();
  const notBefore = new Date(now - HOUR_MS);

  const caKeys = new Map<CaName, webcrypto.CryptoKeyPair>();
  const caCerts = new Map<CaName, x509.X509Certificate>();
  for (const name of CA_NAMES) {
    const spec = CAS[name];
    const keys = await generateKeyPair(EC_KEY);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: toName(spec.subject),
      keys,
      notBefore,
      notAfter: new Date(now + CA_LIFETIME_MS),
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    caKeys.set(name, keys);
    caCerts.set(name, cert);
    files.set(spec.file, cert.toString('pem'));
  }

  for (const name of LEAF_NAMES) {
    const spec = LEAVES[name];
    const issuerKeys = required(caKeys.get(spec.issuer), spec.issuer);
    const issuerCert = required(caCerts.get(spec.issuer), spec.issuer);
    const keys = await generateKeyPair(spec.kind === 'signing' ? RSA_KEY : EC_KEY);
    const cert = await x509.X509CertificateGenerator.create({
      subject: toName(spec.subject),
      issuer: issuerCert.subjectName,
      publicKey: keys.publicKey,
      signingKey: issuerKeys.privateKey,
      notBefore,
      notAfter: new Date(now + LEAF_LIFETIME_MS),
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        ...usageExtensions(spec.kind),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(issuerKeys.publicKey),
      ],
    });
    files.set(spec.certFile, cert.toString('pem'));
    files.set(spec.keyFile, await privateKeyPem(keys.privateKey));
  }
  return files;
}

function usageExtensions(kind: LeafKind): x509.Extension[] {
  switch (kind) {
    case 'server':
      return [
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
        ]),
      ];
    case 'client':
      return [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])];
    case 'signing':
      return [];
  }
}

async function generateKeyPair(
  algorithm: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams,
): Promise<webcrypto.CryptoKeyPair> {
  const usages: webcrypto.KeyUsage[] = ['sign', 'verify'];
  return webcrypto.subtle.generateKey(algorithm, true, usages);
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return ensureTrailingNewline(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'));
}

function ensureTrailingNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`demo PKI: ${what} missing`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Files

interface Manifest {
  readonly version: number;
  readonly generatedAt: string;
  /** File name → SHA-256 (hex) of its content. */
  readonly files: Readonly<Record<string, string>>;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const isKeyFile = (file: string): boolean => file.endsWith('.key');

/** Writes every file (each atomically), then the manifest last: no manifest, no valid set. */
async function writeSet(dir: string, files: FileSet): Promise<void> {
  await rm(join(dir, MANIFEST), { force: true });
  const hashes: Record<string, string> = {};
  for (const [file, content] of files) {
    await writeAtomically(join(dir, file), content, isKeyFile(file) ? 0o600 : 0o644);
    hashes[file] = sha256(content);
  }
  const manifest: Manifest = { version: PKI_VERSION, generatedAt: new Date().toISOString(), files: hashes };
  await writeAtomically(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
}

async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, content, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (err: unknown) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The set in `dir` when it is complete, consistent and not about to expire; otherwise undefined. */
async function tryLoad(dir: string): Promise<DemoPki | undefined> {
  try {
    const manifest = parseManifest(await readFile(join(dir, MANIFEST), 'utf8'));
    if (!manifest) return undefined;
    const files = new Map<string, string>();
    for (const file of ALL_FILES) {
      const content = await readFile(join(dir, file), 'utf8');
      if (manifest.files[file] !== sha256(content)) return undefined;
      files.set(file, content);
    }
    return isUsable(files) ? toPki(dir, files) : undefined;
  } catch {
    // Missing, unreadable or unparsable: regenerate.
    return undefined;
  }
}

function parseManifest(text: string): Manifest | undefined {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) return undefined;
  const { version, generatedAt, files } = value as Record<string, unknown>;
  if (version !== PKI_VERSION || typeof generatedAt !== 'string') return undefined;
  if (typeof files !== 'object' || files === null) return undefined;
  const hashes: Record<string, string> = {};
  for (const [file, hash] of Object.entries(files)) {
    if (typeof hash !== 'string') return undefined;
    hashes[file] = hash;
  }
  return { version, generatedAt, files: hashes };
}

/** Every certificate valid for at least another week, every leaf issued by its CA, every key its certificate's. */
function isUsable(files: FileSet): boolean {
  const cutoff = Date.now() + MIN_REMAINING_MS;
  const stillValid = (cert: X509Certificate): boolean => new Date(cert.validTo).getTime() > cutoff;
  const cas = new Map<CaName, X509Certificate>();
  for (const name of CA_NAMES) {
    const cert = new X509Certificate(required(files.get(CAS[name].file), name));
    if (!cert.ca || !stillValid(cert)) return false;
    cas.set(name, cert);
  }
  return LEAF_NAMES.every(name => {
    const spec = LEAVES[name];
    const ca = required(cas.get(spec.issuer), spec.issuer);
    const cert = new X509Certificate(required(files.get(spec.certFile), spec.certFile));
    const key = createPrivateKey(required(files.get(spec.keyFile), spec.keyFile));
    return stillValid(cert) && cert.checkIssued(ca) && cert.verify(ca.publicKey) && cert.checkPrivateKey(key);
  });
}

function toPki(dir: string, files: FileSet): DemoPki {
  const ca = (name: CaName): DemoCa => {
    const { file } = CAS[name];
    return { certPem: required(files.get(file), file), certPath: join(dir, file) };
  };
  const leaf = (name: LeafName): CertifiedKey => {
    const { certFile, keyFile } = LEAVES[name];
    return {
      certPem: required(files.get(certFile), certFile),
      keyPem: required(files.get(keyFile), keyFile),
      certPath: join(dir, certFile),
      keyPath: join(dir, keyFile),
    };
  };
  return {
    dir,
    ca: ca('ca'),
    gatewayTls: leaf('gatewayTls'),
    gatewaySigning: leaf('gatewaySigning'),
    service1: leaf('service1'),
    escaped: leaf('escaped'),
    untrustedCa: ca('untrustedCa'),
    rogue: leaf('rogue'),
  };
}

/** Runs `fn` holding an exclusive lock file in `dir`, so only one process generates at a time. */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = join(dir, LOCK);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (err: unknown) {
      if (!isErrnoException(err) || err.code !== 'EEXIST') throw err;
      if (await isStaleLock(lockPath)) {
        await rm(lockPath, { force: true });
      } else if (Date.now() > deadline) {
        throw new Error(`demo PKI: timed out waiting for ${lockPath}`);
      } else {
        await new Promise(r => setTimeout(r, 50));
      }
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

/** Left behind by a process that is gone (crashed or killed mid-generation), or simply too old. */
async function isStaleLock(lockPath: string): Promise<boolean> {
  try {
    const [content, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    const pid = Number.parseInt(content, 10);
    return (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) || Date.now() - info.mtimeMs > STALE_LOCK_MS;
  } catch {
    return false; // Released meanwhile: just try again.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: unknown) {
    return !isErrnoException(err) || err.code !== 'ESRCH';
  }
}

// Structural, not `instanceof Error`: under Jest's VM modules, Node's errors come from another realm.
function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return typeof err === 'object' && err !== null && 'code' in err;
}

/** `<repo>/sample/.pki`, found from this file's location (sample/gateway/ or dist-sample/sample/gateway/). */
function defaultPkiDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  let firstPackageDir: string | undefined;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      firstPackageDir ??= dir;
      if (packageName(pkg) === 'nestjs-gateway-auth') return join(dir, 'sample', '.pki');
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (firstPackageDir) return join(firstPackageDir, 'sample', '.pki');
  throw new Error('demo PKI: no package.json above ' + fileURLToPath(import.meta.url));
}

function packageName(pkgPath: string): string | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(pkgPath, 'utf8'));
    if (typeof value === 'object' && value !== null && 'name' in value && typeof value.name === 'string') {
      return value.name;
    }
  } catch {
    // Unreadable package.json: not ours.
  }
  return undefined;
}
