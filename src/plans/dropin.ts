import { randomBytes } from 'node:crypto';
import { principalOf, type Cluster, type Identity } from '../cluster.js';
import type { OutputFile, Plan, Step } from '../runner/step.js';
import type { ExpectedStore } from '../stores.js';
import { checkStore, importKeyEntry, importTrustedCert } from '../steps/keytool.js';
import { checkCa, checkPkcs12Store, createCa, createLeafRequest, exportPkcs12, signLeaf, verifyLeaf } from '../steps/openssl.js';
import { loadTemplate, renderTemplate } from '../templates.js';

/** The environment variable that carries the store password to openssl and keytool. */
export const STORE_PASSWORD_ENV = 'KAFKA_MTLS_STORE_PASSWORD';

/** Holds unencrypted leaf keys and intermediate bundles; removed before the output is swapped in. */
const SCRATCH = '.build';

/** The file names mtls-kafka.sh uses, so that nothing downstream changes. */
export const dropInFiles = {
  caConfig: 'openssl.cnf',
  caKey: 'ca.key',
  caCert: 'ca.crt',
  serverTruststore: 'kafka.server.truststore.jks',
  clientTruststore: 'kafka.client.truststore.jks',
  keystore: (who: Identity) => `${who.alias}.keystore.jks`,
  csr: (who: Identity) => `ca-request-${who.alias}`,
  signed: (who: Identity) => `ca-signed-${who.alias}`,
  ext: (who: Identity) => (who.role === 'broker' ? `ext${who.id.slice('broker-'.length)}.cnf` : 'extclient.cnf'),
};

/** Trusted-entry aliases the script's keytool commands give (keytool stores aliases in lower case). */
export const KEYSTORE_CA_ALIAS = 'ca.crt';
export const TRUSTSTORE_CA_ALIAS = 'caroot';

/** A random positive serial of 127 bits (RFC 5280 allows up to 20 octets; CAs should use at least 64 random bits). */
export function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40; // positive, and never a leading zero octet
  return b.toString('hex');
}

/** Extra outputs (`--emit`): PEM files for non-Java clients and KIP-651 brokers, and the principals. */
export type Emit = 'pem' | 'principals' | 'client-properties';
export const EMITS: readonly Emit[] = ['pem', 'principals', 'client-properties'];

export interface DropInOptions {
  readonly serial?: () => string;
  readonly emit?: readonly Emit[];
  /** Where the output will live once swapped in: client.properties names its stores by absolute path. */
  readonly outDir?: string;
}

/** The credentials file client.properties reads its passwords from (Kafka's FileConfigProvider). */
export const CREDENTIALS_FILE = 'kafka-mtls-credentials.properties';

