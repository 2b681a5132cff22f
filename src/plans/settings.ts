import { posix } from 'node:path';
import { principalOf, type Cluster, type Identity } from '../model/cluster.js';
import type { Deployment, Listener } from '../model/deployment.js';
import { Document } from 'yaml';
import type { CredsFiles } from '../model/layouts.js';
import { KAFKA_IMAGE_USER, KAFKA_SECRETS_DIR } from '../model/kubernetes.js';

/**
 * The text of the settings files --emit writes: server.properties and client.properties lines, the cp-kafka compose
 * block, principals.txt. Pure functions of the cluster, the deployment and where the layout keeps its files.
 */

/** What a properties file gives for each password: a ${file:} reference, or a placeholder. */
export interface PasswordRefs {
  readonly keystore: string;
  readonly key: string;
  readonly truststore: string;
}
const FILE_PROVIDER = 'org.apache.kafka.common.config.provider.FileConfigProvider';

/** Where the settings find an identity's stores (a layout's view, as plans/emits.ts gives it). */
export interface StoresView {
  /** The stores' type as Kafka's ssl.*.type names it; undefined when left to the JVM's default. */
  readonly storeType: 'PKCS12' | 'JKS' | undefined;
  files(who: Identity): { readonly dir: string; readonly keystore: string; readonly truststore: string };
}

export function hostOf(who: Identity, l: Listener): string {
  // Validated when the deployment is read: every listener's host index is within every broker's SANs.
  const san = who.sans[Math.min(l.host, who.sans.length - 1)]!;
  return san.kind === 'IP' && san.value.includes(':') ? `[${san.value}]` : san.value;
}

export function bootstrapOf(broker: Identity, d: Deployment): string {
  // Clients use an SSL listener, preferably not the brokers' own (the write-up's external one).
  const ssl = d.listeners.filter((x) => x.protocol === 'SSL');
  const l = ssl.find((x) => x.name !== d.interBrokerListener) ?? ssl[0] ?? d.listeners[0]!;
  return `${hostOf(broker, l)}:${l.port}`;
}

export function listenerLines(who: Identity, d: Deployment): Record<string, string> {
  return {
    listeners: d.listeners.map((l) => `${l.name}://0.0.0.0:${l.port}`).join(','),
    'advertised.listeners': d.listeners.map((l) => `${l.name}://${hostOf(who, l)}:${l.port}`).join(','),
    'listener.security.protocol.map': d.listeners.map((l) => `${l.name}:${l.protocol}`).join(','),
    'inter.broker.listener.name': d.interBrokerListener,
  };
}

export function superUsersLine(cluster: Cluster): string {
  return cluster.identities
    .filter((i) => i.role === 'broker')
    .map((b) => `User:${principalOf(b.subject)}`)
    .join(';');
}

/** Where a process reading the identity's settings finds one of its files. */
export type Seen = (who: Identity, file: string) => string;

