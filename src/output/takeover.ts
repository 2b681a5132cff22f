/**
 * Taking over a directory that has no kafka-mtls.json: one that mtls-kafka.sh made, or the write-up's Confluent
 * flow (../shared/reference/seed.md). Every client already trusts its CA, so plan and apply keep that CA and
 * derive the state from the files themselves: the identities from the file names and their certificates, the
 * store type from the stores' bytes, the CA from ca.crt and ca.key. What cannot be taken over as it is (a leaf the
 * CA did not sign, a store that is not one, names that fit neither layout) is refused, naming the file.
 */
import { createPrivateKey, createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { UsageError } from '../errors.js';
import { DN_ATTRS, freeId, type Cluster, type Dn, type DnAttr, type Identity, type San } from '../model/cluster.js';
import type { Deployment } from '../model/deployment.js';
import { confluentFiles, confluentIdentityFiles, dropInFiles, type Layout } from '../model/layouts.js';
import type { IdentityRecord, State } from '../model/state.js';
import { checkDirectory } from '../pki/present.js';
import { readBounded, readBoundedText } from '../pki/read-file.js';
import { certFacts, parseSanText, parseX509, signedBy, x509Version, type CertFacts } from '../pki/x509.js';
import { certRecord, parseState, STATE_FILE } from './state-file.js';

/** Who made the directory, as plan names it. */
export const MADE_BY: Readonly<Record<Layout, string>> = {
  dropin: 'mtls-kafka.sh',
  confluent: "the write-up's Confluent flow",
};

/** A directory of one of the two layouts, before its certificates are read: its layout and who is in it. */
export interface Survey {
  readonly dir: string;
  readonly layout: Layout;
  /** Each identity's alias, certificate and keystore (relative paths), in name order. */
  readonly found: readonly { readonly alias: string; readonly cert: string; readonly keystore: string }[];
}

/** What plan and apply say of a directory they took over. */
export interface TakeOver {
  readonly madeBy: string;
  /** The CA is X.509 v1 (mtls-kafka.sh's): it signs on, and strict clients refuse it. */
  readonly v1Ca: boolean;
  /** One line per thing read from the files. */
  readonly lines: readonly string[];
  /** What the directory's files risk as they are, which a take-over keeps (their modes). */
  readonly warnings: readonly string[];
}

const SIGNED = 'ca-signed-';
const JKS_SUFFIX = '.keystore.jks';
const CREDS_SUFFIX = '-creds';

/**
 * The layout a directory's file names fit, and who is in it; undefined when it holds no ca.crt (nothing to take
 * over). Names that fit neither layout, or both, are refused.
 */
export async function surveyDirectory(dir: string): Promise<Survey | undefined> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!entries?.some((e) => e.name === dropInFiles.caCert)) return undefined;
  const names = new Set(entries.map((e) => e.name));
  const refuse = (rule: string) => {
    throw new UsageError('--out', `${dir} holds no ${STATE_FILE}, and ${rule}: nothing was changed`);
  };
  const signed = entries.filter((e) => e.name.startsWith(SIGNED) && e.name.length > SIGNED.length);
  const creds = entries.filter((e) => e.isDirectory() && e.name.endsWith(CREDS_SUFFIX) && e.name !== CREDS_SUFFIX);
  if (signed.length > 0 && creds.length > 0) {
    refuse(
      `its names fit both mtls-kafka.sh's layout (${signed[0]!.name}) and the Confluent flow's ` +
        `(${creds[0]!.name}/): take one of them over at a time`,
    );
  }
  if (signed.length > 0) {
    const found = signed.map((e) => {
      const alias = e.name.slice(SIGNED.length);
      const keystore = `${alias}${JKS_SUFFIX}`;
      if (!names.has(keystore)) refuse(`${e.name} has no keystore ${keystore} beside it`);
      return { alias, cert: e.name, keystore };
    });
    const orphan = [...names].find(
      (n) => n.endsWith(JKS_SUFFIX) && !names.has(`${SIGNED}${n.slice(0, -JKS_SUFFIX.length)}`),
    );
    if (orphan) refuse(`${orphan} has no signed certificate ${SIGNED}${orphan.slice(0, -JKS_SUFFIX.length)} beside it`);
    return { dir, layout: 'dropin', found: sortByName(found) };
  }
  if (creds.length > 0) {
    const found = await Promise.all(
      creds.map(async (e) => {
        const alias = e.name.slice(0, -CREDS_SUFFIX.length);
        const who = confluentIdentityFiles({ alias } as Identity);
        const cert = posix.basename(who.cert);
        if (!(await readdir(join(dir, e.name)).catch((): string[] => [])).includes(cert))
          refuse(`${e.name}/ holds no ${cert} (the Confluent flow's <name>-creds/<name>.crt)`);
        return { alias, cert: who.cert, keystore: who.keystore };
      }),
    );
    return { dir, layout: 'confluent', found: sortByName(found) };
  }
  return refuse(
    `its names fit neither mtls-kafka.sh's layout (ca-signed-<name> and <name>.keystore.jks) nor the ` +
      `Confluent flow's (<name>-creds/): run kafka-mtls generate to make a new directory`,
  );
}

