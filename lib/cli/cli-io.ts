import { readFile } from 'node:fs/promises';

/**
 * What a command reads and writes, so that the commands can be run (and tested) without the
 * process' own streams.
 */
export interface CliIo {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** Standard input, read to its end as UTF-8. */
  readStdin(): Promise<string>;
  /** Whether standard input is a terminal (nothing piped in). */
  readonly stdinIsTTY: boolean;
  /** A file's text (UTF-8); relative paths from `cwd`. */
  readFile(path: string): Promise<string>;
  readonly cwd: string;
}

/** The process' own streams and file system. */
export function processIo(): CliIo {
  return {
    out: text => process.stdout.write(text),
    err: text => process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    },
    stdinIsTTY: process.stdin.isTTY === true,
    readFile: path => readFile(path, 'utf8'),
    cwd: process.cwd(),
  };
}
