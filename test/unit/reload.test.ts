import { DEFAULT_DEPLOYMENT } from '../../src/model/deployment.js';
import type { Identity } from '../../src/model/cluster.js';
import { parseReloadOptions } from '../../src/options/reload.js';
import { buildReloadPlan, describedValue, otherSpelling, type ReloadSettings } from '../../src/plans/reload.js';
import { formatReloadCommand } from '../../src/report/reload.js';
import { advertisedHosts, effectiveLocation, matchBrokerIds, parseDescribeAll } from '../../src/reload/discover.js';

const broker = (i: number): Identity =>
  ({
    role: 'broker',
    id: `broker-${i}`,
    alias: `mtls-kafka-${i}`,
    subject: [],
    sans: [],
    validityDays: 1,
  }) as unknown as Identity;

const settings: ReloadSettings = {
  kafkaConfigs: 'kafka-configs.sh',
  brokerIds: new Map([['mtls-kafka-1', '7']]),
  layout: 'dropin',
  deployment: { ...DEFAULT_DEPLOYMENT, listeners: [...DEFAULT_DEPLOYMENT.listeners], interBrokerListener: 'INTERNAL' },
  outDir: '/srv/certs',
};

describe('the reload plan', () => {
  test('truststores before keystores, one alter per broker on the inter-broker listener, ids given or assumed', () => {
    const plan = buildReloadPlan(
      [
        { who: broker(0), keystoreChanged: true, truststoreChanged: true },
        { who: broker(1), keystoreChanged: true, truststoreChanged: false },
      ],
      settings,
    );
    expect(plan.alters.map((a) => `${a.brokerId} ${a.key}=${a.value}`)).toEqual([
      '0 listener.name.internal.ssl.truststore.location=/srv/certs/kafka.server.truststore.jks',
      '0 listener.name.internal.ssl.keystore.location=/srv/certs/mtls-kafka-0.keystore.jks',
      '7 listener.name.internal.ssl.keystore.location=/srv/certs/mtls-kafka-1.keystore.jks',
    ]);
    expect(plan.assumedIds).toEqual([{ broker: 'mtls-kafka-0', brokerId: '0' }]);
    expect(formatReloadCommand(plan.kafkaConfigs, plan.alters[0]!.args)).toBe(
      'kafka-configs.sh --bootstrap-server "${BOOTSTRAP_SERVER}" --command-config "${ADMIN_CONFIG}" --entity-type ' +
        'brokers --entity-name 0 --alter --add-config ' +
        'listener.name.internal.ssl.truststore.location=/srv/certs/kafka.server.truststore.jks',
    );
  });

  test('--listener and --mount-path: the listeners named, the path the broker sees', () => {
    const plan = buildReloadPlan([{ who: broker(0), keystoreChanged: true, truststoreChanged: false }], {
      ...settings,
      listeners: ['CLIENT', 'INTERNAL'],
      deployment: { ...settings.deployment, mountPath: '/etc/kafka/secrets' },
    });
    expect(plan.alters.map((a) => `${a.listener} ${a.value}`)).toEqual([
      'CLIENT /etc/kafka/secrets/mtls-kafka-0.keystore.jks',
      'INTERNAL /etc/kafka/secrets/mtls-kafka-0.keystore.jks',
    ]);
  });

  test('the other spelling of a path goes both ways; describe output is read by key', () => {
    expect(otherSpelling('/srv/certs/a.jks')).toBe('/srv/certs/./a.jks');
    expect(otherSpelling('/srv/certs/./a.jks')).toBe('/srv/certs/a.jks');
    const said =
      'Dynamic configs for broker 0 are:\n  listener.name.internal.ssl.keystore.location=/x/./a.jks sensitive=false';
    expect(describedValue(said, 'listener.name.internal.ssl.keystore.location')).toBe('/x/./a.jks');
    expect(describedValue(said, 'listener.name.client.ssl.keystore.location')).toBeUndefined();
  });
});

