import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayAuthError } from '../lib/errors/gateway-auth.error.js';
import { verifyJws, verifyJwsSignature, verifyJwsSignatureInThreadPool } from '../lib/utils/jws-verify.util.js';
import { jwkMismatch } from '../lib/jwks/jwk-algorithm.js';
import { SUPPORTED_ALGORITHMS } from '../lib/gateway-auth.options.js';

/**
 * Project Wycheproof's JWS vectors (with RFC 7520's examples), replayed through the signature layer
 * the strategy uses: the allow-list, the key-fits-algorithm check, the KeyObject import and
 * `verifyJws`, as the key provider and the strategy run them. (The vectors' payloads, such as
 * `foo`, are not claim sets, so the full path refuses every one of them once the signature is
 * checked; here the signature verdict itself is compared with Wycheproof's.)
 */
/** A byte-for-byte copy of ../shared/test-vectors/wycheproof (see SOURCES.md there), so the tests run anywhere. */
const VECTORS = join(import.meta.dirname, 'vectors', 'wycheproof', 'json_web_signature_test.json');

interface Vector { readonly tcId: number; readonly comment: string; readonly jws: unknown; readonly result: 'valid' | 'invalid' | 'acceptable' }
interface Group { readonly public?: Record<string, unknown>; readonly tests: readonly Vector[] }

function verdict(jws: string, publicJwk: Record<string, unknown>): 'accepted' | string {
  const [headerPart = ''] = jws.split('.');
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
  } catch {
    return 'malformed header';
  }
  if (typeof alg !== 'string' || !(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) return `alg ${String(alg)} not allowed`;
  const mismatch = jwkMismatch(publicJwk, alg);
  if (mismatch) return mismatch;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: publicJwk as never, format: 'jwk' });
  } catch {
    return 'key does not import';
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < 2048) return 'RSA key under 2048 bits';
  try {
    verifyJws(jws, alg, key, 0);
    return 'accepted';
  } catch (error) {
    // The signature verified; only the payload is not a claim set.
    if (error instanceof GatewayAuthError && error.code === 'token_malformed' && /payload/.test(error.message)) return 'accepted';
    return (error as Error).message;
  }
}

describe('Wycheproof JWS vectors', () => {
  it('are the published ones (SHA-256 as in SOURCES.md)', () => {
    expect(createHash('sha256').update(readFileSync(VECTORS)).digest('hex')).toBe('8e687a06fe8359f4ec51480f1a9f73c8faebd6f4c01b818b843b44eee54fd5d9');
  });

  const groups = (JSON.parse(readFileSync(VECTORS, 'utf8')) as { testGroups: Group[] }).testGroups;
  const cases = groups.flatMap(group =>
    group.public && (group.public['kty'] === 'RSA' || group.public['kty'] === 'EC')
      ? group.tests.filter(test => typeof test.jws === 'string').map(test => [test.tcId, test.comment, test.result, test.jws as string, group.public as Record<string, unknown>] as const)
      : [],
  );

  it('include the asymmetric cases this verifier can replay', () => {
    expect(cases.length).toBeGreaterThan(300);
  });

  it.each(cases.filter(([, , result]) => result === 'invalid'))('#%i %s: %s is never accepted', (_id, _comment, _result, jws, jwk) => {
    expect(verdict(jws, jwk)).not.toBe('accepted');
  });

  /**
   * Where this verifier is deliberately stricter than the vectors: a key whose `alg` names another
   * algorithm than the token's is not used (RFC 8725 §3.1), as in the vectors named after RFC
   * 7520's Figures 20 and 27.
   */
  const STRICTER: Readonly<Record<string, RegExp>> = {
    Figure20: /^the key is for PS256, the token uses PS384$/,
    Figure27: /^the key is for ES521, the token uses ES512$/,
  };

  it.each(cases.filter(([, , result]) => result === 'valid'))('#%i %s: %s verifies', (_id, comment, _result, jws, jwk) => {
    const outcome = verdict(jws, jwk);
    const stricter = STRICTER[comment];
    if (stricter) expect(outcome).toMatch(stricter);
    else expect(outcome).toBe('accepted');
  });
});

/**
 * `signatureVerification: 'thread-pool'` checks signatures with `crypto.verify`'s callback form: on
 * every vector it must reach the very verdict (and message) of the inline check.
 */
describe('Wycheproof JWS vectors through the thread-pool verifier', () => {
  const groups = (JSON.parse(readFileSync(VECTORS, 'utf8')) as { testGroups: Group[] }).testGroups;
  const replayable = groups.flatMap(group =>
    group.public && (group.public['kty'] === 'RSA' || group.public['kty'] === 'EC')
      ? group.tests.filter(test => typeof test.jws === 'string').flatMap(test => {
          const publicJwk = group.public as Record<string, unknown>;
          const alg = algOf(test.jws as string);
          if (alg === undefined || jwkMismatch(publicJwk, alg)) return [];
          try {
            return [{ jws: test.jws as string, alg, key: createPublicKey({ key: publicJwk as never, format: 'jwk' }), result: test.result }];
          } catch {
            return [];
          }
        })
      : [],
  );

  it('agree with the inline verifier on every vector, accepted or refused', async () => {
    expect(replayable.length).toBeGreaterThan(250);
    let accepted = 0;
    for (const { jws, alg, key } of replayable) {
      let inline: string;
      try {
        verifyJwsSignature(jws, alg, key);
        inline = 'ok';
        accepted++;
      } catch (error) {
        inline = (error as Error).message;
      }
      const pooled = await new Promise<string>(resolve => verifyJwsSignatureInThreadPool(jws, alg, key, error => resolve(error ? error.message : 'ok')));
      expect({ jws, verdict: pooled }).toEqual({ jws, verdict: inline });
    }
    // Both outcomes occur, so the comparison is not between two constant answers.
    expect(accepted).toBeGreaterThan(20);
    expect(replayable.length - accepted).toBeGreaterThan(100);
  });
});

function algOf(jws: string): string | undefined {
  try {
    const alg = (JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: unknown }).alg;
    return typeof alg === 'string' && (SUPPORTED_ALGORITHMS as readonly string[]).includes(alg) ? alg : undefined;
  } catch {
    return undefined;
  }
}
