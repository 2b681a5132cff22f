import { posix } from 'node:path';
import type { Cluster, Identity } from '../model/cluster.js';
import type { Deployment } from '../model/deployment.js';
import type { OutputFile, Step, WriteSecretAction } from '../runner/step.js';
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

/**
 * The outputs any layout can add (`--emit`): settings and formats for each
 * consumer of the certificates. A layout says where its files are
 * (LayoutView); these steps only read them, so they work for every layout.
 */

/** Where one identity's files are, relative to the output directory. */
export interface IdentityFiles {
  /** The identity's directory: '' for the output directory itself. */
  readonly dir: string;
  readonly keystore: string;
  readonly truststore: string;
  /** The signed certificate (PEM). */
  readonly cert: string;
  /** The unencrypted private key (PKCS#8 PEM): in the scratch directory while the run lasts, or the layout's own. */
  readonly key: string;
  /** The cp-kafka image's credentials files, as the layout names them. */
  readonly creds: CredsFiles;
}

export interface LayoutView {
  /** The trust anchor: the root CA's certificate. */
  readonly caCert: string;
  /** The certificates that follow a leaf in its chain, up to the root, as files. */
  readonly chain: readonly string[];
  /** The stores' type as Kafka's ssl.*.type names it; undefined when left to the JVM's default. */
  readonly storeType: 'PKCS12' | 'JKS' | undefined;
  files(who: Identity): IdentityFiles;
  /** The layout writes every identity's credentials files itself: the outputs only name them. */
  readonly credsWritten: boolean;
}

export interface EmitContext {
  /** Where the output will live once swapped in. */
  readonly outDir: string;
  readonly deployment: Deployment;
  readonly passwords: StorePasswords;
}

export interface Emitted {
  readonly steps: Step[];
  readonly outputs: OutputFile[];
  /** Lines for the run summary: how to use what was made (a kcat command, a kafkajs snippet). */
  readonly usage: string[];
}

/**
 * Stand for the passwords in properties files when no config provider is used: one, or one per kind with
 * --generate-passwords.
 */
export const PASSWORD_PLACEHOLDER = '<store-password>';
export const KEYSTORE_PLACEHOLDER = '<keystore-password>';
export const TRUSTSTORE_PLACEHOLDER = '<truststore-password>';

/** The cp-kafka image's three credentials files of an identity, each holding one password (0600). */
export function credsSteps(who: Identity, c: CredsFiles, pws: StorePasswords): Step[] {
  return [
    secretStep(`${who.id}.keystore-creds`, c.keystore, 'the keystore password (KAFKA_SSL_KEYSTORE_CREDENTIALS)', [
      { secretEnv: pws.keystore(who) },
    ]),
    secretStep(`${who.id}.sslkey-creds`, c.key, 'the key password (KAFKA_SSL_KEY_CREDENTIALS)', [
      { secretEnv: pws.keystore(who) },
    ]),
    secretStep(
      `${who.id}.truststore-creds`,
      c.truststore,
      'the truststore password (KAFKA_SSL_TRUSTSTORE_CREDENTIALS)',
      [{ secretEnv: pws.truststore }],
    ),
  ];
}

function secretStep(id: string, path: string, title: string, entries: WriteSecretAction['entries']): Step {
  return {
    id,
    title: `Write ${path}: ${title} (0600)`,
    action: { kind: 'write-secret', path, entries },
    reads: [],
    writes: [path],
  };
}

/** The steps and files of the outputs; a file several identities share (the flat directory's ca.pem) once. */
class Outputs {
  readonly steps: Step[] = [];
  readonly outputs: OutputFile[] = [];
  readonly usage: string[] = [];
  add(step: Step, ...files: OutputFile[]): void {
    if (!this.steps.some((s) => s.id === step.id)) this.steps.push(step);
    for (const f of files) if (!this.outputs.some((o) => o.path === f.path)) this.outputs.push(f);
  }
  write(id: string, path: string, title: string, content: string): void {
    const step: Step = {
      id,
      title: `Write ${path}${title ? `: ${title}` : ''}`,
      action: { kind: 'write', path, content },
      reads: [],
      writes: [path],
    };
    this.add(step, { path, private: false });
  }
  secret(step: Step): void {
    this.add(step, ...step.writes.map((path) => ({ path, private: true })));
  }
}

