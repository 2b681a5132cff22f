import { X509Certificate } from 'node:crypto';
import { isIPv6 } from 'node:net';

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
  readonly isCa: boolean;
  readonly hasBasicConstraints: boolean;
  readonly keyUsage: readonly string[];
  readonly extKeyUsage: readonly string[];
  readonly sans: readonly string[];
  readonly sha256: string;
}

/** The arguments that make openssl print what parseCertText reads; the certificate comes on stdin. */
export const CERT_TEXT_ARGS = [
  'x509',
  '-noout',
  '-text',
  '-fingerprint',
  '-sha256',
  '-nameopt',
  'RFC2253',
  '-certopt',
  'no_sigdump',
] as const;

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

export function parseCertText(text: string): CertInfo {
  const field = (re: RegExp) => re.exec(text)?.[1]?.trim() ?? '';
  const bc = extension(text, 'X509v3 Basic Constraints');
  return {
    subject: field(/^\s+Subject: (.*)$/m),
    issuer: field(/^\s+Issuer: (.*)$/m),
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

/** The PEM certificate blocks in a text, in order. */
export function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/** A certificate read back with its PEM, for checks node:crypto makes on the certificate itself. */
export type CertWithPem = CertInfo & { readonly pem: string };

/**
 * Whether the certificate serves a name, as a TLS client decides (RFC 6125, and Kafka's Java client): an IP address
 * matches IP SANs only, a DNS name DNS SANs only; a wildcard SAN covers exactly one left-most label (not the bare
 * domain, not two labels); the subject's CN is never consulted. A wanted wildcard must be listed itself.
 */
export function servesSan(pem: string, san: { readonly kind: 'DNS' | 'IP'; readonly value: string }): boolean {
  const cert = new X509Certificate(pem);
  if (san.kind === 'IP') return cert.checkIP(san.value) !== undefined;
  if (san.value.startsWith('*.'))
    return sanList(cert).some((s) => s.kind === 'DNS' && s.value.toLowerCase() === san.value.toLowerCase());
  return cert.checkHost(san.value, { subject: 'never' }) !== undefined;
}

/** Whether two SANs are the same entry: DNS names without regard to case, IP addresses as addresses (::1 = 0:0:0:0:0:0:0:1). */
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
