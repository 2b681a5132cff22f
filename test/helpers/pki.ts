import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Facts about a certificate as openssl reads them: what parity compares. */
export interface CertFacts {
  readonly subject: string;
  readonly issuer: string;
  readonly sans: string[];
  readonly keyUsage: string;
  readonly extKeyUsage: string;
  readonly keyBits: number;
  readonly validityDays: number;
  readonly version: number;
  readonly serialBits: number;
}

async function openssl(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await execa('openssl', args, { env: { LC_ALL: 'C', ...env }, reject: false });
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  return String(r.stdout);
}

export async function certFacts(path: string): Promise<CertFacts> {
  const text = await openssl(['x509', '-in', path, '-noout', '-text', '-nameopt', 'RFC2253']);
  const subject = (await openssl(['x509', '-in', path, '-noout', '-subject', '-nameopt', 'RFC2253']))
    .replace(/^subject=/, '')
    .trim();
  const issuer = (await openssl(['x509', '-in', path, '-noout', '-issuer', '-nameopt', 'RFC2253']))
    .replace(/^issuer=/, '')
    .trim();
  const after = (label: string) => {
    const m = new RegExp(`${label}:.*\\n\\s+(.*)`).exec(text);
    return m ? m[1]!.trim() : '';
  };
  const dates = await openssl(['x509', '-in', path, '-noout', '-startdate', '-enddate']);
  const start = Date.parse(/notBefore=(.*)/.exec(dates)![1]!);
  const end = Date.parse(/notAfter=(.*)/.exec(dates)![1]!);
  const serialHex = (await openssl(['x509', '-in', path, '-noout', '-serial'])).replace(/^serial=/, '').trim();
  return {
    subject,
    issuer,
    sans: after('X509v3 Subject Alternative Name').split(', ').filter(Boolean),
    keyUsage: after('X509v3 Key Usage'),
    extKeyUsage: after('X509v3 Extended Key Usage'),
    keyBits: Number(/Public-Key: \((\d+) bit\)/.exec(text)![1]),
    validityDays: Math.round((end - start) / 86_400_000),
    version: Number(/Version: (\d+)/.exec(text)![1]),
    serialBits: BigInt(`0x${serialHex}`).toString(2).length,
  };
}

/** `openssl verify` of a leaf against a CA: true when it prints OK. */
export async function verifies(ca: string, cert: string): Promise<boolean> {
  const r = await execa('openssl', ['verify', '-CAfile', ca, cert], { reject: false });
  return r.exitCode === 0 && String(r.stdout).trim().endsWith(': OK');
}

export interface ListedEntry {
  alias: string;
  entryType: string;
  chainLength: number;
}

/** Opens a store with keytool (password through the environment) and lists its entries. */
export async function listStore(
  path: string,
  password: string,
  keytool = 'keytool',
): Promise<{ type: string; entries: ListedEntry[] }> {
  const r = await execa(
    keytool,
    ['-J-Duser.language=en', '-list', '-v', '-keystore', path, '-storepass:env', 'KMTLS_TEST_PW'],
    {
      env: { KMTLS_TEST_PW: password },
      reject: false,
    },
  );
  if (r.exitCode !== 0) throw new Error(`keytool -list ${path} failed: ${r.stdout}${r.stderr}`);
  const out = String(r.stdout);
  const type = /Keystore type: (\S+)/.exec(out)![1]!;
  const entries = out
    .split(/^Alias name: /m)
    .slice(1)
    .map((b) => ({
      alias: b.slice(0, b.indexOf('\n')).trim(),
      entryType: /Entry type: (\S+)/.exec(b)![1]!,
      chainLength: Number(/Certificate chain length: (\d+)/.exec(b)?.[1] ?? 1),
    }))
    .sort((a, b) => a.alias.localeCompare(b.alias));
  return { type, entries };
}

/** An openssl config for a CA of one's own: a root (-extensions root), an issuing CA under it, and a leaf that is no CA. */
export const OWN_CA_CNF = `[req]
prompt = no
distinguished_name = dn
x509_extensions = root
[dn]
O = Acme
CN = Acme Root CA
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[issuing]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[notca]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
`;

/**
 * An operator's PKI in dir: a root (root.key, root.crt) and an issuing CA under it (issuing.key encrypted with
 * the passphrase in env.ISSUING_PW, issuing.csr, issuing.crt), made with OWN_CA_CNF as pki.cnf. Returns the
 * openssl runner it used, for further certificates from the same files.
 */
export async function makeIssuingPki(
  dir: string,
  env: Record<string, string>,
  issuing: { readonly cn: string; readonly serial: string },
): Promise<(args: string[]) => Promise<unknown>> {
  const o = (args: string[]) => execa('openssl', args, { cwd: dir, env });
  await writeFile(join(dir, 'pki.cnf'), OWN_CA_CNF);
  await o(
    ['req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.crt'].concat([
      '-days',
      '3700',
      '-config',
      'pki.cnf',
    ]),
  );
  await o(
    ['req', '-new', '-newkey', 'rsa:2048', '-keyout', 'issuing.key', '-out', 'issuing.csr'].concat([
      '-subj',
      `/O=Acme/CN=${issuing.cn}`,
      '-passout',
      'env:ISSUING_PW',
    ]),
  );
  await o(
    ['x509', '-req', '-in', 'issuing.csr', '-CA', 'root.crt', '-CAkey', 'root.key', '-out', 'issuing.crt'].concat([
      '-days',
      '3650',
      '-extfile',
      'pki.cnf',
      '-extensions',
      'issuing',
      '-set_serial',
      issuing.serial,
    ]),
  );
  return o;
}

/** A self-signed CA made by openssl req -x509 (an RSA-2048 key, no passphrase), its key and certificate in `dir`. */
export async function makeSelfSignedCa(
  dir: string,
  o: { readonly cn: string; readonly key: string; readonly cert: string; readonly days: number },
): Promise<void> {
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', o.key, '-out', o.cert];
  await execa('openssl', [...args, '-subj', `/CN=${o.cn}`, '-days', String(o.days)], { cwd: dir });
}
