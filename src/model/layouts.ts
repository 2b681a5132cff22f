import { posix } from 'node:path';
import type { Cluster, Identity } from './cluster.js';

/**
 * Each layout's file names, and those of the outputs any layout can add (--emit): pure names, relative to the
 * output directory. The plans make these files; state, verify, apply and rotate-ca find them by the same names.
 */

/** dropin: the files of mtls-kafka.sh; confluent: the write-up's PKCS12 flow, a <name>-creds directory each. */
export type Layout = 'dropin' | 'confluent';
export const LAYOUTS: readonly Layout[] = ['dropin', 'confluent'];

/** The outputs any layout can add (--emit): settings and formats for each consumer of the certificates. */
export type Emit =
  'pem' | 'principals' | 'client-properties' | 'server-properties' | 'compose' | 'kubernetes' | 'kubernetes-per-broker';
export const EMITS: readonly Emit[] = [
  'pem',
  'principals',
  'client-properties',
  'server-properties',
  'compose',
  'kubernetes',
  'kubernetes-per-broker',
];

/** The cp-kafka image's credentials files: each holds one password, as KAFKA_SSL_*_CREDENTIALS name them. */
export interface CredsFiles {
  readonly keystore: string;
  readonly key: string;
  readonly truststore: string;
}

/** An identity's cp-kafka credentials files, in its directory ('' for the output directory itself). */
export function credsFiles(who: Identity, dir = ''): CredsFiles {
  const at = (f: string) => posix.join(dir, f);
  return {
    keystore: at(`${who.alias}_keystore_creds`),
    key: at(`${who.alias}_sslkey_creds`),
    truststore: at(`${who.alias}_truststore_creds`),
  };
}

/** The file names mtls-kafka.sh uses, so that nothing downstream changes: one flat directory. */
export const dropInFiles = {
  caConfig: 'openssl.cnf',
  caKey: 'ca.key',
  caCert: 'ca.crt',
  serverTruststore: 'kafka.server.truststore.jks',
  clientTruststore: 'kafka.client.truststore.jks',
  keystore: (who: Identity) => `${who.alias}.keystore.jks`,
  /** Brokers trust with the server truststore, clients with the client one (the same entry: the CA). */
  truststore: (who: Identity) => (who.role === 'broker' ? dropInFiles.serverTruststore : dropInFiles.clientTruststore),
  csr: (who: Identity) => `ca-request-${who.alias}`,
  signed: (who: Identity) => `ca-signed-${who.alias}`,
  // The script's names: ext<i>.cnf per broker, extclient.cnf for its one client; further clients get ext<alias>.cnf.
  ext: (who: Identity) =>
    who.role === 'broker'
      ? `ext${who.id.slice('broker-'.length)}.cnf`
      : who.id === 'client'
        ? 'extclient.cnf'
        : `ext${who.alias}.cnf`,
  creds: (who: Identity) => credsFiles(who),
};

/** The write-up's Confluent names: one directory per broker or client, as it uses them (~/tls/kafka-1-creds/). */
export const confluentFiles = {
  caConfig: 'ca.cnf',
  caKey: 'ca.key',
  caCert: 'ca.crt',
  /** The write-up's `cat ca.crt ca.key > ca.pem`: it holds the CA key, so it is 0600. */
  caPem: 'ca.pem',
  dir: (who: Identity) => `${who.alias}-creds`,
};

export interface ConfluentIdentityFiles {
  readonly dir: string;
  readonly config: string;
  readonly key: string;
  readonly csr: string;
  readonly cert: string;
  readonly p12: string;
  readonly keystore: string;
  readonly truststore: string;
  readonly creds: CredsFiles;
}

export function confluentIdentityFiles(who: Identity): ConfluentIdentityFiles {
  const dir = confluentFiles.dir(who);
  const at = (f: string) => posix.join(dir, f);
  return {
    dir,
    config: at(`${who.alias}.cnf`),
    key: at(`${who.alias}.key`),
    csr: at(`${who.alias}.csr`),
    cert: at(`${who.alias}.crt`),
    p12: at(`${who.alias}.p12`),
    keystore: at(`kafka.${who.alias}.keystore.pkcs12`),
    truststore: at(`kafka.${who.alias}.truststore.pkcs12`),
    creds: credsFiles(who, dir),
  };
}

/** The credentials file ${file:...} references read (Kafka's FileConfigProvider), one per directory. */
export const CREDENTIALS_FILE = 'kafka-mtls-credentials.properties';
export const COMPOSE_FILE = 'docker-compose.mtls.yml';
export const PRINCIPALS_FILE = 'principals.txt';

