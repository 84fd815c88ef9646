/**
 * Attribute types of distinguished names: the ones this library knows by name, and the RFC 4512
 * §1.4 syntax of an attribute type (`descr` or `numericoid`). Pure functions: no Nest, no I/O.
 */

interface KnownAttributeType {
  readonly oid: string;
  /** The name written by `formatDistinguishedName` and exposed as `DnAttributeValue.name`. */
  readonly name: string;
  /** Further names accepted when parsing, matched case-insensitively like `name`. */
  readonly aliases: readonly string[];
}

/**
 * The RFC 4514 §3 table (CN L ST O OU C STREET DC UID), the other X.520 / RFC 4519 types seen in
 * client certificates, and PKCS #9 emailAddress. Every one of them has a directory-string (or
 * IA5/Printable) syntax with a case-ignore equality rule, so their values are compared after
 * RFC 4518 preparation.
 */
const KNOWN_ATTRIBUTE_TYPES: readonly KnownAttributeType[] = [
  { oid: '2.5.4.3', name: 'CN', aliases: ['commonName'] },
  { oid: '2.5.4.4', name: 'SN', aliases: ['surname'] },
  { oid: '2.5.4.5', name: 'serialNumber', aliases: [] },
  { oid: '2.5.4.6', name: 'C', aliases: ['countryName'] },
  { oid: '2.5.4.7', name: 'L', aliases: ['localityName'] },
  { oid: '2.5.4.8', name: 'ST', aliases: ['S', 'stateOrProvinceName'] },
  { oid: '2.5.4.9', name: 'STREET', aliases: ['streetAddress'] },
  { oid: '2.5.4.10', name: 'O', aliases: ['organizationName'] },
  { oid: '2.5.4.11', name: 'OU', aliases: ['organizationalUnitName'] },
  { oid: '2.5.4.12', name: 'title', aliases: [] },
  { oid: '2.5.4.17', name: 'postalCode', aliases: [] },
  { oid: '2.5.4.42', name: 'GN', aliases: ['givenName'] },
  { oid: '2.5.4.43', name: 'initials', aliases: [] },
  { oid: '2.5.4.44', name: 'generationQualifier', aliases: [] },
  { oid: '2.5.4.46', name: 'dnQualifier', aliases: [] },
  { oid: '2.5.4.65', name: 'pseudonym', aliases: [] },
  { oid: '2.5.4.97', name: 'organizationIdentifier', aliases: [] },
  { oid: '0.9.2342.19200300.100.1.25', name: 'DC', aliases: ['domainComponent'] },
  { oid: '0.9.2342.19200300.100.1.1', name: 'UID', aliases: ['userid'] },
  { oid: '1.2.840.113549.1.9.1', name: 'emailAddress', aliases: ['E', 'email'] },
];

const BY_LOWER_CASE_NAME = new Map<string, KnownAttributeType>(
  KNOWN_ATTRIBUTE_TYPES.flatMap(known =>
    [known.name, ...known.aliases].map(alias => [alias.toLowerCase(), known] as const),
  ),
);

const BY_OID = new Map<string, KnownAttributeType>(
  KNOWN_ATTRIBUTE_TYPES.map(known => [known.oid, known] as const),
);

/** @internal What is wrong with an attribute type, and at which offset inside it. */
export interface AttributeTypeIssue {
  readonly offset: number;
  readonly reason: string;
}

const isAlpha = (ch: string): boolean => (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
const isDigit = (ch: string): boolean => ch >= '0' && ch <= '9';

/**
 * @internal Checks `type` against RFC 4512 §1.4: `descr = ALPHA *(ALPHA / DIGIT / "-")` or
 * `numericoid = number 1*("." number)` where `number` has no leading zero.
 */
export function attributeTypeIssue(type: string): AttributeTypeIssue | undefined {
  const first = type.charAt(0);
  if (type === '') {
    return { offset: 0, reason: 'empty attribute type' };
  }
  if (isAlpha(first)) {
    for (let i = 1; i < type.length; i++) {
      const ch = type.charAt(i);
      if (!isAlpha(ch) && !isDigit(ch) && ch !== '-') {
        return { offset: i, reason: `invalid character ${describeChar(ch)} in attribute type` };
      }
    }
    return undefined;
  }
  if (!isDigit(first)) {
    return { offset: 0, reason: `invalid character ${describeChar(first)} in attribute type` };
  }
  let arcs = 1;
  let arcStart = 0;
  for (let i = 0; i < type.length; i++) {
    const ch = type.charAt(i);
    if (ch === '.') {
      if (i === arcStart) {
        return { offset: i, reason: 'empty arc in numeric OID' };
      }
      arcs++;
      arcStart = i + 1;
    } else if (!isDigit(ch)) {
      return { offset: i, reason: `invalid character ${describeChar(ch)} in numeric OID` };
    } else if (i === arcStart && ch === '0' && isDigit(type.charAt(i + 1))) {
      return { offset: i, reason: 'leading zero in numeric OID arc' };
    }
  }
  if (arcStart === type.length) {
    return { offset: type.length, reason: 'empty arc in numeric OID' };
  }
  if (arcs < 2) {
    return { offset: type.length, reason: 'numeric OID needs at least two arcs' };
  }
  return undefined;
}

/**
 * Looks up an attribute type written as a name (any alias, case-insensitive: `cn`, `commonName`,
 * `E`, `emailAddress`) or as a dotted OID (`2.5.4.3`).
 *
 * @returns the canonical name (`CN`, `emailAddress`, …) and OID for a known type; for an unknown
 * numeric OID, the OID as both name and OID; for an unknown but well-formed name, that name and
 * `oid: undefined` (the DN parsers reject those); `undefined` when `type` is not an RFC 4512
 * `descr` or `numericoid` at all.
 * @publicApi
 */
export function resolveAttributeType(
  type: string,
): { name: string; oid: string | undefined } | undefined {
  if (typeof type !== 'string' || attributeTypeIssue(type) !== undefined) {
    return undefined;
  }
  const numeric = isDigit(type.charAt(0));
  const known = numeric ? BY_OID.get(type) : BY_LOWER_CASE_NAME.get(type.toLowerCase());
  if (known !== undefined) {
    return { name: known.name, oid: known.oid };
  }
  return { name: type, oid: numeric ? type : undefined };
}

/** @internal The canonical name of a known OID (`2.5.4.3` → `CN`), or `undefined`. */
export function attributeNameForOid(oid: string): string | undefined {
  return BY_OID.get(oid)?.name;
}

/** @internal A character for an error message: `'x'` when printable, `U+0000` otherwise. */
export function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code < 0x21 || (code >= 0x7f && code <= 0xa0) || code > 0xffff || /[\p{C}\p{Z}]/u.test(ch)
    ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
    : `'${ch}'`;
}
