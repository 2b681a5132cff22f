import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { layoutFiles } from '../model/layouts.js';
import type { CertRecord, IdentityRecord, State } from '../model/state.js';
import type { CaptureOptions } from '../runner/capture.js';
import { readCertFacts } from '../pki/read.js';
import type { CertFacts } from '../pki/x509.js';
import { GENERATED_PASSWORDS } from '../model/passwords.js';
import { Secret, type SecretEnv } from '../secrets.js';
import { isMissingFile, readBoundedText } from '../pki/read-file.js';

/**
 * Reads and writes kafka-mtls.json, in the output directory: what the directory holds and how it was described
 * (model/state.ts), so that a later `plan` or `apply` can tell what changed.
 */

export const STATE_FILE = 'kafka-mtls.json';

export function certRecord(info: CertFacts): CertRecord {
  return {
    subject: info.subject,
    serial: info.serial,
    sha256: info.sha256,
    notAfter: info.notAfter.toISOString(),
    keyBits: info.keyBits,
  };
}

/** Reads the certificates a run left in dir and describes them (in-process: no process per certificate). */
export async function describeDirectory(
  dir: string,
  what: Pick<State, 'layout' | 'storeType' | 'ca' | 'identities' | 'deployment' | 'emit' | 'generatedPasswords'>,
  opts: Omit<CaptureOptions, 'cwd'>,
  previous?: State,
  /** Identities this run signed; the others keep the signer the previous state recorded. */
  signed?: ReadonlySet<string>,
): Promise<State> {
  const files = layoutFiles(what.layout);
  const read = async (file: string) => {
    const info = await readCertFacts(await readFile(join(dir, file), 'utf8'), { ...opts, cwd: dir });
    if (!info) throw new Error(`openssl could not read ${file}, which this run just wrote`);
    return info;
  };
  const [ca, ...infos] = await Promise.all([
    read(files.caCert),
    ...what.identities.map((who) => read(files.cert(who))),
  ]);
  const certs: Record<string, IdentityRecord> = {};
  for (const [i, who] of what.identities.entries()) {
    const info = infos[i]!;
    const kept = previous?.certs[who.alias] && signed && !signed.has(who.alias);
    certs[who.alias] = {
      ...certRecord(info),
      sans: info.sans,
      issuerSha256: kept ? previous.certs[who.alias]!.issuerSha256 : ca!.sha256,
    };
  }
  return {
    tool: 'kafka-mtls',
    version: 1,
    updatedAt: new Date().toISOString(),
    ...what,
    caCert: certRecord(ca!),
    certs,
  };
}

export async function writeState(dir: string, state: State): Promise<void> {
  await writeFile(join(dir, STATE_FILE), JSON.stringify(state, null, 2) + '\n', { mode: 0o644 });
}

/** The directory's state file, checked field by field (see model/state.ts); undefined when there is none. */
export async function readState(dir: string, signal: AbortSignal | undefined): Promise<State | undefined> {
  const path = join(dir, STATE_FILE);
  let text: string;
  try {
    text = await readBoundedText(path, { kind: 'state', option: path, signal });
  } catch (e) {
    if (isMissingFile(e)) return undefined;
    throw e;
  }
  return parseState(text, dir, path);
}

/** The one place a state file's text becomes a State: JSON, then every field checked. */
export async function parseState(text: string, dir: string, label: string): Promise<State> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(label, `is not valid JSON: ${(e as Error).message}`);
  }
  // The schema's module (zod) is loaded only now: generate into a new directory reads no state file.
  return (await import('../model/state-schema.js')).checkState(json, dir, label);
}

/** The generated passwords of a directory, read back from its credentials files (apply and rotate-ca keep them). */
export async function readGeneratedSecrets(
  dir: string,
  state: State,
  signal: AbortSignal | undefined,
  opts: { missing: 'fail' | 'skip' } = { missing: 'fail' },
): Promise<SecretEnv> {
  const files = layoutFiles(state.layout);
  const out: Record<string, Secret> = {};
  const read = async (name: string, label: string, file: string) => {
    const text = await readBoundedText(join(dir, file), { kind: 'password', option: '--out', signal }).catch((e) => {
      if (!isMissingFile(e)) throw e;
      if (opts.missing === 'skip') return undefined;
      throw new UsageError(
        '--out',
        `${join(dir, file)} is missing: it holds a generated password this directory needs`,
      );
    });
    if (text !== undefined) out[name] = new Secret(label, text.replace(/\r?\n$/, ''));
  };
  for (const who of state.identities)
    await read(GENERATED_PASSWORDS.keystore(who), `${who.alias} keystore password`, files.creds(who).keystore);
  if (state.identities[0])
    await read(GENERATED_PASSWORDS.truststore, 'truststore password', files.creds(state.identities[0]).truststore);
  return out;
}
