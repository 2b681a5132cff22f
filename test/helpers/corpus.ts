import { existsSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, runCli, runScript, SCRIPT, SCRIPT_ABSENT } from './cli.js';
import {
  brokerCn,
  brokerHost,
  brokerSans,
  CA_SUBJ,
  caExt,
  CLIENT,
  leafExt,
  leafSubj,
  makeCa,
  makeCert,
  makeScriptCa,
  type Pem,
  pool,
  subjectKeyId,
  tool,
  writeKeystore,
  writeTruststore,
} from './corpus-pki.js';

/**
 * A corpus of certs directories, each one KIND of material Kafka's TLS accepts or refuses: good ones in every
 * layout, and doctored copies of a fresh generate, each wrong in one way. Every kind says which file is wrong
 * (the one a failing verify finding must name), the verify flags it needs, and where each party's stores and
 * passwords are, so the oracles (oracles.ts) can ask Java and OpenSSL about it.
 *
 * Generation is slow, so generate runs four times (the base, another CA with the same subject, the confluent
 * layout, JKS), the original script once, and every other kind is a copy of one of them doctored with openssl
 * and keytool.
 */

export const PASSWORD = 'Corpus-Pa55';
const OTHER_PASSWORD = 'Another-Pa55';

type Base = 'dropin' | 'other' | 'confluent' | 'jks' | 'script';

/** A password as the deployment gives it: the one everybody shares, or the content of a credentials file. */
export type PasswordRef = { readonly value: string } | { readonly file: string };

/** One TLS party's files, relative to the kind's directory, and the passwords Kafka would open them with. */
export interface Party {
  readonly name: string;
  readonly keystore: string;
  readonly truststore: string;
  readonly storePassword: PasswordRef;
  readonly keyPassword: PasswordRef;
  readonly trustPassword: PasswordRef;
}

export interface Topology {
  readonly client: Party;
  readonly brokers: Party[];
  /** The name a client (or another broker) connects to broker i by. */
  readonly hosts: string[];
}

interface Doctoring {
  readonly dir: string;
  /** A scratch directory of the kind's own, outside its certs directory. */
  readonly tmp: string;
  readonly bases: Record<Base, string>;
}

export interface KindSpec {
  readonly id: string;
  readonly sentence: string;
  readonly base: Base;
  /** The wrong file, relative to the kind's directory; none for good material. */
  readonly file?: string;
  /** Other names for the same mistake (the CA lives in ca.crt and in both truststores). */
  readonly alsoFiles?: string[];
  readonly flags?: string[];
  readonly hosts?: string[];
  /** The script's v1 CA: strict clients refuse it, but it must be a warning, never a failure. */
  readonly strictIsWarn?: boolean;
  /** Material made by hand without kafka-mtls: no state file describes it. */
  readonly handMade?: boolean;
  readonly doctor?: (d: Doctoring) => Promise<unknown>;
}

export interface Kind extends KindSpec {
  readonly dir: string;
  readonly topology: Topology;
}

const ks = (i: number) => `mtls-kafka-${i}.keystore.jks`;
const CLIENT_KS = `${CLIENT}.keystore.jks`;
const SERVER_TS = 'kafka.server.truststore.jks';
const CLIENT_TS = 'kafka.client.truststore.jks';
const CA_FILES = [SERVER_TS, CLIENT_TS, 'ca.crt'];
const PW = { value: PASSWORD };

function dropinTopology(hosts: string[]): Topology {
  const party = (name: string, keystore: string, truststore: string): Party => ({
    name,
    keystore,
    truststore,
    storePassword: PW,
    keyPassword: PW,
    trustPassword: PW,
  });
  return {
    client: party(CLIENT, CLIENT_KS, CLIENT_TS),
    brokers: hosts.map((_, i) => party(`mtls-kafka-${i}`, ks(i), SERVER_TS)),
    hosts,
  };
}