/** mtls-kafka-2 before mtls-kafka-10: the script's numbering read as numbers. */
function sortByName<T extends { alias: string }>(xs: T[]): T[] {
  return xs.sort((a, b) => a.alias.localeCompare(b.alias, 'en', { numeric: true }));
}

/** What the options describe, which names the roles and subjects of the identities it knows. */
export interface Wanted {
  readonly cluster: Cluster;
  readonly deployment: Deployment;
}

/**
 * The state the directory would have had, had kafka-mtls made it: read from its files, with the CA's key checked
 * against its certificate and every leaf against the CA's signature. Checked by the state file's own rules.
 */
export async function deriveState(
  survey: Survey,
  wanted: Wanted,
  signal: AbortSignal | undefined,
): Promise<{ state: State; takeOver: TakeOver }> {
  const { dir, layout } = survey;
  const ca = await readCa(dir, signal);
  const lines: string[] = [];
  const identities: Identity[] = [];
  const certs: Record<string, IdentityRecord> = {};
  const clients = survey.found.filter((f) => !isBroker(f.alias, undefined, wanted));
  // The Confluent flow numbers from 1 (kafka-1) and its ids name no file: one the options do not name gets an id
  // theirs leave free, or the state written would give two identities one id (kafka-1 and the options' kafka-3).
  const freeIds = new Set(wanted.cluster.identities.map((i) => i.id));
  for (const f of survey.found) {
    const { cert, facts } = await readLeaf(dir, f.cert, signal);
    if (!signedBy(cert, ca.cert)) {
      throw new UsageError(
        '--out',
        `${join(dir, f.cert)} is not signed by ${join(dir, dropInFiles.caCert)}: a directory whose leaves ` +
          'another CA signed cannot be taken over; nothing was changed',
      );
    }
    const who = identityOf(f, facts, cert, wanted, clients.length, freeIds, layout);
    identities.push(who);
    certs[who.alias] = { ...certRecord(facts), sans: facts.sans, issuerSha256: ca.facts.sha256 };
    const until = facts.notAfter.toISOString().slice(0, 10);
    lines.push(`${who.role} ${who.alias}: ${facts.subject}, valid until ${until} (${f.cert}, ${f.keystore})`);
  }
  if (!identities.some((i) => i.role === 'broker')) {
    throw new UsageError('--out', `${dir} holds no broker's certificate: there is no cluster to take over`);
  }
  const { storeType, file: storeTypeFile } = await storeTypeOf(survey, signal);
  const version = x509Version(ca.cert);
  const state: State = {
    tool: 'kafka-mtls',
    version: 1,
    updatedAt: new Date().toISOString(),
    layout,
    storeType,
    // The CA's name as the files give it is in caCert; the description is the options' (a CA's subject is never
    // changed by a plan: rotate-ca makes a new one).
    ca: {
      subject: wanted.cluster.ca.subject,
      keyBits: ca.facts.keyBits,
      validityDays: lifetimeDays(ca.facts),
    },
    identities,
    deployment: wanted.deployment,
    // The script and the flow wrote no settings files: a take-over adds none unless --emit asks.
    emit: [],
    caCert: certRecord(ca.facts),
    certs,
  };
  // The same rules as a state file read back: a name that could not be one of kafka-mtls's is refused here.
  await parseState(JSON.stringify(state), dir, `${dir} (taken over)`);
  // A file made from the CA or the password alone (the truststores the write-up never makes) is made by apply.
  const problem = (await checkDirectory(dir, state, signal)).find((p) => !(p.rebuildable && p.problem === 'missing'));
  if (problem) {
    const why = problem.detail ? `${problem.problem} (${problem.detail})` : problem.problem;
    throw new UsageError(
      '--out',
      `${join(dir, problem.path)} is ${why}: ${problem.what} must be there to take ${dir} over; nothing was changed`,
    );
  }
  lines.unshift(
    `CA ${ca.facts.subject}: X.509 v${version}, valid until ${ca.facts.notAfter.toISOString().slice(0, 10)}`,
  );
  lines.push(`${storeType.toUpperCase()} stores (as ${storeTypeFile} is), one password for every store`);
  const warnings = await openSecrets(survey);
  return { state, takeOver: { madeBy: MADE_BY[layout], v1Ca: version === 1, lines, warnings } };
}

