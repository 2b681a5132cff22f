import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ExternalCa } from './cluster.js';
import { UsageError } from './errors.js';
import { readPassword } from './params.js';
import { capture } from './runner/capture.js';
import { Secret, type SecretEnv } from './secrets.js';
import { parseCertText, pemBlocks, CERT_TEXT_ARGS } from './x509.js';

/**
 * Your own CA (`--ca-cert`, `--ca-key`, `--ca-chain`): read and checked with
 * openssl before anything is touched. A certificate that is not a CA, a key
 * that is not its key, or a chain that does not lead from it to a root is
 * refused with the option's name, exit 2.
 */

export const CA_KEY_PASSWORD_ENV = 'KAFKA_MTLS_CA_KEY_PASSWORD';

export interface RawCaOptions {
  caCert?: string;
  caKey?: string;
  caChain?: string;
  caKeyPasswordEnv?: string;
  caKeyPasswordFile?: string;
}

export async function loadExternalCa(
  raw: RawCaOptions,
  env: NodeJS.ProcessEnv,
  openssl: string,
): Promise<{ external?: ExternalCa; keyPassword?: Secret }> {
  if (raw.caCert === undefined && raw.caKey === undefined) {
    if (raw.caChain !== undefined) throw new UsageError('--ca-chain', 'needs --ca-cert and --ca-key');
    // The passphrase alone: apply signs with the directory's own encrypted ca.key.
    return { keyPassword: await keyPasswordOf(raw, env) };
  }
  if (raw.caCert === undefined) throw new UsageError('--ca-key', 'needs --ca-cert: the certificate of the CA whose key it is');
  if (raw.caKey === undefined) throw new UsageError('--ca-cert', 'needs --ca-key: kafka-mtls signs with the CA\'s key');
  const cert = resolve(raw.caCert);
  const key = resolve(raw.caKey);
  const chain = raw.caChain === undefined ? undefined : resolve(raw.caChain);
  const read = (option: string, file: string) =>
    readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new UsageError(option, `must be a readable file; ${file}: ${e.code ?? e.message}`);
    });
  const [certText, keyText, chainText] = await Promise.all([read('--ca-cert', cert), read('--ca-key', key), chain ? read('--ca-chain', chain) : Promise.resolve('')]);

  const keyPassword = await keyPasswordOf(raw, env);
  const encrypted = /-----BEGIN (ENCRYPTED|RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED)/.test(keyText);
  if (encrypted && !keyPassword) throw new UsageError('--ca-key', 'is encrypted: give its passphrase with --ca-key-password-env VAR or --ca-key-password-file FILE');

  // An unencrypted key is read with an empty passphrase: openssl must never stop to ask for one.
  const secrets: SecretEnv = { [CA_KEY_PASSWORD_ENV]: keyPassword ?? new Secret('CA key password', '') };
  const opts = { tools: { openssl, keytool: 'keytool' }, secrets, cwd: process.cwd() };
  const certPems = pemBlocks(certText);
  if (certPems.length !== 1) throw new UsageError('--ca-cert', `must hold exactly one PEM certificate; ${cert} holds ${certPems.length}`);
  const text = await capture('openssl', CERT_TEXT_ARGS, { ...opts, input: certPems[0] });
  if (!text.ok) throw new UsageError('--ca-cert', `is not a certificate openssl can read: ${text.stderr.trim().split('\n')[0]}`);
  const info = parseCertText(text.stdout);
  if (!info.isCa) throw new UsageError('--ca-cert', `is not a CA certificate: ${info.subject} has no basicConstraints CA:TRUE`);
  if (!info.keyUsage.includes('Certificate Sign')) throw new UsageError('--ca-cert', `is not a CA certificate: ${info.subject}'s keyUsage does not allow keyCertSign`);
  if (info.notAfter.getTime() < Date.now()) throw new UsageError('--ca-cert', `expired on ${info.notAfter.toISOString().slice(0, 10)}`);

  const pub = await capture('openssl', ['pkey', '-pubout', '-passin', `env:${CA_KEY_PASSWORD_ENV}`], { ...opts, input: keyText, secretEnv: [CA_KEY_PASSWORD_ENV] });
  if (!pub.ok) throw new UsageError(keyPassword ? '--ca-key/--ca-key-password-env' : '--ca-key', `openssl cannot read the key${keyPassword ? ' with that passphrase' : ''}: ${pub.stderr.trim().split('\n')[0]}`);
  const certPub = await capture('openssl', ['x509', '-noout', '-pubkey'], { ...opts, input: certPems[0] });
  if (pub.stdout.trim() !== certPub.stdout.trim()) throw new UsageError('--ca-key', `does not match --ca-cert: its public key is not ${info.subject}'s`);

  const chainPems = pemBlocks(chainText).filter((p) => p.trim() !== certPems[0]!.trim());
  const selfSigned = info.subject === info.issuer;
  if (!selfSigned && chainPems.length === 0) {
    throw new UsageError('--ca-chain', `is needed: --ca-cert is issued by ${info.issuer}; give the certificates above it, up to the root`);
  }
  if (chainPems.length > 0) {
    const root = chainPems[chainPems.length - 1]!;
    const rootInfo = await capture('openssl', ['x509', '-noout', '-subject', '-issuer', '-nameopt', 'RFC2253'], { ...opts, input: root });
    const [s, i] = rootInfo.stdout.split('\n').map((l) => l.replace(/^(subject|issuer)=/, '').trim());
    if (!rootInfo.ok || s !== i) throw new UsageError('--ca-chain', 'must end with the root: a self-signed certificate');
    // Without -partial_chain, openssl verify accepts only a chain that reaches a self-signed root.
    const strict = await capture('openssl', ['verify', '-x509_strict', '-CAfile', chain!, cert], opts);
    if (!strict.ok) throw new UsageError('--ca-chain', `does not lead from --ca-cert to its root: ${(strict.stdout + strict.stderr).trim().split('\n').pop()}`);
  }
  return {
    external: { cert, key, chain, certPem: certPems[0]!, chainPems, subject: info.subject, keyEncrypted: encrypted },
    keyPassword,
  };
}

async function keyPasswordOf(raw: RawCaOptions, env: NodeJS.ProcessEnv): Promise<Secret | undefined> {
  if (raw.caKeyPasswordEnv !== undefined && raw.caKeyPasswordFile !== undefined) {
    throw new UsageError('--ca-key-password-env', 'cannot be combined with --ca-key-password-file');
  }
  if (raw.caKeyPasswordEnv !== undefined) {
    const value = env[raw.caKeyPasswordEnv];
    if (!value) throw new UsageError('--ca-key-password-env', `names ${raw.caKeyPasswordEnv}, which is not set`);
    return new Secret('CA key password', value);
  }
  if (raw.caKeyPasswordFile !== undefined) {
    return new Secret('CA key password', (await readPassword(raw.caKeyPasswordFile, env, '--ca-key-password-file')).secret.reveal());
  }
  return undefined;
}
