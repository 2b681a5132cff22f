/**
 * expiry's reading: every certificate the paths hold (PEM files and bundles, DER certificates, JKS and PKCS12
 * stores opened through the passwords their directory's configuration gives, as verify opens them), each read
 * in-process with node:crypto; and what could not be read, each with why. Nothing here decides a state: see
 * expiry-state.ts.
 */
import { X509Certificate } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import type { CaptureOptions } from '../runner/capture.js';
import { Secret } from '../secrets.js';
import { CREDENTIALS_FILE } from '../model/layouts.js';
import { credsSource, propertiesSource, providerSource, type PasswordSource } from './connections.js';
import { ioReason } from './inspect.js';
import { listStore } from './read.js';
import { STORE_PASSWORD_ENV } from '../model/secret-names.js';
import { readBounded } from './read-file.js';
import { pemBlocks, signedBy } from './x509.js';

export type CertRole = 'broker' | 'client' | 'ca' | 'unknown';

/** One certificate where it was found: a file, and in a store its alias and place in the entry's chain. */
export interface FoundCert {
  /** As the user named it: relative to the directory given, or the file's own argument. */
  readonly file: string;
  /** Absolute: the exporter's `filepath`. */
  readonly path: string;
  /** The directory argument it was found under, or a named file's own directory: where apply or rotate-ca runs. */
  readonly root: string;
  /** The store's type; undefined for a PEM or DER file. */
  readonly store?: 'JKS' | 'PKCS12';
  readonly alias?: string;
  /** 0 for a key entry's own certificate or a file's first, then up the chain or down the bundle. */
  readonly index: number;
  readonly cert: X509Certificate;
}

export interface ReadProblem {
  readonly file: string;
  readonly path: string;
  readonly reason: string;
}

export interface ReadResult {
  readonly certs: readonly FoundCert[];
  readonly errors: readonly ReadProblem[];
  /** Whether a store opened with the password given (not one its directory's files gave): to warn if it is weak. */
  readonly usedShared?: boolean;
}

/** A path given on the command line: a directory to walk, or a file to read whatever its name. */
export interface ExpiryInput {
  readonly arg: string;
  readonly path: string;
}

/** The names Java, openssl, the script and kafka-mtls give stores; JKS is also told by its magic number. */
const STORE_NAME = /\.(jks|jceks|p12|pkcs12|pfx)$/i;
/** Text files that may quote a certificate (YAML Secrets, JSON) but are not one: left to the files they copy. */
const NOT_CERTS = /\.(ya?ml|json|cnf|properties|key|csr)$|_creds$|^ca-request-/i;
/** Tries per store at most: a store's own password comes first, so more only costs time on a store none opens. */
const MAX_TRIES = 8;
/** Stores read at once: each is a keytool JVM or an openssl process. */
const AT_ONCE = 4;

/** What `readInputs` needs beside the paths: the shared password and the tools. */
export interface ReadDeps {
  readonly shared: Secret;
  /** Where the shared password came from, as a read error names it: PASSWORD, --password-file FILE. */
  readonly sharedFrom: string;
  readonly tools: CaptureOptions['tools'];
  readonly exec?: CaptureOptions['exec'];
  readonly signal: AbortSignal | undefined;
}

/** Every certificate the inputs hold, and every file that could not be read. */
export async function readInputs(inputs: readonly ExpiryInput[], deps: ReadDeps): Promise<ReadResult> {
  const certs: FoundCert[] = [];
  const errors: ReadProblem[] = [];
  let usedShared = false;
  for (const input of inputs) {
    const r = await readInput(input, deps);
    certs.push(...r.certs);
    errors.push(...r.errors);
    usedShared ||= r.usedShared === true;
  }
  return { certs, errors, usedShared };
}

