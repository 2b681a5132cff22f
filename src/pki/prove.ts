import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { GENERATED_PASSWORDS } from '../model/passwords.js';
import { STORE_PASSWORD_ENV } from '../model/secret-names.js';
import { layoutFiles, trustFiles } from '../model/layouts.js';
import { capture, type CaptureOptions } from '../runner/capture.js';
import { pkcs12OpensArgs } from '../steps/read.js';
import type { State } from '../model/state.js';

/**
 * apply and every rotate-ca phase re-lock stores with the password they are
 * given: with a typo in it, every broker would fail at its next restart. So
 * before anything is staged, each store the directory already holds must open
 * with the password meant for it; one that does not is a usage error.
 */

/** A store of the directory, the variable that carries its password, and where that password came from. */
export interface StoreToOpen {
  readonly file: string;
  readonly env: string;
  /** The option, variable or credentials file that gave the password, as the refusal names it. */
  readonly from: string;
  /** The script's default password, because none was given. */
  readonly isDefault: boolean;
}

/** Every keystore and truststore the state lists, each with its password: the shared one, or its credentials file's. */
export function storesOf(state: State, shared: { readonly from: string; readonly isDefault: boolean }): StoreToOpen[] {
  const files = layoutFiles(state.layout);
  const { truststores } = trustFiles(state.layout, state, new Set());
  if (!state.generatedPasswords) {
    const all = [...state.identities.map((who) => files.keystore(who)), ...truststores];
    return all.map((file) => ({ file, env: STORE_PASSWORD_ENV, ...shared }));
  }
  const first = state.identities[0];
  return [
    ...state.identities.map((who) => ({
      file: files.keystore(who),
      env: GENERATED_PASSWORDS.keystore(who),
      from: files.creds(who).keystore,
      isDefault: false,
    })),
    // readGeneratedSecrets reads the truststore password from the first identity's file.
    ...truststores.map((file) => ({
      file,
      env: GENERATED_PASSWORDS.truststore,
      from: first ? files.creds(first).truststore : file,
      isDefault: false,
    })),
  ];
}

type Verdict = 'opens' | 'refused' | 'unknown';

/**
 * Opens every store at once; throws a UsageError naming the first that refuses its password. A store that is
 * missing, not a regular file, or that fails for another reason is not a password question: the run reports it.
 */
export async function proveStorePasswords(
  dir: string,
  stores: readonly StoreToOpen[],
  opts: Omit<CaptureOptions, 'cwd'>,
): Promise<void> {
  const verdicts = await Promise.all(stores.map((s) => opensWith(join(dir, s.file), s.env, { ...opts, cwd: dir })));
  const refused = stores.filter((_, i) => verdicts[i] === 'refused');
  const first = refused[0];
  if (!first) return;
  const path = join(dir, first.file);
  const others = refused.length > 1 ? ` (and ${refused.length - 1} other store(s))` : '';
  if (first.isDefault) {
    throw new UsageError(
      first.from,
      `is not set, and ${path}${others} does not open with the script's default password: ` +
        `set PASSWORD or --password-file to the password ${dir} was made with; nothing was changed`,
    );
  }
  if (first.env !== STORE_PASSWORD_ENV) {
    throw new UsageError(
      join(dir, first.from),
      `the generated password it holds does not open ${path}${others}: ` +
        `restore the file from a backup of ${dir}; nothing was changed`,
    );
  }
  throw new UsageError(
    first.from,
    `does not open ${path}${others}: give the password ${dir} was made with; nothing was changed`,
  );
}

/** JKS and JCEKS begin with a magic number; anything else is taken for PKCS12. */
const JAVA_STORE_MAGIC = [0xfeedfeed, 0xcececece];
/** Stores are a few kilobytes; a bigger file is not one kafka-mtls made. */
const MAX_STORE_BYTES = 16 * 1024 * 1024;

async function opensWith(path: string, env: string, opts: CaptureOptions): Promise<Verdict> {
  const bytes = await readRegularFile(path);
  if (!bytes || bytes.length < 24 || !opts.secrets[env]) return 'unknown';
  if (JAVA_STORE_MAGIC.includes(bytes.readUInt32BE(0))) {
    return jksIntegrityHolds(bytes, opts.secrets[env]!.reveal()) ? 'opens' : 'refused';
  }
  const r = await capture('openssl', pkcs12OpensArgs(path, env), { ...opts, secretEnv: [env] });
  if (r.ok) return 'opens';
  return /Mac verify error|invalid password/i.test(r.raw.stderr) ? 'refused' : 'unknown';
}

async function readRegularFile(path: string): Promise<Buffer | undefined> {
  // O_NONBLOCK: a FIFO in the store's place must not hang the check.
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => undefined);
  if (!fh) return undefined;
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > MAX_STORE_BYTES) return undefined;
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/**
 * keytool's own test (sun.security.provider.JavaKeyStore.engineLoad): the file ends with the SHA-1 of the
 * password's UTF-16BE bytes, the words "Mighty Aphrodite" and everything before the digest. No JVM needed.
 */
export function jksIntegrityHolds(bytes: Buffer, password: string): boolean {
  const body = bytes.subarray(0, bytes.length - 20);
  const pw = Buffer.alloc(password.length * 2);
  for (let i = 0; i < password.length; i++) pw.writeUInt16BE(password.charCodeAt(i), i * 2);
  const digest = createHash('sha1').update(pw).update('Mighty Aphrodite', 'utf8').update(body).digest();
  return digest.equals(bytes.subarray(bytes.length - 20));
}
