import type { GatewayAuthModuleOptions, GatewayJwsAlgorithm } from '../lib/index.js';

/**
 * The sample's configuration errors (missing variables, a bad PORT): `main.ts` prints the message
 * alone and exits 1. Problems with the values themselves are the library's to report, at startup.
 */
export class SampleConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SampleConfigError';
  }
}

/** The required variables, each with what to set it to. */
const REQUIRED = {
  GATEWAY_JWKS_URI:
    "the gateway's JWKS URL, e.g. https://gateway.example.com/.well-known/jwks.json",
  GATEWAY_ISSUER:
    'the iss the gateway puts in its tokens (the Subject DN of its signing certificate), ' +
    'e.g. "CN=Gateway Signing,O=Example"',
  GATEWAY_AUDIENCE_BASE:
    'the public URL of this service at the gateway (the request path is appended to it), ' +
    'e.g. https://api.example.com or https://api.example.com/service2',
} as const;

type RequiredVariable = keyof typeof REQUIRED;

/**
 * Builds the `GatewayAuthModule` options from environment variables:
 *
 * - `GATEWAY_JWKS_URI` (required): `jwksUri`;
 * - `GATEWAY_ISSUER` (required): `issuer`, one value taken as is (a DN contains commas);
 * - `GATEWAY_AUDIENCE_BASE` (required): `audience.baseUrl`;
 * - `GATEWAY_ALGORITHMS` (optional): `algorithms`, a comma-separated list such as `RS256,ES256`;
 * - `GATEWAY_TOKEN_HEADER` (optional): `tokenHeader`, e.g. `x-gateway-jwt`.
 *
 * Only presence is checked here; the library validates the values when the application starts.
 *
 * @throws {SampleConfigError} listing every missing required variable
 */
export function gatewayOptionsFromEnv(env: NodeJS.ProcessEnv): GatewayAuthModuleOptions {
  const missing = (Object.keys(REQUIRED) as RequiredVariable[]).filter(name => !isSet(env[name]));
  if (missing.length > 0) {
    const count =
      missing.length === 1
        ? '1 required environment variable is'
        : `${missing.length} required environment variables are`;
    throw new SampleConfigError(
      [
        `Service 2 cannot start: ${count} not set.`,
        ...missing.map(name => `  ${name} is not set: ${REQUIRED[name]}`),
      ].join('\n'),
    );
  }

  const algorithms = (env['GATEWAY_ALGORITHMS'] ?? '')
    .split(',')
    .map(alg => alg.trim())
    .filter(alg => alg !== '');
  const tokenHeader = env['GATEWAY_TOKEN_HEADER']?.trim();

  return {
    jwksUri: (env['GATEWAY_JWKS_URI'] as string).trim(),
    issuer: env['GATEWAY_ISSUER'] as string,
    audience: { baseUrl: (env['GATEWAY_AUDIENCE_BASE'] as string).trim() },
    // Unknown names are passed on: the library reports them, with the list of supported ones.
    ...(algorithms.length > 0 ? { algorithms: algorithms as GatewayJwsAlgorithm[] } : {}),
    ...(tokenHeader ? { tokenHeader } : {}),
  };
}

/**
 * The port to listen on: `PORT`, or 3000 when unset. `0` asks the OS for a free port.
 *
 * @throws {SampleConfigError} when `PORT` is not an integer from 0 to 65535
 */
export function portFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env['PORT']?.trim();
  if (raw === undefined || raw === '') return 3000;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new SampleConfigError(
      `Service 2 cannot start: PORT must be an integer from 0 to 65535, got ${JSON.stringify(raw)}`,
    );
  }
  return port;
}

/** The address to listen on: `HOST`, or the loopback address 127.0.0.1 when unset. */
export function hostFromEnv(env: NodeJS.ProcessEnv): string {
  const host = env['HOST']?.trim();
  return host ? host : '127.0.0.1';
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
