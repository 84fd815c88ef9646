import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadAnswer, LoadRequest, LoadSummary } from '../load-runner.js';

/** Runs autocannon in a child process, one run at a time, each bounded in time by a watchdog. */
export class LoadClient {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (s: LoadSummary) => void; reject: (e: Error) => void }>();

  /** The load generator's process id (for CPU pinning). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  constructor() {
    this.child = fork(fileURLToPath(new URL('../load-runner.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (answer: LoadAnswer) => {
      const waiter = this.pending.get(answer.id);
      if (!waiter) return;
      this.pending.delete(answer.id);
      if (answer.type === 'result') waiter.resolve(answer.summary);
      else waiter.reject(new Error(`autocannon: ${answer.message}`));
    });
    this.child.on('exit', code => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`load generator exited (${String(code)})`));
      this.pending.clear();
    });
  }

  run(options: Omit<LoadRequest, 'type' | 'id'>): Promise<LoadSummary> {
    const id = this.nextId++;
    const request: LoadRequest = { type: 'run', id, ...options };
    return new Promise<LoadSummary>((resolve, reject) => {
      const watchdog = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`autocannon run did not finish within ${options.seconds + 20} s`));
      }, (options.seconds + 20) * 1000);
      this.pending.set(id, {
        resolve: summary => {
          clearTimeout(watchdog);
          resolve(summary);
        },
        reject: error => {
          clearTimeout(watchdog);
          reject(error);
        },
      });
      this.child.send(request);
    });
  }

  /** Asks the child to leave, and kills it (by its own handle) if it has not within 2 s. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>(resolve => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.send({ type: 'exit' });
    const timer = setTimeout(() => this.child.kill(), 2000);
    await exited;
    clearTimeout(timer);
  }
}