/**
 * The files holding a private key or a password that other users can read: the script's keytool left keystores
 * 0644, the write-up's `cat ca.crt ca.key > ca.pem` the CA's key. Their modes are kept (a broker may read them as
 * another user, and the take-over changes no old file), and said.
 */
async function openSecrets(survey: Survey): Promise<string[]> {
  const { dir } = survey;
  const secret = [dropInFiles.caKey, ...survey.found.map((f) => f.keystore)];
  if (survey.layout === 'confluent') {
    secret.push(confluentFiles.caPem);
    for (const f of survey.found) {
      const c = confluentIdentityFiles({ alias: f.alias } as Identity);
      secret.push(c.key, c.p12, c.creds.keystore, c.creds.key, c.creds.truststore);
    }
  }
  const open: string[] = [];
  for (const f of secret) {
    const st = await lstat(join(dir, f)).catch(() => undefined);
    if (st?.isFile() && (st.mode & 0o077) !== 0) open.push(`${f} (${(st.mode & 0o777).toString(8).padStart(4, '0')})`);
  }
  if (open.length === 0) return [];
  const more = open.length > 3 ? ` and ${open.length - 3} more` : '';
  return [
    `${open.slice(0, 3).join(', ')}${more} in ${dir} hold a private key or a password that other users can read: ` +
      'kafka-mtls keeps their modes (a broker may read them as another user) and makes its own files 0600; ' +
      'chmod 600 them once nothing reads them as another user',
  ];
}

async function readCa(
  dir: string,
  signal: AbortSignal | undefined,
): Promise<{ cert: X509Certificate; facts: CertFacts }> {
  const certPath = join(dir, dropInFiles.caCert);
  const keyPath = join(dir, confluentFiles.caKey);
  const { cert, facts } = await readLeaf(dir, dropInFiles.caCert, signal);
  const keyPem = await readBounded(keyPath, { kind: 'pem', option: '--out', signal }).catch((e: unknown) => {
    if (e instanceof UsageError) {
      throw new UsageError('--out', `${keyPath}: ${e.rule}: without the CA's key nothing can be signed by it`);
    }
    throw e;
  });
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    const encrypted = /ENCRYPTED/.test(keyPem.toString('latin1'));
    throw new UsageError(
      '--out',
      encrypted
        ? `${keyPath} is encrypted: take the directory over with its key decrypted beside ca.crt ` +
            '(openssl pkey -in ca.key -out ca.key.plain), or sign with it as your own CA (--ca-cert, --ca-key)'
        : `${keyPath} is not a PEM private key; nothing was changed`,
    );
  }
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  if (!spki(cert.publicKey).equals(spki(createPublicKey(key)))) {
    throw new UsageError('--out', `${keyPath} is not the key of ${certPath}: nothing could be signed by that CA`);
  }
  return { cert, facts };
}

async function readLeaf(
  dir: string,
  file: string,
  signal: AbortSignal | undefined,
): Promise<{ cert: X509Certificate; facts: CertFacts }> {
  const path = join(dir, file);
  const pem = await readBoundedText(path, { kind: 'pem', option: '--out', signal });
  const cert = parseX509(pem);
  const facts = cert && certFacts(cert);
  if (!cert || !facts) throw new UsageError('--out', `${path} is not a PEM certificate; nothing was changed`);
  return { cert, facts };
}

