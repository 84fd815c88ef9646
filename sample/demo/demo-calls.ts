import { DEMO_CALLER_DNS } from '../gateway/pki.js';
import type { MintedToken } from '../gateway/gateway-simulator.js';
import type { DemoEnvironment } from './demo-environment.js';
import { callDirect, callOverMutualTls, type CallResult } from './service1-client.js';

/** What was expected of one scripted call, and whether it happened. */
export interface DemoOutcome {
  readonly id: string;
  /** Where the call went and what it asked for, e.g. `gateway GET /service2/orders`. */
  readonly call: string;
  /** What it carried. */
  readonly credential: string;
  readonly expected: string;
  readonly got: string;
  /** Who accepted or refused the call, and why. */
  readonly decidedBy: string;
  readonly ok: boolean;
  readonly result: CallResult;
}

/** The expected result of a call, checked against what came back. */
type Expectation =
  | { readonly kind: 'accepted'; readonly caller: string }
  | { readonly kind: 'tls-refused' }
  | { readonly kind: 'refused'; readonly status: number; readonly code: string };

/**
 * The demo's scripted calls, in order: what Service 1 can do through the gateway, and what fails
 * when mTLS or the gateway is bypassed or its tokens are misused.
 */
export async function runDemoCalls(demo: DemoEnvironment): Promise<DemoOutcome[]> {
  const { pki, gateway, service } = demo;
  const captured: MintedToken[] = [];
  gateway.onForward(minted => captured.push(minted));
  const viaGateway = (path: string) => `${gateway.publicBaseUrl}${path}`;
  const service1 = { certPem: pki.service1.certPem, keyPem: pki.service1.keyPem, caPem: pki.ca.certPem };
  const outcomes: DemoOutcome[] = [];
  const record = async (
    id: string,
    call: string,
    credential: string,
    expectation: Expectation,
    perform: () => Promise<CallResult>,
  ): Promise<void> => {
    outcomes.push(judge(id, call, credential, expectation, await perform()));
  };

  await record('service1', 'gateway   GET /service2/orders', 'service1 client certificate',
    { kind: 'accepted', caller: DEMO_CALLER_DNS.service1 },
    () => callOverMutualTls(viaGateway('/orders'), service1));
  const ordersToken = captured.find(minted => minted.aud.endsWith('/orders'))?.token;

  await record('escaped-dn', 'gateway   GET /service2/orders/42', 'certificate "CN=Smith, John"',
    { kind: 'accepted', caller: DEMO_CALLER_DNS.escaped },
    () => callOverMutualTls(viaGateway('/orders/42'), { certPem: pki.escaped.certPem, keyPem: pki.escaped.keyPem, caPem: pki.ca.certPem }));

  await record('payments-allowed', 'gateway   GET /service2/payments', 'service1 client certificate',
    { kind: 'accepted', caller: DEMO_CALLER_DNS.service1 },
    () => callOverMutualTls(viaGateway('/payments'), service1));

  await record('payments-refused', 'gateway   GET /service2/payments', 'certificate "CN=Smith, John"',
    { kind: 'refused', status: 403, code: 'caller_not_allowed' },
    () => callOverMutualTls(viaGateway('/payments'), { certPem: pki.escaped.certPem, keyPem: pki.escaped.keyPem, caPem: pki.ca.certPem }));

  await record('forged-header', 'gateway   GET /service2/orders', 'service1 + its own Bearer token',
    { kind: 'accepted', caller: DEMO_CALLER_DNS.service1 },
    () => callOverMutualTls(viaGateway('/orders'), service1, { authorization: `Bearer ${forgedToken(gateway.upstream)}` }));

  await record('no-certificate', 'gateway   GET /service2/orders', 'no client certificate',
    { kind: 'tls-refused' },
    () => callOverMutualTls(viaGateway('/orders'), { caPem: pki.ca.certPem }));

  await record('untrusted-ca', 'gateway   GET /service2/orders', 'certificate from another CA',
    { kind: 'tls-refused' },
    () => callOverMutualTls(viaGateway('/orders'), { certPem: pki.rogue.certPem, keyPem: pki.rogue.keyPem, caPem: pki.ca.certPem }));

  await record('bypass', 'Service 2 GET /orders', 'no token (gateway bypassed)',
    { kind: 'refused', status: 401, code: 'token_missing' },
    () => callDirect(`${service.url}/orders`));

  await record('replay', 'Service 2 GET /orders/42', 'token captured for /orders',
    { kind: 'refused', status: 401, code: 'audience_mismatch' },
    () => callDirect(`${service.url}/orders/42`, ordersToken ?? 'no-token-was-captured'));

  const expired = await gateway.mint({ sub: DEMO_CALLER_DNS.service1, aud: `${gateway.upstream}/orders`, expiresIn: -300 });
  await record('expired', 'Service 2 GET /orders', 'gateway token expired 5 min ago',
    { kind: 'refused', status: 401, code: 'token_expired' },
    () => callDirect(`${service.url}/orders`, expired));

  return outcomes;
}

function judge(id: string, call: string, credential: string, expectation: Expectation, result: CallResult): DemoOutcome {
  const base = { id, call, credential, result };
  const expected =
    expectation.kind === 'accepted' ? '200 + caller DN'
    : expectation.kind === 'tls-refused' ? 'TLS refusal'
    : `${expectation.status} ${expectation.code}`;

  if (result.kind !== 'response') {
    const got = result.kind === 'tls-refused' ? 'TLS refusal' : 'no answer';
    const decidedBy = result.kind === 'tls-refused' ? `gateway, TLS handshake: ${result.reason}` : result.reason;
    return { ...base, expected, got, decidedBy, ok: expectation.kind === 'tls-refused' && result.kind === 'tls-refused' };
  }
  const code = field(result.body, 'code');
  const caller = field(result.body, 'caller');
  const got = result.status === 200 ? '200' : `${result.status} ${code ?? field(result.body, 'error') ?? ''}`.trim();
  const who = result.servedByGateway ? 'gateway' : 'Service 2';
  const decidedBy =
    result.status === 200 ? `${who} accepted, caller ${caller ?? '(none)'}` : `${who} refused: ${code ?? field(result.body, 'error') ?? result.status}`;
  const ok =
    expectation.kind === 'accepted' ? result.status === 200 && caller === expectation.caller
    : expectation.kind === 'refused' ? result.status === expectation.status && code === expectation.code && !result.servedByGateway
    : false;
  return { ...base, expected, got, decidedBy, ok };
}

/** An unsigned token claiming to be an administrator: what a caller might try to slip past the gateway. */
function forgedToken(upstream: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ sub: 'CN=admin,O=Acme Ltd,C=GB', aud: `${upstream}/orders` })}.`;
}

function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** The outcomes as a short aligned table. */
export function formatOutcomes(outcomes: readonly DemoOutcome[]): string {
  const rows = [
    ['', 'call', 'with', 'expected', 'got', 'decided by'],
    ...outcomes.map(o => [o.ok ? '✓' : '✗', o.call, o.credential, o.expected, o.got, o.decidedBy]),
  ];
  const widths = (rows[0] as string[]).map((_, column) => Math.max(...rows.map(row => (row[column] as string).length)));
  return rows
    .map(row => `  ${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] as number))).join('  ')}`)
    .join('\n');
}