export function buildDropInPlan(cluster: Cluster, opts: DropInOptions = {}): Plan {
  const serial = opts.serial ?? randomSerialHex;
  const f = dropInFiles;
  const pw = STORE_PASSWORD_ENV;
  const type = cluster.storeType;
  const ca = cluster.ca;
  const trustBase = `${SCRATCH}/trust-base.store`;
  const scratch = (who: Identity, ext: string) => `${SCRATCH}/${who.alias}.${ext}`;

  const write = (id: string, path: string, content: string): Step => ({
    id,
    title: `Write ${path}`,
    action: { kind: 'write', path, content },
    reads: [],
    writes: [path],
  });

  const steps: Step[] = [
    write(
      'ca.config',
      f.caConfig,
      renderTemplate(loadTemplate('ca.cnf'), {
        ca_bits: String(ca.keyBits),
        country: ca.subject.country,
        state: ca.subject.state,
        locality: ca.subject.locality,
        org: ca.subject.org,
        org_unit: ca.subject.orgUnit,
        cn: ca.subject.cn,
        email: ca.subject.email,
      }),
    ),
    createCa({ config: f.caConfig, key: f.caKey, cert: f.caCert, bits: ca.keyBits, days: ca.validityDays }),
  ];

  for (const who of cluster.identities) {
    steps.push(
      write(
        `${who.id}.config`,
        scratch(who, 'req.cnf'),
        renderTemplate(loadTemplate('leaf-req.cnf'), {
          country: who.subject.country,
          state: who.subject.state,
          locality: who.subject.locality,
          org: who.subject.org,
          org_unit: who.subject.orgUnit,
          cn: who.subject.cn,
        }),
      ),
      write(`${who.id}.ext`, f.ext(who), renderTemplate(loadTemplate('ext.cnf'), { alt_names: { lines: altNameLines(who) } })),
    );
  }
  for (const who of cluster.identities) {
    steps.push(
      createLeafRequest({ id: who.id, alias: who.alias, config: scratch(who, 'req.cnf'), key: scratch(who, 'key'), csr: f.csr(who), bits: who.keyBits }),
    );
  }

  steps.push(
    checkCa(f.caCert),
    importTrustedCert({
      id: 'stores.trust-base',
      title: `Make the base of every keystore: the CA as trusted entry ${KEYSTORE_CA_ALIAS}`,
      store: trustBase,
      alias: KEYSTORE_CA_ALIAS,
      cert: f.caCert,
      storeType: type,
      passwordEnv: pw,
    }),
    importTrustedCert({
      id: 'truststore.create',
      title: `Make ${f.serverTruststore} with the CA as ${TRUSTSTORE_CA_ALIAS}`,
      store: f.serverTruststore,
      // The script passes CARoot; keytool lower-cases aliases in both JKS and PKCS12.
      alias: 'CARoot',
      cert: f.caCert,
      storeType: type,
      passwordEnv: pw,
    }),
  );

  for (const who of cluster.identities) {
    const keystore = f.keystore(who);
    steps.push(
      signLeaf({
        id: who.id, alias: who.alias, csr: f.csr(who), ext: f.ext(who), caCert: f.caCert, caKey: f.caKey,
        out: f.signed(who), days: who.validityDays, serialHex: serial(),
      }),
      verifyLeaf({ id: who.id, alias: who.alias, caCert: f.caCert, cert: f.signed(who), purpose: who.role === 'broker' ? 'sslserver' : 'sslclient' }),
      exportPkcs12({ id: who.id, alias: who.alias, cert: f.signed(who), key: scratch(who, 'key'), caCert: f.caCert, out: scratch(who, 'p12'), passwordEnv: pw }),
      {
        id: `${who.id}.keystore`,
        title: `Start ${keystore} from the base holding the CA`,
        action: { kind: 'copy', from: trustBase, to: keystore },
        reads: [trustBase],
        writes: [keystore],
      },
      importKeyEntry({ id: who.id, alias: who.alias, source: scratch(who, 'p12'), store: keystore, storeType: type, passwordEnv: pw }),
      storeCheck(`${who.id}.check`, keystore, type, [
        { alias: who.alias, entryType: 'PrivateKeyEntry', chainLength: 2 },
        { alias: KEYSTORE_CA_ALIAS, entryType: 'trustedCertEntry' },
      ]),
    );
  }

  steps.push(
    storeCheck('truststore.check', f.serverTruststore, type, [{ alias: TRUSTSTORE_CA_ALIAS, entryType: 'trustedCertEntry' }]),
    {
      // The two truststores hold the same single entry: a copy saves a JVM start.
      id: 'truststore.client',
      title: `Copy ${f.serverTruststore} to ${f.clientTruststore}`,
      action: { kind: 'copy', from: f.serverTruststore, to: f.clientTruststore },
      reads: [f.serverTruststore],
      writes: [f.clientTruststore],
    },
  );

  const emit = new Set(opts.emit ?? []);
  const extra: OutputFile[] = [];
  if (emit.has('pem')) {
    // Copied before the scratch directory (and its unencrypted keys) is removed at the end of the run.
    steps.push({ id: 'pem.ca', title: 'Write ca.pem: the CA certificate alone', action: { kind: 'copy', from: f.caCert, to: 'ca.pem' }, reads: [f.caCert], writes: ['ca.pem'] });
    extra.push({ path: 'ca.pem', private: false });
    for (const who of cluster.identities) {
      const chain = `${who.alias}.chain.pem`;
      const key = `${who.alias}.key.pem`;
      steps.push(
        { id: `${who.id}.pem-chain`, title: `Write ${chain}: the certificate, then the CA`, action: { kind: 'concat', from: [f.signed(who), f.caCert], to: chain }, reads: [f.signed(who), f.caCert], writes: [chain] },
        { id: `${who.id}.pem-key`, title: `Write ${key}: the private key, PKCS#8, unencrypted (0600)`, action: { kind: 'copy', from: scratch(who, 'key'), to: key }, reads: [scratch(who, 'key')], writes: [key] },
      );
      extra.push({ path: chain, private: false }, { path: key, private: true });
    }
  }
  if (emit.has('client-properties')) {
    const client = cluster.identities.find((i) => i.role === 'client')!;
    steps.push(
      {
        id: 'client.credentials',
        title: `Write ${CREDENTIALS_FILE}: the store password, for Kafka's FileConfigProvider (0600)`,
        action: { kind: 'write-secret', path: CREDENTIALS_FILE, key: 'store.password', secretEnv: STORE_PASSWORD_ENV },
        reads: [],
        writes: [CREDENTIALS_FILE],
      },
      {
        id: 'client.properties',
        title: 'Write client.properties for Java clients',
        action: { kind: 'write', path: 'client.properties', content: clientProperties(cluster, client, opts.outDir ?? '.') },
        reads: [],
        writes: ['client.properties'],
      },
    );
    extra.push({ path: CREDENTIALS_FILE, private: true }, { path: 'client.properties', private: false });
  }
  if (emit.has('principals')) {
    steps.push({
      id: 'principals',
      title: 'Write principals.txt',
      action: { kind: 'write', path: 'principals.txt', content: principalsText(cluster) },
      reads: [],
      writes: ['principals.txt'],
    });
    extra.push({ path: 'principals.txt', private: false });
  }

  const outputs: OutputFile[] = [
    { path: f.caConfig, private: false },
    { path: f.caKey, private: true },
    { path: f.caCert, private: false },
    ...cluster.identities.flatMap((who) => [
      { path: f.keystore(who), private: true },
      { path: f.csr(who), private: false },
      { path: f.ext(who), private: false },
      { path: f.signed(who), private: false },
    ]),
    { path: f.serverTruststore, private: true },
    { path: f.clientTruststore, private: true },
    ...extra,
  ];
  return { steps, outputs, scratch: [SCRATCH] };
}

