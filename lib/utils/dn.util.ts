/**
 * Distinguished names: parse (RFC 4514 strings and OpenSSL's `/C=…/CN=…` one-line form), format
 * (RFC 4514) and compare (RFC 4517 distinguishedNameMatch). Pure functions: no Nest, no I/O.
 *
 * The parsers read attacker-influenced text (a JWT `sub`), so they are total: any string either
 * parses or throws a `DnSyntaxError`, inputs are capped at 4096 characters, and
 * error messages echo at most a short, escaped excerpt of the input.
 */
import {
  attributeNameForOid,
  attributeTypeIssue,
  describeChar,
  resolveAttributeType,
} from './dn-attributes.js';

export { resolveAttributeType } from './dn-attributes.js';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/**
 * One attribute of a relative distinguished name, as parsed.
 * @publicApi
 */
export interface DnAttributeValue {
  /** The attribute type as written in the input (`cn`, `2.5.4.3`, `E`). */
  readonly type: string;
  /**
   * The canonical name: `CN`, `OU`, `O`, `L`, `ST`, `C`, `STREET`, `DC`, `UID`, `emailAddress`,
   * `serialNumber`, `SN`, `GN`, `title`, …, or the dotted OID when the type is not known.
   */
  readonly name: string;
  /** The OID when the type is known or was written as an OID. */
  readonly oid: string | undefined;
  /**
   * The decoded text: escapes resolved, `\XX` hex pairs read as UTF-8. For a `#hex` value, the
   * text of a BER string (UTF8String, PrintableString, IA5String, TeletexString, BMPString,
   * UniversalString), or `''` for any other BER.
   */
  readonly value: string;
  /** The BER bytes, present exactly when the value was written as `#hex`. */
  readonly ber?: Uint8Array;
}

/**
 * A relative distinguished name: one or more attributes (joined by `+` when written).
 * @publicApi
 */
export type DnRdn = readonly DnAttributeValue[];

/**
 * A distinguished name, in RFC 4514 order: the most specific RDN (`CN=…`) first.
 * @publicApi
 */
export interface DistinguishedName {
  readonly rdns: readonly DnRdn[];
}

/** Longest DN string the parsers accept, in UTF-16 code units. */
const MAX_DN_LENGTH = 4096;

const EXCERPT_RADIUS = 32;

/**
 * A string is not a distinguished name. `position` is the 0-based index (in UTF-16 code units)
 * of the offending character in `input`; the message says what is wrong and where, and quotes
 * at most ~70 characters around the position, with control characters escaped.
 * @publicApi
 */
export class DnSyntaxError extends Error {
  /**
   * What is wrong, without the position or the excerpt (`unescaped '"'`). It may quote the
   * offending character, or an unknown attribute type cut to 32 characters.
   */
  readonly reason: string;
  /** 0-based index of the problem in `input`. */
  readonly position: number;
  /** The input (only its first 4096 characters when it was longer). */
  readonly input: string;

  constructor(reason: string, position: number, input: string) {
    super(`${reason} at position ${position}${excerpt(input, position)}`);
    this.name = 'DnSyntaxError';
    this.reason = reason;
    this.position = position;
    this.input = input.length > MAX_DN_LENGTH ? input.slice(0, MAX_DN_LENGTH) : input;
  }
}

// ---------------------------------------------------------------------------------------------
// Legacy API (certificate order, used by the sample gateway)
// ---------------------------------------------------------------------------------------------

/** One attribute of an RDN (certificate order API): a string value, or the BER of another type. */
export type DnAttribute =
  | { readonly type: string; readonly value: string }
  | { readonly type: string; readonly ber: Uint8Array };

/** A relative distinguished name: one attribute, or several joined with `+`. */
export type Rdn = readonly DnAttribute[];

/** RFC 4514 §3: the types written by short name; `formatDn` writes any other as a dotted OID. */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

/** The RFC 4514 name of an attribute type given as an OID (or already as a name). */
export function attributeTypeName(type: string): string {
  return SHORT_NAMES[type] ?? type;
}

