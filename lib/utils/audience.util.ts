/**
 * Audience URIs, compared by meaning (RFC 3986 §6.2.2 syntax-based and §6.2.3 scheme-based
 * normalisation) rather than by string: scheme and host case, default ports, percent-encoding of
 * unreserved characters and hex case, dot-segments. Query and fragment never take part.
 * Pure functions: no Nest, no I/O.
 */

/** RFC 3986 Appendix B, restricted to URIs with a scheme. */
const URI_PATTERN = /^([A-Za-z][A-Za-z0-9+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#.*)?$/;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' };
const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** pchar minus pct-encoded, plus '/' (RFC 3986 §3.3) and '?' (§3.4, for queries). */
const PATH_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/?]/;
const ALREADY_NORMAL = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*$/;

export interface ParsedHttpUri {
  /** `scheme://authority`, normalised. */
  readonly origin: string;
  /** The path, normalised; `/` when empty. */
  readonly path: string;
  /** The query without `?`, percent-encoding normalised; `undefined` when absent or empty. */
  readonly query: string | undefined;
}

/** How audiences are compared. */
export interface AudienceMatching {
  /** `exact`: the token names this very URL; `prefix`: a URL that is this one or a parent path. */
  readonly mode: 'exact' | 'prefix';
  /** Whether the query string takes part (in `exact` mode only). */
  readonly includeQuery: boolean;
}

export const EXACT_MATCH: AudienceMatching = { mode: 'exact', includeQuery: false };

/**
 * Normalises percent-encoding in a path or query: `%7E` → `~`, `%2f` → `%2F`, and characters
 * that may not stand there (space, non-ASCII, a lone `%`) are percent-encoded as UTF-8.
 */
export function normalizePercentEncoding(path: string): string {
  // Most paths hold nothing to rewrite: no percent sign, nothing to encode.
  if (ALREADY_NORMAL.test(path)) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i] as string;
    if (ch === '%' && isHex(path.charCodeAt(i + 1)) && isHex(path.charCodeAt(i + 2))) {
      const hex = path.slice(i + 1, i + 3).toUpperCase();
      const decoded = String.fromCharCode(parseInt(hex, 16));
      out += UNRESERVED.test(decoded) ? decoded : `%${hex}`;
      i += 2;
    } else if (PATH_SAFE.test(ch)) {
      out += ch;
    } else {
      const codePoint = path.codePointAt(i) as number;
      const char = String.fromCodePoint(codePoint);
      if (char.length === 2) i++;
      for (const byte of Buffer.from(char, 'utf8')) {
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      }
    }
  }
  return out;
}

/** RFC 3986 §5.2.4 remove_dot_segments, on a path whose percent-encoding is already normalised. */
export function removeDotSegments(path: string): string {
  const output: string[] = [];
  const segments = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..' && output.length > 1) output.pop();
      if (last) output.push('');
    } else {
      output.push(segment);
    }
  }
  const joined = output.join('/');
  return path.startsWith('/') && !joined.startsWith('/') ? `/${joined}` : joined;
}

/** True when a normalised path holds a `.` or `..` segment (also once written as `%2E`). */
export function hasDotSegment(normalizedPath: string): boolean {
  // Every segment but a leading relative one follows a '/': no "/." means no segment starts with '.'.
  if (!normalizedPath.includes('/.') && !normalizedPath.startsWith('.')) return false;
  return normalizedPath.split('/').some(segment => segment === '.' || segment === '..');
}

/**
 * Parses an absolute `http:`/`https:` URI and normalises it for comparison. Returns `undefined` for
 * anything else (another scheme, no authority, a bad port, userinfo).
 */
export function parseHttpUri(value: string): ParsedHttpUri | undefined {
  const match = URI_PATTERN.exec(value);
  if (!match) return undefined;
  const scheme = (match[1] as string).toLowerCase();
  const authority = match[2];
  if ((scheme !== 'http' && scheme !== 'https') || !authority || authority.includes('@')) {
    return undefined;
  }
  const hostPort = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d*))?$/.exec(authority);
  if (!hostPort) return undefined;
  const host = (hostPort[1] as string).toLowerCase();
  let port = hostPort[2] ?? '';
  if (port !== '') {
    const numeric = Number(port);
    if (numeric > 65535) return undefined;
    port = String(numeric);
  }
  if (port === DEFAULT_PORTS[scheme]) port = '';
  const rawPath = match[3] as string;
  const path = removeDotSegments(normalizePercentEncoding(rawPath === '' ? '/' : rawPath));
  const query = match[4] ? normalizePercentEncoding(match[4]) : undefined;
  return { origin: `${scheme}://${host}${port ? `:${port}` : ''}`, path, query };
}

