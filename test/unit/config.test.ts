import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describeStatefulSet } from '../../src/model/cluster.js';
import { readConfig } from '../../src/options/config.js';
import { UsageError } from '../../src/errors.js';
import { SCRIPT_PARAMS } from '../helpers/script-params.js';
import { ROOT as ROOT_DIR } from '../helpers/cli.js';

const SCRIPT = describeStatefulSet(SCRIPT_PARAMS);

const failure = (json: unknown): string => {
  try {
    readConfig('c.yaml', json);
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error('no error');
};

describe('readConfig', () => {
  test("statefulSet with no fields is the script's cluster: the drop-in's defaults are one description", () => {
    const c = readConfig('c.yaml', { statefulSet: {} });
    expect(c.cluster).toEqual({ ca: SCRIPT.ca, identities: SCRIPT.identities });
    expect(c.deployment.namespace).toBe('axplatform');
  });

  test('brokers by name: the name is the CN and alias, the hosts are the SANs in order, IPs recognised', () => {
    const c = readConfig('c.yaml', {
      layout: 'confluent',
      brokers: { 'kafka-1': ['kafka-1', 'kafka-1-external', '192.0.2.7'] },
      clients: ['a', 'b'],
    });
    const [b, a, bb] = c.cluster.identities;
    expect(b!.subject).toEqual([
      ['C', 'US'],
      ['O', 'CONFLUENT'],
      ['L', 'MountainView'],
      ['CN', 'kafka-1'],
    ]);
    expect(b!.sans).toEqual([
      { kind: 'DNS', value: 'kafka-1' },
      { kind: 'DNS', value: 'kafka-1-external' },
      { kind: 'IP', value: '192.0.2.7' },
    ]);
    expect([a!.id, a!.alias, bb!.id, bb!.alias]).toEqual(['client', 'a', 'client-1', 'b']);
    expect(c.cluster.ca.subject).toEqual([
      ['C', 'US'],
      ['O', 'Confluent'],
      ['L', 'MountainView'],
      ['CN', 'confluent-ca'],
    ]);
  });

  test.each([
    [{ brokers: { k: ['k'] }, statefulSet: {} }, /\(top level\): must describe the brokers with exactly one of/],
    [{ brokers: { k: [] } }, /brokers\.k: must list at least one host name/],
    [{ brokers: { K_1: ['k'] } }, /brokers\.K_1: must be a DNS label/],
    [{ brokers: { k: ['k'] }, clients: ['k'] }, /clients: names k twice/],
    [{ brokers: { k: ['k'] }, subject: { CN: 'x' } }, /subject\.CN: is set per broker and client/],
    [{ brokers: { k: ['k'] }, ca: { subject: { O: 'x' } } }, /ca\.subject: must have a CN/],
    [{ brokers: { k: ['k'] }, ca: { keyBits: 1024 } }, /ca\.keyBits: must be a whole number from 2048 to 8192/],
    [{ brokers: { k: ['k'] }, password: { env: 'A', file: 'b' } }, /password: must name exactly one of env/],
    [{ brokers: { k: ['k'] }, password: { env: 'A B' } }, /password\.env: must be an environment variable name/],
    [
      { brokers: { k: ['k'] }, listeners: [{ name: 'ssl', port: 9093 }] },
      /listeners\[0\]\.name: must be a listener name in capitals/,
    ],
    [
      { brokers: { k: ['k'] }, listeners: [{ name: 'SSL', port: 70000 }] },
      /listeners\[0\]\.port: must be a whole number from 1 to 65535/,
    ],
    [
      { brokers: { k: ['k'] }, interBrokerListener: 'INTERNAL' },
      /interBrokerListener: must be one of the listeners \(SSL\)/,
    ],
    [{ brokers: { k: ['k'] }, mountPath: 'relative/dir' }, /mountPath: must be an absolute path/],
    [{ brokers: { k: ['k'] }, emit: ['pem', 'jks'] }, /emit\[1\]: must be one of pem/],
    [
      { statefulSet: { name: 'a-very-long-statefulset-name-for-kafka', replicas: 10 } },
      /statefulSet: makes the broker common name 88 characters long/,
    ],
  ])("%j is refused with the field's path", (json, message) => {
    expect(failure(json)).toMatch(new RegExp(`^--config c\\.yaml: ${message.source}`));
  });
});

describe("the README's config examples", () => {
  const readme = readFileSync(join(ROOT_DIR, 'README.md'), 'utf8');
  // Kubernetes objects (the StatefulSet fragment) have a kind: they are manifests, not config files; nor are
  // Prometheus's rule files (expiry's alerts), which hold groups.
  const examples = [...readme.matchAll(/```yaml\n# (\S+)\n([\s\S]*?)```/g)]
    .map((m) => [m[1]!, parse(m[2]!)] as const)
    .filter(([, json]) => !(typeof json === 'object' && json !== null && ('kind' in json || 'groups' in json)));

  test('there are two, and both are valid', () => {
    expect(examples.map(([name]) => name)).toEqual(['statefulset.yaml', 'compose.yaml']);
    for (const [name, json] of examples) expect(() => readConfig(name, json)).not.toThrow();
  });

  test("the StatefulSet example is exactly the script's cluster", () => {
    expect(readConfig('statefulset.yaml', examples[0]![1]).cluster).toEqual({
      ca: SCRIPT.ca,
      identities: SCRIPT.identities,
    });
  });

  test("the compose example is the write-up's: kafka-1 and kafka-2 with their external names, the BROKER listener between them", () => {
    const c = readConfig('compose.yaml', examples[1]![1]);
    expect(c.layout).toBe('confluent');
    expect(c.cluster.identities.map((i) => `${i.alias}:${i.sans.map((s) => s.value).join('+')}`)).toEqual([
      'kafka-1:kafka-1+kafka-1-external',
      'kafka-2:kafka-2+kafka-2-external',
      'app:app',
    ]);
    expect(c.deployment.interBrokerListener).toBe('BROKER');
  });
});

describe('readConfig reads the file top-down', () => {
  test('an unknown field is reported before anything inside the mapping that holds it', () => {
    expect(failure({ brokers: { k: ['k'] }, ca: { validity: 'x', foo: 1 } })).toBe(
      '--config c.yaml: ca.foo: is not a known field; ' +
        'known here: subject, validity, keyBits, keyType, cert, key, chain, keyPassword',
    );
    expect(failure({ validity: 'x', foo: 1 })).toMatch(/^--config c\.yaml: foo: is not a known field/);
  });

  test('a field given as nothing (`validity:` alone) takes its default', () => {
    expect(readConfig('c.yaml', { statefulSet: {}, validity: null }).cluster.identities[0]!.validityDays).toBe(730);
  });

  test("your own CA's passphrase is read beside its files only, as the flags are", () => {
    expect(readConfig('c.yaml', { statefulSet: {}, ca: { keyPassword: { env: 'A', file: 'b' } } }).caFiles).toBe(
      undefined,
    );
    expect(failure({ statefulSet: {}, ca: { cert: 'a.crt', key: 'a.key', keyPassword: {} } })).toBe(
      '--config c.yaml: ca.keyPassword: must name exactly one of env (a variable) or file (a path)',
    );
  });
});
