import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  createSigningKey,
  signToken,
  startDevGateway,
  type DevGateway,
} from './gateway/dev-gateway.js';
import { portFromEnv } from './sample-config.js';
import { reportStartFailure, startService2, type Service2 } from './service2.js';

/**
 * `npm start`: the whole flow on one machine. A dev gateway publishes its JWKS and mints tokens as
 * the real gateway would after authenticating Service 1 over mTLS; Service 2 (this repository's
 * sample app, configured in code) verifies them. Scripted calls show what is accepted and what is
 * refused, then the demo keeps running with a ready-to-paste curl command.
 *
 *   npm start               run the calls, then keep running until Ctrl-C
 *   npm start -- --once     run the calls and exit: 0 when every outcome was as expected, else 1
 *                           (also DEMO_ONCE=1)
 *   PORT=3001 npm start     Service 2's port (default 3000)
 */

/** What the gateway puts in `sub` for Service 1: the Subject DN of its client certificate. */
const SERVICE1_DN = 'CN=service1,OU=Payments,O=Acme Ltd,C=GB';
const HOST = '127.0.0.1';

interface Expectation {
  readonly status: number;
  /** The refusal's `code`; absent for a 200. */
  readonly code?: string;
  /** For a 200 from the orders routes: the `caller` Service 2 must report. */
  readonly caller?: string;
  /** For a 200 from /health: the `status` it must report. */
  readonly healthStatus?: string;
  /** Shown in the "expected" column. */
  readonly label: string;
}

interface Call {
  readonly path: string;
  /** How the request is authenticated, in words. */
  readonly credential: string;
  /** The token to send, or undefined for none. */
  readonly token: string | undefined;
  readonly expect: Expectation;
}

interface Outcome {
  readonly call: Call;
  readonly ok: boolean;
  /** The "got" column: the status. */
  readonly got: string;
  /** Accepted (and as whom), or which party refused and its code. */
  readonly outcome: string;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter(arg => arg !== '--once');
  if (unknown.length > 0) {
    console.error(`Unknown argument(s): ${unknown.join(' ')}\nUsage: npm start [-- --once]`);
    return 2;
  }
  const once = args.includes('--once') || process.env['DEMO_ONCE'] === '1';
  const port = await resolvePort(portFromEnv(process.env));

  const gateway = await startDevGateway();
  let service: Service2;
  try {
    service = await startService2({
      env: {
        GATEWAY_JWKS_URI: gateway.jwksUri,
        GATEWAY_ISSUER: gateway.issuer,
        GATEWAY_AUDIENCE_BASE: `http://${HOST}:${port}`,
      },
      port,
      host: HOST,
      // Refusals are logged as warnings by the guard; keep them out of the table.
      logLevels: ['error'],
    });
  } catch (error) {
    await gateway.close();
    throw error;
  }
  const closeAll = async (): Promise<void> => {
    await service.close();
    await gateway.close();
  };

  console.log(`Dev gateway  JWKS ${gateway.jwksUri}, iss "${gateway.issuer}"`);
  console.log(`Service 2    ${service.url}, audience = ${service.url} + request path`);
  console.log(`Service 1    client certificate DN "${SERVICE1_DN}"\n`);

