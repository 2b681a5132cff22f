import { resolve } from 'node:path';
import type { ExternalCa } from '../model/cluster.js';
import { UsageError } from '../errors.js';
import { readPassword } from '../options/params.js';
import { readBoundedText } from './read-file.js';
import { capture } from '../runner/capture.js';
import { Secret, type SecretEnv } from '../secrets.js';
import { parseCertText, pemBlocks, CERT_TEXT_ARGS, type CertInfo } from './x509.js';
import { MIN_RSA_BITS, sha1Signed, weakRsa } from './rules.js';

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

/** How errors name each input: the flags, or the config file's fields. */
export interface CaOptionNames {
  readonly cert: string;
  readonly key: string;
  readonly chain: string;
  readonly passwordEnv: string;
  readonly passwordFile: string;
}

export const CA_FLAGS: CaOptionNames = {
  cert: '--ca-cert',
  key: '--ca-key',
  chain: '--ca-chain',
  passwordEnv: '--ca-key-password-env',
  passwordFile: '--ca-key-password-file',
};

export async function loadExternalCa(
  raw: RawCaOptions,
  env: NodeJS.ProcessEnv,
  openssl: string,
  n: CaOptionNames = CA_FLAGS,
): Promise<{ external?: ExternalCa; keyPassword?: Secret; notAfter?: Date }> {
  if (raw.caCert === undefined && raw.caKey === undefined) {
    if (raw.caChain !== undefined) throw new UsageError(n.chain, `needs ${n.cert} and ${n.key}`);
    // The passphrase alone: apply signs with the directory's own encrypted ca.key.
    return { keyPassword: await keyPasswordOf(raw, env, n) };
  }
  if (raw.caCert === undefined)
    throw new UsageError(n.key, `needs ${n.cert}: the certificate of the CA whose key it is`);
  if (raw.caKey === undefined) throw new UsageError(n.cert, `needs ${n.key}: kafka-mtls signs with the CA's key`);
  const cert = resolve(raw.caCert);
  const key = resolve(raw.caKey);
  const chain = raw.caChain === undefined ? undefined : resolve(raw.caChain);
  const read = (option: string, file: string) => readBoundedText(file, { kind: 'pem', option });
  const [certText, keyText, chainText] = await Promise.all([
    read(n.cert, cert),
    read(n.key, key),
    chain ? read(n.chain, chain) : Promise.resolve(''),
  ]);

  const keyPassword = await keyPasswordOf(raw, env, n);
  const encrypted = /-----BEGIN (ENCRYPTED|RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED)/.test(keyText);
  if (encrypted && !keyPassword)
    throw new UsageError(n.key, `is encrypted: give its passphrase with ${n.passwordEnv} or ${n.passwordFile}`);

  // An unencrypted key is read with an empty passphrase: openssl must never stop to ask for one.
  const secrets: SecretEnv = { [CA_KEY_PASSWORD_ENV]: keyPassword ?? new Secret('CA key password', '') };
  const opts = { tools: { openssl, keytool: 'keytool' }, secrets, cwd: process.cwd() };
  const certPems = pemBlocks(certText);
  if (certPems.length !== 1)
    throw new UsageError(n.cert, `must hold exactly one PEM certificate; ${cert} holds ${certPems.length}`);
  const text = await capture('openssl', CERT_TEXT_ARGS, { ...opts, input: certPems[0] });
  if (!text.ok)
    throw new UsageError(n.cert, `is not a certificate openssl can read: ${text.stderr.trim().split('\n')[0]}`);
  const info = parseCertText(text.raw.stdout);
  if (!info.isCa)
    throw new UsageError(n.cert, `is not a CA certificate: ${info.subject} has no basicConstraints CA:TRUE`);
  if (!info.keyUsage.includes('Certificate Sign'))
    throw new UsageError(n.cert, `is not a CA certificate: ${info.subject}'s keyUsage does not allow keyCertSign`);
  if (info.notAfter.getTime() < Date.now())
    throw new UsageError(n.cert, `expired on ${info.notAfter.toISOString().slice(0, 10)}`);
  refuseWeak(n.cert, info);

  const pub = await capture('openssl', ['pkey', '-pubout', '-passin', `env:${CA_KEY_PASSWORD_ENV}`], {
    ...opts,
    input: keyText,
    secretEnv: [CA_KEY_PASSWORD_ENV],
  });
  if (!pub.ok)
    throw new UsageError(
      n.key,
      `openssl cannot read the key${keyPassword ? ' with that passphrase' : ''}: ${pub.stderr.trim().split('\n')[0]}`,
    );
  const certPub = await capture('openssl', ['x509', '-noout', '-pubkey'], { ...opts, input: certPems[0] });
  if (pub.raw.stdout.trim() !== certPub.raw.stdout.trim())
    throw new UsageError(n.key, `does not match ${n.cert}: its public key is not ${info.subject}'s`);

  const chainPems = pemBlocks(chainText).filter((p) => p.trim() !== certPems[0]!.trim());
  const selfSigned = info.subject === info.issuer;
  if (!selfSigned && chainPems.length === 0) {
    throw new UsageError(
      n.chain,
      `is needed: ${n.cert} is issued by ${info.issuer}; give the certificates above it, up to the root`,
    );
  }
  if (chainPems.length > 0) {
    const root = chainPems[chainPems.length - 1]!;
    const rootInfo = await capture('openssl', ['x509', '-noout', '-subject', '-issuer', '-nameopt', 'RFC2253'], {
      ...opts,
      input: root,
    });
    const [s, i] = rootInfo.raw.stdout.split('\n').map((l) => l.replace(/^(subject|issuer)=/, '').trim());
    if (!rootInfo.ok || s !== i) throw new UsageError(n.chain, 'must end with the root: a self-signed certificate');
    // Without -partial_chain, openssl verify accepts only a chain that reaches a self-signed root.
    const strict = await capture('openssl', ['verify', '-x509_strict', '-CAfile', chain!, cert], opts);
    if (!strict.ok)
      throw new UsageError(
        n.chain,
        `does not lead from ${n.cert} to its root: ${(strict.stdout + strict.stderr).trim().split('\n').pop()}`,
      );
    for (const pem of chainPems) {
      const above = await capture('openssl', CERT_TEXT_ARGS, { ...opts, input: pem });
      if (above.ok) refuseWeak(n.chain, parseCertText(above.raw.stdout));
    }
  }
  return {
    external: { cert, key, chain, certPem: certPems[0]!, chainPems, subject: info.subject, keyEncrypted: encrypted },
    keyPassword,
    notAfter: info.notAfter,
  };
}

