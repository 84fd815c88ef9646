import { relative } from 'node:path';
import { DEMO_CALLER_DNS } from './gateway/pki.js';
import { formatOutcomes, runDemoCalls } from './demo/demo-calls.js';
import { startDemoEnvironment, type DemoEnvironment } from './demo/demo-environment.js';
import { portFromEnv } from './sample-config.js';
import { reportStartFailure } from './service2.js';

/**
 * `npm start`: the whole gateway flow on one machine, with real certificates and real TLS.
 *
 *   npm start               run the scripted calls, then keep running until Ctrl-C
 *   npm start -- --once     run the calls and exit: 0 when every outcome was as expected, else 1
 *                           (also DEMO_ONCE=1)
 *
 * Ports: the gateway 8443 (GATEWAY_SIM_PORT), its key endpoint 8081 (GATEWAY_SIM_JWKS_PORT),
 * Service 2 3000 (PORT); 0 picks a free one.
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter(arg => arg !== '--once');
  if (unknown.length > 0) {
    console.error(`Unknown argument(s): ${unknown.join(' ')}\nUsage: npm start [-- --once]`);
    return 2;
  }
  const once = args.includes('--once') || process.env['DEMO_ONCE'] === '1';
  const env = process.env;
  const demo = await startDemoEnvironment({
    ports: {
      service: portFromEnv(env),
      gateway: portFromEnv({ PORT: env['GATEWAY_SIM_PORT'] ?? '8443' }),
      jwks: portFromEnv({ PORT: env['GATEWAY_SIM_JWKS_PORT'] ?? '8081' }),
    },
  });

  let failed: number;
  try {
    printSetup(demo);
    const outcomes = await runDemoCalls(demo);
    console.log(`\n${formatOutcomes(outcomes)}\n`);
    failed = outcomes.filter(outcome => !outcome.ok).length;
    console.log(failed === 0 ? `All ${outcomes.length} outcomes as expected.` : `${failed} of ${outcomes.length} outcomes NOT as expected.`);
  } catch (error) {
    await demo.close();
    throw error;
  }
  if (once) {
    await demo.close();
    return failed === 0 ? 0 : 1;
  }

  printTryIt(demo);
  // From here on, show the guard's refusals of whatever is sent by hand.
  demo.service.app.useLogger(['error', 'warn']);
  await waitForSignal();
  console.log('\nStopping.');
  await demo.close();
  return failed === 0 ? 0 : 1;
}

function printSetup({ gateway, service, serviceEnv }: DemoEnvironment): void {
  const rows = [
    ['Gateway', `${gateway.publicBaseUrl}/*  (mTLS)  →  ${gateway.upstream}/*  (listen path stripped)`],
    ['', `signs RS256 as iss "${gateway.issuer}", keys (x5c) at ${gateway.jwksUri}`],
    ['Service 2', `${service.url}  GATEWAY_AUDIENCE_BASE=${serviceEnv['GATEWAY_AUDIENCE_BASE']}`],
    ['', `issuer pinned to the signing certificate: GATEWAY_ISSUER_CA_FILE=${relative(process.cwd(), serviceEnv['GATEWAY_ISSUER_CA_FILE'] ?? '')}`],
    ['Service 1', `"${DEMO_CALLER_DNS.service1}" and "${DEMO_CALLER_DNS.escaped}"`],
  ];
  for (const [name, text] of rows) console.log(`${(name as string).padEnd(10)} ${text}`);
}

function printTryIt({ pki, gateway }: DemoEnvironment): void {
  const path = (file: string) => relative(process.cwd(), file) || file;
  console.log('\nEverything keeps running. Call the gateway as Service 1 (Ctrl-C stops):\n');
  console.log(
    `  curl --cert ${path(pki.service1.certPath)} --key ${path(pki.service1.keyPath)} \\\n` +
      `       --cacert ${path(pki.ca.certPath)} ${gateway.publicBaseUrl}/orders\n`,
  );
  console.log(`Try /orders/42, /orders-archive, or leave out --cert to see mTLS refuse the call.`);
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
