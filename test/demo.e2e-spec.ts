import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { DEMO_CALLER_DNS } from '../sample/gateway/pki.js';
import type { MintedToken } from '../sample/gateway/gateway-simulator.js';
import { formatOutcomes, runDemoCalls, type DemoOutcome } from '../sample/demo/demo-calls.js';
import { startDemoEnvironment, type DemoEnvironment } from '../sample/demo/demo-environment.js';
import { callOverMutualTls } from '../sample/demo/service1-client.js';

/** `npm start`'s whole path: Service 1 → gateway (real mTLS) → Service 2, on loopback. */
describe('the end-to-end demo', () => {
  let pkiDir: string;
  let demo: DemoEnvironment;
  let outcomes: DemoOutcome[];
  const forwarded: MintedToken[] = [];

  beforeAll(async () => {
    pkiDir = await mkdtemp(join(tmpdir(), 'gateway-demo-'));
    demo = await startDemoEnvironment({ pkiDir, ports: { gateway: 0, jwks: 0, service: 0 } });
    demo.gateway.onForward(minted => forwarded.push(minted));
    outcomes = await runDemoCalls(demo);
  });

  afterAll(async () => {
    await demo.close();
    await rm(pkiDir, { recursive: true, force: true });
  });

  const outcome = (id: string): DemoOutcome => {
    const found = outcomes.find(candidate => candidate.id === id);
    if (!found) throw new Error(`no outcome ${id}`);
    return found;
  };
  const response = (id: string) => {
    const { result } = outcome(id);
    if (result.kind !== 'response') throw new Error(`${id}: ${result.kind} ${result.reason}`);
    return result;
  };

  it('has every scripted outcome as expected, in order', () => {
    expect(outcomes.map(o => [o.id, o.ok])).toEqual([
      ['service1', true],
      ['escaped-dn', true],
      ['payments-allowed', true],
      ['payments-refused', true],
      ['forged-header', true],
      ['no-certificate', true],
      ['untrusted-ca', true],
      ['bypass', true],
      ['replay', true],
      ['expired', true],
    ]);
    expect(formatOutcomes(outcomes).split('\n').slice(1).every(line => line.startsWith('  ✓'))).toBe(true);
  });

  it('lets service1 through the gateway, and Service 2 sees its DN', () => {
    expect(response('service1')).toMatchObject({ status: 200, servedByGateway: false });
    expect(response('service1').body).toMatchObject({ caller: 'CN=service1,OU=Payments,O=Acme Ltd,C=GB', cn: 'service1' });
  });

  it('passes a DN that needs RFC 4514 escaping through exactly', () => {
    expect(response('escaped-dn').status).toBe(200);
    expect(response('escaped-dn').body).toMatchObject({ caller: 'CN=Smith\\, John,OU=R\\+D,O=Acme Ltd,C=GB', order: { id: '42' } });
  });

  it('lets only the allowed caller see /payments: 403 insufficient_scope for another', () => {
    expect(response('payments-allowed')).toMatchObject({ status: 200, body: { caller: DEMO_CALLER_DNS.service1, cn: 'service1' } });
    expect(response('payments-refused')).toMatchObject({ status: 403, body: { code: 'caller_not_allowed' } });
    expect(response('payments-refused').challenge).toMatch(/^Bearer realm="api", error="insufficient_scope"/);
  });

  it("drops the caller's own Authorization header", () => {
    expect(response('forged-header').status).toBe(200);
    expect(response('forged-header').body).toMatchObject({ caller: DEMO_CALLER_DNS.service1 });
  });

  it('refuses callers without a certificate, or with one from another CA, in the TLS handshake', () => {
    expect(outcome('no-certificate').result).toEqual({ kind: 'tls-refused', reason: expect.any(String) });
    expect(outcome('untrusted-ca').result).toEqual({ kind: 'tls-refused', reason: expect.any(String) });
  });

  it('refuses a direct call to Service 2, a replayed token and an expired one', () => {
    expect(response('bypass')).toMatchObject({ status: 401, challenge: 'Bearer realm="api"', body: { code: 'token_missing' } });
    expect(response('replay')).toMatchObject({ status: 401, body: { code: 'audience_mismatch' } });
    expect(response('replay').challenge).toMatch(/error="invalid_token"/);
    expect(response('expired')).toMatchObject({ status: 401, body: { code: 'token_expired' } });
  });

  it('mints tokens as the problem statement says: iss and sub are RFC 4514 DNs, aud the forwarded URL', () => {
    const minted = forwarded.find(entry => entry.sub === DEMO_CALLER_DNS.escaped);
    expect(minted).toBeDefined();
    const claims = decodeJwt(minted!.token);
    const header = decodeProtectedHeader(minted!.token);
    expect(header).toEqual({ alg: 'RS256', kid: demo.gateway.kid, typ: 'JWT' });
    expect(claims).toEqual({
      iss: 'CN=IAG Signing,O=Example,C=GB',
      sub: 'CN=Smith\\, John,OU=R\\+D,O=Acme Ltd,C=GB',
      aud: `${demo.service.url}/orders/42`,
      iat: expect.any(Number),
      exp: (claims.iat as number) + 60,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('publishes its key with kid, alg, use and x5c, the signing certificate first', async () => {
    const jwks = (await (await fetch(demo.gateway.jwksUri)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys as [Record<string, unknown>];
    expect(key).toMatchObject({ kty: 'RSA', kid: demo.gateway.kid, alg: 'RS256', use: 'sig' });
    const [leaf] = key['x5c'] as [string];
    expect(new X509Certificate(Buffer.from(leaf, 'base64')).subject).toBe('C=GB\nO=Example\nCN=IAG Signing');
  });

  it('answers outside its listen path itself, with 404', async () => {
    const result = await callOverMutualTls(`${demo.gateway.url}/orders`, {
      certPem: demo.pki.service1.certPem,
      keyPem: demo.pki.service1.keyPem,
      caPem: demo.pki.ca.certPem,
    });
    expect(result).toMatchObject({ kind: 'response', status: 404, servedByGateway: true, body: { error: 'no_route' } });
  });
});
