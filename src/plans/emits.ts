import { posix } from 'node:path';
import type { Cluster, Identity } from '../model/cluster.js';
import { purposeOf, type Step, type StepPurpose } from '../runner/step.js';
import type { StorePasswords } from '../model/passwords.js';
import { COMPOSE_FILE, emitFiles, PRINCIPALS_FILE, type CredsFiles, type Emit } from '../model/layouts.js';
import {
  bootstrapOf,
  clientProperties,
  composeFile,
  composeService,
  principalsText,
  serverProperties,
  superUsersLine,
  type PasswordRefs,
  type Seen,
} from './settings.js';
import { Outputs, secretStep, type EmitContext, type Emitted, type Emitting, type LayoutView } from './emitting.js';
import { emitKubernetes, emitKubernetesPerBroker } from './kubernetes.js';

export type { EmitContext, Emitted, IdentityFiles, LayoutView } from './emitting.js';

/**
 * The outputs any layout can add (`--emit`): settings and formats for each
 * consumer of the certificates. A layout says where its files are
 * (LayoutView); these steps only read them, so they work for every layout.
 */

/**
 * Stand for the passwords in properties files when no config provider is used: one, or one per kind with
 * --generate-passwords.
 */
export const PASSWORD_PLACEHOLDER = '<store-password>';
export const KEYSTORE_PLACEHOLDER = '<keystore-password>';
export const TRUSTSTORE_PLACEHOLDER = '<truststore-password>';

/** The cp-kafka image's three credentials files of an identity, each holding one password (0600). */
export function credsSteps(who: Identity, c: CredsFiles, pws: StorePasswords): Step[] {
  const purpose: StepPurpose = { owner: who.id, role: 'creds' };
  return [
    secretStep(
      `${who.id}.keystore-creds`,
      purpose,
      c.keystore,
      'the keystore password (KAFKA_SSL_KEYSTORE_CREDENTIALS)',
      [{ secretEnv: pws.keystore(who) }],
    ),
    secretStep(`${who.id}.sslkey-creds`, purpose, c.key, 'the key password (KAFKA_SSL_KEY_CREDENTIALS)', [
      { secretEnv: pws.keystore(who) },
    ]),
    secretStep(
      `${who.id}.truststore-creds`,
      purpose,
      c.truststore,
      'the truststore password (KAFKA_SSL_TRUSTSTORE_CREDENTIALS)',
      [{ secretEnv: pws.truststore }],
    ),
  ];
}

/** The steps, files and usage lines of the outputs asked for, in a fixed order (dry-run and --json show it). */
export function emitSteps(cluster: Cluster, layout: LayoutView, emits: readonly Emit[], ctx: EmitContext): Emitted {
  const want = new Set(emits);
  const e: Emitting = {
    cluster,
    layout,
    ctx,
    out: new Outputs(),
    brokers: cluster.identities.filter((i) => i.role === 'broker'),
    clients: cluster.identities.filter((i) => i.role === 'client'),
  };
  // With a password per keystore, every identity has its credentials files: apply and rotate-ca read them back.
  if (ctx.passwords.generated) writeCreds(e, cluster.identities);
  if (want.has('pem')) emitPem(e);
  if (want.has('client-properties')) emitClientProperties(e);
  if (want.has('server-properties')) emitServerProperties(e);
  if (want.has('compose')) emitCompose(e);
  if (want.has('kubernetes')) emitKubernetes(e);
  if (want.has('kubernetes-per-broker')) emitKubernetesPerBroker(e);
  if (want.has('principals'))
    e.out.write('principals', { role: 'output' }, PRINCIPALS_FILE, '', principalsText(cluster));
  return { steps: e.out.steps, outputs: e.out.outputs, usage: e.out.usage };
}

/** The credentials files of these identities, unless the layout writes them itself. */
function writeCreds(e: Emitting, identities: readonly Identity[]): void {
  if (e.layout.credsWritten) return;
  for (const who of identities)
    for (const s of credsSteps(who, e.layout.files(who).creds, e.ctx.passwords)) e.out.secret(s);
}

