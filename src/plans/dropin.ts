import type { Cluster, Identity } from '../model/cluster.js';
import { dropInFiles } from '../model/layouts.js';
import type { StorePasswords } from '../model/passwords.js';
import type { OutputFile, Plan, Step } from '../runner/step.js';
import { importKeyEntry, importTrustedCert } from '../steps/keytool.js';
import { exportPkcs12 } from '../steps/openssl.js';
import {
  altNameLines,
  buildLayoutPlan,
  SCRATCH,
  storeCheck,
  writeStep,
  type LayoutRecipe,
  type PipelineContext,
  type PipelineFiles,
  type PlanOptions,
} from './pipeline.js';
import { leafKeyValues, loadTemplate, renderCaConfig, renderTemplate } from './templates.js';

/**
 * The drop-in layout: mtls-kafka.sh's files in one flat directory (JKS or PKCS12 stores by keytool's default),
 * made as the script makes them, so that nothing downstream changes.
 */

export { STORE_PASSWORD_ENV } from '../model/secret-names.js';

/** Trusted-entry aliases the script's keytool commands give (keytool stores aliases in lower case). */
export const KEYSTORE_CA_ALIAS = 'ca.crt';
export const TRUSTSTORE_CA_ALIAS = 'caroot';

const f = dropInFiles;
const TRUST_BASE = `${SCRATCH}/trust-base.store`;
const scratch = (who: Identity, ext: string) => `${SCRATCH}/${who.alias}.${ext}`;
/** A leaf's unencrypted key: only in the scratch directory, while the run lasts. */
export const dropInScratchKey = (who: Identity) => scratch(who, 'key');
/** With one password for all keystores, they start as copies of one store holding the CA; else each has its own. */
const baseOf = (who: Identity, pws: StorePasswords) => (pws.generated ? scratch(who, 'base') : TRUST_BASE);

function files(who: Identity): PipelineFiles {
  return {
    dir: '',
    config: scratch(who, 'req.cnf'),
    ext: f.ext(who),
    key: dropInScratchKey(who),
    csr: f.csr(who),
    cert: f.signed(who),
    p12: scratch(who, 'p12'),
    keystore: f.keystore(who),
    truststore: f.truststore(who),
    creds: f.creds(who),
  };
}

/** The CA as each keystore's first entry, and the server truststore holding it alone. */
function trust(c: PipelineContext): Step[] {
  const { cluster, passwords: pws } = c;
  const bases: Array<{ id: string; owner?: string; who: string; store: string; env: string }> = pws.generated
    ? cluster.identities.map((who) => ({
        id: `${who.id}.base`,
        owner: who.id,
        who: `${who.alias}'s keystore`,
        store: baseOf(who, pws),
        env: pws.keystore(who),
      }))
    : [
        {
          id: 'stores.trust-base',
          who: 'every keystore',
          store: TRUST_BASE,
          env: pws.keystore(cluster.identities[0]!),
        },
      ];
  return [
    ...bases.map((b) =>
      importTrustedCert({
        id: b.id,
        owner: b.owner,
        role: 'keystore-base',
        title: `Make the base of ${b.who}: the CA as trusted entry ${KEYSTORE_CA_ALIAS}`,
        store: b.store,
        alias: KEYSTORE_CA_ALIAS,
        cert: c.ca.anchor,
        storeType: cluster.storeType,
        passwordEnv: b.env,
      }),
    ),
    importTrustedCert({
      id: 'truststore.create',
      role: 'truststore',
      title: `Make ${f.serverTruststore} with the CA as ${TRUSTSTORE_CA_ALIAS}`,
      store: f.serverTruststore,
      // The script passes CARoot; keytool lower-cases aliases in both JKS and PKCS12.
      alias: 'CARoot',
      cert: c.ca.anchor,
      storeType: cluster.storeType,
      passwordEnv: pws.truststore,
    }),
  ];
}

/** The keystore starts as a copy of its base (the CA's entry), takes the key entry, and is checked. */
function keystore(who: Identity, w: PipelineFiles, c: PipelineContext): Step[] {
  const store = w.keystore;
  const pw = c.passwords.keystore(who);
  const type = c.cluster.storeType;
  const base = baseOf(who, c.passwords);
  return [
    {
      id: `${who.id}.keystore`,
      owner: who.id,
      role: 'keystore',
      title: `Start ${store} from the base holding the CA`,
      action: { kind: 'copy', from: base, to: store },
      reads: [base],
      writes: [store],
    },
    importKeyEntry({
      id: who.id,
      alias: who.alias,
      source: w.p12,
      store,
      storeType: type,
      passwordEnv: pw,
    }),
    storeCheck(`${who.id}.check`, { owner: who.id, role: 'keystore-check' }, store, type, pw, [
      { alias: who.alias, entryType: 'PrivateKeyEntry', chainLength: c.ca.chainLength },
      { alias: KEYSTORE_CA_ALIAS, entryType: 'trustedCertEntry' },
    ]),
  ];
}

const dropIn: LayoutRecipe = {
  caNames: f,
  caConfig: (ca) => renderCaConfig('ca.cnf', ca),
  files,
  configs: (who) => [
    writeStep(
      `${who.id}.config`,
      { owner: who.id, role: 'config' },
      scratch(who, 'req.cnf'),
      renderTemplate(loadTemplate('leaf-req.cnf'), { leaf_md: leafKeyValues(who).leaf_md, dn: { lines: who.subject } }),
    ),
    writeStep(
      `${who.id}.ext`,
      { owner: who.id, role: 'config' },
      f.ext(who),
      renderTemplate(loadTemplate('ext.cnf'), {
        key_usage: leafKeyValues(who).key_usage,
        alt_names: { lines: altNameLines(who) },
      }),
    ),
  ],
  configsFirst: true,
  trust,
  bundle: (who, w, c) =>
    exportPkcs12({
      id: who.id,
      alias: who.alias,
      cert: w.cert,
      key: w.key,
      caCert: c.ca.bundle,
      out: w.p12,
      passwordEnv: c.passwords.keystore(who),
    }),
  keystore,
  finish: (c) => [
    storeCheck(
      'truststore.check',
      { role: 'truststore-check' },
      f.serverTruststore,
      c.cluster.storeType,
      c.passwords.truststore,
      [{ alias: TRUSTSTORE_CA_ALIAS, entryType: 'trustedCertEntry' }],
    ),
    {
      // The two truststores hold the same single entry: a copy saves a keytool run.
      id: 'truststore.client',
      role: 'truststore',
      title: `Copy ${f.serverTruststore} to ${f.clientTruststore}`,
      action: { kind: 'copy', from: f.serverTruststore, to: f.clientTruststore },
      reads: [f.serverTruststore],
      writes: [f.clientTruststore],
    },
  ],
  outputs: (identities): OutputFile[] => [
    ...identities.flatMap((who) => [
      { path: f.keystore(who), private: true },
      { path: f.csr(who), private: false },
      { path: f.ext(who), private: false },
      { path: f.signed(who), private: false },
    ]),
    { path: f.serverTruststore, private: true },
    { path: f.clientTruststore, private: true },
  ],
  storeType: (cluster) => (cluster.storeType === 'auto' ? undefined : cluster.storeType === 'jks' ? 'JKS' : 'PKCS12'),
  writesCreds: false,
};

export function buildDropInPlan(cluster: Cluster, opts: PlanOptions = {}): Plan {
  return buildLayoutPlan(cluster, dropIn, opts);
}
