import { randomBytes } from 'node:crypto';
import type { Cluster, Identity } from '../model/cluster.js';
import { SHARED_PASSWORD, type StorePasswords } from '../model/passwords.js';
import { DEFAULT_DEPLOYMENT, type Deployment } from '../model/deployment.js';
import type { OutputFile, Plan, Step } from '../runner/step.js';
import { caFiles } from './ca.js';
import { emitSteps, type LayoutView } from './emits.js';
import { dropInFiles, type Emit } from '../model/layouts.js';
import type { ExpectedStore } from '../pki/stores.js';
import { checkStore, importKeyEntry, importTrustedCert } from '../steps/keytool.js';
import { checkCa, checkPkcs12Store, createLeafRequest, exportPkcs12, signLeaf, verifyLeaf } from '../steps/openssl.js';
import { loadTemplate, renderTemplate } from './templates.js';

export { STORE_PASSWORD_ENV } from '../model/passwords.js';

/** Holds unencrypted leaf keys and intermediate bundles; removed before the output is swapped in. */
const SCRATCH = '.build';

/** Trusted-entry aliases the script's keytool commands give (keytool stores aliases in lower case). */
export const KEYSTORE_CA_ALIAS = 'ca.crt';
export const TRUSTSTORE_CA_ALIAS = 'caroot';

/** A random positive serial of 127 bits (RFC 5280 allows up to 20 octets; CAs should use at least 64 random bits). */
export function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40; // positive, and never a leading zero octet
  return b.toString('hex');
}

export interface DropInOptions {
  readonly serial?: () => string;
  readonly emit?: readonly Emit[];
  /** Where the output will live once swapped in: generated settings name files by absolute path. */
  readonly outDir?: string;
  readonly deployment?: Deployment;
  /** Which variable holds which store's password (default: one password for all). */
  readonly passwords?: StorePasswords;
}