async function readInput(input: ExpiryInput, deps: ReadDeps): Promise<ReadResult> {
  const st = await stat(input.path).catch((e: NodeJS.ErrnoException) => e);
  if (st instanceof Error) {
    // A dangling symlink stats as missing: said as such, since ls shows it there.
    return problem(input.arg, input.path, `cannot be read: ${ioReason(st)}`);
  }
  if (!st.isDirectory()) {
    // A store named alone opens with the passwords the files beside it give, as in its directory.
    const beside = await readdir(dirname(input.path), { withFileTypes: true }).catch(() => []);
    const files = beside.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name);
    const passwords = await passwordSources(dirname(input.path), files, deps);
    const ref = { file: input.arg, path: input.path, root: dirname(input.arg), named: true, rel: basename(input.path) };
    return readFile(ref, passwords, deps);
  }
  const walked = await walk(input.path);
  const errors: ReadProblem[] = walked.errors.map((e) => ({ ...e, file: join(input.arg, e.file) }));
  const passwords = await passwordSources(input.path, walked.files, deps);
  errors.push(...passwords.errors.map((e) => ({ ...e, file: join(input.arg, e.file) })));
  const certs: FoundCert[] = [];
  const results = await inBatches(walked.files, AT_ONCE, (f) =>
    readFile(
      { file: join(input.arg, f), path: join(input.path, f), root: input.arg, named: false, rel: f },
      passwords,
      deps,
    ),
  );
  let usedShared = false;
  for (const r of results) {
    certs.push(...r.certs);
    errors.push(...r.errors);
    usedShared ||= r.usedShared === true;
  }
  // An empty directory, a wrong path, a volume not mounted: never "nothing expires".
  if (certs.length === 0 && errors.length === 0)
    errors.push({
      file: input.arg,
      path: input.path,
      reason: 'holds no certificate (no PEM or DER certificate, no store)',
    });
  return { certs, errors, usedShared };
}

/**
 * Every entry under dir, relative to it, hidden ones aside (the journal, Kubernetes' ..data): regular files and
 * symlinks to be read, and what is neither a file nor a directory (a FIFO, a socket, a dangling symlink) as a
 * problem, never skipped in silence. Symlinks to directories are not followed (no loops).
 */
async function walk(dir: string, rel = ''): Promise<{ files: string[]; errors: ReadProblem[] }> {
  const files: string[] = [];
  const errors: ReadProblem[] = [];
  let entries: Dirent[];
  try {
    entries = await readdir(join(dir, rel), { withFileTypes: true });
  } catch (e) {
    return {
      files,
      errors: [
        { file: rel, path: join(dir, rel), reason: `cannot be listed: ${ioReason(e as NodeJS.ErrnoException)}` },
      ],
    };
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const p = rel ? join(rel, e.name) : e.name;
    if (e.isDirectory()) {
      const sub = await walk(dir, p);
      files.push(...sub.files);
      errors.push(...sub.errors);
    } else if (e.isFile()) files.push(p);
    else if (e.isSymbolicLink()) {
      const target = await stat(join(dir, p)).catch((x: NodeJS.ErrnoException) => x);
      if (target instanceof Error)
        errors.push({ file: p, path: join(dir, p), reason: `is a symlink to nowhere (${ioReason(target)})` });
      else if (target.isFile()) files.push(p);
      else if (!target.isDirectory())
        errors.push({ file: p, path: join(dir, p), reason: `is a symlink to ${kindOf(target)}` });
    } else errors.push({ file: p, path: join(dir, p), reason: `is ${kindOf(e)}, not a regular file` });
  }
  return { files, errors };
}