/**
 * Escapes an attribute value per RFC 4514 §2.4: `"` `+` `,` `;` `<` `>` `\` anywhere, `#` or a
 * space at the start, a space at the end. Control characters, line and paragraph separators and
 * bidirectional-text controls are written as `\XX` UTF-8 hex pairs so that a DN never carries a
 * raw newline or a direction override into a log line.
 */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    const code = value.charCodeAt(i);
    if ('"+,;<>\\'.includes(ch)) {
      out += `\\${ch}`;
    } else if (mustHexEscape(code)) {
      out += utf8HexEscape(code);
    } else if ((i === 0 && (ch === ' ' || ch === '#')) || (i === value.length - 1 && ch === ' ')) {
      out += `\\${ch}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Formats a DN as an RFC 4514 string. `rdns` is in the order of the certificate's ASN.1
 * RDNSequence (country first, as OpenSSL's `/C=GB/O=…/CN=…` shows it); RFC 4514 §2.1 writes the
 * last RDN first, so the result starts with the most specific one (`CN=…`).
 */
export function formatDn(rdns: readonly Rdn[]): string {
  return [...rdns]
    .reverse()
    .map(rdn =>
      rdn
        .map(attribute => {
          const type = attributeTypeName(attribute.type);
          const value =
            'ber' in attribute ? `#${toHex(attribute.ber)}` : escapeDnValue(attribute.value);
          return `${type}=${value}`;
        })
        .join('+'),
    )
    .join(',');
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/**
 * Parses an RFC 4514 DN string (`CN=service1,OU=Payments,O=Acme Ltd,C=GB`).
 *
 * Follows RFC 4514 §3, with this leniency for the output of RFC 2253-era tools (Java's
 * `X500Principal.toString()`, `CN=a, O=b`):
 * - spaces (U+0020) around the `,` `+` `=` separators, before the first type and after the last
 *   value are ignored; so are unescaped leading and trailing spaces of a value, while escaped
 *   ones (`\ `, `\20`) are kept;
 * - `=` may appear unescaped inside a value (RFC 4514 allows it; RFC 2253 did not).
 *
 * Not accepted: `;` as a separator and quoted values (RFC 1779), `OID.`-prefixed types, an
 * unknown attribute name (an unknown numeric OID is fine), empty RDNs, a missing `=`. The empty
 * string is the empty DN (`{ rdns: [] }`, RFC 4514 §2.1); whether that is acceptable is the
 * caller's decision. `#hex` values must hold exactly one well-formed BER element with definite
 * lengths.
 *
 * @throws {DnSyntaxError} when `input` is not a DN, or is longer than 4096 characters.
 * @publicApi
 */
export function parseDn(input: string): DistinguishedName {
  return new Rfc4514Parser(checkedInput(input)).parse();
}

/**
 * Parses OpenSSL's one-line form (`X509_NAME_oneline`, `openssl x509 -subject -nameopt compat`):
 * `/C=GB/O=Acme Ltd/CN=service1`, written in certificate order (country first). The result is in
 * RFC 4514 order (`CN` first), like {@link parseDn}'s.
 *
 * `+` joins the attributes of a multi-valued RDN (`/CN=svc3+UID=42`). Backslash escapes: `\/`
 * `\+` `\=` `\\`, and `\xHH` bytes, read as UTF-8 (how OpenSSL writes non-ASCII). Commas and
 * spaces are literal value characters; nothing is trimmed.
 *
 * @throws {DnSyntaxError} when `input` is not in that form, or is longer than 4096 characters.
 * @publicApi
 */
export function parseOpenSslDn(input: string): DistinguishedName {
  return new OpenSslParser(checkedInput(input)).parse();
}

function checkedInput(input: string): string {
  if (typeof input !== 'string') {
    throw new DnSyntaxError('expected a string', 0, '');
  }
  if (input.length > MAX_DN_LENGTH) {
    throw new DnSyntaxError(`DN longer than ${MAX_DN_LENGTH} characters`, MAX_DN_LENGTH, input);
  }
  return input;
}

/** Collects `\XX` byte escapes until a run ends, then decodes the run as UTF-8. */
class ByteRun {
  private readonly bytes: number[] = [];
  private readonly positions: number[] = [];

