/**
 * The load generator of part 2, run in a child process (`fork`) so that autocannon does not share
 * the server's event loop. It takes one run at a time over IPC and answers with a summary.
 */
import autocannon from 'autocannon';
import { fileURLToPath } from 'node:url';
import { summarize, type LoadSummary } from './support/summary.js';

export type { LoadSummary } from './support/summary.js';

export interface LoadRequest {
  readonly type: 'run';
  readonly id: number;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly connections: number;
  readonly seconds: number;
  readonly maxRequests: number;
}

export type LoadAnswer =
  | { readonly type: 'result'; readonly id: number; readonly summary: LoadSummary }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

async function run(request: LoadRequest): Promise<LoadSummary> {
  const result = await autocannon({
    url: request.url,
    headers: request.headers,
    connections: request.connections,
    duration: request.seconds,
    // Both bounds: whichever comes first ends the run.
    maxOverallRequests: Math.max(request.maxRequests, request.connections),
    timeout: 10,
  });
  return summarize(result);
}

// Child side only: this module is also imported for its types.
if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.on('message', (message: LoadRequest | { type: 'exit' }) => {
    if (message.type === 'exit') {
      process.disconnect();
      return;
    }
    run(message).then(
      summary => process.send?.({ type: 'result', id: message.id, summary } satisfies LoadAnswer),
      (error: unknown) =>
        process.send?.({ type: 'error', id: message.id, message: error instanceof Error ? error.message : String(error) } satisfies LoadAnswer),
    );
  });
}