/** The confluent layout: each identity's stores and credentials files in <alias>-creds/, as cp-kafka reads them. */
function confluentTopology(hosts: string[]): Topology {
  const party = (name: string): Party => ({
    name,
    keystore: `${name}-creds/kafka.${name}.keystore.pkcs12`,
    truststore: `${name}-creds/kafka.${name}.truststore.pkcs12`,
    storePassword: { file: `${name}-creds/${name}_keystore_creds` },
    keyPassword: { file: `${name}-creds/${name}_sslkey_creds` },
    trustPassword: { file: `${name}-creds/${name}_truststore_creds` },
  });
  return { client: party(CLIENT), brokers: hosts.map((_, i) => party(`mtls-kafka-${i}`)), hosts };
}

const caOf = (dir: string): Pem => ({ crt: join(dir, 'ca.crt'), key: join(dir, 'ca.key') });

/** Broker i's keystore made again: a new key and certificate (ext, issuer, …), with chain after it. */
async function reissueBroker(
  d: Doctoring,
  i: number,
  o: { ext?: string; issuer?: Pem; chain?: string[]; bits?: number; md?: string; dates?: [string, string] } = {},
) {
  const issuer = o.issuer ?? caOf(d.dir);
  const ext = o.ext ?? leafExt({ sans: brokerSans(i) });
  const leaf = await makeCert(d.tmp, {
    subj: leafSubj(brokerCn(i)),
    ext,
    issuer,
    bits: o.bits,
    md: o.md,
    dates: o.dates,
  });
  await writeKeystore(join(d.dir, ks(i)), `mtls-kafka-${i}`, leaf, o.chain ?? [issuer.crt], PASSWORD);
}

async function reissueClient(d: Doctoring, o: { ext?: string; issuer?: Pem } = {}) {
  const issuer = o.issuer ?? caOf(d.dir);
  const ext = o.ext ?? leafExt({ sans: [`DNS:${CLIENT}`] });
  const leaf = await makeCert(d.tmp, { subj: leafSubj(CLIENT), ext, issuer });
  await writeKeystore(join(d.dir, CLIENT_KS), CLIENT, leaf, [issuer.crt], PASSWORD);
}

/** A whole drop-in PKI made again under ca: ca.crt and ca.key, both truststores, every keystore. */
async function rebuildUnder(d: Doctoring, ca: Pem) {
  await cp(ca.crt, join(d.dir, 'ca.crt'));
  await cp(ca.key, join(d.dir, 'ca.key'));
  for (const t of [SERVER_TS, CLIENT_TS]) {
    await rm(join(d.dir, t));
    await writeTruststore(join(d.dir, t), ca.crt, PASSWORD);
  }
  await Promise.all([
    reissueBroker(d, 0, { issuer: ca }),
    reissueBroker(d, 1, { issuer: ca }),
    reissueClient(d, { issuer: ca }),
  ]);
}

/** Broker 0's certificate signed by an intermediate CA (extensions intExt) under the directory's CA. */
async function underIntermediate(d: Doctoring, intExt: string, order?: string) {
  const root = caOf(d.dir);
  const int = await makeCert(d.tmp, {
    subj: '/C=KR/O=Organization/CN=Kafka-Intermediate-CA',
    ext: intExt,
    issuer: root,
  });
  if (!order) return reissueBroker(d, 0, { issuer: int, chain: [int.crt, root.crt] });
  // JKS alone keeps a chain in the order written: Java rebuilds a PKCS12 chain from issuer links on loading it.
  const p12 = join(d.tmp, 'ordered.p12');
  const leaf = await makeCert(d.tmp, {
    subj: leafSubj(brokerCn(0)),
    ext: leafExt({ sans: brokerSans(0) }),
    issuer: int,
  });
  await writeKeystore(p12, 'mtls-kafka-0', leaf, [int.crt, root.crt], PASSWORD);
  await rm(join(d.dir, ks(0)));
  await tool(
    'java',
    [join(ROOT, 'test/fixtures/java/WriteJksChain.java'), p12, 'mtls-kafka-0', join(d.dir, ks(0)), order],
    {
      env: { PW: PASSWORD },
    },
  );
}

