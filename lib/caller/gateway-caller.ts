import {
  canonicalDn,
  DnSyntaxError,
  formatDistinguishedName,
  parseDn,
  parseOpenSslDn,
  resolveAttributeType,
  type DistinguishedName,
  type DnRdn,
} from '../utils/dn.util.js';

/**
 * How the gateway writes the caller's DN in `sub`:
 * - `rfc4514` (default): `CN=service1,OU=Payments,O=Acme Ltd,C=GB`, most specific RDN first
 *   (RFC 4514, as nginx's `$ssl_client_s_dn` and most gateways write it);
 * - `openssl`: OpenSSL's one-line form `/C=GB/O=Acme Ltd/OU=Payments/CN=service1`, in certificate
 *   order (country first);
 * - `opaque`: `sub` is not a DN (a client id, say): no parsing, no DN decorators.
 * @publicApi
 */
export type SubjectFormat = 'rfc4514' | 'openssl' | 'opaque';

/**
 * The verified caller, parsed from the token's `sub`. Attribute lookups and comparisons go by
 * meaning: attribute types by OID (`CN`, `cn`, `commonName` and `2.5.4.3` are one), values
 * case-insensitively with insignificant spaces folded.
 *
 * @example
 * @Get() list(@GatewayCaller() caller: VerifiedCaller) { return { ou: caller.getAll('OU') }; }
 * @publicApi
 */
export class VerifiedCaller {
  /** A string equal for, and only for, DNs that match (allow-list lookups); none when opaque. */
  readonly key: string | undefined;

  private constructor(
    /** The DN exactly as the token's `sub` carries it. */
    readonly dn: string,
    /** The parsed DN; `undefined` for `subjectFormat: 'opaque'`. */
    readonly parsed: DistinguishedName | undefined,
  ) {
    this.key = parsed ? canonicalDn(parsed) : undefined;
  }

  /**
   * Parses a `sub` in the given format.
   * @throws {DnSyntaxError} when it is not a DN (or an empty one)
   */
  static fromSubject(subject: string, format: SubjectFormat): VerifiedCaller {
    if (format === 'opaque') return new VerifiedCaller(subject, undefined);
    const parsed = parseCallerDn(subject, format);
    return new VerifiedCaller(subject, parsed);
  }

  /** The RDNs, most specific first (RFC 4514 order); empty for an opaque subject. */
  get rdns(): readonly DnRdn[] {
    return this.parsed?.rdns ?? [];
  }

  /** The DN re-written as canonical RFC 4514 text; the raw `sub` for an opaque subject. */
  get rfc4514(): string {
    return this.parsed ? formatDistinguishedName(this.parsed) : this.dn;
  }

  /** The value of the most specific attribute of this type (`get('CN')`), or `undefined`. */
  get(attribute: string): string | undefined {
    return this.getAll(attribute)[0];
  }

  /** Every value of this attribute type, most specific first (`getAll('OU')`). */
  getAll(attribute: string): string[] {
    const type = resolveAttributeType(attribute);
    if (type?.oid === undefined) throw new TypeError(`"${attribute}" is not a known attribute type`);
    const values: string[] = [];
    for (const rdn of this.rdns) {
      for (const item of rdn) {
        if (item.oid === type.oid) {
          values.push(item.value);
        }
      }
    }
    return values;
  }

  /** True when `dn` names the same caller (RFC 4517 distinguishedNameMatch); false if it is not a DN. */
  is(dn: string): boolean {
    if (!this.parsed) return false;
    try {
      return canonicalDn(parseCallerDn(dn, dn.startsWith('/') ? 'openssl' : 'rfc4514')) === this.key;
    } catch {
      return false;
    }
  }

  toString(): string {
    return this.dn;
  }

  toJSON(): string {
    return this.dn;
  }
}

/**
 * Parses a caller DN: RFC 4514 text, or OpenSSL's slash form. An empty DN names nobody.
 * @throws {DnSyntaxError}
 */
export function parseCallerDn(text: string, format: 'rfc4514' | 'openssl'): DistinguishedName {
  const parsed = format === 'openssl' ? parseOpenSslDn(text) : parseDn(text);
  if (parsed.rdns.length === 0) throw new DnSyntaxError('the DN is empty', 0, text);
  return parsed;
}
