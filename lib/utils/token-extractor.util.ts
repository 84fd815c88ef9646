/**
 * Where the token comes from: `Authorization: Bearer <token>` (RFC 6750 §2.1, scheme
 * case-insensitive), or a configured header holding the raw token or `Bearer <token>`.
 * Never the query string or the body (RFC 6750 §2.2–2.3 are deliberately not supported).
 */

export type TokenExtraction =
  | { readonly kind: 'found'; readonly token: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'malformed' };

/** A request as both Express and Fastify present it: lower-cased header names. */
export interface RequestWithHeaders {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Node's raw header list: `[name, value, name, value, …]`, with repeats that `headers` drops. */
  readonly rawHeaders?: readonly string[];
  /** Fastify keeps Node's request (and so `rawHeaders`) here. */
  readonly raw?: { readonly rawHeaders?: readonly string[] };
}

/** RFC 6750 §2.1 b64token, followed by optional trailing spaces. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * @param headerName lower-case header name; `authorization` for the RFC 6750 default.
 */
export function extractToken(request: RequestWithHeaders, headerName: string): TokenExtraction {
  const raw = request.headers[headerName];
  if (raw === undefined) return { kind: 'missing' };
  // Node keeps only the first Authorization header; a second one is an ambiguity, not a spare.
  if (countRaw(request.rawHeaders ?? request.raw?.rawHeaders, headerName) > 1) return { kind: 'malformed' };
  // A token in both the configured header and Authorization: which one would the gateway vouch for?
  if (headerName !== 'authorization' && /^bearer\s/i.test(String(request.headers['authorization'] ?? ''))) {
    return { kind: 'malformed' };
  }
  // Node joins repeated custom headers with ", " and keeps them as an array for a few; either way
  // more than one value is ambiguous (RFC 6750 §3.1: "repeats the same parameter").
  if (typeof raw !== 'string') return { kind: 'malformed' };
  const value = raw.trim();
  if (value === '') return { kind: 'missing' };

  const bearer = BEARER.exec(value);
  if (bearer) return { kind: 'found', token: bearer[1] as string };

  if (headerName === 'authorization') {
    // Another scheme (Basic, Digest…) is not our token: the challenge asks for Bearer.
    return /^bearer(\s|$)/i.test(value) ? { kind: 'malformed' } : { kind: 'missing' };
  }
  return B64TOKEN.test(value) ? { kind: 'found', token: value } : { kind: 'malformed' };
}

function countRaw(rawHeaders: readonly string[] | undefined, name: string): number {
  if (!rawHeaders) return 0;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === name) count++;
  }
  return count;
}
