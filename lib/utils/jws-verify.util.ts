import { constants, verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import {
  ClaimsInvalidError,
  SignatureInvalidError,
  TokenExpiredError,
  TokenMalformedError,
  TokenNotYetValidError,
} from '../errors/gateway-auth.error.js';
import { decodeSegment } from './token-inspection.util.js';

/** How each algorithm is checked with Node's one-shot `crypto.verify` (RFC 7518 §3). */
const VERIFY: Readonly<Record<string, { readonly hash: string | null; readonly kind: 'rsa' | 'pss' | 'ec' | 'ed'; readonly bytes?: number }>> = {
  RS256: { hash: 'sha256', kind: 'rsa' },
  RS384: { hash: 'sha384', kind: 'rsa' },
  RS512: { hash: 'sha512', kind: 'rsa' },
  PS256: { hash: 'sha256', kind: 'pss' },
  PS384: { hash: 'sha384', kind: 'pss' },
  PS512: { hash: 'sha512', kind: 'pss' },
  ES256: { hash: 'sha256', kind: 'ec', bytes: 64 },
  ES384: { hash: 'sha384', kind: 'ec', bytes: 96 },
  ES512: { hash: 'sha512', kind: 'ec', bytes: 132 },
  // RFC 8037 §3.1: Ed25519 or Ed448, the curve given by the key; no separate hash.
  EdDSA: { hash: null, kind: 'ed' },
};

/**
 * Verifies a compact JWS already inspected (shape, `alg` allowed, key fitting the `alg`) and the
 * time claims, and returns its payload (`decodedPayload` when the inspection already decoded it).
 * One decode of the payload and one `crypto.verify`: no second parser in between (RFC 7515 §5.2,
 * RFC 7519 §7.2).
 *
 * @throws {SignatureInvalidError} the signature does not verify (or cannot be read)
 * @throws {TokenExpiredError} `exp` past, beyond the tolerance
 * @throws {TokenNotYetValidError} `nbf` in the future, beyond the tolerance
 * @throws {ClaimsInvalidError} `exp` or `nbf` not a number
 */
export function verifyJws(
  token: string,
  alg: string,
  key: KeyObject,
  clockToleranceSeconds: number,
  nowMs = Date.now(),
  decodedPayload?: Record<string, unknown>,
): Record<string, unknown> {
  verifyJwsSignature(token, alg, key);
  return signedClaims(token, clockToleranceSeconds, nowMs, decodedPayload);
}

/**
 * What follows a verified signature, wherever it was checked: the payload (`decodedPayload` when
 * the inspection already decoded it), its `nbf` and `exp` against the clock.
 *
 * @throws {TokenMalformedError} the payload is not a JSON object
 * @throws {TokenExpiredError}, {TokenNotYetValidError}, {ClaimsInvalidError} as `checkTimeClaims`
 */
export function signedClaims(
  token: string,
  clockToleranceSeconds: number,
  nowMs = Date.now(),
  decodedPayload?: Record<string, unknown>,
): Record<string, unknown> {
  const payload = decodedPayload ?? decodeSegment(token.slice(token.indexOf('.') + 1, token.lastIndexOf('.')));
  if (!payload) throw new TokenMalformedError('The token payload is not a base64url JSON object');
  checkTimeClaims(payload, clockToleranceSeconds, nowMs);
  return payload;
}

/**
 * The signature alone: `crypto.verify` of the signing input with `key` under `alg`. Returns the
 * index of the last dot (where the signature starts).
 *
 * @throws {TokenMalformedError} not a compact JWS, or an `alg` this verifier does not know
 * @throws {SignatureInvalidError} the signature does not verify (or cannot be read)
 */
export function verifyJwsSignature(token: string, alg: string, key: KeyObject): number {
  const job = signatureJob(token, alg, key);
  let valid: boolean;
  try {
    valid = verify(job.hash, job.input, job.key, job.signature);
  } catch (cause) {
    throw new SignatureInvalidError('The token signature could not be verified', { cause });
  }
  if (!valid) throw new SignatureInvalidError('The token signature does not verify with the gateway key');
  return job.lastDot;
}

/**
 * `verifyJwsSignature` in libuv's thread pool (`crypto.verify` with a callback): the same checks
 * and errors, the event loop free meanwhile. `done` gets the error, or null.
 */
export function verifyJwsSignatureInThreadPool(token: string, alg: string, key: KeyObject, done: (error: Error | null) => void): void {
  let job: SignatureJob;
  try {
    job = signatureJob(token, alg, key);
  } catch (error) {
    done(error as Error);
    return;
  }
  try {
    verify(job.hash, job.input, job.key, job.signature, (cause, valid) => {
      if (cause) done(new SignatureInvalidError('The token signature could not be verified', { cause }));
      else if (!valid) done(new SignatureInvalidError('The token signature does not verify with the gateway key'));
      else done(null);
    });
  } catch (cause) {
    done(new SignatureInvalidError('The token signature could not be verified', { cause }));
  }
}

/** What `crypto.verify` is given for one token, decoded from it once. */
interface SignatureJob {
  readonly hash: string | null;
  readonly input: Buffer;
  readonly key: KeyObject | VerifyKeyObjectInput;
  readonly signature: Buffer;
  readonly lastDot: number;
}

/**
 * @throws {TokenMalformedError} not a compact JWS, or an `alg` this verifier does not know
 * @throws {SignatureInvalidError} an EC signature of the wrong length
 */
function signatureJob(token: string, alg: string, key: KeyObject): SignatureJob {
  const rule = VERIFY[alg];
  const lastDot = token.lastIndexOf('.');
  const firstDot = token.indexOf('.');
  if (!rule || firstDot < 0 || lastDot <= firstDot) throw new TokenMalformedError('The token is not a compact JWS');
  const signature = Buffer.from(token.slice(lastDot + 1), 'base64url');
  if (rule.bytes !== undefined && signature.length !== rule.bytes) {
    throw new SignatureInvalidError(`An ${alg} signature is ${rule.bytes} bytes; this one is ${signature.length}`);
  }
  return {
    hash: rule.hash,
    input: Buffer.from(token.slice(0, lastDot)),
    key:
      rule.kind === 'pss'
        ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
        : rule.kind === 'ec'
          ? { key, dsaEncoding: 'ieee-p1363' }
          : key,
    signature,
    lastDot,
  };
}

/**
 * `nbf` and `exp` (when present) against the clock, with the tolerance (RFC 7519 §4.1.4–4.1.5).
 *
 * @throws {TokenExpiredError} `exp` past, beyond the tolerance
 * @throws {TokenNotYetValidError} `nbf` in the future, beyond the tolerance
 * @throws {ClaimsInvalidError} `exp` or `nbf` not a number
 */
export function checkTimeClaims(payload: Record<string, unknown>, clockToleranceSeconds: number, nowMs = Date.now()): void {
  const now = Math.floor(nowMs / 1000);
  const { nbf, exp } = payload;
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf)) throw new ClaimsInvalidError('nbf', 'invalid');
    if (nbf > now + clockToleranceSeconds) throw new TokenNotYetValidError('nbf', new Date(nbf * 1000));
  }
  if (exp !== undefined) {
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new ClaimsInvalidError('exp', 'invalid');
    if (now >= exp + clockToleranceSeconds) throw new TokenExpiredError(new Date(exp * 1000));
  }
}
