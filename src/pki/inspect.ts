/** What one file holds (a certificate, a CSR, a private key or a store), read for `inspect`. */
import { basename } from 'node:path';
import { capture, type CaptureOptions } from '../runner/capture.js';
import { PASSWORD_ENV, readCert, readStore } from './read.js';
import { pemBlocks, type CertInfo } from './x509.js';

export type Inspected =
  | { readonly file: string; readonly kind: 'certificate'; readonly certs: readonly CertInfo[] }
  | {
      readonly file: string;
      readonly kind: 'csr';
      readonly subject: string;
      readonly keyType: string;
      readonly keyBits: number;
      readonly sans: readonly string[];
    }
  | {
      readonly file: string;
      readonly kind: 'private key';
      readonly keyType: string;
      readonly keyBits: number;
      readonly encrypted: boolean;
    }
  | {
      readonly file: string;
      readonly kind: 'store';
      readonly type: string;
      readonly entries: ReadonlyArray<{ alias: string; entryType: string; certs: readonly CertInfo[] }>;
    }
  | { readonly file: string; readonly kind: 'unreadable'; readonly reason: string };

/** Why a file could not be opened, in words. */
export function ioReason(e: NodeJS.ErrnoException): string {
  const known: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a part of its path is not a directory',
  };
  return (e.code && known[e.code]) ?? e.code ?? e.message;
}

/** One file's summary; a file that is none of the kinds it knows is `unreadable`, with why. */
export async function inspectOne(path: string, bytes: Buffer, opts: CaptureOptions): Promise<Inspected> {
  const file = basename(path);
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) return inspectCertificates(file, text, opts);
  if (/-----BEGIN (NEW )?CERTIFICATE REQUEST-----/.test(text)) return inspectCsr(file, path, opts);
  if (/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text))
    return inspectKey(file, path, /ENCRYPTED/.test(text), opts);
  return inspectStore(file, path, opts);
}

async function inspectCertificates(file: string, text: string, opts: CaptureOptions): Promise<Inspected> {
  const blocks = pemBlocks(text);
  const certs = await Promise.all(blocks.map((pem) => readCert(pem, opts)));
  // A block that only looks like a certificate is not one: the file is not what it claims.
  const bad = certs.findIndex((c) => c === undefined);
  if (blocks.length === 0 || bad >= 0) {
    const which =
      blocks.length === 0 ? 'its CERTIFICATE block has no END line' : `certificate ${bad + 1} of ${blocks.length}`;
    return {
      file,
      kind: 'unreadable',
      reason: `a PEM file whose certificate openssl cannot read (${which}): not DER inside, or damaged`,
    };
  }
  return { file, kind: 'certificate', certs: certs as CertInfo[] };
}

async function inspectCsr(file: string, path: string, opts: CaptureOptions): Promise<Inspected> {
  const r = await capture('openssl', ['req', '-noout', '-text', '-nameopt', 'RFC2253', '-in', path], opts);
  if (!r.ok) return { file, kind: 'unreadable', reason: r.stderr.trim().split('\n')[0] ?? 'openssl req failed' };
  return {
    file,
    kind: 'csr',
    subject: /Subject: (.*)$/m.exec(r.raw.stdout)?.[1]?.trim() ?? '',
    keyType: /Public Key Algorithm: (.*)$/m.exec(r.raw.stdout)?.[1]?.trim() ?? '',
    keyBits: Number(/Public-Key: \((\d+) bit\)/.exec(r.raw.stdout)?.[1] ?? 0),
    sans: (/Subject Alternative Name:.*\n\s+(.*)$/m.exec(r.raw.stdout)?.[1] ?? '').split(', ').filter(Boolean),
  };
}

async function inspectKey(file: string, path: string, encrypted: boolean, opts: CaptureOptions): Promise<Inspected> {
  // -text_pub: only the public half is printed, whatever the file holds.
  const args = ['pkey', '-in', path, '-noout', '-text_pub', '-passin', `env:${PASSWORD_ENV}`];
  const r = await capture('openssl', args, { ...opts, secretEnv: [PASSWORD_ENV] });
  if (!r.ok) {
    const why = r.stderr.trim().split('\n')[0];
    return {
      file,
      kind: 'unreadable',
      reason: `cannot read the key${encrypted ? ' (is the password right?)' : ''}: ${why}`,
    };
  }
  const bits = Number(/\((\d+) bit\)/.exec(r.raw.stdout)?.[1] ?? 0);
  return {
    file,
    kind: 'private key',
    keyType: /RSA|rsa/.test(r.raw.stdout) || /Modulus/.test(r.raw.stdout) ? 'RSA' : 'EC or other',
    keyBits: bits,
    encrypted,
  };
}

async function inspectStore(file: string, path: string, opts: CaptureOptions): Promise<Inspected> {
  const store = await readStore(path, opts, '<file>');
  if (!store.opened) {
    const wrongPassword = /Mac verify|password was incorrect|tampered/i.test(store.error ?? '');
    return {
      file,
      kind: 'unreadable',
      reason: wrongPassword
        ? `a ${store.type} store that does not open with the password: ${store.error}`
        : 'not a PEM certificate, CSR or private key, nor a PKCS12 or JKS store',
    };
  }
  return {
    file,
    kind: 'store',
    type: store.type,
    entries: store.entries.map((e) => ({ alias: e.alias, entryType: e.entryType, certs: e.infos })),
  };
}
