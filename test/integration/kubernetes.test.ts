import { execa } from 'execa';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { StatefulSet, type IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Secret, type ISecret } from 'kubernetes-models/v1/Secret';
import { isDnsSubdomain, isSecretKey, MAX_STATEFULSET_NAME } from '../../src/model/kubernetes.js';
import { runCli, snapshot, tempDir } from '../helpers/cli.js';
import { listStore } from '../helpers/pki.js';

/**
 * --emit kubernetes as a StatefulSet mounts it: one Secret of every broker's keystore, one per client, and the
 * StatefulSet whose pods pick their own files by name. Every object is checked against the Kubernetes API schema
 * (kubernetes-models' validators), its data against the files and against kubectl's own Secret of them, and
 * each pod's pick is opened with keytool.
 */
const PW = 'k8s-Store-Pw-42';

/** kubectl, when installed: CI installs it (.ci/run), so there its absence fails the test instead of skipping it. */
const KUBECTL = execa('bash', ['-c', 'command -v kubectl'], { reject: false }).then((r) => r.exitCode === 0);
const KUBECTL_ABSENT = 'kubectl is not on PATH: the Secrets are not compared with kubectl create secret';

type Doc = Record<string, unknown>;

async function objects(file: string): Promise<Doc[]> {
  const docs = parseAllDocuments(await readFile(file, 'utf8'));
  if (!Array.isArray(docs)) throw new Error(`${file}: no YAML documents`);
  return docs.map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS() as Doc;
  });
}

/** The object checked against the API schema by its kind, as kubectl's client-side validation would. */
function validate(o: Doc): void {
  if (o.kind === 'Secret') new Secret(o as unknown as ISecret).validate();
  else if (o.kind === 'StatefulSet') new StatefulSet(o as unknown as IStatefulSet).validate();
  else throw new Error(`unexpected kind ${String(o.kind)}`);
}

/** Every name, label value and data key the API server checks beyond the schema (pkg/apis/core/validation). */
function apiServerRules(o: Doc): string[] {
  const meta = o.metadata as { name: string; namespace?: string; labels?: Record<string, string> };
  const problems: string[] = [];
  if (!isDnsSubdomain(meta.name)) problems.push(`name ${meta.name}`);
  if (meta.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(meta.namespace))
    problems.push(`namespace ${meta.namespace}`);
  for (const v of Object.values(meta.labels ?? {})) if (v.length > 63) problems.push(`label ${v}`);
  if (o.kind === 'Secret') {
    const data = o.data as Record<string, string>;
    for (const k of Object.keys(data)) if (!isSecretKey(k)) problems.push(`key ${k}`);
    for (const [k, v] of Object.entries(data)) if (typeof v !== 'string') problems.push(`value of ${k}`);
    const bytes = Object.values(data).reduce((n, v) => n + Buffer.from(v, 'base64').length, 0);
    if (bytes > 1024 * 1024) problems.push(`${bytes} bytes`);
  }
  if (o.kind === 'StatefulSet' && meta.name.length > MAX_STATEFULSET_NAME) problems.push(`StatefulSet ${meta.name}`);
  return problems;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

/**
 * A container's environment as the kubelet makes it for a pod: metadata.name from the downward API, and
 * $(VAR) of an earlier entry expanded, $$ a literal $ (a reference to no earlier entry stays as it is).
 */
function podEnv(env: readonly EnvVar[], pod: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    if (e.valueFrom) {
      expect(e.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
      out[e.name] = pod;
      continue;
    }
    out[e.name] = e.value!.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string | undefined) =>
      m === '$$' ? '$' : v !== undefined && v in out ? out[v]! : m,
    );
  }
  return out;
}

const b64 = (f: string) => readFile(f).then((b) => b.toString('base64'));

