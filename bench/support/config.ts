/**
 * Settings of `npm run bench`, from the environment. `BENCH_QUICK=1` shortens every part (about a
 * quarter of the full run); each value can also be set on its own.
 */
export interface BenchConfig {
  readonly quick: boolean;
  /** Which parts run: `verify`, `http`, `memory` (JWKS counts are gathered from whichever ran). */
  readonly parts: ReadonlySet<'verify' | 'http' | 'memory'>;
  readonly verify: {
    /** Warm-up per variant, in ms. */
    readonly warmupMs: number;
    /** Alternating rounds (raw, ours, then ours, raw, ...). */
    readonly rounds: number;
    /** Time bound of one variant in one round, in ms. */
    readonly phaseMs: number;
    /** Count bound of one variant in one round. */
    readonly phaseMaxIterations: number;
  };
  readonly http: {
    readonly adapters: readonly ('express' | 'fastify')[];
    /** The sample's `signatureVerification` values to measure, each as its own application. */
    readonly signatureVerification: readonly ('event-loop' | 'thread-pool' | 'auto')[];
    readonly connections: number;
    readonly warmupSeconds: number;
    /** Alternating rounds per route (public, guarded, then guarded, public, ...). */
    readonly rounds: number;
    readonly seconds: number;
    /** Count bound of one autocannon run. */
    readonly maxRequestsPerRun: number;
  };
  readonly memory: {
    readonly connections: number;
    /** RSS is read after this many guarded requests ... */
    readonly first: number;
    /** ... and again after this many in all. */
    readonly total: number;
    /** Time bound of the whole memory part, in seconds. */
    readonly maxSeconds: number;
  };
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function list<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[]): T[] {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return [...allowed];
  const values = raw.split(',').map(value => value.trim()).filter(value => value !== '');
  for (const value of values) {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new Error(`${name}: unknown value ${JSON.stringify(value)}; choose from ${allowed.join(', ')}`);
    }
  }
  return values as T[];
}

export function benchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = env['BENCH_QUICK'] === '1' || env['BENCH_QUICK'] === 'true';
  const connections = int(env, 'BENCH_CONNECTIONS', 10, 1, 1000);
  const memoryTotal = int(env, 'BENCH_MEM_TOTAL', quick ? 50_000 : 200_000, 100, 10_000_000);
  return {
    quick,
    parts: new Set(list(env, 'BENCH_PARTS', ['verify', 'http', 'memory'] as const)),
    verify: {
      warmupMs: int(env, 'BENCH_VERIFY_WARMUP_MS', quick ? 300 : 700, 0, 60_000),
      rounds: int(env, 'BENCH_VERIFY_ROUNDS', quick ? 3 : 8, 1, 100),
      phaseMs: int(env, 'BENCH_VERIFY_MS', quick ? 300 : 500, 50, 60_000),
      phaseMaxIterations: int(env, 'BENCH_VERIFY_MAX_ITERATIONS', 500_000, 100, 100_000_000),
    },
    http: {
      adapters: list(env, 'BENCH_ADAPTERS', ['express', 'fastify'] as const),
      signatureVerification: list(env, 'BENCH_SIGNATURE_VERIFICATION', ['event-loop', 'thread-pool', 'auto'] as const),
      connections,
      warmupSeconds: int(env, 'BENCH_HTTP_WARMUP_SECONDS', quick ? 1 : 2, 0, 60),
      rounds: int(env, 'BENCH_HTTP_ROUNDS', quick ? 1 : 3, 1, 20),
      seconds: int(env, 'BENCH_HTTP_SECONDS', quick ? 2 : 5, 1, 60),
      maxRequestsPerRun: int(env, 'BENCH_HTTP_MAX_REQUESTS', 2_000_000, 1000, 100_000_000),
    },
    memory: {
      connections,
      first: int(env, 'BENCH_MEM_FIRST', Math.round(memoryTotal / 10), 10, 10_000_000),
      total: memoryTotal,
      maxSeconds: int(env, 'BENCH_MEM_MAX_SECONDS', quick ? 40 : 100, 5, 3600),
    },
  };
}