function storeLines(
  who: Identity,
  layout: StoresView,
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
  layout: StoresView,
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

export function serverProperties(
  who: Identity,
  layout: StoresView,
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

export function clientProperties(
  who: Identity,
  layout: StoresView,
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

/** The cp-kafka image's TLS files, by their names under /etc/kafka/secrets (its KAFKA_SSL_*_FILENAME, _CREDENTIALS). */
export interface CpKafkaFiles {
  readonly keystore: string;
  readonly keystoreCreds: string;
  readonly keyCreds: string;
  readonly truststore: string;
  readonly truststoreCreds: string;
}

/**
 * The environment cp-kafka (and apache/kafka, whose `configure` reads the same variables) turns into a broker's
 * listener and SSL settings; the passwords are read from the credentials files, never given here.
 */
export function cpKafkaEnv(
  listeners: Record<string, string | undefined>,
  files: CpKafkaFiles,
  storeType: StoresView['storeType'],
  superUsers: string,
): Array<[string, string]> {
  const advertised = listeners['advertised.listeners'];
  return [
    ['KAFKA_LISTENERS', listeners.listeners!],
    ...(advertised !== undefined ? [['KAFKA_ADVERTISED_LISTENERS', advertised] as [string, string]] : []),
    ['KAFKA_LISTENER_SECURITY_PROTOCOL_MAP', listeners['listener.security.protocol.map']!],
    ['KAFKA_INTER_BROKER_LISTENER_NAME', listeners['inter.broker.listener.name']!],
    ['KAFKA_SSL_KEYSTORE_FILENAME', files.keystore],
    ['KAFKA_SSL_KEYSTORE_CREDENTIALS', files.keystoreCreds],
    ['KAFKA_SSL_KEY_CREDENTIALS', files.keyCreds],
    ['KAFKA_SSL_TRUSTSTORE_FILENAME', files.truststore],
    ['KAFKA_SSL_TRUSTSTORE_CREDENTIALS', files.truststoreCreds],
    ['KAFKA_SSL_CLIENT_AUTH', 'required'],
    ...(storeType
      ? ([
          ['KAFKA_SSL_KEYSTORE_TYPE', storeType],
          ['KAFKA_SSL_TRUSTSTORE_TYPE', storeType],
        ] as Array<[string, string]>)
      : []),
    ['KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM', 'https'],
    ['KAFKA_SUPER_USERS', superUsers],
  ];
}

/** A bind mount in compose's long syntax: a host path with ':' in it cannot break it, as the short one's would. */
export interface ComposeVolume {
  readonly type: 'bind';
  readonly source: string;
  readonly target: string;
  readonly read_only: true;
}

export interface ComposeService {
  readonly name: string;
  readonly environment: ReadonlyArray<readonly [string, string]>;
  readonly volumes: readonly ComposeVolume[];
}

/**
 * The cp-kafka image's environment, as the write-up sets it: stores and credentials files under
 * /etc/kafka/secrets. `source` gives the host path compose mounts a file of the output directory from.
 */
export function composeService(
  who: Identity,
  layout: StoresView,
  c: CredsFiles,
  d: Deployment,
  cluster: Cluster,
  source: (file: string) => string,
): ComposeService {
  const f = layout.files(who);
  const rel = (file: string) => posix.relative(f.dir, file);
  const files = {
    keystore: rel(f.keystore),
    keystoreCreds: rel(c.keystore),
    keyCreds: rel(c.key),
    truststore: rel(f.truststore),
    truststoreCreds: rel(c.truststore),
  };
  const env = cpKafkaEnv(listenerLines(who, d), files, layout.storeType, superUsersLine(cluster));
  // A directory of its own (confluent) holds only this broker's files; the drop-in's flat directory holds
  // every key, ca.key included, so there the broker gets just its stores and credentials files.
  const mount = (from: string, to: string): ComposeVolume => ({
    type: 'bind',
    source: source(from),
    target: to,
    read_only: true,
  });
  const volumes = f.dir
    ? [mount(f.dir, KAFKA_SECRETS_DIR)]
    : [f.keystore, f.truststore, c.keystore, c.key, c.truststore].map((file) =>
        mount(file, posix.join(KAFKA_SECRETS_DIR, rel(file))),
      );
  return { name: who.alias, environment: env, volumes };
}

/** Compose interpolates ${VAR} and $VAR in every value: $$ is a literal $. */
const composeLiteral = (v: string) => v.replace(/\$/g, () => '$$');

/**
 * Why the broker may not read what is mounted, and the two ways to let it: cp-kafka runs as appuser (uid 1000),
 * and kafka-mtls never opens up keys and stores (0600, their directories 0700) to make that work.
 */
export const COMPOSE_READ_ACCESS = [
  `cp-kafka runs as appuser (uid ${KAFKA_IMAGE_USER.uid}). The files mounted here are private to the user that`,
  'ran kafka-mtls (0600, their directories 0700): unless that user is uid 1000, the broker cannot read them.',
  'Either run each service as their owner (cp-kafka keeps its own directories group 0 and group-writable):',
  '  user: "<uid>:0"        # <uid>: stat -c %u <a mounted file>',
  'or, as root, give them to appuser: chown -R 1000 <each mounted path>',
];

/** `where`: how the block names host paths, for its comment (absolute, or relative to a directory). */
export function composeFile(services: readonly ComposeService[], file: string, where: string): string {
  const doc = new Document({
    services: Object.fromEntries(
      services.map((s) => [
        s.name,
        {
          environment: Object.fromEntries(s.environment.map(([k, v]) => [k, composeLiteral(v)])),
          volumes: s.volumes.map((v) => ({ ...v, source: composeLiteral(v.source) })),
        },
      ]),
    ),
  });
  doc.commentBefore = [
    " Each broker's TLS settings for the cp-kafka image, written by kafka-mtls.",
    ' Merge with your compose file (service names must match):',
    `   docker compose -f docker-compose.yml -f ${file} up -d`,
    ` ${where}`,
    '',
    ...COMPOSE_READ_ACCESS.map((l) => ` ${l}`),
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}

/** principals.txt: each identity's principal, as Kafka derives it, and the brokers' super.users line. */
export function principalsText(cluster: Cluster): string {
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
