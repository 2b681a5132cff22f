/** What one file holds (a certificate, a CSR, a private key or a store), read for `inspect`. */
import { basename } from 'node:path';
import { capture, type CaptureOptions } from '../runner/capture.js';
import { csrTextArgs, keyFilePublicArgs } from '../steps/read.js';
import { pemKeyFacts, type KeyFacts } from './key.js';
import { readCert, readStore } from './read.js';
import { STORE_PASSWORD_ENV } from '../model/secret-names.js';
import { pemBlocks, type CertInfo } from './x509.js';

export type Inspected =
  | {
      readonly file: string;
      readonly kind: 'certificate';
      /** "certificate", or "N certificates" for a bundle. */
      readonly summary: string;
      readonly count: number;
      readonly certs: readonly CertInfo[];
    }
  | {
      readonly file: string;
      readonly kind: 'csr';
      readonly subject: string;
      /** openssl's name of the algorithm (rsaEncryption, id-ecPublicKey, ED25519) and its size line. */
      readonly keyType: string;
      readonly keyBits: number;
      /** The key in words; absent when Node cannot read the public key openssl prints. */
      readonly key?: KeyFacts;
      readonly sans: readonly string[];
    }
  | {
      readonly file: string;
      readonly kind: 'private key';
      /** RSA, EC, Ed25519…: KeyFacts' type. */
      readonly keyType: string;
      /** KeyFacts' bits, 0 for a type without a size (Ed25519), as openssl's text had none. */
      readonly keyBits: number;
      readonly key?: KeyFacts;
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
  if (/-----BEGIN (RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----/.test(text)) return inspectKey(file, path, text, opts);
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
  const summary = blocks.length === 1 ? 'certificate' : `${blocks.length} certificates`;
  return { file, kind: 'certificate', summary, count: blocks.length, certs: certs as CertInfo[] };
}

async function inspectCsr(file: string, path: string, opts: CaptureOptions): Promise<Inspected> {
  const r = await capture('openssl', csrTextArgs(path), opts);
  if (!r.ok) return { file, kind: 'unreadable', reason: r.stderr.trim().split('\n')[0] ?? 'openssl req failed' };
  const out = r.raw.stdout;
  const key = publicKeyIn(out);
  return {
    file,
    kind: 'csr',
    subject: /Subject: (.*)$/m.exec(out)?.[1]?.trim() ?? '',
    keyType: /Public Key Algorithm: (.*)$/m.exec(out)?.[1]?.trim() ?? '',
    keyBits: Number(/Public-Key: \((\d+) bit\)/.exec(out)?.[1] ?? 0),
    ...(key ? { key } : {}),
    sans: (/Subject Alternative Name:.*\n\s+(.*)$/m.exec(out)?.[1] ?? '').split(', ').filter(Boolean),
  };
}

/**
 * A private key's public half. Node reads an unencrypted key itself; an encrypted one (or one Node cannot read)
 * openssl opens with the password from the environment and prints its public half, which Node then names.
 */
async function inspectKey(file: string, path: string, text: string, opts: CaptureOptions): Promise<Inspected> {
  // Either PKCS#8's header or the traditional format's "Proc-Type: 4,ENCRYPTED".
  const encrypted = /ENCRYPTED/.test(text);
  let key = encrypted ? undefined : pemKeyFacts(text);
  let opensslBits: number | undefined;
  if (!key) {
    const r = await capture('openssl', keyFilePublicArgs(path, STORE_PASSWORD_ENV), {
      ...opts,
      secretEnv: [STORE_PASSWORD_ENV],
    });
    if (!r.ok) {
      const why = r.stderr.trim().split('\n')[0];
      return {
        file,
        kind: 'unreadable',
        reason: `cannot read the key${encrypted ? ' (is the password right?)' : ''}: ${why}`,
      };
    }
    key = publicKeyIn(r.raw.stdout);
    opensslBits = Number(/\((\d+) bit\)/.exec(r.raw.stdout)?.[1] ?? 0);
  }
  return {
    file,
    kind: 'private key',
    keyType: key?.type ?? 'unknown',
    keyBits: key?.bits ?? opensslBits ?? 0,
    ...(key ? { key } : {}),
    encrypted,
  };
}

/** The facts of the first PEM public key in openssl's output. */
function publicKeyIn(out: string): KeyFacts | undefined {
  const pem = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/.exec(out)?.[0];
  return pem ? pemKeyFacts(pem) : undefined;
}

async function inspectStore(file: string, path: string, opts: CaptureOptions): Promise<Inspected> {
  const store = await readStore(path, opts, '<file>');
  if (!store.opened) {
    const wrongPassword = /Mac verify|password was incorrect|tampered/i.test(store.error ?? '');
    return {
      file,
      kind: 'unreadable',
      reason: store.unsupportedAlgorithm
        ? `a PKCS12 store whose ${store.unsupportedAlgorithm} this openssl cannot decrypt (OpenSSL 1.1.1's .p12 ` +
          `default; OpenSSL 3 needs -legacy), and keytool could not list it: ${store.error}`
        : wrongPassword
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
