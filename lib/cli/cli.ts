import { readFileSync } from 'node:fs';
import type { CliIo } from './cli-io.js';
import { MAIN_HELP } from './doctor/doctor-help.js';

/**
 * `nestjs-gateway-auth <command>`: dispatches to a subcommand and returns the exit code
 * (2 for an unknown command).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'doctor': {
      // Loaded on demand: Nest and the module are not needed for --help and --version.
      const { runDoctor } = await import('./doctor/doctor.js');
      return runDoctor(rest, io);
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      io.out(MAIN_HELP);
      return command === undefined ? 2 : 0;
    case '-v':
    case '--version':
      io.out(`${packageVersion()}\n`);
      return 0;
    default:
      io.err(`nestjs-gateway-auth: unknown command ${JSON.stringify(command.slice(0, 40))}\n\n${MAIN_HELP}`);
      return 2;
  }
}

/** The version in the package's package.json (two levels up from lib/cli or dist/cli). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(manifest.version);
}