/** Where a process reading the identity's settings finds one of its files. */
function seenBy(e: Emitting): Seen {
  return (who, file) => {
    const dir = e.layout.files(who).dir;
    const base = e.ctx.deployment.mountPath ?? posix.join(e.ctx.outDir, dir);
    return posix.join(base, posix.relative(dir, file));
  };
}

/**
 * The credentials file an identity's settings read: one per directory; in
 * the drop-in's flat directory, one per identity when each keystore has its own password.
 */
function credentials(e: Emitting, who: Identity): string {
  const pws = e.ctx.passwords;
  const dir = e.layout.files(who).dir;
  const own = dir !== '' || pws.generated;
  const path = emitFiles.credentials(who, dir, pws.generated);
  const title = "the store passwords, for Kafka's FileConfigProvider";
  e.out.secret(
    secretStep(
      `credentials${own ? `.${who.id}` : ''}`,
      { owner: own ? who.id : undefined, role: 'output' },
      path,
      title,
      [
        { key: 'keystore.password', secretEnv: pws.keystore(who) },
        { key: 'key.password', secretEnv: pws.keystore(who) },
        { key: 'truststore.password', secretEnv: pws.truststore },
      ],
    ),
  );
  return path;
}

function placeholders(pws: StorePasswords): PasswordRefs {
  return pws.generated
    ? { keystore: KEYSTORE_PLACEHOLDER, key: KEYSTORE_PLACEHOLDER, truststore: TRUSTSTORE_PLACEHOLDER }
    : { keystore: PASSWORD_PLACEHOLDER, key: PASSWORD_PLACEHOLDER, truststore: PASSWORD_PLACEHOLDER };
}

/** ${file:} references to the identity's credentials file (written here), when passwords come from a provider. */
function passwordRefs(e: Emitting, who: Identity): PasswordRefs | undefined {
  if (e.ctx.deployment.passwords !== 'provider') return undefined;
  const file = seenBy(e)(who, credentials(e, who));
  return {
    keystore: `\${file:${file}:keystore.password}`,
    key: `\${file:${file}:key.password}`,
    truststore: `\${file:${file}:truststore.password}`,
  };
}

/** A properties file: with literal passwords the runner fills the placeholders in, and the file is a secret. */
function writeProperties(e: Emitting, who: Identity, id: string, path: string, title: string, content: string) {
  const pws = e.ctx.passwords;
  const purpose: StepPurpose = { owner: who.id, role: 'output' };
  if (e.ctx.deployment.passwords !== 'literal') return e.out.write(id, purpose, path, title, content);
  const fill = pws.generated
    ? [
        { marker: KEYSTORE_PLACEHOLDER, secretEnv: pws.keystore(who) },
        { marker: TRUSTSTORE_PLACEHOLDER, secretEnv: pws.truststore },
      ]
    : [{ marker: PASSWORD_PLACEHOLDER, secretEnv: pws.truststore }];
  e.out.add(
    {
      id,
      ...purpose,
      title: `Write ${path}: ${title}, with the passwords (0600)`,
      action: { kind: 'write', path, content, fill },
      reads: [],
      writes: [path],
    },
    { path, private: true },
  );
}

/** --emit pem: the CA alone, each certificate with its chain and its key, as PEM; usage lines for kcat and kafkajs. */
function emitPem(e: Emitting): void {
  const { layout, out } = e;
  for (const who of e.cluster.identities) {
    const f = layout.files(who);
    const p = emitFiles.pem(who, f.dir);
    // Copied before the scratch directory (and its unencrypted keys) is removed at the end of the run.
    out.add(
      {
        id: `pem.ca${f.dir ? `.${who.id}` : ''}`,
        // The flat directory's ca.pem is every identity's.
        ...purposeOf({ owner: f.dir ? who.id : undefined, role: 'trusted-pem' }),
        title: `Write ${p.ca}: the CA certificate alone`,
        action: { kind: 'copy', from: layout.caCert, to: p.ca },
        reads: [layout.caCert],
        writes: [p.ca],
      },
      { path: p.ca, private: false },
    );
    out.add(
      {
        id: `${who.id}.pem-chain`,
        owner: who.id,
        role: 'output',
        title: `Write ${p.chain}: the certificate, then the CA`,
        action: { kind: 'concat', from: [f.cert, ...layout.chain], to: p.chain },
        reads: [f.cert, ...layout.chain],
        writes: [p.chain],
      },
      { path: p.chain, private: false },
    );
    out.add(
      {
        id: `${who.id}.pem-key`,
        owner: who.id,
        role: 'output',
        title: `Write ${p.key}: the private key, PKCS#8, unencrypted (0600)`,
        action: { kind: 'copy', from: f.key, to: p.key },
        reads: [f.key],
        writes: [p.key],
      },
      { path: p.key, private: true },
    );
  }
  const client = e.clients[0];
  const broker = e.brokers[0];
  if (client && broker) out.usage.push(...pemUsage(e, client, broker));
}