/** `origin + path`, with `?query` when the query takes part. */
function toAudience(uri: ParsedHttpUri, includeQuery: boolean): string {
  return uri.origin + uri.path + (includeQuery && uri.query !== undefined ? `?${uri.query}` : '');
}

/**
 * The form in which an audience value is compared: normalised for `http(s)` URIs, the value itself
 * for anything else (a URN, a service name), which then must match exactly.
 */
export function normalizeAudience(value: string, includeQuery = false): string {
  const key = `${includeQuery ? 1 : 0}${value}`;
  let normalized = normalizedAudiences.get(key);
  if (normalized === undefined) {
    const parsed = parseHttpUri(value);
    normalized = parsed ? toAudience(parsed, includeQuery) : value;
    if (normalizedAudiences.size >= NORMALIZED_AUDIENCE_LIMIT) normalizedAudiences.clear();
    normalizedAudiences.set(key, normalized);
  }
  return normalized;
}

/** Tokens for a route carry the same `aud` again and again: normalise each once (bounded). */
const normalizedAudiences = new Map<string, string>();
const NORMALIZED_AUDIENCE_LIMIT = 1_000;

/**
 * The audience a request must carry: the public base URL joined with the request path as the
 * service received it (query and fragment dropped). Returns `undefined` (matches nothing) when the
 * target is not origin-form or holds dot-segments, so that whatever the router makes of `..` or
 * `%2e%2e`, a token for one route cannot be stretched to another.
 *
 * @param base a normalised base URL, as `parseHttpUri` returns it.
 */
export function routeAudience(
  base: ParsedHttpUri,
  requestTarget: string,
  includeQuery = false,
): string | undefined {
  const hash = requestTarget.indexOf('#');
  const target = hash === -1 ? requestTarget : requestTarget.slice(0, hash);
  const questionMark = target.indexOf('?');
  const rawPath = questionMark === -1 ? target : target.slice(0, questionMark);
  if (!rawPath.startsWith('/')) return undefined;
  const path = normalizePercentEncoding(rawPath);
  if (hasDotSegment(path)) return undefined;
  const basePath = base.path.endsWith('/') ? base.path.slice(0, -1) : base.path;
  const rawQuery = questionMark === -1 ? '' : target.slice(questionMark + 1);
  const query = includeQuery && rawQuery !== '' ? `?${normalizePercentEncoding(rawQuery)}` : '';
  return base.origin + basePath + path + query;
}

/**
 * `prefix` mode: a token audience covers a required URL when both have the same origin and the
 * audience's path is the URL's path or one of its parents, at a segment boundary: `/orders`
 * covers `/orders` and `/orders/42`, never `/orders-admin` or `/ordersX`.
 */
export function audienceCovers(tokenAudience: string, required: string): boolean {
  const audience = parseHttpUri(tokenAudience);
  const target = parseHttpUri(required);
  if (!audience || !target || audience.origin !== target.origin) return false;
  if (audience.path === target.path) return true;
  const parent = audience.path.endsWith('/') ? audience.path : `${audience.path}/`;
  return target.path.startsWith(parent);
}

/**
 * RFC 7519 §4.1.3: the token's `aud` (a string or an array) matches when any of its values
 * matches any required value (already normalised), exactly or, in `prefix` mode, as a parent.
 */
export function audienceMatches(
  tokenAudience: string | readonly string[],
  required: readonly string[],
  matching: AudienceMatching = EXACT_MATCH,
): boolean {
  const values = typeof tokenAudience === 'string' ? [tokenAudience] : tokenAudience;
  if (matching.mode === 'prefix') {
    return values.some(value => required.some(url => audienceCovers(value, url)));
  }
  // A value spelled exactly as a (normalised) required one matches without normalising it again:
  // normalisation is idempotent. That is the common case, the gateway writing the URL as it is.
  return values.some(value => required.includes(value) || required.includes(normalizeAudience(value, matching.includeQuery)));
}

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}
