import * as http from 'node:http';
import { X509Certificate } from 'node:crypto';
import * as https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext } from 'node:tls';

/**
 * The transport that fetches the gateway's JWKS, for jwks-rsa's `fetcher` option.
 *
 * jwks-rsa's own request has only a socket idle timeout (a server that drips one byte at a time
 * keeps it waiting forever) and no size limit. Here one deadline covers the whole fetch (DNS,
 * connect, TLS, headers and body), the body is capped while it arrives, and the TLS trust and
 * client certificate of the JWKS endpoint are configurable. The response is untrusted input:
 * it never appears in an error message.
 */

/** How the JWKS endpoint is reached. */
export interface JwksTransportOptions {
  /** Absolute `http:` or `https:` URL, without credentials. */
  readonly jwksUri: string;
  /** Total deadline of one fetch: DNS + connect + TLS + headers + body, in ms. */
  readonly timeoutMs: number;
  /** Body cap in bytes; beyond it the fetch is aborted. */
  readonly maxResponseBytes: number;
  /** PEM CA bundle(s) trusted for the JWKS server. When given, only these (Node's root CAs are not used). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Client certificate (PEM) for a JWKS endpoint behind mTLS. Requires `key`. */
  readonly cert?: string | Buffer;
  /** The client certificate's private key (PEM). Requires `cert`. */
  readonly key?: string | Buffer;
  /** Extra request headers (e.g. an API key). They may override the default `accept`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Why a fetch failed. */
export type JwksFetchFailure =
  | 'network'
  | 'timeout'
  | 'status'
  | 'too_large'
  | 'not_json'
  | 'not_jwks'
  | 'tls';

/**
 * A JWKS fetch failed. `reason` says why; `status` is the HTTP status for `'status'`.
 * The message names the URL without its query string and never contains the response body.
 */
export class JwksFetchError extends Error {
  readonly reason: JwksFetchFailure;
  readonly status: number | undefined;

