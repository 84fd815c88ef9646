import type { PublishedJwk } from './jwks-key-store.js';

/** The key type (and curve) each algorithm needs (RFC 7518 §3.1). */
const KEY_FOR_ALGORITHM: Readonly<Record<string, { readonly kty: string; readonly crv?: string }>> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP' },
};

/**
 * Why `jwk` must not verify a token signed with `alg`, or `undefined` when it may (RFC 8725 §3.1:
 * the key must fit the algorithm): its `kty`/`crv` must be those of `alg`, and its `alg`, `use`
 * and `key_ops`, when present, must agree.
 */
export function jwkMismatch(jwk: PublishedJwk, alg: string): string | undefined {
  const needed = KEY_FOR_ALGORITHM[alg];
  if (!needed) return `${alg} is not a supported algorithm`;
  if (jwk['kty'] !== needed.kty) return `${alg} needs a ${needed.kty} key, the key is ${String(jwk['kty'])}`;
  if (alg === 'EdDSA' && jwk['crv'] !== 'Ed25519' && jwk['crv'] !== 'Ed448') {
    return `EdDSA needs curve Ed25519 or Ed448, the key is on ${String(jwk['crv'])}`;
  }
  if (needed.crv !== undefined && jwk['crv'] !== needed.crv) {
    return `${alg} needs curve ${needed.crv}, the key is on ${String(jwk['crv'])}`;
  }
  if (jwk['alg'] !== undefined && jwk['alg'] !== alg) return `the key is for ${String(jwk['alg'])}, the token uses ${alg}`;
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig') return `the key's use is ${String(jwk['use'])}, not sig`;
  const ops = jwk['key_ops'];
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return "the key's key_ops do not include verify";
  return undefined;
}
