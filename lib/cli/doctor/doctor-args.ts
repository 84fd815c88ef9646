import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

/** The request the token is checked for: `GET /orders/42`. */
export interface DoctorRoute {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The request target as the service receives it: a path, optionally with a query string. */
  readonly target: string;
}

/** Where the token comes from. */
export type TokenSource =
  | { readonly kind: 'argument'; readonly token: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stdin' };

/** The `doctor` command line, parsed (not yet checked against the library's options). */
export interface DoctorArgs {
  readonly help: boolean;
  readonly json: boolean;
  readonly token: TokenSource;
  readonly route: DoctorRoute;
  /** A JSON file with the module options; flags override it. */
  readonly config?: string;
  readonly jwksUri?: string;
  readonly issuers: readonly string[];
  /** PEM file: pin the issuer to the JWKS key's certificate (`issuer.fromCertificate.ca`). */
  readonly issuerCa?: string;
  readonly audienceBase?: string;
  readonly audiences: readonly string[];
  readonly algorithms: readonly string[];
  readonly clockToleranceSeconds?: number;
  readonly tokenHeader?: string;
  readonly subjectFormat?: string;
  /** PEM files: `jwks.ca`, `jwks.cert`, `jwks.key`. */
  readonly jwksCa: readonly string[];
  readonly jwksCert?: string;
  readonly jwksKey?: string;
}

export const DEFAULT_ROUTE: DoctorRoute = Object.freeze({ method: 'GET', target: '/' });

const OPTIONS = {
  token: { type: 'string' },
  'token-file': { type: 'string' },
  config: { type: 'string' },
  'jwks-uri': { type: 'string' },
  issuer: { type: 'string', multiple: true },
  'issuer-ca': { type: 'string' },
  'audience-base': { type: 'string' },
  audience: { type: 'string', multiple: true },
  algorithms: { type: 'string', multiple: true },
  'clock-tolerance': { type: 'string' },
  'token-header': { type: 'string' },
  'subject-format': { type: 'string' },
  'jwks-ca': { type: 'string', multiple: true },
  'jwks-cert': { type: 'string' },
  'jwks-key': { type: 'string' },
  route: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The flag names `doctor` knows, for messages. */
export const DOCTOR_FLAGS: readonly string[] = Object.keys(OPTIONS).map(name => `--${name}`);

/**
 * Parses `doctor`'s arguments (those after the word `doctor`).
 * @throws {UsageError} unknown flag, missing value, two token sources, bad `--route` or number
 */
export function parseDoctorArgs(argv: readonly string[]): DoctorArgs {
  const { values, positionals } = parse(argv);
  if (positionals.length > 1) {
    throw new UsageError(`expected at most one token argument, got ${positionals.length} arguments`);
  }
  return {
    help: values.help === true,
    json: values.json === true,
    token: tokenSource(values.token, values['token-file'], positionals[0]),
    route: values.route === undefined ? DEFAULT_ROUTE : parseRoute(values.route),
    ...optional('config', nonEmpty(values.config, '--config')),
    ...optional('jwksUri', nonEmpty(values['jwks-uri'], '--jwks-uri')),
    issuers: values.issuer ?? [],
    ...optional('issuerCa', nonEmpty(values['issuer-ca'], '--issuer-ca')),
    ...optional('audienceBase', nonEmpty(values['audience-base'], '--audience-base')),
    audiences: values.audience ?? [],
    algorithms: (values.algorithms ?? []).flatMap(list => list.split(',')).map(alg => alg.trim()).filter(alg => alg !== ''),
    ...optional('clockToleranceSeconds', seconds(values['clock-tolerance'])),
    ...optional('tokenHeader', nonEmpty(values['token-header'], '--token-header')),
    ...optional('subjectFormat', nonEmpty(values['subject-format'], '--subject-format')),
    jwksCa: values['jwks-ca'] ?? [],
    ...optional('jwksCert', nonEmpty(values['jwks-cert'], '--jwks-cert')),
    ...optional('jwksKey', nonEmpty(values['jwks-key'], '--jwks-key')),
  };
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(argumentProblem(error));
  }
}

/**
 * `GET /orders/42`, `post /orders?x=1`, or a bare `/orders/42` (GET).
 * @throws {UsageError}
 */
export function parseRoute(text: string): DoctorRoute {
  const parts = text.trim().split(/\s+/);
  const [first = '', second] = parts;
  if (parts.length > 2 || first === '') throw new UsageError(`--route: expected 'METHOD /path', e.g. 'GET /orders/42', got ${JSON.stringify(text)}`);
  const method = second === undefined ? 'GET' : first.toUpperCase();
  const target = second ?? first;
  if (!/^[A-Z]+$/.test(method)) throw new UsageError(`--route: ${JSON.stringify(first)} is not an HTTP method; expected e.g. 'GET /orders/42'`);
  if (!target.startsWith('/')) {
    throw new UsageError(`--route: the path must start with "/" (the path as the service receives it, without scheme and host), got ${JSON.stringify(target)}`);
  }
  return { method, target };
}

function tokenSource(flag: string | undefined, file: string | undefined, positional: string | undefined): TokenSource {
  const given = [flag !== undefined, file !== undefined, positional !== undefined].filter(Boolean).length;
  if (given > 1) throw new UsageError('give the token once: as an argument, with --token, or with --token-file (or "-" / nothing for stdin)');
  if (file !== undefined) {
    if (file === '') throw new UsageError('--token-file: expected a file path');
    return { kind: 'file', path: file };
  }
  const token = flag ?? positional;
  if (token === undefined || token === '-') return { kind: 'stdin' };
  return { kind: 'argument', token };
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value.trim())) throw new UsageError(`--clock-tolerance: expected a number of seconds, got ${JSON.stringify(value)}`);
  return Number(value);
}

function nonEmpty(value: string | undefined, flag: string): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${flag}: expected a value`);
  return value;
}

/** `{ [key]: value }`, or nothing when `value` is undefined (exactOptionalPropertyTypes). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** parseArgs' complaint, without echoing values (a misplaced token must not be printed). */
function argumentProblem(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const flag = /'(-{1,2}[A-Za-z0-9][A-Za-z0-9-]{0,40})/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag${flag ? ` ${flag}` : ''} (known: ${DOCTOR_FLAGS.join(', ')})`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return flag ? `${flag}: ${/does not take an argument/.test(message) ? 'takes no value' : 'expected a value'}` : 'a flag is missing its value';
    default:
      return 'the arguments cannot be parsed';
  }
}
