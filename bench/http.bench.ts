/**
 * Part 2: the sample service over HTTP, Express and Fastify: the public `GET /health` against the
 * guarded `GET /orders`, alternating runs of autocannon (in a child process) with the same settings.
 */
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { AppModule } from '../sample/app.module.js';
import type { LoadSummary } from './load-runner.js';
import type { BenchConfig } from './support/config.js';
import type { CountingJwksServer } from './support/jwks-server.js';
import { AUDIENCE_BASE, CALLER_DN, ISSUER, mintToken, type BenchKey } from './support/keys.js';
import type { LoadClient } from './support/load-client.js';
import { describeError, httpGet, median, withTimeout } from './support/util.js';

export type AdapterName = 'express' | 'fastify';

export interface RouteResult {
  readonly route: string;
  readonly rps: number;
  /** Median over the rounds of each run's p99. */
  readonly p99Ms: number;
  readonly p50Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
  readonly runs: readonly LoadSummary[];
}

export type SignatureVerificationMode = 'event-loop' | 'thread-pool' | 'auto';

export interface AdapterResult {
  readonly adapter: AdapterName;
  /** The sample's `signatureVerification` (`GATEWAY_SIGNATURE_VERIFICATION`). */
  readonly signatureVerification: SignatureVerificationMode;
  /** `express, event-loop` and the like: the row's name. */
  readonly label: string;
  readonly jwksLabel: string;
  readonly public?: RouteResult;
  readonly guarded?: RouteResult;
  /** Guarded req/s over public req/s, all rounds together. */
  readonly ratio?: number;
  readonly medianRoundRatio?: number;
  readonly error?: string;
  /** Seconds from start to close; the sample's /health refetches keys older than 60 s. */
  readonly lifetimeSeconds?: number;
}

/** The sample's environment, as `npm run sample:service` reads it. */
export function sampleEnv(jwksUri: string, signatureVerification: SignatureVerificationMode = 'event-loop'): NodeJS.ProcessEnv {
  return {
    GATEWAY_JWKS_URI: jwksUri,
    GATEWAY_ISSUER: ISSUER,
    GATEWAY_AUDIENCE_BASE: AUDIENCE_BASE,
    GATEWAY_ALGORITHMS: 'RS256',
    GATEWAY_SIGNATURE_VERIFICATION: signatureVerification,
  };
}

