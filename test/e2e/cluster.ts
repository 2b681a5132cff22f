import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
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
  /** Loggers set to a level in the brokers' log4j2 configuration (e.g. SslTransportLayer at DEBUG). */
  readonly loggers?: Readonly<Record<string, string>>;
  /**
   * own: each controller listener runs on copies of its node's keystore and of the truststore, made at start in
   * the node's directory (listener.name.controller.ssl.*.location), so replacing the stores at their paths never
   * reaches the controller quorum. Kafka 4.1.1's Raft client keeps the stores it started with (KAFKA-20025): a
   * CA rotated under a running quorum leaves it unable to reconnect. Default shared: the node's stores.
   */
  readonly controllerStores?: 'shared' | 'own';
}

export interface RunningCluster {
  readonly bootstrap: string;
  readonly hostsFile: string;
  readonly clientPorts: readonly number[];
  readonly internalPorts: readonly number[];
  /** The voters' CONTROLLER listener ports, by node. */
  readonly controllerPorts: readonly number[];
  /** The nodes' JVM process ids (a restart changes one). */
  pids(): number[];
  /** Node i's server.log so far. */
  log(i: number): Promise<string>;
  /** Starts the e2e Java client without waiting for it (a long-running mode such as stream); wrapped, not awaited. */
  spawnClient(mode: 'stream', props: Record<string, string>, ...args: string[]): Promise<{ proc: ResultPromise }>;
  /** Runs the e2e Java client; resolves with its one-line result. */
  client(
    mode: 'setup' | 'grant-broker' | 'roundtrip',
    props: Record<string, string>,
    ...args: string[]
  ): Promise<{ ok: boolean; line: string }>;
  /** Stops node i and starts it again on the same configuration (and so on whatever store files are now at its paths). */
  restart(i: number): Promise<void>;
  /**
   * Starts one more node, a broker only (the controller quorum stays the first nodes'), with the next node id, and
   * resolves once it is up; its name must resolve already (extraHosts). Its client port is pushed onto clientPorts.
   */
  addBroker(node: NodeSpec): Promise<number>;
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

/** A Java client's properties for SSL with the given stores, every store and key under one password; short timeouts. */
export function sslClientProps(o: {
  bootstrap: string;
  keystore?: string;
  truststore: string;
  password: string;
}): Record<string, string> {
  return {
    'bootstrap.servers': o.bootstrap,
    'security.protocol': 'SSL',
    'ssl.truststore.location': o.truststore,
    'ssl.truststore.password': o.password,
    ...(o.keystore
      ? { 'ssl.keystore.location': o.keystore, 'ssl.keystore.password': o.password, 'ssl.key.password': o.password }
      : {}),
    'request.timeout.ms': '15000',
    'default.api.timeout.ms': '30000',
    'max.block.ms': '30000',
    'reconnect.backoff.max.ms': '1000',
  };
}

export async function startCluster(spec: ClusterSpec): Promise<RunningCluster> {
  await rm(spec.dir, { recursive: true, force: true });
  await mkdir(spec.dir, { recursive: true });
  const n = spec.nodes.length;
  const ports = await freePorts(n * 3);
  const clientPorts = ports.slice(0, n);
  const internalPorts = ports.slice(n, 2 * n);
  const controllerPort = (i: number) => ports[2 * n + i]!;
  const hostsFile = join(spec.dir, 'hosts');
  await writeFile(
    hostsFile,
    `127.0.0.1 localhost ${spec.nodes.map((x) => x.host).join(' ')} ${(spec.extraHosts ?? []).join(' ')}\n`,
  );
  const loggers = Object.entries(spec.loggers ?? {}).map(
    ([name, level], i) => `logger.extra${i}.name = ${name}\nlogger.extra${i}.level = ${level}\n`,
  );
  await writeFile(join(spec.dir, 'log4j2.properties'), LOG4J + loggers.join(''));
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
  const nodes: NodeSpec[] = [...spec.nodes];

  /** Writes node i's server.properties and formats its storage; a node past the first n is a broker only. */
  const configure = async (i: number) => {
    const node = nodes[i]!;
    const voter = i < n;
    const nodeDir = join(spec.dir, `node-${i}`);
    await mkdir(join(nodeDir, 'data'), { recursive: true });
    const config = join(nodeDir, 'server.properties');
    const listeners = [
      `CLIENT://127.0.0.1:${clientPorts[i]}`,
      `INTERNAL://127.0.0.1:${internalPorts[i]}`,
      ...(voter ? [`CONTROLLER://127.0.0.1:${controllerPort(i)}`] : []),
    ];
    await writeFile(
      config,
      propsText({
        'process.roles': voter ? 'broker,controller' : 'broker',
        'node.id': String(i),
        'controller.quorum.voters': voters,
        listeners: listeners.join(','),
        // A voter with its own controller stores advertises its CONTROLLER listener under its name too: a Raft
        // client that reconnects to the leader's registered endpoint then verifies a name in the SANs, not 127.0.0.1.
        'advertised.listeners': [
          `CLIENT://${node.host}:${clientPorts[i]}`,
          `INTERNAL://${node.host}:${internalPorts[i]}`,
          ...(voter && spec.controllerStores === 'own' ? [`CONTROLLER://${node.host}:${controllerPort(i)}`] : []),
        ].join(','),
        'listener.security.protocol.map': 'CLIENT:SSL,INTERNAL:SSL,CONTROLLER:SSL',
        'inter.broker.listener.name': 'INTERNAL',
        'controller.listener.names': 'CONTROLLER',
        // The stores exactly as kafka-mtls writes them; ssl.keystore.type is left at Kafka's default, as downstream configs do.
        'ssl.keystore.location': node.keystore,
        'ssl.keystore.password': spec.password,
        'ssl.key.password': spec.password,
        'ssl.truststore.location': spec.truststore,
        'ssl.truststore.password': spec.password,
        ...(voter && spec.controllerStores === 'own' ? await ownControllerStores(nodeDir, node.keystore) : {}),
        'ssl.client.auth': 'required',
        'ssl.endpoint.identification.algorithm': 'https',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        // The nodes known when this one starts: the others learn a later broker's principal from an ACL, not a restart.
        'super.users': nodes.map((x) => `User:${x.principal}`).join(';'),
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
    // Kafka's kafka-storage.sh format.
    await execa(
      JAVA,
      [...jvm(nodeDir), 'kafka.tools.StorageTool', 'format', '--cluster-id', clusterId, '--config', config],
      { timeout: 60_000 },
    );
    return { nodeDir, config };
  };
  /** Copies of the node's keystore and of the truststore for its controller listener alone (controllerStores own). */
  const ownControllerStores = async (nodeDir: string, keystore: string) => {
    const [ks, ts] = [join(nodeDir, 'controller.keystore'), join(nodeDir, 'controller.truststore')];
    await Promise.all([copyFile(keystore, ks), copyFile(spec.truststore, ts)]);
    return {
      'listener.name.controller.ssl.keystore.location': ks,
      'listener.name.controller.ssl.truststore.location': ts,
    };
  };
  const configs = await Promise.all(spec.nodes.map((_, i) => configure(i)));

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

  /** Resolves once node i's log says it started more than `before` times; throws with its log if it exits or is late. */
  const started = async (i: number, before: number, what: string) => {
    const until = Date.now() + timeout;
    for (;;) {
      const log = await logOf(i);
      if (startsIn(log) > before) return;
      const exited = await Promise.race([
        procs[i]!.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 0)),
      ]);
      if (exited) throw new Error(`broker ${nodes[i]!.host} (node ${i}) exited during ${what}:\n${tail(log)}`);
      if (Date.now() > until)
        throw new Error(
          `broker ${nodes[i]!.host} (node ${i}) did not finish ${what} within ${timeout / 1000} s:\n${tail(log)}`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  const bootstrap = spec.nodes.map((x, i) => `${x.host}:${clientPorts[i]}`).join(',');
  /** The e2e Java client's command line, its properties written to a file of the cluster's directory. */
  const clientArgs = async (mode: string, props: Record<string, string>, args: string[]) => {
    const file = join(spec.dir, `client-${randomBytes(4).toString('hex')}.properties`);
    await writeFile(file, propsText(props));
    return [
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
    ];
  };
  return {
    bootstrap,
    hostsFile,
    clientPorts,
    internalPorts,
    controllerPorts: spec.nodes.map((_, i) => controllerPort(i)),
    pids: () => procs.map((p) => p.pid!),
    log: logOf,
    async spawnClient(mode, props, ...args) {
      return { proc: execa(JAVA, await clientArgs(mode, props, args), { reject: false, cleanup: true }) };
    },
    async client(mode, props, ...args) {
      const r = await execa(JAVA, await clientArgs(mode, props, args), { reject: false, timeout: 120_000 });
      const line =
        String(r.stdout)
          .split('\n')
          .filter((l) => /^(OK|FAILED) /.test(l))
          .pop() ?? `no result line (exit ${r.exitCode}): ${r.stdout} ${r.stderr}`;
      return { ok: r.exitCode === 0 && line.startsWith('OK '), line };
    },
    async restart(i) {
      const before = startsIn(await logOf(i));
      procs[i]!.kill('SIGTERM');
      const killer = setTimeout(() => procs[i]!.kill('SIGKILL'), 30_000);
      await procs[i];
      clearTimeout(killer);
      procs[i] = launch(i);
      await started(i, before, 'its restart');
    },
    async addBroker(node) {
      const i = nodes.length;
      const [client, internal] = await freePorts(2);
      nodes.push(node);
      clientPorts.push(client!);
      internalPorts.push(internal!);
      configs.push(await configure(i));
      procs.push(launch(i));
      await started(i, 0, 'its start');
      return i;
    },
    stop,
  };
}

/** How many times a broker log says the broker started. */
const startsIn = (log: string) => (log.match(/Kafka Server started/g) ?? []).length;

/** The last lines of a broker log, plus every SSL or handshake error in it: what a user needs to see first. */
function tail(log: string): string {
  const lines = log.split('\n');
  const tls = lines
    .filter((l) => /SSL|handshake|PKIX|certificate|Authentication/i.test(l) && /ERROR|WARN|Exception/.test(l))
    .slice(-8);
  return [...(tls.length ? ['TLS errors:', ...tls, 'log tail:'] : []), ...lines.slice(-25)].join('\n');
}