const INT_EXT = (bc: string, ku: string) =>
  `basicConstraints = ${bc}\nkeyUsage = ${ku}\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid`;

const broker0 = (o: Parameters<typeof leafExt>[0]) => (d: Doctoring) => reissueBroker(d, 0, { ext: leafExt(o) });
const S0 = brokerSans(0);

export const KINDS: readonly KindSpec[] = [
  { id: 'good-dropin', base: 'dropin', sentence: 'a fresh generate in the drop-in layout (PKCS12 stores)' },
  { id: 'good-confluent', base: 'confluent', sentence: 'a fresh generate --layout confluent' },
  { id: 'good-jks', base: 'jks', sentence: 'a fresh generate --store-type jks' },
  {
    id: 'good-script',
    base: 'script',
    handMade: true,
    strictIsWarn: true,
    sentence: "the original mtls-kafka.sh's output (its CA is X.509 v1, which strict clients refuse)",
  },
  {
    id: 'good-intermediate',
    base: 'dropin',
    sentence: 'broker 0 signed by an intermediate CA under the CA, the chain leaf -> intermediate -> root in order',
    doctor: (d) => underIntermediate(d, INT_EXT('critical, CA:TRUE, pathlen:0', 'critical, keyCertSign, cRLSign')),
  },
  {
    id: 'broker1-as-broker0',
    base: 'dropin',
    file: ks(0),
    sentence: "broker 1's keystore copied over broker 0's (names for broker 1 only)",
    doctor: (d) => cp(join(d.dir, ks(1)), join(d.dir, ks(0))),
  },
  {
    id: 'client-as-broker0',
    base: 'dropin',
    file: ks(0),
    sentence: "the client's keystore copied over broker 0's",
    doctor: (d) => cp(join(d.dir, CLIENT_KS), join(d.dir, ks(0))),
  },
  {
    id: 'foreign-client-truststore',
    base: 'dropin',
    file: CLIENT_TS,
    sentence: 'kafka.client.truststore.jks from another generate run (another CA with the same subject)',
    doctor: (d) => cp(join(d.bases.other, CLIENT_TS), join(d.dir, CLIENT_TS)),
  },
  {
    id: 'foreign-ca-crt',
    base: 'dropin',
    file: 'ca.crt',
    sentence: "ca.crt replaced by another run's CA with the same subject (what non-Java clients are given to trust)",
    doctor: (d) => cp(join(d.bases.other, 'ca.crt'), join(d.dir, 'ca.crt')),
  },
  {
    id: 'foreign-ca-key',
    base: 'dropin',
    file: 'ca.key',
    sentence: "ca.key replaced by another run's CA key: nothing it signs is trusted",
    doctor: (d) => cp(join(d.bases.other, 'ca.key'), join(d.dir, 'ca.key')),
  },
  {
    id: 'foreign-ca-leaf',
    base: 'dropin',
    file: ks(0),
    sentence:
      "broker 0's certificate signed by another CA with the same subject, imported with its chain as mtls-kafka-0",
    doctor: (d) => reissueBroker(d, 0, { issuer: caOf(d.bases.other) }),
  },
  {
    id: 'chain-wrong-order',
    base: 'jks',
    file: ks(0),
    sentence:
      'broker 0 under an intermediate, its JKS chain stored leaf, root, intermediate (written by Java: keytool and ' +
      'PKCS12 reorder chains by themselves)',
    doctor: (d) =>
      underIntermediate(d, INT_EXT('critical, CA:TRUE, pathlen:0', 'critical, keyCertSign, cRLSign'), '0,2,1'),
  },
  {
    id: 'chain-bad-signature',
    base: 'dropin',
    file: ks(0),
    sentence: "broker 0's certificate names the CA as issuer (subject and key id) but another key signed it",
    doctor: async (d) => {
      const skid = await subjectKeyId(join(d.dir, 'ca.crt'));
      const forger = await makeCa(d.tmp, { ext: caExt({ skid }), subj: CA_SUBJ });
      await reissueBroker(d, 0, { issuer: forger, chain: [join(d.dir, 'ca.crt')] });
    },
  },
  {
    id: 'intermediate-not-ca',
    base: 'dropin',
    file: ks(0),
    sentence: 'broker 0 signed by an intermediate that is no CA (basicConstraints CA:FALSE)',
    doctor: (d) => underIntermediate(d, INT_EXT('critical, CA:FALSE', 'critical, keyCertSign, cRLSign')),
  },
  {
    id: 'intermediate-no-keycertsign',
    base: 'dropin',
    file: ks(0),
    sentence: 'broker 0 signed by an intermediate CA whose keyUsage lacks keyCertSign',
    doctor: (d) => underIntermediate(d, INT_EXT('critical, CA:TRUE, pathlen:0', 'critical, digitalSignature, cRLSign')),
  },
  {
    id: 'broker-eku-clientauth-only',
    base: 'dropin',
    file: ks(0),
    sentence: "broker 0's extendedKeyUsage is clientAuth only: clients refuse it as a server",
    doctor: broker0({ sans: S0, eku: 'clientAuth' }),
  },
  {
    id: 'broker-eku-serverauth-only',
    base: 'dropin',
    file: ks(0),
    sentence: "broker 0's extendedKeyUsage is serverAuth only: the other brokers refuse it as a client",
    doctor: broker0({ sans: S0, eku: 'serverAuth' }),
  },
  {
    id: 'client-eku-serverauth-only',
    base: 'dropin',
    file: CLIENT_KS,
    sentence: "the client's extendedKeyUsage is serverAuth only",
    doctor: (d) => reissueClient(d, { ext: leafExt({ sans: [`DNS:${CLIENT}`], eku: 'serverAuth' }) }),
  },
  {
    id: 'broker-ku-keycertsign-only',
    base: 'dropin',
    file: ks(0),
    sentence: "broker 0's keyUsage is keyCertSign only (no digitalSignature, no keyEncipherment)",
    doctor: broker0({ sans: S0, ku: 'critical, keyCertSign' }),
  },
  {
    id: 'broker-leaf-ca-true',
    base: 'dropin',
    file: ks(0),
    sentence: "broker 0's own certificate says CA:TRUE",
    doctor: broker0({ sans: S0, bc: 'critical, CA:TRUE' }),
  },
  {
    id: 'broker-expired',
    base: 'dropin',
    file: ks(0),
    sentence: "broker 0's certificate expired (2020-01-01 to 2020-02-01)",
    doctor: (d) => reissueBroker(d, 0, { dates: ['20200101000000Z', '20200201000000Z'] }),
  },
  {
    id: 'broker-not-yet-valid',
    base: 'dropin',
    file: ks(0),
    sentence: "broker 0's certificate is not valid yet (from 2099)",
    doctor: (d) => reissueBroker(d, 0, { dates: ['20990101000000Z', '21000101000000Z'] }),
  },
  {
    id: 'ca-expired',
    base: 'dropin',
    handMade: true,
    file: SERVER_TS,
    alsoFiles: CA_FILES,
    sentence: 'every certificate signed by a CA that expired (2020-01-01 to 2021-01-01)',
    doctor: async (d) =>
      rebuildUnder(d, await makeCa(d.tmp, { ext: caExt(), dates: ['20200101000000Z', '20210101000000Z'] })),
  },
  {
    id: 'broker-rsa-1024',
    base: 'dropin',
    file: ks(0),
    sentence: "broker 0's key is RSA 1024-bit",
    doctor: (d) => reissueBroker(d, 0, { bits: 1024 }),
  },
  {
    id: 'broker-sha1',
    base: 'dropin',
    file: ks(0),
    sentence: "broker 0's certificate is signed with SHA-1 (sha1WithRSAEncryption)",
    doctor: (d) => reissueBroker(d, 0, { md: 'sha1' }),
  },
  {
    id: 'jks-key-password-differs',
    base: 'jks',
    file: ks(0),
    sentence: "broker 0's JKS key password differs from its store password (keytool -keypasswd)",
    doctor: (d) =>
      tool(
        'keytool',
        ['-keypasswd', '-alias', 'mtls-kafka-0', '-keystore', join(d.dir, ks(0))].concat([
          '-storepass:env',
          'PW',
          '-keypass:env',
          'PW',
          '-new:env',
          'NEW',
        ]),
        { env: { PW: PASSWORD, NEW: OTHER_PASSWORD } },
      ),
  },
  {
    id: 'wrong-store-password',
    base: 'dropin',
    file: ks(0),
    sentence: "broker 0's keystore has another password than the directory's (keytool -storepasswd)",
    doctor: (d) =>
      tool('keytool', ['-storepasswd', '-keystore', join(d.dir, ks(0)), '-storepass:env', 'PW', '-new:env', 'NEW'], {
        env: { PW: PASSWORD, NEW: OTHER_PASSWORD },
      }),
  },
  {
    id: 'truststore-empty-to-java',
    base: 'dropin',
    file: CLIENT_TS,
    sentence:
      'kafka.client.truststore.jks written by openssl pkcs12 -export -nokeys: the CA without the trusted-cert ' +
      'attribute Java needs, so Java sees an empty store',
    doctor: async (d) => {
      await rm(join(d.dir, CLIENT_TS));
      await tool(
        'openssl',
        ['pkcs12', '-export', '-nokeys', '-in', join(d.dir, 'ca.crt'), '-out', join(d.dir, CLIENT_TS)].concat([
          '-passout',
          'env:PW',
        ]),
        { env: { PW: PASSWORD } },
      );
    },
  },
  {
    id: 'broker-no-statefulset-names',
    base: 'dropin',
    file: ks(0),
    sentence: "broker 0's SANs lack its StatefulSet DNS names (DNS:kafka-0.example.com only)",
    doctor: broker0({ sans: ['DNS:kafka-0.example.com'] }),
  },
  {
    id: 'ip-as-dns-san',
    base: 'dropin',
    file: ks(0),
    flags: ['--host', '10.0.0.5'],
    hosts: ['10.0.0.5', '10.0.0.5'],
    sentence: 'brokers reached at 10.0.0.5: broker 0 lists it as DNS:10.0.0.5, broker 1 rightly as IP:10.0.0.5',
    doctor: async (d) => {
      await reissueBroker(d, 0, { ext: leafExt({ sans: [...S0, 'DNS:10.0.0.5'] }) });
      await reissueBroker(d, 1, { ext: leafExt({ sans: [...brokerSans(1), 'IP:10.0.0.5'] }) });
    },
  },
  {
    id: 'script-v1-ca',
    base: 'dropin',
    handMade: true,
    strictIsWarn: true,
    file: SERVER_TS,
    alsoFiles: CA_FILES,
    sentence:
      'every certificate signed by a CA made as the script makes it (openssl req -x509: X.509 v1, no extensions)',
    doctor: async (d) => rebuildUnder(d, await makeScriptCa(d.tmp)),
  },
  {
    id: 'ca-bc-not-critical',
    base: 'dropin',
    handMade: true,
    file: SERVER_TS,
    alsoFiles: CA_FILES,
    sentence: 'every certificate signed by a CA whose basicConstraints is not critical',
    doctor: async (d) => rebuildUnder(d, await makeCa(d.tmp, { ext: caExt({ bc: 'CA:TRUE' }) })),
  },
  {
    id: 'ca-no-keyusage',
    base: 'dropin',
    handMade: true,
    file: SERVER_TS,
    alsoFiles: CA_FILES,
    sentence: 'every certificate signed by a CA without keyUsage',
    doctor: async (d) => rebuildUnder(d, await makeCa(d.tmp, { ext: caExt({ ku: null }) })),
  },
  {
    id: 'leaf-no-akid',
    base: 'dropin',
    file: ks(0),
    sentence: "broker 0's certificate has no Authority Key Identifier",
    doctor: broker0({ sans: S0, akid: false }),
  },
  {
    id: 'confluent-wrong-creds',
    base: 'confluent',
    file: 'mtls-kafka-0-creds/mtls-kafka-0_keystore_creds',
    sentence: 'the confluent layout with a wrong password in mtls-kafka-0-creds/mtls-kafka-0_keystore_creds',
    doctor: (d) => writeFile(join(d.dir, 'mtls-kafka-0-creds/mtls-kafka-0_keystore_creds'), OTHER_PASSWORD),
  },
];

