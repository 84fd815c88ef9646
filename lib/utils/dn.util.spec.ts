import {
  attributeTypeName,
  canonicalDn,
  dnEquals,
  DnSyntaxError,
  escapeDnValue,
  formatDistinguishedName,
  formatDn,
  parseDn,
  parseOpenSslDn,
  resolveAttributeType,
  type DistinguishedName,
} from './dn.util.js';

const r = String.raw;

/** The parsed RDNs as `[name, value]` pairs, for compact expectations. */
type Pairs = readonly (readonly (readonly [string, string])[])[];
const pairs = (dn: DistinguishedName): Pairs =>
  dn.rdns.map(rdn => rdn.map(attribute => [attribute.name, attribute.value] as const));

/** An RFC 4514 string, or OpenSSL's one-line form when it starts with `/`. */
const anyDn = (text: string): DistinguishedName =>
  text.startsWith('/') ? parseOpenSslDn(text) : parseDn(text);

function syntaxError(parse: () => unknown): DnSyntaxError {
  try {
    parse();
  } catch (error: unknown) {
    if (error instanceof DnSyntaxError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a DnSyntaxError');
}

describe('escapeDnValue (RFC 4514 §2.4)', () => {
  it.each([
    ['Acme Ltd', 'Acme Ltd'],
    ['Smith, John', 'Smith\\, John'],
    ['R+D', 'R\\+D'],
    ['a"b;c<d>e\\f', 'a\\"b\\;c\\<d\\>e\\\\f'],
    ['#1', '\\#1'],
    ['a#1', 'a#1'],
    [' lead', '\\ lead'],
    ['trail ', 'trail\\ '],
    ['in between', 'in between'],
    ['line\nbreak\0', 'line\\0Abreak\\00'],
    ['Bäckerei', 'Bäckerei'],
    ['a=b', 'a=b'],
    ['next\u0085line', 'next\\C2\\85line'],
    ['para\u2029graph', 'para\\E2\\80\\A9graph'],
    ['rtl\u202Eoverride', 'rtl\\E2\\80\\AEoverride'],
  ])('%j → %j', (value, escaped) => expect(escapeDnValue(value)).toBe(escaped));
});

describe('formatDn', () => {
  it('writes the last RDN of the certificate first (RFC 4514 §2.1)', () => {
    const rdns = [
      [{ type: '2.5.4.6', value: 'GB' }],
      [{ type: '2.5.4.10', value: 'Acme Ltd' }],
      [{ type: '2.5.4.11', value: 'Payments' }],
      [{ type: '2.5.4.3', value: 'service1' }],
    ];
    expect(formatDn(rdns)).toBe('CN=service1,OU=Payments,O=Acme Ltd,C=GB');
  });

  it('joins multi-valued RDNs with + and escapes values', () => {
    const rdns = [
      [{ type: '2.5.4.10', value: 'Acme Ltd' }],
      [{ type: '2.5.4.3', value: 'Smith, John' }, { type: '0.9.2342.19200300.100.1.1', value: 'js+1' }],
    ];
    expect(formatDn(rdns)).toBe('CN=Smith\\, John+UID=js\\+1,O=Acme Ltd');
  });

  it('writes unknown types as dotted OIDs and non-string values as #hex BER', () => {
    const rdns = [[{ type: '1.2.840.113549.1.9.1', ber: Uint8Array.from([0x16, 0x01, 0x61]) }]];
    expect(formatDn(rdns)).toBe('1.2.840.113549.1.9.1=#160161');
  });

  it('names the RFC 4514 attribute types', () => {
    expect(['2.5.4.3', '2.5.4.7', '2.5.4.8', '2.5.4.10', '2.5.4.11', '2.5.4.6', '2.5.4.9', '0.9.2342.19200300.100.1.25', '0.9.2342.19200300.100.1.1', '2.5.4.5'].map(attributeTypeName))
      .toEqual(['CN', 'L', 'ST', 'O', 'OU', 'C', 'STREET', 'DC', 'UID', '2.5.4.5']);
  });

  it('writes what parseDn reads back', () => {
    const rdns = [
      [{ type: '2.5.4.6', value: 'GB' }],
      [{ type: '2.5.4.3', value: ' #Smith, "J" <x>; a=b\\ ' }, { type: '1.2.3.4', ber: Uint8Array.from([0x02, 0x01, 0x05]) }],
    ];
    const dn = parseDn(formatDn(rdns));
    expect(pairs(dn)).toEqual([[['CN', ' #Smith, "J" <x>; a=b\\ '], ['1.2.3.4', '']], [['C', 'GB']]]);
    expect(dn.rdns[0]?.[1]?.ber).toEqual(Uint8Array.from([0x02, 0x01, 0x05]));
  });
});

describe('parseDn: valid DNs', () => {
  // [input, expected RDNs as [canonical name, decoded value] pairs]
  const VALID: readonly (readonly [string, Pairs])[] = [
    // RFC 4514 §4 examples
    ['', []],
    ['UID=jsmith,DC=example,DC=net', [[['UID', 'jsmith']], [['DC', 'example']], [['DC', 'net']]]],
    [
      'OU=Sales+CN=J.  Smith,DC=example,DC=net',
      [[['OU', 'Sales'], ['CN', 'J.  Smith']], [['DC', 'example']], [['DC', 'net']]],
    ],
    [
      r`CN=James \"Jim\" Smith\, III,DC=example,DC=net`,
      [[['CN', 'James "Jim" Smith, III']], [['DC', 'example']], [['DC', 'net']]],
    ],
    [r`CN=Before\0dAfter,DC=example,DC=net`, [[['CN', 'Before\rAfter']], [['DC', 'example']], [['DC', 'net']]]],
    ['1.3.6.1.4.1.1466.0=#04024869', [[['1.3.6.1.4.1.1466.0', '']]]],
    [r`CN=Lu\C4\8Di\C4\87`, [[['CN', 'Lučić']]]],
    // every escaped special (RFC 4514 §2.4 / §3 `pair`)
    [r`CN=a\"b`, [[['CN', 'a"b']]]],
    [r`CN=a\+b`, [[['CN', 'a+b']]]],
    [r`CN=a\,b`, [[['CN', 'a,b']]]],
    [r`CN=a\;b`, [[['CN', 'a;b']]]],
    [r`CN=a\<b`, [[['CN', 'a<b']]]],
    [r`CN=a\>b`, [[['CN', 'a>b']]]],
    [r`CN=a\\b`, [[['CN', 'a\\b']]]],
    [r`CN=a\=b`, [[['CN', 'a=b']]]],
    [r`CN=\#b`, [[['CN', '#b']]]],
    [r`CN=a\#b`, [[['CN', 'a#b']]]],
    [r`CN=\ a\ `, [[['CN', ' a ']]]],
    // hex pairs, read as UTF-8
    [r`CN=\41\42c`, [[['CN', 'ABc']]]],
    [r`CN=\4a\4B`, [[['CN', 'JK']]]],
    [r`O=B\C3\A4ckerei`, [[['O', 'Bäckerei']]]],
    [r`CN=\F0\9F\98\80`, [[['CN', '😀']]]],
    [r`CN=a\2Cb\2bc`, [[['CN', 'a,b+c']]]],
    [r`CN=\00`, [[['CN', '\0']]]],
    [r`CN=\20a\20`, [[['CN', ' a ']]]],
    [r`CN=\C3\A4\,x`, [[['CN', 'ä,x']]]],
    [r`CN=a\C3\A4`, [[['CN', 'aä']]]],
    // unescaped characters RFC 4514 allows
    ['O=Bäckerei', [[['O', 'Bäckerei']]]],
    ['CN=a=b', [[['CN', 'a=b']]]],
    ['CN=a#b', [[['CN', 'a#b']]]],
    ['CN=a\tb', [[['CN', 'a\tb']]]],
    ['CN=a  b', [[['CN', 'a  b']]]],
    ['CN=', [[['CN', '']]]],
    ['CN=,O=a', [[['CN', '']], [['O', 'a']]]],
    ['CN=+OU=a', [[['CN', ''], ['OU', 'a']]]],
    // #hex BER values
    ['CN=#0C03616263', [[['CN', 'abc']]]],
    ['CN=#0c0161', [[['CN', 'a']]]],
    ['CN=#130141', [[['CN', 'A']]]],
    ['DC=#1603636F6D', [[['DC', 'com']]]],
    ['CN=#1401E4', [[['CN', 'ä']]]],
    ['CN=#1E0400E4006B', [[['CN', 'äk']]]],
    ['CN=#1C040001F600', [[['CN', '😀']]]],
    ['CN=#0C00', [[['CN', '']]]],
    ['1.2.3.4=#020101', [[['1.2.3.4', '']]]],
    ['1.2.3.4=#3003020101', [[['1.2.3.4', '']]]],
    ['1.2.3.4=#1F810000', [[['1.2.3.4', '']]]],
    ['1.2.3.4=#048200020102', [[['1.2.3.4', '']]]],
    // spaces (leniency: around separators, unescaped ones at the ends of a value)
    ['CN=a, O=b', [[['CN', 'a']], [['O', 'b']]]],
    ['CN = a , O = b', [[['CN', 'a']], [['O', 'b']]]],
    ['  CN=a  ', [[['CN', 'a']]]],
    ['OU=x + CN=y', [[['OU', 'x'], ['CN', 'y']]]],
    [r`CN=a \ `, [[['CN', 'a  ']]]],
    [r`CN= \ a`, [[['CN', ' a']]]],
    ['CN=   ', [[['CN', '']]]],
    ['CN= #0C0161 ,O=b', [[['CN', 'a']], [['O', 'b']]]],
    // attribute types: OIDs, case, aliases
    ['2.5.4.3=svc', [[['CN', 'svc']]]],
    ['0.9.2342.19200300.100.1.25=com', [[['DC', 'com']]]],
    ['1.2.840.113549.1.9.1=a@b.c', [[['emailAddress', 'a@b.c']]]],
    ['1.2.3=x', [[['1.2.3', 'x']]]],
    ['0.0=x', [[['0.0', 'x']]]],
    ['cn=a,o=b,c=GB', [[['CN', 'a']], [['O', 'b']], [['C', 'GB']]]],
    ['Cn=a', [[['CN', 'a']]]],
    ['EMAILADDRESS=a@b.c,SERIALNUMBER=123', [[['emailAddress', 'a@b.c']], [['serialNumber', '123']]]],
    ['E=a@b.c', [[['emailAddress', 'a@b.c']]]],
    // multi-valued RDNs
    ['CN=svc3+UID=42,O=Acme', [[['CN', 'svc3'], ['UID', '42']], [['O', 'Acme']]]],
    ['CN=a+OU=b+UID=c', [[['CN', 'a'], ['OU', 'b'], ['UID', 'c']]]],
    ['CN=a+CN=b', [[['CN', 'a'], ['CN', 'b']]]],
    // what gateways write
    [
      r`emailAddress=svc@example.com,CN=B\C3\A4ckerei Service,O=Acme\, Ltd,C=GB`,
      [[['emailAddress', 'svc@example.com']], [['CN', 'Bäckerei Service']], [['O', 'Acme, Ltd']], [['C', 'GB']]],
    ],
    [
      'CN=svc1, OU=Payments, O=Acme Ltd, L=London, ST=England, C=GB',
      [[['CN', 'svc1']], [['OU', 'Payments']], [['O', 'Acme Ltd']], [['L', 'London']], [['ST', 'England']], [['C', 'GB']]],
    ],
  ];

  it('has at least 50 cases', () => expect(VALID.length).toBeGreaterThanOrEqual(50));

  it.each(VALID)('%j', (input, expected) => {
    expect(pairs(parseDn(input))).toEqual(expected);
  });

  it('keeps the type as written and gives the OID', () => {
    const [[cn] = [], [unknown] = [], [email] = []] = parseDn('cn=a,1.2.3=b,E=c').rdns;
    expect(cn).toEqual({ type: 'cn', name: 'CN', oid: '2.5.4.3', value: 'a' });
    expect(unknown).toEqual({ type: '1.2.3', name: '1.2.3', oid: '1.2.3', value: 'b' });
    expect(email).toEqual({ type: 'E', name: 'emailAddress', oid: '1.2.840.113549.1.9.1', value: 'c' });
  });

  it('keeps the BER of a #hex value, and only then', () => {
    const [[hex] = [], [plain] = []] = parseDn('1.3.6.1.4.1.1466.0=#04024869,CN=x').rdns;
    expect(hex?.ber).toEqual(Uint8Array.from([0x04, 0x02, 0x48, 0x69]));
    expect(plain !== undefined && 'ber' in plain).toBe(false);
  });
});

describe('attribute type aliases', () => {
  const ALIASES: readonly (readonly [string, string, string])[] = [
    ['CN', 'CN', '2.5.4.3'],
    ['commonName', 'CN', '2.5.4.3'],
    ['SN', 'SN', '2.5.4.4'],
    ['surname', 'SN', '2.5.4.4'],
    ['serialNumber', 'serialNumber', '2.5.4.5'],
    ['C', 'C', '2.5.4.6'],
    ['countryName', 'C', '2.5.4.6'],
    ['L', 'L', '2.5.4.7'],
    ['localityName', 'L', '2.5.4.7'],
    ['ST', 'ST', '2.5.4.8'],
    ['S', 'ST', '2.5.4.8'],
    ['stateOrProvinceName', 'ST', '2.5.4.8'],
    ['STREET', 'STREET', '2.5.4.9'],
    ['streetAddress', 'STREET', '2.5.4.9'],
    ['O', 'O', '2.5.4.10'],
    ['organizationName', 'O', '2.5.4.10'],
    ['OU', 'OU', '2.5.4.11'],
    ['organizationalUnitName', 'OU', '2.5.4.11'],
    ['title', 'title', '2.5.4.12'],
    ['postalCode', 'postalCode', '2.5.4.17'],
    ['GN', 'GN', '2.5.4.42'],
    ['givenName', 'GN', '2.5.4.42'],
    ['initials', 'initials', '2.5.4.43'],
    ['generationQualifier', 'generationQualifier', '2.5.4.44'],
    ['dnQualifier', 'dnQualifier', '2.5.4.46'],
    ['pseudonym', 'pseudonym', '2.5.4.65'],
    ['organizationIdentifier', 'organizationIdentifier', '2.5.4.97'],
    ['DC', 'DC', '0.9.2342.19200300.100.1.25'],
    ['domainComponent', 'DC', '0.9.2342.19200300.100.1.25'],
    ['UID', 'UID', '0.9.2342.19200300.100.1.1'],
    ['userid', 'UID', '0.9.2342.19200300.100.1.1'],
    ['emailAddress', 'emailAddress', '1.2.840.113549.1.9.1'],
    ['E', 'emailAddress', '1.2.840.113549.1.9.1'],
    ['email', 'emailAddress', '1.2.840.113549.1.9.1'],
  ];

  it.each(ALIASES)('%s → %s (%s), in any case and as the OID', (alias, name, oid) => {
    for (const spelling of [alias, alias.toLowerCase(), alias.toUpperCase(), oid]) {
      expect(resolveAttributeType(spelling)).toEqual({ name, oid });
      expect(parseDn(`${spelling}=v`).rdns).toEqual([[{ type: spelling, name, oid, value: 'v' }]]);
    }
    expect(dnEquals(parseDn(`${alias}=v`), parseDn(`${oid}=V`))).toBe(true);
  });

  it('resolves unknown numeric OIDs to themselves and unknown names to no OID', () => {
    expect(resolveAttributeType('1.2.3.4')).toEqual({ name: '1.2.3.4', oid: '1.2.3.4' });
    expect(resolveAttributeType('foo')).toEqual({ name: 'foo', oid: undefined });
    expect(resolveAttributeType('x-Custom-2')).toEqual({ name: 'x-Custom-2', oid: undefined });
  });

  it.each(['', ' CN', 'CN ', 'C N', 'c_n', '-a', '1', '01.2', '1.02', '1..2', '1.2.', '.1.2', 'OID.2.5.4.3', '1.2a'])(
    'rejects the malformed type %j',
    type => expect(resolveAttributeType(type)).toBeUndefined(),
  );
});

describe('parseDn: invalid DNs', () => {
  // [input, position of the problem, part of the message]
  const INVALID: readonly (readonly [string, number, string])[] = [
    ['CN=a"b', 4, `unescaped '"'`],
    ['CN=James "Jim" Smith', 9, `unescaped '"'`],
    ['CN=a;b', 4, `unescaped ';'`],
    ['UID=jsmith;DC=example', 10, `unescaped ';'`],
    ['CN=a<b', 4, `unescaped '<'`],
    ['CN=a>b', 4, `unescaped '>'`],
    ['CN=a\0b', 4, 'unescaped U+0000'],
    ['CN="a"', 3, `unescaped '"'`],
    ['CN=a\\', 4, "lone '\\' at the end"],
    [r`CN=\q`, 3, 'invalid escape'],
    [r`CN=\4`, 3, 'second hex digit'],
    [r`CN=\4G`, 3, 'second hex digit'],
    [r`CN=\C3`, 3, 'invalid UTF-8'],
    [r`CN=a\C3\28`, 4, 'invalid UTF-8'],
    [r`CN=\FF`, 3, 'invalid UTF-8'],
    [r`CN=\C0\80`, 3, 'invalid UTF-8'],
    [r`CN=\ED\A0\80`, 3, 'invalid UTF-8'],
    [r`CN=ok\E2\82`, 5, 'invalid UTF-8'],
    [r`CN=\C3x`, 3, 'invalid UTF-8'],
    ['CN=a,,O=b', 5, 'expected an attribute type'],
    ['CN=a,', 5, 'expected an attribute type'],
    ['CN=a,  ', 7, 'expected an attribute type'],
    [',CN=a', 0, 'expected an attribute type'],
    ['CN=a+', 5, 'expected an attribute type'],
    ['+CN=a', 0, 'expected an attribute type'],
    [' ', 1, 'expected an attribute type'],
    ['=a', 0, 'expected an attribute type'],
    ['CN', 2, "expected '='"],
    ['CN a=b', 3, "expected '='"],
    ['CN=a,O', 6, "expected '='"],
    ['foo=bar', 0, "unknown attribute type 'foo'"],
    ['CN=a,foo=bar', 5, "unknown attribute type 'foo'"],
    ['C_N=a', 1, `invalid character '_'`],
    ['-CN=a', 0, `invalid character '-'`],
    ['OID.2.5.4.3=a', 3, `invalid character '.'`],
    ['2.5.04.3=a', 4, 'leading zero'],
    ['2=a', 1, 'at least two arcs'],
    ['2.5.=a', 4, 'empty arc'],
    ['1..2=a', 2, 'empty arc'],
    ['CN=#', 4, "expected hex digits after '#'"],
    ['CN=#041', 6, 'odd number of hex digits'],
    ['CN=#04zz', 6, `unexpected 'z' in hex value`],
    ['CN=#04024869 x', 13, `unexpected 'x' after hex value`],
    ['CN=#04', 6, 'missing length'],
    ['CN=#0403AB', 6, 'length exceeds the value'],
    ['CN=#0480', 6, 'indefinite length'],
    ['CN=#04010102', 10, 'trailing bytes'],
    ['CN=#3003020201', 10, 'length exceeds the value'],
    ['CN=#0C02C328', 8, 'invalid UTF-8 in UTF8String'],
    ['CN=#1301E4', 8, 'non-ASCII byte in PrintableString'],
    ['CN=#1E01AA', 8, 'odd length'],
    ['CN=#1E02D800', 8, 'unpaired surrogate'],
    ['CN=#1C0400110000', 8, 'invalid code point'],
    ['CN=#1F800100', 6, 'invalid tag number'],
    [`CN=${'a'.repeat(5000)}`, 4096, 'longer than 4096 characters'],
  ];

  it('has a position for every case', () => expect(INVALID.length).toBeGreaterThanOrEqual(50));

  it.each(INVALID)('%j fails at %i: %s', (input, position, reason) => {
    const error = syntaxError(() => parseDn(input));
    expect(error.position).toBe(position);
    expect(error.message).toContain(reason);
    expect(error.message).toContain(`at position ${position}`);
    expect(error.name).toBe('DnSyntaxError');
    expect(error).toBeInstanceOf(Error);
  });

  it('says what is wrong and where, quoting the input escaped', () => {
    const error = syntaxError(() => parseDn('CN=a\nb"c'));
    expect(error.message).toBe(String.raw`unescaped '"' at position 6 in "CN=a\u000ab\"c"`);
    expect(error.reason).toBe(`unescaped '"'`);
    expect(error.input).toBe('CN=a\nb"c');
  });

  it('never echoes more than a short excerpt of a long input', () => {
    const long = syntaxError(() => parseDn(`CN=${'x'.repeat(100_000)}`));
    expect(long.message.length).toBeLessThanOrEqual(200);
    expect(long.input.length).toBe(4096);
    const middle = syntaxError(() => parseDn(`CN=${'x'.repeat(3000)};${'y'.repeat(1000)}`));
    expect(middle.position).toBe(3003);
    expect(middle.message.length).toBeLessThanOrEqual(200);
    expect(middle.message).toMatch(/ in "…x{32};y{31}…"$/);
  });

  it('accepts exactly 4096 characters', () => {
    expect(pairs(parseDn(`CN=${'a'.repeat(4093)}`))[0]?.[0]?.[1]).toHaveLength(4093);
  });

  it('rejects a value that is not a string', () => {
    expect(syntaxError(() => parseDn(42 as unknown as string)).position).toBe(0);
  });
});

describe('parseOpenSslDn', () => {
  const VALID: readonly (readonly [string, Pairs])[] = [
    ['/C=GB/O=Acme Ltd/CN=service1', [[['CN', 'service1']], [['O', 'Acme Ltd']], [['C', 'GB']]]],
    ['/O=Acme/CN=svc3+UID=42', [[['CN', 'svc3'], ['UID', '42']], [['O', 'Acme']]]],
    [r`/CN=a\/b`, [[['CN', 'a/b']]]],
    [r`/CN=a\+b`, [[['CN', 'a+b']]]],
    [r`/CN=a\=b`, [[['CN', 'a=b']]]],
    [r`/CN=a\\b`, [[['CN', 'a\\b']]]],
    [r`/O=B\xC3\xA4ckerei`, [[['O', 'Bäckerei']]]],
    [r`/O=B\xc3\xa4ckerei`, [[['O', 'Bäckerei']]]],
    ['/O=Bäckerei', [[['O', 'Bäckerei']]]],
    ['/O=Acme, Inc. /CN= x ', [[['CN', ' x ']], [['O', 'Acme, Inc. ']]]],
    ['/CN=a=b', [[['CN', 'a=b']]]],
    ['/CN=#04024869', [[['CN', '#04024869']]]],
    ['/CN=', [[['CN', '']]]],
    ['/emailAddress=svc@example.com/1.2.3=x', [[['1.2.3', 'x']], [['emailAddress', 'svc@example.com']]]],
    ['/c=GB/cn=a', [[['CN', 'a']], [['C', 'GB']]]],
  ];

  it.each(VALID)('%j', (input, expected) => {
    expect(pairs(parseOpenSslDn(input))).toEqual(expected);
  });

  const INVALID: readonly (readonly [string, number, string])[] = [
    ['', 0, "expected '/'"],
    ['C=GB/O=x', 0, "expected '/'"],
    ['/', 1, 'expected an attribute type'],
    ['/C=GB/', 6, 'expected an attribute type'],
    ['/C=GB//O=x', 6, 'expected an attribute type'],
    ['/CN=a+', 6, 'expected an attribute type'],
    ['/CN', 3, "expected '='"],
    ['/CN=a/C', 7, "expected '='"],
    ['/CN=a/b', 6, "unknown attribute type 'b'"],
    ['/foo=bar', 1, "unknown attribute type 'foo'"],
    ['/C N=a', 2, `invalid character U+0020`],
    ['/CN=a\\', 5, "lone '\\'"],
    [r`/CN=a\,b`, 5, 'invalid escape'],
    [r`/CN=\xZZ`, 4, 'two hex digits'],
    [r`/CN=\xC3`, 4, 'invalid UTF-8'],
    ['/CN=a\0', 5, 'unescaped U+0000'],
    [`/CN=${'a'.repeat(5000)}`, 4096, 'longer than 4096'],
  ];

  it.each(INVALID)('%j fails at %i: %s', (input, position, reason) => {
    const error = syntaxError(() => parseOpenSslDn(input));
    expect(error.position).toBe(position);
    expect(error.message).toContain(reason);
  });
});

describe('formatDistinguishedName', () => {
  it.each([
    ['', ''],
    ['cn=Smith\\, John+uid=js,o=Acme,c=GB', 'CN=Smith\\, John+UID=js,O=Acme,C=GB'],
    ['commonName=a, organizationalUnitName=b, domainComponent=c', 'CN=a,OU=b,DC=c'],
    ['E=a@b.c,2.5.4.5=123,surname=S,2.5.4.42=G,title=T', 'emailAddress=a@b.c,serialNumber=123,SN=S,GN=G,title=T'],
    ['1.2.3=x,0.9.2342.19200300.100.1.1=u', '1.2.3=x,UID=u'],
    ['1.2.3=#0c0161,CN=#020105', '1.2.3=#0C0161,CN=#020105'],
    [r`CN=\#1\ ,O=\ lead`, r`CN=\#1\ ,O=\ lead`],
    [r`CN=a\0Ab\E2\80\A8c`, r`CN=a\0Ab\E2\80\A8c`],
    [r`CN=B\C3\A4ckerei`, 'CN=Bäckerei'],
    ['CN = a , O = b', 'CN=a,O=b'],
    ['CN=a=b#c', 'CN=a=b#c'],
  ])('%j → %j', (input, formatted) => {
    expect(formatDistinguishedName(parseDn(input))).toBe(formatted);
  });

  it('writes the OpenSSL form in RFC 4514 order', () => {
    expect(formatDistinguishedName(parseOpenSslDn('/C=GB/O=Acme, Ltd/CN=svc3+UID=42'))).toBe(
      'CN=svc3+UID=42,O=Acme\\, Ltd,C=GB',
    );
  });
});

describe('dnEquals and canonicalDn', () => {
  const nginx = r`emailAddress=svc@example.com,CN=B\C3\A4ckerei Service,O=Acme\, Ltd,C=GB`;
  const slash = '/C=GB/O=Acme, Ltd/CN=Bäckerei Service/emailAddress=svc@example.com';
  const java = r`EMAILADDRESS=svc@example.com, CN=Bäckerei Service, O=Acme\, Ltd, C=GB`;

  const EQUAL: readonly (readonly [string, string])[] = [
    ['CN=Service1,O=Acme', 'cn=service1,o=ACME'],
    ['CN=a b', 'CN=a   b'],
    ['CN=a b', r`CN=\ a b\ `],
    ['CN=a b', 'CN=a\u00A0b'],
    ['CN=a b', 'CN=a\tb'],
    ['CN=a', 'commonName=a'],
    ['CN=a', '2.5.4.3=a'],
    ['commonName=a', '2.5.4.3=A'],
    ['E=x@y.z', 'emailAddress=X@Y.Z'],
    ['email=x@y.z', '1.2.840.113549.1.9.1=x@y.z'],
    ['S=Kent', 'ST=Kent'],
    ['userid=1', 'UID=1'],
    ['domainComponent=com', 'DC=COM'],
    [r`O=B\C3\A4ckerei`, 'O=Bäckerei'],
    [r`CN=\41`, 'CN=a'],
    ['CN=#0C03616263', 'CN=abc'],
    ['CN=#130141', 'CN=a'],
    ['1.2.3=#0C0161', '1.2.3=a'],
    ['1.2.3=#130161', '1.2.3=#0C0161'],
    ['1.2.3=#020101', '1.2.3=#020101'],
    ['UID=42+CN=svc3,O=Acme', 'CN=svc3+UID=42,O=Acme'],
    ['CN=ＡＣＭＥ', 'CN=acme'],
    ['CN=e\u0301', 'CN=é'],
    ['CN=Straße', 'CN=STRASSE'],
    ['', ''],
    [nginx, slash],
    [nginx, java],
    [slash, java],
    ['/C=GB/O=Acme/CN=svc3+UID=42', 'uid=42 + cn=SVC3, o=acme, c=gb'],
    [r`/O=B\xC3\xA4ckerei/CN=x`, r`CN=x,O=B\C3\A4ckerei`],
  ];

  it.each(EQUAL)('%j equals %j', (left, right) => {
    const a = anyDn(left);
    const b = anyDn(right);
    expect(dnEquals(a, b)).toBe(true);
    expect(dnEquals(b, a)).toBe(true);
    expect(canonicalDn(a)).toBe(canonicalDn(b));
  });

  const UNEQUAL: readonly (readonly [string, string])[] = [
    ['CN=a,O=b', 'O=b,CN=a'],
    ['CN=a', 'CN=b'],
    ['CN=a,O=b', 'CN=a,O=b,C=GB'],
    ['CN=a+O=b', 'CN=a,O=b'],
    ['CN=a', 'OU=a'],
    ['CN=ab', 'CN=a b'],
    ['1.2.3=A', '1.2.3=a'],
    ['1.2.3= a', r`1.2.3=\ a`],
    ['1.2.3=#040161', '1.2.3=a'],
    ['1.2.3=#040161', '1.2.3=#0C0161'],
    ['CN=#020100', 'CN='],
    ['CN=#020100', 'CN=#020101'],
    ['CN=a\u200Bb', 'CN=ab'],
    ['', 'CN=a'],
    ['CN=a+CN=a', 'CN=a'],
    ['/C=GB/CN=a', 'C=GB,CN=a'],
  ];

  it.each(UNEQUAL)('%j differs from %j', (left, right) => {
    const a = anyDn(left);
    const b = anyDn(right);
    expect(dnEquals(a, b)).toBe(false);
    expect(dnEquals(b, a)).toBe(false);
    expect(canonicalDn(a)).not.toBe(canonicalDn(b));
  });

  it('gives the same key for the same caller written three ways', () => {
    const allowed = new Set([canonicalDn(parseDn(nginx))]);
    expect(allowed.has(canonicalDn(parseOpenSslDn(slash)))).toBe(true);
    expect(allowed.has(canonicalDn(parseDn(java)))).toBe(true);
    expect(allowed.has(canonicalDn(parseDn('CN=Bäckerei Service,O=Acme\\, Ltd,C=GB')))).toBe(false);
  });
});

describe('value preparation reaches a fixed point', () => {
  it('folds ẞ, ß and SS to one form, stable when parsed again (seed -2046024569)', () => {
    const capital = parseDn('CN=\u1E9E');
    expect(dnEquals(capital, parseDn('CN=ss'))).toBe(true);
    expect(dnEquals(capital, parseDn('CN=ß'))).toBe(true);
    expect(canonicalDn(parseDn(canonicalDn(capital)))).toBe(canonicalDn(capital));
  });
});
