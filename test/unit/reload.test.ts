import { DEFAULT_DEPLOYMENT } from '../../src/model/deployment.js';
import type { Identity } from '../../src/model/cluster.js';
import { parseReloadOptions } from '../../src/options/reload.js';
import { buildReloadPlan, describedValue, otherSpelling, type ReloadSettings } from '../../src/plans/reload.js';
import { formatReloadCommand } from '../../src/report/reload.js';

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
