import { request } from 'node:https';

/** What Service 1 got back: an HTTP answer, or a refusal during the TLS handshake. */
export type CallResult =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly body: unknown;
      /** Who answered: the gateway (`x-served-by: gateway`) or Service 2 behind it. */
      readonly servedByGateway: boolean;
      readonly challenge: string | undefined;
    }
  | { readonly kind: 'tls-refused'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string };

export interface ClientCredentials {
  readonly certPem?: string;
  readonly keyPem?: string;
  /** The CA Service 1 trusts for the gateway's server certificate. */
  readonly caPem: string;
}

/** A GET over HTTPS with an optional client certificate, as Service 1 calls the gateway. */
export function callOverMutualTls(
  url: string,
  credentials: ClientCredentials,
  headers: Readonly<Record<string, string>> = {},
): Promise<CallResult> {
  return new Promise(resolve => {
    const call = request(
      url,
      {
        method: 'GET',
        headers,
        ca: credentials.caPem,
        ...(credentials.certPem !== undefined && credentials.keyPem !== undefined
          ? { cert: credentials.certPem, key: credentials.keyPem }
          : {}),
        agent: false,
        timeout: 10_000,
      },
      response => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            kind: 'response',
            status: response.statusCode ?? 0,
            body: parseBody(Buffer.concat(chunks).toString('utf8')),
            servedByGateway: response.headers['x-served-by'] === 'gateway',
            challenge: response.headers['www-authenticate'],
          }),
        );
        response.on('error', error => resolve({ kind: 'failed', reason: error.message }));
      },
    );
    call.on('timeout', () => call.destroy(new Error('no answer within 10 s')));
    call.on('error', (error: NodeJS.ErrnoException) => resolve(tlsRefusal(error)));
    call.end();
  });
}

/** A plain HTTP GET straight to Service 2, bypassing the gateway. */
export async function callDirect(url: string, token?: string): Promise<CallResult> {
  try {
    const response = await fetch(url, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    return {
      kind: 'response',
      status: response.status,
      body: parseBody(await response.text()),
      servedByGateway: response.headers.get('x-served-by') === 'gateway',
      challenge: response.headers.get('www-authenticate') ?? undefined,
    };
  } catch (error) {
    return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * With TLS 1.3 the server checks the client certificate after the client considers the handshake
 * done, so the refusal arrives as an alert (or a reset) on the first read.
 */
function tlsRefusal(error: NodeJS.ErrnoException): CallResult {
  const code = error.code ?? '';
  if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') return { kind: 'tls-refused', reason: 'certificate required' };
  if (code === 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA') return { kind: 'tls-refused', reason: 'unknown CA' };
  if (code === 'ECONNRESET' || code === 'EPIPE') return { kind: 'tls-refused', reason: 'connection closed (certificate not accepted)' };
  if (/^ERR_SSL_/.test(code)) {
    return { kind: 'tls-refused', reason: code.replace(/^ERR_SSL_/, '').toLowerCase() || error.message };
  }
  return { kind: 'failed', reason: `${code} ${error.message}`.trim() };
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
