/**
 * Reading what a directory holds: certificates (in-process with node:crypto, openssl's text for the fields Node does
 * not expose) and key stores (openssl for PKCS12, keytool for JKS), with each entry's certificates read in full.
 */
import { createPrivateKey, createPublicKey, type X509Certificate } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { capture, type CaptureOptions } from '../runner/capture.js';
import { STORE_PASSWORD_ENV } from '../model/secret-names.js';
import { certTextArgs, jksListArgs, pkcs12KeyArgs, pkcs12ListArgs } from '../steps/read.js';
import { keyFacts, type KeyFacts } from './key.js';
import { checkRegularFile } from './read-file.js';
import { parseKeytoolList, parseOpensslPkcs12, type StoreEntry } from './stores.js';
import { certFacts, parseCertText, parseX509, type CertFacts, type CertInfo } from './x509.js';

/** A store as verify sees it: each entry with its certificates read in full. */
export interface ReadStore {
  readonly path: string;
  /** How findings name it (its path in the directory); the file name when unset. */
  readonly name?: string;
  readonly type: 'PKCS12' | 'JKS';
  readonly opened: boolean;
  /** Why it did not open: the tool's own words. */
  readonly error?: string;
  /** A PKCS12 store that openssl opened but could not decrypt, and keytool could not list: the algorithm. */
  readonly unsupportedAlgorithm?: string;
  readonly entries: ReadonlyArray<StoreEntry & { readonly infos: readonly CertInfo[] }>;
  /** For a PKCS12 key entry: whether the private key matches the leaf certificate. */
  readonly keyMatches?: boolean;
}

/** JKS and JCEKS files start with a magic number; anything else is taken for PKCS12 (DER). */
export async function storeType(path: string): Promise<'PKCS12' | 'JKS'> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    return b.readUInt32BE(0) === 0xfeedfeed || b.readUInt32BE(0) === 0xcececece ? 'JKS' : 'PKCS12';
  } finally {
    await fh.close();
  }
}

/** openssl's reading of a certificate; undefined when openssl cannot read it. */
async function readCertText(pem: string, opts: CaptureOptions): Promise<CertInfo | undefined> {
  const r = await capture('openssl', certTextArgs(), { ...opts, input: pem });
  return r.ok ? parseCertText(r.raw.stdout) : undefined;
}

/**
 * What the state file and a plan need of a certificate, read in-process: no process, unless the certificate holds
 * something Node does not print as openssl does (see certFacts), or that Node cannot parse. Undefined when neither
 * can read it.
 */
export async function readCertFacts(pem: string, opts: CaptureOptions): Promise<CertFacts | undefined> {
  const cert = parseX509(pem);
  return (cert && certFacts(cert)) ?? (await readCertText(pem, opts));
}

/**
 * A certificate in full: openssl's text for what Node does not expose (the version, key usages, basicConstraints,
 * the algorithms), node:crypto for the rest. Undefined when openssl cannot read it.
 */
export async function readCert(pem: string, opts: CaptureOptions): Promise<CertInfo | undefined> {
  const text = await readCertText(pem, opts);
  if (!text) return undefined;
  const cert = parseX509(pem);
  const facts = cert && certFacts(cert);
  const key = cert && certKeyFacts(cert);
  return { ...text, ...facts, ...(key ? { key } : {}) };
}

function certKeyFacts(cert: X509Certificate): KeyFacts | undefined {
  try {
    return keyFacts(cert.publicKey);
  } catch {
    // A key type Node does not support: openssl's words stay (keyType, keyBits).
    return undefined;
  }
}

/** Certificates one command has read, by their PEM's base64: a CA sits in every chain and every truststore. */
export type CertCache = Map<string, Promise<CertInfo | undefined>>;

/**
 * `option` names the input in an error: a store that is not a regular file, or too large, is refused (exit 2).
 * Stores read with one `cache` read each certificate once.
 */
export async function readStore(
  path: string,
  opts: CaptureOptions,
  option = '[dir]',
  cache: CertCache = new Map(),
): Promise<ReadStore> {
  const listed = await listStore(path, opts, option);
  if (!listed.opened) return { ...listed, entries: [] };
  const withInfos = await Promise.all(
    listed.entries.map(async (e) => ({
      ...e,
      infos: (await Promise.all(e.certs.map((c) => (c.pem ? readCached(c.pem, opts, cache) : undefined)))).filter(
        (x): x is CertInfo => x !== undefined,
      ),
    })),
  );
  return { path, type: listed.type, opened: true, entries: withInfos, keyMatches: listed.keyMatches };
}

/** A store's entries as its tool lists them, each certificate as PEM, not yet read: what readStore reads in full. */
export type ListedStore = Omit<ReadStore, 'entries'> & { readonly entries: readonly StoreEntry[] };

