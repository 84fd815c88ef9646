import { compileCallerRules, hasDnRules, type CallerRule, type CompiledCallerRules } from './caller/caller-rules.js';
import type { SubjectFormat } from './caller/gateway-caller.js';
import type { X509Certificate } from 'node:crypto';
import { GatewayAuthConfigError } from './errors/gateway-auth.error.js';
import { loadTrustAnchors } from './jwks/certificate-chain.js';
import type {
  AudienceResolver,
  GatewayAuthModuleOptions,
  GatewayJwsAlgorithm,
  SignatureVerification,
} from './interfaces/gateway-auth-options.interface.js';
import {
  normalizeAudience,
  parseHttpUri,
  type AudienceMatching,
  type ParsedHttpUri,
} from './utils/audience.util.js';
import { normalizeTyp } from './utils/token-inspection.util.js';

export interface ResolvedJwksOptions {
  readonly cacheMaxAgeMs: number;
  readonly cacheMaxEntries: number;
  readonly cooldownMs: number;
  readonly staleWindowMs: number;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly ca: string | Buffer | readonly (string | Buffer)[] | undefined;
  readonly cert: string | Buffer | undefined;
  readonly key: string | Buffer | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly prefetch: 'off' | 'warn' | 'fail';
}

/** Where the required audience of a request comes from. */
export type ResolvedAudience =
  | {
      readonly kind: 'route';
      readonly base: ParsedHttpUri;
      readonly matching: AudienceMatching;
      readonly trustProxy: boolean;
    }
  | { readonly kind: 'static'; readonly values: readonly string[] }
  | { readonly kind: 'resolve'; readonly resolve: AudienceResolver; readonly matching: AudienceMatching };

/** The options after validation and defaults: what the strategy and the guard use. */
export interface ResolvedGatewayAuthOptions {
  readonly jwksUri: string;
  readonly issuers: readonly string[];
  readonly audience: ResolvedAudience;
  readonly algorithms: readonly GatewayJwsAlgorithm[];
  readonly clockToleranceSeconds: number;
  /** Lower-case header name the token is read from. */
  readonly tokenHeader: string;
  readonly typ: readonly string[] | undefined;
  readonly maxTokenLength: number;
  readonly realm: string;
  readonly subjectFormat: SubjectFormat;
  readonly allowedCallers: CompiledCallerRules | undefined;
  readonly jwks: ResolvedJwksOptions;
  /** Set when the issuer is pinned to the signing certificate. */
  readonly issuerPinning: { readonly anchors: readonly X509Certificate[]; readonly match: 'dn' | 'cn' } | undefined;
  readonly requiredClaims: readonly string[];
  readonly maxTokenAgeSeconds: number | undefined;
  readonly replayCache: { readonly maxEntries: number } | undefined;
  readonly rejectionLogsPerMinute: number;
  readonly verifiedTokenCache: { readonly maxEntries: number; readonly maxTtlMs: number } | undefined;
  readonly signatureVerification: SignatureVerification;
}

export const SUPPORTED_ALGORITHMS: readonly GatewayJwsAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

export const DEFAULTS = {
  algorithms: ['RS256', 'ES256'] as readonly GatewayJwsAlgorithm[],
  clockToleranceSeconds: 30,
  maxTokenLength: 8192,
  realm: 'api',
  jwks: {
    cacheMaxAgeMs: 600_000,
    cacheMaxEntries: 16,
    cooldownMs: 10_000,
    staleWindowMs: 900_000,
    timeoutMs: 5_000,
    maxResponseBytes: 1_048_576,
  },
  replayCacheEntries: 100_000,
  rejectionLogsPerMinute: 120,
  signatureVerification: 'auto' as SignatureVerification,
} as const;

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const QUOTABLE = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Validates the module options and applies defaults. Reports every problem at once, one line per
 * option path, so a misconfigured service fails at startup with a message that says what to fix.
 *
 * @throws {GatewayAuthConfigError}
 */
