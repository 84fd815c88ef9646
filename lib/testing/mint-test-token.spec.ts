import { decodeJwt, decodeProtectedHeader } from 'jose';
import { mintTestToken } from './mint-test-token.js';
import { generateTestSigningKey, type TestSigningKey } from './test-signing-key.js';

let key: TestSigningKey;
beforeAll(async () => {
  key = await generateTestSigningKey('ES256', { kid: 'mint-1' });
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('mintTestToken', () => {
  it('adds iat, exp (+60 s) and a random jti to the claims, nothing else', () => {
    const before = nowSeconds();
    const token = mintTestToken(key, { iss: 'CN=gw', sub: 'CN=svc', aud: 'https://api.example.test/x' });
    const claims = decodeJwt(token);
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'sub']);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.exp).toBe((claims.iat as number) + 60);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeJwt(mintTestToken(key)).jti).not.toBe(claims.jti);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'mint-1', typ: 'JWT' });
  });

  it('lets claims replace the defaults, and omit remove any', () => {
    const claims = decodeJwt(mintTestToken(key, { iat: 5, exp: 10, jti: 'mine', scope: 'orders:read' }, { omit: ['jti', 'scope'] }));
    expect(claims).toEqual({ iat: 5, exp: 10 });
  });

  it('puts exp and nbf relative to now', () => {
    const now = nowSeconds();
    const expired = decodeJwt(mintTestToken(key, {}, { expiresIn: -600 }));
    expect(expired.exp).toBeGreaterThanOrEqual(now - 600);
    expect(expired.exp).toBeLessThanOrEqual(now - 599);
    const later = decodeJwt(mintTestToken(key, {}, { notBefore: 300 }));
    expect(later.nbf).toBe((later.iat as number) + 300);
    // Valid for the lifetime once it becomes valid.
    expect(later.exp).toBe((later.iat as number) + 360);
    const both = decodeJwt(mintTestToken(key, {}, { notBefore: 10, expiresIn: 20 }));
    expect([both.nbf, both.exp]).toEqual([(both.iat as number) + 10, (both.iat as number) + 20]);
  });

  it('passes header parameters to the signer', () => {
    expect(decodeProtectedHeader(mintTestToken(key, {}, { header: { typ: 'at+jwt' } })).typ).toBe('at+jwt');
  });

  it('refuses contradictory or malformed options with a message naming them', () => {
    const prefix = 'nestjs-gateway-auth/testing: mintTestToken(): ';
    expect(() => mintTestToken(key, { exp: 1 }, { expiresIn: 60 })).toThrow(`${prefix}give claims.exp or options.expiresIn, not both`);
    expect(() => mintTestToken(key, { nbf: 1 }, { notBefore: 60 })).toThrow(`${prefix}give claims.nbf or options.notBefore, not both`);
    expect(() => mintTestToken(key, {}, { expiresIn: Number.NaN })).toThrow(`${prefix}expiresIn must be a finite number (seconds), got NaN`);
    expect(() => mintTestToken(key, {}, { expiresIn: '60' as never })).toThrow(`${prefix}expiresIn must be a finite number (seconds), got "60"`);
    expect(() => mintTestToken(key, {}, { omit: 'exp' as never })).toThrow(`${prefix}omit must be a list of claim names, got "exp"`);
    expect(() => mintTestToken(key, {}, { expiresin: 60 } as never)).toThrow(`${prefix}unknown option "expiresin" (known: header, expiresIn, notBefore, omit)`);
    expect(() => mintTestToken(key, 'claims' as never)).toThrow(`${prefix}claims must be a plain object, got "claims"`);
  });
});
