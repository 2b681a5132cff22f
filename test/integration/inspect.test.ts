import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';

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
  expect(r.stdout).toMatch(/key: +rsaEncryption 2048 bits, signed with sha256WithRSAEncryption/);
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
