import { execa } from 'execa';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The corpus's building blocks, each one openssl or keytool command: keys and requests, certificates signed by
 * `openssl ca` (it alone takes start and end dates, a digest and an extensions file as given, adding nothing),
 * PKCS12 keystores and truststores. Passwords go by environment variable (`-passout env:PW`,
 * `-storepass:env PW`), never in argv.
 */

export const CA_SUBJ =
  '/C=KR/ST=SEOUL/L=Confluent/O=Organization/OU=OrganizationUnit/CN=Kafka-Security-CA/emailAddress=my@email.com';
export const leafSubj = (cn: string) => `/C=KR/ST=Seoul/L=Confluent/O=Organization/OU=OrganizationUnit/CN=${cn}`;
export const brokerCn = (i: number) => `mtls-kafka-${i}.mtls-kafka-headless`;
/** The name a client connects to broker i by: its StatefulSet pod's full DNS name. */
export const brokerHost = (i: number) => `mtls-kafka-${i}.mtls-kafka-headless.axplatform.svc.cluster.local`;
/** The SANs generate (and the script) give broker i. */
export const brokerSans = (i: number) => [
  `DNS:${brokerHost(i)}`,
  `DNS:${brokerCn(i)}`,
  `DNS:${brokerCn(i)}.axplatform`,
  'DNS:mtls-kafka.mtls-kafka-headless',
  'DNS:mtls-kafka',
];
export const CLIENT = 'mtls-kafka-client';

/** A certificate and its private key, as PEM files. */
export interface Pem {
  readonly crt: string;
  readonly key: string;
}

