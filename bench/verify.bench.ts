/**
 * Part 1: verification alone, in this process, no HTTP. For each algorithm, Node's raw
 * `crypto.verify` of the token's signature against the library's whole path: a Nest application
 * context with `GatewayAuthModule.forRoot(...)`, its `GatewayAuthGuard`, and `canActivate()` over
 * a plain request object, as Nest would call it for `GET /orders`.
 */
import { Controller, Get, Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { performance } from 'node:perf_hooks';
import { GatewayAuthGuard, GatewayAuthModule, type GatewayAuthModuleOptions, type GatewayJwsAlgorithm } from '../lib/index.js';
import type { BenchConfig } from './support/config.js';
import type { CountingJwksServer } from './support/jwks-server.js';
import { AUDIENCE_BASE, CALLER_DN, ISSUER, mintToken, rawVerifier, type BenchAlgorithm, type BenchKey } from './support/keys.js';
import { describeError, median, withTimeout } from './support/util.js';

/** The route the benchmark requests stand for: a real controller, so the guard's Reflector lookups run. */
@Controller()
export class BenchOrdersController {
  @Get('orders')
  list(): { ok: true } {
    return { ok: true };
  }
}

@Module({})
class VerifyBenchModule {
  static with(options: GatewayAuthModuleOptions): DynamicModule {
    return { module: VerifyBenchModule, imports: [GatewayAuthModule.forRoot(options)], controllers: [BenchOrdersController] };
  }
}

export interface VariantResult {
  readonly opsPerSecond: number;
  readonly iterations: number;
  readonly ms: number;
  readonly perRound: readonly number[];
}

export interface VerifyRow {
  readonly algorithm: BenchAlgorithm;
  /** `verifiedTokenCache` on (when the library has that option). */
  readonly cached: boolean;
  /**
   * `signatureVerification: 'thread-pool'`: one verification at a time, so this row shows the
   * latency the thread hand-off adds, not throughput (no target applies).
   */
  readonly threadPool?: boolean;
  readonly jwksLabel: string;
  readonly raw?: VariantResult;
  readonly ours?: VariantResult;
  /** Ours / raw over all rounds. */
  readonly ratio?: number;
  /** Median of the per-round ratios (robust to a noisy round). */
  readonly medianRoundRatio?: number;
  /** Why `ours` has no number (not supported, failed). */
  readonly oursNote?: string;
}

export interface VerifyPart {
  readonly rows: readonly VerifyRow[];
  /** What became of the optional `verifiedTokenCache` probe. */
  readonly verifiedTokenCache: string;
  readonly problems: readonly string[];
}

type Phase = { iterations: number; ms: number };

function runSync(fn: () => boolean, maxIterations: number, maxMs: number): Phase {
  const start = performance.now();
  const deadline = start + maxMs;
  let iterations = 0;
  let now = start;
  while (iterations < maxIterations && now < deadline) {
    if (!fn()) throw new Error('raw verification returned false');
    iterations++;
    now = performance.now();
  }
  return { iterations, ms: now - start };
}

async function runAsync(fn: () => boolean | Promise<boolean>, maxIterations: number, maxMs: number): Promise<Phase> {
  const start = performance.now();
  const deadline = start + maxMs;
  let iterations = 0;
  let now = start;
  while (iterations < maxIterations && now < deadline) {
    if ((await fn()) !== true) throw new Error('guard.canActivate() did not return true');
    iterations++;
    now = performance.now();
  }
  return { iterations, ms: now - start };
}

function variant(phases: readonly Phase[]): VariantResult {
  const iterations = phases.reduce((sum, p) => sum + p.iterations, 0);
  const ms = phases.reduce((sum, p) => sum + p.ms, 0);
  return {
    opsPerSecond: (iterations / ms) * 1000,
    iterations,
    ms,
    perRound: phases.map(p => (p.iterations / p.ms) * 1000),
  };
}

/** A fresh request per call, as Nest would have for `GET /orders` with the token. */
function guardCall(guard: GatewayAuthGuard, token: string): () => boolean | Promise<boolean> {
  const handler = BenchOrdersController.prototype.list;
  const authorization = `Bearer ${token}`;
  const response = { setHeader: (): void => undefined, header: (): void => undefined };
  const next = (): void => undefined;
  return () => {
    const request = { method: 'GET', url: '/orders', originalUrl: '/orders', headers: { authorization } };
    return guard.canActivate(new ExecutionContextHost([request, response, next], BenchOrdersController, handler));
  };
}

/** The guard's verdict on one request, with the identity it set, to check the path really verifies. */
async function checkOnce(guard: GatewayAuthGuard, token: string): Promise<void> {
  const request: { method: string; url: string; originalUrl: string; headers: Record<string, string>; user?: unknown } = {
    method: 'GET',
    url: '/orders',
    originalUrl: '/orders',
    headers: { authorization: `Bearer ${token}` },
  };
  const allowed = await guard.canActivate(
    new ExecutionContextHost([request, { setHeader: () => undefined }, () => undefined], BenchOrdersController, BenchOrdersController.prototype.list),
  );
  const subject = (request.user as { subject?: unknown } | undefined)?.subject;
  if (allowed !== true || subject !== CALLER_DN) {
    throw new Error(`the guard did not accept the benchmark token as expected (canActivate=${String(allowed)}, user.subject=${String(subject)})`);
  }
  // And a token with a broken signature must be refused, or we would be timing a no-op.
  const forged = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
  const refused = await Promise.resolve()
    .then(() => guard.canActivate(new ExecutionContextHost([{ ...request, headers: { authorization: `Bearer ${forged}` } }, { setHeader: () => undefined }, () => undefined], BenchOrdersController, BenchOrdersController.prototype.list)))
    .then(() => false, () => true);
  if (!refused) throw new Error('the guard accepted a token with a broken signature');
}

async function createContext(options: GatewayAuthModuleOptions): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(VerifyBenchModule.with(options), { logger: false, abortOnError: false });
}

