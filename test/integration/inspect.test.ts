import { execa } from 'execa';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OPENSSL_111_REAL, runCli, tempDir } from '../helpers/cli.js';

const PW = 'Inspect-Pa55';
let work: string;

beforeAll(async () => {
  work = await tempDir('kmtls-inspect-');
  for (const [out, type] of [
    ['p12', 'pkcs12'],
    ['jks', 'jks'],
  ]) {
    const r = await runCli(['generate', '--out', out!, '--brokers', '1', '--store-type', type!], {
      cwd: work,
      env: { PASSWORD: PW },
    });
    if (r.exitCode !== 0) throw new Error(r.stderr);
  }
}, 120_000);
afterAll(() => rm(work, { recursive: true, force: true }));

const inspect = (files: string[], env: Record<string, string> = { PASSWORD: PW }) =>
  runCli(['inspect', ...files.map((f) => join(work, f))], { cwd: work, env });

test('a certificate: subject, issuer, serial, validity, key, usages, SANs, fingerprint', async () => {
  const r = await inspect(['p12/ca-signed-mtls-kafka-0']);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toMatch(/^ca-signed-mtls-kafka-0: certificate$/m);
  expect(r.stdout).toMatch(
    /subject: +CN=mtls-kafka-0\.mtls-kafka-headless,OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR$/m,
  );
  expect(r.stdout).toMatch(/issuer: +emailAddress=my@email\.com,CN=Kafka-Security-CA,/m);
  expect(r.stdout).toMatch(/serial: +[0-9A-F]{32} +\(X\.509 v3\)/);
  expect(r.stdout).toMatch(/validity: .* \(729 days left\)/);
  expect(r.stdout).toMatch(/key: +RSA 2048 bits, signed with sha256WithRSAEncryption$/m);
  expect(r.stdout).toMatch(/ext\. usage: +TLS Web Client Authentication, TLS Web Server Authentication/);
  expect(r.stdout).toMatch(/SANs: +DNS:mtls-kafka-0\.mtls-kafka-headless\.axplatform\.svc\.cluster\.local, /);
  expect(r.stdout).toMatch(/SHA-256: +([0-9A-F]{2}:){31}[0-9A-F]{2}$/m);
});

test('a CSR and a private key, which is never printed', async () => {
  const r = await inspect(['p12/ca-request-mtls-kafka-0', 'p12/ca.key']);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toMatch(/^ca-request-mtls-kafka-0: csr\n +subject: +CN=mtls-kafka-0\.mtls-kafka-headless,/m);
  expect(r.stdout).toMatch(/^ca\.key: private key\n +key: +RSA 4096 bits, not encrypted$/m);
  expect(r.stdout).not.toMatch(/-----BEGIN|Modulus|prime[12]|privateExponent/);
});

