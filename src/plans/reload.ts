/**
 * The reload plan: the kafka-configs commands that make running brokers re-read the stores a run replaced, with no
 * restart. Kafka reloads a listener's keystore or truststore when its listener.name.<l>.ssl.keystore.location (or
 * truststore) is altered, even to the same path (KIP-226; same-path reload since Kafka 2.1). Pure: the facts of what
 * changed and the user's settings in, the commands out.
 */
import { posix } from 'node:path';
import type { Identity } from '../model/cluster.js';
import type { Deployment } from '../model/deployment.js';
import { brokerStores, type Layout } from '../model/layouts.js';

/** What a shell variable stands for in a printed plan until the user gives it (--bootstrap-server, ...). */
export const PLACEHOLDERS = {
  bootstrapServer: '${BOOTSTRAP_SERVER}',
  commandConfig: '${ADMIN_CONFIG}',
} as const;

export type StoreKind = 'keystore' | 'truststore';

/** One broker's stores, and which of them the run replaced. */
export interface BrokerChange {
  readonly who: Identity;
  readonly keystoreChanged: boolean;
  readonly truststoreChanged: boolean;
}

/** What the plan is built with: the user's reload options and the directory's description. */
export interface ReloadSettings {
  readonly kafkaConfigs: string;
  readonly bootstrapServer?: string;
  readonly commandConfig?: string;
  /** --listener: else the directory's inter-broker listener alone. */
  readonly listeners?: readonly string[];
  /** --broker-id alias=id: else each broker's number in its step id (broker-2 → 2), said to be assumed. */
  readonly brokerIds: ReadonlyMap<string, string>;
  /** Where the listeners came from, for the report: --listener, the cluster's inter-broker one, the directory's. */
  readonly listenersFrom?: 'option' | 'cluster' | 'directory';
  readonly layout: Layout;
  readonly deployment: Deployment;
  /** The output directory, absolute: where the broker reads the files unless the deployment mounts them elsewhere. */
  readonly outDir: string;
}

/** One alter: one store of one listener of one broker. */
export interface ReloadAlter {
  /** e.g. reload.mtls-kafka-0.SSL.keystore */
  readonly id: string;
  readonly broker: string;
  readonly brokerId: string;
  readonly listener: string;
  readonly store: StoreKind;
  /** The store, relative to the output directory. */
  readonly file: string;
  /** The dynamic setting and its value: the path at which the broker reads the store. */
  readonly key: string;
  readonly value: string;
  /** The inter-broker listener: Kafka also checks that its keystore and truststore trust each other. */
  readonly interBroker: boolean;
  /** kafka-configs' arguments; placeholders (PLACEHOLDERS) where the user gave nothing. */
  readonly args: readonly string[];
}

export interface ReloadPlan {
  readonly kafkaConfigs: string;
  readonly bootstrapServer?: string;
  readonly commandConfig?: string;
  /** In order: every truststore first, then every keystore, broker after broker. */
  readonly alters: readonly ReloadAlter[];
  /** Brokers whose id was not given, with the id assumed. */
  readonly assumedIds: readonly { readonly broker: string; readonly brokerId: string }[];
  readonly listenersFrom: 'option' | 'cluster' | 'directory';
}

/**
 * The alters, truststores before keystores: a new truststore must still trust the keystores the brokers serve (it
 * adds a CA, or drops one no one uses any more), and a keystore signed by a new CA is only served once every
 * broker trusts that CA. Within a wave, broker after broker; on each broker the inter-broker listener last.
 */
export function buildReloadPlan(changes: readonly BrokerChange[], s: ReloadSettings): ReloadPlan {
  // One alter per broker reloads every listener whose files changed (measured on Kafka 4.1.1: the broker re-checks
  // all its SSL channel builders); the inter-broker listener's is the one Kafka validates most (its stores must
  // trust each other), and altering it never points another listener at a file it does not use.
  const listeners = s.listeners ?? [s.deployment.interBrokerListener];
  const ordered = [...listeners].sort(
    (a, b) => Number(a === s.deployment.interBrokerListener) - Number(b === s.deployment.interBrokerListener),
  );
  const assumedIds: { broker: string; brokerId: string }[] = [];
  const idOf = new Map<string, string>();
  for (const c of changes) {
    const given = s.brokerIds.get(c.who.alias);
    const id = given ?? c.who.id.replace(/^broker-/, '');
    if (given === undefined) assumedIds.push({ broker: c.who.alias, brokerId: id });
    idOf.set(c.who.alias, id);
  }
  const alters: ReloadAlter[] = [];
  for (const store of ['truststore', 'keystore'] as const)
    for (const c of changes) {
      if (!(store === 'keystore' ? c.keystoreChanged : c.truststoreChanged)) continue;
      for (const listener of ordered) alters.push(alterOf(c.who, idOf.get(c.who.alias)!, listener, store, s));
    }
  return {
    kafkaConfigs: s.kafkaConfigs,
    bootstrapServer: s.bootstrapServer,
    commandConfig: s.commandConfig,
    alters,
    assumedIds,
    listenersFrom: s.listenersFrom ?? (s.listeners ? 'option' : 'directory'),
  };
}

