import { explained, type CheckName, type CheckStatus, type DoctorReport } from './doctor-report.js';
import type { UsageError } from './usage-error.js';

const MARKS: Readonly<Record<CheckStatus, string>> = { pass: '✓', fail: '✗', skip: '–' };

const LABELS: Readonly<Record<CheckName, string>> = {
  token: 'token',
  header: 'header',
  jwks: 'jwks',
  key: 'key',
  keyType: 'key type',
  signature: 'signature',
  issuer: 'issuer',
  audience: 'audience',
  time: 'time',
  claims: 'claims',
  subject: 'subject',
  caller: 'caller',
};

const LABEL_WIDTH = 11;
const INDENT = ' '.repeat(2 + LABEL_WIDTH);

/**
 * The report for people: one line per check (✓ pass, ✗ fail, – skipped), a `fix:` line under each
 * failure, then the guard's verdict.
 */
export function renderText(report: DoctorReport): string {
  const route = `${report.route.method} ${report.route.target}`;
  const lines = [`nestjs-gateway-auth doctor: ${route}, keys from ${report.jwksUri}`, ''];
  for (const check of report.checks) {
    lines.push(`${MARKS[check.status]} ${LABELS[check.name].padEnd(LABEL_WIDTH)}${check.detail}`);
    if (check.fix !== undefined) lines.push(`${INDENT}fix: ${check.fix}`);
  }
  lines.push('');
  const outcome = report.outcome;
  if (outcome.verdict === 'accepted') {
    lines.push(`✓ accepted: the guard lets this token through on ${route}${outcome.caller === undefined ? '' : `, caller ${outcome.caller}`}`);
  } else {
    const status = outcome.httpStatus === undefined ? '' : ` (HTTP ${outcome.httpStatus})`;
    lines.push(`✗ rejected: ${outcome.code}${status}: ${outcome.message}`);
  }
  if (!explained(report)) {
    lines.push(
      outcome.verdict === 'accepted'
        ? "! The guard accepts the token although a check above failed: the guard's verdict stands (it is the service's own code)."
        : `! None of the checks above fails with ${outcome.code}: the guard's verdict stands (it is the service's own code).`,
    );
  }
  return `${lines.map(safeLine).join('\n')}\n`;
}

/** The report for scripts: one JSON object. */
export function renderJson(report: DoctorReport): string {
  const outcome = report.outcome;
  const body = {
    verdict: outcome.verdict,
    ...(outcome.verdict === 'rejected'
      ? { code: outcome.code, ...(outcome.httpStatus === undefined ? {} : { httpStatus: outcome.httpStatus }), message: outcome.message }
      : outcome.caller === undefined
        ? {}
        : { caller: outcome.caller }),
    explained: explained(report),
    route: `${report.route.method} ${report.route.target}`,
    jwksUri: report.jwksUri,
    checks: report.checks.map(check => ({
      name: check.name,
      status: check.status,
      detail: check.detail,
      ...(check.fix === undefined ? {} : { fix: check.fix }),
      ...(check.code === undefined ? {} : { code: check.code }),
    })),
    claims: report.claims,
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** A usage error (exit 2), as text for stderr or JSON for stdout. */
export function renderUsageError(error: UsageError, json: boolean): string {
  if (json) return `${JSON.stringify({ verdict: 'usage_error', message: error.message, issues: error.issues }, null, 2)}\n`;
  const lines = [`nestjs-gateway-auth doctor: ${error.message}`, ...error.issues.map(issue => `  - ${issue}`)];
  lines.push('Run `nestjs-gateway-auth doctor --help` for the flags.');
  return `${lines.map(safeLine).join('\n')}\n`;
}

/** Control and bidi characters from the token shown escaped, so that no claim can rewrite the terminal. */
function safeLine(line: string): string {
  return line.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
