/** The options naming your own CA (flags, or a config file's ca fields): combined, read, never run through openssl. */
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { Secret } from '../secrets.js';
import { readBoundedText } from '../pki/read-file.js';
import type { CaOptionNames, OwnCaFiles } from '../pki/own-ca.js';
import { readPassword } from './password.js';
import type { SecretSource } from '../model/secret-names.js';

/*
 * What openssl says of the files (a CA, its key, its chain) is asked by pki/own-ca.ts's checkOwnCa, which the
 * commands call once every option has passed: reading options starts no process.
 */

export interface RawCaOptions {
  caCert?: string;
  caKey?: string;
  caChain?: string;
  caKeyPasswordEnv?: string;
  caKeyPasswordFile?: string;
}

export const CA_FLAGS: CaOptionNames = {
  cert: '--ca-cert',
  key: '--ca-key',
  chain: '--ca-chain',
  passwordEnv: '--ca-key-password-env',
  passwordFile: '--ca-key-password-file',
};

/** The config file's fields, as errors name them. */
export function configCaNames(file: string): CaOptionNames {
  const at = (field: string) => `--config ${file}: ca.${field}`;
  return {
    cert: at('cert'),
    key: at('key'),
    chain: at('chain'),
    passwordEnv: at('keyPassword.env'),
    passwordFile: at('keyPassword.file'),
  };
}

/** Your own CA's files and passphrase; the passphrase alone when only it is given (a directory's encrypted ca.key). */
export interface OwnCaOptions {
  readonly files?: Omit<OwnCaFiles, 'leafValidity'>;
  readonly keyPassword?: Secret;
  /** Where the passphrase came from: the variable or the file named. */
  readonly keyPasswordSource?: SecretSource;
}

export async function readOwnCaOptions(
  raw: RawCaOptions,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
  n: CaOptionNames = CA_FLAGS,
): Promise<OwnCaOptions> {
  if (raw.caCert === undefined && raw.caKey === undefined) {
    if (raw.caChain !== undefined) throw new UsageError(n.chain, `needs ${n.cert} and ${n.key}`);
    return await keyPasswordOf(raw, env, signal, n);
  }
  if (raw.caCert === undefined)
    throw new UsageError(n.key, `needs ${n.cert}: the certificate of the CA whose key it is`);
  if (raw.caKey === undefined) throw new UsageError(n.cert, `needs ${n.key}: kafka-mtls signs with the CA's key`);
  const cert = resolve(raw.caCert);
  const key = resolve(raw.caKey);
  const chain = raw.caChain === undefined ? undefined : resolve(raw.caChain);
  const read = (option: string, file: string) => readBoundedText(file, { kind: 'pem', option, signal });
  const [certText, keyText, chainText] = await Promise.all([
    read(n.cert, cert),
    read(n.key, key),
    chain ? read(n.chain, chain) : Promise.resolve(''),
  ]);

  const { keyPassword, keyPasswordSource } = await keyPasswordOf(raw, env, signal, n);
  const keyEncrypted = /-----BEGIN (ENCRYPTED|RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED)/.test(keyText);
  if (keyEncrypted && !keyPassword)
    throw new UsageError(n.key, `is encrypted: give its passphrase with ${n.passwordEnv} or ${n.passwordFile}`);
  return {
    files: { cert, key, chain, certText, keyText, chainText, keyPassword, keyEncrypted, names: n },
    keyPassword,
    keyPasswordSource,
  };
}

async function keyPasswordOf(
  raw: RawCaOptions,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
  n: CaOptionNames,
): Promise<OwnCaOptions> {
  if (raw.caKeyPasswordEnv !== undefined && raw.caKeyPasswordFile !== undefined) {
    throw new UsageError(n.passwordEnv, `cannot be combined with ${n.passwordFile}`);
  }
  if (raw.caKeyPasswordEnv !== undefined) {
    const value = env[raw.caKeyPasswordEnv];
    if (!value) throw new UsageError(n.passwordEnv, `names ${raw.caKeyPasswordEnv}, which is not set`);
    return {
      keyPassword: new Secret('CA key password', value),
      keyPasswordSource: { kind: 'env', variable: raw.caKeyPasswordEnv, option: n.passwordEnv },
    };
  }
  if (raw.caKeyPasswordFile !== undefined) {
    const { secret, source } = await readPassword(raw.caKeyPasswordFile, env, signal, n.passwordFile);
    return { keyPassword: new Secret('CA key password', secret.reveal()), keyPasswordSource: source };
  }
  return {};
}
