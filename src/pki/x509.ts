/**
 * A certificate's facts: read in-process with node:crypto's X509Certificate where Node exposes them, in the very form
 * `openssl x509 -text -nameopt RFC2253` prints them; the rest (version, key usages, basicConstraints, signature
 * algorithm) parsed from that text. And the SAN checks a TLS client makes.
 */
import { X509Certificate } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { rfc2253 } from './dn.js';
import { CURVE_BITS, type KeyFacts } from './key.js';

/** A certificate's facts, as `openssl x509 -text` prints them (with -nameopt RFC2253). */
export interface CertInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly version: number;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly signatureAlgorithm: string;
  readonly keyType: string;
  readonly keyBits: number;
  /** The key in words, read by node:crypto; absent when Node cannot read the certificate or its key. */
  readonly key?: KeyFacts;
  readonly isCa: boolean;
  readonly hasBasicConstraints: boolean;
  readonly keyUsage: readonly string[];
  readonly extKeyUsage: readonly string[];
  readonly sans: readonly string[];
  readonly sha256: string;
}

function extension(text: string, name: string): string | undefined {
  const m = new RegExp(`^\\s+${name}:.*\\n\\s+(.*)$`, 'm').exec(text);
  return m?.[1]?.trim();
}

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : [];

/** What openssl prints of a certificate, from its `x509 -text` output (steps/read.ts's certTextArgs). */
export function parseCertText(text: string): CertInfo {
  const field = (re: RegExp) => re.exec(text)?.[1]?.trim() ?? '';
  const bc = extension(text, 'X509v3 Basic Constraints');
  return {
    // Untrimmed: a value's last space is escaped ("CN=a\ "), and the backslash alone would be a different name.
    subject: /^\s+Subject: (.*)$/m.exec(text)?.[1] ?? '',
    issuer: /^\s+Issuer: (.*)$/m.exec(text)?.[1] ?? '',
    version: Number(field(/^\s+Version: (\d+)/m)),
    serial: (/Serial Number:\s*\n\s+([0-9a-f:]+)/i.exec(text)?.[1] ?? field(/Serial Number: (\S+)/))
      .replace(/:/g, '')
      .toUpperCase(),
    notBefore: new Date(field(/Not Before\s*: (.*)$/m)),
    notAfter: new Date(field(/Not After\s*: (.*)$/m)),
    signatureAlgorithm: field(/^\s+Signature Algorithm: (.*)$/m),
    keyType: field(/^\s+Public Key Algorithm: (.*)$/m),
    keyBits: Number(field(/Public-Key: \((\d+) bit\)/)),
    isCa: bc !== undefined && /CA:TRUE/.test(bc),
    hasBasicConstraints: bc !== undefined,
    keyUsage: list(extension(text, 'X509v3 Key Usage')),
    extKeyUsage: list(extension(text, 'X509v3 Extended Key Usage')),
    sans: list(extension(text, 'X509v3 Subject Alternative Name')),
    sha256: field(/sha256 Fingerprint=(\S+)/i),
  };
}

/** The facts node:crypto gives, as openssl prints them: all the state file records of a certificate. */
export type CertFacts = Pick<
  CertInfo,
  'subject' | 'issuer' | 'serial' | 'notBefore' | 'notAfter' | 'sha256' | 'sans' | 'keyBits'
>;

/** The certificate in a PEM text (the first, as openssl x509 reads it); undefined when Node cannot parse it. */
export function parseX509(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** X.509's version (1 to 3), which node:crypto does not expose: read from the DER of TBSCertificate. */
export function x509Version(cert: X509Certificate): number {
  const der = cert.raw;
  let i = 0;
  // Past the headers of the Certificate SEQUENCE and of TBSCertificate's, to TBSCertificate's first element.
  for (let n = 0; n < 2; n++) {
    const len = der[i + 1]!;
    i += 2 + (len & 0x80 ? len & 0x7f : 0);
  }
  // [0] EXPLICIT Version INTEGER (a0 03 02 01 v) is there only in v2 and v3 certificates: v1 omits it.
  return der[i] === 0xa0 ? der[i + 4]! + 1 : 1;
}

/**
 * Whether `cert` names `issuer` as its issuer (X509_check_issued: name and key identifiers) and carries its
 * signature: a chain checked by signature, not by name. verify's chain and CA checks ask this.
 */
export function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * A certificate's facts read in-process, each as parseCertText reads it from openssl's text. Undefined when one of
 * them is something Node does not render as openssl does (a SAN other than a DNS name, address, e-mail or URI, or
 * one with unusual characters; a key type Node does not describe): openssl's text is read then.
 */
export function certFacts(cert: X509Certificate): CertFacts | undefined {
  const subject = rfc2253(cert, 'subject');
  const issuer = rfc2253(cert, 'issuer');
  const sans = sanTexts(cert.subjectAltName);
  const keyBits = publicKeyBits(cert);
  if (subject === undefined || issuer === undefined || sans === undefined || keyBits === undefined) return undefined;
  return {
    subject,
    issuer,
    serial: serialText(cert.serialNumber),
    // Node prints the dates as openssl does ("Jan  2 03:04:05 2026 GMT"), read by the same Date parser.
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    sans,
    keyBits,
    sha256: cert.fingerprint256,
  };
}

/**
 * The serial as parseCertText reads openssl's -text line: in decimal when openssl prints it so (it fits in a signed
 * 64-bit integer, and is not -1, which OpenSSL 3.0 takes for an error), else its bytes in upper-case hexadecimal;
 * a long negative serial, printed "(Negative)…", reads as nothing.
 */
function serialText(nodeHex: string): string {
  const negative = nodeHex.startsWith('-');
  const digits = negative ? nodeHex.slice(1) : nodeHex;
  const magnitude = BigInt(`0x${digits || '0'}`);
  const value = negative ? -magnitude : magnitude;
  const fits = digits.length <= 16 && value >= -(2n ** 63n) && value < 2n ** 63n && value !== -1n;
  if (fits) return value.toString();
  return negative ? '' : digits.padStart(digits.length + (digits.length % 2), '0').toUpperCase();
}

/** The key's size as openssl's "Public-Key: (N bit)"; 0 for EdDSA keys, whose text has no such line. */
function publicKeyBits(cert: X509Certificate): number | undefined {
  let key;
  try {
    key = cert.publicKey;
  } catch {
    return undefined;
  }
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
    case 'dsa':
      return details.modulusLength;
    case 'ec':
      return details.namedCurve === undefined ? undefined : CURVE_BITS[details.namedCurve];
    case 'ed25519':
    case 'ed448':
      return 0;
    default:
      return undefined;
  }
}