export function resolveGatewayAuthOptions(input: unknown): ResolvedGatewayAuthOptions {
  const issues: string[] = [];
  if (typeof input !== 'object' || input === null) {
    throw new GatewayAuthConfigError([
      'options: expected an object with jwksUri, issuer and audience',
    ]);
  }
  const options = input as Partial<Record<keyof GatewayAuthModuleOptions, unknown>>;
  const known = new Set<string>([
    'jwksUri', 'issuer', 'audience', 'algorithms', 'clockToleranceSeconds', 'tokenHeader', 'typ',
    'maxTokenLength', 'realm', 'jwks', 'subjectFormat', 'allowedCallers', 'requiredClaims',
    'maxTokenAgeSeconds', 'replayCache', 'rejectionLogsPerMinute', 'verifiedTokenCache', 'signatureVerification',
  ]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) issues.push(`${key}: unknown option (known: ${[...known].join(', ')})`);
  }

  const jwksUri = checkJwksUri(options.jwksUri, issues);
  const pinned = typeof options.issuer === 'object' && options.issuer !== null && !Array.isArray(options.issuer);
  const issuerPinning = pinned ? checkIssuerPinning(options.issuer, issues) : undefined;
  const issuers = pinned ? [] : stringList(options.issuer, 'issuer', issues, 'the iss value(s) your gateway puts in its tokens, or { fromCertificate: { ca } }');
  const audience = checkAudience(options.audience, issues);
  const algorithms = checkAlgorithms(options.algorithms, issues);
  const clockToleranceSeconds = checkNumber(options.clockToleranceSeconds, 'clockToleranceSeconds', DEFAULTS.clockToleranceSeconds, 0, 300, issues);
  const maxTokenLength = checkNumber(options.maxTokenLength, 'maxTokenLength', DEFAULTS.maxTokenLength, 256, 1_048_576, issues);

  let tokenHeader = 'authorization';
  if (options.tokenHeader !== undefined) {
    if (typeof options.tokenHeader !== 'string' || !HEADER_NAME.test(options.tokenHeader)) {
      issues.push('tokenHeader: must be an HTTP header name such as "x-gateway-jwt"');
    } else {
      tokenHeader = options.tokenHeader.toLowerCase();
    }
  }

  let typ: string[] | undefined;
  if (options.typ !== undefined) {
    typ = stringList(options.typ, 'typ', issues, 'e.g. "JWT" or "at+jwt"').map(normalizeTyp);
  }

  let realm: string = DEFAULTS.realm;
  if (options.realm !== undefined) {
    if (typeof options.realm !== 'string' || !QUOTABLE.test(options.realm)) {
      issues.push('realm: must be non-empty printable ASCII without " or \\ (RFC 6750 §3)');
    } else {
      realm = options.realm;
    }
  }

  const jwks = checkJwks(options.jwks, issues);
  if (jwksUri?.startsWith('http:') && (jwks.ca !== undefined || jwks.cert !== undefined)) {
    issues.push('jwks.ca / jwks.cert / jwks.key: TLS settings need an https: jwksUri');
  }

  let subjectFormat: SubjectFormat = 'rfc4514';
  if (options.subjectFormat !== undefined) {
    if (options.subjectFormat !== 'rfc4514' && options.subjectFormat !== 'openssl' && options.subjectFormat !== 'opaque') {
      issues.push(`subjectFormat: must be 'rfc4514', 'openssl' or 'opaque', got ${JSON.stringify(options.subjectFormat)}`);
    } else {
      subjectFormat = options.subjectFormat;
    }
  }
  const allowedCallers = checkAllowedCallers(options.allowedCallers, subjectFormat, issues);

  let requiredClaims: string[] = [];
  if (options.requiredClaims !== undefined) {
    if (!Array.isArray(options.requiredClaims) || options.requiredClaims.some(c => typeof c !== 'string' || c === '')) {
      issues.push('requiredClaims: must be a list of claim names, e.g. ["jti", "iat"]');
    } else {
      requiredClaims = [...new Set(options.requiredClaims as string[])];
    }
  }
  const maxTokenAgeSeconds =
    options.maxTokenAgeSeconds === undefined
      ? undefined
      : checkNumber(options.maxTokenAgeSeconds, 'maxTokenAgeSeconds', 0, 1, 31_536_000, issues);
  const replayCache = checkReplayCache(options.replayCache, issues);
  const verifiedTokenCache = checkVerifiedTokenCache(options.verifiedTokenCache, issues);
  if (verifiedTokenCache && replayCache) {
    issues.push('verifiedTokenCache: cannot be combined with replayCache (a cached token would be accepted again)');
  }
  const rejectionLogsPerMinute = checkNumber(options.rejectionLogsPerMinute, 'rejectionLogsPerMinute', DEFAULTS.rejectionLogsPerMinute, 1, 100_000, issues);
  const signatureVerification = options.signatureVerification ?? DEFAULTS.signatureVerification;
  if (signatureVerification !== 'event-loop' && signatureVerification !== 'thread-pool' && signatureVerification !== 'auto') {
    issues.push(`signatureVerification: 'event-loop', 'thread-pool' or 'auto', got ${JSON.stringify(signatureVerification)}`);
  }

  if (issues.length > 0) throw new GatewayAuthConfigError(issues);
  return {
    jwksUri: jwksUri as string,
    issuers,
    audience: audience as ResolvedGatewayAuthOptions['audience'],
    algorithms,
    clockToleranceSeconds,
    tokenHeader,
    typ,
    maxTokenLength,
    realm,
    jwks,
    subjectFormat,
    allowedCallers,
    issuerPinning,
    requiredClaims,
    maxTokenAgeSeconds,
    replayCache,
    rejectionLogsPerMinute,
    verifiedTokenCache,
    signatureVerification: signatureVerification as SignatureVerification,
  };
}

