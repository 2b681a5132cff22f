/**
 * A certs directory as Kafka will load it: each identity's keystore and truststore, the passwords its configuration
 * gives them (the cp-kafka credentials files, the properties and the FileConfigProvider file they name, else the
 * password verify was given), and who connects to whom: each client to each broker, each broker to each broker.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { San } from '../model/cluster.js';
import { confluentIdentityFiles, dropInFiles, emitFiles } from '../model/layouts.js';
import type { State } from '../model/state.js';
import { Secret } from '../secrets.js';
import { readBoundedText } from './read-file.js';

/** One place that gives passwords to an identity's stores, and what it gives. */
export interface PasswordSource {
  /** The file (relative to the directory) or option the passwords come from. */
  readonly label: string;
  readonly keystore?: Secret;
  readonly key?: Secret;
  readonly truststore?: Secret;
}

/** An identity of the directory, with its stores (relative paths) and what configures them. */
export interface Party {
  readonly alias: string;
  readonly role: 'broker' | 'client';
  readonly keystore: string;
  readonly truststore: string;
  /** The names clients reach a broker by, the advertised one first. */
  readonly hosts: readonly San[];
  /** Most faithful first: what Kafka's configuration reads, then the password verify was given. */
  readonly sources: readonly PasswordSource[];
  /** ssl.cipher.suites, as its properties file (or verify --cipher-suites) names them; else the JVM's defaults. */
  readonly cipherSuites?: readonly string[];
}

/** The cp-kafka image's files: each holds one password, which the image reads whole, less a final newline. */
export async function credsSource(
  dir: string,
  files: { keystore: string; key: string; truststore: string },
  signal: AbortSignal | undefined,
): Promise<PasswordSource | undefined> {
  const read = (f: string) => readSecretFile(join(dir, f), f, signal);
  const [keystore, key, truststore] = await Promise.all([
    read(files.keystore),
    read(files.key),
    read(files.truststore),
  ]);
  if (!keystore && !key && !truststore) return undefined;
  return { label: files.keystore.replace(/_keystore_creds$/, '_*_creds'), keystore, key, truststore };
}

async function readSecretFile(
  path: string,
  label: string,
  signal: AbortSignal | undefined,
): Promise<Secret | undefined> {
  if (!existsSync(path)) return undefined;
  const text = await readBoundedText(path, { kind: 'password', option: '[dir]', signal });
  return new Secret(label, text.replace(/\r?\n$/, ''));
}

/**
 * A Kafka properties file's store passwords: literal, or `${file:PATH:KEY}` through FileConfigProvider. A PATH that
 * is not there (a directory made elsewhere and copied) is looked for beside the properties file.
 */
export async function propertiesSource(
  dir: string,
  file: string,
  signal: AbortSignal | undefined,
): Promise<PasswordSource | undefined> {
  const path = join(dir, file);
  if (!existsSync(path)) return undefined;
  const props = parseProperties(await readBoundedText(path, { kind: 'password', option: '[dir]', signal }));
  const value = async (key: string): Promise<Secret | undefined> => {
    const v = props.get(key);
    if (v === undefined) return undefined;
    const ref = /^\$\{file:(.+):([^:}]+)\}$/.exec(v);
    if (!ref) return new Secret(`${file} ${key}`, v);
    const [, target, name] = ref as unknown as [string, string, string];
    const candidates = [
      isAbsolute(target) ? target : join(dirname(path), target),
      join(dirname(path), basename(target)),
    ];
    const found = candidates.find((c) => existsSync(c));
    if (!found) return undefined;
    const referenced = parseProperties(await readBoundedText(found, { kind: 'password', option: '[dir]', signal }));
    const secret = referenced.get(name);
    return secret === undefined ? undefined : new Secret(`${basename(found)} ${name}`, secret);
  };
  const [keystore, key, truststore] = await Promise.all([
    value('ssl.keystore.password'),
    value('ssl.key.password'),
    value('ssl.truststore.password'),
  ]);
  if (!keystore && !key && !truststore) return undefined;
  return { label: file, keystore, key, truststore };
}

/** A properties file's ssl.cipher.suites (Kafka's list: comma-separated), when it sets one. */
export async function configuredSuites(
  dir: string,
  file: string,
  signal: AbortSignal | undefined,
): Promise<string[] | undefined> {
  const path = join(dir, file);
  if (!existsSync(path)) return undefined;
  const value = parseProperties(await readBoundedText(path, { kind: 'password', option: '[dir]', signal })).get(
    'ssl.cipher.suites',
  );
  const suites = value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return suites && suites.length > 0 ? suites : undefined;
}

/** FileConfigProvider's file read alone (`keystore.password=`, `key.password=`, `truststore.password=`). */
export async function providerSource(
  dir: string,
  file: string,
  signal: AbortSignal | undefined,
): Promise<PasswordSource | undefined> {
  const path = join(dir, file);
  if (!existsSync(path)) return undefined;
  const props = parseProperties(await readBoundedText(path, { kind: 'password', option: '[dir]', signal }));
  const get = (k: string) => (props.has(k) ? new Secret(`${file} ${k}`, props.get(k)!) : undefined);
  const src = { label: file, keystore: get('keystore.password'), key: get('key.password') };
  return { ...src, truststore: get('truststore.password') };
}