  constructor(private readonly fail: (reason: string, position: number) => never) {}

  push(byte: number, position: number): void {
    this.bytes.push(byte);
    this.positions.push(position);
  }

  get empty(): boolean {
    return this.bytes.length === 0;
  }

  /** Decodes and clears the run; fails at the escape that starts an invalid UTF-8 sequence. */
  take(): string {
    const decoded = decodeUtf8(this.bytes);
    if (typeof decoded !== 'string') {
      this.fail('invalid UTF-8 in hex escapes', this.positions[decoded.errorAt] ?? 0);
    }
    this.bytes.length = 0;
    this.positions.length = 0;
    return decoded;
  }
}

abstract class DnParser {
  protected pos = 0;

  constructor(protected readonly input: string) {}

  protected readonly fail = (reason: string, position: number = this.pos): never => {
    throw new DnSyntaxError(reason, position, this.input);
  };

  protected get atEnd(): boolean {
    return this.pos >= this.input.length;
  }

  protected expected(what: string): never {
    const found = this.atEnd ? 'the end of the input' : describeChar(this.peek());
    return this.fail(`expected ${what}, found ${found}`);
  }

  protected peek(): string {
    return this.input.charAt(this.pos);
  }

  /** Validates and resolves the type in `input[start, end)`. */
  protected resolveType(start: number, end: number): { name: string; oid: string } {
    const type = this.input.slice(start, end);
    if (type === '') {
      this.expected('an attribute type');
    }
    const issue = attributeTypeIssue(type);
    if (issue !== undefined) {
      this.fail(issue.reason, start + issue.offset);
    }
    const resolved = resolveAttributeType(type);
    if (resolved?.oid === undefined) {
      return this.fail(`unknown attribute type ${quoteShort(type)}`, start);
    }
    return { name: resolved.name, oid: resolved.oid };
  }
}

/** RFC 4514 §3 `distinguishedName`, with the leniency documented on {@link parseDn}. */
class Rfc4514Parser extends DnParser {
  parse(): DistinguishedName {
    if (this.input === '') {
      return { rdns: [] };
    }
    const rdns: DnRdn[] = [];
    let rdn: DnAttributeValue[] = [];
    for (;;) {
      rdn.push(this.attribute());
      this.skipSpaces();
      if (this.atEnd) {
        rdns.push(rdn);
        return { rdns };
      }
      const separator = this.peek();
      if (separator === ',') {
        rdns.push(rdn);
        rdn = [];
      } else if (separator !== '+') {
        this.fail(`unexpected ${describeChar(separator)}`);
      }
      this.pos++;
    }
  }

  private skipSpaces(): void {
    while (this.peek() === ' ') {
      this.pos++;
    }
  }

  private attribute(): DnAttributeValue {
    this.skipSpaces();
    const start = this.pos;
    while (!this.atEnd && !'= ,+'.includes(this.peek())) {
      this.pos++;
    }
    const type = this.input.slice(start, this.pos);
    const { name, oid } = this.resolveType(start, this.pos);
    this.skipSpaces();
    if (this.peek() !== '=') {
      this.expected("'=' after the attribute type");
    }
    this.pos++;
    this.skipSpaces();
    if (this.peek() === '#') {
      const { value, ber } = this.hexValue();
      return { type, name, oid, value, ber };
    }
    return { type, name, oid, value: this.stringValue() };
  }