/**
 * A store opened by the one reader verify uses (openssl for PKCS12, keytool for JKS or a PKCS12 openssl cannot
 * decrypt), its certificates left as PEM for the caller to read. `compareKey: false` skips the PKCS12 private key's
 * comparison with its certificate (another openssl run). Throws UsageError (naming `option`) for what is not a
 * regular file within the store cap.
 */
export async function listStore(
  path: string,
  opts: CaptureOptions,
  option = '[dir]',
  { compareKey = true }: { compareKey?: boolean } = {},
): Promise<ListedStore> {
  // keytool and openssl read the store by its path: a FIFO would keep them waiting until the time-out.
  await checkRegularFile(path, { kind: 'store', option, signal: opts.signal });
  const type = await storeType(path);
  const listed = type === 'PKCS12' ? await listPkcs12(path, opts, compareKey) : await listWithKeytool(path, opts);
  if ('error' in listed) {
    const { error, unsupportedAlgorithm } = listed;
    return { path, type, opened: false, error, ...(unsupportedAlgorithm ? { unsupportedAlgorithm } : {}), entries: [] };
  }
  return { path, type, opened: true, entries: listed.entries, keyMatches: listed.keyMatches };
}

function readCached(pem: string, opts: CaptureOptions, cache: CertCache): Promise<CertInfo | undefined> {
  // keytool and openssl print the same certificate with other line breaks.
  const key = pem.replace(/-----[A-Z ]+-----|\s+/g, '');
  let read = cache.get(key);
  if (!read) cache.set(key, (read = readCert(pem, opts)));
  return read;
}

type Listed =
  | { readonly entries: readonly StoreEntry[]; readonly keyMatches?: boolean }
  | { readonly error: string; readonly unsupportedAlgorithm?: string };

/**
 * OpenSSL 3 refusing a cipher its default provider lacks, after the MAC checked out: what it says of a .p12 that
 * OpenSSL 1.1.1 wrote with its defaults (the certificates under RC2-40-CBC), which it decrypts only with -legacy
 * (an option 1.1.1 lacks): "inner_evp_generic_fetch:unsupported:…Algorithm (RC2-40-CBC : 0)".
 */
const UNSUPPORTED_ALGORITHM = /:unsupported:.*Algorithm \(([^\s:)]+)/;

/**
 * A PKCS12 store as Java would see it, and whether its private key matches the key entry's certificate. One this
 * openssl cannot decrypt is listed by keytool, as the Java client that reads it would (the key is then not compared).
 */
async function listPkcs12(path: string, opts: CaptureOptions, compareKey = true): Promise<Listed> {
  const r = await capture('openssl', pkcs12ListArgs(path, STORE_PASSWORD_ENV), {
    ...opts,
    secretEnv: [STORE_PASSWORD_ENV],
  });
  const listing = r.ok ? parseOpensslPkcs12(r.raw.stdout, r.raw.stderr) : undefined;
  if (!listing) {
    const algorithm = UNSUPPORTED_ALGORITHM.exec(r.raw.stderr)?.[1];
    if (!algorithm) return { error: lastLine(r.stderr || r.stdout) };
    const byKeytool = await listWithKeytool(path, opts);
    return 'error' in byKeytool ? { ...byKeytool, unsupportedAlgorithm: algorithm } : byKeytool;
  }
  const leaf = listing.entries.find((e) => e.entryType === 'PrivateKeyEntry')?.certs[0]?.pem;
  const keyMatches = leaf && compareKey ? await keyMatchesCert(path, leaf, opts) : undefined;
  return { entries: listing.entries, keyMatches };
}

/** A store through keytool (a JKS, or a PKCS12 openssl cannot decrypt), each certificate as PEM (-rfc). */
async function listWithKeytool(path: string, opts: CaptureOptions): Promise<Listed> {
  const r = await capture('keytool', jksListArgs(path, STORE_PASSWORD_ENV), {
    ...opts,
    secretEnv: [STORE_PASSWORD_ENV],
  });
  if (!r.ok) return { error: lastLine(r.stdout + r.stderr) };
  return { entries: parseKeytoolList(r.raw.stdout)?.entries ?? [] };
}

/**
 * Whether the store's private key is the leaf certificate's: openssl takes the key out of the PKCS12 (Node cannot
 * read PKCS12), node:crypto compares the public keys. The key only passes through a pipe and this process's memory.
 */
async function keyMatchesCert(path: string, leafPem: string, opts: CaptureOptions): Promise<boolean> {
  const key = await capture('openssl', pkcs12KeyArgs(path, STORE_PASSWORD_ENV), {
    ...opts,
    secretEnv: [STORE_PASSWORD_ENV],
  });
  const cert = parseX509(leafPem);
  if (!key.ok || !cert) return false;
  try {
    const fromKey = createPublicKey(createPrivateKey(key.raw.stdout));
    return fromKey.equals(cert.publicKey);
  } catch {
    return false;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
