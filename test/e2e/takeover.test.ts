import { execa } from 'execa';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { changedFiles, describeWithScript, ROOT, runCli, runScript, snapshot, tempDir } from '../helpers/cli.js';
import { sslClientProps, startCluster, type RunningCluster } from './cluster.js';

/**
 * Issue 20's promise on a real cluster: a 3-broker KRaft cluster runs on the certs/ that the original
 * mtls-kafka.sh made (its X.509 v1 CA, its keystores as they are); `kafka-mtls apply --brokers 4` takes the
 * directory over and signs a fourth broker with that CA; the fourth broker joins the running cluster, and the
 * script's client, its stores never touched, produces to it: had the new broker another CA, that client's
 * truststore (the v1 CA alone) would refuse it. With E2E_ROTATE=1, `rotate-ca start` and a rolling restart follow.
 */

const PASSWORD = 'e2e-Grow-Passw0rd';
const NS_HOST = (i: number) => `mtls-kafka-${i}.mtls-kafka-headless.axplatform.svc.cluster.local`;
const PRINCIPAL = (cn: string) => `CN=${cn},OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR`;
const BROKER_PRINCIPAL = (i: number) => PRINCIPAL(`mtls-kafka-${i}.mtls-kafka-headless`);
const CLIENT_PRINCIPAL = PRINCIPAL('mtls-kafka-client');
/** Partition 0 led by the new broker (nodes 0 and 1 fetch from it), partition 1 followed by it (it fetches from 0). */
const GROWN_REPLICAS = '3,0,1;0,1,3';
const ROTATE = process.env.E2E_ROTATE === '1';
if (!ROTATE)
  process.stderr.write('skipped: rotate-ca start with a rolling restart of the grown cluster (E2E_ROTATE=1 runs it)\n');