  constructor(reason: JwksFetchFailure, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options !== undefined && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'JwksFetchError';
    this.reason = reason;
    this.status = options?.status;
  }
}

/** A structurally valid JWK Set; the individual keys are not validated here. */
export interface JwksDocument {
  readonly keys: readonly Readonly<Record<string, unknown>>[];
}

/** Fetches the JWKS; usable as jwks-rsa's `fetcher`. */
export interface JwksFetcher {
  /**
   * Fetches and parses the JWKS.
   *
   * @param uri defaults to `options.jwksUri` (jwks-rsa passes it). It must have the same origin:
   *   the TLS material and headers are meant for that server only.
   * @throws {JwksFetchError} (as a rejection) for every fetch failure.
   * @throws {TypeError} (as a rejection) when `uri` is not a URL of the configured origin.
   */
  (uri?: string): Promise<JwksDocument>;
  /** Closes the keep-alive agent. Fetches in flight are aborted (`'network'`), later ones rejected. */
  close(): void;
}

/** Idle keep-alive sockets are closed after this long (or sooner, when the server's `Keep-Alive` hint says so). */
const FREE_SOCKET_TIMEOUT_MS = 5_000;
/** setTimeout fires immediately beyond this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Certificate verification failures, as Node names them (OpenSSL's `X509_V_ERR_*` without the
 * prefix). Handshake alerts and other OpenSSL errors come as `ERR_SSL_*`, Node's own TLS checks
 * (hostname) as `ERR_TLS_*`.
 */
const CERT_VERIFY_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

/** A parsed target URL with what the request and the messages need. */
interface Target {
  readonly url: URL;
  /** Origin + path: no credentials, query or fragment. Safe for messages and logs. */
  readonly display: string;
}

/**
 * Creates a JWKS fetcher with its own keep-alive agent (at most 2 sockets). Plug it into
 * jwks-rsa as `fetcher`; call `close()` on shutdown.
 *
 * @throws {TypeError} when `jwksUri` is not an absolute http(s) URL without credentials, when
 *   `cert`/`key` are not given together, when TLS material is given for an `http:` URL or is not
 *   usable, or when a header name or value is invalid.
 * @throws {RangeError} when `timeoutMs` or `maxResponseBytes` is not a positive number.
 */
export function createJwksFetcher(options: JwksTransportOptions): JwksFetcher {
  const base = toTarget(options.jwksUri, 'jwksUri');
  const { timeoutMs, maxResponseBytes } = options;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMER_MS) {
    throw new RangeError(`JWKS transport: timeoutMs must be a positive number of ms, got ${String(timeoutMs)}`);
  }
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes <= 0) {
    throw new RangeError(
      `JWKS transport: maxResponseBytes must be a positive integer, got ${String(maxResponseBytes)}`,
    );
  }
  const requestHeaders = buildHeaders(options.headers);
  const secure = base.url.protocol === 'https:';
  const agent = secure ? createHttpsAgent(options) : createHttpAgent(options);

  const inFlight = new Set<() => void>();
  let closed = false;

  const fetchJwks = (uri?: string): Promise<JwksDocument> => {
    let target: Target;
    try {
      target = uri === undefined || uri === options.jwksUri ? base : toTarget(uri, 'uri');
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new TypeError(String(error)));
    }
    if (target.url.origin !== base.url.origin) {
      return Promise.reject(
        new TypeError(`JWKS transport: ${target.display} is not on the configured origin ${base.url.origin}`),
      );
    }
    if (closed) {
      return Promise.reject(new JwksFetchError('network', `JWKS fetcher for ${target.display} is closed`));
    }
    return fetchOnce(target);
  };

  function fetchOnce({ url, display }: Target): Promise<JwksDocument> {
    return new Promise<JwksDocument>((resolve, reject) => {
      let request: http.ClientRequest | undefined;
      let response: http.IncomingMessage | undefined;
      let socket: Duplex | undefined;
      let settled = false;

      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        inFlight.delete(abort);
        return true;
      };
      const fail = (error: JwksFetchError): void => {
        if (!finish()) return;
        response?.destroy();
        request?.destroy();
        // Also directly: once the body has ended (not_json, not_jwks) the request counts as
        // destroyed and no longer touches the socket, which the agent takes back on the next
        // tick. A socket that served a bad answer is not reused.
        socket?.destroy();
        reject(error);
      };
      const succeed = (document: JwksDocument): void => {
        // The body was read to the end: the socket goes back to the agent's pool.
        if (finish()) resolve(document);
      };
      const abort = (): void => {
        fail(new JwksFetchError('network', `JWKS fetcher closed while fetching ${display}`));
      };

      const timer = setTimeout(() => {
        fail(new JwksFetchError('timeout', `no complete JWKS response within ${timeoutMs} ms from ${display}`));
      }, timeoutMs);
      inFlight.add(abort);

      const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      const requestOptions: https.RequestOptions = {
        method: 'GET',
        hostname,
        path: `${url.pathname}${url.search}`,
        headers: requestHeaders,
        agent,
      };
      if (url.port !== '') requestOptions.port = Number(url.port);
      // SNI only for names: RFC 6066 forbids IP addresses there (Node warns too).
      if (secure && isIP(hostname) === 0) requestOptions.servername = hostname;

      try {
        request = (secure ? https : http).request(requestOptions);
      } catch (cause) {
        const message = `JWKS request to ${display} could not be sent: ${describe(cause)}`;
        fail(new JwksFetchError('network', message, { cause }));
        return;
      }

      request.on('socket', (assigned: Duplex) => {
        socket = assigned;
        // Defensive: Node does not hand a socket to a request destroyed meanwhile (timeout, close()).
        if (settled) assigned.destroy();
      });
      request.on('error', (cause: unknown) => fail(transportError(cause, display)));
      request.on('response', (res: http.IncomingMessage) => {
        response = res;
        res.on('error', (cause: unknown) => fail(transportError(cause, display)));
        res.on('close', () => {
          if (!res.complete) {
            const message = `connection closed before the JWKS response from ${display} was complete`;
            fail(new JwksFetchError('network', message));
          }
        });

        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          // The body is untrusted and not needed: don't read it.
          const phrase = http.STATUS_CODES[status];
          fail(
            new JwksFetchError(
              'status',
              `JWKS endpoint ${display} answered HTTP ${status}${phrase === undefined ? '' : ` ${phrase}`}`,
              { status },
            ),
          );
          return;
        }
        const announced = contentLength(res.headers['content-length']);
        if (announced !== undefined && announced > maxResponseBytes) {
          fail(tooLarge(display, maxResponseBytes, `announces ${announced} bytes`));
          return;
        }

        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          received += chunk.length;
          if (received > maxResponseBytes) {
            fail(tooLarge(display, maxResponseBytes, `sent more than that`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          if (settled) return;
          const result = parseJwks(Buffer.concat(chunks, received), display);
          if (result instanceof JwksFetchError) fail(result);
          else succeed(result);
        });
      });
      request.end();
    });
  }

  return Object.assign(fetchJwks, {
    close(): void {
      closed = true;
      for (const abort of [...inFlight]) abort();
      agent.destroy();
    },
  });
}

function toTarget(uri: string, what: string): Target {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new TypeError(`JWKS transport: ${what} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`JWKS transport: ${what} must be an http: or https: URL, got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`JWKS transport: ${what} must not contain credentials; send them as headers`);
  }
  return { url, display: `${url.origin}${url.pathname}` };
}

function buildHeaders(extra: Readonly<Record<string, string>> | undefined): http.OutgoingHttpHeaders {
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [name, value] of Object.entries(extra ?? {})) {
    try {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
    } catch (cause) {
      // Node's message names the header, never its value (which may be a secret).
      throw new TypeError(`JWKS transport: headers: ${describe(cause)}`, { cause });
    }
    const lower = name.toLowerCase();
    // One entry per header, whatever the case: the extra value wins.
    for (const existing of Object.keys(headers)) {
      if (existing.toLowerCase() === lower) delete headers[existing];
    }
    headers[name] = value;
  }
  return headers;
}

