/**
 * OpenSSL's packed error codes, read by their reason: a line that kept `error:0A000086` (3.x) or `error:1416F086`
 * (1.1.1) but lost the text after it is read as if the reason were written out. 3.x packs the library in the top
 * 9 bits and the reason in the low 23; 1.1.1 the library in the top 8 bits, the function in 12, the reason in 12.
 */

const SSL_LIB = 20;
const X509_LIB = 11;

/** Reasons by library and number (include/openssl/sslerr.h, x509err.h; the same numbers in 1.1.1 and 3.x). */
const REASONS: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  [SSL_LIB]: {
    0x86: 'certificate verify failed',
    0x7b: 'bad signature',
    0x10b: 'wrong version number',
    0x9c: 'http request',
    0xc6: 'packet length too long',
    0xc7: 'peer did not return a certificate',
    0xc1: 'no shared cipher',
    0xb5: 'no ciphers available',
    0x102: 'unsupported protocol',
    0xbf: 'no protocols available',
    0x126: 'unexpected eof while reading',
    0x410: 'sslv3 alert handshake failure',
    0x412: 'sslv3 alert bad certificate',
    0x413: 'sslv3 alert unsupported certificate',
    0x415: 'sslv3 alert certificate expired',
    0x416: 'sslv3 alert certificate unknown',
    0x418: 'tlsv1 alert unknown ca',
    0x41b: 'tlsv1 alert decrypt error',
    0x42e: 'tlsv1 alert protocol version',
    0x45c: 'tlsv13 alert certificate required',
  },
  [X509_LIB]: { 0x74: 'key values mismatch' },
};

/** The library and reason of a packed code, in whichever of the two layouts it is. */
export function decodeOpensslError(hex: string): { lib: number; reason: number } {
  const code = parseInt(hex, 16);
  const old = code >>> 24;
  // 1.1.1's SSL and X509 libraries sit in the top byte (0x14, 0x0B); 3.x's top byte is 0x0A or 0x05 for them.
  if (old === SSL_LIB || old === X509_LIB) return { lib: old, reason: code & 0xfff };
  return { lib: code >>> 23, reason: code & 0x7fffff };
}

/** The text, with each packed code's reason appended where the text does not say it already. */
export function expandOpensslCodes(text: string): string {
  const extra: string[] = [];
  for (const m of text.matchAll(/\berror:([0-9A-Fa-f]{8})\b/g)) {
    const { lib, reason } = decodeOpensslError(m[1]!);
    const said = REASONS[lib]?.[reason];
    if (said && !text.toLowerCase().includes(said)) extra.push(said);
  }
  return extra.length === 0 ? text : `${text}\n${extra.join('\n')}`;
}
