import { renderJson, renderText, renderUsageError } from './doctor-render.js';
import { explained, exitCodeOf, type DoctorCheck, type DoctorReport } from './doctor-report.js';
import { UsageError } from './usage-error.js';

const route = { method: 'GET', target: '/orders/42' };

const passing: DoctorCheck[] = [
  { name: 'token', status: 'pass', detail: 'compact JWS, 3 parts, 600 characters (limit 8192)' },
  { name: 'keyType', status: 'pass', detail: 'RSA 2048-bit key fits RS256' },
];

function report(checks: DoctorCheck[], outcome: DoctorReport['outcome']): DoctorReport {
  return { route, jwksUri: 'https://gw.example.com/jwks', checks, outcome, claims: { iss: 'CN=IAG', exp: 1 } };
}

const issuerFailure: DoctorCheck = {
  name: 'issuer',
  status: 'fail',
  detail: 'expected "CN=IAG", token has "CN=Other"',
  fix: 'set --issuer / issuer to "CN=Other"',
  code: 'issuer_mismatch',
};
const rejected = { verdict: 'rejected', code: 'issuer_mismatch', httpStatus: 401, message: 'The token was not issued by an accepted issuer' } as const;

describe('renderText', () => {
  it('writes one line per check with its mark, then the verdict', () => {
    const text = renderText(report([...passing, { name: 'signature', status: 'skip', detail: 'no usable key' }], { verdict: 'accepted', caller: 'CN=svc' }));
    expect(text.split('\n')).toEqual([
      'nestjs-gateway-auth doctor: GET /orders/42, keys from https://gw.example.com/jwks',
      '',
      '✓ token      compact JWS, 3 parts, 600 characters (limit 8192)',
      '✓ key type   RSA 2048-bit key fits RS256',
      '– signature  no usable key',
      '',
      '✓ accepted: the guard lets this token through on GET /orders/42, caller CN=svc',
      '',
    ]);
  });

  it('puts a fix line under each failure, and the code and status in the verdict', () => {
    const lines = renderText(report([...passing, issuerFailure], rejected)).split('\n');
    expect(lines).toContain('✗ issuer     expected "CN=IAG", token has "CN=Other"');
    expect(lines).toContain('             fix: set --issuer / issuer to "CN=Other"');
    expect(lines).toContain('✗ rejected: issuer_mismatch (HTTP 401): The token was not issued by an accepted issuer');
    expect(lines.some(line => line.startsWith('!'))).toBe(false);
  });

  it("says so when the checks do not explain the guard's verdict: the guard wins", () => {
    const refusedAnyway = renderText(report(passing, { ...rejected, code: 'token_replayed', message: 'The token was already used' }));
    expect(refusedAnyway).toContain('✗ rejected: token_replayed (HTTP 401)');
    expect(refusedAnyway).toContain("! None of the checks above fails with token_replayed: the guard's verdict stands");
    const acceptedAnyway = renderText(report([...passing, issuerFailure], { verdict: 'accepted', caller: undefined }));
    expect(acceptedAnyway).toContain('✓ accepted: the guard lets this token through on GET /orders/42\n');
    expect(acceptedAnyway).toContain("! The guard accepts the token although a check above failed: the guard's verdict stands");
  });

  it('escapes control and bidi characters, so a claim cannot rewrite the terminal', () => {
    const text = renderText(report([{ name: 'subject', status: 'pass', detail: 'CN=a\u001b[2J\u202eb' }], { verdict: 'accepted', caller: undefined }));
    expect(text).toContain('CN=a\\u001b[2J\\u202eb');
    expect(text).not.toMatch(/[\u001b\u202e]/);
  });
});

describe('renderJson', () => {
  it('prints one object with the verdict, the code and every check', () => {
    const body = JSON.parse(renderJson(report([...passing, issuerFailure], rejected))) as Record<string, unknown>;
    expect(body).toEqual({
      verdict: 'rejected',
      code: 'issuer_mismatch',
      httpStatus: 401,
      message: 'The token was not issued by an accepted issuer',
      explained: true,
      route: 'GET /orders/42',
      jwksUri: 'https://gw.example.com/jwks',
      checks: [
        { name: 'token', status: 'pass', detail: 'compact JWS, 3 parts, 600 characters (limit 8192)' },
        { name: 'keyType', status: 'pass', detail: 'RSA 2048-bit key fits RS256' },
        { name: 'issuer', status: 'fail', detail: 'expected "CN=IAG", token has "CN=Other"', fix: 'set --issuer / issuer to "CN=Other"', code: 'issuer_mismatch' },
      ],
      claims: { iss: 'CN=IAG', exp: 1 },
    });
  });

  it('has no code for an accepted token, and the caller', () => {
    const body = JSON.parse(renderJson(report(passing, { verdict: 'accepted', caller: 'CN=svc' }))) as Record<string, unknown>;
    expect(body).toMatchObject({ verdict: 'accepted', caller: 'CN=svc', explained: true });
    expect(body).not.toHaveProperty('code');
  });
});

describe('renderUsageError', () => {
  const error = new UsageError('GatewayAuthModule refuses these settings:', ['jwksUri: required [--jwks-uri]']);

  it('lists the issues and points at --help', () => {
    expect(renderUsageError(error, false)).toBe(
      'nestjs-gateway-auth doctor: GatewayAuthModule refuses these settings:\n  - jwksUri: required [--jwks-uri]\nRun `nestjs-gateway-auth doctor --help` for the flags.\n',
    );
  });

  it('is a JSON object with --json', () => {
    expect(JSON.parse(renderUsageError(error, true))).toEqual({
      verdict: 'usage_error',
      message: 'GatewayAuthModule refuses these settings:',
      issues: ['jwksUri: required [--jwks-uri]'],
    });
  });
});

describe('explained / exitCodeOf', () => {
  it('takes the guard at its word: 0 only when it accepts', () => {
    expect(exitCodeOf({ verdict: 'accepted', caller: undefined })).toBe(0);
    expect(exitCodeOf(rejected)).toBe(1);
    expect(explained(report([issuerFailure], rejected))).toBe(true);
    expect(explained(report([issuerFailure], { ...rejected, code: 'token_expired' }))).toBe(false);
  });
});
