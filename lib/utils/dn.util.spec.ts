import { attributeTypeName, escapeDnValue, formatDn } from './dn.util.js';

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
});