function alterOf(who: Identity, brokerId: string, listener: string, store: StoreKind, s: ReloadSettings): ReloadAlter {
  const files = brokerStores(s.layout, who);
  const file = files[store];
  // Kafka lower-cases the listener name in listener.name.<name>.* (ListenerName.configPrefix).
  const key = `listener.name.${listener.toLowerCase()}.ssl.${store}.location`;
  const value = seenPath(files.dir, file, s);
  return {
    id: `reload.${who.alias}.${listener}.${store}`,
    broker: who.alias,
    brokerId,
    listener,
    store,
    file,
    key,
    value,
    interBroker: listener === s.deployment.interBrokerListener,
    args: alterArgs(s, brokerId, `${key}=${value}`),
  };
}

/** Where the broker reads a file: under --mount-path when the files are mounted, else in the output directory. */
function seenPath(dir: string, file: string, s: ReloadSettings): string {
  const base = s.deployment.mountPath ?? posix.join(s.outDir, dir);
  return posix.join(base, posix.relative(dir, file));
}

/** The connection arguments every kafka-configs command of the plan starts with. */
export function connectionArgs(s: Pick<ReloadSettings, 'bootstrapServer' | 'commandConfig'>): string[] {
  return [
    '--bootstrap-server',
    s.bootstrapServer ?? PLACEHOLDERS.bootstrapServer,
    '--command-config',
    s.commandConfig ?? PLACEHOLDERS.commandConfig,
  ];
}

function alterArgs(s: ReloadSettings, brokerId: string, setting: string): string[] {
  return [
    ...connectionArgs(s),
    '--entity-type',
    'brokers',
    '--entity-name',
    brokerId,
    '--alter',
    '--add-config',
    setting,
  ];
}

/**
 * The same path spelled another way (<dir>/./<file>): a broker validates an alter at once, and refuses it with
 * kafka-configs exiting 1, only when the value changes; the same value is applied later, a refusal then only in its
 * log (measured on Kafka 4.1.1). Alternating the spelling makes every alter one the broker answers.
 */
export function otherSpelling(path: string): string {
  // Built by hand: posix.join would normalise the /./ away.
  return path.includes('/./') ? path.replace('/./', '/') : `${posix.dirname(path)}/./${posix.basename(path)}`;
}

/** The value a broker's --describe gives for a dynamic setting, if set. */
export function describedValue(stdout: string, key: string): string | undefined {
  const m = new RegExp(`^\\s*${key.replace(/\./g, '\\.')}=(\\S+)`, 'm').exec(stdout);
  return m?.[1];
}

/** The check after an alter: the broker's dynamic settings as it now holds them. */
export function describeArgs(plan: Pick<ReloadPlan, 'bootstrapServer' | 'commandConfig'>, brokerId: string): string[] {
  return [...connectionArgs(plan), '--entity-type', 'brokers', '--entity-name', brokerId, '--describe'];
}

/** Which of the given brokers' stores the plan reloads, as files relative to the output directory. */
export function reloadedFiles(plan: ReloadPlan): string[] {
  return [...new Set(plan.alters.map((a) => a.file))];
}

/** Kafka's pre-flight passed: its version, and how many new stores it checked. */
export interface PreflightResult {
  readonly kafkaVersion: string;
  readonly checks: number;
}

/** One alter done and checked. */
export interface ReloadedStep {
  readonly id: string;
  readonly broker: string;
  readonly brokerId: string;
  readonly listener: string;
  readonly store: StoreKind;
  readonly command: string;
}

export interface ReloadOutcome {
  /** Which settings the admin client used: the file given, or the identity whose stores the tool wrote them from. */
  readonly adminIdentity: string;
  readonly steps: readonly ReloadedStep[];
}
