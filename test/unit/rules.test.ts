import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { named, RuleError, UsageError } from '../../src/errors.js';
import { parseRunOptions } from '../../src/options/params.js';
import { tempDir } from '../helpers/cli.js';
import * as v from '../../src/model/rules.js';

describe('validation rules', () => {
  test('whole numbers', () => {
    expect(named('--brokers', () => v.wholeNumber('3', 1, 999))).toBe(3);
    for (const bad of ['0', '1000', '-1', '1.5', '1e3', ' 3', '', '0x10']) {
      expect(() => named('--brokers', () => v.wholeNumber(bad, 1, 999))).toThrow(UsageError);
    }
  });

  test('DNS labels and names', () => {
    expect(named('--name', () => v.dnsLabel('mtls-kafka'))).toBe('mtls-kafka');
    for (const bad of ['-a', 'a-', 'A', 'a_b', 'a.b', '', 'x'.repeat(64)])
      expect(() => named('--name', () => v.dnsLabel(bad))).toThrow(UsageError);
    expect(named('--cluster-domain', () => v.dnsName('svc.cluster.local'))).toBe('svc.cluster.local');
    expect(() => named('--cluster-domain', () => v.dnsName('svc..local'))).toThrow(UsageError);
    expect(() => named('--cluster-domain', () => v.dnsName('*.local'))).toThrow(UsageError);
  });

  test('SANs: DNS names, wildcards, IPv4 and IPv6', () => {
    expect(v.san('kafka.example.com')).toEqual({ kind: 'DNS', value: 'kafka.example.com' });
    expect(v.san('DNS:*.kafka.example.com')).toEqual({ kind: 'DNS', value: '*.kafka.example.com' });
    expect(v.san('IP:10.1.2.3')).toEqual({ kind: 'IP', value: '10.1.2.3' });
    expect(v.san('ip:::1')).toEqual({ kind: 'IP', value: '::1' });
    for (const bad of ['a,b', 'DNS:a b', 'IP:10.1.2', 'URI:http://x', 'a.b,IP:1.2.3.4', 'a\nb', '*.*.a']) {
      expect(() => named('--san', () => v.san(bad))).toThrow(UsageError);
    }
  });

  test("subject fields accept the script's values and reject config and RFC 2253 syntax", () => {
    for (const ok of [
      'OrganizationUnit',
      'Seoul',
      'Kafka-Security-CA',
      'Acme Corp.',
      'Zürich',
      'Dept (R&D)'.replace('&', 'and'),
    ]) {
      expect(named('--org', () => v.subjectField(ok))).toBe(ok);
    }
    for (const bad of ['a,b', 'a+b', 'a=b', '#a', 'a\\b', '"a"', 'a$b', '[a]', ' a', 'a\n', 'x'.repeat(65)]) {
      expect(() => named('--org', () => v.subjectField(bad))).toThrow(UsageError);
    }
  });

  test("passwords: keytool's minimum, printable ASCII only", () => {
    expect(named('PASSWORD', () => v.password('password'))).toBe('password');
    expect(() => named('PASSWORD', () => v.password('abcde'))).toThrow(/at least 6/);
    expect(() => named('PASSWORD', () => v.password('pässwort'))).toThrow(/printable ASCII/);
    expect(() => named('PASSWORD', () => v.password('tab\there'))).toThrow(/printable ASCII/);
  });

  test('a UsageError names the option and the rule in one line', () => {
    try {
      named('--country', () => v.countryCode('Korea'));
      throw new Error('not thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as UsageError).message).toBe(
        '--country: must be a two-letter ISO 3166 country code in capitals (e.g. KR), got "Korea"',
      );
    }
  });
});

describe('a rule throws a RuleError that its caller names', () => {
  test('unnamed, a rule says only the rule: it is not yet a UsageError', () => {
    try {
      v.identityCount('many');
      throw new Error('not thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(RuleError);
      expect(e).not.toBeInstanceOf(UsageError);
      expect((e as RuleError).rule).toBe('must be a whole number from 1 to 999, got "many"');
    }
  });

  test('named() names the option each caller gives, and lets other errors through', () => {
    for (const option of ['--brokers', 'KAFKA_BROKER_COUNT', 'kafka-mtls.json: identities[2].alias']) {
      expect(() => named(option, () => v.identityCount('0'))).toThrow(
        new UsageError(option, 'must be a whole number from 1 to 999, got "0"'),
      );
    }
    const bug = new TypeError('a bug');
    expect(() =>
      named('--brokers', () => {
        throw bug;
      }),
    ).toThrow(bug);
  });

  const refusal = async (p: Promise<unknown>): Promise<UsageError> => {
    try {
      await p;
    } catch (e) {
      if (e instanceof UsageError) return e;
      throw e;
    }
    throw new Error('not refused');
  };

  test('the options name the flag, the variable behind it, or the config field', async () => {
    const dir = await tempDir('kmtls-rules-');
    try {
      const out = join(dir, 'certs');
      const flag = await refusal(parseRunOptions({ out, brokers: 'many' }, { env: {} }));
      expect(flag.option).toBe('--brokers');
      const variable = await refusal(parseRunOptions({ out }, { env: { KAFKA_BROKER_COUNT: 'many' } }));
      expect(variable.option).toBe('--brokers (from KAFKA_BROKER_COUNT)');
      expect((await refusal(parseRunOptions({ out, name: 'My_Kafka' }, { env: {} }))).option).toBe('--name');
      const config = join(dir, 'cluster.yaml');
      await writeFile(config, 'statefulSet:\n  name: My_Kafka\n');
      const field = await refusal(parseRunOptions({ out, config }, { env: {} }));
      expect(field.message).toMatch(/^--config .*cluster\.yaml: statefulSet\.name: must be a DNS label/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
