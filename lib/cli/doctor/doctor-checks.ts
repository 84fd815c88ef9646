import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { callerAllowed } from '../../caller/caller-rules.js';
import { VerifiedCaller } from '../../caller/gateway-caller.js';
import {
  ClaimsInvalidError,
  GatewayAuthError,
  TokenExpiredError,
  TokenNotYetValidError,
  type GatewayAuthErrorCode,
} from '../../errors/gateway-auth.error.js';
import { SUPPORTED_ALGORITHMS, type ResolvedGatewayAuthOptions } from '../../gateway-auth.options.js';
import type { GatewayRequest } from '../../guards/gateway-auth.guard.js';
import type { GatewayJwksService } from '../../jwks/gateway-jwks.service.js';
import { jwkMismatch } from '../../jwks/jwk-algorithm.js';
import { pinnedIssuerMismatch, rsaKeySizeProblem } from '../../jwks/jwks-key-provider.js';
import { JwksFetchError } from '../../jwks/jwks-fetcher.js';
import type { PublishedJwk } from '../../jwks/jwks-key-store.js';
import { checkCoreClaims, checkIssuedAt, checkIssuer, checkRequiredClaims, isAudience } from '../../strategies/claim-checks.js';
import { dnEquals, parseDn } from '../../utils/dn.util.js';
import { checkTimeClaims, verifyJwsSignature } from '../../utils/jws-verify.util.js';
import { extractToken } from '../../utils/token-extractor.util.js';
import { decodeSegment, inspectCompactJws, type InspectedJws } from '../../utils/token-inspection.util.js';
import type { DoctorRoute } from './doctor-args.js';
import { checkAudience } from './doctor-audience.js';
import { clip, duration, isoDate, messageOf, relative, show, showList, withoutQuery } from './doctor-format.js';
import type { CheckName, DoctorCheck } from './doctor-report.js';

/** How fetching the gateway's key set went (`GatewayJwksService.store.ensureUsable()`, timed). */
export interface JwksProbe {
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: unknown;
}

/** Fetches the key set the way the service does (one fetch, its deadline and size cap), timed. */
export async function probeJwks(jwks: GatewayJwksService): Promise<JwksProbe> {
  const started = performance.now();
  try {
    await jwks.store.ensureUsable();
    return { ok: true, ms: performance.now() - started };
  } catch (error) {
    return { ok: false, ms: performance.now() - started, error };
  }
}

export interface ExplainInput {
  readonly token: string;
  readonly options: ResolvedGatewayAuthOptions;
  readonly jwks: GatewayJwksService;
  readonly jwksProbe: JwksProbe;
  /** The request the guard was given. */
  readonly request: GatewayRequest;
  readonly route: DoctorRoute;
  readonly nowMs: number;
}

