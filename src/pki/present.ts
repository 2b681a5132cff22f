import { createPrivateKey, X509Certificate } from 'node:crypto';
import { UsageError } from '../errors.js';
import { readBounded } from './read-file.js';
import { join } from 'node:path';
import type { Identity } from '../model/cluster.js';
import { confluentIdentityFiles, dropInFiles, layoutFiles } from '../model/layouts.js';
import type { State } from '../model/state.js';

/**
 * The directory against its state file: every file a listed identity needs
 * (its keystore, truststore, certificate, key and generated-password files)
 * is there and is what it should be. Read in-process, without openssl or
 * keytool: a store's bytes are looked at, not opened (verify opens them).
 */

export type FileKind = 'cert' | 'key' | 'store' | 'secret';

export interface ExpectedFile {
  readonly path: string;
  readonly kind: FileKind;
  /** What the file is, for a sentence: "mtls-kafka-0's keystore". */
  readonly what: string;
  /** The identity it belongs to; undefined for a file the identities share (the drop-in truststores). */
  readonly alias?: string;
  /**
   * Made from the CA or the password alone (a confluent identity's truststore and password files): lost, it is
   * made again and the identity kept.
   */
  readonly rebuildable?: true;
}

export interface FileProblem extends ExpectedFile {
  /** mismatched: there and readable, but not this identity's (another identity's keystore copied over it). */
  readonly problem: 'missing' | 'unreadable' | 'mismatched';
  /** Why it is unreadable: the system's error code or what its bytes are not. */
  readonly detail?: string;
}

/** The files an identity needs, as the directory's layout names them. */
export function expectedFiles(state: State, who: Identity): ExpectedFile[] {
  const files = layoutFiles(state.layout);
  const of = (path: string, kind: FileKind, what: string, alias: string | undefined = who.alias): ExpectedFile => ({
    path,
    kind,
    what: `${who.alias}'s ${what}`,
    alias,
  });
  const out = [of(files.keystore(who), 'store', 'keystore'), of(files.cert(who), 'cert', 'certificate')];
  if (state.layout === 'confluent') {
    const c = confluentIdentityFiles(who);
    out.push({ ...of(c.truststore, 'store', 'truststore'), rebuildable: true }, of(c.key, 'key', 'private key'));
  } else {
    out.push({
      path: dropInFiles.truststore(who),
      kind: 'store',
      what: `the ${who.role === 'broker' ? "brokers'" : "clients'"} truststore`,
    });
  }
  if (state.layout === 'confluent' || state.generatedPasswords) {
    const creds = files.creds(who);
    // A generated password is read back from its file: without it, there is nothing to make the file from.
    const rebuildable = state.layout === 'confluent' && !state.generatedPasswords ? { rebuildable: true as const } : {};
    out.push(
      { ...of(creds.keystore, 'secret', 'keystore password file'), ...rebuildable },
      { ...of(creds.truststore, 'secret', 'truststore password file'), ...rebuildable },
    );
  }
  return out;
}

/** Every expected file that is missing or not what it should be, each shared file once. */
export async function checkDirectory(
  dir: string,
  state: State,
  signal: AbortSignal | undefined,
): Promise<FileProblem[]> {
  const seen = new Set<string>();
  const expected = state.identities
    .flatMap((who) => expectedFiles(state, who))
    .filter((f) => !seen.has(f.path) && seen.add(f.path));
  const found = await Promise.all(expected.map(async (f) => problemOf(dir, f, signal)));
  return found.filter((p): p is FileProblem => p !== undefined);
}

/** The CA's certificate and key, which reissues are checked against and signed with: apply cannot make them again. */
export async function checkCaFiles(dir: string, state: State, signal: AbortSignal | undefined): Promise<FileProblem[]> {
  const files = layoutFiles(state.layout);
  const expected: ExpectedFile[] = [
    { path: files.caCert, kind: 'cert', what: 'the CA certificate' },
    { path: files.caKey, kind: 'key', what: "the CA's private key" },
  ];
  const found = await Promise.all(expected.map((f) => problemOf(dir, f, signal)));
  return found.filter((p): p is FileProblem => p !== undefined);
}

async function problemOf(
  dir: string,
  f: ExpectedFile,
  signal: AbortSignal | undefined,
): Promise<FileProblem | undefined> {
  let bytes: Buffer;
  try {
    // Bounded: a FIFO or a device in a listed file's place must not hang verify or plan.
    bytes = await readBounded(join(dir, f.path), { kind: READ_KIND[f.kind], option: f.path, signal });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const code = (e.cause as NodeJS.ErrnoException | undefined)?.code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? { ...f, problem: 'missing' }
      : { ...f, problem: 'unreadable', detail: code ?? e.rule };
  }
  const wrong = CONTENT[f.kind](bytes);
  return wrong ? { ...f, problem: 'unreadable', detail: wrong } : undefined;
}

const READ_KIND: Record<FileKind, 'pem' | 'store' | 'password'> = {
  cert: 'pem',
  key: 'pem',
  store: 'store',
  secret: 'password',
};

/** What is wrong with a file's bytes for its kind, or undefined. */
const CONTENT: Record<FileKind, (b: Buffer) => string | undefined> = {
  cert: (b) => (parses(() => new X509Certificate(b)) ? undefined : 'not a PEM certificate'),
  key: (b) => (encrypted(b) || parses(() => createPrivateKey(b)) ? undefined : 'not a PEM private key'),
  store: (b) => (isStore(b) ? undefined : 'neither a JKS nor a PKCS12 store'),
  secret: (b) => (b.toString('utf8').trim() === '' ? 'empty' : undefined),
};

function parses(make: () => unknown): boolean {
  try {
    make();
    return true;
  } catch {
    return false;
  }
}

/** An encrypted key (your own CA's, with a passphrase) is a key: whether its passphrase opens it is another check. */
function encrypted(b: Buffer): boolean {
  return /^-----BEGIN ENCRYPTED PRIVATE KEY-----$|^Proc-Type: 4,ENCRYPTED$/m.test(b.toString('latin1'));
}

/**
 * JKS and JCEKS start with their magic number. A PKCS12 file is one DER SEQUENCE (a PFX) whose length covers the
 * whole file and whose first element is the version INTEGER 3: a truncated or overwritten store fails this.
 */
export function isStore(b: Buffer): boolean {
  if (b.length >= 4 && (b.readUInt32BE(0) === 0xfeedfeed || b.readUInt32BE(0) === 0xcececece)) return b.length > 32;
  if (b.length < 8 || b[0] !== 0x30) return false;
  const lenBytes = b[1]! & 0x80 ? b[1]! & 0x7f : 0;
  if (lenBytes > 4) return false;
  const len = lenBytes === 0 ? b[1]! : b.subarray(2, 2 + lenBytes).reduce((n, x) => n * 256 + x, 0);
  const head = 2 + lenBytes;
  return head + len === b.length && b[head] === 0x02 && b[head + 1] === 0x01 && b[head + 2] === 0x03;
}
