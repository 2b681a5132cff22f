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
export const CERT_TEXT_ARGS = ['x509', '-noout', '-text', '-fingerprint', '-sha256', '-nameopt', 'RFC2253', '-certopt', 'no_sigdump'] as const;

function extension(text: string, name: string): string | undefined {
  const m = new RegExp(`^\\s+${name}:.*\\n\\s+(.*)$`, 'm').exec(text);
  return m?.[1]?.trim();
}

const list = (v: string | undefined) => (v ? v.split(',').map((x) => x.trim()).filter(Boolean) : []);

export function parseCertText(text: string): CertInfo {
  const field = (re: RegExp) => re.exec(text)?.[1]?.trim() ?? '';
  const bc = extension(text, 'X509v3 Basic Constraints');
  return {
    subject: field(/^\s+Subject: (.*)$/m),
    issuer: field(/^\s+Issuer: (.*)$/m),
    version: Number(field(/^\s+Version: (\d+)/m)),
    serial: (/Serial Number:\s*\n\s+([0-9a-f:]+)/i.exec(text)?.[1] ?? field(/Serial Number: (\S+)/)).replace(/:/g, '').toUpperCase(),
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