/** What verify would fail in every chain this CA signs: refused before anything is made with it. */
function refuseWeak(option: string, c: CertInfo): void {
  if (weakRsa(c)) {
    throw new UsageError(
      option,
      `${c.subject} has an RSA ${c.keyBits}-bit key: at least ${MIN_RSA_BITS} bits are needed (Java refuses smaller keys, and verify fails them)`,
    );
  }
  if (sha1Signed(c)) {
    throw new UsageError(
      option,
      `${c.subject} is signed with ${c.signatureAlgorithm}: SHA-1 signatures are refused by current JDKs (and verify fails them)`,
    );
  }
}

async function keyPasswordOf(raw: RawCaOptions, env: NodeJS.ProcessEnv, n: CaOptionNames): Promise<Secret | undefined> {
  if (raw.caKeyPasswordEnv !== undefined && raw.caKeyPasswordFile !== undefined) {
    throw new UsageError(n.passwordEnv, `cannot be combined with ${n.passwordFile}`);
  }
  if (raw.caKeyPasswordEnv !== undefined) {
    const value = env[raw.caKeyPasswordEnv];
    if (!value) throw new UsageError(n.passwordEnv, `names ${raw.caKeyPasswordEnv}, which is not set`);
    return new Secret('CA key password', value);
  }
  if (raw.caKeyPasswordFile !== undefined) {
    return new Secret(
      'CA key password',
      (await readPassword(raw.caKeyPasswordFile, env, n.passwordFile)).secret.reveal(),
    );
  }
  return undefined;
}
