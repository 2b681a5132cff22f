import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Secret as SecretModel } from 'kubernetes-models/v1/Secret';
import { MAX_SECRET_BYTES, statefulSetOf } from '../../src/model/kubernetes.js';
import { describeManifest, renderManifest, SecretTooLargeError } from '../../src/runner/manifest.js';
import { runPlan } from '../../src/runner/runner.js';
import type { SecretManifestAction } from '../../src/runner/step.js';
import { Secret } from '../../src/secrets.js';
import { tempDir } from '../helpers/cli.js';

/** Kubernetes Secret manifests: what the API server takes, the same bytes from the runner and the dry-run script. */
const action = (entries: SecretManifestAction['entries'], name = 'mtls-kafka-brokers'): SecretManifestAction => ({
  kind: 'secret-manifest',
  path: 'secret.yaml',
  name,
  namespace: 'axplatform',
  type: 'Opaque',
  comment: ' a comment\n on two lines',
  entries,
});

describe('renderManifest', () => {
  test('quotes every key and value: base64 that reads as a number stays a string', () => {
    const digits = Buffer.from('12345678', 'base64');
    const text = renderManifest(action([{ key: 'a', files: ['x'] }]), [['1.5', digits]]);
    const doc = parse(text) as { data: Record<string, unknown> };
    expect(doc.data).toEqual({ '1.5': '12345678' });
    expect(() => new SecretModel(doc as never).validate()).not.toThrow();
    expect(text.startsWith('# a comment\n# on two lines\n')).toBe(true);
  });

  test('refuses data over 1 MiB, counted in decoded bytes as the API server counts them; takes exactly 1 MiB', () => {
    const half = Buffer.alloc(MAX_SECRET_BYTES / 2);
    expect(() =>
      renderManifest(action([]), [
        ['a', half],
        ['b', half],
        ['c', Buffer.alloc(1)],
      ]),
    ).toThrow(new SecretTooLargeError('mtls-kafka-brokers', MAX_SECRET_BYTES + 1));
    expect(() =>
      renderManifest(action([]), [
        ['a', half],
        ['b', half],
      ]),
    ).not.toThrow();
  });
});

describe('a Secret over 1 MiB in a run', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('kmtls-manifest-');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('fails its step, says why and what to do instead, and writes no manifest', async () => {
    // As 150 brokers' 2048-bit keystores would (7,012 bytes each, measured).
    await writeFile(join(dir, 'big-0'), Buffer.alloc(600_000, 1));
    await writeFile(join(dir, 'big-1'), Buffer.alloc(600_000, 2));
    const a = action([
      { key: 'big-0', files: ['big-0'] },
      { key: 'big-1', files: ['big-1'] },
      { key: 'pw', secretEnv: 'PW' },
    ]);
    const r = await runPlan(
      {
        steps: [
          {
            id: 'k8s.brokers',
            role: 'output',
            title: 'Write the Secret',
            action: a,
            reads: ['big-0', 'big-1'],
            writes: [a.path],
          },
        ],
        outputs: [],
        scratch: [],
      },
      {
        workDir: dir,
        tools: { openssl: 'openssl', keytool: 'keytool' },
        secrets: { PW: new Secret('store password', 'Pw-123456') },
        concurrency: 1,
      },
    );
    expect(r.failure).toMatchObject({
      stepId: 'k8s.brokers',
      kind: 'check-failed',
      reason:
        'Secret mtls-kafka-brokers would hold 1200009 bytes of data, over the 1048576 (1 MiB) the Kubernetes API ' +
        'server accepts in one Secret',
      hint: expect.stringContaining('--emit kubernetes-per-broker'),
    });
    expect(existsSync(join(dir, 'secret.yaml'))).toBe(false);
  });
});

describe('describeManifest, the --dry-run script', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('kmtls-manifest-');
    await writeFile(join(dir, 'ks'), Buffer.from([0, 1, 2, 250, 251, 252, 10]));
    await writeFile(join(dir, 'chain-a'), 'A\n');
    await writeFile(join(dir, 'chain-b'), 'B\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const PW = 'it\'s a $ecret \\ "pw"';
  const a = action([
    { key: 'mtls-kafka-0.keystore.jks', files: ['ks'] },
    { key: 'tls.crt', files: ['chain-a', 'chain-b'] },
    { key: 'mtls-kafka-0_keystore_creds', secretEnv: 'PW' },
  ]);

  test('writes the bytes the runner writes', async () => {
    const r = await execa('bash', ['-euo', 'pipefail', '-c', describeManifest(a)], { cwd: dir, env: { PW } });
    expect(r.exitCode).toBe(0);
    const ours = renderManifest(a, [
      ['mtls-kafka-0.keystore.jks', await readFile(join(dir, 'ks'))],
      ['tls.crt', Buffer.from('A\nB\n')],
      ['mtls-kafka-0_keystore_creds', Buffer.from(PW)],
    ]);
    expect(await readFile(join(dir, 'secret.yaml'), 'utf8')).toBe(ours);
  });

  test('refuses over 1 MiB, as the run does', async () => {
    await writeFile(join(dir, 'huge'), Buffer.alloc(MAX_SECRET_BYTES + 1));
    const big = { ...action([{ key: 'huge', files: ['huge'] }]), path: 'huge.yaml' };
    const r = await execa('bash', ['-c', describeManifest(big)], { cwd: dir, reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('error: Secret mtls-kafka-brokers would hold more than 1048576 bytes (1 MiB) of data');
    expect(existsSync(join(dir, 'huge.yaml'))).toBe(false);
  });
});

describe("statefulSetOf: the brokers as a StatefulSet's pods", () => {
  test.each<[string[], unknown]>([
    [['mtls-kafka-0', 'mtls-kafka-1', 'mtls-kafka-2'], { name: 'mtls-kafka', start: 0 }],
    [['kafka-1', 'kafka-2'], { name: 'kafka', start: 1 }],
    [['a-9', 'a-10'], { name: 'a', start: 9 }],
  ])('%j is a StatefulSet', (aliases, shape) => {
    expect(statefulSetOf(aliases)).toEqual(shape);
  });

  test.each<[string[], RegExp]>([
    [['kafka-a'], /got kafka-a$/],
    [['kafka-1', 'kafka-3'], /ordinals in a row/],
    [['kafka-2', 'kafka-1'], /ordinals in a row/],
    [['kafka-01'], /got kafka-01$/],
    [['a-0', 'b-1'], /got a-0, b-1$/],
    [['x--0'], /StatefulSet named "x-", which is no Kubernetes name/],
    [[`${'k'.repeat(53)}-0`], /53 characters long/],
  ])('%j is not', (aliases, why) => {
    const shape = statefulSetOf(aliases);
    expect('problem' in shape && shape.problem).toMatch(why);
  });

  test('a name of 52 characters is one', () => {
    expect(statefulSetOf([`${'k'.repeat(52)}-0`])).toEqual({ name: 'k'.repeat(52), start: 0 });
  });
});
