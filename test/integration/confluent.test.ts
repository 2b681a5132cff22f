import { execa } from 'execa';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { OPENSSL_111_REAL, runCli, snapshot, tempDir, testPath } from '../helpers/cli.js';
import { certFacts, listStore, verifies } from '../helpers/pki.js';

/** The write-up's two-broker docker-compose cluster, described once. */
const CONFIG = `
layout: confluent
password: {env: CONFLUENT_PW}
ca:
  subject: {C: US, O: Confluent, L: MountainView, CN: confluent-ca}
subject: {C: US, O: CONFLUENT, L: MountainView}
brokers:
  kafka-1: [kafka-1, kafka-1-external]
  kafka-2: [kafka-2, kafka-2-external, 10.0.0.2]
clients: [app-client]
listeners:
  - {name: BROKER, port: 9092}
  - {name: SSL, port: 19093, host: 1}
  - {name: SASL_SSL, port: 19094, host: 1, protocol: sasl_ssl}
interBrokerListener: BROKER
kubernetes: {namespace: kafka}
emit: [server-properties, compose, client-properties, principals, pem, kubernetes-per-broker]
`;
const PW = 'confluent-Pw-77';

/** java.util.Properties, for the keys and values these files use (no continuations). */
function properties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    const i = line.indexOf('=');
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

async function openssl(args: string[], env: Record<string, string> = {}) {
  return execa('openssl', args, { env, reject: false });
}