/**
 * The SANs as parseCertText lists openssl's line. Node prints that line as openssl does for DNS names, addresses,
 * e-mail addresses and URIs, but quotes (JSON) a value with a comma, a quote or a control character: unquoted here,
 * and kept only when printable ASCII, which openssl prints as is.
 */
function sanTexts(nodeText: string | undefined): string[] | undefined {
  if (nodeText === undefined) return [];
  const entry = /(DNS|email|URI|IP Address):("(?:[^"\\]|\\.)*"|[^,"]*)(?:, |$)/y;
  const parts: string[] = [];
  while (entry.lastIndex < nodeText.length) {
    const m = entry.exec(nodeText);
    if (!m) return undefined;
    const value = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
    if (!/^[\x20-\x7e]*$/.test(value)) return undefined;
    parts.push(`${m[1]}:${value}`);
  }
  return list(parts.join(', '));
}

/** The PEM certificate blocks in a text, in order. */
export function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/** A certificate read back with its PEM, for checks node:crypto makes on the certificate itself. */
export type CertWithPem = CertFacts & { readonly pem: string };

/**
 * Whether the certificate serves a name, as a TLS client decides (RFC 6125, and Kafka's Java client): an IP address
 * matches IP SANs only, a DNS name DNS SANs only; a wildcard SAN covers exactly one left-most label (not the bare
 * domain, not two labels); the subject's CN is never consulted. A wanted wildcard must be listed itself. The one
 * answer to "does this certificate cover this name" for plan, verify and probe alike.
 */
export function servesSan(
  certOrPem: string | X509Certificate,
  san: { readonly kind: 'DNS' | 'IP'; readonly value: string },
): boolean {
  const cert = typeof certOrPem === 'string' ? new X509Certificate(certOrPem) : certOrPem;
  if (san.kind === 'IP') return cert.checkIP(san.value) !== undefined;
  if (san.value.startsWith('*.'))
    return sanList(cert).some((s) => s.kind === 'DNS' && s.value.toLowerCase() === san.value.toLowerCase());
  return cert.checkHost(san.value, { subject: 'never' }) !== undefined;
}

/**
 * Whether two SANs are the same entry: DNS names without regard to case, IP addresses as addresses
 * (::1 = 0:0:0:0:0:0:0:1).
 */
export function sameSan(a: { kind: string; value: string }, b: { kind: string; value: string }): boolean {
  if (a.kind !== b.kind) return false;
  return a.kind === 'IP' ? ipBytes(a.value) === ipBytes(b.value) : a.value.toLowerCase() === b.value.toLowerCase();
}

/** A SAN as openssl prints it ("DNS:x", "IP Address:1.2.3.4"), as a kind and a value; other kinds keep their label. */
export function parseSanText(text: string): { kind: string; value: string } {
  const m = /^(DNS|IP Address):(.*)$/.exec(text);
  return m ? { kind: m[1] === 'DNS' ? 'DNS' : 'IP', value: m[2]! } : { kind: text.split(':')[0]!, value: text };
}

function sanList(cert: X509Certificate): Array<{ kind: string; value: string }> {
  return (cert.subjectAltName ?? '').split(', ').filter(Boolean).map(parseSanText);
}

/** An address in one canonical form: the URL parser's for IPv6, the address itself for IPv4. */
function ipBytes(ip: string): string {
  return isIPv6(ip) ? new URL(`http://[${ip}]/`).hostname : ip;
}
