import { principalOf, type Cluster } from '../model/cluster.js';
import { DEFAULT_DEPLOYMENT } from '../model/deployment.js';
import type { OutputFile, Plan, Step } from '../runner/step.js';
import { checkStore, importKeyEntry, importTrustedCert } from '../steps/keytool.js';
import {
  checkCa,
  checkPkcs12Store,
  createLeafRequest,
  exportPkcs12Chain,
  signLeaf,
  verifyLeaf,
} from '../steps/openssl.js';
import { loadTemplate, renderTemplate } from './templates.js';
import { randomSerialHex, type DropInOptions } from './dropin.js';
import { SHARED_PASSWORD } from '../model/passwords.js';
import { caFiles } from './ca.js';
import { emitSteps, type LayoutView } from './emits.js';
import { confluentFiles, confluentIdentityFiles } from '../model/layouts.js';

/**
 * The write-up's Confluent flow, one directory per broker or client as it
 * uses them (~/tls/kafka-1-creds/): a CA from ca.cnf, a key and CSR from
 * <name>.cnf, signing with -extensions v3_req, `openssl pkcs12 -export
 * -chain`, `keytool -importkeystore` into a PKCS12 keystore checked with
 * `keytool -list -v`, and the cp-kafka image's credentials files.
 */

const SCRATCH = '.build';
export const TRUSTSTORE_ALIAS = 'CARoot';

export function buildConfluentPlan(cluster: Cluster, opts: DropInOptions = {}): Plan {
  const serial = opts.serial ?? randomSerialHex;
  const f = confluentFiles;
  const pws = opts.passwords ?? SHARED_PASSWORD;
  const ca = cluster.ca;
  const trustBase = `${SCRATCH}/truststore.pkcs12`;
  const write = (id: string, path: string, content: string): Step => ({
    id,
    title: `Write ${path}`,
    action: { kind: 'write', path, content },
    reads: [],
    writes: [path],
  });
  const secret = (id: string, path: string, title: string, secretEnv: string): Step => ({
    id,
    title: `Write ${path}: ${title} (0600)`,
    action: { kind: 'write-secret', path, entries: [{ secretEnv }] },
    reads: [],
    writes: [path],
  });

  const caf = caFiles(
    ca,
    f,
    write(
      'ca.config',
      f.caConfig,
      renderTemplate(loadTemplate('confluent-ca.cnf'), { ca_bits: String(ca.keyBits), dn: { lines: ca.subject } }),
    ),
  );
  const steps: Step[] = [...caf.steps];
  for (const who of cluster.identities) {
    const w = confluentIdentityFiles(who);
    const alt = { DNS: 0, IP: 0 };
    steps.push(
      write(
        `${who.id}.config`,
        w.config,
        renderTemplate(loadTemplate('confluent-leaf.cnf'), {
          leaf_bits: String(who.keyBits),
          dn: { lines: who.subject },
          alt_names: { lines: who.sans.map((s) => [`${s.kind}.${++alt[s.kind]}`, s.value] as const) },
        }),
      ),
      createLeafRequest({ id: who.id, alias: who.alias, config: w.config, key: w.key, csr: w.csr, bits: who.keyBits }),
    );
  }
  steps.push(
    checkCa(f.caCert),
    {
      id: 'ca.pem',
      title: `Write ${f.caPem}: the CA certificate, then its key, as the write-up builds it (0600)`,
      action: { kind: 'concat', from: [f.caCert, f.caKey], to: f.caPem },
      reads: [f.caCert, f.caKey],
      writes: [f.caPem],
    },
    importTrustedCert({
      id: 'truststore.create',
      title: `Make the truststore: the CA as ${TRUSTSTORE_ALIAS.toLowerCase()}`,
      store: trustBase,
      alias: TRUSTSTORE_ALIAS,
      cert: caf.anchor,
      storeType: 'pkcs12',
      passwordEnv: pws.truststore,
    }),
    checkPkcs12Store({
      id: 'truststore.check',
      store: trustBase,
      passwordEnv: pws.truststore,
      expect: { type: 'PKCS12', entries: [{ alias: TRUSTSTORE_ALIAS, entryType: 'trustedCertEntry' }] },
    }),
  );

  for (const who of cluster.identities) {
    const w = confluentIdentityFiles(who);
    const pw = pws.keystore(who);
    steps.push(
      signLeaf({
        id: who.id,
        alias: who.alias,
        csr: w.csr,
        ext: w.config,
        extensions: 'v3_req',
        caCert: f.caCert,
        caKey: f.caKey,
        out: w.cert,
        days: who.validityDays,
        serialHex: serial(),
        caKeyPasswordEnv: caf.keyPasswordEnv,
      }),
      verifyLeaf({
        id: who.id,
        alias: who.alias,
        caCert: caf.anchor,
        untrusted: caf.bundle !== caf.anchor ? caf.bundle : undefined,
        cert: w.cert,
        purpose: who.role === 'broker' ? 'sslserver' : 'sslclient',
      }),
      // The write-up's -CAfile ca.pem; with your own intermediate CA, the chain up to the root.
      exportPkcs12Chain({
        id: who.id,
        alias: who.alias,
        cert: w.cert,
        key: w.key,
        caCert: f.caCert,
        caFile: caf.bundle !== caf.anchor ? caf.bundle : f.caPem,
        out: w.p12,
        passwordEnv: pw,
      }),
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
        store: w.keystore,
        storeType: 'pkcs12',
        passwordEnv: pw,
        expect: {
          type: 'PKCS12',
          entries: [
            {
              alias: who.alias,
              entryType: 'PrivateKeyEntry',
              chainLength: caf.chainLength,
              owner: principalOf(who.subject),
              issuer: ca.external?.subject ?? principalOf(ca.subject),
            },
          ],
        },
      }),
      {
        id: `${who.id}.truststore`,
        title: `Copy the truststore to ${w.truststore}`,
        action: { kind: 'copy', from: trustBase, to: w.truststore },
        reads: [trustBase],
        writes: [w.truststore],
      },
      secret(
        `${who.id}.keystore-creds`,
        w.creds.keystore,
        'the keystore password (KAFKA_SSL_KEYSTORE_CREDENTIALS)',
        pw,
      ),
      secret(`${who.id}.sslkey-creds`, w.creds.key, 'the key password (KAFKA_SSL_KEY_CREDENTIALS)', pw),
      secret(
        `${who.id}.truststore-creds`,
        w.creds.truststore,
        'the truststore password (KAFKA_SSL_TRUSTSTORE_CREDENTIALS)',
        pws.truststore,
      ),
    );
  }

  const layout: LayoutView = {
    caCert: caf.anchor,
    chain: [caf.bundle],
    storeType: 'PKCS12',
    files: confluentIdentityFiles,
  };
  const extra = emitSteps(cluster, layout, opts.emit ?? [], {
    outDir: opts.outDir ?? '.',
    deployment: opts.deployment ?? DEFAULT_DEPLOYMENT,
    passwords: pws,
  });
  // The layout writes the credentials files itself; the compose output names them and writes no second copy.
  steps.push(...extra.steps.filter((s) => !steps.some((t) => t.id === s.id)));

  const outputs: OutputFile[] = [
    ...caf.outputs,
    { path: f.caPem, private: true },
    ...cluster.identities.flatMap((who) => {
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
  ];
  for (const o of extra.outputs) if (!outputs.some((x) => x.path === o.path)) outputs.push(o);
  return {
    steps,
    outputs,
    scratch: [SCRATCH],
    usage: extra.usage,
    secretEnv: caf.keyPasswordEnv ? [caf.keyPasswordEnv] : [],
  };
}