/** Runs a tool; a failure throws with its stderr first. Passwords travel in env, so the message holds none. */
export async function tool(
  cmd: string,
  args: string[],
  o: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const r = await execa(cmd, args, { cwd: o.cwd, env: { LC_ALL: 'C', ...o.env }, reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`${r.stderr}\n${r.stdout}\n(exit ${r.exitCode}): ${cmd} ${args.join(' ')}`);
  return String(r.stdout);
}

/** A leaf's extensions, as generate writes them (ext0.cnf) unless told otherwise. */
export function leafExt(o: { sans: string[]; bc?: string; ku?: string; eku?: string; akid?: boolean }): string {
  return [
    `basicConstraints = ${o.bc ?? 'CA:FALSE'}`,
    'subjectKeyIdentifier = hash',
    // none: openssl ca (3.0) adds an Authority Key Identifier by default, even when the extfile names none.
    `authorityKeyIdentifier = ${o.akid === false ? 'none' : 'keyid,issuer'}`,
    `keyUsage = ${o.ku ?? 'critical, digitalSignature, keyEncipherment'}`,
    `extendedKeyUsage = ${o.eku ?? 'clientAuth, serverAuth'}`,
    `subjectAltName = ${o.sans.join(', ')}`,
  ].join('\n');
}

/** A CA's extensions, as generate writes them (openssl.cnf's v3_ca) unless told otherwise. */
export function caExt(o: { bc?: string; ku?: string | null; skid?: string } = {}): string {
  return [
    `basicConstraints = ${o.bc ?? 'critical, CA:TRUE'}`,
    ...(o.ku === null ? [] : [`keyUsage = ${o.ku ?? 'critical, keyCertSign, cRLSign'}`]),
    `subjectKeyIdentifier = ${o.skid ?? 'hash'}`,
    'authorityKeyIdentifier = keyid:always',
  ].join('\n');
}

// policy: every subject field optional but the CN, so that -preserveDN keeps the request's subject whole.
const CA_CNF = `[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
rand_serial = yes
default_md = sha256
default_days = 730
unique_subject = no
email_in_dn = yes
policy = p
[p]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
emailAddress = optional
`;

/** A fresh working directory under dir, for one command's scratch files. */
const scratch = (dir: string) => mkdtemp(join(dir, 'w-'));

/** A new RSA key and a request for subj; returns their paths. */
export async function newRequest(dir: string, subj: string, bits = 2048): Promise<{ key: string; csr: string }> {
  const w = await scratch(dir);
  const key = join(w, 'k.pem');
  const csr = join(w, 'r.csr');
  await tool('openssl', [
    'req',
    '-new',
    '-newkey',
    `rsa:${bits}`,
    '-nodes',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    subj,
  ]);
  return { key, csr };
}

/**
 * Signs a request with `openssl ca`: by issuer, or by its own key (-selfsign) for a root. `-notext`: the file
 * holds the PEM only; `-preserveDN`: the subject keeps the request's order, not the policy's.
 */
export async function sign(
  dir: string,
  o: { csr: string; ext: string; issuer: Pem | { selfKey: string }; dates?: [string, string]; md?: string },
): Promise<string> {
  const w = await scratch(dir);
  await writeFile(join(w, 'ca.cnf'), CA_CNF);
  await writeFile(join(w, 'index.txt'), '');
  await writeFile(join(w, 'ext.cnf'), `${o.ext}\n`);
  const out = join(w, 'c.pem');
  const by = 'selfKey' in o.issuer ? ['-selfsign', '-keyfile', o.issuer.selfKey] : ['-cert', o.issuer.crt];
  const key = 'selfKey' in o.issuer ? [] : ['-keyfile', o.issuer.key];
  const dates = o.dates ? ['-startdate', o.dates[0], '-enddate', o.dates[1]] : [];
  await tool(
    'openssl',
    ['ca', '-batch', '-notext', '-preserveDN', '-config', 'ca.cnf', ...by, ...key, '-in', o.csr, '-out', out].concat([
      '-extfile',
      'ext.cnf',
      '-md',
      o.md ?? 'sha256',
      ...dates,
    ]),
    { cwd: w },
  );
  return out;
}

/** A root CA with the extensions given (self-signed by `openssl ca -selfsign`, so its dates can be set). */
export async function makeCa(dir: string, o: { ext: string; subj?: string; dates?: [string, string] }): Promise<Pem> {
  const r = await newRequest(dir, o.subj ?? CA_SUBJ);
  return { crt: await sign(dir, { csr: r.csr, ext: o.ext, issuer: { selfKey: r.key }, dates: o.dates }), key: r.key };
}

/**
 * The original script's CA: `openssl req -new -x509` with its config, which names req_extensions (read only
 * when making a request) and no x509_extensions, so the certificate is X.509 v1 with no extensions at all.
 */
export async function makeScriptCa(dir: string): Promise<Pem> {
  const w = await scratch(dir);
  await writeFile(
    join(w, 'openssl.cnf'),
    `[req]
default_bits = 4096
encrypt_key = no
default_md = sha256
prompt = no
utf8 = yes
distinguished_name = req_distinguished_name
req_extensions = v3_req
[req_distinguished_name]
C = KR
ST = SEOUL
L = Confluent
O = Organization
OU = OrganizationUnit/emailAddress=my@email.com
CN = Kafka-Security-CA
[v3_req]
basicConstraints = CA:TRUE
subjectKeyIdentifier = hash
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth, serverAuth
`,
  );
  await tool(
    'openssl',
    ['req', '-new', '-x509', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '730'].concat(['-config', 'openssl.cnf']),
    { cwd: w },
  );
  return { crt: join(w, 'ca.crt'), key: join(w, 'ca.key') };
}

/** A new key and a certificate for subj signed by issuer. */
export async function makeCert(
  dir: string,
  o: { subj: string; ext: string; issuer: Pem; bits?: number; md?: string; dates?: [string, string] },
): Promise<Pem> {
  const r = await newRequest(dir, o.subj, o.bits);
  return { crt: await sign(dir, { csr: r.csr, ext: o.ext, issuer: o.issuer, md: o.md, dates: o.dates }), key: r.key };
}

/** The concatenation of PEM files, as one file. */
export async function bundle(dir: string, files: string[]): Promise<string> {
  const out = join(await scratch(dir), 'bundle.pem');
  await writeFile(out, (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join(''));
  return out;
}

/** A PKCS12 keystore holding one key entry (alias) with leaf and chain, as Java reads a keystore. */
export async function writeKeystore(path: string, alias: string, leaf: Pem, chain: string[], pw: string) {
  const certfile = chain.length ? ['-certfile', await bundle(join(path, '..'), chain)] : [];
  await tool(
    'openssl',
    ['pkcs12', '-export', '-in', leaf.crt, '-inkey', leaf.key, ...certfile, '-name', alias, '-out', path].concat([
      '-passout',
      'env:PW',
    ]),
    { env: { PW: pw } },
  );
}

/**
 * A PKCS12 truststore holding ca as a trusted entry, made by keytool: OpenSSL 3.0 cannot write Java's
 * trusted-certificate attribute (-jdktrust came in 3.2), without which Java sees no entry at all.
 * -noprompt: otherwise keytool asks "Trust this certificate?".
 */
export async function writeTruststore(path: string, ca: string, pw: string) {
  await tool(
    'keytool',
    ['-importcert', '-noprompt', '-alias', 'caroot', '-file', ca, '-keystore', path, '-storetype', 'PKCS12'].concat([
      '-storepass:env',
      'PW',
    ]),
    { env: { PW: pw } },
  );
}

/** A certificate's Subject Key Identifier, as `AB:CD:…`, read by openssl. */
export async function subjectKeyId(crt: string): Promise<string> {
  const out = await tool('openssl', ['x509', '-in', crt, '-noout', '-ext', 'subjectKeyIdentifier']);
  return out.split('\n')[1]!.trim();
}

/** Runs fns at most n at a time. */
export async function pool<T>(n: number, fns: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < fns.length) {
      const i = next++;
      out[i] = await fns[i]!();
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
  return out;
}
