/**
 * The CA's files against what the stores trust: ca.crt (and the confluent layout's ca.pem) must be the certificate
 * the truststores hold, byte for byte, not a CA of the same name; ca.key must be ca.crt's key. Read in-process.
 */
import { createPrivateKey, createPublicKey, type X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Secret } from '../secrets.js';
import type { ReadStore } from './read.js';
import type { Finding } from './rules.js';
import { parseX509, pemBlocks, signedBy } from './x509.js';

export async function caFileFindings(
  dir: string,
  files: { readonly cert: string; readonly key: string; readonly pem?: string },
  stores: { readonly truststores: readonly ReadStore[]; readonly keystores: readonly ReadStore[] },
  passphrase: Secret | undefined,
): Promise<Finding[]> {
  const { truststores } = stores;
  // Your own issuing CA sits under a root the truststores hold: it is trusted through the chains the keystores carry.
  const pool = [...truststores, ...stores.keystores]
    .flatMap((st) => st.entries.flatMap((e) => e.certs))
    .map((c) => parsePem(c.pem));
  const known = pool.filter((x): x is X509Certificate => x !== undefined);
  const out: Finding[] = [];
  const certPem = await readIf(join(dir, files.cert));
  const cert = certPem ? parsePem(pemBlocks(certPem)[0]) : undefined;
  if (!cert) return out;
  const opened = truststores.filter((t) => t.opened);
  const matchFinding = (file: string, x: X509Certificate): Finding => {
    const missing = opened.filter((t) => !trustedBy(x, t, known));
    return missing.length === 0
      ? {
          status: 'pass',
          target: file,
          check: 'is the trusted CA',
          message: `a CA ${opened.length} truststore(s) trust`,
        }
      : {
          status: 'fail',
          target: file,
          check: 'is the trusted CA',
          message:
            `not a CA that ${missing.map((t) => t.name ?? t.path).join(', ')} ` +
            `trust${missing.length === 1 ? 's' : ''} (compared by fingerprint and signature; a CA of the same ` +
            'name is another CA): what is signed with it will not be trusted; restore the CA from a backup ' +
            'or rotate with kafka-mtls rotate-ca',
        };
  };
  if (opened.length > 0) out.push(matchFinding(files.cert, cert));
  if (files.pem) {
    const pem = await readIf(join(dir, files.pem));
    const x = pem ? parsePem(pemBlocks(pem)[0]) : undefined;
    if (x && opened.length > 0) out.push(matchFinding(files.pem, x));
  }
  const keyPem = await readIf(join(dir, files.key));
  if (keyPem) out.push(keyFinding(files.key, files.cert, keyPem, cert, passphrase));
  return out;
}

function keyFinding(keyFile: string, certFile: string, pem: string, cert: X509Certificate, pass?: Secret): Finding {
  let key;
  try {
    key = createPrivateKey({ key: pem, passphrase: pass?.reveal() });
  } catch (e) {
    // Your own CA's key is encrypted with a passphrase of its own, which verify is not given.
    const encrypted = /ENCRYPTED/.test(pem) || /decrypt|passphrase/i.test((e as Error).message);
    return {
      status: 'warn',
      target: keyFile,
      check: 'key matches',
      message: encrypted
        ? 'not checked: the key is encrypted with a passphrase verify does not have'
        : `not checked: the key cannot be read (${(e as Error).message.split('\n')[0]})`,
    };
  }
  return createPublicKey(key).equals(cert.publicKey)
    ? { status: 'pass', target: keyFile, check: 'key matches', message: `the private key of ${certFile}` }
    : {
        status: 'fail',
        target: keyFile,
        check: 'key matches',
        message:
          `not the key of ${certFile}: leaves signed with it will not chain to the CA; ` +
          'restore the pair from a backup',
      };
}

/** Whether a truststore holds the certificate, or a CA above it that signed it (through `known`, by signature). */
function trustedBy(cert: X509Certificate, ts: ReadStore, known: readonly X509Certificate[]): boolean {
  const anchors = ts.entries
    .filter((e) => e.entryType === 'trustedCertEntry')
    .map((e) => parsePem(e.certs[0]?.pem))
    .filter((x): x is X509Certificate => x !== undefined);
  let cur: X509Certificate | undefined = cert;
  for (let depth = 0; cur && depth < 8; depth++) {
    const c: X509Certificate = cur;
    if (anchors.some((a) => a.fingerprint256 === c.fingerprint256 || signedBy(c, a))) return true;
    cur = known.find((k) => k.fingerprint256 !== c.fingerprint256 && signedBy(c, k));
  }
  return false;
}

/** The certificate of a PEM block, where there is one Node can parse. */
const parsePem = (pem: string | undefined) => (pem ? parseX509(pem) : undefined);

async function readIf(path: string): Promise<string | undefined> {
  return existsSync(path) ? readFile(path, 'utf8').catch(() => undefined) : undefined;
}
