import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * A 3-node KRaft cluster of real Apache Kafka on loopback, every listener
 * SSL with client authentication required, hostname verification on, nodes
 * advertised under their certificates' DNS names (resolved to 127.0.0.1 by
 * the JVM's jdk.net.hosts.file, so /etc/hosts is never touched), and the
 * StandardAuthorizer with the brokers as super users.
 */

export interface NodeSpec {
  /** DNS name in the certificate, advertised and used by the other nodes. */
  readonly host: string;
  readonly keystore: string;
  readonly principal: string;
  /** Settings that replace the harness's for this node (e.g. a generated server.properties fragment's ssl.* lines). */
  readonly props?: Readonly<Record<string, string>>;
}

export interface ClusterSpec {
  readonly lib: string;
  readonly dir: string;
  readonly nodes: readonly NodeSpec[];
  readonly truststore: string;
  readonly password: string;
  /** Extra names that resolve to 127.0.0.1 (for clients connecting under a name not in any SAN). */
  readonly extraHosts?: readonly string[];
  readonly startTimeoutMs?: number;
}

export interface RunningCluster {
  readonly bootstrap: string;
  readonly hostsFile: string;
  readonly clientPorts: readonly number[];
  /** Runs the e2e Java client; resolves with its one-line result. */
  client(
    mode: 'setup' | 'roundtrip',
    props: Record<string, string>,
    ...args: string[]
  ): Promise<{ ok: boolean; line: string }>;
  /** Stops node i and starts it again on the same configuration (and so on whatever store files are now at its paths). */
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import('node:net').Server>((resolve) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const JAVA = process.env.E2E_JAVA ?? 'java';

const LOG4J = `status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = \${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = org.apache.kafka
logger.kafka.level = INFO
`;

const LOG4J_CLIENT = `status = error
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %p %m (%c)%n
rootLogger.level = ERROR
rootLogger.appenderRef.console.ref = stderr
`;

export function propsText(p: Record<string, string>): string {
  return (
    Object.entries(p)
      .map(([k, v]) => `${k}=${v.replace(/\\/g, '\\\\')}`)
      .join('\n') + '\n'
  );
}

export async function startCluster(spec: ClusterSpec): Promise<RunningCluster> {
  await rm(spec.dir, { recursive: true, force: true });
  await mkdir(spec.dir, { recursive: true });
  const n = spec.nodes.length;
  const ports = await freePorts(n * 3);
  const clientPort = (i: number) => ports[i]!;
  const internalPort = (i: number) => ports[n + i]!;
  const controllerPort = (i: number) => ports[2 * n + i]!;
  const hostsFile = join(spec.dir, 'hosts');
  await writeFile(
    hostsFile,
    `127.0.0.1 localhost ${spec.nodes.map((x) => x.host).join(' ')} ${(spec.extraHosts ?? []).join(' ')}\n`,
  );
  await writeFile(join(spec.dir, 'log4j2.properties'), LOG4J);
  await writeFile(join(spec.dir, 'log4j2-client.properties'), LOG4J_CLIENT);
  // A base64url id may start with "-", which kafka-storage's parser takes for an option (as Kafka's own
  // Uuid.randomUuid avoids): one in 64 runs failed on it.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  const voters = spec.nodes.map((x, i) => `${i}@${x.host}:${controllerPort(i)}`).join(',');
  const jvm = (logDir: string) => [
    '-Xms64m',
    '-Xmx512m',
    '-XX:+UseSerialGC',
    `-Djdk.net.hosts.file=${hostsFile}`,
    `-Dlog4j2.configurationFile=${join(spec.dir, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${logDir}`,
    '-cp',
    `${spec.lib}/*`,
  ];

  const configs = await Promise.all(
    spec.nodes.map(async (node, i) => {
      const nodeDir = join(spec.dir, `node-${i}`);
      await mkdir(join(nodeDir, 'data'), { recursive: true });
      const config = join(nodeDir, 'server.properties');
      await writeFile(
        config,
        propsText({
          'process.roles': 'broker,controller',
          'node.id': String(i),
          'controller.quorum.voters': voters,
          listeners: `CLIENT://127.0.0.1:${clientPort(i)},INTERNAL://127.0.0.1:${internalPort(i)},CONTROLLER://127.0.0.1:${controllerPort(i)}`,
          'advertised.listeners': `CLIENT://${node.host}:${clientPort(i)},INTERNAL://${node.host}:${internalPort(i)}`,
          'listener.security.protocol.map': 'CLIENT:SSL,INTERNAL:SSL,CONTROLLER:SSL',
          'inter.broker.listener.name': 'INTERNAL',
          'controller.listener.names': 'CONTROLLER',
          // The stores exactly as kafka-mtls writes them; ssl.keystore.type is left at Kafka's default, as downstream configs do.
          'ssl.keystore.location': node.keystore,
          'ssl.keystore.password': spec.password,
          'ssl.key.password': spec.password,
          'ssl.truststore.location': spec.truststore,
          'ssl.truststore.password': spec.password,
          'ssl.client.auth': 'required',
          'ssl.endpoint.identification.algorithm': 'https',
          'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
          'super.users': spec.nodes.map((x) => `User:${x.principal}`).join(';'),
          'allow.everyone.if.no.acl.found': 'false',
          'log.dirs': join(nodeDir, 'data'),
          'offsets.topic.replication.factor': '3',
          'transaction.state.log.replication.factor': '3',
          'transaction.state.log.min.isr': '2',
          'group.initial.rebalance.delay.ms': '0',
          'num.partitions': '1',
          ...node.props,
        }),
      );
      return { nodeDir, config };
    }),
  );

  // Format each node's storage (Kafka's kafka-storage.sh format).
  await Promise.all(
    configs.map(({ nodeDir, config }) =>
      execa(
        JAVA,
        [...jvm(nodeDir), 'kafka.tools.StorageTool', 'format', '--cluster-id', clusterId, '--config', config],
        { timeout: 60_000 },
      ),
    ),
  );

  const procs: ResultPromise[] = [];
  const stop = async () => {
    for (const p of procs) p.kill('SIGTERM');
    const killer = setTimeout(() => procs.forEach((p) => p.kill('SIGKILL')), 10_000);
    await Promise.allSettled(procs);
    clearTimeout(killer);
    await rm(spec.dir, { recursive: true, force: true });
  };
  const launch = (i: number) =>
    execa(JAVA, [...jvm(configs[i]!.nodeDir), 'kafka.Kafka', configs[i]!.config], {
      reject: false,
      stdout: 'ignore',
      stderr: 'ignore',
      cleanup: true,
    });
  for (const i of configs.keys()) procs.push(launch(i));

  const logOf = (i: number) => readFile(join(configs[i]!.nodeDir, 'server.log'), 'utf8').catch(() => '');
  const timeout = spec.startTimeoutMs ?? 90_000;
  const deadline = Date.now() + timeout;
  try {
    for (;;) {
      const logs = await Promise.all(spec.nodes.map((_, i) => logOf(i)));
      const exited = await Promise.all(
        procs.map((p) =>
          Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 0))]),
        ),
      );
      const dead = exited.findIndex(Boolean);
      if (dead >= 0)
        throw new Error(
          `broker ${spec.nodes[dead]!.host} (node ${dead}) exited during start-up:\n${tail(logs[dead]!)}`,
        );
      if (logs.every((l) => /Kafka Server started/.test(l))) break;
      if (Date.now() > deadline) {
        const late = logs.map((l, i) => (/Kafka Server started/.test(l) ? -1 : i)).filter((i) => i >= 0);
        // A node that came up can still fail to talk TLS to the others: show the SSL errors of all.
        const details = spec.nodes.map((x, i) => `--- ${x.host} (node ${i}) ---\n${tail(logs[i]!)}`).join('\n');
        throw new Error(
          `brokers ${late.map((i) => spec.nodes[i]!.host).join(', ')} did not start within ${timeout / 1000} s\n${details}`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (e) {
    await stop();
    throw e;
  }

  const bootstrap = spec.nodes.map((x, i) => `${x.host}:${clientPort(i)}`).join(',');
  return {
    bootstrap,
    hostsFile,
    clientPorts: spec.nodes.map((_, i) => clientPort(i)),
    async client(mode, props, ...args) {
      const file = join(spec.dir, `client-${randomBytes(4).toString('hex')}.properties`);
      await writeFile(file, propsText(props));
      const r = await execa(
        JAVA,
        [
          '-Xmx256m',
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          `-Djdk.net.hosts.file=${hostsFile}`,
          `-Dlog4j2.configurationFile=${join(spec.dir, 'log4j2-client.properties')}`,
          '-cp',
          `${spec.lib}/*`,
          'E2eClient',
          mode,
          file,
          ...args,
        ],
        { reject: false, timeout: 120_000 },
      );
      const line =
        String(r.stdout)
          .split('\n')
          .filter((l) => /^(OK|FAILED) /.test(l))
          .pop() ?? `no result line (exit ${r.exitCode}): ${r.stdout} ${r.stderr}`;
      return { ok: r.exitCode === 0 && line.startsWith('OK '), line };
    },
    async restart(i) {
      const started = (log: string) => (log.match(/Kafka Server started/g) ?? []).length;
      const before = started(await logOf(i));
      procs[i]!.kill('SIGTERM');
      const killer = setTimeout(() => procs[i]!.kill('SIGKILL'), 30_000);
      await procs[i];
      clearTimeout(killer);
      procs[i] = launch(i);
      const until = Date.now() + timeout;
      for (;;) {
        const log = await logOf(i);
        if (started(log) > before) return;
        const exited = await Promise.race([
          procs[i]!.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), 0)),
        ]);
        if (exited)
          throw new Error(`broker ${spec.nodes[i]!.host} (node ${i}) exited during its restart:\n${tail(log)}`);
        if (Date.now() > until)
          throw new Error(
            `broker ${spec.nodes[i]!.host} (node ${i}) did not restart within ${timeout / 1000} s:\n${tail(log)}`,
          );
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    stop,
  };
}

/** The last lines of a broker log, plus every SSL or handshake error in it: what a user needs to see first. */
function tail(log: string): string {
  const lines = log.split('\n');
  const tls = lines
    .filter((l) => /SSL|handshake|PKIX|certificate|Authentication/i.test(l) && /ERROR|WARN|Exception/.test(l))
    .slice(-8);
  return [...(tls.length ? ['TLS errors:', ...tls, 'log tail:'] : []), ...lines.slice(-25)].join('\n');
}
