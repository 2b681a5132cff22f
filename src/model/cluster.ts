import { isIPv6 } from 'node:net';
import { DEFAULT_CA_KEY, DEFAULT_LEAF_KEY, type KeySpec } from './keys.js';

/**
 * What a run makes, described before any file is named: the CA, the
 * identities (brokers and clients) with their subjects and SANs, and the
 * stores. The drop-in layout of mtls-kafka.sh is one such description
 * (describeStatefulSet); later layouts and config files produce the same shape.
 */

export interface SubjectFields {
  readonly country: string;
  readonly state: string;
  readonly locality: string;
  readonly org: string;
  readonly orgUnit: string;
}

export interface San {
  readonly kind: 'DNS' | 'IP';
  readonly value: string;
}

/** A subject attribute openssl's config and Java's X500Principal both know by this name. */
export type DnAttr = 'C' | 'ST' | 'L' | 'O' | 'OU' | 'CN' | 'emailAddress';
/** A distinguished name in encoding order (most general first, as in an openssl [dn] section). */
export type Dn = ReadonlyArray<readonly [DnAttr, string]>;
export const DN_ATTRS: readonly DnAttr[] = ['C', 'ST', 'L', 'O', 'OU', 'CN', 'emailAddress'];

/** A CA the user brings (--ca-cert, --ca-key, --ca-chain): kafka-mtls signs with it and never makes its own. */
export interface ExternalCa {
  /** Absolute paths of the files as given. */
  readonly cert: string;
  readonly key: string;
  readonly chain?: string;
  readonly certPem: string;
  /** The certificates above the CA, up to and including the root; empty when the CA is its own root. */
  readonly chainPems: readonly string[];
  /** RFC 2253, as openssl prints it. */
  readonly subject: string;
  readonly keyEncrypted: boolean;
}

/** keyBits and, for an EC key, its curve (model/keys.ts): the key the CA is made with. */
export interface CaSpec extends KeySpec {
  readonly subject: Dn;
  readonly external?: ExternalCa;
  readonly validityDays: number;
}

/** keyBits and, for an EC key, its curve (model/keys.ts): the key the identity's certificate holds. */
export interface Identity extends KeySpec {
  readonly role: 'broker' | 'client';
  /** Step id prefix, e.g. broker-0, client. */
  readonly id: string;
  /** Keystore alias; also the base of the script's file names. */
  readonly alias: string;
  readonly subject: Dn;
  readonly sans: readonly San[];
  readonly validityDays: number;
}

export type StoreType = 'auto' | 'jks' | 'pkcs12';
export const STORE_TYPES: readonly StoreType[] = ['auto', 'jks', 'pkcs12'];

export interface Cluster {
  readonly ca: CaSpec;
  readonly identities: readonly Identity[];
  readonly storeType: StoreType;
}

/** The script's leaf subject order: C, ST, L, O, OU, then CN (keytool's -dname order). */
export function scriptDn(s: SubjectFields, cn: string): Dn {
  return [
    ['C', s.country],
    ['ST', s.state],
    ['L', s.locality],
    ['O', s.org],
    ['OU', s.orgUnit],
    ['CN', cn],
  ];
}

export interface StatefulSetParams {
  readonly brokers: number;
  readonly validityDays: number;
  readonly caValidityDays: number;
  readonly name: string;
  readonly headlessService: string;
  readonly namespace: string;
  readonly clusterDomain: string;
  readonly clientName: string;
  readonly subject: SubjectFields;
  readonly ca: { readonly cn: string; readonly state: string; readonly email: string };
  readonly extraSans: readonly San[];
  readonly storeType: StoreType;
  /** The leaves' key and the CA's (--key-type, --ca-key-type); the script's RSA 2048 and 4096 unless given. */
  readonly leafKey?: KeySpec;
  readonly caKey?: KeySpec;
}

/**
 * SANs once each, in their first order: the same name twice (also as DNS:x and x,
 * or in another case, as DNS names are case-insensitive) is written once.
 */
export function uniqueSans(sans: readonly San[]): San[] {
  const key = (s: San) => `${s.kind}:${s.kind === 'DNS' ? s.value.toLowerCase() : canonicalIp(s.value)}`;
  const seen = new Set<string>();
  return sans.filter((s) => {
    if (seen.has(key(s))) return false;
    seen.add(key(s));
    return true;
  });
}

/** An IPv6 address in one spelling (::1 and 0:0::1 are one address); IPv4 as it is. */
function canonicalIp(ip: string): string {
  return isIPv6(ip) ? new URL(`http://[${ip}]/`).hostname : ip;
}

