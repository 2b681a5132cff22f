import { principalOf, type Cluster, type Identity } from '../model/cluster.js';
import { confluentFiles, confluentIdentityFiles } from '../model/layouts.js';
import type { OutputFile, Plan, Step } from '../runner/step.js';
import { checkStore, importKeyEntry, importTrustedCert } from '../steps/keytool.js';
import { checkPkcs12Store, exportPkcs12Chain } from '../steps/openssl.js';
import {
  altNameLines,
  buildLayoutPlan,
  SCRATCH,
  writeStep,
  type LayoutRecipe,
  type PipelineContext,
  type PipelineFiles,
  type PlanOptions,
} from './pipeline.js';
import { leafKeyValues, loadTemplate, renderCaConfig, renderTemplate, withoutDefaultBits } from './templates.js';

/**
 * The write-up's Confluent flow, one directory per broker or client as it
 * uses them (~/tls/kafka-1-creds/): a CA from ca.cnf, a key and CSR from
 * <name>.cnf, signing with -extensions v3_req, `openssl pkcs12 -export
 * -chain`, `keytool -importkeystore` into a PKCS12 keystore checked with
 * `keytool -list -v`, and the cp-kafka image's credentials files.
 */

export const TRUSTSTORE_ALIAS = 'CARoot';

const f = confluentFiles;
const TRUST_BASE = `${SCRATCH}/truststore.pkcs12`;

/** The leaf's config holds its request and its extensions (section v3_req). */
const files = (who: Identity): PipelineFiles => {
  const w = confluentIdentityFiles(who);
  return { ...w, ext: w.config, extensions: 'v3_req' };
};

/** The write-up's ca.pem (the CA certificate and key), and the one truststore every identity gets a copy of. */
function trust(c: PipelineContext): Step[] {
  const pw = c.passwords.truststore;
  return [
    {
      id: 'ca.pem',
      role: 'ca-pem',
      title: `Write ${f.caPem}: the CA certificate, then its key, as the write-up builds it (0600)`,
      action: { kind: 'concat', from: [f.caCert, f.caKey], to: f.caPem },
      reads: [f.caCert, f.caKey],
      writes: [f.caPem],
    },
    importTrustedCert({
      id: 'truststore.create',
      role: 'truststore',
      title: `Make the truststore: the CA as ${TRUSTSTORE_ALIAS.toLowerCase()}`,
      store: TRUST_BASE,
      alias: TRUSTSTORE_ALIAS,
      cert: c.ca.anchor,
      storeType: 'pkcs12',
      passwordEnv: pw,
    }),
    checkPkcs12Store({
      id: 'truststore.check',
      role: 'truststore-check',
      store: TRUST_BASE,
      passwordEnv: pw,
      expect: { type: 'PKCS12', entries: [{ alias: TRUSTSTORE_ALIAS, entryType: 'trustedCertEntry' }] },
    }),
  ];
}

/** A fresh PKCS12 keystore from the bundle, checked as the write-up does; the truststore's copy beside it. */
function keystore(who: Identity, w: PipelineFiles, c: PipelineContext): Step[] {
  const pw = c.passwords.keystore(who);
  const ca = c.cluster.ca;
  return [
    importKeyEntry({
      id: who.id,
      alias: who.alias,
      source: w.p12,
      store: w.keystore,
      storeType: 'pkcs12',
      passwordEnv: pw,
      fresh: true,
    }),
    // The write-up's check, `keytool -list -v`: one PrivateKeyEntry, a chain of 2, owner and issuer as planned.
    checkStore({
      id: `${who.id}.check`,
      owner: who.id,
      role: 'keystore-check',
      store: w.keystore,
      storeType: 'pkcs12',
      passwordEnv: pw,
      expect: {
        type: 'PKCS12',
        entries: [
          {
            alias: who.alias,
            entryType: 'PrivateKeyEntry',
            chainLength: c.ca.chainLength,
            owner: principalOf(who.subject),
            issuer: ca.external?.subject ?? principalOf(ca.subject),
          },
        ],
      },
    }),
    {
      id: `${who.id}.truststore`,
      owner: who.id,
      role: 'truststore',
      title: `Copy the truststore to ${w.truststore}`,
      action: { kind: 'copy', from: TRUST_BASE, to: w.truststore },
      reads: [TRUST_BASE],
      writes: [w.truststore],
    },
  ];
}

/** The write-up's kafka-1.cnf for one identity; an EC key leaves out default_bits, as the CA's config does. */
function leafConfig(who: Identity): string {
  const text = renderTemplate(loadTemplate('confluent-leaf.cnf'), {
    leaf_bits: String(who.keyBits),
    ...leafKeyValues(who),
    dn: { lines: who.subject },
    alt_names: { lines: altNameLines(who) },
  });
  return who.curve ? withoutDefaultBits(text) : text;
}

const confluent: LayoutRecipe = {
  caNames: f,
  caConfig: (ca) => renderCaConfig('confluent-ca.cnf', ca),
  files,
  configs: (who) => [
    writeStep(`${who.id}.config`, { owner: who.id, role: 'config' }, files(who).config, leafConfig(who)),
  ],
  configsFirst: false,
  trust,
  // The write-up's -CAfile ca.pem; with your own intermediate CA, the chain up to the root.
  bundle: (who, w, c) =>
    exportPkcs12Chain({
      id: who.id,
      alias: who.alias,
      cert: w.cert,
      key: w.key,
      caCert: f.caCert,
      caFile: c.ca.bundle !== c.ca.anchor ? c.ca.bundle : f.caPem,
      out: w.p12,
      passwordEnv: c.passwords.keystore(who),
    }),
  keystore,
  finish: () => [],
  outputs: (identities): OutputFile[] => [
    { path: f.caPem, private: true },
    ...identities.flatMap((who) => {
      const w = confluentIdentityFiles(who);
      return [
        { path: w.config, private: false },
        { path: w.key, private: true },
        { path: w.csr, private: false },
        { path: w.cert, private: false },
        { path: w.p12, private: true },
        { path: w.keystore, private: true },
        { path: w.truststore, private: true },
        { path: w.creds.keystore, private: true },
        { path: w.creds.key, private: true },
        { path: w.creds.truststore, private: true },
      ];
    }),
  ],
  storeType: () => 'PKCS12',
  writesCreds: true,
};

export function buildConfluentPlan(cluster: Cluster, opts: PlanOptions = {}): Plan {
  return buildLayoutPlan(cluster, confluent, opts);
}
