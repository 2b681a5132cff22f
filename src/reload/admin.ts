/**
 * The admin client's settings for kafka-configs: the user's --command-config, or a file written for the run (0600
 * in a private 0700 directory, removed when the run ends) from the directory's first broker keystore and its
 * truststore, by path: the same paths hold the old stores before the swap and the new ones after it, and the
 * brokers, which are super users, trust both at each moment of a renewal or a rotation phase.
 */
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Identity } from '../model/cluster.js';
import { brokerStores, type Layout } from '../model/layouts.js';
import { GENERATED_PASSWORDS } from '../model/passwords.js';
import { storeType } from '../pki/read.js';
import { atExit } from '../runner/at-exit.js';
import { propertiesEscape } from '../runner/runner.js';
import { scratchDir } from '../runner/scratch.js';
import type { Secret, SecretEnv } from '../secrets.js';

/** The passwords that open a broker's stores: the one shared password, or its own and the truststores'. */
export interface BrokerSecrets {
  readonly generated: boolean;
  readonly password: Secret;
  readonly secrets: SecretEnv;
}

export function passwordsOf(who: Identity, s: BrokerSecrets): { keystore?: Secret; truststore?: Secret } {
  if (!s.generated) return { keystore: s.password, truststore: s.password };
  return {
    keystore: s.secrets[GENERATED_PASSWORDS.keystore(who)],
    truststore: s.secrets[GENERATED_PASSWORDS.truststore],
  };
}

export interface AdminSettings {
  readonly path: string;
  /** Who the admin client is, for the report. */
  readonly identity: string;
  /** What the file holds that must never be printed (redacted from kafka-configs' output). */
  readonly secrets: SecretEnv;
  /** Removes a written file and its directory; nothing for the user's own. */
  readonly cleanup: () => Promise<void>;
}

export async function adminSettings(
  given: string | undefined,
  dir: string,
  who: Identity,
  layout: Layout,
  passwords: BrokerSecrets,
): Promise<AdminSettings> {
  if (given !== undefined)
    return { path: resolve(given), identity: `the settings in ${given}`, secrets: {}, cleanup: async () => {} };
  const scratch = await scratchDir({ unsafeCleanup: true, prefix: 'kafka-mtls-reload-' });
  // Removed at exit too: a run that fails between the pre-flight and the swap still leaves no password behind.
  const forget = atExit(() => rmSync(scratch.path, { recursive: true, force: true }));
  const f = brokerStores(layout, who);
  const pw = passwordsOf(who, passwords);
  const keystore = resolve(dir, f.keystore);
  const truststore = resolve(dir, f.truststore);
  const lines = [
    '# written by kafka-mtls for one reload, removed after it',
    'security.protocol=SSL',
    `ssl.keystore.location=${propertiesEscape(keystore)}`,
    `ssl.keystore.type=${await storeType(keystore)}`,
    ...(pw.keystore ? [`ssl.keystore.password=${propertiesEscape(pw.keystore.reveal())}`] : []),
    ...(pw.keystore ? [`ssl.key.password=${propertiesEscape(pw.keystore.reveal())}`] : []),
    `ssl.truststore.location=${propertiesEscape(truststore)}`,
    `ssl.truststore.type=${await storeType(truststore)}`,
    ...(pw.truststore ? [`ssl.truststore.password=${propertiesEscape(pw.truststore.reveal())}`] : []),
  ];
  const path = join(scratch.path, 'admin.properties');
  await writeFile(path, lines.join('\n') + '\n', { mode: 0o600 });
  const secrets: Record<string, Secret> = {};
  if (pw.keystore) secrets.KEYSTORE = pw.keystore;
  if (pw.truststore) secrets.TRUSTSTORE = pw.truststore;
  return {
    path,
    identity: `${who.alias}'s keystore (a broker: brokers are super users)`,
    secrets,
    cleanup: async () => {
      await scratch.cleanup();
      forget();
    },
  };
}
