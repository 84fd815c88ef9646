import {
  audienceMatches,
  normalizeAudience,
  normalizePercentEncoding,
  parseHttpUri,
  removeDotSegments,
  routeAudience,
} from './audience.util.js';

describe('normalizeAudience (RFC 3986 §6.2.2–6.2.3)', () => {
  it.each([
    ['HTTPS://API.Example.COM/orders', 'https://api.example.com/orders'],
    ['https://api.example.com:443/orders', 'https://api.example.com/orders'],
    ['http://api.example.com:80/orders', 'http://api.example.com/orders'],
    ['https://api.example.com:8443/orders', 'https://api.example.com:8443/orders'],
    ['https://api.example.com:/orders', 'https://api.example.com/orders'],
    ['https://api.example.com', 'https://api.example.com/'],
    ['https://api.example.com/orders?x=1#top', 'https://api.example.com/orders'],
    ['https://api.example.com/%7Eowner/%41b', 'https://api.example.com/~owner/Ab'],
    ['https://api.example.com/a%2fb', 'https://api.example.com/a%2Fb'],
    ['https://api.example.com/a/./b/../c', 'https://api.example.com/a/c'],
    ['https://api.example.com/caf\u00e9', 'https://api.example.com/caf%C3%A9'],
    ['https://[::1]:443/x', 'https://[::1]/x'],
    ['urn:example:orders', 'urn:example:orders'],
    ['orders-api', 'orders-api'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeAudience(input)).toBe(expected);
  });

  it('keeps the trailing slash significant', () => {
    expect(normalizeAudience('https://a.example/orders/')).not.toBe(normalizeAudience('https://a.example/orders'));
  });

  it('is idempotent', () => {
    for (const uri of ['HTTPS://A.example:443/x/%7e/./y/../z?q', 'http://h/%zz/a b']) {
      const once = normalizeAudience(uri);
      expect(normalizeAudience(once)).toBe(once);
    }
  });
});

describe('parseHttpUri', () => {
  it.each(['ftp://a.example/x', 'https://user@a.example/x', 'https://a.example:99999/', 'https:///x', '/relative', 'https://a.example:12ab/'])(
    'refuses %s',
    uri => expect(parseHttpUri(uri)).toBeUndefined(),
  );
});

describe('removeDotSegments (RFC 3986 §5.2.4)', () => {
  it.each([
    ['/a/b/c/./../../g', '/a/g'],
    ['/..', '/'],
    ['/a/..', '/'],
    ['/a/.', '/a/'],
    ['/a/b/..', '/a/'],
    ['/a//b', '/a//b'],
  ])('%s → %s', (input, expected) => expect(removeDotSegments(input)).toBe(expected));
});

describe('normalizePercentEncoding', () => {
  it('decodes unreserved characters, upper-cases the rest and encodes what may not stand in a path', () => {
    expect(normalizePercentEncoding('/%61%2d%2e%5f%7e%2f%3a')).toBe('/a-._~%2F%3A');
    expect(normalizePercentEncoding('/a b%')).toBe('/a%20b%25');
    expect(normalizePercentEncoding('/\u{1F600}')).toBe('/%F0%9F%98%80');
  });
});

describe('routeAudience', () => {
  const base = parseHttpUri('https://api.example.com') as NonNullable<ReturnType<typeof parseHttpUri>>;
  const stripped = parseHttpUri('https://gw.example.com/service2/') as NonNullable<ReturnType<typeof parseHttpUri>>;

  it('joins the base URL and the path, dropping the query', () => {
    expect(routeAudience(base, '/orders/42?x=1')).toBe('https://api.example.com/orders/42');
    expect(routeAudience(stripped, '/orders')).toBe('https://gw.example.com/service2/orders');
  });

  it.each(['/orders/..', '/orders/%2E%2E/admin', '/./orders', '/orders/%2e', 'http://evil.example/orders', '*', ''])(
    'derives nothing from %s',
    target => expect(routeAudience(base, target)).toBeUndefined(),
  );
});

describe('audienceMatches (RFC 7519 §4.1.3)', () => {
  const required = ['https://api.example.com/orders'];
  it('matches a string or any element of an array', () => {
    expect(audienceMatches('https://API.example.com/orders', required)).toBe(true);
    expect(audienceMatches(['urn:x', 'https://api.example.com:443/orders'], required)).toBe(true);
  });
  it('refuses other paths, siblings and empty lists', () => {
    expect(audienceMatches('https://api.example.com/orders/42', required)).toBe(false);
    expect(audienceMatches('https://api.example.com/orders-archive', required)).toBe(false);
    expect(audienceMatches('https://api.example.com/orders', [])).toBe(false);
    expect(audienceMatches([], required)).toBe(false);
  });
});
