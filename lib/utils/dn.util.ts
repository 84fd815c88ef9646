/**
 * Distinguished names as RFC 4514 strings. Pure functions: no Nest, no I/O.
 */

/** One attribute of a relative distinguished name: a string value, or the BER of a non-string one. */
export type DnAttribute =
  | { readonly type: string; readonly value: string }
  | { readonly type: string; readonly ber: Uint8Array };

/** A relative distinguished name: one attribute, or several joined with `+`. */
export type Rdn = readonly DnAttribute[];

/** RFC 4514 §3: the attribute types written by short name; any other is written as a dotted OID. */
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
 * space at the start, a space at the end; control characters as `\XX` so a DN never carries a
 * raw newline into a log line.
 */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    const code = value.charCodeAt(i);
    if ('"+,;<>\\'.includes(ch)) {
      out += `\\${ch}`;
    } else if (code < 0x20 || code === 0x7f) {
      out += `\\${code.toString(16).toUpperCase().padStart(2, '0')}`;
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
            'ber' in attribute ? `#${Buffer.from(attribute.ber).toString('hex')}` : escapeDnValue(attribute.value);
          return `${type}=${value}`;
        })
        .join('+'),
    )
    .join(',');
}
