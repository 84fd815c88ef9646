import { setTimeout as sleep } from 'node:timers/promises';
import { VerifiedCaller, type SubjectFormat } from '../caller/gateway-caller.js';
import type { GatewayAuthModuleOptions, GatewayJwsAlgorithm } from '../interfaces/gateway-auth-options.interface.js';
import { describeValue, finiteNumber, invalid, isPlainObject, knownKeys, nonEmptyString, objectArgument } from './input-checks.js';
import { buildTestClaims, MINT_OPTION_NAMES, type MintTestTokenOptions, type TestTokenClaims } from './mint-test-token.js';
import { signCompactJws } from './sign-test-jwt.js';
import {
  defaultCallerFor,
  TEST_AUDIENCE_BASE,
  TEST_GATEWAY_ISSUER,
  TEST_OUT_OF_TOLERANCE_SECONDS,
  TEST_TOKEN_TTL_SECONDS,
} from './test-defaults.js';
import { startTestJwksServer, type TestJwksServer } from './test-jwks-server.js';
import { checkSigningAlgorithm, generateTestSigningKey, type TestSigningKey } from './test-signing-key.js';

/**
 * How a test gateway is set up. Every option has a default: `createTestGateway()` is enough.
 * @publicApi
 */
export interface TestGatewayOptions {
  /** The algorithm of the first signing key. @default 'RS256' */
  readonly algorithm?: GatewayJwsAlgorithm;
  /**
   * The algorithms the application accepts (`options.algorithms`): list more to `rotate()` to
   * another algorithm. Must include `algorithm`. @default [algorithm]
   */
  readonly algorithms?: readonly GatewayJwsAlgorithm[];
  /** The `kid` of the first signing key. @default random */
  readonly kid?: string;
  /** The gateway's `iss`. @default TEST_GATEWAY_ISSUER, 'CN=Test Gateway,O=Test' */
  readonly issuer?: string;
  /** The service's public URL at the gateway (`options.audience.baseUrl`). @default TEST_AUDIENCE_BASE, 'https://api.example.test' */
  readonly audienceBase?: string;
  /** The default caller (`sub`) of minted tokens. @default TEST_CALLER_DN, 'CN=test-caller,O=Test' */
  readonly caller?: string;
  /** Passed on in `options.subjectFormat` when given; the default caller must be a subject of that format. @default 'rfc4514' */
  readonly subjectFormat?: SubjectFormat;
  /** Lifetime of minted tokens, in seconds. @default 60 */
  readonly ttlSeconds?: number;
  /**
   * `options.jwks.cooldownMs`: how soon the application may refetch the key set for an unknown
   * `kid`, so a rotated-in key is picked up quickly. `rotate()` waits it out. @default 100 (the least allowed)
   */
  readonly cooldownMs?: number;
  /** `Cache-Control: max-age` of the JWKS response. @default 300 */
  readonly cacheMaxAgeSeconds?: number;
}

/** @publicApi */
export interface TestGatewayMintOptions extends MintTestTokenOptions {
  /**
   * Sign with this key instead of the current one: a key of this gateway or its `kid` (an older
   * key after `rotate()`), or any `TestSigningKey` (one the JWKS never published: `unknown_key`).
   */
  readonly key?: TestSigningKey | string;
}

/** Options of `expired()` and `notYetValid()`, which set the time claims themselves. @publicApi */
export type TestGatewayTimedMintOptions = Omit<TestGatewayMintOptions, 'expiresIn' | 'notBefore'>;

/** @publicApi */
export interface TestGatewayRotateOptions {
  /** @default the current key's algorithm */
  readonly algorithm?: GatewayJwsAlgorithm;
  /** @default random */
  readonly kid?: string;
  /** Keep publishing the earlier keys (tokens they signed stay valid); `false` withdraws them. @default true */
  readonly keepPrevious?: boolean;
}

/**
 * Mints tokens for one caller (the gateway's default caller, or the one given to `withCaller()`).
 * @publicApi
 */