  const outcomes: Outcome[] = [];
  try {
    for (const call of await scriptedCalls(gateway, service.url)) {
      outcomes.push(await perform(call, service.url));
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  printTable(outcomes);
  const failed = outcomes.filter(outcome => !outcome.ok).length;
  console.log(
    failed === 0
      ? `\nAll ${outcomes.length} outcomes as expected.`
      : `\n${failed} of ${outcomes.length} outcomes NOT as expected.`,
  );

  if (once) {
    await closeAll();
    return failed === 0 ? 0 : 1;
  }

  const token = await gateway.mint({
    sub: SERVICE1_DN,
    aud: `${service.url}/orders`,
    expiresInSeconds: 600,
  });
  console.log('\nService 2 keeps running. Call it as Service 1 would through the gateway');
  console.log('(token valid 10 minutes, for GET /orders only):\n');
  console.log(`  curl -i -H 'Authorization: Bearer ${token}' ${service.url}/orders\n`);
  console.log(`Try it on ${service.url}/orders/42 to see the audience refusal. Ctrl-C stops.`);
  // From here on, show the guard's refusals of whatever is sent by hand.
  service.app.useLogger(['error', 'warn']);

  await waitForSignal();
  console.log('\nStopping.');
  await closeAll();
  return 0;
}

/** The scripted calls: what Service 1 may and may not do with the tokens the gateway mints. */
async function scriptedCalls(gateway: DevGateway, base: string): Promise<Call[]> {
  const now = Math.floor(Date.now() / 1000);
  const ordersToken = await gateway.mint({ sub: SERVICE1_DN, aud: `${base}/orders` });
  const expiredToken = await gateway.mint({
    sub: SERVICE1_DN,
    aud: `${base}/orders`,
    issuedAt: now - 600,
    expiresInSeconds: 300,
  });
  // Same issuer and claims, but signed with a key the gateway never published.
  const rogueKey = await createSigningKey('rogue-key');
  const rogueToken = await signToken(rogueKey, gateway.issuer, {
    sub: SERVICE1_DN,
    aud: `${base}/orders`,
  });

  const call = (path: string, credential: string, token: string | undefined, expect: Expectation) =>
    ({ path, credential, token, expect }) satisfies Call;
  const accepted: Expectation = { status: 200, caller: SERVICE1_DN, label: '200 + caller DN' };
  const refused = (code: string): Expectation => ({ status: 401, code, label: `401 ${code}` });
  return [
    call('/orders', 'token for /orders', ordersToken, accepted),
    call('/orders', 'no token', undefined, refused('token_missing')),
    call('/orders/42', 'token for /orders', ordersToken, refused('audience_mismatch')),
    call('/orders-archive', 'token for /orders', ordersToken, refused('audience_mismatch')),
    call('/orders', 'expired token', expiredToken, refused('token_expired')),
    // jwks-rsa finds no key for the kid: unknown_key (a forged token reusing the gateway's kid
    // would be signature_invalid instead).
    call('/orders', 'signed by unknown key', rogueToken, refused('unknown_key')),
    call('/health', 'no token (@Public)', undefined, {
      status: 200,
      healthStatus: 'ok',
      label: '200 status ok',
    }),
  ];
}

async function perform(call: Call, base: string): Promise<Outcome> {
  const headers: Record<string, string> = call.token
    ? { Authorization: `Bearer ${call.token}` }
    : {};
  let response: Response;
  try {
    response = await fetch(`${base}${call.path}`, {
      headers,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { call, ok: false, got: 'no answer', outcome: reason };
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  const code = field(body, 'code');
  const caller = field(body, 'caller');

  let ok = response.status === call.expect.status;
  if (call.expect.code !== undefined) ok &&= code === call.expect.code;
  if (call.expect.caller !== undefined) ok &&= caller === call.expect.caller;
  if (call.expect.healthStatus !== undefined) {
    ok &&= field(body, 'status') === call.expect.healthStatus;
  }

  let outcome: string;
  if (response.ok) {
    outcome = caller !== undefined ? `accepted, caller ${caller}` : 'accepted (public route)';
  } else if (code !== undefined && response.headers.has('www-authenticate')) {
    // Only GatewayAuthGuard answers with a code and a Bearer challenge.
    outcome = `Service 2: ${code}`;
  } else {
    outcome = `unknown: ${response.status} ${response.statusText}`;
  }
  return { call, ok, got: String(response.status), outcome };
}

function printTable(outcomes: readonly Outcome[]): void {
  const rows = [
    ['call', 'with', 'expected', 'got', 'verdict', 'refused by: code'],
    ...outcomes.map(o => [
      `GET ${o.call.path}`,
      o.call.credential,
      o.call.expect.label,
      o.got,
      o.ok ? '✓' : '✗',
      o.outcome,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map(row => row[column]!.length)));
  for (const row of rows) {
    console.log(
      `  ${row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  ')}`,
    );
  }
}

function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** PORT=0 means any free port; the audience needs the number before Service 2 starts. */
async function resolvePort(port: number): Promise<number> {
  if (port !== 0) return port;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, HOST, resolve);
  });
  const free = (probe.address() as AddressInfo).port;
  await new Promise<void>(resolve => probe.close(() => resolve()));
  return free;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise(resolve => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

main().then(
  code => {
    process.exitCode = code;
  },
  (error: unknown) => reportStartFailure(error, 'The demo'),
);
