import {
  AlgorithmNotAllowedError,
  HeaderUnsupportedError,
  TokenMalformedError,
  TokenTooLargeError,
  TypMismatchError,
} from '../errors/gateway-auth.error.js';

/**
 * Checks on the compact JWS done before any key is looked up, so that garbage, oversized tokens
 * and disallowed algorithms never reach the JWKS endpoint (RFC 8725 §3.1, §2.1).
 */

export interface JwsHeader {
  readonly alg: string;
  readonly kid?: string;
  readonly typ?: string;
  readonly [parameter: string]: unknown;
}

export interface InspectionRules {
  readonly maxTokenLength: number;
  readonly algorithms: readonly string[];
  /** Lower-case, without `application/`; undefined accepts any. */
  readonly typ: readonly string[] | undefined;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Decodes one base64url JSON object segment; `undefined` when it is not one. */
export function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Lower-cases a media type and drops the `application/` prefix (RFC 7515 §4.1.9). */
export function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/**
 * @throws {TokenTooLargeError} longer than the limit (checked first, before decoding)
 * @throws {TokenMalformedError} not three base64url parts with JSON object header and payload
 * @throws {AlgorithmNotAllowedError} `alg` absent or not in the allow-list
 * @throws {HeaderUnsupportedError} a `crit` header, or `b64` other than true
 * @throws {TypMismatchError} `typ` not among the configured values
 */
export function inspectToken(token: string, rules: InspectionRules): JwsHeader {
  return inspectCompactJws(token, rules).header;
}

/** A compact JWS after the checks of `inspectToken`: its header, and its payload decoded (not verified). */
export interface InspectedJws {
  readonly header: JwsHeader;
  readonly payload: Record<string, unknown>;
}

/** `inspectToken`, also returning the decoded (not yet verified) payload, so it is decoded once. */
export function inspectCompactJws(token: string, rules: InspectionRules): InspectedJws {
  return inspectWith(token, rules, undefined);
}

/**
 * `inspectCompactJws` for one set of rules, remembering the headers that passed: a gateway sends
 * the same header (`alg`, `kid`, `typ`) on every token, so it is decoded and checked once per key
 * rather than once per request. Bounded; only headers that passed every check are kept.
 */
export function createJwsInspector(rules: InspectionRules): (token: string) => InspectedJws {
  const passed = new Map<string, JwsHeader>();
  return token => inspectWith(token, rules, passed);
}

const HEADER_CACHE_LIMIT = 32;
const CACHEABLE_HEADER_LENGTH = 512;

function inspectWith(token: string, rules: InspectionRules, passed: Map<string, JwsHeader> | undefined): InspectedJws {
  if (token.length > rules.maxTokenLength) {
    throw new TokenTooLargeError(token.length, rules.maxTokenLength);
  }
  const firstDot = token.indexOf('.');
  const lastDot = token.lastIndexOf('.');
  if (firstDot < 0 || firstDot === lastDot || token.indexOf('.', firstDot + 1) !== lastDot) {
    throw new TokenMalformedError('The token is not a compact JWS (three dot-separated parts)');
  }
  const headerPart = token.slice(0, firstDot);
  const payloadPart = token.slice(firstDot + 1, lastDot);
  const signaturePart = token.slice(lastDot + 1);
  let header = passed?.get(headerPart);
  if (header === undefined) {
    header = checkedHeader(headerPart, rules);
    if (passed && headerPart.length <= CACHEABLE_HEADER_LENGTH) {
      if (passed.size >= HEADER_CACHE_LIMIT) passed.clear();
      passed.set(headerPart, header);
    }
  }
  const payload = decodeSegment(payloadPart);
  if (!payload) {
    throw new TokenMalformedError('The token payload is not a base64url JSON object');
  }
  if (!BASE64URL.test(signaturePart)) {
    throw new TokenMalformedError('The token signature is missing or not base64url');
  }
  return { header, payload };
}

/** The header segment decoded and checked: `alg` allowed, `kid`/`typ` strings, no `crit`, `b64`, `typ`. */
function checkedHeader(headerPart: string, rules: InspectionRules): JwsHeader {
  const header = decodeSegment(headerPart);
  if (!header) throw new TokenMalformedError('The token header is not a base64url JSON object');
  const { alg, kid, typ } = header;
  if (typeof alg !== 'string' || !rules.algorithms.includes(alg)) {
    throw new AlgorithmNotAllowedError(typeof alg === 'string' ? alg : undefined);
  }
  if (kid !== undefined && typeof kid !== 'string') {
    throw new TokenMalformedError('The token kid header is not a string');
  }
  if (typ !== undefined && typeof typ !== 'string') {
    throw new TokenMalformedError('The token typ header is not a string');
  }
  // RFC 7515 §4.1.11: extensions listed in crit must be understood; this verifier understands none.
  if (header['crit'] !== undefined) throw new HeaderUnsupportedError('crit');
  // RFC 7797: an unencoded payload is a different signing input; never verify it as a JWT.
  if (header['b64'] !== undefined && header['b64'] !== true) throw new HeaderUnsupportedError('b64');
  if (rules.typ && (typ === undefined || !rules.typ.includes(normalizeTyp(typ)))) {
    throw new TypMismatchError(typ);
  }
  // Frozen: one header object may now serve many requests.
  return Object.freeze(header) as JwsHeader;
}

/** Unverified `kid`, `iss` and `sub`, for logging a rejection only; never trusted. */
export function peekForLog(token: string): { kid?: unknown; iss?: unknown; sub?: unknown } {
  if (token.length > 16384) return {};
  const [headerPart = '', payloadPart = ''] = token.split('.');
  const header = decodeSegment(headerPart);
  const payload = decodeSegment(payloadPart);
  return { kid: header?.['kid'], iss: payload?.['iss'], sub: payload?.['sub'] };
}
