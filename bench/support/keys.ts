import {
  constants,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
  type SignKeyObjectInput,
  type VerifyKeyObjectInput,
} from 'node:crypto';

/** The algorithms part 1 compares; EdDSA is tried too, and reported as the library answers. */
export type BenchAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

export const ISSUER = 'CN=Bench Gateway Signing,O=Example,C=GB';
export const CALLER_DN = 'CN=service1,OU=Payments,O=Acme Ltd,C=GB';
/** `audience.baseUrl` of every application in the benchmark; tokens carry this plus the path. */
export const AUDIENCE_BASE = 'https://api.bench.example';

/** A gateway signing key and its public JWK as the JWKS publishes it. */
export interface BenchKey {
  readonly alg: BenchAlgorithm;
  readonly kid: string;
  readonly privateKey: KeyObject;
  /** Imported once: what the raw baseline verifies with. */
  readonly publicKey: KeyObject;
  readonly jwk: Readonly<Record<string, unknown>>;
}

export function createKey(alg: BenchAlgorithm): BenchKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `bench-${alg.toLowerCase()}`;
  return {
    alg,
    kid,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
  };
}

/** Node's digest name (null for EdDSA) and key options (padding, signature encoding) for `alg`. */
function scheme(alg: BenchAlgorithm): { digest: string | null; options: { padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' } } {
  switch (alg) {
    case 'RS256':
      return { digest: 'sha256', options: {} };
    case 'PS256':
      return { digest: 'sha256', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } };
    case 'ES256':
      return { digest: 'sha256', options: { dsaEncoding: 'ieee-p1363' } };
    case 'EdDSA':
      return { digest: null, options: {} };
  }
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS as the gateway mints it: `iss`, `sub`, `aud` = base + path, `iat`, `exp`, `jti`. */
export function mintToken(key: BenchKey, path: string, lifetimeSeconds = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url({ alg: key.alg, kid: key.kid, typ: 'JWT' });
  const payload = b64url({
    iss: ISSUER,
    sub: CALLER_DN,
    aud: `${AUDIENCE_BASE}${path}`,
    iat: now,
    exp: now + lifetimeSeconds,
    jti: `bench-${key.alg}-${now}`,
  });
  const { digest, options } = scheme(key.alg);
  const input: SignKeyObjectInput = { key: key.privateKey, ...options };
  const signature = sign(digest, Buffer.from(`${header}.${payload}`), input).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

/**
 * The raw baseline: `crypto.verify` of the token's signature with the pre-imported public key,
 * signing input and signature decoded once. Throws if the signature does not verify.
 */
export function rawVerifier(key: BenchKey, token: string): () => boolean {
  const cut = token.lastIndexOf('.');
  const data = Buffer.from(token.slice(0, cut));
  const signature = Buffer.from(token.slice(cut + 1), 'base64url');
  const { digest, options } = scheme(key.alg);
  const input: VerifyKeyObjectInput = { key: key.publicKey, ...options };
  const check = (): boolean => verify(digest, data, input, signature);
  if (!check()) throw new Error(`raw ${key.alg} verification of the benchmark token failed`);
  return check;
}
