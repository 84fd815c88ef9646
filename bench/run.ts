/**
 * `npm run bench`: prints ratios of things measured side by side in one run (absolute figures
 * drift on a shared machine), writes bench/results.json. See bench/README.md.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, arch, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runHttpPart, type AdapterResult } from './http.bench.js';
import { runMemoryPart, type MemoryPart } from './memory.bench.js';
import { benchConfig } from './support/config.js';
import { startJwksServer } from './support/jwks-server.js';
import { createKey, mintToken, type BenchAlgorithm } from './support/keys.js';
import { pinServerAndLoad } from './support/cpu-pinning.js';
import { LoadClient } from './support/load-client.js';
import { describeError, formatMb, formatRate, formatRatio, table, verdict } from './support/util.js';
import { runVerifyPart, type VerifyPart } from './verify.bench.js';

const REFERENCE = {
  rawVerifyPerSecond: 41_000,
  oursOverRaw: 0.75,
  guardedOverPublic: { express: 0.8, fastify: 0.45 },
  memoryGrowth: 1.1,
} as const;

const RESULTS_FILE = fileURLToPath(new URL('../../bench/results.json', import.meta.url));

async function main(): Promise<void> {
  const config = benchConfig();
  const startedAt = new Date();
  const t0 = Date.now();
  const progress = (line: string): void => {
    process.stderr.write(`  [${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
  };

  const algorithms: BenchAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];
  const keys = algorithms.map(createKey);
  const rs256 = keys[0];
  if (!rs256) throw new Error('no RS256 key');
  const jwks = await startJwksServer(keys.map(key => key.jwk));
  const problems: string[] = [];

  let verify: VerifyPart | undefined;
  let http: AdapterResult[] | undefined;
  let memory: MemoryPart | undefined;
  let cpuPinning: string | undefined;
  try {
    if (config.parts.has('verify')) {
      verify = await runVerifyPart(keys, jwks, config.verify, progress);
      problems.push(...verify.problems);
    }
    if (config.parts.has('http')) {
      const load = new LoadClient();
      const pinning = pinServerAndLoad(load.pid);
      cpuPinning = pinning.description;
      progress(`http: ${pinning.description}`);
      try {
        http = await runHttpPart(rs256, jwks, config.http, load, progress);
      } finally {
        pinning.restore();
        await load.close();
      }
      for (const result of http) if (result.error) problems.push(`http ${result.label}: ${result.error}`);
    }
    if (config.parts.has('memory')) {
      memory = await runMemoryPart(
        { jwksUri: jwks.uriFor('memory-express'), jwksLabel: 'memory-express', token: mintToken(rs256, '/orders'), config: config.memory },
        progress,
      );
      if (memory.error) problems.push(`memory: ${memory.error}`);
    }
  } finally {
    await jwks.close();
  }

  // Part 3: fetches per application instance, from the JWKS server's own count.
  interface Instance {
    readonly instance: string;
    readonly label: string;
    readonly lifetimeSeconds?: number | undefined;
  }
  const instances = ([] as Instance[]).concat([
    ...(verify?.rows.filter(row => row.ours).map(row => ({ instance: `verify ${row.algorithm}${row.cached ? ' + cache' : ''}${row.threadPool ? ', thread-pool' : ''} (app context)`, label: row.jwksLabel })) ?? []),
    ...(http?.map(result => ({ instance: `http ${result.label} (sample app)`, label: result.jwksLabel, lifetimeSeconds: result.lifetimeSeconds })) ?? []),
    ...(memory ? [{ instance: 'memory express (sample app)', label: memory.jwksLabel }] : []),
  ]).map(entry => ({ ...entry, fetches: jwks.count(entry.label) }));
  const expected = new Set(instances.map(i => encodeURIComponent(i.label)));
  const unexpected = [...jwks.counts()].filter(([label]) => !expected.has(label));
  for (const i of instances) {
    if (i.fetches === 1) continue;
    // The sample's /health refetches a key set older than 60 s (refreshIfOlderThanMs): a leg
    // that keeps one application up longer than that makes a second fetch by design.
    const lifetime = i.lifetimeSeconds;
    const why = lifetime !== undefined && lifetime > 60 && i.fetches > 1 ? ` (the app lived ${lifetime.toFixed(0)} s; the sample's /health refetches keys older than 60 s)` : '';
    problems.push(`JWKS: ${i.instance} fetched ${i.fetches} time(s), expected 1${why}`);
  }

  const seconds = (Date.now() - t0) / 1000;
  const meta = {
    startedAt: startedAt.toISOString(),
    seconds,
    node: process.version,
    platform: `${platform()} ${arch()}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemory: totalmem(),
    loadavgAtEnd: loadavg(),
    quick: config.quick,
    httpCpuPinning: cpuPinning,
  };
  const output = {
    meta,
    reference: REFERENCE,
    config: { ...config, parts: [...config.parts] },
    verify,
    http,
    jwks: { instances, otherPaths: Object.fromEntries(unexpected) },
    memory,
    problems,
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(output, null, 2)}\n`);

  const out: string[] = [];
  out.push(`nestjs-gateway-auth benchmark: Node ${meta.node}, ${meta.platform}, ${meta.cpus} CPU (${meta.cpuModel})${config.quick ? ', QUICK' : ''}; ${seconds.toFixed(0)} s`);
  out.push(
    `Reference (issue): raw crypto.verify ≈ ${REFERENCE.rawVerifyPerSecond.toLocaleString('en-US')}/s; targets: ours ≥ ${REFERENCE.oursOverRaw}× raw, ` +
      `guarded ≥ ${REFERENCE.guardedOverPublic.express}× public (Express), ≥ ${REFERENCE.guardedOverPublic.fastify}× (Fastify), RSS growth ≤ 10%`,
  );

  if (verify) {
    const v = config.verify;
    out.push('', `1. Verification alone, one process, same token (${v.rounds} alternating rounds × ${v.phaseMs} ms per side, after ${v.warmupMs} ms warm-up)`);
    const rows: string[][] = [['alg', 'raw crypto.verify', 'ours (guard.canActivate)', 'ours/raw', 'median round', `≥ ${REFERENCE.oursOverRaw}×`]];
    for (const row of verify.rows) {
      rows.push([
        `${row.algorithm}${row.cached ? ' + verifiedTokenCache' : ''}${row.threadPool ? ', thread-pool, one at a time' : ''}`,
        row.raw ? formatRate(row.raw.opsPerSecond) : '',
        row.ours ? formatRate(row.ours.opsPerSecond) : (row.oursNote ?? ''),
        row.ratio !== undefined ? formatRatio(row.ratio) : '',
        row.medianRoundRatio !== undefined ? formatRatio(row.medianRoundRatio) : '',
        row.ratio === undefined ? '' : row.threadPool ? 'latency, no target' : verdict(row.medianRoundRatio ?? row.ratio, REFERENCE.oursOverRaw),
      ]);
    }
    out.push(table(rows));
    out.push(`  verifiedTokenCache option: ${verify.verifiedTokenCache}`);
  }

  if (http) {
    const h = config.http;
    out.push('', `2. HTTP, sample app, autocannon in a child process (${h.connections} connections, ${h.rounds} alternating rounds × ${h.seconds} s per route, after ${h.warmupSeconds} s warm-up each; ${meta.httpCpuPinning ?? "not pinned"})`);
    const rows: string[][] = [['adapter', 'route', 'req/s', 'p99', 'non-2xx', 'guarded/public', 'target']];
    for (const result of http) {
      const target = REFERENCE.guardedOverPublic[result.adapter];
      if (result.public && result.guarded) {
        for (const [i, route] of [result.public, result.guarded].entries()) {
          rows.push([
            i === 0 ? result.label : '',
            route.route,
            formatRate(route.rps),
            `${route.p99Ms.toFixed(0)} ms`,
            String(route.non2xx + route.errors),
            i === 1 && result.ratio !== undefined ? `${formatRatio(result.ratio)} (median round ${formatRatio(result.medianRoundRatio ?? Number.NaN)})` : '',
            i === 1 && result.ratio !== undefined ? `≥ ${target}× ${verdict(result.medianRoundRatio ?? result.ratio, target)}` : '',
          ]);
        }
        if (result.error) rows.push(['', `PROBLEM: ${result.error}`]);
      } else {
        rows.push([result.label, `FAILED: ${result.error ?? 'unknown'}`]);
      }
    }
    out.push(table(rows));
  }

  out.push('', '3. JWKS fetches per application instance (counted by the JWKS server; expected 1 each)');
  const jwksRows: string[][] = [['instance', 'fetches', '']];
  for (const i of instances) jwksRows.push([i.instance, String(i.fetches), i.fetches === 1 ? 'ok' : 'MISS']);
  for (const [label, count] of unexpected) jwksRows.push([`(other path) ${decodeURIComponent(label)}`, String(count), '']);
  out.push(table(jwksRows));

  if (memory) {
    out.push('', `4. Memory, Express sample app, GET /orders, autocannon in the app's process (${config.memory.connections} connections; RSS after ${memory.gcExposed ? 'forced GC' : 'no GC (gc not exposed)'})`);
    if (memory.first && memory.last) {
      const rows: string[][] = [['after', 'RSS', 'heap used', 'req/s']];
      for (const [snap, run] of [[memory.first, memory.runs[0]], [memory.last, memory.runs[1]]] as const) {
        rows.push([`${snap.requests.toLocaleString('en-US')} requests`, formatMb(snap.rss), formatMb(snap.heapUsed), run ? formatRate(run.rps) : '']);
      }
      rows.push([
        'ratio',
        formatRatio(memory.rssRatio ?? Number.NaN),
        formatRatio(memory.heapRatio ?? Number.NaN),
        `RSS target ≤ ${REFERENCE.memoryGrowth}× ${verdict(memory.rssRatio ?? Number.NaN, REFERENCE.memoryGrowth, true)}`,
      ]);
      out.push(table(rows));
    } else {
      out.push(`  FAILED: ${memory.error ?? 'unknown'}`);
    }
  }

  if (problems.length > 0) {
    out.push('', 'Problems:');
    for (const problem of problems) out.push(`  - ${problem}`);
  }
  out.push('', `Full results: ${RESULTS_FILE}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${describeError(error)}`);
  console.error(error);
  process.exitCode = 1;
});
