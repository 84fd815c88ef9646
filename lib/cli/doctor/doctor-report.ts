import type { GatewayAuthErrorCode } from '../../errors/gateway-auth.error.js';
import type { DoctorRoute } from './doctor-args.js';

/** The checks `doctor` explains a verdict with, in the order they are shown. */
export type CheckName =
  | 'token'
  | 'header'
  | 'jwks'
  | 'key'
  | 'keyType'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'time'
  | 'claims'
  | 'subject'
  | 'caller';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface DoctorCheck {
  readonly name: CheckName;
  readonly status: CheckStatus;
  /** What was found (for a failure: expected against actual). Never the token or its signature. */
  readonly detail: string;
  /** For a failure: what to change, naming the flag and the module option. */
  readonly fix?: string;
  /** For a failure: the library's code for it (what the guard answers when this check decides). */
  readonly code?: GatewayAuthErrorCode;
}

/** The guard's own verdict: it decides the exit code. */
export type DoctorOutcome =
  | { readonly verdict: 'accepted'; readonly caller: string | undefined }
  | {
      readonly verdict: 'rejected';
      /** The refusal's stable code; `internal_error` when the guard threw something else. */
      readonly code: GatewayAuthErrorCode | 'internal_error';
      /** The status the service would answer with. */
      readonly httpStatus: number | undefined;
      readonly message: string;
    };

export interface DoctorReport {
  readonly route: DoctorRoute;
  /** The JWKS URL, without its query string. */
  readonly jwksUri: string;
  readonly checks: readonly DoctorCheck[];
  readonly outcome: DoctorOutcome;
  /** The token's registered claims (not verified unless the verdict says so), long values cut. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Whether the failed checks account for the guard's verdict (when not, the guard wins). */
export function explained(report: Pick<DoctorReport, 'checks' | 'outcome'>): boolean {
  const failed = report.checks.filter(check => check.status === 'fail');
  if (report.outcome.verdict === 'accepted') return failed.length === 0;
  const code = report.outcome.code;
  return failed.some(check => check.code === code);
}

export function exitCodeOf(outcome: DoctorOutcome): 0 | 1 {
  return outcome.verdict === 'accepted' ? 0 : 1;
}
