#!/usr/bin/env node
import 'reflect-metadata';
import { processIo } from './cli-io.js';
import { runCli } from './cli.js';

/** The `nestjs-gateway-auth` executable (package.json `bin`). */
try {
  process.exitCode = await runCli(process.argv.slice(2), processIo());
} catch (error) {
  // A bug, not a verdict: say so, without the token (no argument is echoed).
  process.stderr.write(`nestjs-gateway-auth: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