function checkVerifiedTokenCache(value: unknown, issues: string[]): ResolvedGatewayAuthOptions['verifiedTokenCache'] {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { maxEntries: 10_000, maxTtlMs: 60_000 };
  if (typeof value === 'object' && value !== null) {
    const { maxEntries, maxTtlSeconds } = value as { maxEntries?: unknown; maxTtlSeconds?: unknown };
    return {
      maxEntries: checkNumber(maxEntries, 'verifiedTokenCache.maxEntries', 10_000, 10, 1_000_000, issues),
      maxTtlMs: checkNumber(maxTtlSeconds, 'verifiedTokenCache.maxTtlSeconds', 60, 1, 3_600, issues) * 1000,
    };
  }
  issues.push('verifiedTokenCache: true, false, or { maxEntries, maxTtlSeconds }');
  return undefined;
}

function checkIssuerPinning(value: unknown, issues: string[]): ResolvedGatewayAuthOptions['issuerPinning'] {
  const from = (value as { fromCertificate?: unknown }).fromCertificate;
  if (typeof from !== 'object' || from === null) {
    issues.push('issuer: a string, a list of strings, or { fromCertificate: { ca } }');
    return undefined;
  }
  const { ca, match } = from as { ca?: unknown; match?: unknown };
  if (match !== undefined && match !== 'dn' && match !== 'cn') {
    issues.push(`issuer.fromCertificate.match: must be 'dn' or 'cn', got ${JSON.stringify(match)}`);
  }
  try {
    const anchors = loadTrustAnchors(ca as string | Buffer | readonly (string | Buffer)[]);
    if (anchors.length === 0) throw new Error('no certificate found');
    return { anchors, match: match === 'cn' ? 'cn' : 'dn' };
  } catch (error) {
    issues.push(`issuer.fromCertificate.ca: the CA certificate(s) (PEM) the gateway's signing certificate chains to; ${(error as Error).message}`);
    return undefined;
  }
}

function checkReplayCache(value: unknown, issues: string[]): ResolvedGatewayAuthOptions['replayCache'] {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { maxEntries: DEFAULTS.replayCacheEntries };
  if (typeof value === 'object' && value !== null) {
    const { maxEntries } = value as { maxEntries?: unknown };
    return { maxEntries: checkNumber(maxEntries, 'replayCache.maxEntries', DEFAULTS.replayCacheEntries, 100, 10_000_000, issues) };
  }
  issues.push('replayCache: true, false, or { maxEntries }');
  return undefined;
}

function checkAllowedCallers(value: unknown, format: SubjectFormat, issues: string[]): CompiledCallerRules | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    issues.push('allowedCallers: must be a list of DN strings or predicates');
    return undefined;
  }
  const rules = value as CallerRule[];
  if (format === 'opaque' && hasDnRules(rules)) {
    issues.push("allowedCallers: DN strings need a DN in sub, but subjectFormat is 'opaque'; use predicates on caller.dn");
    return undefined;
  }
  try {
    return compileCallerRules(rules);
  } catch (error) {
    issues.push(`allowedCallers: ${(error as Error).message}`);
    return undefined;
  }
}

function checkJwksUri(value: unknown, issues: string[]): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    issues.push("jwksUri: required; the gateway's JWKS URL, e.g. https://gateway.example.com/.well-known/jwks.json");
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    issues.push(`jwksUri: "${value}" is not an absolute URL`);
    return undefined;
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOST.test(url.hostname)) {
    issues.push(`jwksUri: must use https: (http: is allowed for loopback hosts only), got "${value}"`);
  } else if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    issues.push(`jwksUri: must be an https: URL, got "${value}"`);
  }
  if (url.username || url.password) {
    issues.push('jwksUri: must not carry credentials; use request headers instead');
  }
  return value;
}

