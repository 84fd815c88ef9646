import fc from 'fast-check';
import {
  canonicalDn,
  dnEquals,
  DnSyntaxError,
  formatDistinguishedName,
  parseDn,
  parseOpenSslDn,
  resolveAttributeType,
  type DistinguishedName,
  type DnAttributeValue,
  type DnRdn,
} from './dn.util.js';

const ALIASES = [
  'CN', 'commonName', 'SN', 'surname', 'serialNumber', 'C', 'countryName', 'L', 'localityName',
  'ST', 'S', 'stateOrProvinceName', 'STREET', 'streetAddress', 'O', 'organizationName', 'OU',
  'organizationalUnitName', 'title', 'postalCode', 'GN', 'givenName', 'initials',
  'generationQualifier', 'dnQualifier', 'pseudonym', 'organizationIdentifier', 'DC',
  'domainComponent', 'UID', 'userid', 'emailAddress', 'E', 'email',
] as const;

const SPECIALS = [',', '+', '"', '\\', '<', '>', ';', '=', '#', ' ', ' ', '\0', '\n', '\u2028'];

const knownType = fc
  .constantFrom(...ALIASES)
  .chain(alias => fc.constantFrom(alias, alias.toLowerCase(), alias.toUpperCase()));

const oidType = fc
  .tuple(fc.constantFrom('0', '1', '2'), fc.array(fc.nat({ max: 2 ** 31 }), { minLength: 1, maxLength: 6 }))
  .map(([first, rest]) => [first, ...rest].join('.'));

/** Arbitrary Unicode, or text made mostly of the characters RFC 4514 treats specially. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.oneof(fc.constantFrom(...SPECIALS, 'a', 'Z', 'ä', 'ß', 'Σ', '😀'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 12 }),
);

function attribute(type: string, value: string, ber?: Uint8Array): DnAttributeValue {
  const resolved = resolveAttributeType(type);
  if (resolved === undefined) {
    throw new Error(`bad generated type ${type}`);
  }
  const base = { type, name: resolved.name, oid: resolved.oid, value };
  return ber === undefined ? base : { ...base, ber };
}

const tlv = (tag: number, content: Uint8Array): Uint8Array =>
  Uint8Array.from([tag, content.length, ...content]);

const textAttribute = (types: fc.Arbitrary<string>): fc.Arbitrary<DnAttributeValue> =>
  fc.tuple(types, text).map(([type, value]) => attribute(type, value));

const berAttribute = (types: fc.Arbitrary<string>): fc.Arbitrary<DnAttributeValue> =>
  fc.oneof(
    fc
      .tuple(types, fc.string({ unit: 'binary', maxLength: 20 }))
      .map(([type, value]) => attribute(type, value, tlv(0x0c, new TextEncoder().encode(value)))),
    fc
      .tuple(types, fc.uint8Array({ maxLength: 40 }))
      .map(([type, bytes]) => attribute(type, '', tlv(0x04, bytes))),
  );

const anyType = fc.oneof(knownType, oidType);

const dnOf = (attributes: fc.Arbitrary<DnAttributeValue>): fc.Arbitrary<DistinguishedName> =>
  fc
    .array(fc.array(attributes, { minLength: 1, maxLength: 3 }), { maxLength: 5 })
    .map(rdns => ({ rdns }));

const anyDn = dnOf(fc.oneof({ weight: 4, arbitrary: textAttribute(anyType) }, { weight: 1, arbitrary: berAttribute(anyType) }));

/** DNs whose values all compare case-insensitively (known types, text values). */
const knownTextDn = dnOf(textAttribute(knownType));

const mapValues = (dn: DistinguishedName, f: (a: DnAttributeValue) => DnAttributeValue): DistinguishedName => ({
  rdns: dn.rdns.map(rdn => rdn.map(f)),
});

/**
 * `toUpperCase` on text that is not in NFC can move a combining mark to another base letter
 * (`ᾳ` + U+0301 upper-cases to `ἈΊ`, the acute now on the iota): that is a different name, not
 * the same one in other case. So the value is upper-cased after NFC, as a person retyping it would.
 */
const upperCased = (dn: DistinguishedName): DistinguishedName =>
  mapValues(dn, a => ({ ...a, value: a.value.normalize('NFC').toUpperCase() }));

/** Pairs that are equal, nearly equal or different, so that both answers are exercised. */
const dnPair: fc.Arbitrary<readonly [DistinguishedName, DistinguishedName]> = anyDn.chain(a =>
  fc
    .oneof(
      fc.constant(a),
      fc.constant(upperCased(a)),
      fc.constant(mapValues(a, x => (x.ber === undefined ? { ...x, value: ` ${x.value}  ` } : x))),
      fc.constant({ rdns: [...a.rdns].reverse() }),
      fc.constant({ rdns: a.rdns.map(rdn => [...rdn].reverse()) }),
      fc.constant({ rdns: a.rdns.slice(1) }),
      anyDn,
      text.map(value => mapValues(a, x => (x.ber === undefined ? { ...x, value } : x))),
    )
    .map(b => [a, b] as const),
);

const plain = (dn: DistinguishedName): unknown =>
  dn.rdns.map(rdn => rdn.map(({ name, oid, value, ber }) => ({ name, oid, value, ber })));

/**
 * OpenSSL's one-line form of a DN (certificate order), as `X509_NAME_oneline` writes it: `\xHH`
 * UTF-8 bytes for non-ASCII and control characters when `hexNonAscii`, raw UTF-8 otherwise.
 */
