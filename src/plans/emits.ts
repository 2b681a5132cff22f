import { posix } from 'node:path';
import { principalOf, type Cluster, type Identity } from '../model/cluster.js';
import type { Deployment, Listener } from '../model/deployment.js';
import type { OutputFile, Step } from '../runner/step.js';
import type { StorePasswords } from '../model/passwords.js';
import { COMPOSE_FILE, credsFiles, PRINCIPALS_FILE, emitFiles, type CredsFiles, type Emit } from '../model/layouts.js';

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
  /** The unencrypted private key (PKCS#8 PEM) in the scratch directory, while the run lasts. */
  readonly key: string;
  /** The cp-kafka image's credentials files, when the layout makes them. */
  readonly creds?: CredsFiles;
}

export interface LayoutView {
  /** The trust anchor: the root CA's certificate. */
  readonly caCert: string;
  /** The certificates that follow a leaf in its chain, up to the root, as files. */
  readonly chain: readonly string[];
  /** The stores' type as Kafka's ssl.*.type names it; undefined when left to the JVM's default. */
  readonly storeType: 'PKCS12' | 'JKS' | undefined;
  files(who: Identity): IdentityFiles;
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

/** Stand for the passwords in properties files when no config provider is used: one, or one per kind with --generate-passwords. */
export const PASSWORD_PLACEHOLDER = '<store-password>';
export const KEYSTORE_PLACEHOLDER = '<keystore-password>';
export const TRUSTSTORE_PLACEHOLDER = '<truststore-password>';

/** What a properties file gives for each password: a ${file:} reference, or a placeholder. */
interface PasswordRefs {
  readonly keystore: string;
  readonly key: string;
  readonly truststore: string;
}
const FILE_PROVIDER = 'org.apache.kafka.common.config.provider.FileConfigProvider';

export function emitSteps(cluster: Cluster, layout: LayoutView, emits: readonly Emit[], ctx: EmitContext): Emitted {
  const want = new Set(emits);
  const steps: Step[] = [];
  const outputs: OutputFile[] = [];
  const usage: string[] = [];
  const brokers = cluster.identities.filter((i) => i.role === 'broker');
  const clients = cluster.identities.filter((i) => i.role === 'client');
  const add = (step: Step, ...files: OutputFile[]) => {
    if (!steps.some((s) => s.id === step.id)) steps.push(step);
    for (const f of files) if (!outputs.some((o) => o.path === f.path)) outputs.push(f);
  };
  const write = (id: string, path: string, title: string, content: string) =>
    add(
      {
        id,
        title: `Write ${path}${title ? `: ${title}` : ''}`,
        action: { kind: 'write', path, content },
        reads: [],
        writes: [path],
      },
      { path, private: false },
    );
  const pws = ctx.passwords;
  const writeSecret = (
    id: string,
    path: string,
    title: string,
    entries: ReadonlyArray<{ key?: string; secretEnv: string }>,
  ) =>
    add(
      {
        id,
        title: `Write ${path}: ${title} (0600)`,
        action: { kind: 'write-secret', path, entries },
        reads: [],
        writes: [path],
      },
      { path, private: true },
    );

  /** Where a process reading the identity's settings finds one of its files. */
  const seen = (who: Identity, file: string) => {
    const dir = layout.files(who).dir;
    const base = ctx.deployment.mountPath ?? posix.join(ctx.outDir, dir);
    return posix.join(base, posix.relative(dir, file));
  };
  /**
   * The credentials file an identity's settings read: one per directory; in
   * the drop-in's flat directory, one per identity when each keystore has its own password.
   */
  const credentials = (who: Identity) => {
    const dir = layout.files(who).dir;
    const own = dir !== '' || pws.generated;
    const path = emitFiles.credentials(who, dir, pws.generated);
    writeSecret(`credentials${own ? `.${who.id}` : ''}`, path, "the store passwords, for Kafka's FileConfigProvider", [
      { key: 'keystore.password', secretEnv: pws.keystore(who) },
      { key: 'key.password', secretEnv: pws.keystore(who) },
      { key: 'truststore.password', secretEnv: pws.truststore },
    ]);
    return path;
  };
  const placeholders: PasswordRefs = pws.generated
    ? { keystore: KEYSTORE_PLACEHOLDER, key: KEYSTORE_PLACEHOLDER, truststore: TRUSTSTORE_PLACEHOLDER }
    : { keystore: PASSWORD_PLACEHOLDER, key: PASSWORD_PLACEHOLDER, truststore: PASSWORD_PLACEHOLDER };
  const password = (who: Identity): PasswordRefs | undefined => {
    if (ctx.deployment.passwords !== 'provider') return undefined;
    const file = seen(who, credentials(who));
    return {
      keystore: `\${file:${file}:keystore.password}`,
      key: `\${file:${file}:key.password}`,
      truststore: `\${file:${file}:truststore.password}`,
    };
  };
  /** A properties file: with literal passwords the runner fills the placeholders in, and the file is a secret. */
  const writeProperties = (who: Identity, id: string, path: string, title: string, content: string) => {
    if (ctx.deployment.passwords !== 'literal') return write(id, path, title, content);
    const fill = pws.generated
      ? [
          { marker: KEYSTORE_PLACEHOLDER, secretEnv: pws.keystore(who) },
          { marker: TRUSTSTORE_PLACEHOLDER, secretEnv: pws.truststore },
        ]
      : [{ marker: PASSWORD_PLACEHOLDER, secretEnv: pws.truststore }];
    add(
      {
        id,
        title: `Write ${path}: ${title}, with the passwords (0600)`,
        action: { kind: 'write', path, content, fill },
        reads: [],
        writes: [path],
      },
      { path, private: true },
    );
  };
  const creds = (who: Identity) => {
    const c = layout.files(who).creds ?? credsFiles(who, layout.files(who).dir);
    writeSecret(`${who.id}.keystore-creds`, c.keystore, 'the keystore password (KAFKA_SSL_KEYSTORE_CREDENTIALS)', [
      { secretEnv: pws.keystore(who) },
    ]);
    writeSecret(`${who.id}.sslkey-creds`, c.key, 'the key password (KAFKA_SSL_KEY_CREDENTIALS)', [
      { secretEnv: pws.keystore(who) },
    ]);
    writeSecret(
      `${who.id}.truststore-creds`,
      c.truststore,
      'the truststore password (KAFKA_SSL_TRUSTSTORE_CREDENTIALS)',
      [{ secretEnv: pws.truststore }],
    );
    return c;
  };
  // With a password per keystore, every identity has its cp-kafka credentials files: apply and rotate-ca read them back.
  if (pws.generated) for (const who of cluster.identities) creds(who);
  const pem = (who: Identity) => emitFiles.pem(who, layout.files(who).dir);

  if (want.has('pem')) {
    for (const who of cluster.identities) {
      const f = layout.files(who);
      const p = pem(who);
      // Copied before the scratch directory (and its unencrypted keys) is removed at the end of the run.
      add(
        {
          id: `pem.ca${f.dir ? `.${who.id}` : ''}`,
          title: `Write ${p.ca}: the CA certificate alone`,
          action: { kind: 'copy', from: layout.caCert, to: p.ca },
          reads: [layout.caCert],
          writes: [p.ca],
        },
        { path: p.ca, private: false },
      );
      add(
        {
          id: `${who.id}.pem-chain`,
          title: `Write ${p.chain}: the certificate, then the CA`,
          action: { kind: 'concat', from: [f.cert, ...layout.chain], to: p.chain },
          reads: [f.cert, ...layout.chain],
          writes: [p.chain],
        },
        { path: p.chain, private: false },
      );
      add(
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
    const client = clients[0];
    const broker = brokers[0];
    if (client && broker) {
      const p = pem(client);
      const at = (f: string) => posix.join(ctx.outDir, f);
      const bootstrap = bootstrapOf(broker, ctx.deployment);
      usage.push(
        `kcat as ${client.alias}:`,
        `  kcat -b ${bootstrap} -X security.protocol=ssl -X ssl.ca.location=${at(p.ca)} -X ssl.certificate.location=${at(p.chain)} -X ssl.key.location=${at(p.key)} -L`,
        `kafkajs as ${client.alias}:`,
        `  ssl: { ca: [fs.readFileSync('${at(p.ca)}', 'utf8')], cert: fs.readFileSync('${at(p.chain)}', 'utf8'), key: fs.readFileSync('${at(p.key)}', 'utf8') }`,
      );
    }
  }

  if (want.has('client-properties')) {
    for (const who of clients) {
      const f = layout.files(who);
      const path = emitFiles.clientProperties(who, f.dir, clients.length === 1);
      writeProperties(
        who,
        `${who.id}.properties`,
        path,
        `settings for Java clients as ${who.alias}`,
        clientProperties(who, layout, seen, password(who), placeholders, brokers, ctx.deployment),
      );
    }
  }

  if (want.has('server-properties')) {
    const superUsers = superUsersLine(cluster);
    for (const who of brokers) {
      const f = layout.files(who);
      const path = emitFiles.serverProperties(who, f.dir);
      writeProperties(
        who,
        `${who.id}.server-properties`,
        path,
        `${who.alias}'s SSL settings for server.properties`,
        serverProperties(who, layout, seen, password(who), placeholders, ctx.deployment, superUsers),
      );
    }
  }

  if (want.has('compose')) {
    const services = brokers.map((who) => composeService(who, layout, creds(who), ctx.deployment, cluster));
    write('compose', COMPOSE_FILE, "each broker's environment block for the cp-kafka image", composeFile(services));
  }

  if (want.has('kubernetes')) {
    for (const who of cluster.identities) {
      const f = layout.files(who);
      const { stores, tls } = emitFiles.kubernetes(who);
      const base = { namespace: ctx.deployment.namespace };
      add(
        {
          id: `${who.id}.k8s-stores`,
          title: `Write ${stores}: Secret ${who.alias}-stores with the keystore, truststore and their passwords (0600)`,
          action: {
            kind: 'secret-manifest',
            path: stores,
            name: `${who.alias}-stores`,
            type: 'Opaque',
            ...base,
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
      add(
        {
          id: `${who.id}.k8s-tls`,
          title: `Write ${tls}: Secret ${who.alias}-tls with tls.crt (chain), tls.key (PKCS#8) and ca.crt (0600)`,
          action: {
            kind: 'secret-manifest',
            path: tls,
            name: `${who.alias}-tls`,
            type: 'kubernetes.io/tls',
            ...base,
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
  }

  if (want.has('principals')) write('principals', PRINCIPALS_FILE, '', principalsText(cluster));
  return { steps, outputs, usage };
}

function hostOf(who: Identity, l: Listener): string {
  // Validated when the deployment is read: every listener's host index is within every broker's SANs.
  const san = who.sans[Math.min(l.host, who.sans.length - 1)]!;
  return san.kind === 'IP' && san.value.includes(':') ? `[${san.value}]` : san.value;
}

function bootstrapOf(broker: Identity, d: Deployment): string {
  // Clients use an SSL listener, preferably not the brokers' own (the write-up's external one).
  const ssl = d.listeners.filter((x) => x.protocol === 'SSL');
  const l = ssl.find((x) => x.name !== d.interBrokerListener) ?? ssl[0] ?? d.listeners[0]!;
  return `${hostOf(broker, l)}:${l.port}`;
}

function listenerLines(who: Identity, d: Deployment): Record<string, string> {
  return {
    listeners: d.listeners.map((l) => `${l.name}://0.0.0.0:${l.port}`).join(','),
    'advertised.listeners': d.listeners.map((l) => `${l.name}://${hostOf(who, l)}:${l.port}`).join(','),
    'listener.security.protocol.map': d.listeners.map((l) => `${l.name}:${l.protocol}`).join(','),
    'inter.broker.listener.name': d.interBrokerListener,
  };
}

function superUsersLine(cluster: Cluster): string {
  return cluster.identities
    .filter((i) => i.role === 'broker')
    .map((b) => `User:${principalOf(b.subject)}`)
    .join(';');
}

type Seen = (who: Identity, file: string) => string;

function storeLines(
  who: Identity,
  layout: LayoutView,
  seen: Seen,
  refs: PasswordRefs,
  comment: string | undefined,
): string[] {
  const f = layout.files(who);
  return [
    ...(layout.storeType ? [`ssl.keystore.type=${layout.storeType}`] : []),
    `ssl.keystore.location=${seen(who, f.keystore)}`,
    `ssl.keystore.password=${refs.keystore}`,
    `ssl.key.password=${refs.key}`,
    ...(layout.storeType ? [`ssl.truststore.type=${layout.storeType}`] : []),
    `ssl.truststore.location=${seen(who, f.truststore)}`,
    `ssl.truststore.password=${refs.truststore}`,
    ...(comment ? [comment] : []),
  ];
}

function providerLines(refs: PasswordRefs | undefined): string[] {
  return refs === undefined ? [] : ['config.providers=file', `config.providers.file.class=${FILE_PROVIDER}`];
}

/** The passwords' lines: ${file:} references, else placeholders (replaced by the runner when literal). */
function passwordLines(
  who: Identity,
  layout: LayoutView,
  seen: Seen,
  refs: PasswordRefs | undefined,
  placeholders: PasswordRefs,
  d: Deployment,
): string[] {
  const comment =
    refs === undefined && d.passwords === 'placeholder'
      ? `# Replace ${[...new Set(Object.values(placeholders))].join(' and ')} with the password(s).`
      : undefined;
  return storeLines(who, layout, seen, refs ?? placeholders, comment);
}

function serverProperties(
  who: Identity,
  layout: LayoutView,
  seen: Seen,
  password: PasswordRefs | undefined,
  placeholders: PasswordRefs,
  d: Deployment,
  superUsers: string,
): string {
  const listeners = listenerLines(who, d);
  const sasl = d.listeners.filter((l) => l.protocol === 'SASL_SSL');
  return [
    `# SSL settings for broker ${who.alias} (User:${principalOf(who.subject)}), written by kafka-mtls.`,
    "# Merge into the broker's server.properties; with KRaft, add the controller listener to",
    '# listeners and listener.security.protocol.map as your controllers need.',
    ...Object.entries(listeners).map(([k, v]) => `${k}=${v}`),
    ...passwordLines(who, layout, seen, password, placeholders, d),
    '# Every client of an SSL listener must present a certificate this truststore trusts.',
    'ssl.client.auth=required',
    ...sasl.flatMap((l) => [
      `# ${l.name} authenticates clients with SASL: configure sasl.enabled.mechanisms and its JAAS settings.`,
      `listener.name.${l.name.toLowerCase()}.ssl.client.auth=none`,
    ]),
    '# Hostname verification stays on (the default since Kafka 2.0).',
    'ssl.endpoint.identification.algorithm=https',
    `super.users=${superUsers}`,
    ...providerLines(password),
    '',
  ].join('\n');
}

function clientProperties(
  who: Identity,
  layout: LayoutView,
  seen: Seen,
  password: PasswordRefs | undefined,
  placeholders: PasswordRefs,
  brokers: readonly Identity[],
  d: Deployment,
): string {
  const bootstrap = brokers.map((b) => bootstrapOf(b, d)).join(',');
  return [
    `# Kafka client settings for ${who.alias} (User:${principalOf(who.subject)}), written by kafka-mtls.`,
    `# bootstrap.servers: the brokers' SSL listener for clients; check it, or set your own.`,
    `#bootstrap.servers=${bootstrap}`,
    'security.protocol=SSL',
    ...passwordLines(who, layout, seen, password, placeholders, d),
    "# Hostname verification stays on (the default): connect by the names in the brokers' SANs.",
    'ssl.endpoint.identification.algorithm=https',
    ...providerLines(password),
    '',
  ].join('\n');
}

interface ComposeService {
  readonly name: string;
  readonly environment: ReadonlyArray<readonly [string, string]>;
  readonly volumes: readonly string[];
}

/** The cp-kafka image's environment, as the write-up sets it: store file names and credentials files under /etc/kafka/secrets. */
function composeService(
  who: Identity,
  layout: LayoutView,
  c: CredsFiles,
  d: Deployment,
  cluster: Cluster,
): ComposeService {
  const f = layout.files(who);
  const rel = (file: string) => posix.relative(f.dir, file);
  const listeners = listenerLines(who, d);
  const env: Array<[string, string]> = [
    ['KAFKA_LISTENERS', listeners.listeners!],
    ['KAFKA_ADVERTISED_LISTENERS', listeners['advertised.listeners']!],
    ['KAFKA_LISTENER_SECURITY_PROTOCOL_MAP', listeners['listener.security.protocol.map']!],
    ['KAFKA_INTER_BROKER_LISTENER_NAME', d.interBrokerListener],
    ['KAFKA_SSL_KEYSTORE_FILENAME', rel(f.keystore)],
    ['KAFKA_SSL_KEYSTORE_CREDENTIALS', rel(c.keystore)],
    ['KAFKA_SSL_KEY_CREDENTIALS', rel(c.key)],
    ['KAFKA_SSL_TRUSTSTORE_FILENAME', rel(f.truststore)],
    ['KAFKA_SSL_TRUSTSTORE_CREDENTIALS', rel(c.truststore)],
    ['KAFKA_SSL_CLIENT_AUTH', 'required'],
    ...(layout.storeType
      ? ([
          ['KAFKA_SSL_KEYSTORE_TYPE', layout.storeType],
          ['KAFKA_SSL_TRUSTSTORE_TYPE', layout.storeType],
        ] as Array<[string, string]>)
      : []),
    ['KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM', 'https'],
    ['KAFKA_SUPER_USERS', superUsersLine(cluster)],
  ];
  // A directory of its own (confluent) holds only this broker's files; the drop-in's flat directory holds
  // every key, ca.key included, so there the broker gets just its stores and credentials files, read-only.
  const volumes = f.dir
    ? [`./${f.dir}:/etc/kafka/secrets`]
    : [f.keystore, f.truststore, c.keystore, c.key, c.truststore].map(
        (file) => `./${file}:/etc/kafka/secrets/${rel(file)}:ro`,
      );
  return { name: who.alias, environment: env, volumes };
}

function composeFile(services: readonly ComposeService[]): string {
  // Values are JSON strings: valid YAML scalars whatever they hold.
  return [
    "# Each broker's TLS settings for the cp-kafka image, written by kafka-mtls.",
    '# Merge with your compose file (service names must match):',
    `#   docker compose -f docker-compose.yml -f ${COMPOSE_FILE} up -d`,
    'services:',
    ...services.flatMap((s) => [
      `  ${s.name}:`,
      '    environment:',
      ...s.environment.map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`),
      '    volumes:',
      ...s.volumes.map((v) => `      - ${JSON.stringify(v)}`),
    ]),
    '',
  ].join('\n');
}

/** principals.txt: each identity's principal, as Kafka derives it, and the brokers' super.users line. */
function principalsText(cluster: Cluster): string {
  const width = Math.max(...cluster.identities.map((i) => i.alias.length));
  return [
    '# The principal Kafka derives from each certificate: its subject in RFC 2253 form',
    '# (ssl.principal.mapping.rules=DEFAULT). ACLs and super.users name these.',
    ...cluster.identities.map((i) => `${i.alias.padEnd(width)}  User:${principalOf(i.subject)}`),
    '',
    "# For the brokers' server.properties:",
    `super.users=${superUsersLine(cluster)}`,
    '',
  ].join('\n');
}