export interface TestGatewayMinter {
  /** The `sub` of the tokens minted here. */
  readonly caller: string;
  /**
   * A token from this gateway: `iss`, `sub` (the caller), `aud` (`audienceBase` + `/`), `iat`,
   * `exp` (+60 s), a random `jti`, then `claims` on top. Signed by the gateway's `signingKey`.
   */
  mint(claims?: TestTokenClaims, options?: TestGatewayMintOptions): string;
  /** `mint()` with `aud` naming the route: `forRoute('GET', '/orders/42')`. The method is checked, not written into the token. */
  forRoute(method: string, path: string, claims?: TestTokenClaims, options?: TestGatewayMintOptions): string;
  /** A token that expired 10 minutes ago, beyond any clock tolerance: 401 `token_expired`. */
  expired(claims?: TestTokenClaims, options?: TestGatewayTimedMintOptions): string;
  /** A token valid from 10 minutes on (`nbf`), beyond any clock tolerance: 401 `token_not_yet_valid`. */
  notYetValid(claims?: TestTokenClaims, options?: TestGatewayTimedMintOptions): string;
}

/**
 * A gateway for tests: a JWKS endpoint on loopback with fresh keys, and a token minter.
 * Test-only: never point a production service at it.
 * @publicApi
 */
export interface TestGateway extends TestGatewayMinter, AsyncDisposable {
  /** For `GatewayAuthModule.forRoot(gateway.options)`: `jwksUri`, `issuer`, `audience: { baseUrl }`, `algorithms`, `jwks: { cooldownMs }`. Spread it to add options. */
  readonly options: GatewayAuthModuleOptions;
  readonly jwksUri: string;
  readonly issuer: string;
  /** `audience.baseUrl`, without a trailing slash. */
  readonly audienceBase: string;
  /** The key that signs now (the newest, after `rotate()`). */
  readonly signingKey: TestSigningKey;
  /** Every key this gateway made, oldest first, withdrawn ones included. */
  readonly keys: readonly TestSigningKey[];
  /** The JWKS endpoint: `fetchCount`, `resetFetchCount()`, `behave()` (outages, slow answers), `setKeys()`. */
  readonly jwks: TestJwksServer;
  /** The `aud` the module requires for `path`: `audienceBase` + `path`. */
  audienceFor(path: string): string;
  /**
   * Mints for another caller, a DN in the gateway's subject format:
   * `gateway.withCaller('CN=intruder,O=Acme').forRoute('GET', '/payments')`.
   */
  withCaller(caller: string): TestGatewayMinter;
  /**
   * A new key becomes the signer and is published (earlier keys stay unless `keepPrevious: false`).
   * Resolves once an application configured with `options` may refetch the key set, i.e. after
   * the JWKS cooldown since its last fetch.
   */
  rotate(options?: TestGatewayRotateOptions): Promise<TestSigningKey>;
  /** Stops the JWKS endpoint. Idempotent; also `await using gateway = await createTestGateway()`. */
  close(): Promise<void>;
}

const GATEWAY_OPTIONS = [
  'algorithm', 'algorithms', 'kid', 'issuer', 'audienceBase', 'caller', 'subjectFormat', 'ttlSeconds', 'cooldownMs', 'cacheMaxAgeSeconds',
];
const HTTP_METHODS = [
  'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'SEARCH', 'QUERY',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK',
];

function checkAudienceBase(value: unknown, where: string): string {
  const raw = nonEmptyString(value, where, 'audienceBase') ?? TEST_AUDIENCE_BASE;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || /[?#]/.test(raw)) {
    invalid(where, `audienceBase must be an absolute http: or https: URL without credentials, query or fragment, got ${describeValue(raw)}`);
  }
  return raw.replace(/\/+$/, '');
}

function checkCaller(value: unknown, format: SubjectFormat, where: string): string {
  const caller = value === undefined ? defaultCallerFor(format) : (nonEmptyString(value, where, 'caller') as string);
  if (format !== 'opaque') {
    try {
      VerifiedCaller.fromSubject(caller, format);
    } catch (error) {
      const hint = format === 'rfc4514' && caller.startsWith('/') ? "; for OpenSSL's slash form set subjectFormat: 'openssl'" : '';
      invalid(where, `caller ${describeValue(caller)} is not a DN in ${format} form: ${(error as Error).message}${hint}`);
    }
  }
  return caller;
}

function checkSubjectFormat(value: unknown, where: string): SubjectFormat | undefined {
  if (value === undefined || value === 'rfc4514' || value === 'openssl' || value === 'opaque') return value;
  return invalid(where, `subjectFormat must be 'rfc4514', 'openssl' or 'opaque', got ${describeValue(value)}`);
}

/** A path as a route is requested: starts with `/`, no fragment. */
function checkPath(path: unknown, where: string): string {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('#') || /\s/.test(path)) {
    invalid(where, `path must start with "/" and have no fragment or whitespace (as the service receives it, e.g. '/orders/42'), got ${describeValue(path)}`);
  }
  return path;
}