function createHttpAgent(options: JwksTransportOptions): http.Agent {
  if (options.ca !== undefined || options.cert !== undefined || options.key !== undefined) {
    throw new TypeError('JWKS transport: ca, cert and key apply to https: URLs only, but jwksUri is http:');
  }
  return new http.Agent({ keepAlive: true, maxSockets: 2, timeout: FREE_SOCKET_TIMEOUT_MS });
}

function createHttpsAgent(options: JwksTransportOptions): https.Agent {
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new TypeError('JWKS transport: cert and key must be given together');
  }
  const tls: https.AgentOptions = {};
  if (options.ca !== undefined) {
    const { ca } = options;
    tls.ca = typeof ca === 'string' || Buffer.isBuffer(ca) ? ca : [...ca];
  }
  if (options.cert !== undefined) tls.cert = options.cert;
  if (options.key !== undefined) tls.key = options.key;
  try {
    // Fails now, at bootstrap, on unparsable PEM or a key that is not the certificate's.
    // OpenSSL skips anything in a CA bundle that is not a certificate, so that is checked first:
    // an empty trust list would fail every fetch later with a confusing TLS error.
    if (tls.ca !== undefined) checkCaBundles(Array.isArray(tls.ca) ? tls.ca : [tls.ca]);
    createSecureContext(tls);
  } catch (cause) {
    const message = `JWKS transport: the TLS ca/cert/key options are not usable: ${describe(cause)}`;
    throw new TypeError(message, { cause });
  }
  return new https.Agent({
    ...tls,
    keepAlive: true,
    maxSockets: 2,
    timeout: FREE_SOCKET_TIMEOUT_MS,
    rejectUnauthorized: true,
  });
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every CA entry holds at least one PEM certificate, and every one of them parses. */
function checkCaBundles(bundles: readonly (string | Buffer)[]): void {
  if (bundles.length === 0) throw new Error('ca is an empty list');
  bundles.forEach((bundle, index) => {
    const blocks = String(bundle).match(PEM_CERTIFICATE) ?? [];
    if (blocks.length === 0) throw new Error(`ca[${index}] holds no PEM certificate`);
    for (const block of blocks) new X509Certificate(block);
  });
}

function contentLength(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}

function tooLarge(display: string, cap: number, detail: string): JwksFetchError {
  return new JwksFetchError('too_large', `JWKS response from ${display} exceeds ${cap} bytes: it ${detail}`);
}

/** The body as a JWK Set, or the failure. No message (nor cause) carries the body. */
function parseJwks(body: Buffer, display: string): JwksDocument | JwksFetchError {
  let value: unknown;
  try {
    // fatal: invalid UTF-8 is not JSON; a leading BOM is dropped.
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    // The SyntaxError quotes the body, so it is not kept as the cause.
    return new JwksFetchError('not_json', `JWKS response from ${display} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new JwksFetchError('not_jwks', `JWKS response from ${display} is not a JSON object`);
  }
  const keys: unknown = (value as Record<string, unknown>)['keys'];
  if (!Array.isArray(keys)) {
    return new JwksFetchError('not_jwks', `JWKS response from ${display} has no "keys" array`);
  }
  const isObject = (key: unknown): key is Readonly<Record<string, unknown>> =>
    typeof key === 'object' && key !== null && !Array.isArray(key);
  if (!keys.every(isObject)) {
    const message = `JWKS response from ${display} has a "keys" entry that is not an object`;
    return new JwksFetchError('not_jwks', message);
  }
  return { keys };
}

/** A request or response error as `tls` or `network`. */
function transportError(cause: unknown, display: string): JwksFetchError {
  const code = errorCode(cause);
  const detail = describe(cause).trim();
  const withCode = code !== undefined && !detail.includes(code) ? `${code}: ${detail}` : detail;
  if (code !== undefined && isTlsCode(code)) {
    return new JwksFetchError('tls', `TLS with ${display} failed: ${withCode}`, { cause });
  }
  return new JwksFetchError('network', `JWKS request to ${display} failed: ${withCode}`, { cause });
}

/**
 * OpenSSL errors come as `ERR_SSL_*` (handshake alerts and the like) or as `EPROTO` with OpenSSL's
 * error string in the message (e.g. `wrong version number`: not a TLS server); Node's own TLS
 * checks as `ERR_TLS_*` (hostname mismatch).
 */
function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO' || CERT_VERIFY_CODES.has(code)
  );
}

// Structural, not `instanceof Error`: under Jest's VM modules, Node's errors come from another realm.
function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function describe(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') {
    return error.message;
  }
  return String(error);
}
