/** `generate --config FILE`: the cluster described once, in YAML or JSON, its every field checked by zod. */
import { dirname, resolve } from 'node:path';
import type { RawCaOptions } from './own-ca.js';
import { brokerCn, brokerSans, uniqueSans, type Cluster, type Identity, type San } from '../model/cluster.js';
import type { StoreType } from '../model/cluster.js';
import type { Deployment, Listener } from '../model/deployment.js';
import { UsageError } from '../errors.js';
import type { Emit } from '../model/layouts.js';
import * as v from '../model/rules.js';
import { DEFAULT_CA_KEY, DEFAULT_LEAF_KEY, type KeySpec } from '../model/keys.js';
import {
  CONFLUENT_DEFAULTS,
  defaultClientName,
  defaultHeadlessService,
  MAX_IDENTITIES,
  SCRIPT_CA_SUBJECT,
  SCRIPT_DEFAULTS,
  SCRIPT_SUBJECT,
} from '../model/defaults.js';
import type { Layout } from '../model/layouts.js';
import { throwIfCancelled } from '../runner/cancel.js';
import { readBoundedText } from '../pki/read-file.js';
import { caChain, caKeyPassword, configSchema, type ConfigInput } from './config-schema.js';
import { parseAt } from '../model/schema.js';

/*
 * JSON is YAML. A wrong field is reported by its path in the file (e.g. `brokers.kafka-1[1]`), with the rule it
 * broke. Passwords are never inline: only the name of a variable or a file. This module imports zod: options/
 * loads it only when --config is given, as it loads yaml.
 */

export interface ClusterConfig {
  readonly layout?: Layout;
  readonly cluster: Omit<Cluster, 'storeType'>;
  readonly storeType?: StoreType;
  readonly password?: { readonly env: string } | { readonly file: string };
  /** Your own CA, as paths resolved beside the config file. */
  readonly caFiles?: RawCaOptions;
  readonly deployment: Partial<Deployment>;
  readonly emit?: readonly Emit[];
  /** Whether the file names the leaves' key and the CA's (keyType or keyBits): plan and apply keep the directory's. */
  readonly keysGiven: { readonly leaf: boolean; readonly ca: boolean };
}

export async function loadConfig(file: string, signal: AbortSignal | undefined): Promise<ClusterConfig> {
  const text = await readBoundedText(file, { kind: 'config', option: '--config', signal });
  return readConfig(file, await parseYaml(file, text, signal));
}

/** The file as data: valid YAML, no key twice in a mapping, at most 999 brokers or clients, aliases bounded. */
async function parseYaml(file: string, text: string, signal: AbortSignal | undefined): Promise<unknown> {
  // Loaded here, not at start-up: most runs read no config file.
  const yaml = await import('yaml');
  const lines = new yaml.LineCounter();
  const fail = (pos: number, rule: string): never => {
    const at = lines.linePos(pos);
    throw new UsageError(`--config ${file}`, `is not valid YAML or JSON at line ${at.line}, column ${at.col}: ${rule}`);
  };
  // Keys are checked for duplicates below, in one pass: the yaml package compares each key with every other.
  const doc = yaml.parseDocument(text, { prettyErrors: false, uniqueKeys: false, lineCounter: lines });
  throwIfCancelled(signal);
  if (doc.errors.length > 0) fail(doc.errors[0]!.pos[0], doc.errors[0]!.message.split('\n')[0]!);
  checkCounts(file, doc.contents);
  yaml.visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const { key } of map.items) {
        if (!yaml.isScalar(key)) continue;
        const k = String(key.value);
        if (seen.has(k)) fail(key.range?.[0] ?? 0, `the key ${JSON.stringify(k)} appears twice in one mapping`);
        seen.add(k);
      }
    },
  });
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // The yaml package refuses an alias bomb ("billion laughs") with a ReferenceError.
    throw new UsageError(
      `--config ${file}`,
      `cannot be expanded: ${(e as Error).message} (at most ${MAX_ALIAS_COUNT} alias expansions)`,
    );
  }
}

/** yaml's own default, named: a config has no reason to repeat a node more often. */
const MAX_ALIAS_COUNT = 100;

function checkCounts(file: string, root: unknown): void {
  if (!root || typeof root !== 'object' || !('get' in root)) return;
  const node = root as { get(key: string, keepScalar: true): unknown };
  for (const [key, what] of [
    ['brokers', 'brokers'],
    ['clients', 'clients'],
  ] as const) {
    const items = (node.get(key, true) as { items?: unknown[] } | undefined)?.items;
    if (items && items.length > MAX_IDENTITIES) {
      throw new UsageError(
        `--config ${file}: ${key}`,
        `must name at most ${MAX_IDENTITIES} ${what} (the cap of --brokers); it names ${items.length}`,
      );
    }
  }
}