/**
 * The last check of a store. A PKCS12 store is read by openssl, in
 * milliseconds; a JKS store (or one whose type is left to keytool) needs
 * `keytool -list`, another JVM start.
 */
function storeCheck(id: string, store: string, type: Cluster['storeType'], entries: ExpectedStore['entries']): Step {
  if (type === 'pkcs12') return checkPkcs12Store({ id, store, passwordEnv: STORE_PASSWORD_ENV, expect: { type: 'PKCS12', entries } });
  return checkStore({ id, store, storeType: type, passwordEnv: STORE_PASSWORD_ENV, expect: { type: type === 'jks' ? 'JKS' : undefined, entries } });
}

/** [alt_names] lines numbered per kind, as the script writes them: DNS.1, DNS.2, …, IP.1, … */
function altNameLines(who: Identity): Array<[string, string]> {
  const counts = { DNS: 0, IP: 0 };
  return who.sans.map((san) => [`${san.kind}.${++counts[san.kind]}`, san.value]);
}

/** principals.txt: each identity's principal, as Kafka derives it, and the brokers' super.users line. */
function principalsText(cluster: Cluster): string {
  const width = Math.max(...cluster.identities.map((i) => i.alias.length));
  const brokers = cluster.identities.filter((i) => i.role === 'broker');
  return [
    '# The principal Kafka derives from each certificate: its subject in RFC 2253 form',
    '# (ssl.principal.mapping.rules=DEFAULT). ACLs and super.users name these.',
    ...cluster.identities.map((i) => `${i.alias.padEnd(width)}  User:${principalOf(i.subject)}`),
    '',
    '# For the brokers\' server.properties:',
    `super.users=${brokers.map((b) => `User:${principalOf(b.subject)}`).join(';')}`,
    '',
  ].join('\n');
}

/**
 * client.properties for a Java client: SSL with the client keystore and
 * truststore, passwords as ${file:…} references resolved by Kafka's
 * FileConfigProvider, never literals.
 */
function clientProperties(cluster: Cluster, client: Identity, outDir: string): string {
  const path = (f: string) => `${outDir.replace(/\/+$/, '')}/${f}`;
  const password = `\${file:${path(CREDENTIALS_FILE)}:store.password}`;
  const type = cluster.storeType === 'auto' ? [] : [`ssl.keystore.type=${cluster.storeType.toUpperCase()}`, `ssl.truststore.type=${cluster.storeType.toUpperCase()}`];
  return [
    `# Kafka client settings for ${client.alias} (User:${principalOf(client.subject)}), written by kafka-mtls.`,
    '# Set bootstrap.servers; the passwords are read from the credentials file beside this one.',
    '#bootstrap.servers=',
    'security.protocol=SSL',
    `ssl.keystore.location=${path(dropInFiles.keystore(client))}`,
    `ssl.keystore.password=${password}`,
    `ssl.key.password=${password}`,
    `ssl.truststore.location=${path(dropInFiles.clientTruststore)}`,
    `ssl.truststore.password=${password}`,
    ...type,
    '# Hostname verification stays on (the default): connect by the names in the brokers\' SANs.',
    'ssl.endpoint.identification.algorithm=https',
    'config.providers=file',
    'config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider',
    '',
  ].join('\n');
}
