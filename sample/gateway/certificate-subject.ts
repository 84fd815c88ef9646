import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, type AttributeTypeAndValue, type Name } from '@peculiar/asn1-x509';
import { formatDn, type DnAttribute } from '../../lib/utils/dn.util.js';

/**
 * The Subject DN of a DER certificate as a correct RFC 4514 string, e.g.
 * `CN=service1,OU=Payments,O=Acme Ltd,C=GB`. Node's `getPeerCertificate().subject` is not that
 * string: it is an object, or newline-separated text in certificate (country-first) order.
 */
export function subjectDn(der: Uint8Array): string {
  return nameToDn(AsnConvert.parse(der, Certificate).tbsCertificate.subject);
}

export function nameToDn(name: Name): string {
  return formatDn(name.map(rdn => rdn.map(toAttribute)));
}

function toAttribute(attribute: AttributeTypeAndValue): DnAttribute {
  const { anyValue } = attribute.value;
  return anyValue
    ? { type: attribute.type, ber: new Uint8Array(anyValue) }
    : { type: attribute.type, value: attribute.value.toString() };
}