/** The cluster a parsed config file describes: zod has checked each field; here, fields against each other. */
export function readConfig(file: string, json: unknown): ClusterConfig {
  const label = `--config ${file}`;
  const input = parseAt(label, configSchema, json);
  const fail = (path: string, rule: string): never => {
    throw new UsageError(`${label}: ${path || '(top level)'}`, rule);
  };
  const confluent = input.layout === 'confluent';
  const validityDays =
    input.validity ?? (confluent ? CONFLUENT_DEFAULTS.validityDays : Number(SCRIPT_DEFAULTS.validity));
  const caFiles = readCaFiles(file, input.ca);
  const leafKey = keyOf(input, '', DEFAULT_LEAF_KEY, fail);
  const ca = {
    subject: input.ca?.subject ?? (confluent ? CONFLUENT_DEFAULTS.caSubject : SCRIPT_CA_SUBJECT),
    validityDays: input.ca?.validity ?? validityDays,
    ...keyOf(input.ca ?? {}, 'ca.', DEFAULT_CA_KEY, fail),
  };
  if (caFiles && input.ca?.keyType !== undefined)
    fail('ca.keyType', 'cannot be combined with ca.cert: your own CA signs with the key it has');
  if (validityDays > ca.validityDays)
    fail(
      input.validity !== undefined ? 'validity' : 'ca.validity',
      `must be at most ca.validity (${ca.validityDays} days): ${v.OUTLIVE}, got ${validityDays}`,
    );
  const subject = input.subject ?? (confluent ? CONFLUENT_DEFAULTS.subject : SCRIPT_SUBJECT);
  const leaf: Leaf = (role, id, name, sans, cn = name) => ({
    role,
    id,
    alias: name,
    subject: [...subject, ['CN', cn]],
    sans,
    ...leafKey,
    validityDays,
  });
  if ((input.statefulSet === undefined) === (input.brokers === undefined))
    fail(
      '',
      "must describe the brokers with exactly one of statefulSet (the script's naming) " +
        'or brokers (a name and host names per broker)',
    );
  const { brokers, namespace, defaultClient } = input.statefulSet
    ? statefulSetBrokers(input.statefulSet, leaf, fail)
    : { ...namedBrokers(input.brokers!, leaf, fail), namespace: undefined, defaultClient: 'client' };
  const identities = [...brokers, ...readClients(input.clients, defaultClient, leaf, fail)];
  const dup = identities.find((x, i) => identities.findIndex((y) => y.alias === x.alias) !== i);
  if (dup)
    fail(
      dup.role === 'client' ? 'clients' : '',
      `names ${dup.alias} twice: every broker and client needs its own name (it is the alias and the file names)`,
    );
  const deployment = readDeployment(input, brokers, fail);
  const ns = input.kubernetes?.namespace ?? namespace;
  if (ns) deployment.namespace = ns;
  const { layout, storeType, password, emit } = input;
  const keysGiven = {
    leaf: input.keyType !== undefined || input.keyBits !== undefined,
    ca: input.ca?.keyType !== undefined || input.ca?.keyBits !== undefined,
  };
  return { layout, cluster: { ca, identities }, storeType, password, deployment, emit, caFiles, keysGiven };
}

/** keyType, or keyBits (an RSA size, 8192 too), at `at`; both at once are refused. */
function keyOf(
  m: { readonly keyType?: KeySpec; readonly keyBits?: number },
  at: string,
  fallback: KeySpec,
  fail: Fail,
): KeySpec {
  if (m.keyType && m.keyBits !== undefined)
    fail(`${at}keyType`, `cannot be combined with ${at}keyBits: keyType names the size too (rsa-3072)`);
  return m.keyType ?? (m.keyBits !== undefined ? { keyBits: m.keyBits } : fallback);
}

type Fail = (path: string, rule: string) => never;
type Leaf = (role: Identity['role'], id: string, name: string, sans: San[], cn?: string) => Identity;