  /** RFC 4514 `string`: stops before an unescaped `,` or `+`, or at the end. */
  private stringValue(): string {
    const run = new ByteRun(this.fail);
    let out = '';
    let significantLength = 0;
    while (!this.atEnd) {
      const ch = this.peek();
      if (ch === ',' || ch === '+') {
        break;
      }
      if (ch === '\\') {
        const next = this.input.charAt(this.pos + 1);
        if (next === '') {
          this.fail("lone '\\' at the end of the input");
        }
        if (isHexDigit(next)) {
          const low = this.input.charAt(this.pos + 2);
          if (!isHexDigit(low)) {
            this.fail(`invalid escape: '\\${next}' must be followed by a second hex digit`);
          }
          run.push(Number.parseInt(next + low, 16), this.pos);
          this.pos += 3;
          continue;
        }
        if (!run.empty) {
          out += run.take();
          significantLength = out.length;
        }
        if (!'"+,;<>\\=# '.includes(next)) {
          this.fail(`invalid escape '\\' followed by ${describeChar(next)}`);
        }
        out += next;
        significantLength = out.length;
        this.pos += 2;
        continue;
      }
      if (!run.empty) {
        out += run.take();
        significantLength = out.length;
      }
      if (ch === '"' || ch === ';' || ch === '<' || ch === '>' || ch === '\0') {
        this.fail(`unescaped ${describeChar(ch)}`);
      }
      out += ch;
      if (ch !== ' ') {
        significantLength = out.length;
      }
      this.pos++;
    }
    if (!run.empty) {
      out += run.take();
      significantLength = out.length;
    }
    return out.slice(0, significantLength);
  }

  /** RFC 4514 `hexstring` (`#` 1*hexpair) holding one BER element. */
  private hexValue(): { value: string; ber: Uint8Array } {
    this.pos++;
    const start = this.pos;
    while (isHexDigit(this.peek())) {
      this.pos++;
    }
    const digits = this.pos - start;
    if (!this.atEnd && !' ,+'.includes(this.peek())) {
      this.fail(`unexpected ${describeChar(this.peek())} in hex value`);
    }
    if (digits === 0) {
      this.fail("expected hex digits after '#'");
    }
    if (digits % 2 !== 0) {
      this.fail('odd number of hex digits', this.pos - 1);
    }
    const ber = new Uint8Array(digits / 2);
    for (let i = 0; i < ber.length; i++) {
      ber[i] = Number.parseInt(this.input.slice(start + 2 * i, start + 2 * i + 2), 16);
    }
    const value = decodeBer(ber, (reason, byteIndex) => this.fail(reason, start + 2 * byteIndex));
    this.skipSpaces();
    if (!this.atEnd && this.peek() !== ',' && this.peek() !== '+') {
      this.fail(`unexpected ${describeChar(this.peek())} after hex value`);
    }
    return { value, ber };
  }
}

/** OpenSSL's `/type=value/type=value+type=value` one-line form. */
class OpenSslParser extends DnParser {
  parse(): DistinguishedName {
    if (this.peek() !== '/') {
      this.expected("'/' (OpenSSL one-line form)");
    }
    this.pos++;
    const certificateOrder: DnRdn[] = [];
    let rdn: DnAttributeValue[] = [];
    for (;;) {
      rdn.push(this.attribute());
      if (this.atEnd) {
        certificateOrder.push(rdn);
        return { rdns: certificateOrder.reverse() };
      }
      if (this.peek() === '/') {
        certificateOrder.push(rdn);
        rdn = [];
      }
      this.pos++;
    }
  }

  private attribute(): DnAttributeValue {
    const start = this.pos;
    while (!this.atEnd && !'=/+'.includes(this.peek())) {
      this.pos++;
    }
    const type = this.input.slice(start, this.pos);
    const { name, oid } = this.resolveType(start, this.pos);
    if (this.peek() !== '=') {
      this.expected("'=' after the attribute type");
    }
    this.pos++;
    return { type, name, oid, value: this.value() };
  }