describe('--emit kubernetes, the drop-in: one Secret for the brokers, one per client, the StatefulSet', () => {
  let dir: string;
  let out: string;
  let run: { exitCode: number; stdout: string; stderr: string };
  let secret: Doc;
  let sts: Doc;
  beforeAll(async () => {
    dir = await tempDir();
    run = await runCli(['generate', '--brokers', '3', '--emit', 'kubernetes'], { cwd: dir, env: { PASSWORD: PW } });
    out = join(dir, 'certs');
    [secret] = await objects(join(out, 'kubernetes/mtls-kafka-brokers.yaml'));
    [sts] = await objects(join(out, 'kubernetes/mtls-kafka-statefulset.yaml'));
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('writes the brokers Secret, the client Secret (0600) and the StatefulSet (0644), nothing per broker', async () => {
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const snap = await snapshot(out);
    const k8s = Object.entries(snap)
      .filter(([f, v]) => f.startsWith('kubernetes/') && v !== 'dir')
      .map(([f, v]) => `${f} ${v.split(' ')[0]}`)
      .sort();
    expect(k8s).toEqual([
      'kubernetes/mtls-kafka-brokers.yaml 600',
      'kubernetes/mtls-kafka-client-stores.yaml 600',
      'kubernetes/mtls-kafka-statefulset.yaml 644',
    ]);
  });

  test('every object validates against the Kubernetes API schema and the API server rules', async () => {
    const all = (
      await Promise.all((await readdir(join(out, 'kubernetes'))).map((f) => objects(join(out, 'kubernetes', f))))
    ).flat();
    expect(all.map((o) => o.kind).sort()).toEqual(['Secret', 'Secret', 'StatefulSet']);
    for (const o of all) {
      expect(() => validate(o)).not.toThrow();
      expect(apiServerRules(o)).toEqual([]);
    }
  });

  test('the validators do refuse a broken object: the check can fail', () => {
    const broken = structuredClone(sts) as { spec: { template: { spec: { volumes: Array<Doc> } } } };
    (broken.spec.template.spec.volumes[0]!.secret as Doc).defaultMode = '0440';
    expect(() => validate(broken as unknown as Doc)).toThrow(/defaultMode must be integer/);
    const noTemplate = structuredClone(sts) as { spec: Doc };
    delete noTemplate.spec.template;
    expect(() => validate(noTemplate as unknown as Doc)).toThrow(/template/);
    expect(() => validate({ ...secret, data: { 'a.b': 12 } })).toThrow(/must be string/);
    expect(apiServerRules({ ...secret, data: { 'a b': 'eA==' } })).toEqual(['key a b']);
  });

  test("the brokers' Secret holds every keystore, the truststore and each broker's credentials, never the CA key", async () => {
    const data = secret.data as Record<string, string>;
    const brokers = [0, 1, 2].map((i) => `mtls-kafka-${i}`);
    expect(Object.keys(data).sort()).toEqual(
      [
        'kafka.server.truststore.jks',
        ...brokers.flatMap((b) => [`${b}.keystore.jks`, `${b}_keystore_creds`, `${b}_sslkey_creds`]),
        ...brokers.map((b) => `${b}_truststore_creds`),
      ].sort(),
    );
    for (const b of brokers) expect(data[`${b}.keystore.jks`]).toBe(await b64(join(out, `${b}.keystore.jks`)));
    expect(data['kafka.server.truststore.jks']).toBe(await b64(join(out, 'kafka.server.truststore.jks')));
    for (const b of brokers) expect(Buffer.from(data[`${b}_sslkey_creds`]!, 'base64').toString()).toBe(PW);
    const caKey = (await readFile(join(out, 'ca.key'), 'utf8')).split('\n').slice(1, 3).join('');
    const decoded = Object.values(data).map((v) => Buffer.from(v, 'base64').toString('latin1'));
    expect(decoded.some((v) => v.includes('PRIVATE KEY') || v.includes(caKey))).toBe(false);
    expect(secret.metadata).toEqual({
      name: 'mtls-kafka-brokers',
      namespace: 'axplatform',
      labels: { 'app.kubernetes.io/managed-by': 'kafka-mtls' },
    });
  });

  test("the client's Secret holds its stores and passwords", async () => {
    const [client] = await objects(join(out, 'kubernetes/mtls-kafka-client-stores.yaml'));
    const data = client!.data as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(
      [
        'kafka.client.truststore.jks',
        'key.password',
        'keystore.password',
        'mtls-kafka-client.keystore.jks',
        'truststore.password',
      ].sort(),
    );
    expect(data['mtls-kafka-client.keystore.jks']).toBe(await b64(join(out, 'mtls-kafka-client.keystore.jks')));
  });

  test('kubectl create secret generic on the same files gives the same Secret', async () => {
    if (!(await KUBECTL)) {
      if (process.env.CI) throw new Error(KUBECTL_ABSENT);
      console.log(`skipped: ${KUBECTL_ABSENT}`);
      return;
    }
    // The credentials files hold the password without a line end, as the Secret does; never on a command line.
    const creds = join(dir, 'creds');
    await mkdir(creds, { mode: 0o700 });
    const data = secret.data as Record<string, string>;
    const from: string[] = [];
    for (const key of Object.keys(data)) {
      if (key.endsWith('_creds')) {
        await writeFile(join(creds, key), PW, { mode: 0o600 });
        from.push(`--from-file=${key}=${join(creds, key)}`);
      } else from.push(`--from-file=${key}=${join(out, key)}`);
    }
    const r = await execa('kubectl', [
      'create',
      'secret',
      'generic',
      'mtls-kafka-brokers',
      '--namespace',
      'axplatform',
      '--type',
      'Opaque',
      ...from,
      '--dry-run=client',
      '-o',
      'yaml',
    ]);
    const theirs = (await import('yaml')).parse(r.stdout) as Doc;
    expect(theirs.data).toEqual(secret.data);
    expect(theirs.type).toBe(secret.type);
    expect(theirs.metadata).toMatchObject({ name: 'mtls-kafka-brokers', namespace: 'axplatform' });
  });

  test("each pod picks its own keystore by its name, which opens with the password it picks and holds its broker's key", async () => {
    const container = (sts as { spec: { template: { spec: { containers: Array<{ env: EnvVar[] }> } } } }).spec.template
      .spec.containers[0]!;
    const data = secret.data as Record<string, string>;
    const mounted = join(dir, 'mounted');
    await mkdir(mounted, { mode: 0o700 });
    for (const [k, v] of Object.entries(data)) await writeFile(join(mounted, k), Buffer.from(v, 'base64'));
    for (const i of [0, 1, 2]) {
      const pod = `mtls-kafka-${i}`;
      const env = podEnv(container.env, pod);
      for (const k of ['KEYSTORE_FILENAME', 'KEYSTORE_CREDENTIALS', 'KEY_CREDENTIALS', 'TRUSTSTORE_FILENAME'])
        expect(Object.keys(data)).toContain(env[`KAFKA_SSL_${k}`]);
      expect(env.KAFKA_ADVERTISED_LISTENERS).toBe(`SSL://${pod}.mtls-kafka-headless.axplatform.svc.cluster.local:9093`);
      const password = await readFile(join(mounted, env.KAFKA_SSL_KEYSTORE_CREDENTIALS!), 'utf8');
      const listed = await listStore(join(mounted, env.KAFKA_SSL_KEYSTORE_FILENAME!), password);
      expect(listed.entries.filter((x) => x.entryType === 'PrivateKeyEntry').map((x) => x.alias)).toEqual([pod]);
      const trust = await readFile(join(mounted, env.KAFKA_SSL_TRUSTSTORE_CREDENTIALS!), 'utf8');
      expect((await listStore(join(mounted, env.KAFKA_SSL_TRUSTSTORE_FILENAME!), trust)).entries).toHaveLength(1);
    }
    // No pod of another name finds a keystore: the pick is by name, not by chance.
    const stranger = podEnv(container.env, 'mtls-kafka-3');
    expect(Object.keys(data)).not.toContain(stranger.KAFKA_SSL_KEYSTORE_FILENAME);
  });

  test('the StatefulSet mounts that Secret read-only where cp-kafka reads, for appuser by its group', () => {
    const s = sts as unknown as IStatefulSet;
    expect(s.metadata).toMatchObject({ name: 'mtls-kafka', namespace: 'axplatform' });
    expect(s.spec).toMatchObject({ serviceName: 'mtls-kafka-headless', replicas: 3 });
    expect(s.spec!.ordinals).toBeUndefined();
    const pod = s.spec!.template.spec!;
    expect(pod.securityContext).toEqual({ fsGroup: 1000 });
    expect(pod.volumes).toEqual([
      { name: 'kafka-mtls-brokers', secret: { secretName: 'mtls-kafka-brokers', defaultMode: 0o440 } },
    ]);
    expect(pod.containers[0]!.volumeMounts).toEqual([
      { name: 'kafka-mtls-brokers', mountPath: '/etc/kafka/secrets', readOnly: true },
    ]);
    // Passwords reach the pod as files of the Secret, never as values in the YAML.
    expect(JSON.stringify(s)).not.toContain(PW);
  });
});

describe('--emit kubernetes,kubernetes-per-broker, the confluent layout, brokers kafka-1 and kafka-2', () => {
  let dir: string;
  let out: string;
  beforeAll(async () => {
    dir = await tempDir();
    await writeFile(
      join(dir, 'c.yaml'),
      [
        'layout: confluent',
        'brokers:',
        '  kafka-1: [kafka-1, kafka-1-external]',
        '  kafka-2: [kafka-2, kafka-2-external]',
        'clients: [app-a, app-b]',
        'listeners:',
        '  - {name: BROKER, port: 9092}',
        '  - {name: SSL, port: 19093, host: 1}',
        'interBrokerListener: BROKER',
        'emit: [kubernetes, kubernetes-per-broker]',
        '',
      ].join('\n'),
    );
    const r = await runCli(['generate', '--config', 'c.yaml', '--out', 'tls', '--generate-passwords'], {
      cwd: dir,
      env: { PASSWORD: undefined },
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    out = join(dir, 'tls');
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('both forms side by side: one brokers Secret and the StatefulSet, a Secret pair per identity', async () => {
    const files = (await readdir(join(out, 'kubernetes'))).sort();
    expect(files).toEqual(
      [
        'kafka-brokers.yaml',
        'kafka-statefulset.yaml',
        ...['kafka-1', 'kafka-2', 'app-a', 'app-b'].flatMap((w) => [`${w}-stores.yaml`, `${w}-tls.yaml`]),
      ].sort(),
    );
    for (const f of files)
      for (const o of await objects(join(out, 'kubernetes', f))) {
        expect(() => validate(o)).not.toThrow();
        expect(apiServerRules(o)).toEqual([]);
      }
  });

  test('the StatefulSet kafka starts at ordinal 1, and each pod opens its own keystore with its own generated password', async () => {
    const [sts] = (await objects(join(out, 'kubernetes/kafka-statefulset.yaml'))) as unknown as IStatefulSet[];
    expect(sts!.spec).toMatchObject({ replicas: 2, ordinals: { start: 1 } });
    // No SAN is <pod>.<service>: no headless Service to name.
    expect(sts!.spec!.serviceName).toBeUndefined();
    const [secret] = await objects(join(out, 'kubernetes/kafka-brokers.yaml'));
    const data = secret!.data as Record<string, string>;
    const read = (k: string) => Buffer.from(data[k]!, 'base64');
    const mounted = join(dir, 'mounted');
    await mkdir(mounted);
    for (const k of Object.keys(data)) await writeFile(join(mounted, k), read(k));
    const env0 = sts!.spec!.template.spec!.containers[0]!.env as EnvVar[];
    for (const pod of ['kafka-1', 'kafka-2']) {
      const env = podEnv(env0, pod);
      expect(env.KAFKA_SSL_KEYSTORE_FILENAME).toBe(`kafka.${pod}.keystore.pkcs12`);
      expect(env.KAFKA_SSL_TRUSTSTORE_FILENAME).toBe(`kafka.${pod}.truststore.pkcs12`);
      expect(env.KAFKA_ADVERTISED_LISTENERS).toBe(`BROKER://${pod}:9092,SSL://${pod}-external:19093`);
      // The generated password, the one in the broker's own _creds file.
      const password = read(env.KAFKA_SSL_KEYSTORE_CREDENTIALS!).toString();
      expect(`${password}\n`).toBe(await readFile(join(out, `${pod}-creds/${pod}_keystore_creds`), 'utf8'));
      const listed = await listStore(join(mounted, env.KAFKA_SSL_KEYSTORE_FILENAME!), password);
      expect(listed.entries.filter((x) => x.entryType === 'PrivateKeyEntry').map((x) => x.alias)).toEqual([pod]);
    }
    // The two generated keystore passwords differ: a pod could not open the other's keystore with its own.
    expect(read('kafka-1_keystore_creds').equals(read('kafka-2_keystore_creds'))).toBe(false);
  });

  test('the per-broker form is as before: stores with passwords, and a kubernetes.io/tls Secret of PEM', async () => {
    const [tls] = await objects(join(out, 'kubernetes/kafka-2-tls.yaml'));
    expect(tls!.type).toBe('kubernetes.io/tls');
    const data = tls!.data as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const chain = Buffer.from(data['tls.crt']!, 'base64').toString();
    expect(new X509Certificate(chain).subject).toContain('CN=kafka-2');
    expect(data['ca.crt']).toBe(await b64(join(out, 'ca.crt')));
  });
});

describe('--emit kubernetes refuses brokers no StatefulSet can be: exit 2, one line, nothing made', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const cases: Array<[string, string | undefined, string[], RegExp]> = [
    [
      'brokers whose names end in no ordinal',
      'brokers:\n  kafka-a: [kafka-a]\n  kafka-b: [kafka-b]\nemit: [kubernetes]\n',
      ['--config', 'c.yaml'],
      /^error: --config c\.yaml: emit: kubernetes: needs the brokers named as a StatefulSet's pods, <name>-<ordinal> with ordinals in a row \(a pod finds its keystore by its name\), got kafka-a, kafka-b; or emit kubernetes-per-broker, a Secret per broker$/,
    ],
    [
      'ordinals with a gap, asked for by --emit',
      'brokers:\n  kafka-1: [kafka-1]\n  kafka-3: [kafka-3]\n',
      ['--config', 'c.yaml', '--emit', 'kubernetes'],
      /^error: --emit kubernetes: needs the brokers named as a StatefulSet's pods.*got kafka-1, kafka-3;/,
    ],
    [
      'a StatefulSet name over 52 characters',
      undefined,
      ['--name', 'k'.repeat(53), '--headless-service', 'h', '--emit', 'kubernetes'],
      /^error: --name: makes a StatefulSet named k{53}, 53 characters long: Kubernetes creates no pod for a StatefulSet name over 52 \(the controller-revision-hash label takes <name>-<hash>\); or emit kubernetes-per-broker/,
    ],
  ];
  test.each(cases)('%s', async (_name, config, args, want) => {
    if (config !== undefined) await writeFile(join(dir, 'c.yaml'), config);
    const r = await runCli(['generate', '--out', 'never', ...args], { cwd: dir, env: { PASSWORD: PW } });
    expect(r.stderr).toMatch(want);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.exitCode).toBe(2);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  test('the same brokers make per-broker Secrets', async () => {
    await writeFile(join(dir, 'c.yaml'), 'brokers:\n  kafka-a: [kafka-a]\n');
    const r = await runCli(['generate', '--config', 'c.yaml', '--out', 'per', '--emit', 'kubernetes-per-broker'], {
      cwd: dir,
      env: { PASSWORD: PW },
    });
    expect(r.exitCode).toBe(0);
    expect((await stat(join(dir, 'per/kubernetes/kafka-a-stores.yaml'))).mode & 0o777).toBe(0o600);
  }, 60_000);
});