/**
 * java.util.Properties' reading of the lines kafka-mtls and people write: `key=value` or `key: value`, # and !
 * comments, blanks around the key; backslash escapes (\\, \=, \:, \t, \n, \uXXXX) and continuation lines.
 */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    // An odd number of trailing backslashes continues the line.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length)
      line = line.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, '');
    const m = /^((?:\\.|[^\\=: \t\f])*)[ \t\f]*[=:]?[ \t\f]*(.*)$/.exec(line);
    if (!m) continue;
    out.set(unescape(m[1]!), unescape(m[2]!));
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[c] ?? c;
  });
}

export interface PartyNaming {
  /** The StatefulSet name: brokers are <name>-<i>. */
  readonly name: string;
  readonly clientAlias: string;
  /** A broker's names by its index, when no state file lists them. */
  readonly brokerHosts: (alias: string, index: number) => readonly San[];
}

/** The identities a directory without kafka-mtls.json holds, by mtls-kafka.sh's file names. */
export function scriptParties(files: readonly string[], naming: PartyNaming): Omit<Party, 'sources'>[] {
  const out: Omit<Party, 'sources'>[] = [];
  const store = /^(.*)\.keystore\.(jks|p12|pkcs12)$/;
  const truststore = (kind: string) => files.find((f) => new RegExp(`^kafka\\.${kind}\\.truststore\\.`).test(f));
  for (const f of files) {
    const alias = store.exec(f)?.[1];
    if (alias === undefined) continue;
    const index = new RegExp(`^${escapeRe(naming.name)}-(\\d+)$`).exec(alias)?.[1];
    const role = index !== undefined ? 'broker' : alias === naming.clientAlias ? 'client' : undefined;
    const trust = truststore(role === 'broker' ? 'server' : 'client');
    if (!role || !trust) continue;
    const hosts = role === 'broker' ? naming.brokerHosts(alias, Number(index)) : [];
    out.push({ alias, role, keystore: f, truststore: trust, hosts });
  }
  return out;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A connection to judge: who is the client, who the broker, and whether it is the inter-broker listener. */
export interface Connection {
  readonly client: Party;
  readonly server: Party;
  readonly interBroker: boolean;
}

/**
 * Each client to each broker, and each broker to the others (to itself when it is alone). When every broker trusts
 * with the same truststore (`sameTrust`: the drop-in layout's one kafka.server.truststore.jks, or copies of it), a
 * broker-to-broker handshake is decided by the client's certificate under that truststore and the server's
 * certificate under it, for the server's name: a ring, broker i to broker i+1, judges each broker once as a client
 * and once as a server, and a full mesh would only repeat it (n instead of n(n-1) handshakes).
 */
export function connectionsOf(parties: readonly Party[], sameTrust: (a: Party, b: Party) => boolean): Connection[] {
  const brokers = parties.filter((p) => p.role === 'broker');
  const clients = parties.filter((p) => p.role === 'client');
  const out: Connection[] = [];
  for (const client of clients) for (const server of brokers) out.push({ client, server, interBroker: false });
  const ring = brokers.every((b) => sameTrust(b, brokers[0]!));
  if (brokers.length === 1) out.push({ client: brokers[0]!, server: brokers[0]!, interBroker: true });
  else if (ring)
    brokers.forEach((client, i) => out.push({ client, server: brokers[(i + 1) % brokers.length]!, interBroker: true }));
  else
    for (const client of brokers)
      for (const server of brokers) if (server !== client) out.push({ client, server, interBroker: true });
  return out;
}

/**
 * Each identity with its stores and what configures their passwords: the state file's identities in its layout, or
 * mtls-kafka.sh's names in a directory without one.
 */
export async function partiesOf(
  dir: string,
  files: readonly string[],
  state: State | undefined,
  naming: { readonly name: string; readonly clientAlias: string },
  brokerHosts: (alias: string) => readonly San[],
  passwords: { of: (file: string) => Secret; label: string },
  signal: AbortSignal | undefined,
): Promise<Party[]> {
  const base = (keystore: string, truststore: string): PasswordSource => ({
    label: passwords.label,
    keystore: passwords.of(keystore),
    truststore: passwords.of(truststore),
  });
  if (!state) {
    const found = scriptParties(files, { ...naming, brokerHosts: (alias) => brokerHosts(alias.toLowerCase()) });
    return found.map((p) => ({ ...p, sources: [base(p.keystore, p.truststore)] }));
  }
  const clients = state.identities.filter((i) => i.role === 'client');
  return Promise.all(
    state.identities.map(async (who): Promise<Party> => {
      const confluent = state.layout === 'confluent' ? confluentIdentityFiles(who) : undefined;
      const keystore = confluent?.keystore ?? dropInFiles.keystore(who);
      const truststore = confluent?.truststore ?? dropInFiles.truststore(who);
      const sub = confluent?.dir ?? '';
      const props =
        who.role === 'broker'
          ? emitFiles.serverProperties(who, sub)
          : emitFiles.clientProperties(who, sub, clients.length === 1);
      const sources = await Promise.all([
        propertiesSource(dir, props, signal),
        credsSource(dir, confluent?.creds ?? dropInFiles.creds(who), signal),
        providerSource(dir, emitFiles.credentials(who, sub, state.generatedPasswords ?? false), signal),
      ]);
      const configured = sources.filter((s): s is PasswordSource => s !== undefined);
      const cipherSuites = await configuredSuites(dir, props, signal);
      return {
        alias: who.alias,
        role: who.role,
        keystore,
        truststore,
        hosts: who.role === 'broker' ? brokerHosts(who.alias.toLowerCase()) : [],
        sources: [...configured, base(keystore, truststore)],
        ...(cipherSuites ? { cipherSuites } : {}),
      };
    }),
  );
}
