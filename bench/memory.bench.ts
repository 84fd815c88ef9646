/**
 * Part 4: memory under sustained guarded load. One Express sample application, autocannon in the
 * same process with `amount`: RSS (after forced GCs) once `first` requests are done, and again
 * after `total`. A leak per request shows as growth between the two.
 *
 * It runs in a fresh child process (`node --expose-gc`), so the figures are those of the
 * application and its load alone, not of the benchmark's earlier parts.
 */
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchConfig } from './support/config.js';
import { CALLER_DN } from './support/keys.js';
import { describeError, httpGet, withTimeout } from './support/util.js';
import { startSample } from './http.bench.js';
import { summarize, type LoadSummary } from './support/summary.js';

export interface MemorySnapshot {
  readonly requests: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
}

export interface MemoryPart {
  readonly jwksLabel: string;
  readonly gcExposed: boolean;
  readonly first?: MemorySnapshot;
  readonly last?: MemorySnapshot;
  readonly rssRatio?: number;
  readonly heapRatio?: number;
  readonly runs: readonly LoadSummary[];
  readonly error?: string;
}

const collect = (globalThis as { gc?: () => void }).gc;

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    collect?.();
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

function snapshot(requests: number): MemorySnapshot {
  const usage = process.memoryUsage();
  return { requests, rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external };
}

/** `amount` guarded requests, in this process, stopped by a timer if they take longer than `maxMs`. */
function runAmount(url: string, headers: Record<string, string>, connections: number, amount: number, maxMs: number): Promise<LoadSummary> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const instance = autocannon({ url, headers, connections, amount, timeout: 10 }, (error: unknown, result: autocannon.Result) => {
      clearTimeout(timer);
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else if (timedOut) reject(new Error(`${amount} requests took longer than ${Math.round(maxMs / 1000)} s (stopped after ${result['2xx'] + result.non2xx})`));
      else resolve(summarize(result));
    });
    const timer = setTimeout(() => {
      timedOut = true;
      instance.stop();
    }, maxMs);
  });
}

interface MemoryRequest {
  readonly jwksUri: string;
  readonly jwksLabel: string;
  readonly token: string;
  readonly config: BenchConfig['memory'];
}

type MemoryMessage = { readonly type: 'progress'; readonly line: string } | { readonly type: 'done'; readonly result: MemoryPart };

/** Runs the memory part in a child process and returns its result (or an error result). */
export async function runMemoryPart(request: MemoryRequest, progress: (line: string) => void): Promise<MemoryPart> {
  const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let result: MemoryPart | undefined;
  child.on('message', (message: MemoryMessage) => {
    if (message.type === 'progress') progress(message.line);
    else if (message.type === 'done') result = message.result;
  });
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
  child.send(request);
  const watchdog = setTimeout(() => child.kill(), (request.config.maxSeconds + 60) * 1000);
  const code = await exited;
  clearTimeout(watchdog);
  return result ?? { jwksLabel: request.jwksLabel, gcExposed: false, runs: [], error: `memory process exited (${String(code)}) without a result` };
}

async function measure(
  { jwksUri, jwksLabel, token, config }: MemoryRequest,
  progress: (line: string) => void,
): Promise<MemoryPart> {
  const deadline = Date.now() + config.maxSeconds * 1000;
  const runs: LoadSummary[] = [];
  const base = { jwksLabel, gcExposed: collect !== undefined };
  let sample: Awaited<ReturnType<typeof startSample>>;
  try {
    sample = await withTimeout(startSample('express', jwksUri), 30_000, 'memory: start');
  } catch (error) {
    return { ...base, runs, error: `start failed: ${describeError(error)}` };
  }
  try {
    const headers = { authorization: `Bearer ${token}` };
    const url = `${sample.url}/orders`;
    const probe = await httpGet(url, headers);
    if (probe.status !== 200 || !probe.body.includes(CALLER_DN)) throw new Error(`GET /orders answered ${probe.status}`);

    const check = (run: LoadSummary): void => {
      if (run.non2xx > 0 || run.errors > 0) throw new Error(`${run.non2xx} non-2xx ${JSON.stringify(run.statusCodes)}, ${run.errors} errors`);
    };
    progress(`memory: ${config.first.toLocaleString('en-US')} guarded requests`);
    runs.push(await runAmount(url, headers, config.connections, config.first, deadline - Date.now()));
    check(runs[0] as LoadSummary);
    await settle();
    const first = snapshot(config.first);
    progress(`memory: ${(config.total - config.first).toLocaleString('en-US')} more`);
    runs.push(await runAmount(url, headers, config.connections, config.total - config.first, deadline - Date.now()));
    check(runs[1] as LoadSummary);
    await settle();
    const last = snapshot(config.total);
    return { ...base, first, last, rssRatio: last.rss / first.rss, heapRatio: last.heapUsed / first.heapUsed, runs };
  } catch (error) {
    return { ...base, runs, error: describeError(error) };
  } finally {
    await withTimeout(sample.app.close(), 15_000, 'memory: close').catch(() => undefined);
  }
}

// Child side: one request, one answer, then exit.
if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.once('message', (request: MemoryRequest) => {
    const send = (message: MemoryMessage): Promise<void> =>
      new Promise(resolve => process.send?.(message, undefined, {}, () => resolve()));
    measure(request, line => void send({ type: 'progress', line }))
      .catch((error: unknown): MemoryPart => ({ jwksLabel: request.jwksLabel, gcExposed: collect !== undefined, runs: [], error: describeError(error) }))
      .then(result => send({ type: 'done', result }))
      .finally(() => process.disconnect());
  });
}
