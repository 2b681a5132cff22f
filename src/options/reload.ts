/**
 * apply's and rotate-ca's reload options: argv in, a typed request out, every value checked before anything runs.
 * Which kafka-configs and Kafka jars are there is the reload's first step (reload/), not an option's rule.
 */
import { Option } from 'commander';
import { UsageError } from '../errors.js';
import { collect } from './flags.js';

export interface RawReloadOptions {
  reload?: boolean;
  bootstrapServer?: string;
  kafkaConfigs?: string;
  kafkaLibs?: string;
  commandConfig?: string;
  listener?: string[];
  brokerId?: string[];
  kafkaAllows?: string;
}

/** What the reload plan and --reload are given. */
export interface ReloadRequest {
  /** --reload: run the plan; else it is printed. */
  readonly run: boolean;
  readonly bootstrapServer?: string;
  /** As given (a path, or a name on PATH); undefined: kafka-configs.sh on PATH, then kafka-configs. */
  readonly kafkaConfigs?: string;
  readonly kafkaLibs?: string;
  readonly commandConfig?: string;
  readonly listeners?: readonly string[];
  /** By broker alias. */
  readonly brokerIds: ReadonlyMap<string, string>;
  /** The brokers' ssl.allow.dn.changes / ssl.allow.san.changes (Kafka 3.7+), for the pre-flight to ask with. */
  readonly allows: { readonly dn: boolean; readonly san: boolean };
}

export const reloadOptions = (): Option[] =>
  [
    new Option(
      '--reload',
      'after the swap, make the running brokers re-read the replaced stores with kafka-configs, one broker at a ' +
        "time, after a pre-flight by Kafka's own check (needs --bootstrap-server)",
    ),
    new Option('--bootstrap-server <host:port>', "a broker's address for kafka-configs (the reload plan's too)"),
    new Option(
      '--kafka-configs <path>',
      "Kafka's kafka-configs to run (default: kafka-configs.sh on PATH, then kafka-configs)",
    ),
    new Option('--kafka-libs <dir>', "Kafka's jars, for the pre-flight (default: <kafka-configs' dir>/../libs)"),
    new Option(
      '--command-config <file>',
      "the admin client's settings for kafka-configs (default: written 0600 to a private directory from the " +
        "first broker's keystore and its truststore, and removed after)",
    ),
    new Option('--listener <name>', "a broker listener to reload (repeatable; default: the directory's listeners)")
      .argParser(collect)
      .default(undefined),
    new Option(
      '--broker-id <alias=id>',
      "a broker's node.id, e.g. mtls-kafka-0=0 (repeatable; default: the number in its step id, broker-0 → 0)",
    )
      .argParser(collect)
      .default(undefined),
    new Option(
      '--kafka-allows <changes>',
      'dn, san or dn,san: the brokers set ssl.allow.dn.changes / ssl.allow.san.changes (Kafka 3.7+), and the ' +
        'pre-flight asks with them',
    ),
  ].map((o) => o.helpGroup('Reloading running brokers (no restart):'));

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):[0-9]{1,5}$/;
/** Kafka's listener names: letters, digits, '_' and '-' (its config parser splits on ':' and ','). */
const LISTENER = /^[A-Za-z0-9_-]{1,64}$/;

export function parseReloadOptions(raw: RawReloadOptions): ReloadRequest {
  const run = raw.reload === true;
  if (run && raw.bootstrapServer === undefined)
    throw new UsageError('--bootstrap-server', 'is needed with --reload: the address kafka-configs connects to');
  if (raw.bootstrapServer !== undefined && !HOST_PORT.test(raw.bootstrapServer))
    throw new UsageError('--bootstrap-server', `must be host:port, got ${JSON.stringify(raw.bootstrapServer)}`);
  for (const l of raw.listener ?? [])
    if (!LISTENER.test(l))
      throw new UsageError(
        '--listener',
        `must be a Kafka listener name (letters, digits, _ and -), got ${JSON.stringify(l)}`,
      );
  const brokerIds = new Map<string, string>();
  for (const pair of raw.brokerId ?? []) {
    const m = /^([^=]+)=([0-9]{1,10})$/.exec(pair);
    if (!m)
      throw new UsageError(
        '--broker-id',
        `must be <broker alias>=<node id>, e.g. mtls-kafka-0=0, got ${JSON.stringify(pair)}`,
      );
    if (brokerIds.has(m[1]!)) throw new UsageError('--broker-id', `gives ${m[1]} twice`);
    brokerIds.set(m[1]!, String(Number(m[2])));
  }
  const allowed = (raw.kafkaAllows ?? '').split(',').filter((x) => x !== '');
  const bad = allowed.find((x) => x !== 'dn' && x !== 'san');
  if (bad !== undefined || (raw.kafkaAllows !== undefined && allowed.length === 0))
    throw new UsageError('--kafka-allows', `must be dn, san or dn,san, got ${JSON.stringify(raw.kafkaAllows)}`);
  for (const [name, value] of [
    ['--kafka-configs', raw.kafkaConfigs],
    ['--kafka-libs', raw.kafkaLibs],
    ['--command-config', raw.commandConfig],
  ] as const)
    if (value !== undefined && value.trim() === '') throw new UsageError(name, 'must not be empty');
  return {
    run,
    bootstrapServer: raw.bootstrapServer,
    kafkaConfigs: raw.kafkaConfigs,
    kafkaLibs: raw.kafkaLibs,
    commandConfig: raw.commandConfig,
    listeners: raw.listener && raw.listener.length > 0 ? [...new Set(raw.listener)] : undefined,
    brokerIds,
    allows: { dn: allowed.includes('dn'), san: allowed.includes('san') },
  };
}

/** --broker-id names brokers of the directory, and nothing is asked of a cluster before that is so. */
export function checkBrokerAliases(request: ReloadRequest, brokers: readonly string[]): void {
  for (const alias of request.brokerIds.keys())
    if (!brokers.includes(alias))
      throw new UsageError(
        '--broker-id',
        `${alias} is not a broker of this directory (its brokers: ${brokers.join(', ')})`,
      );
}