export interface Explanation {
  readonly checks: readonly DoctorCheck[];
  /** The registered claims as the token carries them, long values cut. */
  readonly claims: Readonly<Record<string, unknown>>;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

const REGISTERED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti'] as const;

/**
 * Every check the guard's verification is made of, each run with the module's own function on the
 * module's own options and key set, and each run even when an earlier one failed (on the decoded,
 * unverified payload) so that all problems show at once. A check that needs what an earlier one
 * could not provide is skipped. The guard's verdict is taken separately, and decides.
 */
export function explain(input: ExplainInput): Explanation {
  const { token, options, jwks, jwksProbe, request, nowMs } = input;
  const checks: DoctorCheck[] = [];
  const pass = (name: CheckName, detail: string): void => void checks.push({ name, status: 'pass', detail });
  const skip = (name: CheckName, detail: string): void => void checks.push({ name, status: 'skip', detail });
  const fail = (name: CheckName, code: GatewayAuthErrorCode | undefined, detail: string, fix: string): void =>
    void checks.push({ name, status: 'fail', detail, fix, ...(code ? { code } : {}) });

  // token: what the guard's extractor and inspection make of it, the algorithm aside.
  const [headerPart = '', payloadPart = '', signaturePart = ''] = token.split('.');
  const rawHeader = decodeSegment(headerPart);
  const alg = typeof rawHeader?.['alg'] === 'string' ? rawHeader['alg'] : undefined;
  const extraction = extractToken(request, options.tokenHeader);
  const shape = attempt(() =>
    inspectCompactJws(token, { maxTokenLength: options.maxTokenLength, algorithms: alg === undefined ? [] : [alg], typ: undefined }),
  );
  let shapeOk = false;
  if (extraction.kind !== 'found') {
    fail('token', 'invalid_request', `the token cannot be sent as a bearer token (${token.length} characters, some not allowed in one)`, 'pass the JWT alone: no quotes, spaces or line breaks inside it');
  } else if (shape.ok) {
    shapeOk = true;
    pass('token', `compact JWS, 3 parts, ${token.length} characters (limit ${options.maxTokenLength})`);
  } else if (isCode(shape.error, 'token_too_large')) {
    fail('token', codeOf(shape.error), `${token.length} characters, the limit is ${options.maxTokenLength}`, `if the gateway really sends tokens this large, raise maxTokenLength (in --config; now ${options.maxTokenLength})`);
  } else if (token.split('.').length === 3 && rawHeader && decodeSegment(payloadPart) && BASE64URL.test(signaturePart)) {
    // Three decodable parts: the inspection stopped at a header field (alg, kid, typ, crit, b64),
    // and the header check says which.
    shapeOk = true;
    pass('token', `compact JWS, 3 parts, ${token.length} characters (limit ${options.maxTokenLength})`);
  } else {
    fail('token', codeOf(shape.error), messageOf(shape.error), 'pass the JWT exactly as the gateway forwards it: three base64url parts separated by dots (header.payload.signature)');
  }

  // header: the guard's inspection with the configured algorithms and typ.
  let inspected: InspectedJws | undefined;
  if (!shapeOk || !rawHeader) {
    skip('header', rawHeader ? `${describeHeader(rawHeader)} (not checked: the token is malformed)` : 'not decoded: the token is malformed');
  } else {
    const strict = attempt(() => inspectCompactJws(token, { maxTokenLength: options.maxTokenLength, algorithms: options.algorithms, typ: options.typ }));
    if (strict.ok) {
      inspected = strict.value;
      pass('header', describeHeader(rawHeader));
    } else {
      const error = gatewayError(strict.error);
      const [detail, fix] = headerProblem(error, rawHeader, options);
      fail('header', error?.code, detail, fix);
    }
  }
  const payload = inspected?.payload ?? (shape.ok ? shape.value.payload : undefined) ?? (shapeOk ? decodeSegment(payloadPart) : undefined);
  const kid = typeof rawHeader?.['kid'] === 'string' ? rawHeader['kid'] : undefined;

  // jwks: the service's key store, fetched once (timed by the caller).
  const status = jwks.status();
  const uri = withoutQuery(options.jwksUri);
  if (jwksProbe.ok) {
    pass('jwks', `${status.keyCount} usable key(s) (kids: ${status.kids.length ? status.kids.map(k => show(k)).join(', ') : 'none'}) from ${uri} in ${Math.round(jwksProbe.ms)} ms`);
  } else {
    const cause = (jwksProbe.error as { cause?: unknown } | undefined)?.cause ?? jwksProbe.error;
    fail('jwks', 'jwks_unavailable', `${messageOf(cause)} (after ${Math.round(jwksProbe.ms)} ms)`, jwksFix(cause, options));
  }

  // key: the published key for the token's kid (no network: the set fetched above).
  let jwk: PublishedJwk | undefined;
  if (!jwksProbe.ok) skip('key', 'no key set');
  else if (!shapeOk || !rawHeader) skip('key', 'no kid: the token is malformed');
  else {
    jwk = jwks.store.find(kid);
    if (jwk) {
      const certificate = options.issuerPinning ? jwks.certificateOf(jwk) : undefined;
      pass('key', `kid ${show(kid ?? jwk['kid'])}: ${describeJwk(jwk)}${certificate ? `, certificate ${show(certificate.subjectDn)}` : ''}`);
    } else {
      const published = status.kids.map(k => show(k)).join(', ') || 'none';
      const pinned = options.issuerPinning ? ' (keys whose x5c does not chain to issuer.fromCertificate.ca are left out)' : '';
      if (kid === undefined) {
        fail('key', 'unknown_key', `the token has no kid and the key set holds ${status.keyCount} keys (${published})`, 'the gateway must name its key in the kid header when its JWKS publishes more than one');
      } else {
        fail(
          'key',
          'unknown_key',
          `no key with kid ${show(kid)}; the key set has ${published}${pinned}`,
          `the token was signed with a key this JWKS does not publish: is --jwks-uri / jwksUri the key set of the gateway that minted it? A key the gateway has just rotated in is seen within jwks.cooldownMs (${options.jwks.cooldownMs} ms)`,
        );
      }
    }
  }

  // key type: the key must fit the token's alg (RFC 8725 §3.1), as the key provider requires.
  let key: KeyObject | undefined;
  if (!jwk || alg === undefined) skip('keyType', 'no key');
  else if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) skip('keyType', `${show(alg)} is not an algorithm this library verifies`);
  else {
    const mismatch = jwkMismatch(jwk, alg);
    const read = attempt(() => createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }));
    const bits = read.ok ? read.value.asymmetricKeyDetails?.modulusLength : undefined;
    const gatewaySide = `the gateway's JWKS entry for kid ${show(kid ?? jwk['kid'])} and the alg it signs with disagree: the gateway's key set must change (no option here fixes it)`;
    if (mismatch) fail('keyType', 'key_mismatch', clip(mismatch), gatewaySide);
    else if (!read.ok) fail('keyType', 'key_mismatch', `the published key cannot be read: ${messageOf(read.error)}`, gatewaySide);
    else if (rsaKeySizeProblem(read.value)) {
      fail('keyType', 'key_mismatch', `${rsaKeySizeProblem(read.value) ?? ''} (RFC 7518 §3.3)`, 'the gateway must sign with an RSA key of 2048 bits or more (no option here allows shorter keys)');
    } else {
      key = read.value;
      pass('keyType', `${describeKeyType(jwk, bits)} fits ${alg}`);
    }
  }

  // signature: the module's one-shot crypto.verify.
  if (!key || alg === undefined) skip('signature', 'no usable key');
  else {
    const verified = attempt(() => verifyJwsSignature(token, alg, key));
    if (verified.ok) pass('signature', `verifies with kid ${show(kid ?? jwk?.['kid'])}`);
    else {
      fail(
        'signature',
        codeOf(verified.error),
        messageOf(verified.error),
        'the token was changed after signing, or signed by another key under this kid: is --jwks-uri / jwksUri the key set of the gateway that minted it?',
      );
    }
  }

  if (!payload) {
    for (const name of ['issuer', 'audience', 'time', 'claims', 'subject'] as const) skip(name, 'no payload: the token is malformed');
    return { checks, claims: {} };
  }

  // issuer
  if (options.issuerPinning) {
    const certificate = jwk ? jwks.certificateOf(jwk) : undefined;
    if (!certificate) skip('issuer', 'pinned to the signing certificate (issuer.fromCertificate), but no key certificate to compare with');
    else {
      const match = options.issuerPinning.match;
      const expected = match === 'cn' ? (certificate.commonName ?? '') : certificate.subjectDn;
      const actual = payload['iss'];
      const same = jwk !== undefined && pinnedIssuerMismatch(actual, jwks, jwk, match) === undefined;
      const issuerCheck = attempt(() => checkIssuer(payload, options));
      if (same && issuerCheck.ok) pass('issuer', `${show(actual)} is the ${match === 'cn' ? 'CN' : 'subject'} of the key's certificate`);
      else {
        fail(
          'issuer',
          'issuer_mismatch',
          `expected ${show(expected)} (the ${match === 'cn' ? 'CN' : 'subject DN'} of the key's certificate, issuer.fromCertificate), token has ${show(actual)}`,
          `the gateway must write its signing certificate's ${match === 'cn' ? 'CN' : 'subject DN'} in iss${match === 'dn' ? "; if it writes only the CN, set issuer.fromCertificate.match to 'cn' (in --config)" : ''}`,
        );
      }
    }
  } else {
    const issuer = attempt(() => checkIssuer(payload, options));
    const actual = payload['iss'];
    if (issuer.ok) pass('issuer', `${show(actual)} is an accepted issuer`);
    else {
      const sameMeaning = typeof actual === 'string' && options.issuers.some(expected => sameDn(actual, expected));
      fail(
        'issuer',
        codeOf(issuer.error),
        `expected ${showList(options.issuers)}, token has ${show(actual)}`,
        typeof actual !== 'string'
          ? 'the gateway must put its issuer (a string) in iss'
          : sameMeaning
            ? `the same DN, written differently; issuer is compared as text: set --issuer / issuer to ${show(actual)}, exactly as the token writes it`
            : `if ${show(actual)} is your gateway's signing DN, set --issuer / issuer to ${show(actual)} (compared exactly); otherwise this token comes from another issuer`,
      );
    }
  }

  // audience
  const aud = payload['aud'];
  if (!isAudience(aud)) skip('audience', `no usable aud in the token (${show(aud)}): see claims`);
  else checks.push(checkAudience(options.audience, request, input.route, aud));

  // time: nbf/exp with the tolerance (as the signature step does), then iat and the age limit.
  const tolerance = options.clockToleranceSeconds;
  const times = (['exp', 'nbf', 'iat'] as const)
    .filter(name => payload[name] !== undefined)
    .map(name => `${name} ${isoDate(payload[name])} (${relative(payload[name], nowMs)})`);
  const timeDetail = `${times.length ? times.join(', ') : 'no exp, nbf or iat'}; now ${isoDate(Math.floor(nowMs / 1000))}, clock tolerance ${tolerance} s`;
  const timeFailure = attempt(() => checkTimeClaims(payload, tolerance, nowMs));
  const ageFailure = timeFailure.ok ? attempt(() => checkIssuedAt(payload, options, nowMs)) : timeFailure;
  if (ageFailure.ok) pass('time', timeDetail);
  else {
    const error = gatewayError(ageFailure.error);
    fail('time', error?.code, timeDetail, timeFix(error, payload, options, nowMs, !timeFailure.ok));
  }

  // claims: exp, sub, aud present and typed; requiredClaims.
  const core = attempt(() => checkCoreClaims(payload));
  const required = core.ok ? attempt(() => checkRequiredClaims(payload, options)) : core;
  const requiredList = options.requiredClaims.length ? `; required: ${options.requiredClaims.join(', ')}` : '';
  if (required.ok) pass('claims', `exp, sub, aud present${requiredList}`);
  else {
    const error = gatewayError(required.error);
    const claim = error instanceof ClaimsInvalidError ? error.claim : undefined;
    const isCore = claim === 'exp' || claim === 'sub' || claim === 'aud';
    fail(
      'claims',
      error?.code,
      `${messageOf(error)}${requiredList}`,
      isCore || claim === undefined
        ? 'the gateway must put exp (a number), sub (a non-empty string) and aud (a string or list of strings) in every token'
        : `the gateway does not send ${claim}: remove it from requiredClaims (in --config), or make the gateway send it`,
    );
  }

  // subject: the caller's DN, parsed as the strategy parses it.
  const sub = payload['sub'];
  let caller: VerifiedCaller | undefined;
  if (typeof sub !== 'string' || sub.trim() === '') skip('subject', `no usable sub (${show(sub)}): see claims`);
  else {
    const parsed = attempt(() => VerifiedCaller.fromSubject(sub, options.subjectFormat));
    if (parsed.ok) {
      caller = parsed.value;
      pass(
        'subject',
        options.subjectFormat === 'opaque'
          ? `${show(sub)} (subjectFormat opaque: not parsed)`
          : `${caller.rdns.length} RDN(s): ${clip(caller.rdns.map(rdn => rdn.map(item => `${item.name}=${item.value}`).join(' + ')).join(' | '))}`,
      );
    } else {
      const format = options.subjectFormat;
      fail(
        'subject',
        'subject_invalid',
        `${show(sub)} is not a DN in ${format} form: ${messageOf(parsed.error)}`,
        format === 'rfc4514' && sub.startsWith('/')
          ? "it looks like OpenSSL's form (/C=GB/O=…/CN=…): set --subject-format / subjectFormat to openssl"
          : format === 'openssl' && !sub.startsWith('/') && sub.includes('=')
            ? 'it looks like RFC 4514 (CN=…,O=…): set --subject-format / subjectFormat to rfc4514'
            : "if the gateway's sub is not a DN (a client id, say), set --subject-format / subjectFormat to opaque",
      );
    }
  }

  // caller: only when the module restricts callers (allowedCallers).
  if (options.allowedCallers) {
    if (!caller) skip('caller', 'no parsed caller');
    else if (callerAllowed(options.allowedCallers, caller)) pass('caller', `${show(caller.dn)} is allowed by allowedCallers`);
    else fail('caller', 'caller_not_allowed', `${show(caller.dn)} is not among allowedCallers`, "add the caller's DN to allowedCallers (in --config), if it should be let in");
  }

  const claims: Record<string, unknown> = {};
  for (const name of REGISTERED_CLAIMS) {
    const value = payload[name];
    if (value !== undefined) claims[name] = cut(value);
  }
  return { checks, claims };
}

