import { extractToken } from './token-extractor.util.js';

const withHeaders = (headers: Record<string, string | string[]>) => ({ headers });

describe('extractToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc.def.ghi', 'abc.def.ghi'],
    ['BEARER   abc.def.ghi  ', 'abc.def.ghi'],
    ['Bearer a-b_c.d+e/f.g==', 'a-b_c.d+e/f.g=='],
  ])('finds the token in Authorization: %s', (value, token) => {
    expect(extractToken(withHeaders({ authorization: value }), 'authorization')).toEqual({ kind: 'found', token });
  });

  it.each([[{}], [{ authorization: '' }], [{ authorization: 'Basic dXNlcjpwYXNz' }], [{ authorization: 'Bearerabc' }]])(
    'reports a missing token for %j',
    headers => expect(extractToken(withHeaders(headers), 'authorization')).toEqual({ kind: 'missing' }),
  );

  it.each(['Bearer', 'Bearer a b', 'Bearer a,b', 'Bearer "a"'])('reports %s as malformed', value => {
    expect(extractToken(withHeaders({ authorization: value }), 'authorization')).toEqual({ kind: 'malformed' });
  });

  it('reads a custom header holding a raw token or a bearer token', () => {
    expect(extractToken(withHeaders({ 'x-jwt': 'a.b.c' }), 'x-jwt')).toEqual({ kind: 'found', token: 'a.b.c' });
    expect(extractToken(withHeaders({ 'x-jwt': 'Bearer a.b.c' }), 'x-jwt')).toEqual({ kind: 'found', token: 'a.b.c' });
    expect(extractToken(withHeaders({ 'x-jwt': 'a.b.c, d.e.f' }), 'x-jwt')).toEqual({ kind: 'malformed' });
    expect(extractToken(withHeaders({ 'x-jwt': ['a.b.c', 'd.e.f'] }), 'x-jwt')).toEqual({ kind: 'malformed' });
    expect(extractToken(withHeaders({ authorization: 'Bearer a.b.c' }), 'x-jwt')).toEqual({ kind: 'missing' });
  });
});
