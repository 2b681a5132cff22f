/** An existing directory read for plan, apply and rotate-ca: what it holds, and the cluster the options want. */
import type { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { withRecordedIds, type CaSpec, type Cluster, type Identity } from '../model/cluster.js';
import { describeKey, keyTypeName, sameKey } from '../model/keys.js';
import { UsageError } from '../errors.js';
import { layoutFiles } from '../model/layouts.js';
import { GENERATED_PASSWORDS, generateSecrets } from '../model/passwords.js';
import { sourceLabel, STORE_PASSWORD_ENV } from '../model/secret-names.js';
import { usesDefaultPassword, type RunParams, type OptionDeps, type RawRunOptions } from '../options/params.js';
import { buildPlan } from '../plans/generate.js';
import { readBoundedText } from '../pki/read-file.js';
import { checkDirectory, type FileProblem } from '../pki/present.js';
import { proveStorePasswords, storesOf } from '../pki/prove.js';
import { readCertFacts, readStore } from '../pki/read.js';
import { parseX509, signedBy, x509Version, type CertWithPem } from '../pki/x509.js';
import { planRun } from './prepare-run.js';
import { fallbackOf, findDirectory, noStateError } from '../output/directory.js';
import { readGeneratedSecrets } from '../output/state-file.js';
import { deriveState, storeTypeOf, surveyDirectory } from '../output/takeover.js';
import { NEXT, PREVIOUS, type State } from '../model/state.js';
import type { CaptureOptions } from '../runner/capture.js';
import type { Exec } from '../runner/exec.js';
import type { Secret, SecretEnv } from '../secrets.js';

/**
 * The directory's state and the cluster the options describe, planned with the directory's CA; what it holds:
 * its CA, each certificate (undefined when missing or unreadable: one to reissue) and the files that are not right.
 */
export async function readCurrent(raw: RawRunOptions, deps: OptionDeps, requireTools: boolean) {
  const { signal } = deps;
  const opened = await findDirectory(raw.out, signal);
  const { dir } = opened;
  // Without a state file: a directory the script or the Confluent flow made, taken over (output/takeover.ts).
  const survey = opened.state ? undefined : await surveyDirectory(dir);
  if (!opened.state && !survey) throw noStateError(dir, 'none');
  const fallback = opened.state
    ? fallbackOf(opened.state)
    : { layout: survey!.layout, storeType: (await storeTypeOf(survey!, signal)).storeType, emit: [] };
  const planned = await planRun(raw, deps, { requireTools, fallback });
  const taken = survey
    ? await deriveState(survey, { cluster: planned.cluster, deployment: planned.params.deployment }, signal)
    : undefined;
  const state = opened.state ?? taken!.state;
  const { params } = planned;
  // The directory's CA signs: your own CA, as the state recorded it, unless given again.
  const external = params.externalCa ?? state.ca.external;
  // Every identity the directory holds keeps its id, and new ones get ids no file of the directory is named by.
  const described = withRecordedIds(planned.cluster, state.identities);
  const cluster: Cluster = external ? { ...described, ca: { ...described.ca, external } } : described;
  const firstPlan =
    external === params.externalCa && described === planned.cluster ? planned.plan : buildPlan(params, cluster);
  if (params.layout !== state.layout)
    throw new UsageError('--layout', `${dir} holds the ${state.layout} layout; a plan cannot change the layout`);
  checkCaKey(dir, planned.cluster.ca, opened.state, raw);
  if (params.storeType !== state.storeType)
    throw new UsageError('--store-type', `${dir} holds ${state.storeType} stores; a plan cannot change the store type`);
  const read = certReader(dir, params.tools, signal);
  const files = layoutFiles(state.layout);
  const ca = await read(files.caCert);
  if (!ca)
    throw new UsageError('--out', `${dir}/${files.caCert} is missing or unreadable: there is no CA to sign with`);
  const [found, problems] = await Promise.all([
    Promise.all(state.identities.map((who) => read(files.cert(who)))),
    checkDirectory(dir, state, signal),
  ]);
  const certs = Object.fromEntries(state.identities.map((who, i) => [who.alias, found[i]]));
  // Generated passwords are kept: read back from the directory; new identities get new ones.
  const secrets = params.generatePasswords
    ? generateSecrets(cluster.identities, await readGeneratedSecrets(dir, state, signal))
    : {};
  const passwordOf = (who: Identity) => secrets[GENERATED_PASSWORDS.keystore(who)] ?? params.password;
  // The CAs a keystore's leaf may be signed by: the directory's, and during a rotation the next and the previous.
  const rotating = state.rotation ? await Promise.all([read(NEXT.cert), read(PREVIOUS.cert)]) : [];
  const cas = [ca, ...rotating].flatMap((c) => (c ? [parseX509(c.pem)] : [])).filter((c) => c !== undefined);
  const swapped = await keystoreMismatches(
    dir,
    { state, certs, cas, passwordOf },
    { tools: params.tools, signal },
    problems,
  );
  const current = { state, ca, certs, problems: [...problems, ...swapped] };
  const caCert = parseX509(ca.pem);
  const v1Ca = caCert !== undefined && x509Version(caCert) === 1;
  const v1Warning = v1Ca ? v1CaWarning(join(dir, files.caCert)) : undefined;
  const warnings = taken?.takeOver.warnings ?? [];
  // A v1 CA signs on (every client trusts it), planned without the checks strictness makes of a new CA.
  const plan = v1Ca && !external ? buildPlan(params, cluster, { v1Ca }) : firstPlan;
  return {
    dir,
    params,
    cluster,
    plan,
    secrets,
    current,
    warning: planned.warning,
    takeOver: taken?.takeOver,
    v1Warning,
    warnings,
  };
}

/**
 * plan and apply keep the CA: a CA key type other than the directory's is rotate-ca's (an RSA size alone, as
 * before).
 */
function checkCaKey(dir: string, wanted: CaSpec, state: State | undefined, raw: RawRunOptions): void {
  if (!state || sameKey(wanted, state.ca) || (raw.caKeyType === undefined && !wanted.curve && !state.ca.curve)) return;
  const option = raw.caKeyType !== undefined ? '--ca-key-type' : `--config ${raw.config}: ca.keyType`;
  throw new UsageError(
    option,
    `${dir}'s CA has a ${describeKey(state.ca)} key and plan and apply keep the CA: ` +
      `make one with a ${describeKey(wanted)} key with kafka-mtls rotate-ca start --ca-key-type ${keyTypeName(wanted)}`,
  );
}

/**
 * A CA that expires before the certificates signed now would: the script's CA lives as long as its leaves
 * (VALIDITY), the write-up's 365 days against its leaves' 3650, so a leaf signed late in its life outlives it and
 * stops verifying on the CA's last day.
 */
export function caOutlived(
  dir: string,
  ca: Pick<CertWithPem, 'notAfter'>,
  signed: readonly Pick<Identity, 'validityDays'>[],
): string | undefined {
  if (signed.length === 0) return undefined;
  const longest = Math.max(...signed.map((i) => i.validityDays));
  const until = new Date(Date.now() + longest * 86_400_000);
  // A day's grace: the script's CA and first leaves share VALIDITY and end seconds apart, which nobody can act on.
  if (until.getTime() - ca.notAfter.getTime() <= 86_400_000) return undefined;
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return (
    `${dir}/ca.crt expires on ${day(ca.notAfter)}, before the certificates signed now would (valid ${longest} ` +
    `days, to ${day(until)}): from that day they no longer verify. Move to a new CA before then with kafka-mtls ` +
    'rotate-ca, or sign for fewer days (--validity)'
  );
}

/** What a v1 CA (mtls-kafka.sh's) costs, and the way out; it keeps signing, since every client trusts it. */
export function v1CaWarning(path: string): string {
  return (
    `${path} is an X.509 v1 CA (as mtls-kafka.sh makes it): new and renewed certificates are signed by it, so ` +
    'every client keeps trusting them, but strict clients refuse a v1 CA (Python 3.13 and later by default, ' +
    'OpenSSL with -x509_strict). Move to a v3 CA without downtime: kafka-mtls rotate-ca start, then reissue, ' +
    'then finish, each after a rolling restart'
  );
}

/**
 * Each keystore against its identity's certificate: a keystore that holds another identity's certificate (its
 * keystore copied over this one) serves the wrong names, and one whose certificate none of the directory's CAs
 * signed (a keystore of another cluster's, with the same names) is trusted by no truststore of this one; either is
 * to be made again. One that does not open with its password is left to the password proof (apply) and to verify.
 */
async function keystoreMismatches(
  dir: string,
  { state, certs, cas, passwordOf }: KeystoreFacts,
  { tools, signal }: Pick<CaptureOptions, 'tools' | 'signal'>,
  known: readonly FileProblem[],
): Promise<FileProblem[]> {
  const files = layoutFiles(state.layout);
  const found = await Promise.all(
    state.identities.map(async (who): Promise<FileProblem | undefined> => {
      const path = files.keystore(who);
      const cert = certs[who.alias];
      if (!cert || known.some((p) => p.path === path)) return undefined;
      const opts = { tools, secrets: { [STORE_PASSWORD_ENV]: passwordOf(who) }, cwd: dir, signal };
      const store = await readStore(join(dir, path), opts, '--out').catch(() => undefined);
      const entry = store?.opened ? store.entries.find((e) => e.entryType === 'PrivateKeyEntry') : undefined;
      const leaf = entry?.infos[0];
      if (!leaf) return undefined;
      const mismatched = (detail: string): FileProblem => ({
        path,
        kind: 'store',
        what: `${who.alias}'s keystore`,
        alias: who.alias,
        problem: 'mismatched',
        detail,
      });
      // Another subject: another identity's keystore.
      if (leaf.subject !== cert.subject) {
        const whose = /CN=([^,]+)/.exec(leaf.subject)?.[1] ?? leaf.subject;
        return mismatched(`it holds ${whose}'s certificate, not ${files.cert(who)}`);
      }
      // The same subject with another certificate is this identity's out of step (a renewal written by hand), and
      // the certificate file's reasons speak for it, as long as the directory's CA signed it.
      const leafCert = entry.certs[0]?.pem ? parseX509(entry.certs[0].pem) : undefined;
      if (leaf.sha256 === cert.sha256 || !leafCert || cas.some((ca) => signedBy(leafCert, ca))) return undefined;
      return mismatched(
        `it holds a certificate ${files.caCert} did not sign (issuer ${leaf.issuer}), not ${files.cert(who)}`,
      );
    }),
  );
  return found.filter((p): p is FileProblem => p !== undefined);
}

/** What keystoreMismatches holds each keystore against. */
interface KeystoreFacts {
  readonly state: State;
  readonly certs: Readonly<Record<string, CertWithPem | undefined>>;
  /** The CAs whose signature a leaf of the directory may carry. */
  readonly cas: readonly X509Certificate[];
  readonly passwordOf: (who: Identity) => Secret;
}

/** A certificate of the directory; one that is missing, or not a regular file of PEM size, is one to reissue. */
function certReader(dir: string, tools: { openssl: string; keytool: string }, signal: AbortSignal | undefined) {
  const opts = { tools, secrets: {}, cwd: dir, signal };
  return async (f: string): Promise<CertWithPem | undefined> => {
    const pem = await readBoundedText(join(dir, f), { kind: 'pem', option: '--out', signal }).catch((e) =>
      e instanceof UsageError ? '' : Promise.reject(e),
    );
    const info = await readCertFacts(pem, opts);
    return info && { ...info, pem };
  };
}

/**
 * Every store of the directory opens with its password (the shared one, or its generated one), before anything
 * is staged: a wrong password would re-lock every store with itself.
 */
export async function proveDirectoryPasswords(
  dir: string,
  state: State,
  params: RunParams,
  generated: SecretEnv,
  deps: { readonly exec?: Exec; readonly signal?: AbortSignal },
): Promise<void> {
  const shared = { from: sourceLabel(params.passwordSource), isDefault: usesDefaultPassword(params) };
  const secrets = { [STORE_PASSWORD_ENV]: params.password, ...generated };
  const { exec, signal } = deps;
  await proveStorePasswords(dir, storesOf(state, shared), { tools: params.tools, secrets, exec, signal });
}