type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

function attempt<T>(run: () => T): Attempt<T> {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error };
  }
}

function isCode(error: unknown, code: string): error is GatewayAuthError {
  return error instanceof GatewayAuthError && error.code === code;
}

function codeOf(error: unknown): GatewayAuthErrorCode | undefined {
  return error instanceof GatewayAuthError ? error.code : undefined;
}

function gatewayError(error: unknown): GatewayAuthError | undefined {
  return error instanceof GatewayAuthError ? error : undefined;
}

/** Explanation only: the same DN written differently (the module compares static issuers exactly). */
function sameDn(a: string, b: string): boolean {
  try {
    return dnEquals(parseDn(a), parseDn(b));
  } catch {
    return false;
  }
}

/** A claim value for the JSON report: strings and lists cut, numbers as they are. */
function cut(value: unknown): unknown {
  if (typeof value === 'string') return clip(value);
  if (Array.isArray(value)) return value.slice(0, 10).map(item => (typeof item === 'string' ? clip(item) : item));
  if (typeof value === 'object' && value !== null) return clip(JSON.stringify(value));
  return value;
}

function describeHeader(header: Record<string, unknown>): string {
  const fields = [`alg=${show(header['alg'])}`, `kid=${show(header['kid'])}`, `typ=${show(header['typ'])}`];
  const others = Object.keys(header).filter(name => !['alg', 'kid', 'typ'].includes(name));
  return `${fields.join(' ')}${others.length ? ` (also: ${clip(others.join(', '))})` : ''}`;
}