function toOpenSsl(dn: DistinguishedName, hexNonAscii: boolean): string {
  const escape = (value: string): string =>
    [...value]
      .map(ch =>
        '/+=\\'.includes(ch)
          ? `\\${ch}`
          : ch === '\0' || (hexNonAscii && (ch < ' ' || ch > '~'))
            ? [...new TextEncoder().encode(ch)].map(b => `\\x${b.toString(16).padStart(2, '0')}`).join('')
            : ch,
      )
      .join('');
  return [...dn.rdns]
    .reverse()
    .map(rdn => `/${rdn.map(a => `${a.name}=${escape(a.value)}`).join('+')}`)
    .join('');
}

/** Strings close enough to DNs to reach deep into the parsers, plus arbitrary Unicode. */
const dnLike = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({
    unit: fc.oneof(
      fc.constantFrom(...SPECIALS, '/', 'CN', 'cn', 'E', 'UID', '2.5.4.3', '1.2.3', '=', '\\', '\\x', '\\C3', '\\A4', '#04', '#0C', '02', '80', 'a', ' '),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
    maxLength: 30,
  }),
  fc
    .oneof(anyDn.map(formatDistinguishedName), knownTextDn.map(dn => toOpenSsl(dn, true)))
    .chain(dn => fc.nat({ max: dn.length }).map(cut => dn.slice(0, cut))),
);

describe('distinguished names (properties)', () => {
  it('parseDn(formatDistinguishedName(dn)) gives back dn', () => {
    fc.assert(
      fc.property(anyDn, dn => {
        const parsed = parseDn(formatDistinguishedName(dn));
        expect(plain(parsed)).toEqual(plain(dn));
        expect(dnEquals(parsed, dn)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('formatting is a fixed point after one round', () => {
    fc.assert(
      fc.property(anyDn, dn => {
        const once = formatDistinguishedName(dn);
        expect(formatDistinguishedName(parseDn(once))).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('dnEquals is reflexive', () => {
    fc.assert(
      fc.property(anyDn, dn => {
        expect(dnEquals(dn, dn)).toBe(true);
        expect(dnEquals(dn, parseDn(formatDistinguishedName(dn)))).toBe(true);
      }),
    );
  });

  it('dnEquals is symmetric and agrees with canonicalDn', () => {
    fc.assert(
      fc.property(dnPair, ([a, b]) => {
        const equal = dnEquals(a, b);
        expect(dnEquals(b, a)).toBe(equal);
        expect(canonicalDn(a) === canonicalDn(b)).toBe(equal);
      }),
      { numRuns: 1000 },
    );
  });

  it('canonicalDn is itself a DN with the same key', () => {
    fc.assert(
      fc.property(anyDn, dn => {
        expect(canonicalDn(parseDn(canonicalDn(dn)))).toBe(canonicalDn(dn));
      }),
    );
  });

  it('upper-casing the values of known types keeps equality', () => {
    fc.assert(
      fc.property(knownTextDn, dn => {
        expect(dnEquals(dn, upperCased(dn))).toBe(true);
        expect(dnEquals(parseDn(formatDistinguishedName(upperCased(dn))), dn)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('permuting the attributes of an RDN keeps equality', () => {
    const permuted = (rdn: DnRdn): fc.Arbitrary<DnRdn> =>
      fc.shuffledSubarray([...rdn], { minLength: rdn.length, maxLength: rdn.length });
    fc.assert(
      fc.property(
        anyDn.chain(dn => fc.tuple(fc.constant(dn), fc.tuple(...dn.rdns.map(permuted)))),
        ([dn, rdns]) => {
          expect(dnEquals(dn, { rdns })).toBe(true);
          expect(canonicalDn({ rdns })).toBe(canonicalDn(dn));
        },
      ),
    );
  });

  it('swapping two different RDNs breaks equality', () => {
    fc.assert(
      fc.property(anyDn, dn => {
        const [first, second, ...rest] = dn.rdns;
        fc.pre(first !== undefined && second !== undefined && !dnEquals({ rdns: [first] }, { rdns: [second] }));
        if (first !== undefined && second !== undefined) {
          expect(dnEquals(dn, { rdns: [second, first, ...rest] })).toBe(false);
        }
      }),
    );
  });

  it('parseOpenSslDn reads the one-line form back, raw or with \\xHH escapes', () => {
    const textDn = dnOf(textAttribute(anyType));
    fc.assert(
      fc.property(textDn, fc.boolean(), (dn, hexNonAscii) => {
        fc.pre(dn.rdns.length > 0);
        const parsed = parseOpenSslDn(toOpenSsl(dn, hexNonAscii));
        expect(plain(parsed)).toEqual(plain(dn));
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['parseDn', parseDn],
    ['parseOpenSslDn', parseOpenSslDn],
  ] as const)('%s only ever throws DnSyntaxError, and what it parses formats and parses again', (_, parse) => {
    fc.assert(
      fc.property(fc.oneof(dnLike, dnLike.map(s => `/${s}`)), input => {
        let dn: DistinguishedName;
        try {
          dn = parse(input);
        } catch (error: unknown) {
          expect(error).toBeInstanceOf(DnSyntaxError);
          if (error instanceof DnSyntaxError) {
            expect(error.position).toBeGreaterThanOrEqual(0);
            expect(error.position).toBeLessThanOrEqual(input.length);
            expect(error.message.length).toBeLessThanOrEqual(200);
            expect(error.message).not.toMatch(/[\n\r\u2028\u2029]/);
          }
          return;
        }
        expect(dnEquals(parseDn(formatDistinguishedName(dn)), dn)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
