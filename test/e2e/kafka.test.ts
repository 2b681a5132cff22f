import { execa } from 'execa';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { expectJdk11, installedJdks } from '../helpers/jdk.js';
import { describeWithSea, runSea, toolsOnlyPath } from '../helpers/sea.js';
import { sslClientProps, startCluster, type RunningCluster } from './cluster.js';
import { kafkajsRoundtrip } from './kafkajs-client.js';

/**
 * The judge that matters: a real 3-node Kafka (KRaft) cluster running on
 * the stores kafka-mtls generate writes, mutual TLS on every listener,
 * hostname verification on, ACLs on the principals the drop-in produces.
 */

const PASSWORD = 'e2e-Passw0rd';
const TOPIC = 'e2e-mtls';
const NS_HOST = (i: number) => `mtls-kafka-${i}.mtls-kafka-headless.axplatform.svc.cluster.local`;
const PRINCIPAL = (cn: string) => `CN=${cn},OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR`;
const BROKER_PRINCIPAL = (i: number) => PRINCIPAL(`mtls-kafka-${i}.mtls-kafka-headless`);
const CLIENT_PRINCIPAL = PRINCIPAL('mtls-kafka-client');

let lib: string;
let work: string;
/** The drop-in set the cluster runs on, and a second set from another CA. */
let certs: string;
/** The drop-in stores of the RSA variant: the module's certs. */
let stores: string;
let other: string;

async function generate(out: string, extra: string[] = []): Promise<string> {
  const r = await runCli(['generate', '--out', out, ...extra], { cwd: work, env: { PASSWORD } });
  if (r.exitCode !== 0) throw new Error(`kafka-mtls generate failed: ${r.stdout}${r.stderr}`);
  return out;
}

const nodesOf = (certs: string, keystoreDir: (i: number) => string = () => certs) =>
  [0, 1, 2].map((i) => ({
    host: NS_HOST(i),
    keystore: join(keystoreDir(i), `mtls-kafka-${i}.keystore.jks`),
    principal: BROKER_PRINCIPAL(i),
  }));

function clientProps(
  cluster: RunningCluster,
  keystore: string | undefined,
  truststore: string,
  bootstrap = cluster.bootstrap,
): Record<string, string> {
  return sslClientProps({ bootstrap, keystore, truststore, password: PASSWORD });
}

/** A second client signed by the same CA, whose principal has no ACL: made by hand with openssl, as an operator would. */
async function intruderKeystore(certs: string): Promise<string> {
  const dir = join(work, 'intruder');
  const env = { PW: PASSWORD };
  await execa('mkdir', ['-p', dir]);
  await execa('openssl', [
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    join(dir, 'k.pem'),
    '-out',
    join(dir, 'r.csr'),
    '-subj',
    '/C=KR/ST=Seoul/L=Confluent/O=Organization/OU=OrganizationUnit/CN=intruder',
  ]);
  await execa('sh', ['-c', `printf 'extendedKeyUsage = clientAuth\\n' > ${dir}/ext.cnf`]);
  await execa('openssl', [
    'x509',
    '-req',
    '-in',
    join(dir, 'r.csr'),
    '-CA',
    join(certs, 'ca.crt'),
    '-CAkey',
    join(certs, 'ca.key'),
    '-out',
    join(dir, 'c.pem'),
    '-days',
    '2',
    '-extfile',
    join(dir, 'ext.cnf'),
  ]);
  await execa(
    'openssl',
    [
      'pkcs12',
      '-export',
      '-in',
      join(dir, 'c.pem'),
      '-inkey',
      join(dir, 'k.pem'),
      '-certfile',
      join(certs, 'ca.crt'),
      '-name',
      'intruder',
      '-out',
      join(dir, 'intruder.p12'),
      '-passout',
      'env:PW',
    ],
    { env },
  );
  return join(dir, 'intruder.p12');
}

beforeAll(async () => {
  const fetched = await execa('bash', [join(ROOT, 'scripts/fetch-kafka.sh')], { stderr: 'inherit' });
  lib = String(fetched.stdout).trim().split('\n').pop()!;
  work = await tempDir('kmtls-e2e-');
  [certs, other] = await Promise.all([
    generate(join(work, 'certs'), ['--emit', 'pem,client-properties']),
    generate(join(work, 'other'), ['--ca-cn', 'Another-CA']),
  ]);
  stores = certs;
}, 600_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * The same cluster and clients on the script's RSA keys and on ECDSA P-256 (--key-type ec-p256 --ca-key-type
 * ec-p256): the Java client and kafkajs under required client auth, and the same refusals.
 */
