import { named, UsageError } from '../../src/errors.js';
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