export function buildDropInPlan(cluster: Cluster, opts: DropInOptions = {}): Plan {
  const serial = opts.serial ?? randomSerialHex;
  const f = dropInFiles;
  const pws = opts.passwords ?? SHARED_PASSWORD;
  // With one password for all keystores, they start as copies of one store holding the CA; otherwise each has its own.
  const baseOf = (who: Identity) => (pws.generated ? scratch(who, 'base') : trustBase);
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

  const caf = caFiles(
    ca,
    f,
    write(
      'ca.config',
      f.caConfig,
      renderTemplate(loadTemplate('ca.cnf'), { ca_bits: String(ca.keyBits), dn: { lines: ca.subject } }),
    ),
  );
  const steps: Step[] = [...caf.steps];

  for (const who of cluster.identities) {
    steps.push(
      write(
        `${who.id}.config`,
        scratch(who, 'req.cnf'),
        renderTemplate(loadTemplate('leaf-req.cnf'), { dn: { lines: who.subject } }),
      ),
      write(
        `${who.id}.ext`,
        f.ext(who),
        renderTemplate(loadTemplate('ext.cnf'), { alt_names: { lines: altNameLines(who) } }),
      ),
    );
  }
  for (const who of cluster.identities) {
    steps.push(
      createLeafRequest({
        id: who.id,
        alias: who.alias,
        config: scratch(who, 'req.cnf'),
        key: scratch(who, 'key'),
        csr: f.csr(who),
        bits: who.keyBits,
      }),
    );
  }

  const bases = pws.generated
    ? cluster.identities.map((who) => ({
        id: `${who.id}.base`,
        who: `${who.alias}'s keystore`,
        store: baseOf(who),
        env: pws.keystore(who),
      }))
    : [{ id: 'stores.trust-base', who: 'every keystore', store: trustBase, env: pws.keystore(cluster.identities[0]!) }];
  steps.push(
    checkCa(f.caCert),
    ...bases.map((b) =>
      importTrustedCert({
        id: b.id,
        title: `Make the base of ${b.who}: the CA as trusted entry ${KEYSTORE_CA_ALIAS}`,
        store: b.store,
        alias: KEYSTORE_CA_ALIAS,
        cert: caf.anchor,
        storeType: type,
        passwordEnv: b.env,
      }),
    ),
    importTrustedCert({
      id: 'truststore.create',
      title: `Make ${f.serverTruststore} with the CA as ${TRUSTSTORE_CA_ALIAS}`,
      store: f.serverTruststore,
      // The script passes CARoot; keytool lower-cases aliases in both JKS and PKCS12.
      alias: 'CARoot',
      cert: caf.anchor,
      storeType: type,
      passwordEnv: pws.truststore,
    }),
  );

  for (const who of cluster.identities) {
    const keystore = f.keystore(who);
    const pw = pws.keystore(who);
    steps.push(
      signLeaf({
        id: who.id,
        alias: who.alias,
        csr: f.csr(who),
        ext: f.ext(who),
        caCert: f.caCert,
        caKey: f.caKey,
        out: f.signed(who),
        days: who.validityDays,
        serialHex: serial(),
        caKeyPasswordEnv: caf.keyPasswordEnv,
      }),
      verifyLeaf({
        id: who.id,
        alias: who.alias,
        caCert: caf.anchor,
        untrusted: caf.bundle !== caf.anchor ? caf.bundle : undefined,
        cert: f.signed(who),
        purpose: who.role === 'broker' ? 'sslserver' : 'sslclient',
      }),
      exportPkcs12({
        id: who.id,
        alias: who.alias,
        cert: f.signed(who),
        key: scratch(who, 'key'),
        caCert: caf.bundle,
        out: scratch(who, 'p12'),
        passwordEnv: pw,
      }),
      {
        id: `${who.id}.keystore`,
        title: `Start ${keystore} from the base holding the CA`,
        action: { kind: 'copy', from: baseOf(who), to: keystore },
        reads: [baseOf(who)],
        writes: [keystore],
      },
      importKeyEntry({
        id: who.id,
        alias: who.alias,
        source: scratch(who, 'p12'),
        store: keystore,
        storeType: type,
        passwordEnv: pw,
      }),
      storeCheck(`${who.id}.check`, keystore, type, pw, [
        { alias: who.alias, entryType: 'PrivateKeyEntry', chainLength: caf.chainLength },
        { alias: KEYSTORE_CA_ALIAS, entryType: 'trustedCertEntry' },
      ]),
    );
  }

  steps.push(
    storeCheck('truststore.check', f.serverTruststore, type, pws.truststore, [
      { alias: TRUSTSTORE_CA_ALIAS, entryType: 'trustedCertEntry' },
    ]),
    {
      // The two truststores hold the same single entry: a copy saves a JVM start.
      id: 'truststore.client',
      title: `Copy ${f.serverTruststore} to ${f.clientTruststore}`,
      action: { kind: 'copy', from: f.serverTruststore, to: f.clientTruststore },
      reads: [f.serverTruststore],
      writes: [f.clientTruststore],
    },
  );

  const layout: LayoutView = {
    caCert: caf.anchor,
    chain: [caf.bundle],
    storeType: type === 'auto' ? undefined : type === 'jks' ? 'JKS' : 'PKCS12',
    files: (who) => ({
      dir: '',
      keystore: f.keystore(who),
      truststore: who.role === 'broker' ? f.serverTruststore : f.clientTruststore,
      cert: f.signed(who),
      key: scratch(who, 'key'),
    }),
  };
  const extra = emitSteps(cluster, layout, opts.emit ?? [], {
    outDir: opts.outDir ?? '.',
    deployment: opts.deployment ?? DEFAULT_DEPLOYMENT,
    passwords: pws,
  });
  steps.push(...extra.steps);

  const outputs: OutputFile[] = [
    ...caf.outputs,
    ...cluster.identities.flatMap((who) => [
      { path: f.keystore(who), private: true },
      { path: f.csr(who), private: false },
      { path: f.ext(who), private: false },
      { path: f.signed(who), private: false },
    ]),
    { path: f.serverTruststore, private: true },
    { path: f.clientTruststore, private: true },
    ...extra.outputs,
  ];
  return {
    steps,
    outputs,
    scratch: [SCRATCH],
    usage: extra.usage,
    secretEnv: caf.keyPasswordEnv ? [caf.keyPasswordEnv] : [],
  };
}

/**
 * The last check of a store. A PKCS12 store is read by openssl, in
 * milliseconds; a JKS store (or one whose type is left to keytool) needs
 * `keytool -list`, another JVM start.
 */
export function storeCheck(
  id: string,
  store: string,
  type: Cluster['storeType'],
  passwordEnv: string,
  entries: ExpectedStore['entries'],
): Step {
  if (type === 'pkcs12') return checkPkcs12Store({ id, store, passwordEnv, expect: { type: 'PKCS12', entries } });
  return checkStore({
    id,
    store,
    storeType: type,
    passwordEnv,
    expect: { type: type === 'jks' ? 'JKS' : undefined, entries },
  });
}

/** [alt_names] lines numbered per kind, as the script writes them: DNS.1, DNS.2, …, IP.1, … */
function altNameLines(who: Identity): Array<[string, string]> {
  const counts = { DNS: 0, IP: 0 };
  return who.sans.map((san) => [`${san.kind}.${++counts[san.kind]}`, san.value]);
}
