import { execa, type ResultPromise } from 'execa';
import { X509Certificate } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { ROOT, runCli, snapshot, tempDir } from '../helpers/cli.js';
import { propsText, sslClientProps, startCluster, type RunningCluster } from './cluster.js';

/**
 * Issue 23 item 3 on a real cluster: a 3-node KRaft cluster (combined broker+controller nodes, mutual TLS on
 * every listener) renews every broker certificate and then rotates its CA through the three phases, each
 * change made live by `kafka-mtls … --reload` through Kafka's kafka-configs (one alter per broker re-reads the
 * stores at their paths), with no broker restart, while a Java producer and consumer run throughout; no record
 * may be lost, and every broker must serve the new files' certificates. Then a keystore Kafka refuses (its
 * subject changed), on a second cluster: refused by the pre-flight, and by the live broker for the same reason.
 *
 * The CONTROLLER listener runs on copies of the stores that the rotation does not touch (controllerStores
 * own): Kafka 4.1.1's Raft client keeps the stores it started with (KAFKA-20025), so a CA rotated under a
 * running quorum leaves the quorum unable to reconnect (measured: PKIX path building failed on every node once
 * its connections dropped). The controller listener keeps the old CA until the nodes' next restart.
 */

const PASSWORD = 'e2e-Reload-Passw0rd';
const TOPIC = 'e2e-reload';
const NS_HOST = (i: number) => `mtls-kafka-${i}.mtls-kafka-headless.axplatform.svc.cluster.local`;
const PRINCIPAL = (cn: string) => `CN=${cn},OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR`;
const BROKER_PRINCIPAL = (i: number) => PRINCIPAL(`mtls-kafka-${i}.mtls-kafka-headless`);
const CLIENT_PRINCIPAL = PRINCIPAL('mtls-kafka-client');
const BROKERS = [0, 1, 2];
/** How long a broker may take to serve a reloaded store: kafka-configs returns before the node applies it. */
const TAKE_MS = 20_000;

let lib: string;
let work: string;
let certs: string;
/** Kafka's distribution layout: bin/kafka-configs.sh beside libs/ (a link to the fetched jars). */
let kafkaConfigs: string;
let cluster: RunningCluster;
let pidsAtStart: number[];
const times: Record<string, number> = {};
const began = Date.now();
const mark = (what: string) => (times[what] = Math.round((Date.now() - began) / 100) / 10);

const keystore = (i: number) => join(certs, `mtls-kafka-${i}.keystore.jks`);
const serverTruststore = () => join(certs, 'kafka.server.truststore.jks');

/** The SHA-256 fingerprint of the leaf a keystore holds under alias (keytool reads it, as Kafka would). */
async function leafOf(store: string, alias: string): Promise<X509Certificate> {
  const r = await execa(
    'keytool',
    ['-exportcert', '-rfc', '-alias', alias, '-keystore', store, '-storepass:env', 'PW'],
    {
      env: { PW: PASSWORD },
    },
  );
  return new X509Certificate(String(r.stdout));
}

/** The leaf certificate a listener serves (TLS 1.3: the server's certificate comes before it asks for ours). */
function served(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, () => {
      const cert = s.getPeerX509Certificate();
      s.destroy();
      if (cert) resolve(cert);
      else reject(new Error(`no certificate from port ${port}`));
    });
    s.on('error', reject);
    s.setTimeout(10_000, () => s.destroy(new Error(`port ${port}: no handshake within 10 s`)));
  });
}

