import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeValue, finiteNumber, invalid, knownKeys, objectArgument } from './input-checks.js';

/**
 * How the test JWKS endpoint answers: normally, with an error status, with a body that is not
 * JSON, after a delay, or never (until the server closes).
 * @publicApi
 */
export type TestJwksBehaviour =
  | { readonly kind: 'serve' }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'garbage' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'hang' };

/** @publicApi */
export interface TestJwksServerOptions {
  /** The keys published (public JWKs). @default [] */
  readonly keys?: readonly object[];
  /** The path of the key set. @default '/.well-known/jwks.json' */
  readonly path?: string;
  /** `Cache-Control: public, max-age=…` of the key set, as a gateway would send it. @default 300 */
  readonly cacheMaxAgeSeconds?: number;
}

/**
 * A JWKS endpoint on `127.0.0.1`, on a port the OS picks. Test-only.
 * @publicApi
 */
export interface TestJwksServer extends AsyncDisposable {
  /** The key set's URL, e.g. `http://127.0.0.1:41234/.well-known/jwks.json` (the module allows `http:` on loopback). */
  readonly url: string;
  /** `GET`/`HEAD` requests for the key set since start (or `resetFetchCount()`), whatever the behaviour answered. */
  readonly fetchCount: number;
  /** When the key set was last requested (`Date.now()`), if it was. */
  readonly lastFetchAt: number | undefined;
  /** The keys published now. */
  readonly keys: readonly object[];
  /** Replaces the published keys (a gateway rotating or withdrawing keys). */
  setKeys(keys: readonly object[]): void;
  /** Changes how the next requests are answered. */
  behave(behaviour: TestJwksBehaviour): void;
  resetFetchCount(): void;
  /** Stops the server: open connections and unanswered (`hang`, `delay`) requests are ended. Idempotent. */
  close(): Promise<void>;
}

const KNOWN_BEHAVIOURS = ['serve', 'status', 'garbage', 'delay', 'hang'];

function checkKeys(keys: unknown, where: string): readonly object[] {
  if (!Array.isArray(keys) || keys.some(key => typeof key !== 'object' || key === null || Array.isArray(key))) {
    invalid(where, `keys must be a list of JWK objects, got ${describeValue(keys)}`);
  }
  return Object.freeze([...(keys as object[])]);
}

function checkBehaviour(behaviour: unknown): TestJwksBehaviour {
  const where = 'TestJwksServer.behave()';
  const given = objectArgument(behaviour, where, 'behaviour');
  const kind = given['kind'];
  if (typeof kind !== 'string' || !KNOWN_BEHAVIOURS.includes(kind)) {
    invalid(where, `behaviour.kind must be one of ${KNOWN_BEHAVIOURS.map(name => `'${name}'`).join(', ')}, got ${describeValue(kind)}`);
  }
  if (kind === 'status') {
    const status = given['status'];
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
      invalid(where, `behaviour.status must be an HTTP status from 200 to 599, got ${describeValue(status)}`);
    }
  }
  if (kind === 'delay' && finiteNumber(given['ms'], where, 'behaviour.ms', 0, 60_000, 'milliseconds') === undefined) {
    invalid(where, "behaviour.ms is required with kind 'delay' (milliseconds before the key set is served)");
  }
  return { ...given } as TestJwksBehaviour;
}

/**
 * Starts a JWKS endpoint on `127.0.0.1` (any free port) that serves `{ "keys": [...] }` as
 * `application/json` with `Cache-Control`, counts its fetches and can misbehave on request.
 * Other paths answer 404, other methods 405. `close()` (or `await using`) leaves no open handle.
 *
 * @example
 * await using jwks = await startTestJwksServer({ keys: [key.jwk] });
 * jwks.behave({ kind: 'status', status: 503 });
 * @publicApi
 */
export async function startTestJwksServer(options: TestJwksServerOptions = {}): Promise<TestJwksServer> {
  const where = 'startTestJwksServer()';
  const given = objectArgument(options, where, 'options');
  knownKeys(given, ['keys', 'path', 'cacheMaxAgeSeconds'], where, 'option');
  let keys = checkKeys(given['keys'] ?? [], where);
  const path = given['path'] ?? '/.well-known/jwks.json';
  if (typeof path !== 'string' || !/^\/[^?#\s]*$/.test(path)) invalid(where, `path must start with "/" and have no query, got ${describeValue(path)}`);
  const maxAge = finiteNumber(given['cacheMaxAgeSeconds'], where, 'cacheMaxAgeSeconds', 0, 31_536_000) ?? 300;

  let behaviour: TestJwksBehaviour = { kind: 'serve' };
  let fetchCount = 0;
  let lastFetchAt: number | undefined;
  const pending = new Set<ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();

  const serveKeys = (request: IncomingMessage, response: ServerResponse): void => {
    const body = JSON.stringify({ keys });
    response.writeHead(200, {
      'content-type': 'application/json',
      'cache-control': `public, max-age=${Math.floor(maxAge)}`,
      'content-length': Buffer.byteLength(body),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  };

  const server = createServer((request, response) => {
    const target = (request.url ?? '').split('?')[0];
    if (target !== path) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end('{"error":"method_not_allowed"}');
      return;
    }
    fetchCount++;
    lastFetchAt = Date.now();
    const now = behaviour;
    switch (now.kind) {
      case 'serve':
        serveKeys(request, response);
        return;
      case 'status':
        response.writeHead(now.status, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('unavailable');
        return;
      case 'garbage':
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [ not json');
        return;
      case 'delay': {
        pending.add(response);
        const timer = setTimeout(() => {
          timers.delete(timer);
          pending.delete(response);
          if (!response.destroyed) serveKeys(request, response);
        }, now.ms);
        timers.add(timer);
        return;
      }
      case 'hang':
        pending.add(response);
        response.on('close', () => pending.delete(response));
        return;
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>(resolve => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const response of pending) response.destroy();
      pending.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };

  return {
    url: `http://127.0.0.1:${port}${path}`,
    get fetchCount() {
      return fetchCount;
    },
    get lastFetchAt() {
      return lastFetchAt;
    },
    get keys() {
      return keys;
    },
    setKeys(next) {
      keys = checkKeys(next, 'TestJwksServer.setKeys()');
    },
    behave(next) {
      behaviour = checkBehaviour(next);
    },
    resetFetchCount() {
      fetchCount = 0;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