describe("generate --layout confluent (the write-up's two brokers, from a config file)", () => {
  let dir: string;
  let out: string;
  let run: { exitCode: number; stdout: string; stderr: string };
  let snap: Record<string, string>;

  beforeAll(async () => {
    dir = await tempDir();
    await writeFile(join(dir, 'cluster.yaml'), CONFIG);
    run = await runCli(['generate', '--config', 'cluster.yaml', '--out', 'tls'], {
      cwd: dir,
      env: { CONFLUENT_PW: PW, PASSWORD: undefined },
    });
    out = join(dir, 'tls');
    snap = await snapshot(out);
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('succeeds, prints the principals, a kcat command and a kafkajs snippet', () => {
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('kafka-1     CN=kafka-1,L=MountainView,O=CONFLUENT,C=US');
    expect(run.stdout).toContain(
      `kcat -b kafka-1-external:19093 -X security.protocol=ssl -X ssl.ca.location=${out}/app-client-creds/ca.pem`,
    );
    expect(run.stdout).toContain(`cert: fs.readFileSync('${out}/app-client-creds/app-client.chain.pem', 'utf8')`);
  });

  test('every file of the write-up is there, keys, stores and credentials 0600', () => {
    const files = (who: string) =>
      [
        `${who}.cnf 644`,
        `${who}.key 600`,
        `${who}.csr 644`,
        `${who}.crt 644`,
        `${who}.p12 600`,
        `kafka.${who}.keystore.pkcs12 600`,
        `kafka.${who}.truststore.pkcs12 600`,
        `${who}_keystore_creds 600`,
        `${who}_sslkey_creds 600`,
        `${who}_truststore_creds 600`,
        `kafka-mtls-credentials.properties 600`,
        `ca.pem 644`,
        `${who}.chain.pem 644`,
        `${who}.key.pem 600`,
      ].map((f) => `${who}-creds/${f}`);
    const want = [
      'ca.cnf 644',
      'ca.key 600',
      'ca.crt 644',
      'ca.pem 600',
      'docker-compose.mtls.yml 644',
      'principals.txt 644',
      'kafka-mtls.json 644',
      ...files('kafka-1'),
      'kafka-1-creds/server.properties 644',
      ...files('kafka-2'),
      'kafka-2-creds/server.properties 644',
      ...files('app-client'),
      'app-client-creds/client.properties 644',
      ...['kafka-1', 'kafka-2', 'app-client'].flatMap((w) => [
        `kubernetes/${w}-stores.yaml 600`,
        `kubernetes/${w}-tls.yaml 600`,
      ]),
    ];
    const got = Object.entries(snap)
      .filter(([f, v]) => v !== 'dir' && !f.startsWith('.kafka-mtls/'))
      .map(([f, v]) => `${f} ${v.split(' ')[0]}`);
    expect(got.sort()).toEqual(want.sort());
  });

  test("ca.pem is the CA certificate then its key, and the CA follows the write-up's [v3_ca]", async () => {
    const [crt, key, pem] = await Promise.all(
      ['ca.crt', 'ca.key', 'ca.pem'].map((f) => readFile(join(out, f), 'utf8')),
    );
    expect(pem).toBe(crt + key);
    const text = String((await openssl(['x509', '-in', join(out, 'ca.crt'), '-noout', '-text'])).stdout);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign/);
    expect(text).toMatch(/X509v3 Subject Key Identifier/);
    expect(text).toMatch(/X509v3 Authority Key Identifier/);
    expect((await certFacts(join(out, 'ca.crt'))).subject).toBe('CN=confluent-ca,L=MountainView,O=Confluent,C=US');
  });

  test('keytool -list -v of each keystore: one PrivateKeyEntry, a chain of 2, owner and issuer as the write-up shows', async () => {
    for (const who of ['kafka-1', 'kafka-2', 'app-client']) {
      const r = await execa(
        'keytool',
        [
          '-J-Duser.language=en',
          '-list',
          '-v',
          '-keystore',
          join(out, `${who}-creds/kafka.${who}.keystore.pkcs12`),
          '-storepass:env',
          'PW',
        ],
        { env: { PW } },
      );
      expect(r.stdout).toMatch(/^Keystore type: PKCS12$/m);
      expect(r.stdout).toMatch(/^Your keystore contains 1 entry$/m);
      expect(r.stdout).toContain(`Alias name: ${who}\n`);
      expect(r.stdout).toMatch(/^Entry type: PrivateKeyEntry$/m);
      expect(r.stdout).toMatch(/^Certificate chain length: 2$/m);
      expect(r.stdout).toContain(`Owner: CN=${who}, L=MountainView, O=CONFLUENT, C=US`);
      expect(r.stdout).toContain('Issuer: CN=confluent-ca, L=MountainView, O=Confluent, C=US');
    }
    const facts = await certFacts(join(out, 'kafka-2-creds/kafka-2.crt'));
    expect(facts.sans).toEqual(['DNS:kafka-2', 'DNS:kafka-2-external', 'IP Address:10.0.0.2']);
    expect(facts.extKeyUsage).toBe('TLS Web Server Authentication, TLS Web Client Authentication');
    expect(facts.keyUsage).toBe('Digital Signature, Key Encipherment');
  });

  test("every PKCS12 openssl made opens with the password in that openssl and in the JDK's keytool", async () => {
    // The openssl kafka-mtls ran (OpenSSL 1.1.1 under npm run test:openssl-1.1.1), with its own defaults (README,
    // "OpenSSL 1.1.1 and 3.x"): 1.1.1 puts the certificates under RC2-40 and the key under 3DES, 3.x both under AES-256.
    const maker = (args: string[], env: Record<string, string> = {}) =>
      execa('openssl', args, { env: { ...env, PATH: testPath() }, reject: false });
    const algorithms = OPENSSL_111_REAL
      ? /PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC,[^]*Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC,/
      : /PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC,[^]*Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC,/;
    for (const who of ['kafka-1', 'kafka-2', 'app-client']) {
      const p12 = join(out, `${who}-creds/${who}.p12`);
      const info = await maker(['pkcs12', '-in', p12, '-info', '-nokeys', '-passin', 'env:PW'], { PW });
      expect(info.exitCode).toBe(0);
      expect(String(info.stdout).match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2); // -chain: leaf and CA
      expect(String(info.stderr)).toMatch(algorithms);
      const listed = await listStore(p12, PW);
      expect(listed.entries).toEqual([{ alias: who, entryType: 'PrivateKeyEntry', chainLength: 2 }]);
      expect(
        (await maker(['pkcs12', '-in', p12, '-info', '-nokeys', '-passin', 'pass:wrong-password'])).exitCode,
      ).not.toBe(0);
      const trust = await listStore(join(out, `${who}-creds/kafka.${who}.truststore.pkcs12`), PW);
      expect(trust.entries).toEqual([{ alias: 'caroot', entryType: 'trustedCertEntry', chainLength: 1 }]);
    }
  });

  test('the credentials files hold the password, one line each, as cp-kafka reads them', async () => {
    for (const f of ['kafka-1_keystore_creds', 'kafka-1_sslkey_creds', 'kafka-1_truststore_creds']) {
      expect(await readFile(join(out, 'kafka-1-creds', f), 'utf8')).toBe(`${PW}\n`);
    }
    expect(run.stdout).not.toContain(PW);
  });

  test('PEM: the chain verifies, the PKCS#8 key matches it, ca.pem in a creds directory is the CA certificate alone', async () => {
    for (const who of ['kafka-1', 'app-client']) {
      const d = join(out, `${who}-creds`);
      expect(await readFile(join(d, 'ca.pem'), 'utf8')).toBe(await readFile(join(out, 'ca.crt'), 'utf8'));
      expect(await verifies(join(d, 'ca.pem'), join(d, `${who}.chain.pem`))).toBe(true);
      expect(await readFile(join(d, `${who}.key.pem`), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      const fromKey = await openssl(['pkey', '-in', join(d, `${who}.key.pem`), '-pubout']);
      const fromCert = await openssl(['x509', '-in', join(d, `${who}.chain.pem`), '-noout', '-pubkey']);
      expect(fromKey.stdout).toBe(fromCert.stdout);
    }
  });

  test('server.properties parses, names files that exist, reads its passwords through the FileConfigProvider', async () => {
    const d = join(out, 'kafka-1-creds');
    const p = properties(await readFile(join(d, 'server.properties'), 'utf8'));
    expect(p['listeners']).toBe('BROKER://0.0.0.0:9092,SSL://0.0.0.0:19093,SASL_SSL://0.0.0.0:19094');
    expect(p['advertised.listeners']).toBe(
      'BROKER://kafka-1:9092,SSL://kafka-1-external:19093,SASL_SSL://kafka-1-external:19094',
    );
    expect(p['listener.security.protocol.map']).toBe('BROKER:SSL,SSL:SSL,SASL_SSL:SASL_SSL');
    expect(p['inter.broker.listener.name']).toBe('BROKER');
    expect(p['ssl.client.auth']).toBe('required');
    expect(p['listener.name.sasl_ssl.ssl.client.auth']).toBe('none');
    expect(p['ssl.endpoint.identification.algorithm']).toBe('https');
    expect(p['super.users']).toBe(
      'User:CN=kafka-1,L=MountainView,O=CONFLUENT,C=US;User:CN=kafka-2,L=MountainView,O=CONFLUENT,C=US',
    );
    expect(p['ssl.keystore.location']).toBe(join(d, 'kafka.kafka-1.keystore.pkcs12'));
    expect(p['ssl.truststore.location']).toBe(join(d, 'kafka.kafka-1.truststore.pkcs12'));
    for (const k of ['ssl.keystore.location', 'ssl.truststore.location'])
      expect(snap[p[k]!.slice(out.length + 1)]).toMatch(/^600 /);
    for (const k of ['ssl.keystore.password', 'ssl.key.password', 'ssl.truststore.password']) {
      const ref = /^\$\{file:(.+):(.+)\}$/.exec(p[k]!);
      expect(ref).not.toBeNull();
      expect(properties(await readFile(ref![1]!, 'utf8'))[ref![2]!]).toBe(PW);
    }
    const client = properties(await readFile(join(out, 'app-client-creds/client.properties'), 'utf8'));
    expect(client['security.protocol']).toBe('SSL');
    expect(client['ssl.keystore.location']).toBe(join(out, 'app-client-creds/kafka.app-client.keystore.pkcs12'));
  });

  test("the compose block is YAML with the write-up's variables, naming files that exist in the mounted directory", async () => {
    const doc = parseYaml(await readFile(join(out, 'docker-compose.mtls.yml'), 'utf8')) as {
      services: Record<string, { environment: Record<string, string>; volumes: unknown[] }>;
    };
    expect(Object.keys(doc.services)).toEqual(['kafka-1', 'kafka-2']);
    const svc = doc.services['kafka-2']!;
    expect(svc.volumes).toEqual([
      { type: 'bind', source: join(out, 'kafka-2-creds'), target: '/etc/kafka/secrets', read_only: true },
    ]);
    const env = svc.environment;
    expect(env.KAFKA_ADVERTISED_LISTENERS).toBe(
      'BROKER://kafka-2:9092,SSL://kafka-2-external:19093,SASL_SSL://kafka-2-external:19094',
    );
    expect(env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP).toBe('BROKER:SSL,SSL:SSL,SASL_SSL:SASL_SSL');
    expect(env.KAFKA_SSL_CLIENT_AUTH).toBe('required');
    const mounted = await readdir(join(out, 'kafka-2-creds'));
    for (const k of [
      'KAFKA_SSL_KEYSTORE_FILENAME',
      'KAFKA_SSL_KEYSTORE_CREDENTIALS',
      'KAFKA_SSL_KEY_CREDENTIALS',
      'KAFKA_SSL_TRUSTSTORE_FILENAME',
      'KAFKA_SSL_TRUSTSTORE_CREDENTIALS',
    ]) {
      expect(mounted).toContain(env[k]);
    }
    expect(env.KAFKA_SSL_KEY_CREDENTIALS).toBe('kafka-2_sslkey_creds');
  });

  test("verify reads the layout from the state file and passes it: every creds directory's stores, SANs from the description", async () => {
    const r = await runCli(['verify', 'tls'], { cwd: dir, env: { PASSWORD: PW } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/PASS +kafka-2-creds\/kafka\.kafka-2\.keystore\.pkcs12 kafka-2 +SANs: cover 3 host name/);
    expect(r.stdout).toMatch(
      /PASS +app-client-creds\/kafka\.app-client\.keystore\.pkcs12 app-client +extendedKeyUsage: /,
    );
    expect(r.stdout).toMatch(/0 failed/);
  });

  test("the Kubernetes Secrets hold the stores, the passwords and the PEM, in the config's namespace", async () => {
    const stores = parseYaml(await readFile(join(out, 'kubernetes/kafka-1-stores.yaml'), 'utf8'));
    expect(stores).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'kafka-1-stores', namespace: 'kafka' },
    });
    const b64 = (f: string) => readFile(join(out, f)).then((b) => b.toString('base64'));
    expect(stores.data['kafka.kafka-1.keystore.pkcs12']).toBe(await b64('kafka-1-creds/kafka.kafka-1.keystore.pkcs12'));
    expect(Buffer.from(stores.data['keystore.password'], 'base64').toString()).toBe(PW);
    const tls = parseYaml(await readFile(join(out, 'kubernetes/app-client-tls.yaml'), 'utf8'));
    expect(tls.type).toBe('kubernetes.io/tls');
    expect(tls.data['tls.crt']).toBe(await b64('app-client-creds/app-client.chain.pem'));
    expect(tls.data['tls.key']).toBe(await b64('app-client-creds/app-client.key.pem'));
    expect(tls.data['ca.crt']).toBe(await b64('ca.crt'));
  });
});

describe('Kubernetes objects of a config file with no namespace', () => {
  test("carry none: kubectl applies them to the context's namespace", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'c.yaml'), 'layout: confluent\nbrokers:\n  kafka-1: [kafka-1]\nemit: [kubernetes]\n');
    expect(
      (await runCli(['generate', '--config', 'c.yaml', '--out', 'tls'], { cwd: dir, env: { PASSWORD: PW } })).exitCode,
    ).toBe(0);
    const secret = parseYaml(await readFile(join(dir, 'tls/kubernetes/kafka-brokers.yaml'), 'utf8'));
    expect(secret.metadata).toEqual({
      name: 'kafka-brokers',
      labels: { 'app.kubernetes.io/managed-by': 'kafka-mtls' },
    });
    const sts = parseYaml(await readFile(join(dir, 'tls/kubernetes/kafka-statefulset.yaml'), 'utf8'));
    expect(sts.metadata.namespace).toBeUndefined();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);
});