const dns = (value: string): San => ({ kind: 'DNS', value });

/** The SANs mtls-kafka.sh writes into ext<i>.cnf, in the same order. */
export function brokerSans(
  p: Pick<StatefulSetParams, 'name' | 'headlessService' | 'namespace' | 'clusterDomain' | 'extraSans'>,
  i: number,
): San[] {
  const pod = `${p.name}-${i}.${p.headlessService}`;
  // A --san that repeats one of the script's names (or another --san) is written once.
  return uniqueSans([
    dns(`${pod}.${p.namespace}.${p.clusterDomain}`),
    dns(pod),
    dns(`${pod}.${p.namespace}`),
    dns(`${p.name}.${p.headlessService}`),
    dns(p.name),
    ...p.extraSans,
  ]);
}

export function brokerCn(p: Pick<StatefulSetParams, 'name' | 'headlessService'>, i: number): string {
  return `${p.name}-${i}.${p.headlessService}`;
}

/** The cluster mtls-kafka.sh makes: N brokers of a StatefulSet behind a headless service, and one client. */
export function describeStatefulSet(p: StatefulSetParams): Cluster {
  const leaf = { ...(p.leafKey ?? DEFAULT_LEAF_KEY), validityDays: p.validityDays };
  const brokers: Identity[] = Array.from({ length: p.brokers }, (_, i) => ({
    role: 'broker',
    id: `broker-${i}`,
    alias: `${p.name}-${i}`,
    subject: scriptDn(p.subject, brokerCn(p, i)),
    sans: brokerSans(p, i),
    ...leaf,
  }));
  const client: Identity = {
    role: 'client',
    id: 'client',
    alias: p.clientName,
    subject: scriptDn(p.subject, p.clientName),
    sans: [dns(p.clientName)],
    ...leaf,
  };
  return {
    ca: {
      subject: [...scriptDn({ ...p.subject, state: p.ca.state }, p.ca.cn), ['emailAddress', p.ca.email]],
      ...(p.caKey ?? DEFAULT_CA_KEY),
      validityDays: p.caValidityDays,
    },
    identities: [...brokers, client],
    storeType: p.storeType,
  };
}

/**
 * The principal Kafka derives from a certificate: its subject in RFC 2253
 * form, most specific attribute first (X500Principal.getName()). Subject
 * values are validated to need no RFC 2253 escaping, and leaves carry no
 * emailAddress (which Java would print as an OID and hex).
 */
export function principalOf(subject: Dn): string {
  return [...subject]
    .reverse()
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/**
 * The first id of a broker (broker-<n>) or client (client, client-<n>) not taken. An id names files (the drop-in
 * layout's ext<n>.cnf) and generated passwords' variables, so a given one is never reused for another identity.
 */
export function freeId(role: Identity['role'], taken: ReadonlySet<string>): string {
  const ids = role === 'broker' ? (n: number) => `broker-${n}` : (n: number) => (n === 0 ? 'client' : `client-${n}`);
  let n = 0;
  while (taken.has(ids(n))) n++;
  return ids(n);
}

/**
 * The cluster the options describe, with the ids a directory already gave: an identity it holds keeps its
 * recorded id (its files and its password's variable are named by it), and a new one keeps the id its position
 * gives unless the directory gave that id to another identity, kept, renewed or pruned: then the first free one.
 * Ids come from the position in the options, so without this a config naming other brokers than the directory's
 * would give a kept broker's id to a new one (kafka-1 kept as broker-0, kafka-2 new as broker-0).
 */
export function withRecordedIds(cluster: Cluster, recorded: readonly Identity[]): Cluster {
  const byAlias = new Map(recorded.map((i) => [i.alias, i]));
  const taken = new Set(recorded.map((i) => i.id));
  const kept = cluster.identities.map((who) => {
    const was = byAlias.get(who.alias);
    return was && was.role === who.role ? was.id : undefined;
  });
  for (const id of kept) if (id !== undefined) taken.add(id);
  const given = new Set<string>();
  const identities = cluster.identities.map((who, i): Identity => {
    const keep = kept[i];
    if (keep !== undefined) return keep === who.id ? who : { ...who, id: keep };
    const id = taken.has(who.id) || given.has(who.id) ? freeId(who.role, new Set([...taken, ...given])) : who.id;
    given.add(id);
    return id === who.id ? who : { ...who, id };
  });
  return identities.every((who, i) => who === cluster.identities[i]) ? cluster : { ...cluster, identities };
}
