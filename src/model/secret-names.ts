/**
 * Every environment variable that carries a secret, by name: the user's (PASSWORD, as mtls-kafka.sh reads it) and
 * those kafka-mtls sets for its children (openssl's -passin env:, keytool's -storepass:env, the JVM judge's). And
 * where a secret came from, as the options found it: the warnings, the refusals and the --dry-run script read it
 * from there instead of working it out again.
 */
import type { Identity } from './cluster.js';

/** The script's variable for the one store password. */
export const PASSWORD_VARIABLE = 'PASSWORD';
/** The variable that carries the one store password of the default to openssl and keytool. */
export const STORE_PASSWORD_ENV = 'KAFKA_MTLS_STORE_PASSWORD';
/** --generate-passwords: the truststores' one random password, and each keystore's own. */
export const TRUSTSTORE_PASSWORD_ENV = 'KAFKA_MTLS_TRUSTSTORE_PASSWORD';
export const keystorePasswordEnv = (who: Pick<Identity, 'id'>): string =>
  `KAFKA_MTLS_KEYSTORE_PASSWORD_${who.id.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`;
/** The variable that gives openssl your own CA key's passphrase: never on a command line. */
export const CA_KEY_PASSWORD_ENV = 'KAFKA_MTLS_CA_KEY_PASSWORD';
/** The JVM judge's n-th store or key password (pki/judge.ts). */
export const judgeSecretEnv = (n: number): string => `KAFKA_MTLS_JUDGE_${n}`;

/** Where a secret came from, as the options found it. */
export type SecretSource =
  /** A variable: PASSWORD, or the one a config file's password.env or --ca-key-password-env names. */
  | { readonly kind: 'env'; readonly variable: string; readonly option?: string }
  /** A file: --password-file, --ca-key-password-file, or a config file's password.file (path as read). */
  | { readonly kind: 'file'; readonly path: string; readonly option: string }
  /** PASSWORD unset and no file given: the script's default password. */
  | { readonly kind: 'default' }
  /** A random password made for this run (--generate-passwords). */
  | { readonly kind: 'generated' };

/** A source as messages name it: `PASSWORD`, `--password-file pw.txt`, `PW (password.env of kafka.yaml)`. */
export function sourceLabel(s: SecretSource): string {
  switch (s.kind) {
    case 'env':
      return s.option ? `${s.variable} (${s.option})` : s.variable;
    case 'file':
      return `${s.option} ${s.path}`;
    case 'default':
      return PASSWORD_VARIABLE;
    case 'generated':
      return '--generate-passwords';
  }
}