function moduleOptions(jwks: CountingJwksServer, label: string, alg: BenchAlgorithm, extra: Record<string, unknown> = {}): GatewayAuthModuleOptions {
  return {
    jwksUri: jwks.uriFor(label),
    issuer: ISSUER,
    audience: { baseUrl: AUDIENCE_BASE },
    algorithms: [alg as GatewayJwsAlgorithm],
    ...extra,
  } as GatewayAuthModuleOptions;
}

/**
 * Whether the library (as compiled for this run) has the optional `verifiedTokenCache` option, and
 * the value it accepts: `true`, else `{}`. Decided by the library's own option validation.
 */
async function probeVerifiedTokenCache(jwks: CountingJwksServer, alg: BenchAlgorithm): Promise<{ value?: unknown; note: string }> {
  const failures: string[] = [];
  for (const value of [true, {}] as const) {
    let app: INestApplicationContext | undefined;
    try {
      app = await createContext(moduleOptions(jwks, 'probe-verifiedTokenCache', alg, { verifiedTokenCache: value }));
      return { value, note: `present (measured with verifiedTokenCache: ${JSON.stringify(value)})` };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/verifiedTokenCache: unknown option/.test(message)) return { note: 'not in GatewayAuthModuleOptions yet: rows skipped' };
      failures.push(`${JSON.stringify(value)} → ${describeError(error)}`);
    } finally {
      await app?.close().catch(() => undefined);
    }
  }
  return { note: `present but refused every value tried: ${failures.join('; ')}` };
}