/** The script's brokers are <name>-<i> with a CN of <name>-<i>.<headless service>; a name the options know says. */
function isBroker(alias: string, cn: string | undefined, wanted: Wanted): boolean {
  const named = wanted.cluster.identities.find((i) => i.alias === alias);
  if (named) return named.role === 'broker';
  return /-\d+$/.test(alias) && (cn === undefined || cn.startsWith(`${alias}.`) || cn === alias);
}

function identityOf(
  f: Survey['found'][number],
  facts: CertFacts,
  cert: X509Certificate,
  wanted: Wanted,
  clientCount: number,
  taken: Set<string>,
  layout: Layout,
): Identity {
  const subject = dnOf(cert, f.cert);
  const cn = subject.find(([k]) => k === 'CN')?.[1];
  const named = wanted.cluster.identities.find((i) => i.alias === f.alias);
  const broker = isBroker(f.alias, cn, wanted);
  const index = /-(\d+)$/.exec(f.alias)?.[1];
  // The drop-in's broker ids name its ext<i>.cnf, so they are the script's numbers; its clients' name no file.
  const id =
    named?.id ??
    (layout === 'dropin' && broker
      ? `broker-${Number(index)}`
      : layout === 'dropin' && clientCount === 1
        ? 'client'
        : freeId(broker ? 'broker' : 'client', taken));
  taken.add(id);
  const sans = facts.sans.map((text): San => {
    const s = parseSanText(text);
    if (s.kind !== 'DNS' && s.kind !== 'IP') {
      throw new UsageError('--out', `${f.cert} has a ${text} name, which kafka-mtls does not issue`);
    }
    return { kind: s.kind, value: s.value };
  });
  return {
    role: broker ? 'broker' : 'client',
    id,
    alias: f.alias,
    subject,
    sans,
    keyBits: facts.keyBits,
    validityDays: lifetimeDays(facts),
  };
}

/** node:crypto's subject, one attribute per line in encoding order, as a Dn. */
function dnOf(cert: X509Certificate, file: string): Dn {
  return cert.subject.split('\n').map((line): readonly [DnAttr, string] => {
    const at = line.indexOf('=');
    const k = line.slice(0, at) as DnAttr;
    if (!DN_ATTRS.includes(k)) {
      throw new UsageError(
        '--out',
        `${file}'s subject has a ${line.slice(0, at)} attribute, which kafka-mtls does not write`,
      );
    }
    return [k, line.slice(at + 1)];
  });
}

function lifetimeDays(f: Pick<CertFacts, 'notBefore' | 'notAfter'>): number {
  return Math.max(1, Math.round((f.notAfter.getTime() - f.notBefore.getTime()) / 86_400_000));
}

/** JKS stores begin with their magic number; the script's JDK made JKS before Java 9 and PKCS12 since. */
export async function storeTypeOf(
  survey: Survey,
  signal: AbortSignal | undefined,
): Promise<{ storeType: 'jks' | 'pkcs12'; file: string }> {
  const { dir, layout } = survey;
  if (layout === 'confluent') return { storeType: 'pkcs12', file: survey.found[0]!.keystore };
  const files = [...survey.found.map((f) => f.keystore), dropInFiles.serverTruststore, dropInFiles.clientTruststore];
  const types = await Promise.all(
    files.map(async (f) => {
      const b = await readBounded(join(dir, f), { kind: 'store', option: '--out', signal }).catch(() => undefined);
      return b && b.length >= 4 && b.readUInt32BE(0) === 0xfeedfeed ? 'jks' : 'pkcs12';
    }),
  );
  const other = types.findIndex((t) => t !== types[0]);
  if (other >= 0) {
    throw new UsageError(
      '--out',
      `${join(dir, files[0]!)} is ${types[0]!.toUpperCase()} and ${join(dir, files[other]!)} is ` +
        `${types[other]!.toUpperCase()}: kafka-mtls keeps one store type per directory; nothing was changed`,
    );
  }
  return { storeType: types[0]!, file: files[0]! };
}
