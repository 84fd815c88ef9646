import { createServer, type AddressInfo } from 'node:net';
import type { LogLevel } from '@nestjs/common';
import { ensureDemoPki, type DemoPki } from '../gateway/pki.js';
import { startGatewaySimulator, type GatewaySimulator } from '../gateway/gateway-simulator.js';
import { startService2, type Service2 } from '../service2.js';

/** Ports of the demo; 0 picks a free one (the tests do). */
export interface DemoPorts {
  /** The gateway's mTLS port. @default 8443 */
  readonly gateway?: number;
  /** The gateway's key endpoint (JWKS). @default 8081 */
  readonly jwks?: number;
  /** Service 2. @default 3000 */
  readonly service?: number;
}

export interface DemoEnvironmentOptions {
  readonly ports?: DemoPorts;
  /** Where the PKI is kept. @default sample/.pki */
  readonly pkiDir?: string;
  /** Service 2's Nest log levels. @default ['error'] */
  readonly serviceLogLevels?: LogLevel[];
}

/** The whole flow on one machine: the PKI, the gateway simulator and Service 2 behind it. */
export interface DemoEnvironment {
  readonly pki: DemoPki;
  readonly gateway: GatewaySimulator;
  readonly service: Service2;
  /** The environment Service 2 was configured with, as an operator would set it. */
  readonly serviceEnv: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * Starts the gateway (listen path `/service2`, stripped, forwarding to Service 2) and Service 2
 * configured the way an operator would: JWKS from the gateway, the issuer pinned to the gateway's
 * signing certificate (chaining to the test CA), audience base = the upstream URL the gateway
 * forwards to (this gateway puts the forwarded URL in `aud`).
 */
export async function startDemoEnvironment(options: DemoEnvironmentOptions = {}): Promise<DemoEnvironment> {
  const pki = await ensureDemoPki(options.pkiDir);
  const servicePort = await resolvePort(options.ports?.service ?? 3000);
  const gateway = await startGatewaySimulator({
    pki,
    port: options.ports?.gateway ?? 8443,
    jwksPort: options.ports?.jwks ?? 8081,
    listenPath: '/service2',
    stripListenPath: true,
    upstream: `http://${HOST}:${servicePort}`,
  });
  // The issuer is pinned to the gateway's signing certificate (its JWKS key carries it in x5c):
  // Service 2 trusts the CA, not a copied-in issuer string.
  const serviceEnv = {
    GATEWAY_JWKS_URI: gateway.jwksUri,
    GATEWAY_ISSUER_CA_FILE: pki.ca.certPath,
    GATEWAY_AUDIENCE_BASE: gateway.upstream,
  };
  let service: Service2;
  try {
    service = await startService2({
      env: serviceEnv,
      port: servicePort,
      host: HOST,
      logLevels: options.serviceLogLevels ?? ['error'],
    });
  } catch (error) {
    await gateway.close();
    throw error;
  }
  return {
    pki,
    gateway,
    service,
    serviceEnv,
    close: async () => {
      await gateway.close();
      await service.close();
    },
  };
}

/** Port 0 means any free port; the gateway must know Service 2's port before it starts. */
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