/** What every output's steps read: the cluster, where the layout's files are, how passwords are given. */
interface Emitting {
  readonly cluster: Cluster;
  readonly layout: LayoutView;
  readonly ctx: EmitContext;
  readonly out: Outputs;
  readonly brokers: readonly Identity[];
  readonly clients: readonly Identity[];
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
  if (want.has('compose')) {
    // The compose block names each broker's credentials files; written here unless they already are.
    if (!ctx.passwords.generated) writeCreds(e, e.brokers);
    const services = e.brokers.map((who) =>
      composeService(who, layout, layout.files(who).creds, ctx.deployment, cluster),
    );
    e.out.write(
      'compose',
      COMPOSE_FILE,
      "each broker's environment block for the cp-kafka image",
      composeFile(services),
    );
  }
  if (want.has('kubernetes')) for (const who of cluster.identities) emitKubernetes(e, who);
  if (want.has('principals')) e.out.write('principals', PRINCIPALS_FILE, '', principalsText(cluster));
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
    secretStep(`credentials${own ? `.${who.id}` : ''}`, path, title, [
      { key: 'keystore.password', secretEnv: pws.keystore(who) },
      { key: 'key.password', secretEnv: pws.keystore(who) },
      { key: 'truststore.password', secretEnv: pws.truststore },
    ]),
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
  if (e.ctx.deployment.passwords !== 'literal') return e.out.write(id, path, title, content);
  const fill = pws.generated
    ? [
        { marker: KEYSTORE_PLACEHOLDER, secretEnv: pws.keystore(who) },
        { marker: TRUSTSTORE_PLACEHOLDER, secretEnv: pws.truststore },
      ]
    : [{ marker: PASSWORD_PLACEHOLDER, secretEnv: pws.truststore }];
  e.out.add(
    {
      id,
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

/** Two Kubernetes Secrets per identity: its stores with their passwords, and its PEM files as a TLS Secret. */
function emitKubernetes(e: Emitting, who: Identity): void {
  const { layout, out } = e;
  const pws = e.ctx.passwords;
  const f = layout.files(who);
  const { stores, tls } = emitFiles.kubernetes(who);
  const namespace = e.ctx.deployment.namespace;
  out.add(
    {
      id: `${who.id}.k8s-stores`,
      title: `Write ${stores}: Secret ${who.alias}-stores with the keystore, truststore and their passwords (0600)`,
      action: {
        kind: 'secret-manifest',
        path: stores,
        name: `${who.alias}-stores`,
        type: 'Opaque',
        namespace,
        entries: [
          { key: posix.basename(f.keystore), files: [f.keystore] },
          { key: posix.basename(f.truststore), files: [f.truststore] },
          { key: 'keystore.password', secretEnv: pws.keystore(who) },
          { key: 'key.password', secretEnv: pws.keystore(who) },
          { key: 'truststore.password', secretEnv: pws.truststore },
        ],
      },
      reads: [f.keystore, f.truststore],
      writes: [stores],
    },
    { path: stores, private: true },
  );
  out.add(
    {
      id: `${who.id}.k8s-tls`,
      title: `Write ${tls}: Secret ${who.alias}-tls with tls.crt (chain), tls.key (PKCS#8) and ca.crt (0600)`,
      action: {
        kind: 'secret-manifest',
        path: tls,
        name: `${who.alias}-tls`,
        type: 'kubernetes.io/tls',
        namespace,
        entries: [
          { key: 'tls.crt', files: [f.cert, ...layout.chain] },
          { key: 'tls.key', files: [f.key] },
          { key: 'ca.crt', files: [layout.caCert] },
        ],
      },
      reads: [f.cert, f.key, layout.caCert, ...layout.chain],
      writes: [tls],
    },
    { path: tls, private: true },
  );
}
