import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A JWKS server on 127.0.0.1 that counts requests per path. Each application instance of the
 * benchmark gets its own path (`/<label>/.well-known/jwks.json`), so the count per path is the
 * number of fetches that instance made.
 */
export interface CountingJwksServer {
  uriFor(label: string): string;
  count(label: string): number;
  /** Every path that was asked for, with its count (unknown labels included). */
  counts(): ReadonlyMap<string, number>;
  close(): Promise<void>;
}

const SUFFIX = '/.well-known/jwks.json';

export async function startJwksServer(keys: readonly Readonly<Record<string, unknown>>[]): Promise<CountingJwksServer> {
  const counts = new Map<string, number>();
  const body = JSON.stringify({ keys });
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    const label = path.endsWith(SUFFIX) ? path.slice(1, -SUFFIX.length) : `(other) ${path}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
    if (!path.endsWith(SUFFIX)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' });
    response.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    uriFor: label => `http://127.0.0.1:${port}/${encodeURIComponent(label)}${SUFFIX}`,
    count: label => counts.get(encodeURIComponent(label)) ?? 0,
    counts: () => counts,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}
