import { verify } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { GatewayJwsAlgorithm } from '../interfaces/gateway-auth-options.interface.js';
import { signTestJwt } from './sign-test-jwt.js';
import { generateTestSigningKey, TEST_SIGNING_ALGORITHMS, type TestSigningKey } from './test-signing-key.js';

const SIGNATURE_BYTES: Partial<Record<GatewayJwsAlgorithm, number>> = { ES256: 64, ES384: 96, ES512: 132, EdDSA: 64 };
const payload = { iss: 'CN=Test Gateway,O=Test', sub: 'CN=svc,O=Test', aud: 'https://api.example.test/orders', exp: 4_102_444_800 };

describe('signTestJwt', () => {
  const keys = new Map<GatewayJwsAlgorithm, TestSigningKey>();
  beforeAll(async () => {
    for (const key of await Promise.all(TEST_SIGNING_ALGORITHMS.map(alg => generateTestSigningKey(alg)))) keys.set(key.alg, key);
  });
  const keyFor = (alg: GatewayJwsAlgorithm): TestSigningKey => keys.get(alg) as TestSigningKey;

  it('covers every algorithm the module verifies', () => {
    expect([...TEST_SIGNING_ALGORITHMS]).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);
  });

  it.each(TEST_SIGNING_ALGORITHMS)('makes a %s token that jose verifies against the published JWK', async alg => {
    const key = keyFor(alg);
    const token = signTestJwt(key, payload);
    const verified = await jwtVerify(token, createLocalJWKSet({ keys: [key.jwk as never] }), { algorithms: [alg] });
    expect(verified.payload).toEqual(payload);
    expect(verified.protectedHeader).toEqual({ alg, kid: key.kid, typ: 'JWT' });
    const expectedBytes = SIGNATURE_BYTES[alg] ?? 256;
    expect(Buffer.from(token.split('.')[2] as string, 'base64url')).toHaveLength(expectedBytes);
  });

  it('publishes a public JWK with kid, alg and use, and no private part', () => {
    for (const alg of TEST_SIGNING_ALGORITHMS) {
      const { jwk, kid } = keyFor(alg);
      expect(jwk).toMatchObject({ kid, alg, use: 'sig' });
      expect(jwk).not.toHaveProperty('d');
      expect(Object.isFrozen(jwk)).toBe(true);
    }
    expect(keyFor('ES512').jwk).toMatchObject({ kty: 'EC', crv: 'P-521' });
    expect(keyFor('EdDSA').jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(keyFor('PS256').jwk.kty).toBe('RSA');
  });

  it('signs EdDSA with Ed448 on request', async () => {
    const key = await generateTestSigningKey('EdDSA', { curve: 'Ed448', kid: 'ed448' });
    expect(key.jwk).toMatchObject({ kty: 'OKP', crv: 'Ed448', kid: 'ed448' });
    const token = signTestJwt(key, payload);
    const [header, body, signature] = token.split('.') as [string, string, string];
    expect(verify(null, Buffer.from(`${header}.${body}`), key.publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
  });

  it('writes header parameters on top, leaving out undefined ones, and signs under a spread kid', () => {
    const key = keyFor('RS256');
    expect(decodeProtectedHeader(signTestJwt(key, payload, { typ: 'at+jwt', x5t: 'abc' }))).toEqual({ alg: 'RS256', kid: key.kid, typ: 'at+jwt', x5t: 'abc' });
    expect(decodeProtectedHeader(signTestJwt(key, payload, { typ: undefined, kid: undefined }))).toEqual({ alg: 'RS256' });
    expect(decodeProtectedHeader(signTestJwt({ ...key, kid: 'other' }, payload)).kid).toBe('other');
  });

  it('writes the payload exactly as given, invalid claims included', () => {
    const token = signTestJwt(keyFor('ES256'), { sub: 42, exp: 'tomorrow' });
    expect(JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString())).toEqual({ sub: 42, exp: 'tomorrow' });
  });

  it('refuses a header alg other than the key', () => {
    expect(() => signTestJwt(keyFor('RS256'), payload, { alg: 'HS256' })).toThrow(
      /signTestJwt\(\): header\.alg "HS256" differs from the key's RS256/,
    );
    expect(() => signTestJwt(keyFor('RS256'), payload, { alg: 'RS256' })).not.toThrow();
  });

  it('refuses a key that cannot sign its algorithm, and what is not a key', () => {
    expect(() => signTestJwt({ ...keyFor('RS256'), alg: 'ES256' }, payload)).toThrow(/the key cannot sign ES256: ES256 needs an EC key on prime256v1, the key is rsa/);
    expect(() => signTestJwt({ ...keyFor('ES384'), alg: 'ES256' }, payload)).toThrow(/ES256 needs an EC key on prime256v1, the key is ec secp384r1/);
    expect(() => signTestJwt({ ...keyFor('EdDSA'), alg: 'RS256' }, payload)).toThrow(/RS256 needs an RSA key, the key is ed25519/);
    expect(() => signTestJwt({ ...keyFor('RS256'), alg: 'HS256' as never }, payload)).toThrow(/key\.alg must be one of RS256, .*refuses HMAC/);
    expect(() => signTestJwt({ ...keyFor('RS256'), privateKey: keyFor('RS256').publicKey }, payload)).toThrow(/key must be a TestSigningKey/);
    expect(() => signTestJwt(undefined as never, payload)).toThrow(/key must be a TestSigningKey/);
  });

  it('refuses a payload or header that is not a plain object', () => {
    expect(() => signTestJwt(keyFor('RS256'), [] as never)).toThrow('nestjs-gateway-auth/testing: signTestJwt(): payload must be a plain object, got []');
    expect(() => signTestJwt(keyFor('RS256'), payload, 'typ' as never)).toThrow(/header must be a plain object, got "typ"/);
  });
});

describe('generateTestSigningKey', () => {
  it('defaults to RS256 with a random kid', async () => {
    const [a, b] = await Promise.all([generateTestSigningKey(), generateTestSigningKey()]);
    expect(a.alg).toBe('RS256');
    expect(a.kid).toMatch(/^rs256-[0-9a-f]{8}$/);
    expect(a.kid).not.toBe(b.kid);
    expect(a.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('refuses what it cannot make, with the reason', async () => {
    await expect(generateTestSigningKey('HS256' as never)).rejects.toThrow(
      /generateTestSigningKey\(\): algorithm must be one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, got "HS256" \(a gateway signs with a private key/,
    );
    await expect(generateTestSigningKey('none' as never)).rejects.toThrow(/refuses HMAC and unsigned tokens/);
    await expect(generateTestSigningKey('ES256', { curve: 'Ed448' })).rejects.toThrow(/curve is for EdDSA keys only/);
    await expect(generateTestSigningKey('EdDSA', { curve: 'X25519' as never })).rejects.toThrow(/curve must be 'Ed25519' or 'Ed448', got "X25519"/);
    await expect(generateTestSigningKey('RS256', { kid: '' })).rejects.toThrow(/kid must be a non-empty string/);
    await expect(generateTestSigningKey('RS256', { kidd: 'x' } as never)).rejects.toThrow(/unknown option "kidd" \(known: kid, curve\)/);
  });
});
