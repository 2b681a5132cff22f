import { dirname, resolve } from 'node:path';
import type { RawCaOptions } from './own-ca.js';
import {
  brokerCn,
  brokerSans,
  uniqueSans,
  type Cluster,
  DN_ATTRS,
  type Dn,
  type DnAttr,
  type Identity,
  type San,
  type StoreType,
} from '../model/cluster.js';
import { PASSWORD_STYLES, type Deployment, type Listener, type PasswordStyle } from '../model/deployment.js';
import { UsageError } from '../errors.js';
import { EMITS, type Emit } from '../plans/emits.js';
import * as v from '../model/rules.js';
import {
  CA_KEY_BITS,
  CONFLUENT_DEFAULTS,
  defaultClientName,
  defaultHeadlessService,
  LEAF_KEY_BITS,
  MAX_IDENTITIES,
  MAX_VALIDITY_DAYS,
  SCRIPT_CA_SUBJECT,
  SCRIPT_DEFAULTS,
  SCRIPT_SUBJECT,
} from '../model/defaults.js';
import { Field, keySize, type Json } from '../model/field.js';
import { LAYOUTS, type Layout } from '../model/layouts.js';
import { throwIfCancelled } from '../runner/cancel.js';
import { readBoundedText } from '../pki/read-file.js';

/**
 * `generate --config FILE`: the cluster described once, in YAML or JSON
 * (JSON is YAML). Every field is checked, and a wrong one is reported by its
 * path in the file (e.g. `brokers.kafka-1[1]`), with the rule it broke.
 * Passwords are never inline: only the name of a variable or a file.
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
}

/** A subject as a mapping in encoding order, e.g. {C: US, O: CONFLUENT, L: MountainView}. */
function readDn(f: Field, opts: { cn: 'required' | 'forbidden'; email: boolean }): Dn {
  const dn = f.entries().map(([k, field]): [DnAttr, string] => {
    if (!DN_ATTRS.includes(k as DnAttr) || (k === 'emailAddress' && !opts.email)) {
      field.fail(
        `is not a subject attribute here; use ${DN_ATTRS.filter((a) => opts.email || a !== 'emailAddress')
          .filter((a) => opts.cn === 'required' || a !== 'CN')
          .join(', ')}`,
      );
    }
    if (k === 'CN' && opts.cn === 'forbidden') field.fail('is set per broker and client: their names are their CNs');
    const value = field.string();
    if (k === 'C') return [k, field.rule(() => v.countryCode('x', value))];
    if (k === 'emailAddress') return [k, field.rule(() => v.emailAddress('x', value))];
    return [k as DnAttr, field.rule(() => v.subjectField('x', value))];
  });
  if (opts.cn === 'required' && !dn.some(([k]) => k === 'CN')) f.fail('must have a CN');
  return dn;
}

/** A host name or IP address, read as --san reads it. */
function readSan(f: Field): San {
  const raw = f.string();
  return f.rule(() => v.san(raw));
}

/** A broker or client name: it becomes the CN, the alias and file, directory, service and Secret names. */
function readName(f: Field, raw: string): string {
  return f.rule(() => v.dnsLabel('x', raw));
}

