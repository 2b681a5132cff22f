import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { capture, type CaptureOptions } from '../runner/capture.js';
import { checkRegularFile } from './read-file.js';
import { parseOpensslPkcs12, type StoreEntry } from './stores.js';
import { CERT_TEXT_ARGS, parseCertText, pemBlocks, type CertInfo } from './x509.js';

/** A store as verify sees it: each entry with its certificates read in full. */
export interface ReadStore {
  readonly path: string;
  /** How findings name it (its path in the directory); the file name when unset. */
  readonly name?: string;
  readonly type: 'PKCS12' | 'JKS';
  readonly opened: boolean;
  /** Why it did not open: the tool's own words. */
  readonly error?: string;
  readonly entries: ReadonlyArray<StoreEntry & { readonly infos: readonly CertInfo[] }>;
  /** For a PKCS12 key entry: whether the private key matches the leaf certificate. */
  readonly keyMatches?: boolean;
}

const PASSWORD_ENV = 'KAFKA_MTLS_STORE_PASSWORD';

/** JKS and JCEKS files start with a magic number; anything else is taken for PKCS12 (DER). */
async function storeType(path: string): Promise<'PKCS12' | 'JKS'> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    return b.readUInt32BE(0) === 0xfeedfeed || b.readUInt32BE(0) === 0xcececece ? 'JKS' : 'PKCS12';
  } finally {
    await fh.close();
  }
}

export async function readCert(pem: string, opts: CaptureOptions): Promise<CertInfo | undefined> {
  const r = await capture('openssl', CERT_TEXT_ARGS, { ...opts, input: pem });
  return r.ok ? parseCertText(r.raw.stdout) : undefined;
}

/** `option` names the input in an error: a store that is not a regular file, or too large, is refused (exit 2). */
export async function readStore(path: string, opts: CaptureOptions, option = '[dir]'): Promise<ReadStore> {
  // keytool and openssl read the store by its path: a FIFO would keep them waiting until the time-out.
  await checkRegularFile(path, { kind: 'store', option });
  const type = await storeType(path);
  const secretEnv = [PASSWORD_ENV];
  let entries: StoreEntry[];
  let keyMatches: boolean | undefined;
  if (type === 'PKCS12') {
    const r = await capture('openssl', ['pkcs12', '-in', path, '-passin', `env:${PASSWORD_ENV}`, '-nokeys', '-info'], {
      ...opts,
      secretEnv,
    });
    const listing = r.ok ? parseOpensslPkcs12(r.raw.stdout, r.raw.stderr) : undefined;
    if (!listing) return { path, type, opened: false, error: lastLine(r.stderr || r.stdout), entries: [] };
    entries = [...listing.entries];
    const leaf = entries.find((e) => e.entryType === 'PrivateKeyEntry')?.certs[0]?.pem;
    if (leaf) keyMatches = await keyMatchesCert(path, leaf, opts);
  } else {
    const r = await capture(
      'keytool',
      ['-J-Duser.language=en', '-list', '-rfc', '-keystore', path, '-storepass:env', PASSWORD_ENV],
      { ...opts, secretEnv },
    );
    if (!r.ok) return { path, type, opened: false, error: lastLine(r.stdout + r.stderr), entries: [] };
    entries = r.raw.stdout
      .split(/^Alias name: /m)
      .slice(1)
      .map((block) => ({
        alias: block.slice(0, block.indexOf('\n')).trim(),
        entryType: (/^Entry type: (\S+)/m.exec(block)?.[1] ?? 'unknown') as StoreEntry['entryType'],
        certs: pemBlocks(block).map((pem) => ({ owner: '', issuer: '', pem })),
      }));
  }
  const withInfos = await Promise.all(
    entries.map(async (e) => ({
      ...e,
      infos: (await Promise.all(e.certs.map((c) => (c.pem ? readCert(c.pem, opts) : undefined)))).filter(
        (x): x is CertInfo => x !== undefined,
      ),
    })),
  );
  return { path, type, opened: true, entries: withInfos, keyMatches };
}

/** Compares the public key of the store's private key with the leaf certificate's. The key only passes through pipes. */
async function keyMatchesCert(path: string, leafPem: string, opts: CaptureOptions): Promise<boolean> {
  const key = await capture(
    'openssl',
    ['pkcs12', '-in', path, '-passin', `env:${PASSWORD_ENV}`, '-nocerts', '-nodes'],
    { ...opts, secretEnv: [PASSWORD_ENV] },
  );
  if (!key.ok) return false;
  const [fromKey, fromCert] = await Promise.all([
    capture('openssl', ['pkey', '-pubout'], { ...opts, input: key.raw.stdout }),
    capture('openssl', ['x509', '-noout', '-pubkey'], { ...opts, input: leafPem }),
  ]);
  return fromKey.ok && fromCert.ok && fromKey.raw.stdout.trim() === fromCert.raw.stdout.trim();
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

export { PASSWORD_ENV };