/** The kinds this machine can make, and those it cannot with the reason (the script beside the clone). */
export function availableKinds(): { kinds: KindSpec[]; skipped: { id: string; reason: string }[] } {
  const skip = (k: KindSpec) => (k.base === 'script' ? SCRIPT_ABSENT : undefined);
  return {
    kinds: KINDS.filter((k) => !skip(k)),
    skipped: KINDS.filter((k) => skip(k)).map((k) => ({ id: k.id, reason: skip(k)! })),
  };
}

async function generate(work: string, out: string, ...flags: string[]): Promise<string> {
  const r = await runCli(['generate', '--out', out, '--brokers', '2', ...flags], { cwd: work, env: { PASSWORD } });
  if (r.exitCode !== 0) throw new Error(`generate ${flags.join(' ')} failed (${r.exitCode}): ${r.stderr}`);
  return join(work, out);
}

/** The script with our password, two brokers. */
async function scriptCerts(work: string): Promise<string> {
  const dir = join(work, 'script');
  await mkdir(dir);
  return runScript(dir, { password: PASSWORD, brokers: 2 });
}

/** Builds every kind of specs under work/kinds/<id>; returns them with their topology and the seconds it took. */
export async function buildCorpus(
  work: string,
  specs: readonly KindSpec[],
): Promise<{ kinds: Kind[]; seconds: number }> {
  const start = Date.now();
  const wanted = new Set(specs.map((k) => k.base));
  const made = await Promise.allSettled([
    generate(work, 'base'),
    generate(work, 'other'),
    wanted.has('confluent') ? generate(work, 'confluent', '--layout', 'confluent') : Promise.resolve(''),
    wanted.has('jks') ? generate(work, 'jks', '--store-type', 'jks') : Promise.resolve(''),
    wanted.has('script') && existsSync(SCRIPT) ? scriptCerts(work) : Promise.resolve(''),
  ]);
  const [dropin, other, confluent, jks, script] = made.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  }) as string[];
  const bases: Record<Base, string> = {
    dropin: dropin!,
    other: other!,
    confluent: confluent!,
    jks: jks!,
    script: script!,
  };
  await mkdir(join(work, 'kinds'));
  await mkdir(join(work, 'scratch'));
  const kinds = await pool(
    4,
    specs.map((spec) => async (): Promise<Kind> => {
      const dir = join(work, 'kinds', spec.id);
      await cp(bases[spec.base], dir, { recursive: true });
      if (spec.handMade) {
        await rm(join(dir, 'kafka-mtls.json'), { force: true });
        await rm(join(dir, '.kafka-mtls'), { recursive: true, force: true });
      }
      const tmp = join(work, 'scratch', spec.id);
      await mkdir(tmp);
      try {
        await spec.doctor?.({ dir, tmp, bases });
      } catch (e) {
        throw new Error(`building kind ${spec.id}: ${(e as Error).message}`);
      }
      const hosts = spec.hosts ?? [brokerHost(0), brokerHost(1)];
      const topology = spec.base === 'confluent' ? confluentTopology(hosts) : dropinTopology(hosts);
      return { ...spec, dir, topology };
    }),
  );
  return { kinds, seconds: (Date.now() - start) / 1000 };
}
