import fc from 'fast-check';
import { audienceCovers, audienceMatches, normalizeAudience } from './audience.util.js';

const UNRESERVED = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~';
/** A path segment of unreserved characters, never `.` or `..` (those are dot-segments). */
const segment = fc
  .string({ unit: fc.constantFrom(...UNRESERVED.split('')), minLength: 1, maxLength: 8 })
  .filter(value => value !== '.' && value !== '..');
const host = fc.domain();
const scheme = fc.constantFrom('http', 'https');

interface UriParts {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly segments: readonly string[];
}
const uriParts: fc.Arbitrary<UriParts> = fc.record({ scheme, host, segments: fc.array(segment, { maxLength: 5 }) });
const plain = (parts: UriParts): string => `${parts.scheme}://${parts.host}/${parts.segments.join('/')}`;

/** The same URI written differently, but equivalently per RFC 3986 §6.2.2–6.2.3. */
const equivalentSpelling = (parts: UriParts) =>
  fc.record({ upperScheme: fc.boolean(), upperHost: fc.boolean(), defaultPort: fc.boolean(), lowerHex: fc.boolean(), encode: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), dotSegment: fc.boolean(), query: fc.boolean() })
    .map(choice => {
      let i = 0;
      const path = parts.segments
        .map(seg =>
          [...seg]
            .map(ch => {
              if (!choice.encode[i++ % 64]) return ch;
              const hex = ch.charCodeAt(0).toString(16).padStart(2, '0');
              return `%${choice.lowerHex ? hex.toLowerCase() : hex.toUpperCase()}`;
            })
            .join(''),
        )
        .join('/');
      const schemeText = choice.upperScheme ? parts.scheme.toUpperCase() : parts.scheme;
      const hostText = choice.upperHost ? parts.host.toUpperCase() : parts.host;
      const port = choice.defaultPort ? (parts.scheme === 'https' ? ':443' : ':80') : '';
      const dots = choice.dotSegment ? 'x/../' : '';
      return `${schemeText}://${hostText}${port}/${dots}${path}${choice.query ? '?q=1#frag' : ''}`;
    });

describe('audience normalisation (properties)', () => {
  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.string()), uri => {
        const once = normalizeAudience(uri);
        expect(normalizeAudience(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });

  it('makes equivalent spellings of a URI compare equal', () => {
    fc.assert(
      fc.property(uriParts.chain(parts => fc.tuple(fc.constant(parts), equivalentSpelling(parts))), ([parts, variant]) => {
        expect(normalizeAudience(variant)).toBe(normalizeAudience(plain(parts)));
        expect(audienceMatches(variant, [normalizeAudience(plain(parts))])).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('never lets a prefix match across a segment boundary', () => {
    const notSlash = fc.constantFrom(...'abcXYZ019-._~'.split(''));
    fc.assert(
      fc.property(uriParts, notSlash, fc.array(segment, { maxLength: 3 }), (parts, extra, tail) => {
        fc.pre(parts.segments.length > 0);
        const base = plain(parts);
        const sibling = `${base}${extra}${tail.length ? `/${tail.join('/')}` : ''}`;
        expect(audienceCovers(base, normalizeAudience(sibling))).toBe(false);
        const child = `${base}/${tail.join('/')}`;
        expect(audienceCovers(base, normalizeAudience(child))).toBe(true);
        expect(audienceCovers(base, normalizeAudience(base))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