function kindOf(e: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }) {
  if (e.isFIFO()) return 'a FIFO (named pipe)';
  if (e.isSocket()) return 'a socket';
  if (e.isCharacterDevice() || e.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

interface FileRef {
  readonly file: string;
  readonly path: string;
  readonly root: string;
  /** Named on the command line: a file of no known kind is then a problem, not skipped. */
  readonly named: boolean;
  /** Relative to the walked directory, for the passwords of its neighbours. */
  readonly rel?: string;
}

async function readFile(ref: FileRef, passwords: Passwords, deps: ReadDeps): Promise<ReadResult> {
  if (!ref.named && NOT_CERTS.test(basename(ref.path))) return { certs: [], errors: [] };
  if (STORE_NAME.test(ref.path)) return readStoreFile(ref, passwords, deps);
  let bytes: Buffer;
  try {
    bytes = await readBounded(ref.path, { kind: 'store', option: ref.file, signal: deps.signal });
  } catch (e) {
    return problem(ref.file, ref.path, reasonOf(e));
  }
  // A PEM file or bundle: every CERTIFICATE block that starts a line (an indented one is quoted, in YAML).
  const text = bytes.toString('latin1');
  if (/^-----BEGIN CERTIFICATE-----/m.test(text)) return readPem(ref, text);
  const magic = bytes.length >= 4 ? bytes.readUInt32BE(0) : 0;
  if (magic === 0xfeedfeed || magic === 0xcececece) return readStoreFile(ref, passwords, deps);
  // A DER certificate (.der, .cer): node:crypto reads DER as it reads PEM.
  if (bytes[0] === 0x30) {
    const cert = parse(bytes);
    if (cert) return { certs: [{ file: ref.file, path: ref.path, root: ref.root, index: 0, cert }], errors: [] };
  }
  if (!ref.named) return { certs: [], errors: [] };
  return problem(ref.file, ref.path, 'is not a PEM or DER certificate, nor a JKS or PKCS12 store');
}

function readPem(ref: FileRef, text: string): ReadResult {
  const blocks = pemBlocks(text);
  const starts = (text.match(/^-----BEGIN CERTIFICATE-----/gm) ?? []).length;
  const certs: FoundCert[] = [];
  for (const [i, pem] of blocks.entries()) {
    const cert = parse(pem);
    if (!cert)
      return problem(
        ref.file,
        ref.path,
        `certificate ${i + 1} of ${starts} cannot be parsed: damaged, or not DER inside`,
      );
    certs.push({ file: ref.file, path: ref.path, root: ref.root, index: i, cert });
  }
  if (blocks.length < starts)
    return problem(ref.file, ref.path, `certificate ${blocks.length + 1} of ${starts} has no END line`);
  return { certs, errors: [] };
}

const parse = (pem: string | Buffer) => {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
};

/** A wrong password, in the words of openssl (PKCS12's MAC) and keytool (JKS's integrity digest, PKCS12's MAC). */
const WRONG_PASSWORD = /mac verify|password was incorrect|tampered|invalid password/i;

/** A store, opened with each password its configuration gives in turn, the store's own first. */
async function readStoreFile(ref: FileRef, passwords: Passwords, deps: ReadDeps): Promise<ReadResult> {
  const candidates = passwords.for(ref.rel ?? basename(ref.path)).slice(0, MAX_TRIES);
  let last = '';
  for (const { secret } of candidates) {
    const opts: CaptureOptions = {
      tools: deps.tools,
      secrets: { [STORE_PASSWORD_ENV]: secret },
      cwd: dirname(ref.path),
      exec: deps.exec,
      signal: deps.signal,
    };
    let listed;
    try {
      listed = await listStore(ref.path, opts, ref.file, { compareKey: false });
    } catch (e) {
      return problem(ref.file, ref.path, reasonOf(e));
    }
    if (listed.opened) {
      const certs: FoundCert[] = [];
      for (const entry of listed.entries)
        for (const [index, c] of entry.certs.entries()) {
          const cert = c.pem ? parse(c.pem) : undefined;
          if (!cert)
            return problem(ref.file, ref.path, `entry ${entry.alias}: certificate ${index + 1} cannot be parsed`);
          certs.push({
            file: ref.file,
            path: ref.path,
            root: ref.root,
            store: listed.type,
            alias: entry.alias,
            index,
            cert,
          });
        }
      if (certs.length === 0) return problem(ref.file, ref.path, `a ${listed.type} store that holds no certificate`);
      return { certs, errors: [], usedShared: secret === deps.shared };
    }
    last = listed.error ?? '';
    if (!WRONG_PASSWORD.test(last)) {
      const why = listed.unsupportedAlgorithm
        ? `a PKCS12 store whose ${listed.unsupportedAlgorithm} this openssl cannot decrypt, and keytool could not list`
        : `a ${listed.type} store that does not open`;
      return problem(ref.file, ref.path, `${why}: ${last || 'damaged or truncated'}`);
    }
  }
  const tried = candidates.map((c) => c.label).join(', ');
  return problem(ref.file, ref.path, `does not open with the password(s) of ${tried}: ${last}`);
}

/**
 * Why a file could not be read, from the bounded reader's refusal (not a regular file, missing, over its cap). Any
 * other error (a cancelled run's, a bug) is no answer about the file: it is thrown on.
 */
function reasonOf(e: unknown): string {
  if (e instanceof UsageError) return e.rule;
  throw e;
}

const problem = (file: string, path: string, reason: string): ReadResult => ({
  certs: [],
  errors: [{ file, path, reason }],
});

/** Runs f on each item, at most n at once, and keeps the order. */
async function inBatches<T, R>(items: readonly T[], n: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

interface Candidate {
  readonly label: string;
  readonly secret: Secret;
}

interface Passwords {
  /** The passwords to try on a store (a path relative to the directory), most faithful first, each once. */
  for(rel: string): Candidate[];
  readonly errors: readonly ReadProblem[];
}

/**
 * The passwords a directory's configuration gives its stores, read by verify's readers: the properties files
 * (`ssl.keystore.password` and the rest, literal or through FileConfigProvider), the FileConfigProvider file,
 * the cp-kafka `_creds` files; then the password given (--password-file, PASSWORD, or the script's default).
 */
async function passwordSources(dir: string, files: readonly string[], deps: ReadDeps): Promise<Passwords> {
  const sources: PasswordSource[] = [];
  const errors: ReadProblem[] = [];
  for (const f of files) {
    const name = basename(f);
    const read =
      name === CREDENTIALS_FILE || name.endsWith('.credentials.properties')
        ? () => providerSource(dir, f, deps.signal)
        : name.endsWith('.properties')
          ? () => propertiesSource(dir, f, deps.signal)
          : name.endsWith('_keystore_creds')
            ? () => credsSource(dir, credsNames(f, '_keystore_creds'), deps.signal)
            : name.endsWith('_truststore_creds') && !files.includes(f.replace(/_truststore_creds$/, '_keystore_creds'))
              ? () => credsSource(dir, credsNames(f, '_truststore_creds'), deps.signal)
              : undefined;
    if (!read) continue;
    try {
      const s = await read();
      if (s) sources.push(s);
    } catch (e) {
      errors.push({ file: f, path: join(dir, f), reason: `(a password file) ${reasonOf(e)}` });
    }
  }
  return {
    errors,
    for: (rel) => {
      const truststore = /truststore/i.test(basename(rel));
      const stem = storeStem(rel);
      // The store's own configuration first: in its directory, and naming its identity.
      const rank = (s: PasswordSource) =>
        (dirname(s.label) === dirname(rel) ? 0 : 2) + (stem && s.label.includes(stem) ? 0 : 1);
      const ordered = [...sources].sort((a, b) => rank(a) - rank(b));
      const out: Candidate[] = [];
      const seen = new Set<string>();
      const add = (label: string, secret: Secret | undefined) => {
        if (!secret || seen.has(secret.reveal())) return;
        seen.add(secret.reveal());
        out.push({ label, secret });
      };
      for (const s of ordered) {
        const pick = truststore ? [s.truststore, s.keystore, s.key] : [s.keystore, s.key, s.truststore];
        for (const secret of pick) add(s.label, secret);
      }
      add(deps.sharedFrom, deps.shared);
      return out;
    },
  };
}

function credsNames(f: string, suffix: string) {
  const base = f.slice(0, -suffix.length);
  return { keystore: `${base}_keystore_creds`, key: `${base}_sslkey_creds`, truststore: `${base}_truststore_creds` };
}

/** The identity a store's name carries: mtls-kafka-0.keystore.jks, kafka.kafka-1.keystore.pkcs12, kafka-1.p12. */
function storeStem(rel: string): string | undefined {
  const m = /^(?:kafka\.)?(.+?)\.(?:keystore|truststore)\.[a-z0-9]+$|^(.+)\.(?:p12|pfx)$/i.exec(basename(rel));
  const stem = m?.[1] ?? m?.[2];
  return stem === 'server' || stem === 'client' ? undefined : stem;
}

/** Whether a certificate is a CA: basicConstraints CA:TRUE, or self-signed (the script's X.509 v1 CA has neither). */
export function isCaCert(cert: X509Certificate): boolean {
  return cert.ca || (cert.subject === cert.issuer && signedBy(cert, cert));
}
