import type { INestApplicationContext } from '@nestjs/common';
import { GatewayAuthConfigError } from '../../errors/gateway-auth.error.js';
import { GATEWAY_AUTH_RESOLVED_OPTIONS } from '../../gateway-auth.constants.js';
import type { ResolvedGatewayAuthOptions } from '../../gateway-auth.options.js';
import { GatewayAuthGuard } from '../../guards/gateway-auth.guard.js';
import { GatewayJwksService } from '../../jwks/gateway-jwks.service.js';
import type { CliIo } from '../cli-io.js';
import { parseDoctorArgs } from './doctor-args.js';
import { explain, probeJwks } from './doctor-checks.js';
import { withoutQuery } from './doctor-format.js';
import { createDoctorContext, doctorRequest, guardVerdict } from './doctor-guard.js';
import { DOCTOR_HELP } from './doctor-help.js';
import { renderJson, renderText, renderUsageError } from './doctor-render.js';
import { exitCodeOf, type DoctorReport } from './doctor-report.js';
import { buildModuleOptions, readToken } from './doctor-settings.js';
import { UsageError } from './usage-error.js';

/** Exit codes: the token would be accepted, refused, or the command line is wrong. */
export const EXIT = { accepted: 0, rejected: 1, usage: 2 } as const;

/** Which flag sets each option, for the library's configuration messages. */
const FLAG_OF_OPTION: readonly (readonly [string, string])[] = [
  ['jwksUri', '--jwks-uri'],
  ['issuer.fromCertificate', '--issuer-ca'],
  ['issuer', '--issuer or --issuer-ca'],
  ['audience.baseUrl', '--audience-base'],
  ['audience.value', '--audience'],
  ['audience', '--audience-base or --audience'],
  ['algorithms', '--algorithms'],
  ['clockToleranceSeconds', '--clock-tolerance'],
  ['tokenHeader', '--token-header'],
  ['subjectFormat', '--subject-format'],
  ['jwks.ca', '--jwks-ca'],
  ['jwks.cert and jwks.key', '--jwks-cert and --jwks-key'],
  ['jwks.cert', '--jwks-cert'],
  ['jwks.key', '--jwks-key'],
];

/**
 * `nestjs-gateway-auth doctor`: the verdict of the module's own guard on a token for a route,
 * explained check by check. Returns the exit code (0 accepted, 1 refused, 2 usage error).
 */
export async function runDoctor(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const usage = (error: UsageError): number => {
    if (json) io.out(renderUsageError(error, true));
    else io.err(renderUsageError(error, false));
    return EXIT.usage;
  };

  let app: INestApplicationContext | undefined;
  try {
    const args = parseDoctorArgs(argv);
    if (args.help) {
      io.out(DOCTOR_HELP);
      return 0;
    }
    const moduleOptions = await buildModuleOptions(args, io);
    const token = await readToken(args.token, io);
    try {
      app = await createDoctorContext(moduleOptions);
    } catch (error) {
      if (error instanceof GatewayAuthConfigError) {
        throw new UsageError('GatewayAuthModule refuses these settings:', error.issues.map(withFlag));
      }
      throw error;
    }
    const report = await diagnose(app, token, args.route);
    io.out(args.json ? renderJson(report) : renderText(report));
    return exitCodeOf(report.outcome);
  } catch (error) {
    if (error instanceof UsageError) return usage(error);
    throw error;
  } finally {
    await app?.close().catch(() => undefined);
  }
}

/**
 * Fetches the key set once (timed), asks the guard, then explains with the module's own checks.
 * The explanation reads the key set already held, so the guard and it see the same keys.
 */
async function diagnose(app: INestApplicationContext, token: string, route: DoctorReport['route']): Promise<DoctorReport> {
  const options = app.get<ResolvedGatewayAuthOptions>(GATEWAY_AUTH_RESOLVED_OPTIONS);
  const jwks = app.get(GatewayJwksService);
  const guard = app.get(GatewayAuthGuard);
  const jwksProbe = await probeJwks(jwks);
  const request = doctorRequest(token, route, options.tokenHeader);
  const outcome = await guardVerdict(guard, request);
  const { checks, claims } = explain({
    token,
    options,
    jwks,
    jwksProbe,
    request: doctorRequest(token, route, options.tokenHeader),
    route,
    nowMs: Date.now(),
  });
  return { route, jwksUri: withoutQuery(options.jwksUri), checks, outcome, claims };
}

/** The library's issue, with the flag that sets the option (`jwksUri: required … [--jwks-uri]`). */
function withFlag(issue: string): string {
  const found = FLAG_OF_OPTION.find(([option]) => issue.startsWith(`${option}:`) || issue.startsWith(`${option} `) || issue.startsWith(`${option}.`));
  return found ? `${issue} [${found[1]}]` : issue;
}
