import { request as httpRequest } from 'node:http';
import { startTestJwksServer, type TestJwksServer } from './test-jwks-server.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function fetchUrl(url: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent: false }, response => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const JWK = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1', alg: 'ES256', use: 'sig' };

describe('startTestJwksServer', () => {
  let server: TestJwksServer;
  beforeEach(async () => {
    server = await startTestJwksServer({ keys: [JWK] });
  });
  afterEach(async () => server.close());

  it('serves the key set on loopback as JSON with Cache-Control, and counts fetches', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/);
    expect(server.fetchCount).toBe(0);
    expect(server.lastFetchAt).toBeUndefined();
    const answer = await fetchUrl(server.url);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.headers['cache-control']).toBe('public, max-age=300');
    expect(JSON.parse(answer.body)).toEqual({ keys: [JWK] });
    expect(server.fetchCount).toBe(1);
    expect(server.lastFetchAt).toBeGreaterThan(Date.now() - 5_000);
    const head = await fetchUrl(server.url, 'HEAD');
    expect([head.status, head.body]).toEqual([200, '']);
    expect(server.fetchCount).toBe(2);
    server.resetFetchCount();
    expect(server.fetchCount).toBe(0);
  });

  it('answers other paths 404 and other methods 405, without counting them', async () => {
    expect((await fetchUrl(server.url.replace('jwks.json', 'other'))).status).toBe(404);
    const post = await fetchUrl(server.url, 'POST');
    expect([post.status, post.headers['allow']]).toEqual([405, 'GET, HEAD']);
    expect(server.fetchCount).toBe(0);
    expect((await fetchUrl(`${server.url}?x=1`)).status).toBe(200);
  });

  it('replaces the published keys', async () => {
    server.setKeys([]);
    expect(JSON.parse((await fetchUrl(server.url)).body)).toEqual({ keys: [] });
    expect(server.keys).toEqual([]);
    expect(() => server.setKeys([1] as never)).toThrow('nestjs-gateway-auth/testing: TestJwksServer.setKeys(): keys must be a list of JWK objects, got [1]');
  });

  it('fails, answers garbage, or answers late, on request; each try counts', async () => {
    server.behave({ kind: 'status', status: 503 });
    const failed = await fetchUrl(server.url);
    expect([failed.status, failed.headers['cache-control']]).toEqual([503, 'no-store']);
    server.behave({ kind: 'garbage' });
    const garbage = await fetchUrl(server.url);
    expect(garbage.status).toBe(200);
    expect(() => JSON.parse(garbage.body)).toThrow();
    server.behave({ kind: 'delay', ms: 150 });
    const started = Date.now();
    expect((await fetchUrl(server.url)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    server.behave({ kind: 'serve' });
    expect((await fetchUrl(server.url)).status).toBe(200);
    expect(server.fetchCount).toBe(4);
  });

  it('closes with requests left hanging or delayed, ending them, and closes once', async () => {
    server.behave({ kind: 'hang' });
    const hanging = fetchUrl(server.url).then(() => 'answered', () => 'ended');
    server.behave({ kind: 'delay', ms: 30_000 });
    const delayed = fetchUrl(server.url).then(() => 'answered', () => 'ended');
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(server.fetchCount).toBe(2);
    const closing = server.close();
    expect(server.close()).toBe(closing);
    await closing;
    expect(await hanging).toBe('ended');
    expect(await delayed).toBe('ended');
  });

  it('supports await using', async () => {
    let url = '';
    {
      await using scoped = await startTestJwksServer({ cacheMaxAgeSeconds: 60, path: '/keys' });
      url = scoped.url;
      const answer = await fetchUrl(url);
      expect([answer.status, answer.headers['cache-control']]).toEqual([200, 'public, max-age=60']);
    }
    await expect(fetchUrl(url)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses behaviours and options it does not know', async () => {
    expect(() => server.behave({ kind: 'explode' } as never)).toThrow(
      "TestJwksServer.behave(): behaviour.kind must be one of 'serve', 'status', 'garbage', 'delay', 'hang', got \"explode\"",
    );
    expect(() => server.behave({ kind: 'status', status: 99 })).toThrow('behaviour.status must be an HTTP status from 200 to 599, got 99');
    expect(() => server.behave({ kind: 'delay' } as never)).toThrow("behaviour.ms is required with kind 'delay'");
    expect(() => server.behave({ kind: 'delay', ms: -1 })).toThrow('behaviour.ms must be a finite number from 0 to 60000 (milliseconds), got -1');
    await expect(startTestJwksServer({ key: [] } as never)).rejects.toThrow('unknown option "key" (known: keys, path, cacheMaxAgeSeconds)');
    await expect(startTestJwksServer({ path: 'jwks' })).rejects.toThrow('path must start with "/" and have no query, got "jwks"');
  });
});
