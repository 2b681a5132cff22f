/**
 * A certificate's subject and issuer in RFC 2253 form, byte for byte as `openssl x509 -nameopt RFC2253` prints
 * them, read in-process from the certificate's DER (OpenSSL's do_name_ex and do_buf, crypto/asn1/a_strex.c).
 */
import type { X509Certificate } from 'node:crypto';

/** One DER element: its tag, and where its header and content sit in the buffer. */
interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly content: number;
  readonly end: number;
}

/** Why a name is left to openssl: DER this reader does not follow, or a name Node printed otherwise. */
class Unreadable extends Error {}

function tlv(der: Buffer, at: number): Tlv {
  const tag = der[at]!;
  // A multi-byte tag never occurs in a certificate's frame; in a name value it is left to openssl.
  if ((tag & 0x1f) === 0x1f || at + 2 > der.length) throw new Unreadable();
  let length = der[at + 1]!;
  let content = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) throw new Unreadable();
    length = der.readUIntBE(content, n);
    content += n;
  }
  if (content + length > der.length) throw new Unreadable();
  return { tag, start: at, content, end: content + length };
}

function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.content; at < parent.end; at = out[out.length - 1]!.end) out.push(tlv(der, at));
  return out;
}

/** One attribute of a name: the RDN (SET) it belongs to, and its value's DER element. */
interface Entry {
  readonly set: number;
  readonly value: Tlv;
}

/** tbsCertificate: [0] version (optional), serial, signature, issuer, validity, subject, ... (RFC 5280 4.1). */
function nameEntries(der: Buffer, which: 'issuer' | 'subject'): Entry[] {
  const tbs = children(der, tlv(der, 0))[0];
  if (!tbs) throw new Unreadable();
  const fields = children(der, tbs);
  const first = fields[0]?.tag === 0xa0 ? 1 : 0;
  const name = fields[first + (which === 'issuer' ? 2 : 4)];
  if (!name || name.tag !== 0x30) throw new Unreadable();
  return children(der, name).flatMap((rdn, set) =>
    children(der, rdn).map((atv) => {
      const [, value] = children(der, atv);
      if (!value) throw new Unreadable();
      return { set, value };
    }),
  );
}

/** Bytes per character of the string types OpenSSL prints as text (its tag2nbyte); the rest it dumps as hex. */
const CHAR_WIDTH: Readonly<Record<number, number>> = { 12: 0, 18: 1, 19: 1, 20: 1, 22: 1, 26: 1, 28: 4, 30: 2 };

/** The characters RFC 2253 escapes with a backslash anywhere; a space or # only where openssl does (see value). */
const BACKSLASHED = new Set([...'"+,;<>\\']);

const hex = (b: number) => `\\${b.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * A value as openssl's RFC 2253 flags print it: control characters and every byte of a non-ASCII character's UTF-8
 * as \XX, the specials backslashed; a leading space or #, and a trailing space, backslashed (a value of one character
 * counts as trailing only, as in do_buf).
 */
function printValue(der: Buffer, v: Tlv): string {
  const width = CHAR_WIDTH[v.tag];
  if (width === undefined) return dumped(der, v);
  const bytes = der.subarray(v.content, v.end);
  // A UTF8String is taken byte by byte: openssl does not decode what it would only encode again.
  const step = Math.max(width, 1);
  if (bytes.length % step !== 0) throw new Unreadable();
  let out = '';
  for (let i = 0; i < bytes.length; i += step) {
    const c = bytes.readUIntBE(i, step);
    const ch = String.fromCharCode(c);
    const last = i + step === bytes.length;
    if (c > 0x7f) out += width === 0 ? hex(c) : utf8Escaped(c);
    else if (c < 0x20 || c === 0x7f) out += hex(c);
    else if (BACKSLASHED.has(ch)) out += `\\${ch}`;
    else if (last && ch === ' ') out += '\\ ';
    else if (i === 0 && !last && (ch === ' ' || ch === '#')) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/** A character of a wider string type: its UTF-8 bytes, each as \XX (a lone surrogate openssl cannot encode). */
function utf8Escaped(c: number): string {
  if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) throw new Unreadable();
  return [...Buffer.from(String.fromCodePoint(c), 'utf8')].map(hex).join('');
}

/** What openssl prints of a value it does not render as text: # and the value's whole DER (tag, length, content). */
const dumped = (der: Buffer, v: Tlv) => `#${der.subarray(v.start, v.end).toString('hex').toUpperCase()}`;

/**
 * The attributes' short names, in certificate order, from Node's multi-line rendering (one RDN a line, " + " between
 * the values of one RDN, specials escaped): the same OpenSSL names openssl prints, a dotted OID for an unknown one.
 */
function shortNames(printed: string | undefined): string[] {
  if (!printed) return [];
  return printed.split('\n').flatMap((line) => line.split(' + ').map((atv) => atv.slice(0, atv.indexOf('='))));
}

/**
 * The issuer or subject as openssl prints it with -nameopt RFC2253: the last RDN first, "+" inside a multi-valued
 * RDN; an unknown attribute, or a value of a type that is not a string, as # and its DER in hex. Undefined when the
 * certificate holds something this reader does not follow: openssl's own text is read then.
 */
export function rfc2253(cert: X509Certificate, which: 'issuer' | 'subject'): string | undefined {
  try {
    const der = cert.raw;
    const entries = nameEntries(der, which);
    const names = shortNames(cert[which]);
    if (names.length !== entries.length) return undefined;
    let out = '';
    for (let i = entries.length - 1; i >= 0; i--) {
      const { set, value } = entries[i]!;
      if (i < entries.length - 1) out += entries[i + 1]!.set === set ? '+' : ',';
      const name = names[i]!;
      // An attribute OpenSSL has no name for is printed as its OID, and its value dumped whatever its type.
      out += `${name}=${/^\d+(\.\d+)+$/.test(name) ? dumped(der, value) : printValue(der, value)}`;
    }
    return out;
  } catch (e) {
    if (e instanceof Unreadable || e instanceof RangeError) return undefined;
    throw e;
  }
}
