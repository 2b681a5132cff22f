import { randomBytes } from 'node:crypto';
import type { Identity } from './cluster.js';
import { Secret, type SecretEnv } from '../secrets.js';
import { keystorePasswordEnv, STORE_PASSWORD_ENV, TRUSTSTORE_PASSWORD_ENV } from './secret-names.js';

/**
 * Which password opens which store, by the environment variable that
 * carries it to openssl and keytool. By default one password opens every
 * store, as with the script; --generate-passwords gives each keystore its own
 * random password (its key has the same: PKCS12 has one) and the
 * truststores, which hold only certificates, one random password of theirs.
 */
export interface StorePasswords {
  readonly generated: boolean;
  keystore(who: Identity): string;
  readonly truststore: string;
}

export const SHARED_PASSWORD: StorePasswords = {
  generated: false,
  keystore: () => STORE_PASSWORD_ENV,
  truststore: STORE_PASSWORD_ENV,
};

export const GENERATED_PASSWORDS: StorePasswords = {
  generated: true,
  keystore: keystorePasswordEnv,
  truststore: TRUSTSTORE_PASSWORD_ENV,
};

/** 144 random bits as 24 URL-safe base64 characters: printable ASCII that no properties file or shell must escape. */
export function randomPassword(label: string): Secret {
  return new Secret(label, randomBytes(18).toString('base64url'));
}

/** A random password for each keystore and for the truststores, unless given (apply reads existing ones back). */
export function generateSecrets(identities: readonly Identity[], existing: SecretEnv = {}): Record<string, Secret> {
  const out: Record<string, Secret> = {};
  for (const who of identities) {
    const env = GENERATED_PASSWORDS.keystore(who);
    out[env] = existing[env] ?? randomPassword(`${who.alias} keystore password`);
  }
  out[TRUSTSTORE_PASSWORD_ENV] = existing[TRUSTSTORE_PASSWORD_ENV] ?? randomPassword('truststore password');
  return out;
}
