import type { Identity } from './cluster.js';
import { confluentFiles, confluentIdentityFiles } from '../plans/confluent.js';
import { dropInFiles } from '../plans/dropin.js';
import { flatCreds, type CredsFiles } from '../plans/emits.js';

/** dropin: the files of mtls-kafka.sh; confluent: the write-up's PKCS12 flow, a <name>-creds directory each. */
export type Layout = 'dropin' | 'confluent';
export const LAYOUTS: readonly Layout[] = ['dropin', 'confluent'];

/** Where each layout keeps the files a later run reads back: the CA, each identity's certificate, and what belongs to an identity. */
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
    return {
      caCert: confluentFiles.caCert,
      caKey: confluentFiles.caKey,
      cert: (who) => confluentIdentityFiles(who).cert,
      keystore: (who) => confluentIdentityFiles(who).keystore,
      owned: (who) => [
        confluentFiles.dir(who),
        `kubernetes/${who.alias}-stores.yaml`,
        `kubernetes/${who.alias}-tls.yaml`,
      ],
      creds: (who) => confluentIdentityFiles(who).creds!,
    };
  }
  const f = dropInFiles;
  return {
    caCert: f.caCert,
    caKey: f.caKey,
    cert: (who) => f.signed(who),
    keystore: (who) => f.keystore(who),
    owned: (who) => [
      f.keystore(who),
      f.csr(who),
      f.ext(who),
      f.signed(who),
      `${who.alias}.chain.pem`,
      `${who.alias}.key.pem`,
      `${who.alias}.server.properties`,
      `${who.alias}.client.properties`,
      `${who.alias}_keystore_creds`,
      `${who.alias}_sslkey_creds`,
      `${who.alias}_truststore_creds`,
      `kubernetes/${who.alias}-stores.yaml`,
      `kubernetes/${who.alias}-tls.yaml`,
      `${who.alias}.credentials.properties`,
    ],
    creds: (who) => flatCreds(who),
  };
}
