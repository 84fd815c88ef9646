import { constants, KeyObject, sign } from 'node:crypto';
import type { GatewayJwsAlgorithm } from '../interfaces/gateway-auth-options.interface.js';
import { describeValue, invalid, objectArgument } from './input-checks.js';
import { checkSigningAlgorithm, type TestSigningKey } from './test-signing-key.js';

/**
 * How each algorithm signs with Node's one-shot `crypto.sign` (RFC 7518 §3.3 to §3.5, RFC 8037 §3.1).
 * Written out again rather than shared with the verifier's table (jws-verify.util): a wrong entry
 * there must not be mirrored here, where it would sign exactly what the verifier wrongly expects.
 */
const SIGNING: Readonly<Record<GatewayJwsAlgorithm, { readonly hash: string | null; readonly kind: 'rsa' | 'pss' | 'ec' | 'ed'; readonly curve?: string }>> = {
  RS256: { hash: 'sha256', kind: 'rsa' },
  RS384: { hash: 'sha384', kind: 'rsa' },
  RS512: { hash: 'sha512', kind: 'rsa' },
  PS256: { hash: 'sha256', kind: 'pss' },
  PS384: { hash: 'sha384', kind: 'pss' },
  PS512: { hash: 'sha512', kind: 'pss' },
  ES256: { hash: 'sha256', kind: 'ec', curve: 'prime256v1' },
  ES384: { hash: 'sha384', kind: 'ec', curve: 'secp384r1' },
  ES512: { hash: 'sha512', kind: 'ec', curve: 'secp521r1' },
  EdDSA: { hash: null, kind: 'ed' },
};

/** Why `privateKey` cannot sign `alg`, or `undefined` when it can. */
function keyMismatch(privateKey: KeyObject, alg: GatewayJwsAlgorithm): string | undefined {
  const rule = SIGNING[alg];
  const type = privateKey.asymmetricKeyType;
  switch (rule.kind) {
    case 'rsa':
    case 'pss':
      return type === 'rsa' ? undefined : `${alg} needs an RSA key, the key is ${String(type)}`;
    case 'ec': {
      const curve = privateKey.asymmetricKeyDetails?.namedCurve;
      return type === 'ec' && curve === rule.curve ? undefined : `${alg} needs an EC key on ${rule.curve}, the key is ${String(type)} ${String(curve ?? '')}`.trim();
    }
    case 'ed':
      return type === 'ed25519' || type === 'ed448' ? undefined : `EdDSA needs an Ed25519 or Ed448 key, the key is ${String(type)}`;
  }
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Signs `payload` as a compact JWS with `key`, exactly as given: no claim is added or checked, so a
 * test can mint tokens the module must refuse. The header is `{ alg, kid, typ: 'JWT' }` from the
 * key, then `header` on top (a parameter set to `undefined` is left out, e.g. `{ typ: undefined }`;
 * `kid` may name another key). `alg` is the key's: a token claiming another algorithm is a
 * hand-crafted attack, not a signature this function makes.
 *
 * @example
 * const token = signTestJwt(key, { iss, sub, aud, exp: Math.floor(Date.now() / 1000) + 60 });
 * @publicApi
 */
export function signTestJwt(key: TestSigningKey, payload: Readonly<Record<string, unknown>>, header: Readonly<Record<string, unknown>> = {}): string {
  return signCompactJws('signTestJwt()', key, payload, header);
}

/** `signTestJwt()`, its errors naming the kit function that was called (`where`). */
export function signCompactJws(where: string, key: TestSigningKey, payload: unknown, header: unknown): string {
  if (typeof key !== 'object' || key === null || !(key.privateKey instanceof KeyObject) || key.privateKey.type !== 'private') {
    invalid(where, 'key must be a TestSigningKey (from generateTestSigningKey() or a test gateway), with a private KeyObject');
  }
  const alg = checkSigningAlgorithm(key.alg, where, 'key.alg');
  const mismatch = keyMismatch(key.privateKey, alg);
  if (mismatch) invalid(where, `the key cannot sign ${alg}: ${mismatch}`);
  const claims = objectArgument(payload, where, 'payload');
  const extra = objectArgument(header, where, 'header');
  if (extra['alg'] !== undefined && extra['alg'] !== alg) {
    invalid(where, `header.alg ${describeValue(extra['alg'])} differs from the key's ${alg}; the kit signs with the key's algorithm (craft algorithm-confusion tokens by hand)`);
  }
  const protectedHeader = { alg, kid: key.kid, typ: 'JWT', ...extra };
  const input = `${encode(protectedHeader)}.${encode(claims)}`;
  const rule = SIGNING[alg];
  const data = Buffer.from(input);
  const signature =
    rule.kind === 'rsa' || rule.kind === 'ed'
      ? sign(rule.hash, data, key.privateKey)
      : rule.kind === 'pss'
        ? sign(rule.hash, data, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST })
        : sign(rule.hash, data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}
