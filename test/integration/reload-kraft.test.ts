/**
 * --reload against one real KRaft node (test/e2e/cluster.ts's harness: every listener SSL with client
 * authentication, the node's stores the directory's files): a renewal is served without a restart, twice (the
 * second alter finds the same path held and respells it), and a refused one is stopped by the pre-flight with the
 * node left serving what it served. About 40 s; the 3-node live suite is test/e2e/reload.test.ts.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { cp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KAFKA_LIB, kafkaDistribution } from '../helpers/kafka-dist.js';
import { runCli, snapshot, tempDir } from '../helpers/cli.js';
import { startCluster, type RunningCluster } from '../e2e/cluster.js';

const PW = 'Reload-Pw-7';
const ENV = { PASSWORD: PW };
const LIB = KAFKA_LIB;
const HAVE_KAFKA = existsSync(join(LIB, 'kafka_2.13-4.1.1.jar'));
/** scripts/fetch-kafka.sh fills .cache/kafka; under CI a missing Kafka is a failure, never a skip. */
const withKafka = HAVE_KAFKA || process.env.CI === 'true' ? describe : describe.skip;
if (!HAVE_KAFKA && process.env.CI !== 'true')
  console.warn(`reload-kraft.test.ts skipped: no Kafka 4.1.1 in ${LIB} (scripts/fetch-kafka.sh fetches it)`);

const HOST = 'mtls-kafka-0.mtls-kafka-headless';
const PRINCIPAL = `CN=${HOST},OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR`;

/** The serial of the certificate a listener serves, as openssl s_client sees it. */
async function served(port: number): Promise<string> {
  const r = await execa('openssl', ['s_client', '-connect', `127.0.0.1:${port}`], { input: '', reject: false });
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(String(r.stdout))?.[0] ?? '';
  return String((await execa('openssl', ['x509', '-noout', '-serial'], { input: pem, reject: false })).stdout);
}

const fileSerial = async (cert: string) =>
  String((await execa('openssl', ['x509', '-in', cert, '-noout', '-serial'])).stdout);

/** The node applies an accepted alter within a second or so (its metadata publishing): polled, up to 15 s. */
async function servedBecomes(port: number, serial: string): Promise<string> {
  let seen = '';
  for (const end = Date.now() + 15_000; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
    seen = await served(port);
    if (seen === serial) break;
  }
  return seen;
}

withKafka('--reload on a running KRaft node', () => {
  let dir: string;
  let certs: string;
  let kafkaConfigs: string;
  let cluster: RunningCluster;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await tempDir();
    certs = join(dir, 'certs');
    // Kafka's own script passes KAFKA_OPTS to the JVM: here, the hosts file that resolves the node's name.
    kafkaConfigs = await kafkaDistribution(dir);
    expect((await runCli(['generate', '--brokers', '1'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    cluster = await startCluster({
      lib: LIB,
      dir: join(dir, 'cluster'),
      nodes: [{ host: HOST, keystore: join(certs, 'mtls-kafka-0.keystore.jks'), principal: PRINCIPAL }],
      truststore: join(certs, 'kafka.server.truststore.jks'),
      password: PW,
    });
    env = { ...ENV, KAFKA_OPTS: `-Djdk.net.hosts.file=${cluster.hostsFile}` };
  }, 150_000);
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const reload = () => [
    'apply',
    '--brokers',
    '1',
    '--reload',
    '--bootstrap-server',
    cluster.bootstrap,
    '--kafka-configs',
    kafkaConfigs,
  ];

  test('a renewal is served with no restart, and so is the next one (the same path held, respelled)', async () => {
    const port = cluster.clientPorts[0]!;
    const first = await served(port);
    expect(first).toBe(await fileSerial(join(certs, 'ca-signed-mtls-kafka-0')));
    const r = await runCli([...reload(), '--renew-before', '36000'], { cwd: dir, env });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /Reloaded with no restart \(Kafka 4\.1\.1's own check passed 1 new stores first; admin client: mtls-kafka-0's keystore/,
    );
    // The node id and the inter-broker listener, from the cluster: none was given.
    expect(r.stdout).toMatch(/✓ mtls-kafka-0 \(node 0\) keystore on listener INTERNAL/);
    const renewed = await fileSerial(join(certs, 'ca-signed-mtls-kafka-0'));
    expect(renewed).not.toBe(first);
    expect(await servedBecomes(port, renewed)).toBe(renewed);

    const again = await runCli([...reload(), '--renew-before', '36000', '--json'], { cwd: dir, env });
    expect(again.exitCode).toBe(0);
    const steps = (JSON.parse(again.stdout) as { reload: { reloaded: { steps: { command: string }[] } } }).reload
      .reloaded.steps;
    expect(steps.map((s) => s.command)).toEqual([
      expect.stringMatching(/keystore\.location=\S*\/certs\/\.\/mtls-kafka-0\.keystore\.jks$/),
    ]);
    const twice = await fileSerial(join(certs, 'ca-signed-mtls-kafka-0'));
    expect(await servedBecomes(port, twice)).toBe(twice);
    expect(again.stdout).not.toContain(PW);
  }, 120_000);

  test('a changed subject: refused before anything is asked, the node serving what it served', async () => {
    const port = cluster.clientPorts[0]!;
    const before = await snapshot(certs);
    const was = await served(port);
    const r = await runCli([...reload(), '--org-unit', 'Renamed'], { cwd: dir, env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Keystore DistinguishedName does not match/);
    expect(await snapshot(certs)).toEqual(before);
    expect(await served(port)).toBe(was);
  }, 120_000);

  test("a broker that refuses what the pre-flight was told it allows: the failed alter, Kafka's reason, the files swapped", async () => {
    const port = cluster.clientPorts[0]!;
    const was = await served(port);
    // The node does not set ssl.allow.dn.changes: told it does, the pre-flight passes and the broker refuses.
    // The admin client keeps the broker's present identity (the new keystore's subject is not a super user).
    const admin = join(dir, 'admin.properties');
    await cp(join(certs, 'mtls-kafka-0.keystore.jks'), join(dir, 'admin.keystore.jks'));
    await writeFile(
      admin,
      `security.protocol=SSL\nssl.keystore.location=${join(dir, 'admin.keystore.jks')}\nssl.keystore.password=${PW}\n` +
        `ssl.truststore.location=${join(certs, 'kafka.server.truststore.jks')}\nssl.truststore.password=${PW}\n`,
    );
    const args = [...reload(), '--org-unit', 'Renamed', '--kafka-allows', 'dn', '--command-config', admin, '--json'];
    const r = await runCli(args, { cwd: dir, env });
    expect(r.exitCode).toBe(1);
    const f = JSON.parse(r.stdout) as { failure: Record<string, unknown>; targetNote: string };
    expect(f.failure).toMatchObject({
      stepId: 'reload.mtls-kafka-0.INTERNAL.keystore',
      kind: 'exit-code',
      exitCode: 1,
      hint: expect.stringMatching(/the broker refused the new store/),
    });
    expect(f.failure.command).toMatch(
      /--entity-name 0 --alter --add-config listener\.name\.internal\.ssl\.keystore\.location=/,
    );
    expect((f.failure.outputTail as string[]).join('\n')).toMatch(/Keystore DistinguishedName does not match/);
    expect(f.targetNote).toMatch(
      /^The new files are in .*certs \(the previous ones in .*certs\.bak-.*\)\. Reloaded: none\. Not reloaded: mtls-kafka-0 keystore on INTERNAL\./,
    );
    expect(await served(port)).toBe(was);
    expect(r.stdout + r.stderr).not.toContain(PW);
  }, 120_000);
});