const KEY_VARIANTS: ReadonlyArray<[string, string, readonly string[]]> = [
  ["RSA (the script's keys)", 'certs', []],
  ['ECDSA P-256', 'certs-p256', ['--key-type', 'ec-p256', '--ca-key-type', 'ec-p256']],
];

describe.each(KEY_VARIANTS)('a 3-broker KRaft cluster on the drop-in stores, %s', (_, name, keyArgs) => {
  let certs: string;
  let cluster: RunningCluster;
  let setupLine: string;

  beforeAll(async () => {
    certs =
      keyArgs.length === 0 ? stores : await generate(join(work, name), ['--emit', 'pem,client-properties', ...keyArgs]);
    cluster = await startCluster({
      lib,
      dir: join(work, `cluster-${name}`),
      nodes: nodesOf(certs),
      truststore: join(certs, 'kafka.server.truststore.jks'),
      password: PASSWORD,
      extraHosts: ['kafka-elsewhere.example'],
    });
    // The admin is broker 0's identity: a super user.
    const setup = await cluster.client(
      'setup',
      clientProps(cluster, join(certs, 'mtls-kafka-0.keystore.jks'), join(certs, 'kafka.client.truststore.jks')),
      TOPIC,
      CLIENT_PRINCIPAL,
    );
    setupLine = setup.line;
    if (!setup.ok) throw new Error(`setup failed: ${setup.line}`);
  }, 300_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  test('the topic is replicated on all three brokers, each leading a partition', () => {
    expect(setupLine).toMatch(/^OK topic e2e-mtls partitions 3 leaders \[0, 1, 2\]/);
    expect(setupLine).toContain(`acl for User:${CLIENT_PRINCIPAL}`);
  });

  test('the generated client keystore and truststore produce and consume through all three brokers', async () => {
    const r = await cluster.client(
      'roundtrip',
      clientProps(cluster, join(certs, 'mtls-kafka-client.keystore.jks'), join(certs, 'kafka.client.truststore.jks')),
      TOPIC,
    );
    expect(r.line).toBe('OK produced and consumed 3 messages on partitions [0, 1, 2]');
  });

  test('the client.properties of --emit client-properties works as it stands, passwords through the FileConfigProvider', async () => {
    const text = await readFile(join(certs, 'client.properties'), 'utf8');
    expect(text).not.toContain(PASSWORD);
    const props = Object.fromEntries(
      text
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const r = await cluster.client(
      'roundtrip',
      { ...props, 'bootstrap.servers': cluster.bootstrap, 'request.timeout.ms': '15000', 'max.block.ms': '30000' },
      TOPIC,
    );
    expect(r.line).toBe('OK produced and consumed 3 messages on partitions [0, 1, 2]');
  });

  test('a non-Java client (kafkajs) on the PEM files of --emit pem produces and consumes', async () => {
    const line = await kafkajsRoundtrip({
      bootstrap: cluster.bootstrap,
      ca: join(certs, 'ca.pem'),
      cert: join(certs, 'mtls-kafka-client.chain.pem'),
      key: join(certs, 'mtls-kafka-client.key.pem'),
      topic: TOPIC,
      partitions: 3,
    });
    expect(line).toBe('OK kafkajs produced and consumed 3 messages');
  });

  test("kafka-mtls probe sees the broker's chain, verified for its name, with mutual TLS on", async () => {
    const r = await runCli(
      [
        'probe',
        `127.0.0.1:${cluster.clientPorts[0]}`,
        '--servername',
        NS_HOST(0),
        '--ca',
        join(certs, 'kafka.client.truststore.jks'),
        '--client',
        join(certs, 'mtls-kafka-client.keystore.jks'),
      ],
      { cwd: work, env: { PASSWORD } },
    );
    expect(r.exitCode).toBe(0);
    // The broker's verdict comes after the TLS 1.3 handshake: a session ticket or its ApiVersions answer.
    expect(r.stdout).toMatch(
      /✓ TLSv1\.3: accepted: the server asked for our client certificate and accepted it \(the server (sent a session ticket|answered a Kafka request)/,
    );
    expect(r.stdout).toMatch(/server certificate: trusted \(--ca\)/);
    expect(r.stdout).toMatch(/client certificate: requested by the server/);
  });

  test('kafka-mtls probe without a client certificate: the broker requires one, exit 1', async () => {
    const r = await runCli(
      ['probe', `127.0.0.1:${cluster.clientPorts[0]}`, '--servername', NS_HOST(0), '--ca', join(certs, 'ca.crt')],
      { cwd: work, env: { PASSWORD } },
    );
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/✗ TLSv1\.3: the server requires a client certificate and we sent none/);
  });

  test('a client with no certificate is refused in the TLS handshake', async () => {
    const r = await cluster.client(
      'roundtrip',
      clientProps(cluster, undefined, join(certs, 'kafka.client.truststore.jks')),
      TOPIC,
    );
    expect(r.ok).toBe(false);
    // Under TLS 1.3 the broker's verdict on the client certificate comes after the client's Finished.
    expect(r.line).toMatch(
      /SslAuthenticationException: .*SSLHandshakeException: Received fatal alert: bad_certificate/,
    );
  });

  test('a client whose certificate comes from another CA is refused in the TLS handshake', async () => {
    const r = await cluster.client(
      'roundtrip',
      clientProps(cluster, join(other, 'mtls-kafka-client.keystore.jks'), join(certs, 'kafka.client.truststore.jks')),
      TOPIC,
    );
    expect(r.ok).toBe(false);
    // Under TLS 1.3 the broker's verdict on the client certificate comes after the client's Finished.
    expect(r.line).toMatch(
      /SslAuthenticationException: .*SSLHandshakeException: Received fatal alert: bad_certificate/,
    );
  });

  test("a client connecting to a name not in the broker's SANs fails hostname verification", async () => {
    const props = clientProps(
      cluster,
      join(certs, 'mtls-kafka-client.keystore.jks'),
      join(certs, 'kafka.client.truststore.jks'),
      `kafka-elsewhere.example:${cluster.clientPorts[0]}`,
    );
    const r = await cluster.client('roundtrip', props, TOPIC);
    expect(r.ok).toBe(false);
    expect(r.line).toMatch(/No subject alternative DNS name matching kafka-elsewhere\.example found/);
  });

  test('a client of the same CA whose principal has no ACL is denied by the authorizer, not by TLS', async () => {
    const props = {
      ...clientProps(cluster, await intruderKeystore(certs), join(certs, 'kafka.client.truststore.jks')),
      'ssl.keystore.type': 'PKCS12',
    };
    const r = await cluster.client('roundtrip', props, TOPIC);
    expect(r.ok).toBe(false);
    expect(r.line).toMatch(/TopicAuthorizationException: Not authorized to access topics: \[e2e-mtls\]/);
    expect(r.line).not.toMatch(/SslAuthenticationException/);
  });
});

/** A properties file as a record (the generated files use no continuations). */
async function readProps(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('a 3-broker cluster on the confluent layout, configured by the generated server.properties', () => {
  const CONFIG = [
    'layout: confluent',
    'password: {env: E2E_CONFLUENT_PW}',
    'brokers:',
    ...[1, 2, 3].map((i) => `  kafka-${i}: [kafka-${i}, kafka-${i}-external]`),
    'clients: [app]',
    'emit: [server-properties, client-properties, principals, pem]',
  ].join('\n');
  const principal = (cn: string) => `CN=${cn},L=MountainView,O=CONFLUENT,C=US`;
  let tls: string;
  let cluster: RunningCluster;

  beforeAll(async () => {
    await writeFile(join(work, 'confluent.yaml'), CONFIG);
    const r = await runCli(['generate', '--config', 'confluent.yaml', '--out', 'tls'], {
      cwd: work,
      env: { E2E_CONFLUENT_PW: PASSWORD },
    });
    if (r.exitCode !== 0) throw new Error(`kafka-mtls generate failed: ${r.stdout}${r.stderr}`);
    tls = join(work, 'tls');
    const nodes = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const fragment = await readProps(join(tls, `kafka-${i}-creds/server.properties`));
        // The fragment's TLS settings as written (stores, ${file:} passwords, client auth, super.users); the harness keeps its own ports.
        const props = Object.fromEntries(
          Object.entries(fragment).filter(([k]) => /^(ssl\.|config\.providers|super\.users)/.test(k)),
        );
        return {
          host: `kafka-${i}`,
          keystore: props['ssl.keystore.location']!,
          principal: principal(`kafka-${i}`),
          props,
        };
      }),
    );
    expect(nodes[0]!.props['ssl.keystore.password']).toMatch(/^\$\{file:/);
    cluster = await startCluster({
      lib,
      dir: join(work, 'cluster-confluent'),
      nodes,
      truststore: join(tls, 'kafka-1-creds/kafka.kafka-1.truststore.pkcs12'),
      password: PASSWORD,
    });
    const admin = clientProps(
      cluster,
      join(tls, 'kafka-1-creds/kafka.kafka-1.keystore.pkcs12'),
      join(tls, 'kafka-1-creds/kafka.kafka-1.truststore.pkcs12'),
    );
    const setup = await cluster.client('setup', admin, TOPIC, principal('app'));
    if (!setup.ok) throw new Error(`setup failed: ${setup.line}`);
  }, 300_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  test('the app client produces and consumes on its client.properties as written', async () => {
    const props = await readProps(join(tls, 'app-creds/client.properties'));
    expect(Object.values(props).join('\n')).not.toContain(PASSWORD);
    const r = await cluster.client(
      'roundtrip',
      { ...props, 'bootstrap.servers': cluster.bootstrap, 'request.timeout.ms': '15000', 'max.block.ms': '30000' },
      TOPIC,
    );
    expect(r.line).toBe('OK produced and consumed 3 messages on partitions [0, 1, 2]');
  });

  test("kafkajs produces and consumes on the app's PEM files", async () => {
    const d = join(tls, 'app-creds');
    const line = await kafkajsRoundtrip({
      bootstrap: cluster.bootstrap,
      ca: join(d, 'ca.pem'),
      cert: join(d, 'app.chain.pem'),
      key: join(d, 'app.key.pem'),
      topic: TOPIC,
      partitions: 3,
    });
    expect(line).toBe('OK kafkajs produced and consumed 3 messages');
  });

  test("a client with the drop-in set's certificate (another CA) is refused", async () => {
    const r = await cluster.client(
      'roundtrip',
      clientProps(
        cluster,
        join(certs, 'mtls-kafka-client.keystore.jks'),
        join(tls, 'app-creds/kafka.app.truststore.pkcs12'),
      ),
      TOPIC,
    );
    expect(r.ok).toBe(false);
    expect(r.line).toMatch(/SslAuthenticationException/);
  });
});

describe('CA rotation on a running 3-broker cluster, one rolling restart per phase', () => {
  let rot: string;
  let oldClient: string;
  let cluster: RunningCluster;
  const OK = 'OK produced and consumed 3 messages on partitions [0, 1, 2]';
  const roundtrip = (keystore: string) =>
    cluster.client('roundtrip', clientProps(cluster, keystore, join(rot, 'kafka.client.truststore.jks')), TOPIC);
  const phase = async (name: string) => {
    const r = await runCli(['rotate-ca', name, '--out', rot], { cwd: work, env: { PASSWORD } });
    if (r.exitCode !== 0) throw new Error(`rotate-ca ${name} failed: ${r.stdout}${r.stderr}`);
    for (const i of [0, 1, 2]) await cluster.restart(i);
  };

  beforeAll(async () => {
    rot = await generate(join(work, 'rot'));
    // The client keeps its old-CA keystore throughout; it takes each phase's truststore.
    oldClient = join(work, 'old-client.keystore.jks');
    await execa('cp', [join(rot, 'mtls-kafka-client.keystore.jks'), oldClient]);
    cluster = await startCluster({
      lib,
      dir: join(work, 'cluster-rotate'),
      nodes: nodesOf(rot),
      truststore: join(rot, 'kafka.server.truststore.jks'),
      password: PASSWORD,
    });
    const setup = await cluster.client(
      'setup',
      clientProps(cluster, join(rot, 'mtls-kafka-0.keystore.jks'), join(rot, 'kafka.client.truststore.jks')),
      TOPIC,
      CLIENT_PRINCIPAL,
    );
    if (!setup.ok) throw new Error(`setup failed: ${setup.line}`);
  }, 300_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  test('start: the cluster rolls onto truststores holding both CAs; the old-CA client still works', async () => {
    await phase('start');
    expect((await roundtrip(oldClient)).line).toBe(OK);
  }, 300_000);

  test('reissue: the brokers roll onto new-CA certificates; old-CA and new-CA clients both work', async () => {
    await phase('reissue');
    expect((await roundtrip(oldClient)).line).toBe(OK);
    expect((await roundtrip(join(rot, 'mtls-kafka-client.keystore.jks'))).line).toBe(OK);
  }, 300_000);

  test('finish: the old CA is trusted nowhere: the new-CA client works, the old-CA client is refused', async () => {
    await phase('finish');
    expect((await roundtrip(join(rot, 'mtls-kafka-client.keystore.jks'))).line).toBe(OK);
    const old = await roundtrip(oldClient);
    expect(old.ok).toBe(false);
    expect(old.line).toMatch(/SslAuthenticationException/);
  }, 300_000);
});

/** Starts a cluster on a drop-in directory's stores, creates the topic and makes a client round trip. */
async function roundTripOn(stores: string, name: string): Promise<void> {
  const cluster = await startCluster({
    lib,
    dir: join(work, name),
    nodes: nodesOf(stores),
    truststore: join(stores, 'kafka.server.truststore.jks'),
    password: PASSWORD,
  });
  try {
    const setup = await cluster.client(
      'setup',
      clientProps(cluster, join(stores, 'mtls-kafka-0.keystore.jks'), join(stores, 'kafka.client.truststore.jks')),
      TOPIC,
      CLIENT_PRINCIPAL,
    );
    expect(setup.line).toMatch(/^OK topic/);
    const r = await cluster.client(
      'roundtrip',
      clientProps(cluster, join(stores, 'mtls-kafka-client.keystore.jks'), join(stores, 'kafka.client.truststore.jks')),
      TOPIC,
    );
    expect(r.line).toBe('OK produced and consumed 3 messages on partitions [0, 1, 2]');
  } finally {
    await cluster.stop();
  }
}

/**
 * Each JDK other than the default one (JDK 17): Temurin 25 here, whatever .ci/run could install in CI, and Debian
 * bullseye's JDK 11 (scripts/fetch-bullseye.sh, which .ci/run runs).
 */
const otherJdks = (await installedJdks()).slice(1);
expectJdk11(otherJdks, 'the second-JDK cluster test');
if (otherJdks.length === 0)
  process.stderr.write('skipped: no second JDK under /usr/lib/jvm: the second-JDK cluster test did not run\n');

const jdkCases = otherJdks.map((j) => [j.version, j.keytool] as const);
(otherJdks.length > 0 ? describe : describe.skip)("the drop-in stores made with another JDK's keytool", () => {
  // jest refuses an empty table even where the describe is skipped.
  test.each(jdkCases.length > 0 ? jdkCases : [['none', ''] as const])(
    'JDK %s: run the cluster and a client round trip',
    async (version, keytool) => {
      const stores = await generate(join(work, `jdk-${version}`), ['--keytool', keytool]);
      await roundTripOn(stores, `cluster-jdk-${version}`);
    },
    300_000,
  );
});

describeWithSea()('a cluster on the stores the single executable made, with only openssl and a JDK on PATH', () => {
  test('the brokers start and a client round trip works', async () => {
    const dir = join(work, 'sea');
    await execa('mkdir', ['-p', join(dir, 'run')]);
    const env = { PATH: await toolsOnlyPath(join(dir, 'bin')), PASSWORD, HOME: dir };
    const made = await runSea(['generate'], { cwd: join(dir, 'run'), env });
    expect(made.exitCode).toBe(0);
    await roundTripOn(join(dir, 'run/certs'), 'cluster-sea');
  }, 400_000);
});

describe('a deliberately broken keystore', () => {
  test('fails the start-up with a message naming the broker and the TLS error', async () => {
    // Broker 1's keystore comes from another CA: its name and SANs are right, its chain is not trusted.
    const start = startCluster({
      lib,
      dir: join(work, 'cluster-broken'),
      nodes: nodesOf(certs, (i) => (i === 1 ? other : certs)),
      truststore: join(certs, 'kafka.server.truststore.jks'),
      password: PASSWORD,
      startTimeoutMs: 45_000,
    });
    const error = await start.then(
      () => new Error('the cluster started'),
      (e: Error) => e,
    );
    console.log(`the harness reported:\n${error.message.slice(0, 3000)}`);
    expect(error.message).toMatch(/^brokers? .*mtls-kafka-1\.mtls-kafka-headless\.axplatform\.svc\.cluster\.local/);
    expect(error.message).toMatch(/TLS errors:\n[\s\S]*(PKIX path building failed|bad_certificate)/);
  }, 180_000);
});
