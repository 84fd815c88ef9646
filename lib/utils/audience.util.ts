/**
 * Audience URIs, compared by meaning (RFC 3986 §6.2.2 syntax-based and §6.2.3 scheme-based
 * normalisation) rather than by string: scheme and host case, default ports, percent-encoding of
 * unreserved characters and hex case, dot-segments. Query and fragment never take part.
 * Pure functions: no Nest, no I/O.
 */

/** RFC 3986 Appendix B, restricted to URIs with a scheme. */
const URI_PATTERN = /^([A-Za-z][A-Za-z0-9+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?[^#]*)?(?:#.*)?$/;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' };
const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** pchar minus pct-encoded, plus '/': what may stand in a path unencoded (RFC 3986 §3.3). */
const PATH_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;

export interface ParsedHttpUri {
  /** `scheme://authority`, normalised. */
  readonly origin: string;
  /** The path, normalised; `/` when empty. */
  readonly path: string;
}

/**
 * Normalises percent-encoding in a path: `%7E` → `~`, `%2f` → `%2F`, and characters that may not
 * stand in a path (space, non-ASCII, a lone `%`) are percent-encoded as UTF-8.
 */
export function normalizePercentEncoding(path: string): string {
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
  return { origin: `${scheme}://${host}${port ? `:${port}` : ''}`, path };
}

/**
 * The form in which an audience value is compared: normalised for `http(s)` URIs, the value itself
 * for anything else (a URN, a service name), which then must match exactly.
 */
export function normalizeAudience(value: string): string {
  const parsed = parseHttpUri(value);
  return parsed ? parsed.origin + parsed.path : value;
}

/**
 * The audience a request must carry: the public base URL joined with the request path as the
 * service received it (query and fragment dropped). Returns `undefined` (matches nothing) when the
 * target is not origin-form or holds dot-segments, so that whatever the router makes of `..` or
 * `%2e%2e`, a token for one route cannot be stretched to another.
 *
 * @param base a normalised base URL, as `parseHttpUri` returns it.
 */
export function routeAudience(base: ParsedHttpUri, requestTarget: string): string | undefined {
  const end = requestTarget.search(/[?#]/);
  const rawPath = end === -1 ? requestTarget : requestTarget.slice(0, end);
  if (!rawPath.startsWith('/')) return undefined;
  const path = normalizePercentEncoding(rawPath);
  if (hasDotSegment(path)) return undefined;
  const basePath = base.path.endsWith('/') ? base.path.slice(0, -1) : base.path;
  return base.origin + basePath + path;
}

/**
 * RFC 7519 §4.1.3: the token's `aud` (a string or an array) matches when any of its values,
 * normalised, equals any required value (already normalised).
 */
export function audienceMatches(
  tokenAudience: string | readonly string[],
  required: readonly string[],
): boolean {
  const values = typeof tokenAudience === 'string' ? [tokenAudience] : tokenAudience;
  return values.some(value => required.includes(normalizeAudience(value)));
}

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}