function checkAudience(value: unknown, issues: string[]): ResolvedAudience | undefined {
  const hint = "audience: required; { baseUrl: 'https://api.example.com' } (the public URL of this service at the gateway), { value: '...' } or { resolve: request => '...' }";
  if (typeof value !== 'object' || value === null) {
    issues.push(hint);
    return undefined;
  }
  const audience = value as Record<string, unknown>;
  const kinds = ['baseUrl', 'value', 'resolve'].filter(key => audience[key] !== undefined);
  if (kinds.length > 1) {
    issues.push(`audience: set one of baseUrl, value or resolve, not ${kinds.join(' and ')}`);
    return undefined;
  }
  const allowed: Record<string, readonly string[]> = {
    baseUrl: ['baseUrl', 'match', 'includeQuery', 'trustProxy'],
    value: ['value'],
    resolve: ['resolve', 'match'],
  };
  for (const key of Object.keys(audience)) {
    if (kinds[0] !== undefined && !(allowed[kinds[0]] as readonly string[]).includes(key)) {
      issues.push(`audience.${key}: not an option of audience.${kinds[0]} (allowed: ${(allowed[kinds[0]] as readonly string[]).join(', ')})`);
    }
  }
  const matching = checkMatching(audience, issues);
  switch (kinds[0]) {
    case 'baseUrl': {
      const raw = audience['baseUrl'];
      const base = typeof raw === 'string' ? parseHttpUri(raw) : undefined;
      if (typeof raw !== 'string' || !base) {
        issues.push(`audience.baseUrl: must be an absolute http: or https: URL without credentials, got ${JSON.stringify(raw)}`);
        return undefined;
      }
      if (/[?#]/.test(raw)) {
        issues.push(`audience.baseUrl: must not have a query string or fragment, got "${raw}"`);
        return undefined;
      }
      const trustProxy = audience['trustProxy'];
      if (trustProxy !== undefined && typeof trustProxy !== 'boolean') {
        issues.push('audience.trustProxy: must be true or false');
      }
      return { kind: 'route', base, matching, trustProxy: trustProxy === true };
    }
    case 'value': {
      const values = stringList(audience['value'], 'audience.value', issues, 'the aud value your gateway puts in its tokens');
      return { kind: 'static', values: values.map(item => normalizeAudience(item)) };
    }
    case 'resolve': {
      if (typeof audience['resolve'] !== 'function') {
        issues.push('audience.resolve: must be a function (request) => string | string[]');
        return undefined;
      }
      return { kind: 'resolve', resolve: audience['resolve'] as AudienceResolver, matching };
    }
    default:
      issues.push(hint);
      return undefined;
  }
}

function checkMatching(audience: Record<string, unknown>, issues: string[]): AudienceMatching {
  const { match, includeQuery } = audience;
  if (match !== undefined && match !== 'exact' && match !== 'prefix') {
    issues.push(`audience.match: must be 'exact' or 'prefix', got ${JSON.stringify(match)}`);
  }
  if (includeQuery !== undefined && typeof includeQuery !== 'boolean') {
    issues.push('audience.includeQuery: must be true or false');
  }
  if (match === 'prefix' && includeQuery === true) {
    issues.push("audience.includeQuery: cannot be combined with match: 'prefix' (a prefix names a path, not a query)");
  }
  return { mode: match === 'prefix' ? 'prefix' : 'exact', includeQuery: includeQuery === true };
}

function checkAlgorithms(value: unknown, issues: string[]): GatewayJwsAlgorithm[] {
  if (value === undefined) return [...DEFAULTS.algorithms];
  if (!Array.isArray(value) || value.length === 0) {
    issues.push(`algorithms: must be a non-empty list drawn from ${SUPPORTED_ALGORITHMS.join(', ')}`);
    return [];
  }
  const result: GatewayJwsAlgorithm[] = [];
  for (const alg of value as unknown[]) {
    if (typeof alg === 'string' && (SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
      result.push(alg as GatewayJwsAlgorithm);
    } else if (typeof alg === 'string' && (/^HS/i.test(alg) || alg.toLowerCase() === 'none')) {
      issues.push(`algorithms: "${alg}" is refused: a gateway signs with a private key, and ${alg === 'none' ? 'unsigned tokens' : 'HMAC with a public key'} would let anyone forge tokens (RFC 8725 §2.1, §3.1)`);
    } else {
      issues.push(`algorithms: unknown algorithm ${JSON.stringify(alg)}; choose from ${SUPPORTED_ALGORITHMS.join(', ')}`);
    }
  }
  return [...new Set(result)];
}

function checkJwks(value: unknown, issues: string[]): ResolvedJwksOptions {
  const d = DEFAULTS.jwks;
  const fallback: ResolvedJwksOptions = { ...d, ca: undefined, cert: undefined, key: undefined, headers: undefined, prefetch: 'off' };
  if (value === undefined) return fallback;
  if (typeof value !== 'object' || value === null) {
    issues.push('jwks: must be an object');
    return fallback;
  }
  const jwks = value as Record<string, unknown>;
  const known = ['cacheMaxAgeMs', 'cacheMaxEntries', 'cooldownMs', 'staleWindowMs', 'timeoutMs', 'maxResponseBytes', 'ca', 'cert', 'key', 'headers', 'prefetch'];
  for (const key of Object.keys(jwks)) {
    if (!known.includes(key)) issues.push(`jwks.${key}: unknown option (known: ${known.join(', ')})`);
  }
  const pem = (name: 'ca' | 'cert' | 'key'): string | Buffer | undefined => {
    const item = jwks[name];
    if (item === undefined) return undefined;
    if (typeof item === 'string' || Buffer.isBuffer(item)) return item;
    issues.push(`jwks.${name}: must be PEM text or a Buffer`);
    return undefined;
  };
  let ca: ResolvedJwksOptions['ca'];
  if (Array.isArray(jwks['ca'])) {
    const list = jwks['ca'] as unknown[];
    if (list.every(item => typeof item === 'string' || Buffer.isBuffer(item))) ca = list as (string | Buffer)[];
    else issues.push('jwks.ca: must be PEM text, a Buffer, or a list of them');
  } else {
    ca = pem('ca');
  }
  const cert = pem('cert');
  const key = pem('key');
  if ((cert === undefined) !== (key === undefined)) issues.push('jwks.cert and jwks.key: give both, or neither');
  let headers: Record<string, string> | undefined;
  if (jwks['headers'] !== undefined) {
    const given = jwks['headers'];
    if (typeof given !== 'object' || given === null || Object.values(given).some(v => typeof v !== 'string')) {
      issues.push('jwks.headers: must map header names to string values');
    } else {
      headers = { ...(given as Record<string, string>) };
    }
  }
  const prefetch = jwks['prefetch'] ?? 'off';
  if (prefetch !== 'off' && prefetch !== 'warn' && prefetch !== 'fail') {
    issues.push(`jwks.prefetch: must be 'off', 'warn' or 'fail', got ${JSON.stringify(prefetch)}`);
  }
  return {
    cacheMaxAgeMs: checkNumber(jwks['cacheMaxAgeMs'], 'jwks.cacheMaxAgeMs', d.cacheMaxAgeMs, 1_000, 86_400_000, issues),
    cacheMaxEntries: checkNumber(jwks['cacheMaxEntries'], 'jwks.cacheMaxEntries', d.cacheMaxEntries, 1, 1_000, issues),
    cooldownMs: checkNumber(jwks['cooldownMs'], 'jwks.cooldownMs', d.cooldownMs, 100, 3_600_000, issues),
    staleWindowMs: checkNumber(jwks['staleWindowMs'], 'jwks.staleWindowMs', d.staleWindowMs, 0, 86_400_000, issues),
    timeoutMs: checkNumber(jwks['timeoutMs'], 'jwks.timeoutMs', d.timeoutMs, 100, 60_000, issues),
    maxResponseBytes: checkNumber(jwks['maxResponseBytes'], 'jwks.maxResponseBytes', d.maxResponseBytes, 1_024, 16_777_216, issues),
    ca,
    cert,
    key,
    headers,
    prefetch: prefetch === 'warn' || prefetch === 'fail' ? prefetch : 'off',
  };
}

function stringList(value: unknown, path: string, issues: string[], hint: string): string[] {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? (value as unknown[]) : undefined;
  if (!list || list.length === 0 || list.some(v => typeof v !== 'string' || v.trim() === '')) {
    issues.push(`${path}: required; a non-empty string or list of non-empty strings (${hint})`);
    return [];
  }
  return list as string[];
}

function checkNumber(
  value: unknown,
  path: string,
  fallback: number,
  min: number,
  max: number,
  issues: string[],
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    issues.push(`${path}: must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}
