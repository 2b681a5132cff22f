/** Your own CA, checked with openssl before anything is made with it: a CA, its key, its chain, its dates. */
import type { ExternalCa } from '../model/cluster.js';
import { CA_KEY_PASSWORD_ENV } from '../model/secret-names.js';
import { UsageError } from '../errors.js';
import { capture, type CaptureOptions } from '../runner/capture.js';
import { Secret } from '../secrets.js';
import {
  certPublicKeyArgs,
  certSubjectIssuerArgs,
  certTextArgs,
  keyPublicArgs,
  verifyOwnChainArgs,
} from '../steps/read.js';
import { parseCertText, pemBlocks, type CertInfo } from './x509.js';
import { MIN_RSA_BITS, sha1Signed, weakRsa } from './rules.js';
import { OUTLIVE } from '../model/rules.js';

/*
 * A certificate that is not a CA, a key that is not its key, or a chain that does not lead from it to a root is
 * refused with the option's name, exit 2. The options themselves are read by options/own-ca.ts, which starts no
 * process; the commands call checkOwnCa once they are parsed.
 */

/** How errors name each input: the flags, or the config file's fields. */
export interface CaOptionNames {
  readonly cert: string;
  readonly key: string;
  readonly chain: string;
  readonly passwordEnv: string;
  readonly passwordFile: string;
}

/** Your own CA's files as the options gave them, read (bounded) but not yet checked. */
export interface OwnCaFiles {
  /** Absolute paths. */
  readonly cert: string;
  readonly key: string;
  readonly chain?: string;
  readonly certText: string;
  readonly keyText: string;
  /** Empty without a chain. */
  readonly chainText: string;
  readonly keyPassword?: Secret;
  readonly keyEncrypted: boolean;
  readonly names: CaOptionNames;
  /** The leaves' validity, which must end with the CA's at the latest, and the option (or field) that set it. */
  readonly leafValidity: { readonly days: number; readonly option: string };
}

/** The CA to sign with, once openssl has found it fit; UsageError naming the option otherwise. */
export async function checkOwnCa(
  files: OwnCaFiles,
  openssl: string,
  signal: AbortSignal | undefined,
): Promise<ExternalCa> {
  const n = files.names;
  // An unencrypted key is read with an empty passphrase: openssl must never stop to ask for one.
  const opts: CaptureOptions = {
    tools: { openssl, keytool: 'keytool' },
    secrets: { [CA_KEY_PASSWORD_ENV]: files.keyPassword ?? new Secret('CA key password', '') },
    cwd: process.cwd(),
    signal,
  };
  const certPems = pemBlocks(files.certText);
  if (certPems.length !== 1)
    throw new UsageError(n.cert, `must hold exactly one PEM certificate; ${files.cert} holds ${certPems.length}`);
  const certPem = certPems[0]!;
  const info = await checkCaCert(certPem, n, opts);
  await checkKeyMatches(files, certPem, info, opts);
  const chainPems = pemBlocks(files.chainText).filter((p) => p.trim() !== certPem.trim());
  await checkChain(files, chainPems, info, opts);
  leavesWithin(info.notAfter, files.leafValidity.days, files.leafValidity.option);
  const { cert, key, chain, keyEncrypted } = files;
  return { cert, key, chain, certPem, chainPems, subject: info.subject, keyEncrypted };
}

async function checkCaCert(pem: string, n: CaOptionNames, opts: CaptureOptions): Promise<CertInfo> {
  const text = await capture('openssl', certTextArgs(), { ...opts, input: pem });
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
  return info;
}

async function checkKeyMatches(files: OwnCaFiles, certPem: string, info: CertInfo, opts: CaptureOptions) {
  const n = files.names;
  const pub = await capture('openssl', keyPublicArgs(CA_KEY_PASSWORD_ENV), {
    ...opts,
    input: files.keyText,
    secretEnv: [CA_KEY_PASSWORD_ENV],
  });
  if (!pub.ok)
    throw new UsageError(
      n.key,
      `openssl cannot read the key${files.keyPassword ? ' with that passphrase' : ''}: ` +
        pub.stderr.trim().split('\n')[0],
    );
  const certPub = await capture('openssl', certPublicKeyArgs(), { ...opts, input: certPem });
  if (pub.raw.stdout.trim() !== certPub.raw.stdout.trim())
    throw new UsageError(n.key, `does not match ${n.cert}: its public key is not ${info.subject}'s`);
}

/** An intermediate needs the certificates above it, ending with a self-signed root, and none of them weak. */
async function checkChain(files: OwnCaFiles, chainPems: string[], info: CertInfo, opts: CaptureOptions) {
  const n = files.names;
  const selfSigned = info.subject === info.issuer;
  if (!selfSigned && chainPems.length === 0) {
    throw new UsageError(
      n.chain,
      `is needed: ${n.cert} is issued by ${info.issuer}; give the certificates above it, up to the root`,
    );
  }
  if (chainPems.length === 0) return;
  const root = chainPems[chainPems.length - 1]!;
  const rootInfo = await capture('openssl', certSubjectIssuerArgs(), { ...opts, input: root });
  const [s, i] = rootInfo.raw.stdout.split('\n').map((l) => l.replace(/^(subject|issuer)=/, '').trim());
  if (!rootInfo.ok || s !== i) throw new UsageError(n.chain, 'must end with the root: a self-signed certificate');
  const strict = await capture('openssl', verifyOwnChainArgs(files.chain!, files.cert), opts);
  if (!strict.ok)
    throw new UsageError(
      n.chain,
      `does not lead from ${n.cert} to its root: ${(strict.stdout + strict.stderr).trim().split('\n').pop()}`,
    );
  for (const pem of chainPems) {
    const above = await capture('openssl', certTextArgs(), { ...opts, input: pem });
    if (above.ok) refuseWeak(n.chain, parseCertText(above.raw.stdout));
  }
}

/** What verify would fail in every chain this CA signs: refused before anything is made with it. */
function refuseWeak(option: string, c: CertInfo): void {
  if (weakRsa(c)) {
    throw new UsageError(
      option,
      `${c.subject} has an RSA ${c.keyBits}-bit key: at least ${MIN_RSA_BITS} bits are needed ` +
        '(Java refuses smaller keys, and verify fails them)',
    );
  }
  if (sha1Signed(c)) {
    throw new UsageError(
      option,
      `${c.subject} is signed with ${c.signatureAlgorithm}: SHA-1 signatures are refused by current JDKs ` +
        '(and verify fails them)',
    );
  }
}

/**
 * Leaves signed by your own CA must expire with it at the latest: refused, not
 * shortened behind your back, with the longest validity that fits.
 */
function leavesWithin(caNotAfter: Date, days: number, option: string): void {
  const fits = Math.floor((caNotAfter.getTime() - Date.now()) / 86_400_000);
  if (days > fits) {
    const expires = caNotAfter.toISOString().slice(0, 10);
    throw new UsageError(
      option,
      `must be at most ${fits} days: your CA (--ca-cert) expires on ${expires}, and ${OUTLIVE}; got ${days}`,
    );
  }
}