test('PKCS12 and JKS keystores: type, aliases, entry types, each certificate', async () => {
  for (const [dir, type] of [
    ['p12', 'PKCS12'],
    ['jks', 'JKS'],
  ]) {
    const r = await inspect([`${dir}/mtls-kafka-0.keystore.jks`]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^mtls-kafka-0\\.keystore\\.jks: ${type} store, 2 entries$`, 'm'));
    expect(r.stdout).toMatch(/^ {2}alias mtls-kafka-0: PrivateKeyEntry, chain of 2$/m);
    expect(r.stdout).toMatch(/^ {2}alias ca\.crt: trustedCertEntry$/m);
  }
});

test('a store with the wrong password, or a file of no known kind, exits 1 and says which', async () => {
  const wrong = await inspect(['p12/kafka.server.truststore.jks'], { PASSWORD: 'wrong-password' });
  expect(wrong.exitCode).toBe(1);
  expect(wrong.stdout).toMatch(/a PKCS12 store that does not open with the password/);
  const other = await inspect(['p12/ext0.cnf']);
  expect(other.exitCode).toBe(1);
  expect(other.stdout).toMatch(
    /^ext0\.cnf: unreadable\n +not a PEM certificate, CSR or private key, nor a PKCS12 or JKS store$/m,
  );
});

describe("a .p12 with OpenSSL 1.1.1's default algorithms (its certificates under RC2-40-CBC)", () => {
  let p12: string;
  beforeAll(async () => {
    // Made by the test's openssl: OpenSSL 3 writes 1.1.1's defaults with -legacy, which 1.1.1 lacks.
    const legacy = /^OpenSSL 1\./.test((await execa('openssl', ['version'])).stdout) ? [] : ['-legacy'];
    p12 = join(work, 'p12/legacy.p12');
    const args = ['-in', 'ca.crt', '-inkey', 'ca.key', '-name', 'ca', '-out', p12, '-passout', 'env:PW'];
    await execa('openssl', ['pkcs12', '-export', ...legacy, ...args], { cwd: join(work, 'p12'), env: { PW } });
    const info = await execa('openssl', ['pkcs12', ...legacy, '-in', p12, '-info', '-noout', '-passin', 'env:PW'], {
      env: { PW },
    });
    expect(info.stderr).toMatch(/PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC/);
  });

  test('is listed: by openssl where it decrypts RC2-40 (1.1.1), by keytool where it does not (OpenSSL 3)', async () => {
    const r = await inspect(['p12/legacy.p12']);
    expect(r.stdout).toMatch(/^legacy\.p12: PKCS12 store, 1 entries\n {2}alias ca: PrivateKeyEntry, chain of 1$/m);
    expect(r.stdout).toMatch(/subject: +emailAddress=my@email\.com,CN=Kafka-Security-CA,/);
    expect(r.exitCode).toBe(0);
  });

  test('without a keytool, OpenSSL 3 names the algorithm and -legacy; the wrong password is still named as such', async () => {
    const r = await runCli(['inspect', '--keytool', '/nonexistent/keytool', p12], { cwd: work, env: { PASSWORD: PW } });
    if (OPENSSL_111_REAL) {
      expect(r.stdout).toMatch(/^legacy\.p12: PKCS12 store, 1 entries$/m);
      expect(r.exitCode).toBe(0);
    } else {
      expect(r.stdout).toMatch(
        /^legacy\.p12: unreadable\n +a PKCS12 store whose RC2-40-CBC this openssl cannot decrypt \(OpenSSL 1\.1\.1's \.p12 default; OpenSSL 3 needs -legacy\), and keytool could not list it: /m,
      );
      expect(r.exitCode).toBe(1);
    }
    const wrong = await inspect(['p12/legacy.p12'], { PASSWORD: 'wrong-password' });
    expect(wrong.stdout).toMatch(/a PKCS12 store that does not open with the password/);
    expect(wrong.exitCode).toBe(1);
  });
});

test('--json', async () => {
  const r = await runCli(['inspect', '--json', join(work, 'p12/kafka.client.truststore.jks')], {
    cwd: work,
    env: { PASSWORD: PW },
  });
  const [item] = JSON.parse(r.stdout);
  expect(item).toMatchObject({
    kind: 'store',
    type: 'PKCS12',
    entries: [{ alias: 'caroot', entryType: 'trustedCertEntry' }],
  });
  expect(item.entries[0].certs[0].isCa).toBe(true);
});

describe('key types and bundles, from material openssl makes here', () => {
  let dir: string;
  const o = (args: string[]) => execa('openssl', args, { cwd: dir, env: { KEY_PW: PW } });
  // genpkey's arguments: RSA's size, EC's curve, DSA's parameters (made first); EdDSA keys have none.
  const KEYS: ReadonlyArray<readonly [name: string, genpkey: readonly string[]]> = [
    ['ed25519', ['-algorithm', 'ED25519']],
    ['ed448', ['-algorithm', 'ED448']],
    ['p256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']],
    ['p384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']],
    ['rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072']],
    ['dsa', ['-paramfile', 'dsa.param']],
  ];

  beforeAll(async () => {
    dir = await tempDir('kmtls-inspect-keys-');
    await o(['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048', '-out', 'dsa.param']);
    await Promise.all(
      KEYS.map(async ([name, genpkey]) => {
        await o(['genpkey', ...genpkey, '-out', `${name}.key`]);
        // A CSR and a self-signed certificate of each key: openssl picks the digest each type allows.
        await o(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
        await o(['req', '-x509', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-days', '30', '-out', `${name}.crt`]);
      }),
    );
    await o(['pkey', '-in', 'p384.key', '-aes-256-cbc', '-passout', 'env:KEY_PW', '-out', 'p384-encrypted.key']);
    // A chain of three: an RSA leaf under an Ed25519 issuing CA under the P-384 root.
    const ext = 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign\n';
    await writeFile(join(dir, 'ca.ext'), ext);
    const sign = (csr: string, ca: string, out: string, extra: string[]) =>
      o(['x509', '-req', '-in', csr, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-days', '20', '-out', out, ...extra]);
    await sign('ed25519.csr', 'p384', 'issuing.crt', ['-set_serial', '2', '-extfile', 'ca.ext']);
    await sign('rsa.csr', 'ed25519', 'leaf.crt', ['-set_serial', '3']);
    const pem = (f: string) => readFile(join(dir, f), 'utf8');
    const [leaf, issuing, root] = await Promise.all(['leaf.crt', 'issuing.crt', 'p384.crt'].map(pem));
    await writeFile(join(dir, 'two.pem'), leaf! + issuing!);
    await writeFile(join(dir, 'three.pem'), leaf! + issuing! + root!);
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const inspectHere = (args: string[], env: Record<string, string> = { PASSWORD: PW }) =>
    runCli(['inspect', ...args], { cwd: dir, env });

  test('an encrypted key with the wrong password is unreadable, and says to check the password', async () => {
    const r = await inspectHere(['p384-encrypted.key'], { PASSWORD: 'not-the-password' });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^p384-encrypted\.key: unreadable\n +cannot read the key \(is the password right\?\): /m);
  });

  test.each([
    ['ed25519', 'Ed25519', 'ED25519'],
    ['ed448', 'Ed448', 'ED448'],
    ['p256', 'EC P-256 (prime256v1), 256 bits', 'ecdsa-with-SHA256'],
    ['p384', 'EC P-384 (secp384r1), 384 bits', 'ecdsa-with-SHA256'],
    ['rsa', 'RSA 3072 bits', 'sha256WithRSAEncryption'],
    ['dsa', 'DSA 2048 bits', 'dsa_with_SHA256'],
  ])('the %s key, its CSR and its certificate name the key: %s', async (name, words, signature) => {
    const r = await inspectHere([`${name}.key`, `${name}.csr`, `${name}.crt`]);
    expect(r.exitCode).toBe(0);
    const key = words.replace(/[().]/g, '\\$&');
    expect(r.stdout).toMatch(new RegExp(`^${name}\\.key: private key\\n {2}key: {10}${key}, not encrypted$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${name}\\.csr: csr\\n.*\\n {2}key: {10}${key}$`, 'm'));
    expect(r.stdout).toMatch(
      new RegExp(`^${name}\\.crt: certificate\\n(.*\\n){4} {2}key: {10}${key}, signed with ${signature}$`, 'm'),
    );
  });

  test('an encrypted key opens with the password and names its curve', async () => {
    const r = await inspectHere(['p384-encrypted.key']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /^p384-encrypted\.key: private key\n {2}key: {10}EC P-384 \(secp384r1\), 384 bits, encrypted$/m,
    );
  });

  const DATE = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.000Z';
  const line = (n: number, subject: string, issuer: string, days: number, key: string) =>
    new RegExp(`^ {2}${n}\\. ${subject}; issuer ${issuer}; ${DATE} to ${DATE} \\(${days} days left\\); ${key}$`, 'm');

  test('a bundle of two or three: "N certificates", one line each, then each in full', async () => {
    const r = await inspectHere(['two.pem', 'three.pem']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /^two\.pem: 2 certificates\n {2}1\. CN=rsa;.*\n {2}2\. CN=ed25519;.*\n {2}certificate 1:$/m,
    );
    expect(r.stdout).toMatch(/^three\.pem: 3 certificates\n( {2}\d\. .*\n){3} {2}certificate 1:$/m);
    expect(r.stdout).toMatch(line(1, 'CN=rsa', 'CN=ed25519', 19, 'RSA 3072 bits'));
    expect(r.stdout).toMatch(line(2, 'CN=ed25519', 'CN=p384', 19, 'Ed25519'));
    expect(r.stdout).toMatch(line(3, 'CN=p384', 'CN=p384', 29, 'EC P-384 \\(secp384r1\\), 384 bits'));
    expect(r.stdout).toMatch(/^ {2}certificate 3:\n {4}subject: +CN=p384$/m);
    expect(r.stdout.match(/^ {4}key: .*$/gm)).toEqual([
      '    key:          RSA 3072 bits, signed with ED25519',
      '    key:          Ed25519, signed with ecdsa-with-SHA256',
      '    key:          RSA 3072 bits, signed with ED25519',
      '    key:          Ed25519, signed with ecdsa-with-SHA256',
      '    key:          EC P-384 (secp384r1), 384 bits, signed with ecdsa-with-SHA256',
    ]);
  });

  test("--json adds the key in words and a bundle's count, and keeps the fields it had", async () => {
    const r = await inspectHere(['--json', 'three.pem', 'p256.key', 'ed25519.csr', 'ed448.key']);
    expect(r.exitCode).toBe(0);
    const [bundle, p256, csr, ed448] = JSON.parse(r.stdout);
    expect(bundle).toMatchObject({ file: 'three.pem', kind: 'certificate', summary: '3 certificates', count: 3 });
    expect(
      bundle.certs.map((c: { subject: string; key: { description: string } }) => [c.subject, c.key.description]),
    ).toEqual([
      ['CN=rsa', 'RSA 3072 bits'],
      ['CN=ed25519', 'Ed25519'],
      ['CN=p384', 'EC P-384 (secp384r1), 384 bits'],
    ]);
    expect(bundle.certs[0]).toMatchObject({ keyType: 'rsaEncryption', keyBits: 3072, issuer: 'CN=ed25519' });
    expect(p256).toEqual({
      file: 'p256.key',
      kind: 'private key',
      keyType: 'EC',
      keyBits: 256,
      key: {
        type: 'EC',
        bits: 256,
        curve: 'prime256v1',
        nistCurve: 'P-256',
        description: 'EC P-256 (prime256v1), 256 bits',
      },
      encrypted: false,
    });
    expect(csr).toMatchObject({
      kind: 'csr',
      keyType: 'ED25519',
      keyBits: 0,
      key: { type: 'Ed25519', description: 'Ed25519' },
    });
    expect(ed448).toMatchObject({ keyType: 'Ed448', keyBits: 0, key: { type: 'Ed448' } });
    expect(ed448.key).not.toHaveProperty('bits');
  });
});