/** Waits until every port serves the fingerprint wanted of it; resolves with how long that took, in ms. */
async function untilServed(want: Array<{ port: number; fingerprint: string }>): Promise<number> {
  const start = Date.now();
  for (;;) {
    const got = await Promise.all(want.map((w) => served(w.port).then((c) => c.fingerprint256)));
    if (got.every((f, k) => f === want[k]!.fingerprint)) return Date.now() - start;
    if (Date.now() - start > TAKE_MS)
      throw new Error(
        `not served within ${TAKE_MS / 1000} s: ${want
          .map((w, k) => `port ${w.port} serves ${got[k]}, want ${w.fingerprint}`)
          .join('; ')}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What each broker's CLIENT and INTERNAL listeners must serve: the leaf of its keystore file as it is now. */
async function wantNewLeaves(): Promise<Array<{ port: number; fingerprint: string }>> {
  const leaves = await Promise.all(BROKERS.map((i) => leafOf(keystore(i), `mtls-kafka-${i}`)));
  return BROKERS.flatMap((i) => [
    { port: cluster.clientPorts[i]!, fingerprint: leaves[i]!.fingerprint256 },
    { port: cluster.internalPorts[i]!, fingerprint: leaves[i]!.fingerprint256 },
  ]);
}

/** Runs Kafka's kafka-configs as an operator would, its admin client resolving the brokers' names. */
async function kafkaConfigsRun(args: string[]) {
  // The admin is broker 2 (a super user; the refusal test swaps broker 0's keystore) on copies of the directory's
  // current keystore and client truststore: what the brokers serve is trusted by that truststore in every phase.
  const dir = join(work, 'admin');
  await mkdir(dir, { recursive: true });
  await copyFile(keystore(2), join(dir, 'admin.keystore'));
  await copyFile(join(certs, 'kafka.client.truststore.jks'), join(dir, 'admin.truststore'));
  const config = join(dir, 'admin.properties');
  await writeFile(
    config,
    propsText({
      'security.protocol': 'SSL',
      'ssl.keystore.location': join(dir, 'admin.keystore'),
      'ssl.keystore.password': PASSWORD,
      'ssl.key.password': PASSWORD,
      'ssl.truststore.location': join(dir, 'admin.truststore'),
      'ssl.truststore.password': PASSWORD,
    }),
  );
  const r = await execa(kafkaConfigs, ['--bootstrap-server', cluster.bootstrap, '--command-config', config, ...args], {
    env: { KAFKA_OPTS: `-Djdk.net.hosts.file=${cluster.hostsFile}` },
    reject: false,
    timeout: 120_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The alter that makes broker i re-read its stores: each SSL listener's keystore and truststore, same paths. */
const alterArgs = (i: number, path = keystore(i)) => [
  '--entity-type',
  'brokers',
  '--entity-name',
  String(i),
  '--alter',
  '--add-config',
  ['client', 'internal']
    .flatMap((l) => [
      `listener.name.${l}.ssl.keystore.location=${path}`,
      `listener.name.${l}.ssl.truststore.location=${serverTruststore()}`,
    ])
    .join(','),
];

/**
 * kafka-mtls's --reload against the running cluster, through Kafka's kafka-configs as laid out above; the brokers
 * run with ssl.allow.dn.changes (see the cluster's start), which --kafka-allows tells the pre-flight.
 */
const reloadArgs = (allowsDn = true) => [
  '--reload',
  '--bootstrap-server',
  `${NS_HOST(0)}:${cluster.clientPorts[0]}`,
  '--kafka-configs',
  kafkaConfigs,
  '--listener',
  'INTERNAL',
  ...(allowsDn ? ['--kafka-allows', 'dn'] : []),
];

/** The environment kafka-mtls passes on to kafka-configs: the brokers' names resolve through the cluster's file. */
const kafkaEnv = () => ({ PASSWORD, KAFKA_OPTS: `-Djdk.net.hosts.file=${cluster.hostsFile}` });

/** Runs `kafka-mtls <args> --reload`; it must succeed, and then every broker serve the leaf of its new file. */
async function withReload(phase: string, args: string[]): Promise<void> {
  const t = Date.now();
  const r = await runCli([...args, '--out', certs, ...reloadArgs()], { cwd: work, env: kafkaEnv() });
  const cliMs = Date.now() - t;
  if (r.exitCode !== 0)
    throw new Error(`kafka-mtls ${args.join(' ')} --reload: exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
  const took = await untilServed(await wantNewLeaves()).catch(async (e: Error) => {
    // kafka-configs said yes: a broker that refuses the new store says why only in its log.
    const logs = await Promise.all(BROKERS.map((i) => cluster.log(i)));
    throw new Error(`${e.message}\nrefusals in the brokers' logs:\n${logs.flatMap(refusals).join('\n')}\n${r.stdout}`);
  });
  reloadReport.push(`${phase}: kafka-mtls ${args.join(' ')} --reload took ${cliMs} ms; served ${took} ms after`);
  if (phase === 'renew') reloadReport.push(r.stdout.slice(Math.max(0, r.stdout.search(/^Reloaded/m))).trim());
}

/** Kafka's reasons for refusing a reloaded store, from a broker log (the line after each publishing fault). */
const refusals = (log: string) =>
  [...log.matchAll(/Encountered metadata publishing fault[^\n]*\n([^\n]*)/g)].map((m) => m[1]!);

/** Kafka's sentence for a keystore whose subject changed, cut from a message that holds one. */
const dnRefusal = (text: string) =>
  /Keystore DistinguishedName does not match: {2}existing=\{[^}]*\}, new=\{[^}]*\}/.exec(text)?.[0];

