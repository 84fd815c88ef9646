import { generateKeyPair, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { SUPPORTED_ALGORITHMS } from '../gateway-auth.options.js';
import type { GatewayJwsAlgorithm } from '../interfaces/gateway-auth-options.interface.js';
import { describeValue, invalid, knownKeys, nonEmptyString, objectArgument } from './input-checks.js';

/**
 * The algorithms the kit signs with: every one the module can verify (RFC 7518 §3.1, RFC 8037).
 * @publicApi
 */
export const TEST_SIGNING_ALGORITHMS: readonly GatewayJwsAlgorithm[] = Object.freeze([...SUPPORTED_ALGORITHMS]);

/**
 * The public half of a test key as a JWKS publishes it: Node's `KeyObject.export({ format: 'jwk' })`
 * plus `kid`, `alg` and `use: 'sig'`.
 * @publicApi
 */
export type TestPublicJwk = Readonly<JsonWebKey> & {
  readonly kty: string;
  readonly kid: string;
  readonly alg: GatewayJwsAlgorithm;
  readonly use: 'sig';
};

/**
 * A signing key as a test gateway holds it. A plain frozen object: `{ ...key, kid: 'other' }` is
 * the same key under another `kid` (the token header names the spread `kid`, the JWK keeps its own).
 * @publicApi
 */
export interface TestSigningKey {
  readonly kid: string;
  readonly alg: GatewayJwsAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** What the JWKS publishes for this key. */
  readonly jwk: TestPublicJwk;
}

/** @publicApi */
export interface TestSigningKeyOptions {
  /** The key id. @default the algorithm and random hex, e.g. `rs256-9f2c41d0` */
  readonly kid?: string;
  /** With `EdDSA` only: the curve. @default 'Ed25519' */
  readonly curve?: 'Ed25519' | 'Ed448';
}

type KeyPairSpec =
  | { readonly type: 'rsa'; readonly options: { readonly modulusLength: number } }
  | { readonly type: 'ec'; readonly options: { readonly namedCurve: string } }
  | { readonly type: 'ed25519' | 'ed448'; readonly options: undefined };

function keyPairSpec(alg: GatewayJwsAlgorithm, curve: 'Ed25519' | 'Ed448'): KeyPairSpec {
  switch (alg) {
    case 'ES256':
      return { type: 'ec', options: { namedCurve: 'P-256' } };
    case 'ES384':
      return { type: 'ec', options: { namedCurve: 'P-384' } };
    case 'ES512':
      return { type: 'ec', options: { namedCurve: 'P-521' } };
    case 'EdDSA':
      return { type: curve === 'Ed448' ? 'ed448' : 'ed25519', options: undefined };
    default:
      // RS* and PS* share plain RSA keys (JWK kty "RSA"); PSS is chosen when signing. 2048 bits is
      // the least the module accepts.
      return { type: 'rsa', options: { modulusLength: 2048 } };
  }
}

function generate(spec: KeyPairSpec): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, publicKey: KeyObject, privateKey: KeyObject) =>
      error ? reject(error) : resolve({ publicKey, privateKey });
    switch (spec.type) {
      case 'rsa':
        generateKeyPair('rsa', spec.options, done);
        return;
      case 'ec':
        generateKeyPair('ec', spec.options, done);
        return;
      case 'ed25519':
        generateKeyPair('ed25519', undefined, done);
        return;
      case 'ed448':
        generateKeyPair('ed448', undefined, done);
        return;
    }
  });
}

/** Throws unless `value` is an algorithm the kit can sign with (HS* and none are refused, as the module refuses them). */
export function checkSigningAlgorithm(value: unknown, where: string, name = 'algorithm'): GatewayJwsAlgorithm {
  if (typeof value === 'string' && (TEST_SIGNING_ALGORITHMS as readonly string[]).includes(value)) {
    return value as GatewayJwsAlgorithm;
  }
  const why =
    typeof value === 'string' && (/^HS/i.test(value) || value.toLowerCase() === 'none')
      ? ' (a gateway signs with a private key; the module refuses HMAC and unsigned tokens)'
      : '';
  return invalid(where, `${name} must be one of ${TEST_SIGNING_ALGORITHMS.join(', ')}, got ${describeValue(value)}${why}`);
}

/**
 * A fresh key pair for `algorithm` (RSA 2048 for RS* and PS*, P-256/P-384/P-521 for ES*, Ed25519 or
 * Ed448 for EdDSA), with its public JWK. Test-only: the private key lives in memory, unprotected.
 *
 * @example
 * const key = await generateTestSigningKey('ES256', { kid: 'gw-2026-01' });
 * @publicApi
 */
export async function generateTestSigningKey(
  algorithm: GatewayJwsAlgorithm = 'RS256',
  options: TestSigningKeyOptions = {},
): Promise<TestSigningKey> {
  const where = 'generateTestSigningKey()';
  const alg = checkSigningAlgorithm(algorithm, where);
  const given = objectArgument(options, where, 'options');
  knownKeys(given, ['kid', 'curve'], where, 'option');
  const kid = nonEmptyString(given['kid'], where, 'kid') ?? `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`;
  const curve = given['curve'];
  if (curve !== undefined) {
    if (alg !== 'EdDSA') invalid(where, `curve is for EdDSA keys only; ${alg} fixes its own`);
    if (curve !== 'Ed25519' && curve !== 'Ed448') invalid(where, `curve must be 'Ed25519' or 'Ed448', got ${describeValue(curve)}`);
  }
  const { publicKey, privateKey } = await generate(keyPairSpec(alg, curve === 'Ed448' ? 'Ed448' : 'Ed25519'));
  const exported = publicKey.export({ format: 'jwk' });
  const jwk = Object.freeze({ ...exported, kty: String(exported.kty), kid, alg, use: 'sig' as const });
  return Object.freeze({ kid, alg, privateKey, publicKey, jwk });
}