describe('the reload options', () => {
  test.each([
    [{ reload: true }, '--bootstrap-server: is needed with --reload: the address kafka-configs connects to'],
    [{ bootstrapServer: 'kafka' }, '--bootstrap-server: must be host:port, got "kafka"'],
    [{ listener: ['a:b'] }, '--listener: must be a Kafka listener name (letters, digits, _ and -), got "a:b"'],
    [
      { brokerId: ['mtls-kafka-0'] },
      '--broker-id: must be <broker alias>=<node id>, e.g. mtls-kafka-0=0, got "mtls-kafka-0"',
    ],
    [{ brokerId: ['a=1', 'a=2'] }, '--broker-id: gives a twice'],
    [{ kafkaAllows: 'dn,subject' }, '--kafka-allows: must be dn, san or dn,san, got "dn,subject"'],
  ])('%j is refused', (raw, message) => {
    expect(() => parseReloadOptions(raw)).toThrow(message);
  });

  test('a valid set is read', () => {
    const r = parseReloadOptions({
      reload: true,
      bootstrapServer: '[::1]:9093',
      brokerId: ['b=01'],
      kafkaAllows: 'san',
    });
    expect(r).toMatchObject({ run: true, bootstrapServer: '[::1]:9093', allows: { dn: false, san: true } });
    expect([...r.brokerIds]).toEqual([['b', '1']]);
  });
});

describe("the cluster's own description (kafka-configs --describe --all, as Kafka 4.1.1 prints it)", () => {
  const DESCRIBED = [
    'All configs for broker 0 are:',
    '  advertised.listeners=CLIENT://mtls-kafka-0.mtls-kafka-headless:35215,INTERNAL://mtls-kafka-0.mtls-kafka-headless:45005 sensitive=false synonyms={STATIC_BROKER_CONFIG:advertised.listeners=CLIENT://mtls-kafka-0.mtls-kafka-headless:35215}',
    '  inter.broker.listener.name=INTERNAL sensitive=false synonyms={STATIC_BROKER_CONFIG:inter.broker.listener.name=INTERNAL}',
    '  listener.name.internal.ssl.keystore.location=/srv/certs/./mtls-kafka-0.keystore.jks sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:listener.name.internal.ssl.keystore.location=/srv/certs/./mtls-kafka-0.keystore.jks}',
    '  ssl.keystore.location=/etc/kafka/ks.jks sensitive=false synonyms={STATIC_BROKER_CONFIG:ssl.keystore.location=/etc/kafka/ks.jks}',
    '  ssl.truststore.location=/srv/certs/kafka.server.truststore.jks sensitive=false synonyms={}',
    'All configs for broker 7 are:',
    '  advertised.listeners=CLIENT://[::1]:9093,INTERNAL://mtls-kafka-1.mtls-kafka-headless:9094 sensitive=false synonyms={}',
    'Default configs for brokers in the cluster are:',
  ].join('\n');
  const described = parseDescribeAll(DESCRIBED);
  const withSans = (i: number, names: string[]) =>
    ({ ...broker(i), sans: names.map((value) => ({ kind: 'DNS', value })) }) as unknown as Identity;

  test('each broker with its settings; the hosts it advertises; node ids by the certificates names', () => {
    expect(described.map((b) => b.id)).toEqual(['0', '7']);
    expect(advertisedHosts(described[1]!)).toEqual(['::1', 'mtls-kafka-1.mtls-kafka-headless']);
    const ids = matchBrokerIds(
      [
        withSans(0, ['MTLS-KAFKA-0.mtls-kafka-headless']),
        withSans(1, ['mtls-kafka-1.mtls-kafka-headless']),
        withSans(2, ['x']),
      ],
      described,
    );
    expect([...ids]).toEqual([
      ['mtls-kafka-0', '0'],
      ['mtls-kafka-1', '7'],
    ]);
  });

  test("a listener's own setting first, normalised, else the broker's", () => {
    expect(effectiveLocation(described[0]!, 'INTERNAL', 'keystore')).toBe('/srv/certs/mtls-kafka-0.keystore.jks');
    expect(effectiveLocation(described[0]!, 'CLIENT', 'keystore')).toBe('/etc/kafka/ks.jks');
    expect(effectiveLocation(described[0]!, 'CLIENT', 'truststore')).toBe('/srv/certs/kafka.server.truststore.jks');
    expect(effectiveLocation(described[1]!, 'CLIENT', 'keystore')).toBeUndefined();
  });
});
