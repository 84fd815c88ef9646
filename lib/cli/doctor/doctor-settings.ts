import { dirname, resolve } from 'node:path';
import type { CliIo } from '../cli-io.js';
import type { DoctorArgs, TokenSource } from './doctor-args.js';
import { UsageError } from './usage-error.js';

type FileAccess = Pick<CliIo, 'readFile' | 'cwd'>;
type JsonObject = Record<string, unknown>;

/**
 * The module options `doctor` checks the token with: the `--config` file (module options as
 * JSON), then the flags on top. Not validated here: `GatewayAuthModule.forRoot()` validates them,
 * exactly as in the service.
 *
 * In the config file, a PEM option (`jwks.ca`, `jwks.cert`, `jwks.key`,
 * `issuer.fromCertificate.ca`) holds PEM text or the path of a PEM file, relative to the config
 * file. `jwks.prefetch` is turned off: the doctor fetches the keys itself, and reports the outcome.
 * @throws {UsageError} unreadable files, a config file that is not a JSON object, conflicting flags
 */
export async function buildModuleOptions(args: DoctorArgs, io: FileAccess): Promise<JsonObject> {
  const options: JsonObject = args.config === undefined ? {} : await readConfig(args.config, io);

  if (args.jwksUri !== undefined) options['jwksUri'] = args.jwksUri;

  if (args.issuers.length > 0 && args.issuerCa !== undefined) {
    throw new UsageError('give --issuer (the iss value) or --issuer-ca (pin the issuer to the signing certificate), not both');
  }
  if (args.issuers.length > 0) options['issuer'] = args.issuers.length === 1 ? args.issuers[0] : [...args.issuers];
  if (args.issuerCa !== undefined) {
    const pinned = asObject(asObject(options['issuer'])?.['fromCertificate']);
    options['issuer'] = { fromCertificate: { ...pinned, ca: await readPem(args.issuerCa, '--issuer-ca', io.cwd, io) } };
  }

  if (args.audienceBase !== undefined && args.audiences.length > 0) {
    throw new UsageError('give --audience-base (the audience is derived from the route) or --audience (a fixed value), not both');
  }
  if (args.audienceBase !== undefined) {
    const current = asObject(options['audience']);
    // Keep match / includeQuery / trustProxy from the config file when it also derived the audience.
    const keep = current?.['baseUrl'] !== undefined ? current : {};
    options['audience'] = { ...keep, baseUrl: args.audienceBase };
  }
  if (args.audiences.length > 0) {
    options['audience'] = { value: args.audiences.length === 1 ? args.audiences[0] : [...args.audiences] };
  }

  if (args.algorithms.length > 0) options['algorithms'] = [...args.algorithms];
  if (args.clockToleranceSeconds !== undefined) options['clockToleranceSeconds'] = args.clockToleranceSeconds;
  if (args.tokenHeader !== undefined) options['tokenHeader'] = args.tokenHeader;
  if (args.subjectFormat !== undefined) options['subjectFormat'] = args.subjectFormat;

  const jwks = options['jwks'];
  if (args.jwksCa.length > 0 || args.jwksCert !== undefined || args.jwksKey !== undefined || asObject(jwks)) {
    const merged: JsonObject = { ...asObject(jwks) };
    if (args.jwksCa.length > 0) {
      const cas = await Promise.all(args.jwksCa.map(path => readPem(path, '--jwks-ca', io.cwd, io)));
      merged['ca'] = cas.length === 1 ? cas[0] : cas;
    }
    if (args.jwksCert !== undefined) merged['cert'] = await readPem(args.jwksCert, '--jwks-cert', io.cwd, io);
    if (args.jwksKey !== undefined) merged['key'] = await readPem(args.jwksKey, '--jwks-key', io.cwd, io);
    // The doctor fetches the keys itself and reports how that went; a failed prefetch would stop it first.
    if (merged['prefetch'] === 'warn' || merged['prefetch'] === 'fail') merged['prefetch'] = 'off';
    options['jwks'] = merged;
  }
  return options;
}

/**
 * The token from its source, without a `Bearer ` (or `Authorization: Bearer `) prefix and without
 * whitespace (a token pasted from a wrapped terminal line or a file with line breaks).
 * @throws {UsageError} no token (nothing piped in), an unreadable file, an empty token
 */
export async function readToken(source: TokenSource, io: Pick<CliIo, 'readFile' | 'cwd' | 'readStdin' | 'stdinIsTTY'>): Promise<string> {
  let text: string;
  switch (source.kind) {
    case 'argument':
      text = source.token;
      break;
    case 'file':
      text = await readText(source.path, '--token-file', io.cwd, io);
      break;
    case 'stdin':
      if (io.stdinIsTTY) {
        throw new UsageError('no token given: pass it as an argument, with --token-file <path>, or pipe it in (e.g. `pbpaste | nestjs-gateway-auth doctor - ...`)');
      }
      text = await io.readStdin();
      break;
  }
  const token = text.trim().replace(/^(authorization:\s*)?bearer\s+/i, '').replace(/\s+/g, '');
  if (token === '') throw new UsageError(source.kind === 'stdin' ? 'no token on stdin' : 'the token is empty');
  return token;
}

async function readConfig(path: string, io: FileAccess): Promise<JsonObject> {
  const text = await readText(path, '--config', io.cwd, io);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text around the error; the file may hold a private key.
    throw new UsageError(`--config: ${path} is not valid JSON`);
  }
  const options = asObject(value);
  if (!options) throw new UsageError(`--config: ${path} must hold a JSON object with the module options (jwksUri, issuer, audience, ...)`);
  const base = dirname(resolve(io.cwd, path));
  const jwks = asObject(options['jwks']);
  if (jwks) {
    const resolved: JsonObject = { ...jwks };
    for (const name of ['ca', 'cert', 'key'] as const) {
      const value = jwks[name];
      if (typeof value === 'string') resolved[name] = await pemOrPath(value, `--config jwks.${name}`, base, io);
      else if (name === 'ca' && Array.isArray(value)) {
        resolved[name] = await Promise.all(value.map((item: unknown) => (typeof item === 'string' ? pemOrPath(item, '--config jwks.ca', base, io) : item)));
      }
    }
    options['jwks'] = resolved;
  }
  const pinned = asObject(asObject(options['issuer'])?.['fromCertificate']);
  if (pinned && typeof pinned['ca'] === 'string') {
    options['issuer'] = { ...asObject(options['issuer']), fromCertificate: { ...pinned, ca: await pemOrPath(pinned['ca'], '--config issuer.fromCertificate.ca', base, io) } };
  }
  return { ...options };
}

/** PEM text as is; anything else is the path of a PEM file, relative to `base`. */
function pemOrPath(value: string, what: string, base: string, io: FileAccess): Promise<string> | string {
  return value.includes('-----BEGIN') ? value : readPem(value, what, base, io);
}

function readPem(path: string, what: string, base: string, io: FileAccess): Promise<string> {
  return readText(path, what, base, io);
}

async function readText(path: string, what: string, base: string, io: FileAccess): Promise<string> {
  try {
    return await io.readFile(resolve(base, path));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(`${what}: cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}
