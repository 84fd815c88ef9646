import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/**
 * One core each for the server and the load generator, as the issue's reference figures were
 * measured: the bench process (the service under test, all its threads) on CPU 0, autocannon's
 * process on CPU 1. Without this, the scheduler moves the two (and V8's helper threads) across
 * both cores of a 2-core machine and a round's ratio swings by ±15%. Linux `taskset`; skipped
 * (and said so) when missing, on one core, or with `BENCH_PIN=0`.
 */
export interface CpuPinning {
  /** How the HTTP part ran, for the table and results.json. */
  readonly description: string;
  /** Gives the bench process all cores back. */
  restore(): void;
}

export function pinServerAndLoad(loadPid: number | undefined, env: NodeJS.ProcessEnv = process.env): CpuPinning {
  const cores = cpus().length;
  const unpinned = (why: string): CpuPinning => ({ description: `not pinned (${why})`, restore: () => undefined });
  if (env['BENCH_PIN'] === '0') return unpinned('BENCH_PIN=0');
  if (cores < 2) return unpinned('one CPU');
  if (loadPid === undefined) return unpinned('no load generator process');
  try {
    // The service's event loop thread only: V8's GC and compiler helpers stay free to run on
    // either core, as they would in production. autocannon, every thread of it, on the other.
    taskset('0', process.pid, false);
    taskset('1', loadPid, true);
  } catch (error) {
    return unpinned(`taskset failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  return {
    description: "service's event loop on CPU 0, autocannon on CPU 1 (taskset)",
    restore: () => {
      try {
        taskset(`0-${cores - 1}`, process.pid, false);
      } catch {
        // Leaving the process pinned only slows the parts after this one.
      }
    },
  };
}

/** `allThreads`: every thread of the process (`-a`), else its main thread only. */
function taskset(cpuList: string, pid: number, allThreads: boolean): void {
  execFileSync('taskset', [...(allThreads ? ['-a'] : []), '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}