/** The names of what --emit writes for an identity whose files are in dir ('' for the output directory itself). */
export const emitFiles = {
  /** --emit pem's CA certificate alone, which clients trust: one per directory. */
  caPem: (dir: string) => posix.join(dir, 'ca.pem'),
  /** --emit pem: the CA alone, the certificate then its chain, the key. */
  pem: (who: Identity, dir: string) => ({
    ca: emitFiles.caPem(dir),
    chain: posix.join(dir, `${who.alias}.chain.pem`),
    key: posix.join(dir, `${who.alias}.key.pem`),
  }),
  /** In the flat directory, one credentials file per identity when each keystore has its own password. */
  credentials: (who: Identity, dir: string, generated: boolean) =>
    dir === '' && generated ? `${who.alias}.credentials.properties` : posix.join(dir, CREDENTIALS_FILE),
  serverProperties: (who: Identity, dir: string) =>
    dir ? posix.join(dir, 'server.properties') : `${who.alias}.server.properties`,
  /** In the flat directory, a lone client's file is client.properties; with several, each is named by its alias. */
  clientProperties: (who: Identity, dir: string, loneClient: boolean) =>
    dir ? posix.join(dir, 'client.properties') : loneClient ? 'client.properties' : `${who.alias}.client.properties`,
  /** A Secret of the identity's stores and passwords (--emit kubernetes's for a client), and one of its PEM files. */
  kubernetes: (who: Identity) => ({
    stores: `kubernetes/${who.alias}-stores.yaml`,
    tls: `kubernetes/${who.alias}-tls.yaml`,
  }),
  /** --emit kubernetes: the brokers' one Secret, and the StatefulSet that mounts it, named after the StatefulSet. */
  kubernetesBrokers: (statefulSet: string) => ({
    secret: `kubernetes/${statefulSet}-brokers.yaml`,
    statefulSet: `kubernetes/${statefulSet}-statefulset.yaml`,
  }),
};

/** Where each layout keeps the files a later run reads back: the CA, each identity's certificate and files. */
export interface LayoutFiles {
  readonly caCert: string;
  readonly caKey: string;
  cert(who: Identity): string;
  keystore(who: Identity): string;
  /** Every file and directory an identity owns, for --prune. */
  owned(who: Identity): string[];
  /** The cp-kafka credentials files that hold an identity's passwords (with --generate-passwords, always written). */
  creds(who: Identity): CredsFiles;
}

export function layoutFiles(layout: Layout): LayoutFiles {
  if (layout === 'confluent') {
    const k8s = emitFiles.kubernetes;
    return {
      caCert: confluentFiles.caCert,
      caKey: confluentFiles.caKey,
      cert: (who) => confluentIdentityFiles(who).cert,
      keystore: (who) => confluentIdentityFiles(who).keystore,
      owned: (who) => [confluentFiles.dir(who), k8s(who).stores, k8s(who).tls],
      creds: (who) => confluentIdentityFiles(who).creds,
    };
  }
  const f = dropInFiles;
  return {
    caCert: f.caCert,
    caKey: f.caKey,
    cert: (who) => f.signed(who),
    keystore: (who) => f.keystore(who),
    owned: (who) => {
      const pem = emitFiles.pem(who, '');
      const creds = f.creds(who);
      const k8s = emitFiles.kubernetes(who);
      return [
        f.keystore(who),
        f.csr(who),
        f.ext(who),
        f.signed(who),
        pem.chain,
        pem.key,
        emitFiles.serverProperties(who, ''),
        emitFiles.clientProperties(who, '', false),
        creds.keystore,
        creds.key,
        creds.truststore,
        k8s.stores,
        k8s.tls,
        emitFiles.credentials(who, '', true),
      ];
    },
    creds: (who) => f.creds(who),
  };
}

/** Every truststore the layout holds, and the PEM CA files (--emit pem) that clients trust, of those present. */
export function trustFiles(
  layout: Layout,
  cluster: Pick<Cluster, 'identities'>,
  present: ReadonlySet<string>,
): { truststores: string[]; pems: string[] } {
  if (layout === 'confluent') {
    return {
      truststores: cluster.identities.map((who) => confluentIdentityFiles(who).truststore),
      pems: cluster.identities.map((who) => emitFiles.caPem(confluentFiles.dir(who))).filter((f) => present.has(f)),
    };
  }
  return {
    truststores: [dropInFiles.serverTruststore, dropInFiles.clientTruststore],
    pems: [emitFiles.caPem('')].filter((f) => present.has(f)),
  };
}

/**
 * The stores a broker's SSL listeners read, and the directory they are in ('' for the output directory itself): what
 * a reload points listener.name.<l>.ssl.keystore.location and ssl.truststore.location at.
 */
export function brokerStores(
  layout: Layout,
  who: Identity,
): { readonly dir: string; readonly keystore: string; readonly truststore: string } {
  if (layout === 'confluent') {
    const f = confluentIdentityFiles(who);
    return { dir: f.dir, keystore: f.keystore, truststore: f.truststore };
  }
  return { dir: '', keystore: dropInFiles.keystore(who), truststore: dropInFiles.serverTruststore };
}