/** The producer and consumer that run throughout, on the client's stores as they were at the start. */
let stream: { proc: ResultPromise; stop: string; progress: string[] } | undefined;
const consumedSoFar = () => Number(/consumed=(\d+)/.exec(stream?.progress.at(-1) ?? '')?.[1] ?? -1);

/** Waits until the stream has consumed more than it had: records flow through the cluster as it is now. */
async function flowing(): Promise<number> {
  const before = consumedSoFar();
  const until = Date.now() + 30_000;
  while (consumedSoFar() <= before + 5) {
    if (Date.now() > until) throw new Error(`the stream stopped flowing: ${stream?.progress.at(-1)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return consumedSoFar();
}

/** Whether the broker's listener takes our client certificate, by kafka-mtls probe (exit 0 = mutual TLS works). */
async function probe(i: number, port: number, client: string, ca: string) {
  return runCli(['probe', `127.0.0.1:${port}`, '--servername', NS_HOST(i), '--ca', ca, '--client', client], {
    cwd: work,
    env: { PASSWORD },
  });
}

const reloadReport: string[] = [];

beforeAll(async () => {
  const fetched = await execa('bash', [join(ROOT, 'scripts/fetch-kafka.sh')], { stderr: 'inherit' });
  lib = String(fetched.stdout).trim().split('\n').pop()!;
  work = await tempDir('kmtls-e2e-reload-');
  await mkdir(join(work, 'kafka/bin'), { recursive: true });
  await symlink(lib, join(work, 'kafka/libs'));
  kafkaConfigs = join(work, 'kafka/bin/kafka-configs.sh');
  // Kafka's bin/kafka-configs.sh runs kafka.admin.ConfigCommand through kafka-run-class.sh, which puts libs/* on the
  // class path and passes KAFKA_HEAP_OPTS and KAFKA_OPTS to java: the same, without the rest of the distribution.
  await writeFile(
    kafkaConfigs,
    [
      '#!/bin/sh',
      'base=$(cd "$(dirname "$0")/.." && pwd)',
      'exec "${JAVA:-java}" $KAFKA_HEAP_OPTS $KAFKA_OPTS -cp "$base/libs/*" kafka.admin.ConfigCommand "$@"',
      '',
    ].join('\n'),
  );
  await chmod(kafkaConfigs, 0o755);
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  process.stderr.write(
    `reload e2e: seconds since the start, at the end of each stage: ${JSON.stringify(times)}\n` +
      `${reloadReport.join('\n')}\n`,
  );
});

/**
 * Generates a directory under work/<name> and starts the cluster on it, the controller listener on its own copies
 * (one cluster at a time: the last one started is `cluster`, its directory `certs`).
 */
async function startOn(name: string, props: Record<string, string> = {}): Promise<void> {
  certs = join(work, name);
  const g = await runCli(['generate', '--out', certs, '--emit', 'pem'], { cwd: work, env: { PASSWORD } });
  if (g.exitCode !== 0) throw new Error(`kafka-mtls generate failed: ${g.stdout}${g.stderr}`);
  cluster = await startCluster({
    lib,
    dir: join(work, `cluster-${name}`),
    nodes: BROKERS.map((i) => ({ host: NS_HOST(i), keystore: keystore(i), principal: BROKER_PRINCIPAL(i), props })),
    truststore: serverTruststore(),
    password: PASSWORD,
    controllerStores: 'own',
  });
  pidsAtStart = cluster.pids();
  mark(`cluster ${name} up`);
}

describe('a live 3-node KRaft cluster renews and rotates its CA with no broker restart', () => {
  beforeAll(async () => {
    // rotate-ca reissue writes each keystore with the new CA under ca.crt: another subject, which Kafka refuses
    // to reload unless ssl.allow.dn.changes (3.7+; static, so set before the brokers start).
    await startOn('certs', { 'ssl.allow.dn.changes': 'true' });
    const admin = sslClientProps({
      bootstrap: cluster.bootstrap,
      keystore: keystore(0),
      truststore: join(certs, 'kafka.client.truststore.jks'),
      password: PASSWORD,
    });
    // Replication 3 with min.insync.replicas 3 on every partition: each acks=all write waits for both followers,
    // so every record crosses the INTERNAL listener of two brokers.
    const setup = await cluster.client('setup', admin, TOPIC, CLIENT_PRINCIPAL, '0,1,2;1,2,0;2,0,1');
    if (!setup.ok) throw new Error(`setup failed: ${setup.line}`);
    // The client as deployed: its stores copied once and never updated (a Java client cannot reload them); it
    // keeps its connections, so it must not lose a record while the brokers change theirs under it.
    await mkdir(join(work, 'client'));
    for (const f of ['mtls-kafka-client.keystore.jks', 'kafka.client.truststore.jks'])
      await copyFile(join(certs, f), join(work, 'client', f));
    const stop = join(work, 'client/stop');
    const { proc } = await cluster.spawnClient(
      'stream',
      {
        ...sslClientProps({
          bootstrap: cluster.bootstrap,
          keystore: join(work, 'client/mtls-kafka-client.keystore.jks'),
          truststore: join(work, 'client/kafka.client.truststore.jks'),
          password: PASSWORD,
        }),
        'connections.max.idle.ms': '3600000',
      },
      TOPIC,
      stop,
    );
    stream = { proc, stop, progress: [] };
    proc.stdout!.on('data', (d: Buffer) =>
      stream!.progress.push(
        ...String(d)
          .split('\n')
          .filter((l) => l.startsWith('PROGRESS')),
      ),
    );
    await flowing();
    mark('stream flowing');
  }, 400_000);

  afterAll(async () => {
    if (stream && stream.proc.exitCode === null) stream.proc.kill('SIGKILL');
    await cluster?.stop();
  });

  test('apply --renew-before renews every broker certificate; each broker serves its new one', async () => {
    const before = await Promise.all(BROKERS.map((i) => served(cluster.clientPorts[i]!)));
    const controllerBefore = await Promise.all(BROKERS.map((i) => served(cluster.controllerPorts[i]!)));
    await withReload('renew', ['apply', '--renew-before', '36500']);
    // Renewed: every broker serves a leaf it did not serve before.
    const after = await Promise.all(BROKERS.map((i) => served(cluster.clientPorts[i]!)));
    for (const i of BROKERS) expect(after[i]!.fingerprint256).not.toBe(before[i]!.fingerprint256);
    // The controller listener, on its own copies, still serves what it started with.
    for (const i of BROKERS)
      expect((await served(cluster.controllerPorts[i]!)).fingerprint256).toBe(controllerBefore[i]!.fingerprint256);
    await flowing();
    mark('renewed');
  });

  test('rotate-ca start: every broker trusts the new CA once reloaded (a client of the new CA is let in)', async () => {
    await withReload('start', ['rotate-ca', 'start']);
    // A client certificate from the next CA, as the reissued clients will have.
    const next = join(work, 'next-client');
    await mkdir(next);
    await execa(
      'openssl',
      ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(next, 'k.pem')].concat([
        '-out',
        join(next, 'r.csr'),
        '-subj',
        '/CN=mtls-kafka-client',
      ]),
    );
    await writeFile(join(next, 'ext.cnf'), 'extendedKeyUsage = clientAuth\n');
    await execa('openssl', [
      'x509',
      '-req',
      '-in',
      join(next, 'r.csr'),
      '-CA',
      join(certs, 'ca-next.crt'),
      '-CAkey',
      join(certs, 'ca-next.key'),
      '-CAcreateserial',
      '-out',
      join(next, 'c.pem'),
      '-days',
      '2',
      '-extfile',
      join(next, 'ext.cnf'),
    ]);
    const pem = join(next, 'client.pem');
    await writeFile(pem, (await readFile(join(next, 'c.pem'), 'utf8')) + (await readFile(join(next, 'k.pem'), 'utf8')));
    const ca = join(certs, 'ca.pem');
    for (const i of BROKERS)
      for (const port of [cluster.clientPorts[i]!, cluster.internalPorts[i]!]) {
        const p = await probe(i, port, pem, ca);
        expect({ port, exitCode: p.exitCode, out: p.exitCode === 0 ? '' : p.stdout }).toEqual({
          port,
          exitCode: 0,
          out: '',
        });
      }
    await flowing();
    mark('rotate start');
  });

  test('rotate-ca reissue: every broker serves its leaf from the new CA', async () => {
    await withReload('reissue', ['rotate-ca', 'reissue']);
    const next = new X509Certificate(await readFile(join(certs, 'ca.crt')));
    for (const i of BROKERS) {
      const leaf = await served(cluster.clientPorts[i]!);
      expect(leaf.checkIssued(next)).toBe(true);
    }
    await flowing();
    mark('rotate reissue');
  });

  test('rotate-ca finish: the old CA is out of every reloaded truststore; the new one still in', async () => {
    const oldClient = join(work, 'client/mtls-kafka-client.keystore.jks');
    const newClient = join(certs, 'mtls-kafka-client.keystore.jks');
    const ca = join(certs, 'ca.crt');
    // Before: the old CA's client is still let in.
    expect((await probe(0, cluster.clientPorts[0]!, oldClient, ca)).exitCode).toBe(0);
    await withReload('finish', ['rotate-ca', 'finish']);
    for (const i of BROKERS)
      for (const port of [cluster.clientPorts[i]!, cluster.internalPorts[i]!]) {
        expect({ port, old: (await probe(i, port, oldClient, ca)).exitCode }).toEqual({ port, old: 1 });
        expect({ port, new: (await probe(i, port, newClient, ca)).exitCode }).toEqual({ port, new: 0 });
      }
    await flowing();
    mark('rotate finish');
  });

  // The controller quorum's connections were opened before the rotation, on the stores the Raft client keeps;
  // dropping them (a network blip, a leader change) makes it reconnect. On its own untouched stores it can.
  test('the controller quorum reconnects after its connections drop (ss -K), and the cluster still serves', async () => {
    const ports = cluster.controllerPorts.map((p) => `dport = :${p}`).join(' or ');
    const killed = await execa('ss', ['-K', '-tn', 'state', 'established', `( ${ports} )`], { reject: false });
    if (killed.exitCode !== 0) {
      // ss -K needs root and a kernel with CONFIG_INET_DIAG_DESTROY: without them this check cannot run.
      process.stderr.write(`skipped: the quorum reconnect check (ss -K failed: ${killed.stderr})\n`);
      return;
    }
    const dropped = String(killed.stdout)
      .split('\n')
      .filter((l) => /ESTAB|127\.0\.0\.1/.test(l)).length;
    reloadReport.push(`quorum: ss -K closed ${dropped} connections to the CONTROLLER ports`);
    const logBefore = await Promise.all(BROKERS.map((i) => cluster.log(i).then((l) => l.length)));
    const r = await cluster.client(
      'roundtrip',
      sslClientProps({
        bootstrap: cluster.bootstrap,
        keystore: join(certs, 'mtls-kafka-client.keystore.jks'),
        truststore: join(certs, 'kafka.client.truststore.jks'),
        password: PASSWORD,
      }),
      TOPIC,
    );
    expect(r.line).toBe('OK produced and consumed 3 messages on partitions [0, 1, 2]');
    await flowing();
    // No node failed a TLS handshake to another since: the quorum is back on its own stores.
    for (const i of BROKERS) {
      const since = (await cluster.log(i)).slice(logBefore[i]);
      expect({ node: i, failures: since.match(/.*failed authentication due to.*/g) ?? [] }).toEqual({
        node: i,
        failures: [],
      });
    }
    mark('quorum reconnected');
  }, 120_000);

  test('through it all: no broker restarted, and every record the producer sent was consumed', async () => {
    expect(cluster.pids()).toEqual(pidsAtStart);
    for (const i of BROKERS) expect(((await cluster.log(i)).match(/Kafka Server started/g) ?? []).length).toBe(1);
    await writeFile(stream!.stop, '');
    const r = await stream!.proc;
    const line = String(r.stdout)
      .split('\n')
      .filter((l) => /^(OK|FAILED) /.test(l))
      .pop();
    reloadReport.push(`stream: ${line}`);
    expect(line).toMatch(/^OK stream produced (\d+) acked \1 consumed \1, every record consumed$/);
    mark('stream checked');
  }, 120_000);
});

describe('a keystore Kafka refuses (its subject changed) is refused before anything is asked, and by the broker', () => {
  let changed: string;

  beforeAll(async () => {
    await startOn('refusal');
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  /** Waits for broker 0's log, past offset `from`, to give Kafka's reason for refusing a changed subject. */
  const refusedInLog = async (from: number): Promise<string | undefined> => {
    for (const until = Date.now() + TAKE_MS; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
      const found = dnRefusal(refusals((await cluster.log(0)).slice(from)).join('\n'));
      if (found) return found;
    }
    return undefined;
  };

  beforeAll(async () => {
    // What an operator gets by changing a subject field: apply reissues every leaf under the new subject.
    changed = join(work, 'changed');
    await execa('cp', ['-a', certs, changed]);
    const r = await runCli(['apply', '--out', changed, '--org-unit', 'Elsewhere'], { cwd: work, env: { PASSWORD } });
    if (r.exitCode !== 0) throw new Error(`apply --org-unit failed: ${r.stdout}${r.stderr}`);
  }, 120_000);

  let preflight: string | undefined;
  test("kafka-mtls apply --reload: Kafka's own check refuses it before the swap; nothing changed, nothing asked", async () => {
    const before = await snapshot(certs);
    const logsBefore = await Promise.all(BROKERS.map((i) => cluster.log(i).then((l) => l.length)));
    const r = await runCli(['apply', '--out', certs, '--org-unit', 'Elsewhere', ...reloadArgs(false)], {
      cwd: work,
      env: kafkaEnv(),
    });
    expect(r.exitCode).toBe(1);
    preflight = dnRefusal(r.stdout + r.stderr);
    expect(preflight).toMatch(/new=\{alias=mtls-kafka-0, DN=CN=mtls-kafka-0\.mtls-kafka-headless, OU=Elsewhere/);
    expect(await snapshot(certs)).toEqual(before);
    // Nothing was asked of the cluster: no broker validated or applied a configuration change.
    for (const i of BROKERS)
      expect((await cluster.log(i)).slice(logsBefore[i]!)).not.toMatch(
        /ConfigAdminManager|Reconfiguring|publishing fault/,
      );
    reloadReport.push(`pre-flight: exit 1, ${preflight}`);
  });

  test('asked directly, the live broker refuses it: kafka-configs exit 1 when the value changes, else only its log', async () => {
    const original = join(work, 'broker-0.keystore.kept');
    const leafBefore = (await served(cluster.clientPorts[0]!)).fingerprint256;
    await copyFile(keystore(0), original);
    // Swapped in at the broker's path, whole, as kafka-mtls swaps files.
    await copyFile(join(changed, 'mtls-kafka-0.keystore.jks'), `${keystore(0)}.new`);
    await rename(`${keystore(0)}.new`, keystore(0));
    try {
      const logBefore = (await cluster.log(0)).length;
      // The same path: the alter is committed (exit 0) and the broker refuses it while applying, in its log alone.
      const same = await kafkaConfigsRun(alterArgs(0));
      expect(same.exitCode).toBe(0);
      expect(same.stdout).toContain('Completed updating config for broker 0.');
      const logged = await refusedInLog(logBefore);
      expect(logged).toMatch(
        /existing=\{alias=mtls-kafka-0, DN=CN=mtls-kafka-0\.mtls-kafka-headless, OU=OrganizationUnit/,
      );
      expect(logged).toMatch(/new=\{alias=mtls-kafka-0, DN=CN=mtls-kafka-0\.mtls-kafka-headless, OU=Elsewhere/);
      // The same file under another spelling is a changed value: the broker validates it before committing.
      const spelled = await kafkaConfigsRun(alterArgs(0, `${certs}/./mtls-kafka-0.keystore.jks`));
      expect(spelled.exitCode).toBe(1);
      expect(spelled.stderr).toContain(
        'InvalidRequestException: Invalid value org.apache.kafka.common.config.ConfigException: Validation of dynamic ' +
          'config update of SSLFactory failed: org.apache.kafka.common.config.ConfigException: Keystore ' +
          'DistinguishedName does not match:',
      );
      expect(dnRefusal(spelled.stderr)).toBe(logged);
      // The same reason as the pre-flight's, word for word.
      expect(logged).toBe(preflight);
      // Refused: every listener still serves the certificate it had.
      expect((await served(cluster.clientPorts[0]!)).fingerprint256).toBe(leafBefore);
      expect((await served(cluster.internalPorts[0]!)).fingerprint256).toBe(leafBefore);
      reloadReport.push(`refusal: ${logged}`);
    } finally {
      await rename(original, keystore(0));
    }
  });
});
