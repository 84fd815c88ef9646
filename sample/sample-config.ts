import { readFileSync } from 'node:fs';
import type { GatewayAuthModuleOptions, GatewayJwsAlgorithm, SignatureVerification } from '../lib/index.js';

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
 * - `GATEWAY_TOKEN_HEADER` (optional): `tokenHeader`, e.g. `x-gateway-jwt`;
 * - `GATEWAY_SIGNATURE_VERIFICATION` (optional): `signatureVerification`, `auto` (the library's
 *   default), `event-loop` or `thread-pool`;
 * - `GATEWAY_JWKS_CA_FILE`, `GATEWAY_JWKS_CERT_FILE`, `GATEWAY_JWKS_KEY_FILE` (optional): PEM files
 *   for an `https:` JWKS with a private CA, behind mutual TLS (`jwks.ca`, `jwks.cert`, `jwks.key`);
 * - `GATEWAY_ISSUER_CA_FILE` (optional): pins the issuer to the gateway's signing certificate,
 *   which must chain to this CA (`issuer: { fromCertificate }`); `GATEWAY_ISSUER` is then not needed.
 *
 * Only presence is checked here; the library validates the values when the application starts.
 *
 * @throws {SampleConfigError} listing every missing required variable
 */
export function gatewayOptionsFromEnv(env: NodeJS.ProcessEnv): GatewayAuthModuleOptions {
  const pinnedIssuerCa = readPemFile(env, 'GATEWAY_ISSUER_CA_FILE');
  const missing = (Object.keys(REQUIRED) as RequiredVariable[]).filter(
    name => !isSet(env[name]) && !(name === 'GATEWAY_ISSUER' && pinnedIssuerCa !== undefined),
  );
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
  const signatureVerification = env['GATEWAY_SIGNATURE_VERIFICATION']?.trim();
  const ca = readPemFile(env, 'GATEWAY_JWKS_CA_FILE');
  const cert = readPemFile(env, 'GATEWAY_JWKS_CERT_FILE');
  const key = readPemFile(env, 'GATEWAY_JWKS_KEY_FILE');
  const jwks = {
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
  };

  return {
    jwksUri: (env['GATEWAY_JWKS_URI'] as string).trim(),
    issuer: pinnedIssuerCa !== undefined ? { fromCertificate: { ca: pinnedIssuerCa } } : (env['GATEWAY_ISSUER'] as string),
    ...(Object.keys(jwks).length > 0 ? { jwks } : {}),
    audience: { baseUrl: (env['GATEWAY_AUDIENCE_BASE'] as string).trim() },
    // Unknown names are passed on: the library reports them, with the list of supported ones.
    ...(algorithms.length > 0 ? { algorithms: algorithms as GatewayJwsAlgorithm[] } : {}),
    ...(tokenHeader ? { tokenHeader } : {}),
    // Passed on as given: the library refuses anything but its two values, naming them.
    ...(signatureVerification ? { signatureVerification: signatureVerification as SignatureVerification } : {}),
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

/** The HTTP platforms Service 2 can run on; the library behaves the same on each. */
export const SAMPLE_ADAPTERS = ['express', 'fastify'] as const;
export type SampleAdapter = (typeof SAMPLE_ADAPTERS)[number];

/**
 * The HTTP adapter: `GATEWAY_SAMPLE_ADAPTER`, `express` (when unset) or `fastify`.
 *
 * @throws {SampleConfigError} for any other value, naming the allowed ones
 */
export function adapterFromEnv(env: NodeJS.ProcessEnv): SampleAdapter {
  const raw = env['GATEWAY_SAMPLE_ADAPTER']?.trim();
  if (raw === undefined || raw === '') return 'express';
  const adapter = SAMPLE_ADAPTERS.find(name => name === raw.toLowerCase());
  if (adapter === undefined) {
    throw new SampleConfigError(
      `Service 2 cannot start: GATEWAY_SAMPLE_ADAPTER must be ${SAMPLE_ADAPTERS.map(name => `"${name}"`).join(' or ')}, got ${JSON.stringify(raw)}`,
    );
  }
  return adapter;
}

/** The address to listen on: `HOST`, or the loopback address 127.0.0.1 when unset. */
export function hostFromEnv(env: NodeJS.ProcessEnv): string {
  const host = env['HOST']?.trim();
  return host ? host : '127.0.0.1';
}

/**
 * The PEM text of the file a variable names, or undefined when the variable is unset.
 * @throws {SampleConfigError} when the file cannot be read
 */
function readPemFile(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const path = env[name]?.trim();
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new SampleConfigError(`Service 2 cannot start: ${name}=${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