/** How the first client connects with its PEM files: a kcat command and a kafkajs snippet. */
function pemUsage(e: Emitting, client: Identity, broker: Identity): string[] {
  const p = emitFiles.pem(client, e.layout.files(client).dir);
  const at = (f: string) => posix.join(e.ctx.outDir, f);
  const bootstrap = bootstrapOf(broker, e.ctx.deployment);
  const kcatSsl = `-X ssl.ca.location=${at(p.ca)} -X ssl.certificate.location=${at(p.chain)}`;
  const read = (f: string) => `fs.readFileSync('${at(f)}', 'utf8')`;
  return [
    `kcat as ${client.alias}:`,
    `  kcat -b ${bootstrap} -X security.protocol=ssl ${kcatSsl} -X ssl.key.location=${at(p.key)} -L`,
    `kafkajs as ${client.alias}:`,
    `  ssl: { ca: [${read(p.ca)}], cert: ${read(p.chain)}, key: ${read(p.key)} }`,
  ];
}

function emitClientProperties(e: Emitting): void {
  const pws = e.ctx.passwords;
  for (const who of e.clients) {
    const path = emitFiles.clientProperties(who, e.layout.files(who).dir, e.clients.length === 1);
    const refs = passwordRefs(e, who);
    const content = clientProperties(who, e.layout, seenBy(e), refs, placeholders(pws), e.brokers, e.ctx.deployment);
    writeProperties(e, who, `${who.id}.properties`, path, `settings for Java clients as ${who.alias}`, content);
  }
}

function emitServerProperties(e: Emitting): void {
  const superUsers = superUsersLine(e.cluster);
  for (const who of e.brokers) {
    const path = emitFiles.serverProperties(who, e.layout.files(who).dir);
    const refs = passwordRefs(e, who);
    const holders = placeholders(e.ctx.passwords);
    const content = serverProperties(who, e.layout, seenBy(e), refs, holders, e.ctx.deployment, superUsers);
    writeProperties(
      e,
      who,
      `${who.id}.server-properties`,
      path,
      `${who.alias}'s SSL settings for server.properties`,
      content,
    );
  }
}

/**
 * --emit compose: each broker's service block. Host paths are absolute, or relative to --compose-dir (the base
 * compose file's folder, against which compose resolves the relative paths of every -f file).
 */
function emitCompose(e: Emitting): void {
  const { layout, ctx } = e;
  // The compose block names each broker's credentials files; written here unless they already are.
  if (!ctx.passwords.generated) writeCreds(e, e.brokers);
  const base = ctx.deployment.composeDir;
  const source = (file: string) => {
    const abs = posix.join(ctx.outDir, file);
    if (base === undefined) return abs;
    const rel = posix.relative(base, abs);
    return rel.startsWith('..') ? rel : `./${rel}`;
  };
  const where =
    base === undefined
      ? 'Host paths are absolute: the block works wherever your compose file is.'
      : `Host paths are relative to ${base} (--compose-dir): the folder of the first -f file, which compose ` +
        'resolves the relative paths of every -f file against.';
  const services = e.brokers.map((who) =>
    composeService(who, layout, layout.files(who).creds, ctx.deployment, e.cluster, source),
  );
  e.out.write(
    'compose',
    { role: 'output' },
    COMPOSE_FILE,
    "each broker's environment block for the cp-kafka image",
    composeFile(services, posix.join(ctx.outDir, COMPOSE_FILE), where),
  );
}