/**
 * Starts a test gateway: a JWKS endpoint on `127.0.0.1` (a free port) publishing a fresh key
 * (RS256 unless asked otherwise), and a minter of tokens as the gateway would forward them. Its
 * `options` configure `GatewayAuthModule.forRoot()` to trust it. Close it after the tests
 * (`await gateway.close()`, or `await using`). Test-only.
 *
 * @example
 * await using gateway = await createTestGateway();
 * const moduleRef = await Test.createTestingModule({ imports: [GatewayAuthModule.forRoot(gateway.options)], controllers: [OrdersController] }).compile();
 * const app = await moduleRef.createNestApplication().init();
 * await request(app.getHttpServer()).get('/orders').auth(gateway.forRoute('GET', '/orders'), { type: 'bearer' }).expect(200);
 * await app.close();
 * @publicApi
 */
export async function createTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const where = 'createTestGateway()';
  const given = objectArgument(options, where, 'options');
  knownKeys(given, GATEWAY_OPTIONS, where, 'option');
  const algorithm = checkSigningAlgorithm(given['algorithm'] ?? 'RS256', where);
  const algorithmsGiven = given['algorithms'] ?? [algorithm];
  if (!Array.isArray(algorithmsGiven) || algorithmsGiven.length === 0) invalid(where, `algorithms must be a non-empty list, got ${describeValue(algorithmsGiven)}`);
  const algorithms = [...new Set((algorithmsGiven as unknown[]).map(alg => checkSigningAlgorithm(alg, where, 'algorithms[]')))];
  if (!algorithms.includes(algorithm)) invalid(where, `algorithms [${algorithms.join(', ')}] must include the signing algorithm ${algorithm}`);
  const kid = nonEmptyString(given['kid'], where, 'kid');
  const issuer = nonEmptyString(given['issuer'], where, 'issuer') ?? TEST_GATEWAY_ISSUER;
  const audienceBase = checkAudienceBase(given['audienceBase'], where);
  const subjectFormat = checkSubjectFormat(given['subjectFormat'], where);
  const caller = checkCaller(given['caller'], subjectFormat ?? 'rfc4514', where);
  const ttlSeconds = finiteNumber(given['ttlSeconds'], where, 'ttlSeconds', 1, 86_400) ?? TEST_TOKEN_TTL_SECONDS;
  const cooldownMs = finiteNumber(given['cooldownMs'], where, 'cooldownMs', 100, 3_600_000, 'milliseconds') ?? 100;
  const cacheMaxAgeSeconds = finiteNumber(given['cacheMaxAgeSeconds'], where, 'cacheMaxAgeSeconds', 0, 31_536_000) ?? 300;

  const first = await generateTestSigningKey(algorithm, kid === undefined ? {} : { kid });
  const jwks = await startTestJwksServer({ keys: [first.jwk], cacheMaxAgeSeconds });
  const keys: TestSigningKey[] = [first];
  let signingKey = first;

  const moduleOptions: GatewayAuthModuleOptions = Object.freeze({
    jwksUri: jwks.url,
    issuer,
    audience: Object.freeze({ baseUrl: audienceBase }),
    algorithms: Object.freeze([...algorithms]),
    jwks: Object.freeze({ cooldownMs }),
    ...(subjectFormat === undefined ? {} : { subjectFormat }),
  });

  const audienceFor = (path: string, at = 'TestGateway.audienceFor()'): string => `${audienceBase}${checkPath(path, at)}`;

  const signerFor = (chosen: unknown, at: string): TestSigningKey => {
    if (chosen === undefined) return signingKey;
    if (typeof chosen === 'string') {
      const found = keys.find(key => key.kid === chosen);
      if (!found) invalid(at, `key ${describeValue(chosen)} is not a kid of this gateway (kids: ${keys.map(key => key.kid).join(', ')})`);
      return found;
    }
    if (typeof chosen === 'object' && chosen !== null) return chosen as TestSigningKey;
    return invalid(at, `key must be a TestSigningKey or the kid of one of this gateway's keys, got ${describeValue(chosen)}`);
  };

  const timed = (at: string, claims: unknown): Record<string, unknown> => {
    const given = objectArgument(claims, at, 'claims');
    for (const name of ['exp', 'nbf']) {
      if (given[name] !== undefined) invalid(at, `${name} is set by ${at.replace(/^.*\./, '')}; use mint() to choose it`);
    }
    return given;
  };

  /** The minting functions for `sub` = `caller`; `scope` names them in error messages. */
  const minterFor = (caller: string, scope: string): TestGatewayMinter => {
    /** Mints with the gateway's defaults; `forced` are time options the test may not set. */
    const mintAs = (
      at: string,
      claims: unknown,
      options: unknown,
      defaults: Readonly<Record<string, unknown>>,
      forced: Readonly<Record<string, unknown>> = {},
    ): string => {
      const opts = objectArgument(options, at, 'options');
      const { key, ...mintOptions } = opts;
      knownKeys(opts, [...MINT_OPTION_NAMES.filter(name => !(name in forced)), 'key'], at, 'option');
      const base = { iss: issuer, sub: caller, aud: `${audienceBase}/`, ...defaults };
      const { payload, header } = buildTestClaims(at, base, claims, { ...mintOptions, ...forced }, ttlSeconds);
      return signCompactJws(at, signerFor(key, at), payload, header);
    };
    return {
      caller,
      mint: (claims, options) => mintAs(`${scope}.mint()`, claims, options, {}),
      forRoute(method, path, claims, options) {
        const at = `${scope}.forRoute()`;
        if (typeof method !== 'string' || !HTTP_METHODS.includes(method.toUpperCase())) {
          invalid(at, `method must be an HTTP method such as 'GET' or 'POST', got ${describeValue(method)}`);
        }
        if (isPlainObject(claims) && claims['aud'] !== undefined) {
          invalid(at, 'aud is set from the path; use mint({ aud }) for another audience');
        }
        return mintAs(at, claims, options, { aud: audienceFor(path, at) });
      },
      expired(claims, options) {
        const at = `${scope}.expired()`;
        const now = Math.floor(Date.now() / 1000);
        const given = timed(at, claims);
        return mintAs(at, { iat: now - TEST_OUT_OF_TOLERANCE_SECONDS - ttlSeconds, ...given }, options, {}, {
          expiresIn: -TEST_OUT_OF_TOLERANCE_SECONDS,
          notBefore: undefined,
        });
      },
      notYetValid(claims, options) {
        const at = `${scope}.notYetValid()`;
        return mintAs(at, timed(at, claims), options, {}, { expiresIn: undefined, notBefore: TEST_OUT_OF_TOLERANCE_SECONDS });
      },
    };
  };
  const defaultMinter = minterFor(caller, 'TestGateway');

  const close = (): Promise<void> => jwks.close();

  return {
    options: moduleOptions,
    jwksUri: jwks.url,
    issuer,
    audienceBase,
    get signingKey() {
      return signingKey;
    },
    get keys() {
      return Object.freeze([...keys]);
    },
    jwks,
    audienceFor: path => audienceFor(path),
    ...defaultMinter,
    withCaller(other) {
      const at = 'TestGateway.withCaller()';
      if (other === undefined) invalid(at, 'the caller must be a non-empty DN string, got undefined');
      return minterFor(checkCaller(other, subjectFormat ?? 'rfc4514', at), `TestGateway.withCaller(${JSON.stringify(other)})`);
    },
    async rotate(options = {}) {
      const at = 'TestGateway.rotate()';
      const opts = objectArgument(options, at, 'options');
      knownKeys(opts, ['algorithm', 'kid', 'keepPrevious'], at, 'option');
      const alg = checkSigningAlgorithm(opts['algorithm'] ?? signingKey.alg, at);
      if (!algorithms.includes(alg)) {
        invalid(at, `${alg} is not among the algorithms the application accepts (${algorithms.join(', ')}); pass algorithms: [${[...algorithms, alg].map(a => `'${a}'`).join(', ')}] to createTestGateway()`);
      }
      const newKid = nonEmptyString(opts['kid'], at, 'kid');
      if (newKid !== undefined && keys.some(key => key.kid === newKid)) invalid(at, `kid ${describeValue(newKid)} is already used by a key of this gateway`);
      const keepPrevious = opts['keepPrevious'] ?? true;
      if (typeof keepPrevious !== 'boolean') invalid(at, `keepPrevious must be true or false, got ${describeValue(keepPrevious)}`);
      const next = await generateTestSigningKey(alg, newKid === undefined ? {} : { kid: newKid });
      keys.push(next);
      signingKey = next;
      jwks.setKeys(keepPrevious ? [...jwks.keys, next.jwk] : [next.jwk]);
      // The application refetches for the new kid once its cooldown since the last fetch is over.
      const last = jwks.lastFetchAt;
      const wait = last === undefined ? 0 : last + cooldownMs + 5 - Date.now();
      if (wait > 0) await sleep(wait);
      return next;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