describe('a config file that breaks a rule', () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      'a broker host that is not a name',
      'brokers:\n  kafka-1: [kafka-1, "bad host"]\n',
      /^error: --config bad\.yaml: brokers\.kafka-1\[1\]: must be a DNS name/,
    ],
    [
      'an unknown field',
      'brokers:\n  kafka-1: [kafka-1]\nbroker: 3\n',
      /^error: --config bad\.yaml: broker: is not a known field/,
    ],
    [
      'a password written inline',
      'password: secret\nbrokers:\n  kafka-1: [kafka-1]\n',
      /^error: --config bad\.yaml: password: must be a mapping/,
    ],
    [
      'a subject value that would inject config',
      'subject: {O: "x\\n[ v3_req ]"}\nbrokers:\n  kafka-1: [kafka-1]\n',
      /^error: --config bad\.yaml: subject\.O: must be 1 to 64 letters/,
    ],
    [
      'a listener advertising a host the broker lacks',
      'brokers:\n  kafka-1: [kafka-1]\nlisteners:\n  - {name: SSL, port: 9093, host: 1}\n',
      /^error: --config bad\.yaml: listeners\[0\]\.host: is the index of a broker host name/,
    ],
    ['YAML that does not parse', 'brokers: [\n', /^error: --config bad\.yaml: is not valid YAML or JSON at line/],
  ];
  test.each(cases)("%s: exit 2, the field's path, nothing written", async (_name, text, message) => {
    const dir = await tempDir();
    await writeFile(join(dir, 'bad.yaml'), text);
    const r = await runCli(['generate', '--config', 'bad.yaml'], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect((await readdir(dir)).sort()).toEqual(['bad.yaml']);
    await rm(dir, { recursive: true, force: true });
  });

  test('a flag that describes the cluster cannot be combined with --config', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'c.yaml'), 'brokers:\n  kafka-1: [kafka-1]\n');
    const r = await runCli(['generate', '--config', 'c.yaml', '--brokers', '3'], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: --brokers: cannot be combined with --config/);
    await rm(dir, { recursive: true, force: true });
  });
});