async function benchOne(
  key: BenchKey,
  jwks: CountingJwksServer,
  config: BenchConfig['verify'],
  cache: { value: unknown } | undefined,
  threadPool = false,
): Promise<VerifyRow> {
  const alg = key.alg;
  const jwksLabel = `verify-${alg}${cache ? '-cache' : ''}${threadPool ? '-thread-pool' : ''}`;
  const token = mintToken(key, '/orders');
  const raw = rawVerifier(key, token);
  const base = { algorithm: alg, cached: cache !== undefined, jwksLabel, ...(threadPool ? { threadPool } : {}) };
  const extra = { ...(cache ? { verifiedTokenCache: cache.value } : {}), ...(threadPool ? { signatureVerification: 'thread-pool' } : {}) };

  let app: INestApplicationContext | undefined;
  try {
    try {
      app = await createContext(moduleOptions(jwks, jwksLabel, alg, extra));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const line = message.split('\n').find(l => l.includes(`"${alg}"`));
      if (line) {
        // The library refuses the algorithm: measure the raw baseline alone, for reference.
        const rawOnly = variant([runSync(raw, config.phaseMaxIterations, config.phaseMs)]);
        return { ...base, raw: rawOnly, oursNote: 'n/a (not supported)' };
      }
      throw error;
    }
    const guard = app.get(GatewayAuthGuard);
    await withTimeout(checkOnce(guard, token), 15_000, `${alg}: first guarded call`);
    const ours = guardCall(guard, token);

    runSync(raw, config.phaseMaxIterations, config.warmupMs);
    await runAsync(ours, config.phaseMaxIterations, config.warmupMs);

    const rawPhases: Phase[] = [];
    const ourPhases: Phase[] = [];
    for (let round = 0; round < config.rounds; round++) {
      // Alternate the order, so drift within a round does not favour one side.
      if (round % 2 === 0) {
        rawPhases.push(runSync(raw, config.phaseMaxIterations, config.phaseMs));
        ourPhases.push(await runAsync(ours, config.phaseMaxIterations, config.phaseMs));
      } else {
        ourPhases.push(await runAsync(ours, config.phaseMaxIterations, config.phaseMs));
        rawPhases.push(runSync(raw, config.phaseMaxIterations, config.phaseMs));
      }
    }
    const rawResult = variant(rawPhases);
    const ourResult = variant(ourPhases);
    return {
      ...base,
      raw: rawResult,
      ours: ourResult,
      ratio: ourResult.opsPerSecond / rawResult.opsPerSecond,
      medianRoundRatio: median(ourResult.perRound.map((value, i) => value / (rawResult.perRound[i] ?? Number.NaN))),
    };
  } catch (error) {
    return { ...base, oursNote: `FAILED: ${describeError(error)}` };
  } finally {
    await app?.close().catch(() => undefined);
  }
}

export async function runVerifyPart(
  keys: readonly BenchKey[],
  jwks: CountingJwksServer,
  config: BenchConfig['verify'],
  progress: (line: string) => void,
): Promise<VerifyPart> {
  const rows: VerifyRow[] = [];
  const problems: string[] = [];
  const firstSupported = keys.find(key => key.alg !== 'EdDSA') ?? keys[0];
  const probe = firstSupported ? await probeVerifiedTokenCache(jwks, firstSupported.alg) : { note: 'not probed' };
  for (const key of keys) {
    progress(`verify ${key.alg}`);
    const row = await benchOne(key, jwks, config, undefined);
    rows.push(row);
    if (row.oursNote?.startsWith('FAILED')) problems.push(`verify ${key.alg}: ${row.oursNote}`);
    if ('value' in probe && row.ours) {
      progress(`verify ${key.alg} + verifiedTokenCache`);
      const cachedRow = await benchOne(key, jwks, config, { value: probe.value });
      rows.push(cachedRow);
      if (cachedRow.oursNote?.startsWith('FAILED')) problems.push(`verify ${key.alg} + cache: ${cachedRow.oursNote}`);
    }
  }
  // Last: the thread-pool path leaves V8's type feedback for the shared code polymorphic, which
  // would slow every row measured after it in this process.
  const rs256 = keys.find(key => key.alg === 'RS256');
  if (rs256 && rows.some(row => row.algorithm === 'RS256' && row.ours)) {
    progress('verify RS256, signatureVerification: thread-pool');
    const pooledRow = await benchOne(rs256, jwks, config, undefined, true);
    rows.push(pooledRow);
    if (pooledRow.oursNote?.startsWith('FAILED')) problems.push(`verify RS256 thread-pool: ${pooledRow.oursNote}`);
  }
  return { rows, verifiedTokenCache: probe.note, problems };
}
