import { execa } from 'execa';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { certFacts, listStore } from '../helpers/pki.js';
import { describeWithScript, runCli, SCRIPT, tempDir, testPath } from '../helpers/cli.js';

/**
 * The drop-in promise: with the same parameters, the port makes the same
 * files, stores, aliases, entry types and leaf certificates as
 * mtls-kafka.sh. Only the intended differences (the CA's extensions and
 * subject, the serial file) may differ.
 */

interface Params {
  password: string;
  validity: number;
  brokers: number;
}

/** The script hard-codes its parameters; a copy with other values stands in for editing it. */
async function runScript(dir: string, p: Params): Promise<string> {
  const original = await readFile(SCRIPT, 'utf8');
  const patched = original
    .replace(/^PASSWORD=.*$/m, `PASSWORD='${p.password}'`)
    .replace(/^VALIDITY=.*$/m, `VALIDITY=${p.validity}`)
    .replace(/^KAFKA_BROKER_COUNT=.*$/m, `KAFKA_BROKER_COUNT=${p.brokers}`);
  const script = join(dir, 'mtls-kafka.sh');
  await writeFile(script, patched);
  // Through the same openssl as kafka-mtls (OpenSSL 1.1.1 under npm run test:openssl-1.1.1).
  const r = await execa('bash', [script], { cwd: dir, env: { PATH: testPath() }, reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`the original script failed: ${r.all}`);
  return join(dir, 'certs');
}

async function runPort(dir: string, p: Params): Promise<string> {
  const r = await runCli(['generate'], {
    cwd: dir,
    env: { PASSWORD: p.password, VALIDITY: String(p.validity), KAFKA_BROKER_COUNT: String(p.brokers) },
  });
  if (r.exitCode !== 0) throw new Error(`kafka-mtls generate failed (${r.exitCode}): ${r.stdout}${r.stderr}`);
  return join(dir, 'certs');
}

const leafNames = (p: Params) => [
  ...Array.from({ length: p.brokers }, (_, i) => `mtls-kafka-${i}`),
  'mtls-kafka-client',
];
const stores = (p: Params) => [
  ...leafNames(p).map((n) => `${n}.keystore.jks`),
  'kafka.server.truststore.jks',
  'kafka.client.truststore.jks',
];

describeWithScript().each<Params>([
  { password: 'password', validity: 730, brokers: 3 },
  { password: 'An0ther-pass', validity: 90, brokers: 2 },
])('parity with mtls-kafka.sh (%o)', (p) => {
  let script: string;
  let port: string;
  let dirs: string[];

  beforeAll(async () => {
    dirs = [await tempDir('kmtls-script-'), await tempDir('kmtls-port-')];
    // allSettled: a failure is reported only once both runs have ended. A run left going outlives this file's
    // environment, and its execa exit hook then overflows the stack of the next file in the worker (issue 14).
    const runs = await Promise.allSettled([runScript(dirs[0]!, p), runPort(dirs[1]!, p)]);
    [script, port] = runs.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    }) as [string, string];
  }, 240_000);
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test("the same file names, but for the serial file the script leaves behind and the port's run journal and state file", async () => {
    const theirs = (await readdir(script)).filter((f) => f !== 'ca.srl').sort();
    const ours = (await readdir(port)).filter((f) => f !== '.kafka-mtls' && f !== 'kafka-mtls.json').sort();
    expect(await readdir(port)).toEqual(expect.arrayContaining(['.kafka-mtls', 'kafka-mtls.json']));
    expect(ours).toEqual(theirs);
    expect(await readdir(script)).toContain('ca.srl');
  });

  test('every store has the same type, aliases, entry types and chain lengths', async () => {
    for (const s of stores(p)) {
      const [a, b] = await Promise.all([listStore(join(script, s), p.password), listStore(join(port, s), p.password)]);
      expect({ store: s, ...b }).toEqual({ store: s, ...a });
    }
    const ks = await listStore(join(port, 'mtls-kafka-0.keystore.jks'), p.password);
    expect(ks.entries).toEqual([
      { alias: 'ca.crt', entryType: 'trustedCertEntry', chainLength: 1 },
      { alias: 'mtls-kafka-0', entryType: 'PrivateKeyEntry', chainLength: 2 },
    ]);
  });

  test('every leaf has the same principal, SANs, key usages, key size and validity', async () => {
    for (const n of leafNames(p)) {
      const [a, b] = await Promise.all([
        certFacts(join(script, `ca-signed-${n}`)),
        certFacts(join(port, `ca-signed-${n}`)),
      ]);
      const comparable = (f: typeof a) => ({
        leaf: n,
        subject: f.subject,
        sans: f.sans,
        keyUsage: f.keyUsage,
        extKeyUsage: f.extKeyUsage,
        keyBits: f.keyBits,
        validityDays: f.validityDays,
      });
      expect(comparable(b)).toEqual(comparable(a));
      expect(b.validityDays).toBe(p.validity);
    }
    const broker0 = await certFacts(join(port, 'ca-signed-mtls-kafka-0'));
    expect(broker0.subject).toBe(
      'CN=mtls-kafka-0.mtls-kafka-headless,OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR',
    );
    expect(broker0.keyBits).toBe(2048);
    expect(broker0.serialBits).toBeGreaterThanOrEqual(64);
  });

  test('only the intended differences in the CA: v3 with CA extensions, emailAddress its own attribute', async () => {
    const [a, b] = await Promise.all([certFacts(join(script, 'ca.crt')), certFacts(join(port, 'ca.crt'))]);
    expect(a.version).toBe(1);
    expect(b.version).toBe(3);
    expect(b.keyBits).toBe(a.keyBits);
    expect(b.keyBits).toBe(4096);
    expect(b.validityDays).toBe(a.validityDays);
    expect(a.subject).toContain('OU=OrganizationUnit/emailAddress=my@email.com');
    expect(b.subject).toBe(
      'emailAddress=my@email.com,CN=Kafka-Security-CA,OU=OrganizationUnit,O=Organization,L=Confluent,ST=SEOUL,C=KR',
    );
    expect(b.keyUsage).toBe('Certificate Sign, CRL Sign');
    const text = String(
      (
        await execa('openssl', [
          'x509',
          '-in',
          join(port, 'ca.crt'),
          '-noout',
          '-ext',
          'basicConstraints,subjectKeyIdentifier',
        ])
      ).stdout,
    );
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Subject Key Identifier/);
  });
});