  /** Stops before an unescaped `/` or `+`, or at the end. */
  private value(): string {
    const run = new ByteRun(this.fail);
    let out = '';
    while (!this.atEnd) {
      const ch = this.peek();
      if (ch === '/' || ch === '+') {
        break;
      }
      if (ch === '\\') {
        const next = this.input.charAt(this.pos + 1);
        if (next === '') {
          this.fail("lone '\\' at the end of the input");
        }
        if (next === 'x' || next === 'X') {
          const hex = this.input.slice(this.pos + 2, this.pos + 4);
          if (hex.length !== 2 || !isHexDigit(hex.charAt(0)) || !isHexDigit(hex.charAt(1))) {
            this.fail(`invalid escape: '\\${next}' must be followed by two hex digits`);
          }
          run.push(Number.parseInt(hex, 16), this.pos);
          this.pos += 4;
          continue;
        }
        if (!'/+=\\'.includes(next)) {
          this.fail(`invalid escape '\\' followed by ${describeChar(next)}`);
        }
        if (!run.empty) {
          out += run.take();
        }
        out += next;
        this.pos += 2;
        continue;
      }
      if (!run.empty) {
        out += run.take();
      }
      if (ch === '\0') {
        this.fail(`unescaped ${describeChar(ch)}`);
      }
      out += ch;
      this.pos++;
    }
    if (!run.empty) {
      out += run.take();
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// BER (X.690) for #hex values
// ---------------------------------------------------------------------------------------------

const MAX_BER_DEPTH = 32;

type BerFail = (reason: string, byteIndex: number) => never;

interface Tlv {
  readonly tag: number;
  readonly constructed: boolean;
  readonly contentStart: number;
  readonly contentEnd: number;
}

const byteAt = (bytes: Uint8Array, index: number): number => bytes[index] ?? 0;

/** Reads one tag-length-value at `offset`; definite lengths only. */
function readTlv(bytes: Uint8Array, offset: number, limit: number, fail: BerFail): Tlv {
  if (offset >= limit) {
    fail('malformed BER: missing tag', offset);
  }
  const tag = byteAt(bytes, offset);
  let i = offset + 1;
  if ((tag & 0x1f) === 0x1f) {
    for (let count = 0; ; count++) {
      if (i >= limit) {
        fail('malformed BER: truncated tag', i);
      }
      const b = byteAt(bytes, i);
      if ((count === 0 && b === 0x80) || count === 4) {
        fail('malformed BER: invalid tag number', i);
      }
      i++;
      if ((b & 0x80) === 0) {
        break;
      }
    }
  }
  if (i >= limit) {
    fail('malformed BER: missing length', i);
  }
  const lengthAt = i;
  const first = byteAt(bytes, i++);
  let length = first;
  if (first === 0x80) {
    fail('malformed BER: indefinite length is not supported', lengthAt);
  } else if (first > 0x80) {
    const count = first & 0x7f;
    if (count > 4) {
      fail('malformed BER: length too large', lengthAt);
    }
    length = 0;
    for (let k = 0; k < count; k++) {
      if (i >= limit) {
        fail('malformed BER: truncated length', i);
      }
      length = length * 256 + byteAt(bytes, i++);
    }
  }
  if (length > limit - i) {
    fail('malformed BER: length exceeds the value', lengthAt);
  }
  return { tag, constructed: (tag & 0x20) !== 0, contentStart: i, contentEnd: i + length };
}

function checkChildren(bytes: Uint8Array, tlv: Tlv, depth: number, fail: BerFail): void {
  if (depth > MAX_BER_DEPTH) {
    fail('malformed BER: nested too deeply', tlv.contentStart);
  }
  for (let offset = tlv.contentStart; offset < tlv.contentEnd; ) {
    const child = readTlv(bytes, offset, tlv.contentEnd, fail);
    if (child.constructed) {
      checkChildren(bytes, child, depth + 1, fail);
    }
    offset = child.contentEnd;
  }
}

/** Universal, primitive string types whose text becomes `DnAttributeValue.value`. */
const STRING_TAGS: ReadonlySet<number> = new Set([0x0c, 0x13, 0x14, 0x16, 0x1c, 0x1e]);

/** Validates one BER element filling `bytes`; returns its text for a string type, else `''`. */
function decodeBer(bytes: Uint8Array, fail: BerFail): string {
  const tlv = readTlv(bytes, 0, bytes.length, fail);
  if (tlv.contentEnd !== bytes.length) {
    fail('malformed BER: trailing bytes after the element', tlv.contentEnd);
  }
  if (tlv.constructed) {
    checkChildren(bytes, tlv, 1, fail);
    return '';
  }
  const { contentStart: start, contentEnd: end } = tlv;
  const content = bytes.subarray(start, end);
  switch (tlv.tag) {
    case 0x0c: {
      const decoded = decodeUtf8(content);
      return typeof decoded === 'string'
        ? decoded
        : fail('invalid UTF-8 in UTF8String', start + decoded.errorAt);
    }
    case 0x13:
    case 0x16: {
      const bad = content.findIndex(b => b > 0x7f);
      if (bad >= 0) {
        const name = tlv.tag === 0x13 ? 'PrintableString' : 'IA5String';
        fail(`non-ASCII byte in ${name}`, start + bad);
      }
      return String.fromCharCode(...content);
    }
    case 0x14:
      return String.fromCharCode(...content);
    case 0x1e: {
      if (content.length % 2 !== 0) {
        fail('malformed BMPString: odd length', start);
      }
      let text = '';
      for (let i = 0; i < content.length; i += 2) {
        text += String.fromCharCode(byteAt(content, i) * 256 + byteAt(content, i + 1));
      }
      if (/\p{Cs}/u.test(text)) {
        fail('malformed BMPString: unpaired surrogate', start);
      }
      return text;
    }
    case 0x1c: {
      if (content.length % 4 !== 0) {
        fail('malformed UniversalString: length not a multiple of 4', start);
      }
      let text = '';
      for (let i = 0; i < content.length; i += 4) {
        const cp =
          byteAt(content, i) * 0x1000000 +
          byteAt(content, i + 1) * 0x10000 +
          byteAt(content, i + 2) * 0x100 +
          byteAt(content, i + 3);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          fail('malformed UniversalString: invalid code point', start + i);
        }
        text += String.fromCodePoint(cp);
      }
      return text;
    }
    default:
      return '';
  }
}

/** Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF). */
function decodeUtf8(bytes: ArrayLike<number>): string | { errorAt: number } {
  let text = '';
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i] ?? 0;
    if (lead < 0x80) {
      text += String.fromCharCode(lead);
      i++;
      continue;
    }
    let count: number;
    let min = 0x80;
    let max = 0xbf;
    let cp: number;
    if (lead >= 0xc2 && lead <= 0xdf) {
      count = 1;
      cp = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      count = 2;
      cp = lead & 0x0f;
      if (lead === 0xe0) min = 0xa0;
      if (lead === 0xed) max = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      count = 3;
      cp = lead & 0x07;
      if (lead === 0xf0) min = 0x90;
      if (lead === 0xf4) max = 0x8f;
    } else {
      return { errorAt: i };
    }
    for (let k = 1; k <= count; k++) {
      const b = bytes[i + k];
      if (b === undefined || b < (k === 1 ? min : 0x80) || b > (k === 1 ? max : 0xbf)) {
        return { errorAt: i };
      }
      cp = cp * 64 + (b & 0x3f);
    }
    text += String.fromCodePoint(cp);
    i += count + 1;
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

/**
 * Writes a DN as an RFC 4514 string, most specific RDN first. Types: the RFC 4514 §3 short names
 * (`CN` `L` `ST` `O` `OU` `C` `STREET` `DC` `UID`), other known types by their common name
 * (`emailAddress`, `serialNumber`, …), unknown ones as dotted OIDs. Values are escaped per
 * RFC 4514 §2.4 ({@link escapeDnValue}); a value parsed from `#hex` is written as `#hex` again.
 * `parseDn(formatDistinguishedName(dn))` gives back the same names and values.
 * @publicApi
 */
export function formatDistinguishedName(dn: DistinguishedName): string {
  return dn.rdns
    .map(rdn => rdn.map(a => `${typeNameOf(a)}=${formatValue(a)}`).join('+'))
    .join(',');
}

function typeNameOf(attribute: DnAttributeValue): string {
  return attribute.oid === undefined
    ? attribute.name
    : (attributeNameForOid(attribute.oid) ?? attribute.oid);
}

function formatValue(attribute: DnAttributeValue): string {
  return attribute.ber === undefined ? escapeDnValue(attribute.value) : `#${toHex(attribute.ber)}`;
}

function toHex(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.toString('hex').toUpperCase();
}

function mustHexEscape(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/** `\XX` for each UTF-8 byte of a BMP code point. */
function utf8HexEscape(code: number): string {
  return [...Buffer.from(String.fromCharCode(code), 'utf8')]
    .map(byte => `\\${byte.toString(16).toUpperCase().padStart(2, '0')}`)
    .join('');
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

/**
 * RFC 4517 §4.2.15 distinguishedNameMatch, in the practical form used for allow-lists:
 * - same number of RDNs, in the same order;
 * - each RDN holds the same attributes in any order (`UID=42+CN=svc3` equals `CN=svc3+UID=42`);
 * - types are equal when their OIDs are (`CN`, `commonName`, `2.5.4.3`);
 * - values of the known types (all of them case-ignore strings) are equal after RFC 4518-style
 *   preparation: whitespace characters mapped to a space, Unicode NFKC, case folding, leading and
 *   trailing spaces removed and inner runs collapsed to one. Values of unknown OIDs are compared
 *   exactly. A `#hex` BER string equals the same text written plainly; any other BER is equal
 *   only to the same bytes.
 *
 * Invisible format characters (zero-width space, joiners, …) are not removed, unlike RFC 4518
 * §2.2: for an allow-list a name that differs by hidden characters is a different name.
 * @publicApi
 */
export function dnEquals(a: DistinguishedName, b: DistinguishedName): boolean {
  return a.rdns.length === b.rdns.length && canonicalDn(a) === canonicalDn(b);
}

/**
 * A string key for a DN: `canonicalDn(a) === canonicalDn(b)` exactly when `dnEquals(a, b)`.
 * Use it as a `Set` or `Map` key for allow-lists. The key is itself an RFC 4514 DN (types as
 * OIDs, prepared values, attributes of an RDN sorted), but it is meant for comparison, not
 * display, and its exact form may change between versions.
 * @publicApi
 */
export function canonicalDn(dn: DistinguishedName): string {
  return dn.rdns.map(rdn => rdn.map(attributeKey).sort().join('+')).join(',');
}

const WHITESPACE = /[\t\n\v\f\r\u0085\p{Zs}\u2028\u2029]/gu;

/**
 * RFC 4518 §2 (Map, Normalize, Insignificant Space Handling), as a string to compare. Repeated to
 * a fixed point: one round is not always idempotent (`ẞ` folds to `ß`, which folds to `ss`), and
 * the canonical form must come out the same when it is parsed and prepared again.
 */
function prepareValue(value: string): string {
  let prepared = prepareOnce(value);
  for (let round = 0; round < 4; round++) {
    const again = prepareOnce(prepared);
    if (again === prepared) break;
    prepared = again;
  }
  return prepared;
}

function prepareOnce(value: string): string {
  return value
    .replace(WHITESPACE, ' ')
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC')
    .replace(WHITESPACE, ' ')
    .replace(/ {2,}/g, ' ')
    .replace(/^ | $/g, '');
}

function attributeKey(attribute: DnAttributeValue): string {
  const type = attribute.oid ?? attribute.name.toLowerCase();
  const { ber } = attribute;
  if (ber !== undefined && (ber.length === 0 || !STRING_TAGS.has(byteAt(ber, 0)))) {
    return `${type}=#${toHex(ber)}`;
  }
  const known = attribute.oid !== undefined && attributeNameForOid(attribute.oid) !== undefined;
  return `${type}=${escapeDnValue(known ? prepareValue(attribute.value) : attribute.value)}`;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function isHexDigit(ch: string): boolean {
  return ch.length === 1 && '0123456789abcdefABCDEF'.includes(ch);
}

function quoteShort(text: string): string {
  const short = text.length > EXCERPT_RADIUS ? `${text.slice(0, EXCERPT_RADIUS)}…` : text;
  return `'${sanitize(short)}'`;
}

/** ` near "…excerpt…"`: at most 2 × EXCERPT_RADIUS characters of the input, escaped. */
function excerpt(input: string, position: number): string {
  if (input === '') {
    return '';
  }
  const from = Math.max(0, position - EXCERPT_RADIUS);
  const to = Math.min(input.length, position + EXCERPT_RADIUS);
  const text = `${from > 0 ? '…' : ''}${input.slice(from, to)}${to < input.length ? '…' : ''}`;
  return ` in "${sanitize(text)}"`;
}

function sanitize(text: string): string {
  return text.replace(
    /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}"\\]/gu,
    ch =>
      ch === '"' || ch === '\\'
        ? `\\${ch}`
        : `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}
