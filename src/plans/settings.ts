import { posix } from 'node:path';
import { principalOf, type Cluster, type Identity } from '../model/cluster.js';
import type { Deployment, Listener } from '../model/deployment.js';
import { COMPOSE_FILE, type CredsFiles } from '../model/layouts.js';

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

function hostOf(who: Identity, l: Listener): string {
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

function listenerLines(who: Identity, d: Deployment): Record<string, string> {
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

export interface ComposeService {
  readonly name: string;
  readonly environment: ReadonlyArray<readonly [string, string]>;
  readonly volumes: readonly string[];
}

/** The cp-kafka image's environment, as the write-up sets it: stores and credentials files under /etc/kafka/secrets. */
export function composeService(
  who: Identity,
  layout: StoresView,
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

export function composeFile(services: readonly ComposeService[]): string {
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