function headerProblem(error: GatewayAuthError | undefined, header: Record<string, unknown>, options: ResolvedGatewayAuthOptions): [string, string] {
  const alg = header['alg'];
  const allowed = options.algorithms.join(', ');
  switch (error?.code) {
    case 'algorithm_not_allowed': {
      const detail = `alg=${show(alg)}, allowed: ${allowed}`;
      if (typeof alg !== 'string') return [detail, 'the gateway must name its signature algorithm in the alg header'];
      if (/^HS/i.test(alg) || alg.toLowerCase() === 'none') {
        return [detail, `${alg} is never accepted (RFC 8725 §2.1, §3.1): the gateway must sign with its private key (RS*, PS*, ES*, EdDSA)`];
      }
      if ((SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) return [detail, `add ${alg} to --algorithms / algorithms (now ${allowed})`];
      return [detail, `${show(alg)} is not an algorithm this library verifies (${SUPPORTED_ALGORITHMS.join(', ')}): the gateway must sign with one of them`];
    }
    case 'typ_mismatch':
      return [
        `typ=${show(header['typ'])}, accepted: ${(options.typ ?? []).join(', ')}`,
        typeof header['typ'] === 'string' ? `add ${show(header['typ'])} to typ (in --config), or remove the typ option` : 'the gateway sends no typ header: remove the typ option (in --config)',
      ];
    case 'header_unsupported':
      return [`${describeHeader(header)}: ${messageOf(error)}`, 'the gateway must not send crit or b64: false; no option here accepts them'];
    default:
      return [`${describeHeader(header)}: ${messageOf(error)}`, 'the gateway must send kid and typ as strings'];
  }
}

function describeJwk(jwk: PublishedJwk): string {
  const parts = [`kty ${String(jwk['kty'])}`];
  if (jwk['crv'] !== undefined) parts.push(`crv ${String(jwk['crv'])}`);
  if (jwk['alg'] !== undefined) parts.push(`alg ${String(jwk['alg'])}`);
  if (jwk['use'] !== undefined) parts.push(`use ${String(jwk['use'])}`);
  return clip(parts.join(', '));
}

function describeKeyType(jwk: PublishedJwk, bits: number | undefined): string {
  return `${String(jwk['kty'])}${jwk['crv'] !== undefined ? ` ${String(jwk['crv'])}` : ''}${bits !== undefined ? ` ${bits}-bit` : ''} key`;
}

function jwksFix(cause: unknown, options: ResolvedGatewayAuthOptions): string {
  const check = 'check --jwks-uri / jwksUri';
  if (!(cause instanceof JwksFetchError)) {
    return options.issuerPinning
      ? "the JWKS holds no usable signing key: keys need kty RSA, EC or OKP, use sig, and (issuer pinning) an x5c chain to issuer.fromCertificate.ca: check --issuer-ca / issuer.fromCertificate.ca"
      : `${check}: the key set holds no usable signing key (kty RSA, EC or OKP, use sig)`;
  }
  switch (cause.reason) {
    case 'timeout':
      return `${check} (is the gateway's key endpoint reachable from here?), or raise jwks.timeoutMs (in --config; now ${options.jwks.timeoutMs} ms)`;
    case 'status':
      if (cause.status === 401 || cause.status === 403) {
        return 'the key endpoint wants credentials: add them as jwks.headers (in --config), or a client certificate with --jwks-cert and --jwks-key (jwks.cert, jwks.key)';
      }
      if (cause.status === 404) return `${check}: the path is wrong`;
      return `the gateway's key endpoint is failing (${check}); until it recovers the service answers 503 jwks_unavailable`;
    case 'tls':
      return 'trust the key endpoint\'s CA with --jwks-ca / jwks.ca; behind mutual TLS, add --jwks-cert and --jwks-key (jwks.cert, jwks.key)';
    case 'too_large':
      return `${check}, or raise jwks.maxResponseBytes (in --config; now ${options.jwks.maxResponseBytes})`;
    case 'not_json':
    case 'not_jwks':
      return `${check}: it does not answer with a JWKS (a JSON object with a keys array)`;
    case 'network':
      return `${check}: is the gateway's key endpoint up and reachable from here?`;
  }
}

function timeFix(error: GatewayAuthError | undefined, payload: Record<string, unknown>, options: ResolvedGatewayAuthOptions, nowMs: number, fromExpNbf: boolean): string {
  const tolerance = `--clock-tolerance / clockToleranceSeconds (now ${options.clockToleranceSeconds}, at most 300)`;
  const now = nowMs / 1000;
  if (error instanceof TokenExpiredError) {
    if (!fromExpNbf) {
      const iat = payload['iat'] as number;
      return `issued ${duration(now - iat)} ago, longer than maxTokenAgeSeconds (${String(options.maxTokenAgeSeconds)}) allows: mint a fresh token, or raise maxTokenAgeSeconds (in --config)`;
    }
    const exp = payload['exp'] as number;
    return `the token expired ${duration(now - exp)} ago: mint a fresh one (gateway tokens are short-lived). If this machine's clock is wrong, fix it; ${tolerance} only covers small skews`;
  }
  if (error instanceof TokenNotYetValidError) {
    const value = payload[error.claim] as number;
    return `${error.claim} is ${duration(value - now)} ahead of this machine's clock: sync the clocks of the gateway and this host, or raise ${tolerance}`;
  }
  if (error instanceof ClaimsInvalidError) {
    return error.reason === 'missing'
      ? `the gateway must send ${error.claim} (maxTokenAgeSeconds needs iat), or remove maxTokenAgeSeconds (in --config)`
      : `the gateway must write ${error.claim} as a number of seconds since 1970 (NumericDate)`;
  }
  return messageOf(error);
}
