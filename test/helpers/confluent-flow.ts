import { execa } from 'execa';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * A directory made as the write-up's Confluent flow makes it (../shared/reference/seed.md, "Broker Keystore": from
 * ca.cnf on), with its commands, file names, aliases and configuration files as it gives them. Where the write-up
 * puts a password on a command line (`-password pass:confluent`, `-deststorepass confluent`), the same option reads
 * it from the environment instead (`-passout env:`, `-deststorepass:env`): the files are the same.
 *
 * The write-up makes no truststore; `truststore` (the default) adds one per broker as its first script does
 * (`keytool -import -alias CARoot`), named as cp-kafka's Confluent demo names it (kafka.<name>.truststore.pkcs12,
 * <name>_truststore_creds). `false` leaves the directory exactly as the write-up leaves it.
 */
export interface ConfluentFlowOptions {
  /** Who gets a <name>-creds/ directory, made as the write-up makes kafka-1's (default kafka-1 and kafka-2). */
  readonly names?: readonly string[];
  /** The write-up's store password ('confluent'). */
  readonly password?: string;
  readonly truststore?: boolean;
  /** This broker's certificate is signed by the CA in caDir (makeConfluentCa), not the directory's own. */
  readonly foreignSigned?: { readonly broker: string; readonly caDir: string };
}

/** The write-up's ca.cnf, as it shows it. */
export const CA_CNF = `[ policy_match ]
countryName = match
stateOrProvinceName = match
organizationName = match
organizationalUnitName = optional
commonName = supplied
emailAddress = optional

[ req ]
prompt = no
distinguished_name = dn
default_md = sha256
default_bits = 4096
x509_extensions = v3_ca

[ dn ]
countryName = US
organizationName = Confluent
localityName = MountainView
commonName = confluent-ca

[ v3_ca ]
subjectKeyIdentifier=hash
basicConstraints = critical,CA:true
authorityKeyIdentifier=keyid:always,issuer:always
keyUsage = critical,keyCertSign,cRLSign
`;

/** The write-up's kafka-1.cnf, with kafka-1 replaced by the broker's name. */
export function brokerCnf(name: string): string {
  return `[req]
prompt = no
distinguished_name = dn
default_md = sha256
default_bits = 4096
req_extensions = v3_req

[ dn ]
countryName = US
organizationName = CONFLUENT
localityName = MountainView
commonName=${name}

[ v3_ca ]
subjectKeyIdentifier=hash
basicConstraints = critical,CA:true
authorityKeyIdentifier=keyid:always,issuer:always
keyUsage = critical,keyCertSign,cRLSign

[ v3_req ]
subjectKeyIdentifier = hash
basicConstraints = CA:FALSE
nsComment = "OpenSSL Generated Certificate"
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = @alt_names

[ alt_names ]
DNS.1=${name}
DNS.2=${name}-external
`;
}

const PW_ENV = 'CONFLUENT_FLOW_PW';

async function run(tool: string, args: string[], cwd: string, password: string): Promise<void> {
  const r = await execa(tool, args, { cwd, env: { [PW_ENV]: password }, reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
}

/** Makes the CA of the write-up (its ca.cnf, `openssl req -new -nodes -x509`, ca.pem) in dir. */
export async function makeConfluentCa(dir: string, password = 'confluent'): Promise<void> {
  await writeFile(join(dir, 'ca.cnf'), CA_CNF);
  // prettier-ignore
  await run('openssl', [
    'req', '-new', '-nodes', '-x509', '-days', '365', '-newkey', 'rsa:2048',
    '-keyout', 'ca.key', '-out', 'ca.crt', '-config', 'ca.cnf',
  ], dir, password);
  // cat ca.crt ca.key > ca.pem (the shell's umask: 0644, as the write-up leaves it)
  const [crt, key] = await Promise.all(['ca.crt', 'ca.key'].map((f) => readFile(join(dir, f))));
  await writeFile(join(dir, 'ca.pem'), Buffer.concat([crt!, key!]), { mode: 0o644 });
}

/** One broker as the write-up makes kafka-1, signed by the CA in caDir (dir's own unless foreign). */
async function makeBroker(dir: string, name: string, password: string, caDir: string, truststore: boolean) {
  const creds = `${name}-creds`;
  await mkdir(join(dir, creds));
  const at = (f: string) => `${creds}/${f}`;
  const ca = (f: string) => resolve(caDir, f);
  await writeFile(join(dir, at(`${name}.cnf`)), brokerCnf(name));
  // prettier-ignore
  await run('openssl', [
    'req', '-new', '-newkey', 'rsa:2048', '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`),
    '-config', at(`${name}.cnf`), '-nodes',
  ], dir, password);
  // prettier-ignore
  await run('openssl', [
    'x509', '-req', '-days', '3650', '-in', at(`${name}.csr`), '-CA', ca('ca.crt'), '-CAkey', ca('ca.key'),
    '-CAcreateserial', '-out', at(`${name}.crt`), '-extfile', at(`${name}.cnf`), '-extensions', 'v3_req',
  ], dir, password);
  // -password pass:confluent, read from the environment instead
  // prettier-ignore
  await run('openssl', [
    'pkcs12', '-export', '-in', at(`${name}.crt`), '-inkey', at(`${name}.key`), '-chain', '-CAfile', ca('ca.pem'),
    '-name', name, '-out', at(`${name}.p12`), '-passout', `env:${PW_ENV}`,
  ], dir, password);
  // prettier-ignore
  await run('keytool', [
    '-importkeystore', '-deststorepass:env', PW_ENV, '-destkeystore', at(`kafka.${name}.keystore.pkcs12`),
    '-srckeystore', at(`${name}.p12`), '-deststoretype', 'PKCS12', '-srcstoretype', 'PKCS12', '-noprompt',
    '-srcstorepass:env', PW_ENV,
  ], dir, password);
  if (truststore) {
    // prettier-ignore
    await run('keytool', [
      '-keystore', at(`kafka.${name}.truststore.pkcs12`), '-alias', 'CARoot', '-import', '-file', ca('ca.crt'),
      '-storepass:env', PW_ENV, '-noprompt',
    ], dir, password);
  }
  // sudo tee <file> << EOF ... EOF: the password and a newline
  const files = [`${name}_sslkey_creds`, `${name}_keystore_creds`, ...(truststore ? [`${name}_truststore_creds`] : [])];
  for (const f of files) await writeFile(join(dir, at(f)), `${password}\n`);
}

/** The write-up's directory (~/tls): its CA, and kafka-1 and kafka-2 (or the brokers named) signed by it. */
export async function makeConfluentFlow(dir: string, opts: ConfluentFlowOptions = {}): Promise<void> {
  const password = opts.password ?? 'confluent';
  const truststore = opts.truststore ?? true;
  await makeConfluentCa(dir, password);
  for (const name of opts.names ?? ['kafka-1', 'kafka-2']) {
    const caDir = name === opts.foreignSigned?.broker ? opts.foreignSigned.caDir : dir;
    await makeBroker(dir, name, password, caDir, truststore);
  }
}