describeWithScript()('a cluster the original script started, grown by one broker after kafka-mtls takes over', () => {
  let lib: string;
  let work: string;
  let certs: string;
  /** The script's client as deployed: its keystore and truststore copied out once, never updated. */
  let oldClient: { keystore: string; truststore: string };
  let cluster: RunningCluster;
  const times: Record<string, number> = {};
  const began = Date.now();
  const client = (props: { keystore: string; truststore: string }) =>
    sslClientProps({ bootstrap: cluster.bootstrap, password: PASSWORD, ...props });
  /** Broker 0's identity, a super user, as the admin. */
  const admin = () =>
    client({
      keystore: join(certs, 'mtls-kafka-0.keystore.jks'),
      truststore: join(certs, 'kafka.client.truststore.jks'),
    });
  const mark = (what: string) => (times[what] = Math.round((Date.now() - began) / 100) / 10);

  beforeAll(async () => {
    const fetched = await execa('bash', [join(ROOT, 'scripts/fetch-kafka.sh')], { stderr: 'inherit' });
    lib = String(fetched.stdout).trim().split('\n').pop()!;
    work = await tempDir('kmtls-e2e-grow-');
    certs = await runScript(work, { password: PASSWORD, validity: 365, brokers: 3 });
    mark('script');
    await mkdir(join(work, 'old-client'));
    oldClient = {
      keystore: join(work, 'old-client/mtls-kafka-client.keystore.jks'),
      truststore: join(work, 'old-client/kafka.client.truststore.jks'),
    };
    await execa('cp', ['-p', join(certs, 'mtls-kafka-client.keystore.jks'), oldClient.keystore]);
    await execa('cp', ['-p', join(certs, 'kafka.client.truststore.jks'), oldClient.truststore]);
    cluster = await startCluster({
      lib,
      dir: join(work, 'cluster'),
      nodes: [0, 1, 2].map((i) => ({
        host: NS_HOST(i),
        keystore: join(certs, `mtls-kafka-${i}.keystore.jks`),
        principal: BROKER_PRINCIPAL(i),
      })),
      truststore: join(certs, 'kafka.server.truststore.jks'),
      password: PASSWORD,
      // The fourth broker's name, as the headless Service's DNS would answer it once its pod runs.
      extraHosts: [NS_HOST(3)],
    });
    mark('cluster');
    const setup = await cluster.client('setup', admin(), 'e2e-before', CLIENT_PRINCIPAL);
    if (!setup.ok) throw new Error(`setup failed: ${setup.line}`);
  }, 300_000);
  afterAll(async () => {
    await cluster?.stop();
    if (work) await rm(work, { recursive: true, force: true });
    process.stderr.write(`grow e2e: seconds since the start, at the end of each stage: ${JSON.stringify(times)}\n`);
  });

  test("the script's client produces and consumes through the script's three brokers", async () => {
    const r = await cluster.client('roundtrip', client(oldClient), 'e2e-before');
    expect(r.line).toBe('OK produced and consumed 3 messages on partitions [0, 1, 2]');
    mark('roundtrip');
  });

  let principal3: string | undefined;
  test('apply --brokers 4 takes the directory over: the new files beside the old, every old one byte-identical', async () => {
    const before = await snapshot(certs);
    const r = await runCli(['apply', '--out', certs, '--brokers', '4'], { cwd: work, env: { PASSWORD } });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/ca\.crt is an X\.509 v1 CA .*rotate-ca start/);
    expect(changedFiles(before, await snapshot(certs))).toEqual([
      'ca-request-mtls-kafka-3',
      'ca-signed-mtls-kafka-3',
      'ext3.cnf',
      'kafka-mtls.json',
      'mtls-kafka-3.keystore.jks',
    ]);
    // The principal an operator grants is the one apply prints.
    principal3 = r.stdout.match(/^ {2}mtls-kafka-3 +(CN=\S+)$/m)?.[1] ?? `none in: ${r.stdout}`;
    expect(principal3).toBe(BROKER_PRINCIPAL(3));
    mark('apply');
  });

  test("the fourth broker joins on its new keystore; the script's client, stores untouched, writes through it", async () => {
    if (!principal3) throw new Error('apply --brokers 4 failed: there is no fourth broker to start');
    // The running nodes' super.users lack the new principal: an ACL lets it act as a broker, without a restart.
    const grant = await cluster.client('grant-broker', admin(), principal3);
    expect(grant.line).toBe(`OK cluster action for User:${principal3}`);
    // It registers with the controllers over TLS (the CONTROLLER listener verifies it); the harness waits for it.
    expect(
      await cluster.addBroker({
        host: NS_HOST(3),
        keystore: join(certs, 'mtls-kafka-3.keystore.jks'),
        principal: principal3,
      }),
    ).toBe(3);
    mark('broker 3 up');
    const setup = await cluster.client('setup', admin(), 'e2e-grown', CLIENT_PRINCIPAL, GROWN_REPLICAS);
    expect(setup.line).toMatch(/^OK topic e2e-grown partitions 2 leaders \[0, 3\]/);
    // acks=all with min.insync.replicas 3: each write waits until every replica has it, so partition 0's needs
    // nodes 0 and 1 fetching from the new broker and partition 1's the new broker fetching from node 0, all over
    // the INTERNAL listener's mutual TLS. Partition 0's write goes straight to the new broker, under its name.
    const grown = await cluster.client('roundtrip', client(oldClient), 'e2e-grown');
    expect(grown.line).toBe('OK produced and consumed 2 messages on partitions [0, 1]');
    mark('grown');
  }, 300_000);

  // The roll is most of the cost: in two runs on 2 shared cores (load average 13 to 22) this test took 66 and 89 s
  // of the file's 205 and 248 s, and the file without it 122 s. E2E_ROTATE=1 runs it; kafka.test.ts rotates a
  // running cluster through all three phases in any case.
  (ROTATE ? test : test.skip)(
    'rotate-ca start from the taken-over directory, one rolling restart: old and new truststores both work',
    async () => {
      const r = await runCli(['rotate-ca', 'start', '--out', certs], { cwd: work, env: { PASSWORD } });
      if (r.exitCode !== 0) throw new Error(`rotate-ca start failed: ${r.stdout}${r.stderr}`);
      for (const i of [0, 1, 2, 3]) await cluster.restart(i);
      mark('rolled');
      // Every broker came back on a truststore holding both CAs: the v1 CA's client still works, old truststore or new.
      for (const truststore of [oldClient.truststore, join(certs, 'kafka.client.truststore.jks')]) {
        const r = await cluster.client('roundtrip', client({ keystore: oldClient.keystore, truststore }), 'e2e-grown');
        expect(r.line).toBe('OK produced and consumed 2 messages on partitions [0, 1]');
      }
      mark('rotate start');
    },
    300_000,
  );
});