/** Your own CA's files, resolved beside the config file; checked as the flags are, by options/own-ca.ts. */
function readCaFiles(file: string, ca: ConfigInput['ca']): RawCaOptions | undefined {
  if (ca?.cert === undefined && ca?.key === undefined) return undefined;
  const label = `--config ${file}`;
  const beside = (p: string | undefined) => (p === undefined ? undefined : resolve(dirname(file), p));
  const chain = parseAt(label, caChain, ca.chain, ['ca', 'chain']);
  const p = parseAt(label, caKeyPassword, ca.keyPassword, ['ca', 'keyPassword']);
  const pw = p === undefined ? {} : 'env' in p ? { caKeyPasswordEnv: p.env } : { caKeyPasswordFile: beside(p.file) };
  return { caCert: beside(ca.cert), caKey: beside(ca.key), caChain: beside(chain), ...pw };
}

/** The script's naming: <name>-<i>.<headless service>, and the SANs mtls-kafka.sh writes. */
function statefulSetBrokers(s: NonNullable<ConfigInput['statefulSet']>, leaf: Leaf, fail: Fail) {
  const D = SCRIPT_DEFAULTS;
  const name = s.name ?? D.name;
  const names = {
    name,
    headlessService: s.headlessService ?? defaultHeadlessService(name),
    namespace: s.namespace ?? D.namespace,
    clusterDomain: s.clusterDomain ?? D.clusterDomain,
    extraSans: s.extraSans ?? [],
  };
  const replicas = s.replicas ?? Number(D.brokers);
  const tooLong = v.brokerCnTooLong(names, replicas);
  if (tooLong) fail('statefulSet', `makes ${tooLong}`);
  const brokers = Array.from({ length: replicas }, (_, i) =>
    leaf('broker', `broker-${i}`, `${name}-${i}`, brokerSans(names, i), brokerCn(names, i)),
  );
  return { brokers, namespace: names.namespace, defaultClient: defaultClientName(name) };
}

/** Brokers by name, each with its host names (the first is the one listeners advertise by default). */
function namedBrokers(named: Record<string, San[]>, leaf: Leaf, fail: Fail) {
  const entries = Object.entries(named);
  if (entries.length === 0) fail('brokers', 'must name at least one broker');
  if (entries.length > MAX_IDENTITIES) fail('brokers', `must name at most ${MAX_IDENTITIES} brokers`);
  const brokers = entries.map(([name, hosts], i) => {
    const sans = uniqueSans(hosts);
    if (sans.length === 0) fail(`brokers.${name}`, 'must list at least one host name or IP address');
    return leaf('broker', `broker-${i}`, name, sans);
  });
  return { brokers };
}

function readClients(names: string[] | undefined, defaultClient: string, leaf: Leaf, fail: Fail): Identity[] {
  const clientNames = names ?? [defaultClient];
  if (clientNames.length === 0) fail('clients', 'must name at least one client');
  return clientNames.map((name, i) =>
    leaf('client', i === 0 ? 'client' : `client-${i}`, name, [{ kind: 'DNS', value: name }]),
  );
}

/** Listeners, mount path and password style: how the brokers and clients will use the files. */
function readDeployment(input: ConfigInput, brokers: readonly Identity[], fail: Fail) {
  const deployment: { -readonly [K in keyof Deployment]?: Deployment[K] } = {};
  if (input.listeners) {
    const listeners = input.listeners.map((l, i): Listener => {
      const host = l.host ?? 0;
      const short = brokers.find((b) => b.sans.length <= host);
      if (short)
        fail(
          `listeners[${i}].host`,
          `is the index of a broker host name to advertise, but ${short.alias} has only ${short.sans.length}`,
        );
      const protocol = (l.protocol?.toUpperCase() ?? 'SSL') as Listener['protocol'];
      return { name: l.name, port: l.port, protocol, host };
    });
    if (listeners.length === 0) fail('listeners', 'must name at least one listener');
    const names = listeners.map((l) => l.name);
    if (new Set(names).size !== names.length) fail('listeners', 'must not name a listener twice');
    deployment.listeners = listeners;
    deployment.interBrokerListener = listeners[0]!.name;
  }
  if (input.interBrokerListener !== undefined) {
    const name = input.interBrokerListener;
    const known = (deployment.listeners ?? [{ name: 'SSL' }]).map((l) => l.name);
    if (!known.includes(name))
      fail('interBrokerListener', `must be one of the listeners (${known.join(', ')}), got ${JSON.stringify(name)}`);
    deployment.interBrokerListener = name;
  }
  if (input.mountPath !== undefined) deployment.mountPath = input.mountPath;
  if (input.propertiesPasswords !== undefined) deployment.passwords = input.propertiesPasswords;
  return deployment;
}
