import { createJwsInspector, inspectCompactJws, inspectToken, normalizeTyp, peekForLog } from './token-inspection.util.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const rules = { maxTokenLength: 1000, algorithms: ['RS256', 'ES256'], typ: undefined };
const token = (header: unknown, payload: unknown = {}, signature = 'c2ln') => `${b64(header)}.${b64(payload)}.${signature}`;

describe('inspectToken', () => {
  it('returns the header of a well-formed token', () => {
    expect(inspectToken(token({ alg: 'RS256', kid: 'k' }), rules)).toEqual({ alg: 'RS256', kid: 'k' });
  });

  it('checks the size first, before decoding anything', () => {
    expect(() => inspectToken('x'.repeat(1001), rules)).toThrow(expect.objectContaining({ code: 'token_too_large', length: 1001, limit: 1000 }));
  });

  it.each([
    ['too few parts', 'a.b'],
    ['too many parts', 'a.b.c.d'],
    ['non-base64url header', `h*ader.${b64({})}.c2ln`],
    ['header that decodes to a string', `${b64('x')}.${b64({})}.c2ln`],
    ['header null', `${b64(null)}.${b64({})}.c2ln`],
    ['payload not JSON', `${b64({ alg: 'RS256' })}.bm90IGpzb24.c2ln`],
    ['kid not a string', token({ alg: 'RS256', kid: 7 })],
    ['typ not a string', token({ alg: 'RS256', typ: ['JWT'] })],
    ['signature with padding', token({ alg: 'RS256' }, {}, 'c2ln==')],
  ])('refuses a malformed token: %s', (_label, value) => {
    expect(() => inspectToken(value, rules)).toThrow(expect.objectContaining({ code: 'token_malformed' }));
  });

  it.each([[{}], [{ alg: 'none' }], [{ alg: 'HS256' }], [{ alg: 'RS384' }], [{ alg: 1 }]])('refuses the algorithm of %j', header => {
    expect(() => inspectToken(token(header), rules)).toThrow(expect.objectContaining({ code: 'algorithm_not_allowed' }));
  });

  it('checks typ only when configured', () => {
    const typed = { ...rules, typ: ['at+jwt'] };
    expect(inspectToken(token({ alg: 'RS256', typ: 'application/at+JWT' }), typed).typ).toBe('application/at+JWT');
    expect(() => inspectToken(token({ alg: 'RS256', typ: 'JWT' }), typed)).toThrow(expect.objectContaining({ code: 'typ_mismatch' }));
    expect(() => inspectToken(token({ alg: 'RS256' }), typed)).toThrow(expect.objectContaining({ code: 'typ_mismatch' }));
  });
});

describe('normalizeTyp', () => {
  it('lower-cases and drops application/', () => {
    expect(normalizeTyp('Application/AT+JWT')).toBe('at+jwt');
    expect(normalizeTyp('JWT')).toBe('jwt');
  });
});

describe('peekForLog', () => {
  it('reads kid, iss and sub without verifying, and nothing from garbage', () => {
    expect(peekForLog(token({ alg: 'RS256', kid: 'k' }, { iss: 'i', sub: 's', secret: 'x' }))).toEqual({ kid: 'k', iss: 'i', sub: 's' });
    expect(peekForLog('garbage')).toEqual({ kid: undefined, iss: undefined, sub: undefined });
  });
});

describe('createJwsInspector (headers that passed are remembered)', () => {
  it('still decodes and checks the payload and signature of every token with a remembered header', () => {
    const inspect = createJwsInspector(rules);
    const header = { alg: 'RS256', kid: 'k' };
    expect(inspect(token(header, { n: 1 })).payload).toEqual({ n: 1 });
    expect(inspect(token(header, { n: 2 })).payload).toEqual({ n: 2 });
    const [headerPart] = token(header).split('.');
    expect(() => inspect(`${headerPart}.bm90IGpzb24.c2ln`)).toThrow(expect.objectContaining({ code: 'token_malformed' }));
    expect(() => inspect(token(header, {}, 'c2ln=='))).toThrow(expect.objectContaining({ code: 'token_malformed' }));
    expect(() => inspect('x'.repeat(1001))).toThrow(expect.objectContaining({ code: 'token_too_large' }));
  });

  it('never remembers a header that failed: it fails every time', () => {
    const inspect = createJwsInspector(rules);
    for (let i = 0; i < 3; i++) {
      expect(() => inspect(token({ alg: 'HS256', kid: 'k' }))).toThrow(expect.objectContaining({ code: 'algorithm_not_allowed' }));
      expect(() => inspect(token({ alg: 'RS256', crit: ['exp'] }))).toThrow(expect.objectContaining({ code: 'header_unsupported' }));
    }
  });

  it('answers as inspectCompactJws does, for more distinct headers than it keeps, and hands out frozen headers', () => {
    const inspect = createJwsInspector(rules);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 100; i++) {
        const value = token({ alg: i % 2 ? 'RS256' : 'ES256', kid: `k${i}` }, { i });
        const inspected = inspect(value);
        expect(inspected).toEqual(inspectCompactJws(value, rules));
        expect(Object.isFrozen(inspected.header)).toBe(true);
      }
    }
  });
});