export async function startSample(
  adapter: AdapterName,
  jwksUri: string,
  signatureVerification: SignatureVerificationMode = 'event-loop',
): Promise<{ app: INestApplication; url: string }> {
  const module = AppModule.forEnv(sampleEnv(jwksUri, signatureVerification));
  const options = { logger: false as const, abortOnError: false, forceCloseConnections: true };
  const app =
    adapter === 'express'
      ? await NestFactory.create(module, new ExpressAdapter(), options)
      : await NestFactory.create(module, new FastifyAdapter(), options);
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

function combine(route: string, runs: readonly LoadSummary[]): RouteResult {
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  const statusCodes: Record<string, number> = {};
  for (const run of runs) for (const [code, count] of Object.entries(run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  return {
    route,
    rps: requests / seconds,
    p99Ms: median(runs.map(run => run.p99Ms)),
    p50Ms: median(runs.map(run => run.p50Ms)),
    requests,
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    statusCodes,
    runs,
  };
}

const snippet = (body: string): string => (body.length > 160 ? `${body.slice(0, 160)}…` : body);

async function benchAdapter(
  adapter: AdapterName,
  signatureVerification: SignatureVerificationMode,
  key: BenchKey,
  jwks: CountingJwksServer,
  config: BenchConfig['http'],
  load: LoadClient,
  progress: (line: string) => void,
): Promise<AdapterResult> {
  const jwksLabel = `http-${adapter}-${signatureVerification}`;
  const label = `${adapter}, ${signatureVerification}`;
  const base = { adapter, signatureVerification, label, jwksLabel };
  const started = Date.now();
  let sample: { app: INestApplication; url: string };
  try {
    sample = await withTimeout(startSample(adapter, jwks.uriFor(jwksLabel), signatureVerification), 30_000, `${label}: start`);
  } catch (error) {
    return { ...base, error: `start failed: ${describeError(error)}` };
  }
  const token = mintToken(key, '/orders');
  const guardedHeaders = { authorization: `Bearer ${token}` };
  try {
    // Probes: both routes must answer 200 (and /orders with our caller) before any load.
    const health = await httpGet(`${sample.url}/health`, {});
    if (health.status !== 200) throw new Error(`GET /health answered ${health.status}: ${snippet(health.body)}`);
    const orders = await httpGet(`${sample.url}/orders`, guardedHeaders);
    if (orders.status !== 200) throw new Error(`GET /orders answered ${orders.status}: ${snippet(orders.body)}`);
    const caller = (JSON.parse(orders.body) as { caller?: unknown }).caller;
    if (caller !== CALLER_DN) throw new Error(`GET /orders answered 200 but caller=${JSON.stringify(caller)}`);
    const missing = await httpGet(`${sample.url}/orders`, {});
    if (missing.status !== 401) throw new Error(`GET /orders without a token answered ${missing.status}, expected 401`);

    const routes = {
      public: { path: '/health', headers: {} as Record<string, string> },
      guarded: { path: '/orders', headers: guardedHeaders },
    };
    const runOf = (which: keyof typeof routes, seconds: number): Promise<LoadSummary> =>
      load.run({
        url: `${sample.url}${routes[which].path}`,
        headers: routes[which].headers,
        connections: config.connections,
        seconds,
        maxRequests: config.maxRequestsPerRun,
      });
    if (config.warmupSeconds > 0) {
      progress(`http ${label}: warm-up`);
      await runOf('public', config.warmupSeconds);
      await runOf('guarded', config.warmupSeconds);
    }
    const publicRuns: LoadSummary[] = [];
    const guardedRuns: LoadSummary[] = [];
    for (let round = 0; round < config.rounds; round++) {
      progress(`http ${label}: round ${round + 1}/${config.rounds}`);
      const order: (keyof typeof routes)[] = round % 2 === 0 ? ['public', 'guarded'] : ['guarded', 'public'];
      for (const which of order) {
        const summary = await runOf(which, config.seconds);
        (which === 'public' ? publicRuns : guardedRuns).push(summary);
      }
    }
    const publicResult = combine('GET /health (public)', publicRuns);
    const guardedResult = combine('GET /orders (guarded)', guardedRuns);
    const roundRatios = guardedRuns.map((run, i) => run.rps / (publicRuns[i]?.rps ?? Number.NaN));
    const bad = [publicResult, guardedResult].filter(r => r.non2xx > 0 || r.errors > 0);
    return {
      ...base,
      public: publicResult,
      guarded: guardedResult,
      ratio: guardedResult.rps / publicResult.rps,
      medianRoundRatio: median(roundRatios),
      ...(bad.length > 0
        ? { error: bad.map(r => `${r.route}: ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors`).join('; ') }
        : {}),
      lifetimeSeconds: (Date.now() - started) / 1000,
    };
  } catch (error) {
    return { ...base, error: describeError(error), lifetimeSeconds: (Date.now() - started) / 1000 };
  } finally {
    await withTimeout(sample.app.close(), 15_000, `${label}: close`).catch(() => undefined);
  }
}

export async function runHttpPart(
  key: BenchKey,
  jwks: CountingJwksServer,
  config: BenchConfig['http'],
  load: LoadClient,
  progress: (line: string) => void,
): Promise<AdapterResult[]> {
  const results: AdapterResult[] = [];
  for (const adapter of config.adapters) {
    for (const mode of config.signatureVerification) results.push(await benchAdapter(adapter, mode, key, jwks, config, load, progress));
  }
  return results;
}
