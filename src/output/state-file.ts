import { readFile, realpath, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ParamFallbacks } from '../options/params.js';
import { UsageError } from '../errors.js';
import { layoutFiles } from '../model/layouts.js';
import { checkState, type CertRecord, type IdentityRecord, type State } from '../model/state.js';
import type { CaptureOptions } from '../runner/capture.js';
import { readCertFacts } from '../pki/read.js';
import type { CertFacts } from '../pki/x509.js';
import { GENERATED_PASSWORDS } from '../model/passwords.js';
import { Secret, type SecretEnv } from '../secrets.js';
import { isMissingFile, readBoundedText } from '../pki/read-file.js';
import { interruptedSwap } from './leftovers.js';
import { surveyDirectory } from './takeover.js';

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
export async function readState(dir: string): Promise<State | undefined> {
  const path = join(dir, STATE_FILE);
  let text: string;
  try {
    text = await readBoundedText(path, { kind: 'state', option: path });
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
  return checkState(json, dir, label);
}

/** The generated passwords of a directory, read back from its credentials files (apply and rotate-ca keep them). */
export async function readGeneratedSecrets(
  dir: string,
  state: State,
  opts: { missing: 'fail' | 'skip' } = { missing: 'fail' },
): Promise<SecretEnv> {
  const files = layoutFiles(state.layout);
  const out: Record<string, Secret> = {};
  const read = async (name: string, label: string, file: string) => {
    const text = await readBoundedText(join(dir, file), { kind: 'password', option: '--out' }).catch((e) => {
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

/** The directory a plan, apply or rotate-ca works on (a symlink stays one), and its state file if it has one. */
export async function findDirectory(out: string | undefined): Promise<{ dir: string; state?: State }> {
  const given = resolve(out ?? 'certs');
  const dir = await realpath(given).catch(() => given);
  const cut = await interruptedSwap(given);
  // Not "run generate first": that would make a new CA, where the swap only needs finishing.
  if (cut) throw new UsageError('--out', `${given} is missing: ${cut}; nothing was read`);
  return { dir, state: await readState(dir) };
}

/** The refusal for a directory without a state file that cannot be taken over either. */
export function noStateError(dir: string, takeOver: 'apply' | 'none'): UsageError {
  const then =
    takeOver === 'apply'
      ? `: take it over first with kafka-mtls apply (plan shows what it would do)`
      : `: it was not made by kafka-mtls generate; run generate first`;
  return new UsageError('--out', `${dir} holds no ${STATE_FILE}${then}`);
}

/** The defaults a directory's state gives: its layout, store type, outputs, deployment and password style. */
export function fallbackOf(state: State): ParamFallbacks {
  return {
    layout: state.layout,
    storeType: state.storeType,
    emit: state.emit,
    deployment: state.deployment,
    generatePasswords: state.generatedPasswords,
  };
}

/**
 * The directory a rotate-ca works on (a symlink stays one), its state, and the defaults it gives. One that
 * kafka-mtls did not make is taken over by plan and apply first.
 */
export async function openDirectory(
  out: string | undefined,
): Promise<{ dir: string; state: State; fallback: ParamFallbacks }> {
  const { dir, state } = await findDirectory(out);
  if (!state) {
    const survey = await surveyDirectory(dir).catch(() => undefined);
    throw noStateError(dir, survey ? 'apply' : 'none');
  }
  return { dir, state, fallback: fallbackOf(state) };
}
