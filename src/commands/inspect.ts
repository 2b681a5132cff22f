import { basename, dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { readBounded } from '../pki/read-file.js';
import { passwordWarning, readPassword } from '../options/password.js';
import { capture, type CaptureOptions } from '../runner/capture.js';
import { preflight } from '../runner/tools.js';
import { PASSWORD_ENV, readCert, readStore } from '../pki/read.js';
import { pemBlocks, type CertInfo } from '../pki/x509.js';

/**
 * `inspect FILE...`: what a certificate, CSR, key or store holds, in one
 * readable summary per file, like `step certificate inspect`. Reads only.
 */
export interface RawInspectOptions {
  passwordFile?: string;
  json?: boolean;
  openssl?: string;
  keytool?: string;
}

export function inspectCommand(): Command {
  return new Command('inspect')
    .description('Summarize certificates, CSRs, keys and keystores (PEM, PKCS12, JKS)')
    .argument('<file...>', 'files to inspect')
    .option('--password-file <file>', 'file holding the store or key password (default: env PASSWORD, else "password")')
    .option('--json', 'print the summaries as JSON')
    .option('--openssl <path>', 'openssl to run (default: openssl on PATH)')
    .option('--keytool <path>', 'keytool to run (default: keytool on PATH)');
}

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

export async function runInspect(
  files: string[],
  raw: RawInspectOptions,
  deps: { env: NodeJS.ProcessEnv; warn?: (line: string) => void },
): Promise<Inspected[]> {
  const shared = await readPassword(raw.passwordFile, deps.env);
  const { secret } = shared;
  const tools = { openssl: raw.openssl ?? 'openssl', keytool: raw.keytool ?? 'keytool' };
  await preflight(tools, ['openssl'], deps.env);
  const out: Inspected[] = [];
  // Each file gets its answer: one that cannot be read is reported as such, and the others still are.
  for (const f of files) {
    const path = resolve(f);
    // Any kind of file may be given: the largest cap, a store's.
    const bytes = await readBounded(path, { kind: 'store', option: '<file>' }).catch((e: unknown) => {
      // What is not a regular file (a FIFO, a device) or is over the cap stays a usage error; a missing one is an answer.
      const cause = e instanceof UsageError ? (e.cause as NodeJS.ErrnoException | undefined) : undefined;
      if (!cause?.code) throw e;
      return { file: basename(path), kind: 'unreadable' as const, reason: `cannot be read: ${ioReason(cause)}` };
    });
    const opts: CaptureOptions = { tools, secrets: { [PASSWORD_ENV]: secret }, cwd: dirname(path) };
    out.push(Buffer.isBuffer(bytes) ? await inspectOne(path, bytes, opts) : bytes);
  }
  // Certificates and CSRs need no password; stores and keys were opened with it.
  const opened = out.some(
    (i) => i.kind === 'store' || i.kind === 'unreadable' || (i.kind === 'private key' && i.encrypted),
  );
  const warning = opened ? passwordWarning(shared) : undefined;
  if (warning) deps.warn?.(warning);
  return out;
}

function ioReason(e: NodeJS.ErrnoException): string {
  const known: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a part of its path is not a directory',
  };
  return (e.code && known[e.code]) ?? e.code ?? e.message;
}

async function inspectOne(path: string, bytes: Buffer, opts: CaptureOptions): Promise<Inspected> {
  const file = basename(path);
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
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
  if (/-----BEGIN (NEW )?CERTIFICATE REQUEST-----/.test(text)) {
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
  if (/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
    const encrypted = /ENCRYPTED/.test(text);
    // -text_pub: only the public half is printed, whatever the file holds.
    const r = await capture('openssl', ['pkey', '-in', path, '-noout', '-text_pub', '-passin', `env:${PASSWORD_ENV}`], {
      ...opts,
      secretEnv: [PASSWORD_ENV],
    });
    if (!r.ok)
      return {
        file,
        kind: 'unreadable',
        reason: `cannot read the key${encrypted ? ' (is the password right?)' : ''}: ${r.stderr.trim().split('\n')[0]}`,
      };
    const bits = Number(/\((\d+) bit\)/.exec(r.raw.stdout)?.[1] ?? 0);
    return {
      file,
      kind: 'private key',
      keyType: /RSA|rsa/.test(r.raw.stdout) || /Modulus/.test(r.raw.stdout) ? 'RSA' : 'EC or other',
      keyBits: bits,
      encrypted,
    };
  }
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
