import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import { BASE_URL, CALLER_DN, ISSUER, createTestKey, mint, type TestKey } from './fixtures/tokens.js';

/**
 * `nestjs-gateway-auth doctor`, run as the built executable (`node dist/cli/main.js`), against a
 * JWKS endpoint on loopback: its lines, its JSON and its exit codes for a good token and for each
 * way a token is refused. `npm test` builds dist/ first.
 */
const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI; `input` is written to its stdin (which is always closed). */
function run(args: readonly string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, timeout: 25_000, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', code => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

interface JsonReport {
  verdict: string;
  code?: string;
  httpStatus?: number;
  message?: string;
  caller?: string;
  explained: boolean;
  route: string;
  checks: { name: string; status: string; detail: string; fix?: string; code?: string }[];
  claims: Record<string, unknown>;
}

const parse = (result: Run): JsonReport => JSON.parse(result.stdout) as JsonReport;
const check = (report: JsonReport, name: string) => {
  const found = report.checks.find(item => item.name === name);
  if (!found) throw new Error(`no check ${name} in ${JSON.stringify(report.checks.map(item => item.name))}`);
  return found;
};

/** The token, its signature and its encoded parts never appear in anything the CLI prints. */
function expectNoLeak(result: Run, token: string): void {
  const printed = result.stdout + result.stderr;
  expect(printed).not.toContain(token);
  for (const part of token.split('.')) {
    if (part.length >= 16) expect(printed).not.toContain(part);
  }
}

/** The line of a check in the text output (`✓ issuer     ...`). */
const lineOf = (text: string, label: string): string | undefined =>
  text.split('\n').find(line => new RegExp(`^[✓✗–] ${label} +\\S`).test(line));
const fixAfter = (text: string, label: string): string | undefined => {
  const lines = text.split('\n');
  const at = lines.findIndex(line => new RegExp(`^[✓✗–] ${label} +\\S`).test(line));
  const next = lines[at + 1];
  return next?.trimStart().startsWith('fix: ') ? next.trim() : undefined;
};

describe('nestjs-gateway-auth doctor (the built CLI)', () => {
  let jwks: JwksServer;
  let down: JwksServer;
  let rsa: TestKey;
  let ec: TestKey;
  let es384: TestKey;
  let stranger: TestKey;
  let settings: string[];
  let workDir: string;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (\`npm test\` does)`);
    [rsa, ec, es384, stranger] = await Promise.all([
      createTestKey('gw-rs', 'RS256'),
      createTestKey('gw-ec', 'ES256'),
      createTestKey('gw-es384', 'ES384'),
      createTestKey('gw-unknown', 'RS256'),
    ]);
    jwks = await startJwksServer([rsa.jwk, ec.jwk, es384.jwk]);
    down = await startJwksServer([rsa.jwk]);
    down.behave({ kind: 'status', status: 503 });
    settings = ['--jwks-uri', jwks.url, '--issuer', ISSUER, '--audience-base', BASE_URL];
    workDir = await mkdtemp(join(tmpdir(), 'gateway-doctor-'));
  }, 60_000);

  afterAll(async () => {
    await jwks?.close();
    await down?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  describe('a token the guard accepts', () => {
    it('passes every check, says accepted with the caller, and exits 0', async () => {
      const token = await mint(rsa, '/orders/42');
      const result = await run(['doctor', token, ...settings, '--route', 'GET /orders/42']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(`nestjs-gateway-auth doctor: GET /orders/42, keys from ${jwks.url}`);
      for (const label of ['token', 'header', 'jwks', 'key', 'key type', 'signature', 'issuer', 'audience', 'time', 'claims', 'subject']) {
        expect(lineOf(result.stdout, label)).toMatch(/^✓ /);
      }
      expect(lineOf(result.stdout, 'header')).toBe('✓ header     alg="RS256" kid="gw-rs" typ="JWT"');
      expect(lineOf(result.stdout, 'jwks')).toMatch(/^✓ jwks {7}3 usable key\(s\) \(kids: "gw-rs", "gw-ec", "gw-es384"\) from http:\/\/127\.0\.0\.1:\d+\/.* in \d+ ms$/);
      expect(lineOf(result.stdout, 'key')).toBe('✓ key        kid "gw-rs": kty RSA, alg RS256, use sig');
      expect(lineOf(result.stdout, 'key type')).toBe('✓ key type   RSA 2048-bit key fits RS256');
      expect(lineOf(result.stdout, 'issuer')).toBe(`✓ issuer     "${ISSUER}" is an accepted issuer`);
      expect(lineOf(result.stdout, 'audience')).toBe(
        `✓ audience   "${BASE_URL}/orders/42" matches "${BASE_URL}/orders/42" (audience.baseUrl ${BASE_URL} + /orders/42)`,
      );
      expect(lineOf(result.stdout, 'time')).toMatch(/^✓ time +exp \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in .*\), iat .*; now .*Z, clock tolerance 30 s$/);
      expect(lineOf(result.stdout, 'subject')).toBe('✓ subject    4 RDN(s): CN=service1 | OU=Payments | O=Acme Ltd | C=GB');
      expect(lines.at(-1)).toBe(`✓ accepted: the guard lets this token through on GET /orders/42, caller ${CALLER_DN}`);
      expect(result.stdout).not.toMatch(/^[✗–!]/m);
      expectNoLeak(result, token);
    });

    it('answers one JSON object with --json', async () => {
      const token = await mint(ec, '/orders/42');
      const result = await run(['doctor', '--json', ...settings, '--route', 'GET /orders/42', '--token', token]);
      expect(result.code).toBe(0);
      const report = parse(result);
      expect(report).toMatchObject({ verdict: 'accepted', caller: CALLER_DN, explained: true, route: 'GET /orders/42' });
      expect(report).not.toHaveProperty('code');
      expect(report.checks.map(item => [item.name, item.status])).toEqual(
        ['token', 'header', 'jwks', 'key', 'keyType', 'signature', 'issuer', 'audience', 'time', 'claims', 'subject'].map(name => [name, 'pass']),
      );
      expect(report.claims).toMatchObject({ iss: ISSUER, sub: CALLER_DN, aud: `${BASE_URL}/orders/42` });
      expectNoLeak(result, token);
    });

    it('reads the token from stdin ("-" or nothing) and from --token-file, without a Bearer prefix', async () => {
      const token = await mint(rsa, '/');
      const piped = await run(['doctor', '-', ...settings], `Bearer ${token}\n`);
      expect(piped.code).toBe(0);
      const implicit = await run(['doctor', ...settings], token);
      expect(implicit.code).toBe(0);
      const file = join(workDir, 'token.txt');
      await writeFile(file, `${token}\n`);
      const fromFile = await run(['doctor', '--token-file', file, ...settings]);
      expect(fromFile.code).toBe(0);
      for (const result of [piped, implicit, fromFile]) expectNoLeak(result, token);
    });

    it('takes the module options from --config, flags overriding them', async () => {
      const token = await mint(rsa, '/orders');
      const config = join(workDir, 'gateway-auth.json');
      await writeFile(config, JSON.stringify({ jwksUri: jwks.url, issuer: 'CN=Someone Else', audience: { baseUrl: BASE_URL }, jwks: { prefetch: 'fail' } }));
      const wrong = await run(['doctor', token, '--config', config, '--route', 'GET /orders', '--json']);
      expect(parse(wrong)).toMatchObject({ verdict: 'rejected', code: 'issuer_mismatch' });
      const right = await run(['doctor', token, '--config', config, '--issuer', ISSUER, '--route', 'GET /orders']);
      expect(right.code).toBe(0);
    });
  });

  describe('a token the guard refuses: exit 1, the failing check, and a fix naming the option', () => {
    interface Case {
      readonly kind: string;
      readonly token: () => Promise<string>;
      readonly args?: () => string[];
      readonly code: string;
      readonly httpStatus?: number;
      readonly failing: string;
      readonly label: string;
      readonly detail: RegExp;
      readonly fix: RegExp;
      readonly skipped?: readonly string[];
    }
    const now = (): number => Math.floor(Date.now() / 1000);
    const cases: Case[] = [
      {
        kind: 'a malformed token',
        token: async () => 'not-a-jwt-at-all',
        code: 'token_malformed',
        failing: 'token',
        label: 'token',
        detail: /not a compact JWS/,
        fix: /three base64url parts separated by dots/,
        skipped: ['header', 'key', 'keyType', 'signature', 'issuer', 'audience', 'time', 'claims', 'subject'],
      },
      {
        kind: 'an algorithm not allowed',
        token: () => mint(es384, '/orders/42'),
        code: 'algorithm_not_allowed',
        failing: 'header',
        label: 'header',
        detail: /alg="ES384", allowed: RS256, ES256/,
        fix: /add ES384 to --algorithms \/ algorithms \(now RS256, ES256\)/,
      },
      {
        kind: 'an unknown kid',
        token: () => mint(stranger, '/orders/42'),
        code: 'unknown_key',
        failing: 'key',
        label: 'key',
        detail: /no key with kid "gw-unknown"; the key set has "gw-rs", "gw-ec", "gw-es384"/,
        fix: /--jwks-uri \/ jwksUri/,
        skipped: ['keyType', 'signature'],
      },
      {
        kind: 'a key that does not fit the alg',
        token: () => mint({ ...rsa, kid: 'gw-ec' }, '/orders/42'),
        code: 'key_mismatch',
        failing: 'keyType',
        label: 'key type',
        detail: /RS256 needs a RSA key, the key is EC/,
        fix: /the gateway's key set must change/,
        skipped: ['signature'],
      },
      {
        kind: 'a bad signature',
        token: () => mint({ ...stranger, kid: 'gw-rs' }, '/orders/42'),
        code: 'signature_invalid',
        failing: 'signature',
        label: 'signature',
        detail: /does not verify/,
        fix: /--jwks-uri \/ jwksUri/,
      },
      {
        kind: 'another issuer',
        token: () => mint(rsa, '/orders/42', { claims: { iss: 'CN=Other,O=Example' } }),
        code: 'issuer_mismatch',
        failing: 'issuer',
        label: 'issuer',
        detail: new RegExp(`^expected "${ISSUER}", token has "CN=Other,O=Example"$`),
        fix: /set --issuer \/ issuer to "CN=Other,O=Example"/,
      },
      {
        kind: 'a token for another route',
        token: () => mint(rsa, '/orders'),
        code: 'audience_mismatch',
        failing: 'audience',
        label: 'audience',
        detail: new RegExp(`^expected "${BASE_URL}/orders/42" \\(audience.baseUrl ${BASE_URL} \\+ /orders/42\\), token has "${BASE_URL}/orders"$`),
        fix: /pass --route 'GET \/orders'/,
      },
      {
        kind: 'an audience base the gateway does not write',
        token: () => mint(rsa, '/orders/42'),
        args: () => ['--jwks-uri', jwks.url, '--issuer', ISSUER, '--audience-base', 'https://api.example.com/service2'],
        code: 'audience_mismatch',
        failing: 'audience',
        label: 'audience',
        detail: /expected "https:\/\/api\.example\.com\/service2\/orders\/42"/,
        fix: /set --audience-base \/ audience\.baseUrl to "https:\/\/api\.example\.com"/,
      },
      {
        kind: 'an expired token',
        token: () => mint(rsa, '/orders/42', { expiresIn: -600 }),
        code: 'token_expired',
        failing: 'time',
        label: 'time',
        detail: /exp \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(10 min( \d+ s)? ago\).*; now .*Z, clock tolerance 30 s$/,
        fix: /expired 10 min.* ago: mint a fresh one.*--clock-tolerance \/ clockToleranceSeconds \(now 30, at most 300\)/,
      },
      {
        kind: 'a token not valid yet',
        token: () => mint(rsa, '/orders/42', { claims: { nbf: now() + 600, exp: now() + 900 } }),
        code: 'token_not_yet_valid',
        failing: 'time',
        label: 'time',
        detail: /nbf \S+Z \(in (9|10) min.*clock tolerance 30 s$/,
        fix: /nbf is .* ahead of this machine's clock.*--clock-tolerance \/ clockToleranceSeconds/,
      },
      {
        kind: 'a subject that is not a DN',
        token: () => mint(rsa, '/orders/42', { claims: { sub: 'service1' } }),
        code: 'subject_invalid',
        failing: 'subject',
        label: 'subject',
        detail: /^"service1" is not a DN in rfc4514 form/,
        fix: /--subject-format \/ subjectFormat to opaque/,
      },
      {
        kind: 'a JWKS endpoint that fails',
        token: () => mint(rsa, '/orders/42'),
        args: () => ['--jwks-uri', down.url, '--issuer', ISSUER, '--audience-base', BASE_URL],
        code: 'jwks_unavailable',
        httpStatus: 503,
        failing: 'jwks',
        label: 'jwks',
        detail: /answered HTTP 503 Service Unavailable \(after \d+ ms\)$/,
        fix: /the gateway's key endpoint is failing .*503 jwks_unavailable/,
        skipped: ['key', 'keyType', 'signature'],
      },
    ];

    it.each(cases)('$kind: $code', async testCase => {
      const token = await testCase.token();
      const args = ['doctor', token, ...(testCase.args?.() ?? settings), '--route', 'GET /orders/42'];
      const [text, json] = await Promise.all([run(args), run([...args, '--json'])]);

      expect(text.code).toBe(1);
      expect(text.stderr).toBe('');
      expect(lineOf(text.stdout, testCase.label)).toMatch(new RegExp(`^✗ ${testCase.label} +`));
      expect(fixAfter(text.stdout, testCase.label)).toMatch(/^fix: /);
      expect(text.stdout.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^✗ rejected: ${testCase.code} \\(HTTP ${testCase.httpStatus ?? 401}\\): `));
      expect(text.stdout).not.toContain('! ');

      expect(json.code).toBe(1);
      const report = parse(json);
      expect(report).toMatchObject({ verdict: 'rejected', code: testCase.code, httpStatus: testCase.httpStatus ?? 401, explained: true });
      const failing = check(report, testCase.failing);
      expect(failing).toMatchObject({ status: 'fail', code: testCase.code });
      expect(failing.detail).toMatch(testCase.detail);
      expect(failing.fix).toMatch(testCase.fix);
      for (const name of testCase.skipped ?? []) expect(check(report, name).status).toBe('skip');

      expectNoLeak(text, token);
      expectNoLeak(json, token);
    });

    it('runs every check it can: an issuer and an audience failure show together, the guard names the first', async () => {
      const token = await mint(rsa, '/orders', { claims: { iss: 'CN=Other,O=Example' } });
      const result = await run(['doctor', token, ...settings, '--route', 'GET /orders/42']);
      expect(result.code).toBe(1);
      expect(lineOf(result.stdout, 'issuer')).toMatch(/^✗ issuer/);
      expect(lineOf(result.stdout, 'audience')).toMatch(/^✗ audience/);
      expect(lineOf(result.stdout, 'signature')).toMatch(/^✓ signature/);
      expect(result.stdout.match(/^ +fix: /gm)).toHaveLength(2);
      expect(result.stdout).toContain('✗ rejected: issuer_mismatch (HTTP 401)');
    });
  });

  describe('usage errors: exit 2', () => {
    it('names the missing settings in the words of the module and the flag', async () => {
      const token = await mint(rsa, '/');
      const result = await run(['doctor', token]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('nestjs-gateway-auth doctor: GatewayAuthModule refuses these settings:');
      expect(result.stderr).toMatch(/^ {2}- jwksUri: required; .*\[--jwks-uri\]$/m);
      expect(result.stderr).toMatch(/^ {2}- issuer: required; .*\[--issuer or --issuer-ca\]$/m);
      expect(result.stderr).toMatch(/^ {2}- audience: required; .*\[--audience-base or --audience\]$/m);
      expectNoLeak(result, token);
    });

    it('passes the options through the library\'s own validation', async () => {
      const result = await run(['doctor', 'a.b.c', ...settings, '--algorithms', 'HS256']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/- algorithms: "HS256" is refused: .*\[--algorithms\]/);
    });

    it('refuses unknown flags, a bad route, two tokens and an empty stdin', async () => {
      const token = await mint(rsa, '/');
      const results = await Promise.all([
        run(['doctor', token, ...settings, '--isuer', 'x']),
        run(['doctor', token, ...settings, '--route', 'GET orders']),
        run(['doctor', token, token, ...settings]),
        run(['doctor', ...settings], ''),
        run(['doctor', '--token-file', join(workDir, 'missing.txt'), ...settings]),
        run(['frobnicate']),
      ]);
      expect(results.map(result => result.code)).toEqual([2, 2, 2, 2, 2, 2]);
      expect(results[0]?.stderr).toMatch(/unknown flag --isuer/);
      expect(results[1]?.stderr).toMatch(/--route: the path must start with "\/"/);
      expect(results[2]?.stderr).toMatch(/expected at most one token argument/);
      expect(results[3]?.stderr).toMatch(/no token on stdin/);
      expect(results[4]?.stderr).toMatch(/--token-file: cannot read .*missing\.txt \(ENOENT\)/);
      expect(results[5]?.stderr).toMatch(/unknown command "frobnicate"/);
      for (const result of results) expectNoLeak(result, token);
    });

    it('answers usage errors as JSON on stdout with --json', async () => {
      const result = await run(['doctor', 'a.b.c', '--json', '--jwks-uri', 'http://gateway.example.com/jwks', '--issuer', ISSUER, '--audience-base', BASE_URL]);
      expect(result.code).toBe(2);
      const body = JSON.parse(result.stdout) as { verdict: string; issues: string[] };
      expect(body.verdict).toBe('usage_error');
      expect(body.issues).toEqual([expect.stringMatching(/^jwksUri: must use https: .*\[--jwks-uri\]$/)]);
    });

    it('prints help (exit 0) and the version', async () => {
      const [help, doctorHelp, version] = await Promise.all([run(['--help']), run(['doctor', '--help']), run(['--version'])]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('doctor');
      expect(doctorHelp.code).toBe(0);
      expect(doctorHelp.stdout).toMatch(/^Usage: nestjs-gateway-auth doctor/);
      for (const flag of ['--token-file', '--config', '--jwks-uri', '--issuer', '--audience-base', '--audience', '--algorithms', '--clock-tolerance', '--route', '--json']) {
        expect(doctorHelp.stdout).toContain(flag);
      }
      expect(version.code).toBe(0);
      const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      expect(version.stdout).toBe(`${manifest.version}\n`);
    });
  });

  it('keeps its shebang in the built file, for the bin entry', () => {
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
