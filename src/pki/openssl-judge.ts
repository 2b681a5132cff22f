/**
 * OpenSSL's verdict on the broker certificates, as librdkafka, kcat, Python and Node clients judge them: `openssl
 * verify` on the PEM forms, with the purpose a TLS client checks (sslserver) at security level 2 (the default of
 * Debian's, Ubuntu's and RHEL's OpenSSL), and again with -x509_strict, the profile of Python 3.13's default context.
 * The names are checked by X509_check_host (servesSan). One process per truststore and profile, for every leaf.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { capture, type CaptureOptions } from '../runner/capture.js';
import { verifyLeavesArgs } from '../steps/read.js';
import type { Finding } from './rules.js';

export interface JudgedLeaf {
  /** The keystore the chain comes from. */
  readonly file: string;
  /** PEMs, the leaf first. */
  readonly chain: readonly string[];
}

export interface TrustSet {
  readonly file: string;
  readonly pems: readonly string[];
}

export type OpensslVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly errors: readonly string[] }
  /** openssl printed no verdict on it (it could not read its input): nothing was judged. */
  | { readonly ok: false; readonly unjudged: string };

/** PEM blocks one after another, each on lines of its own (a listing's block may lack its last newline). */
const pemFile = (pems: readonly string[]) => pems.map((p) => `${p.trim()}\n`).join('');

/**
 * `openssl verify` of each leaf against one trust set: ok, or openssl's own error lines. One process per leaf:
 * OpenSSL 1.1.1 prints a file's "verification failed" on stdout and the reasons on stderr, so that with several
 * files in one run no reading can tell whose reasons are whose.
 */
export async function opensslVerify(
  leaves: readonly JudgedLeaf[],
  trust: TrustSet,
  profile: 'default' | 'strict',
  scratch: string,
  opts: CaptureOptions,
): Promise<Map<string, OpensslVerdict>> {
  const dir = join(scratch, `${profile}-${trust.file.replace(/[^A-Za-z0-9.-]/g, '_')}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'trusted.pem'), pemFile(trust.pems));
  const verdicts = await Promise.all(
    leaves.map(async (l, i) => {
      const leaf = `leaf${i}.pem`;
      const untrusted = `untrusted${i}.pem`;
      await writeFile(join(dir, leaf), pemFile([l.chain[0]!]));
      // The chain the keystore holds: what the broker sends with its certificate.
      if (l.chain.length > 1) await writeFile(join(dir, untrusted), pemFile(l.chain.slice(1)));
      const args = verifyLeavesArgs({
        strict: profile === 'strict',
        trusted: 'trusted.pem',
        ...(l.chain.length > 1 ? { untrusted } : {}),
        leaves: [leaf],
      });
      const r = await capture('openssl', args, { ...opts, cwd: dir });
      return [l.file, parseVerify(r.ok, r.raw.stdout, r.raw.stderr, leaf)] as const;
    }),
  );
  return new Map(verdicts);
}

/**
 * One file's verdict: `NAME: OK`, or `error N at D depth lookup: WHY` lines and `error NAME: verification failed`
 * (OpenSSL 1.1.1 and 3.x alike); anything else is no verdict (openssl could not read its input).
 */
export function parseVerify(ok: boolean, stdout: string, stderr: string, name: string): OpensslVerdict {
  const lines = `${stderr}\n${stdout}`.split('\n').map((l) => l.trim());
  if (ok && lines.includes(`${name}: OK`)) return { ok: true };
  const errors = lines.flatMap((l) => /^error \d+ at \d+ depth lookup: ?(.*)$/.exec(l)?.[1] ?? []);
  if (errors.length > 0 && lines.includes(`error ${name}: verification failed`)) return { ok: false, errors };
  return { ok: false, unjudged: lastLine(stderr) || lastLine(stdout) || 'no output' };
}

/** What fixes a refusal, by OpenSSL's own words (X509_verify_cert_error_string, 1.1.1 and 3.x). */
export function opensslFix(said: string): string {
  for (const [re, fix] of OPENSSL_FIXES) if (re.test(said)) return fix;
  return 'kafka-mtls inspect shows each certificate';
}

const OPENSSL_FIXES: ReadonlyArray<[RegExp, string]> = [
  [/expired|not yet valid/, 'renew it (kafka-mtls apply --renew-before 30), or set the clock right'],
  [/too weak|key too small|digest/i, 'reissue it with a 2048-bit (or larger) key and SHA-256 (kafka-mtls apply)'],
  [/purpose|key usage/i, 'its keyUsage or extendedKeyUsage forbids a TLS server: reissue it (kafka-mtls apply)'],
  [/invalid CA|path length|not a CA|basic constraints/i, 'a certificate that signs others is not a CA: reissue'],
  [
    /issuer|self[- ]signed|signature failure|unable to get|untrusted/i,
    "the truststore does not hold the CA that signed it, or the chain does not verify: reissue it from the cluster's " +
      'CA (kafka-mtls apply), or import the CA that signed it',
  ],
];

function lastLine(s: string): string {
  return s.trim().split('\n').pop() ?? '';
}

const V1_WAY_OUT = 'the CA is X.509 v1: rotate to a v3 CA with kafka-mtls rotate-ca';

/** One finding per leaf refused, one for all those accepted; strict refusals are their own check. */
export function opensslFindings(
  verdicts: ReadonlyMap<string, OpensslVerdict>,
  trust: TrustSet,
  profile: 'default' | 'strict',
  v1Ca: boolean,
): Finding[] {
  const out: Finding[] = [];
  const check = profile === 'strict' ? 'strict clients' : 'chain (OpenSSL)';
  let good = 0;
  for (const [file, v] of verdicts) {
    if (v.ok) {
      good++;
      continue;
    }
    if ('unjudged' in v) {
      out.push({ status: 'fail', target: file, check, message: `openssl verify gave no verdict: ${v.unjudged}` });
      continue;
    }
    const said = v.errors.join('; ');
    if (profile === 'default') {
      out.push({
        status: 'fail',
        target: file,
        check,
        message:
          `OpenSSL clients trusting ${trust.file} (librdkafka, kcat, Python, Node) refuse it: ${said}; ` +
          opensslFix(said),
      });
      continue;
    }
    // The script's v1 CA is refused by the strict profile only for being v1: a way out exists without downtime.
    out.push({
      status: v1Ca ? 'warn' : 'fail',
      target: file,
      check,
      message:
        `strict clients (Python >= 3.13, openssl verify -x509_strict) trusting ${trust.file} will refuse it: ` +
        `${said}; ${v1Ca ? V1_WAY_OUT : 'reissue it (kafka-mtls apply)'}`,
    });
  }
  if (good > 0)
    out.push({
      status: 'pass',
      target: trust.file,
      check,
      message:
        profile === 'strict'
          ? `${good} broker certificate(s) pass openssl verify -x509_strict (Python >= 3.13's profile)`
          : `${good} broker certificate(s) verify with OpenSSL (purpose sslserver, security level 2)`,
    });
  return out;
}