export async function loadConfig(file: string): Promise<ClusterConfig> {
  const text = await readBoundedText(file, { kind: 'config', option: '--config' });
  // Loaded here, not at start-up: most runs read no config file.
  const yaml = await import('yaml');
  const lines = new yaml.LineCounter();
  const fail = (pos: number, rule: string): never => {
    const at = lines.linePos(pos);
    throw new UsageError(`--config ${file}`, `is not valid YAML or JSON at line ${at.line}, column ${at.col}: ${rule}`);
  };
  // Keys are checked for duplicates below, in one pass: the yaml package compares each key with every other.
  const doc = yaml.parseDocument(text, { prettyErrors: false, uniqueKeys: false, lineCounter: lines });
  throwIfCancelled();
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
  let json: Json;
  try {
    json = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // The yaml package refuses an alias bomb ("billion laughs") with a ReferenceError.
    throw new UsageError(
      `--config ${file}`,
      `cannot be expanded: ${(e as Error).message} (at most ${MAX_ALIAS_COUNT} alias expansions)`,
    );
  }
  return readConfig(file, json);
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

const TOP = [
  'layout',
  'validity',
  'keyBits',
  'storeType',
  'password',
  'ca',
  'subject',
  'statefulSet',
  'brokers',
  'clients',
  'listeners',
  'interBrokerListener',
  'mountPath',
  'propertiesPasswords',
  'kubernetes',
  'emit',
] as const;

export function readConfig(file: string, json: Json): ClusterConfig {
  const root = new Field(file, '', json).object(TOP);
  const at = (k: (typeof TOP)[number]) => root.at(k);
  const layout = at('layout').present
    ? at('layout').rule(() => v.oneOf('x', at('layout').string(), LAYOUTS))
    : undefined;
  const confluent = layout === 'confluent';
  const validityDays = at('validity').present
    ? at('validity').int(1, MAX_VALIDITY_DAYS)
    : confluent
      ? CONFLUENT_DEFAULTS.validityDays
      : Number(SCRIPT_DEFAULTS.validity);
  const keyBits = at('keyBits').present ? at('keyBits').rule(() => keySize(at('keyBits'))) : LEAF_KEY_BITS;
  const storeType = at('storeType').present
    ? at('storeType').rule(() => v.oneOf('x', at('storeType').string(), ['auto', 'jks', 'pkcs12'] as const))
    : undefined;

  let password: ClusterConfig['password'];
  if (at('password').present) {
    const p = at('password').object(['env', 'file']);
    if (p.at('env').present === p.at('file').present)
      p.fail(
        'must name exactly one of env (a variable) or file (a path); the password itself is never written in the config',
      );
    password = p.at('env').present
      ? { env: p.at('env').rule(() => envName(p.at('env').string())) }
      : { file: p.at('file').string() };
  }

  const caField = at('ca').present
    ? at('ca').object(['subject', 'validity', 'keyBits', 'cert', 'key', 'chain', 'keyPassword'])
    : undefined;
  let caFiles: RawCaOptions | undefined;
  if (caField && (caField.at('cert').present || caField.at('key').present)) {
    // Checked as the flags are, by loadExternalCa; here only their shape, and paths from beside the file.
    const path = (k: string) => (caField.at(k).present ? resolve(dirname(file), caField.at(k).string()) : undefined);
    let pw: Pick<RawCaOptions, 'caKeyPasswordEnv' | 'caKeyPasswordFile'> = {};
    if (caField.at('keyPassword').present) {
      const p = caField.at('keyPassword').object(['env', 'file']);
      if (p.at('env').present === p.at('file').present)
        p.fail('must name exactly one of env (a variable) or file (a path)');
      pw = p.at('env').present
        ? { caKeyPasswordEnv: p.at('env').rule(() => envName(p.at('env').string())) }
        : { caKeyPasswordFile: resolve(dirname(file), p.at('file').string()) };
    }
    caFiles = { caCert: path('cert'), caKey: path('key'), caChain: path('chain'), ...pw };
  }
  const ca = {
    subject: caField?.at('subject').present
      ? readDn(caField.at('subject'), { cn: 'required', email: true })
      : confluent
        ? CONFLUENT_DEFAULTS.caSubject
        : SCRIPT_CA_SUBJECT,
    validityDays: caField?.at('validity').present ? caField.at('validity').int(1, MAX_VALIDITY_DAYS) : validityDays,
    keyBits: caField?.at('keyBits').present
      ? caField.at('keyBits').rule(() => keySize(caField.at('keyBits')))
      : CA_KEY_BITS,
  };
  if (validityDays > ca.validityDays) {
    (at('validity').present ? at('validity') : caField!.at('validity')).fail(
      `must be at most ca.validity (${ca.validityDays} days): ${v.OUTLIVE}, got ${validityDays}`,
    );
  }
  const subject = at('subject').present
    ? readDn(at('subject'), { cn: 'forbidden', email: false })
    : confluent
      ? CONFLUENT_DEFAULTS.subject
      : SCRIPT_SUBJECT;
  const leaf = (role: Identity['role'], id: string, name: string, sans: San[], cn = name): Identity => ({
    role,
    id,
    alias: name,
    subject: [...subject, ['CN', cn]],
    sans,
    keyBits,
    validityDays,
  });

  if (at('statefulSet').present === at('brokers').present)
    root.fail(
      "must describe the brokers with exactly one of statefulSet (the script's naming) or brokers (a name and host names per broker)",
    );
  let brokers: Identity[];
  let namespace: string | undefined;
  let defaultClient = 'client';
  if (at('statefulSet').present) {
    const s = at('statefulSet').object([
      'name',
      'headlessService',
      'namespace',
      'clusterDomain',
      'replicas',
      'extraSans',
    ]);
    const name = s.at('name').present ? readName(s.at('name'), s.at('name').string()) : SCRIPT_DEFAULTS.name;
    const str = (k: string, dflt: string, check: (raw: string) => string) =>
      s.at(k).present ? s.at(k).rule(() => check(s.at(k).string())) : dflt;
    const headlessService = str('headlessService', defaultHeadlessService(name), (r) => v.dnsLabel('x', r));
    namespace = str('namespace', SCRIPT_DEFAULTS.namespace, (r) => v.dnsLabel('x', r));
    const clusterDomain = str('clusterDomain', SCRIPT_DEFAULTS.clusterDomain, (r) => v.dnsName('x', r));
    const replicas = s.at('replicas').present
      ? s.at('replicas').int(1, MAX_IDENTITIES)
      : Number(SCRIPT_DEFAULTS.brokers);
    const extraSans = s.at('extraSans').present ? s.at('extraSans').list().map(readSan) : [];
    const names = { name, headlessService, namespace, clusterDomain, extraSans };
    const tooLong = v.brokerCnTooLong(names, replicas);
    if (tooLong) s.fail(`makes ${tooLong}`);
    brokers = Array.from({ length: replicas }, (_, i) =>
      leaf('broker', `broker-${i}`, `${name}-${i}`, brokerSans(names, i), brokerCn(names, i)),
    );
    defaultClient = defaultClientName(name);
  } else {
    const entries = at('brokers').entries();
    if (entries.length === 0) at('brokers').fail('must name at least one broker');
    if (entries.length > MAX_IDENTITIES) at('brokers').fail(`must name at most ${MAX_IDENTITIES} brokers`);
    brokers = entries.map(([name, hosts], i) => {
      readName(at('brokers').at(name), name);
      const sans = uniqueSans(hosts.list().map(readSan));
      if (sans.length === 0) hosts.fail('must list at least one host name or IP address');
      return leaf('broker', `broker-${i}`, name, sans);
    });
  }

  const clientNames = at('clients').present
    ? at('clients')
        .list()
        .map((c) => readName(c, c.string()))
    : [defaultClient];
  if (clientNames.length === 0) at('clients').fail('must name at least one client');
  const clients = clientNames.map((name, i) =>
    leaf('client', i === 0 ? 'client' : `client-${i}`, name, [{ kind: 'DNS', value: name }]),
  );
  const all = [...brokers, ...clients];
  const dup = all.find((x, i) => all.findIndex((y) => y.alias === x.alias) !== i);
  if (dup)
    (dup.role === 'client' ? at('clients') : root).fail(
      `names ${dup.alias} twice: every broker and client needs its own name (it is the alias and the file names)`,
    );

  const deployment: { -readonly [K in keyof Deployment]?: Deployment[K] } = {};
  if (at('listeners').present) {
    const listeners = at('listeners')
      .list()
      .map((l): Listener => {
        l.object(['name', 'port', 'protocol', 'host']);
        const name = l.at('name').string();
        if (!/^[A-Z][A-Z0-9_]{0,31}$/.test(name))
          l.at('name').fail(`must be a listener name in capitals (A-Z, 0-9, _), got ${JSON.stringify(name)}`);
        const protocol = l.at('protocol').present
          ? (l
              .at('protocol')
              .rule(() => v.oneOf('x', l.at('protocol').string(), ['ssl', 'sasl_ssl'] as const))
              .toUpperCase() as Listener['protocol'])
          : 'SSL';
        const host = l.at('host').present ? l.at('host').int(0, 99) : 0;
        const short = brokers.find((b) => b.sans.length <= host);
        if (short)
          l.at('host').fail(
            `is the index of a broker host name to advertise, but ${short.alias} has only ${short.sans.length}`,
          );
        return { name, port: l.at('port').int(1, 65535), protocol, host };
      });
    if (listeners.length === 0) at('listeners').fail('must name at least one listener');
    const names = listeners.map((l) => l.name);
    if (new Set(names).size !== names.length) at('listeners').fail('must not name a listener twice');
    deployment.listeners = listeners;
    deployment.interBrokerListener = listeners[0]!.name;
  }
  if (at('interBrokerListener').present) {
    const name = at('interBrokerListener').string();
    const known = (deployment.listeners ?? [{ name: 'SSL' }]).map((l) => l.name);
    if (!known.includes(name))
      at('interBrokerListener').fail(`must be one of the listeners (${known.join(', ')}), got ${JSON.stringify(name)}`);
    deployment.interBrokerListener = name;
  }
  if (at('mountPath').present) {
    const m = at('mountPath').string();
    deployment.mountPath = at('mountPath').rule(() => v.mountPath('x', m));
  }
  if (at('propertiesPasswords').present)
    deployment.passwords = at('propertiesPasswords').rule(() =>
      v.oneOf('x', at('propertiesPasswords').string(), PASSWORD_STYLES),
    ) as PasswordStyle;
  if (at('kubernetes').present) {
    const k = at('kubernetes').object(['namespace']);
    if (k.at('namespace').present)
      namespace = k.at('namespace').rule(() => v.dnsLabel('x', k.at('namespace').string()));
  }
  if (namespace) deployment.namespace = namespace;
  const emit = at('emit').present
    ? at('emit')
        .list()
        .map((e) => e.rule(() => v.oneOf('x', e.string(), EMITS)))
    : undefined;

  return { layout, cluster: { ca, identities: all }, storeType, password, deployment, emit, caFiles };
}

function envName(raw: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw))
    throw new UsageError('x', `must be an environment variable name, got ${JSON.stringify(raw)}`);
  return raw;
}
