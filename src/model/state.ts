import { isIP } from 'node:net';
import { isAbsolute, relative, resolve } from 'node:path';
import {
  DN_ATTRS,
  type CaSpec,
  type Dn,
  type DnAttr,
  type ExternalCa,
  type Identity,
  type San,
  type StoreType,
} from './cluster.js';
import { Field, keySpec } from './field.js';
import { PASSWORD_STYLES, type Deployment, type Listener } from './deployment.js';
import { EMITS, LAYOUTS, layoutFiles, type Emit, type Layout } from './layouts.js';
import * as v from './rules.js';

/**
 * The state file, kafka-mtls.json: its shape (a CA rotation in progress included) and its schema. It is input
 * like a config file: a hand edit or a damaged file must not steer a run. Every field is checked for its type
 * and rule (names that become file names are file-name stems, host names as --san takes them), and every path
 * derived from it must stay inside the directory. A failure names the field:
 * `kafka-mtls.json: identities[2].alias: …`.
 */

/** A certificate as the state file records it. */
export interface CertRecord {
  readonly subject: string;
  readonly serial: string;
  readonly sha256: string;
  readonly notAfter: string;
  readonly keyBits: number;
}

export interface IdentityRecord extends CertRecord {
  readonly sans: readonly string[];
  /** The SHA-256 fingerprint of the CA certificate that signed it. */
  readonly issuerSha256: string;
}

/** What the directory holds and how it was described; no secrets: the password is never recorded. */
export interface State {
  readonly tool: 'kafka-mtls';
  readonly version: 1;
  readonly updatedAt: string;
  readonly layout: Layout;
  readonly storeType: StoreType;
  readonly ca: CaSpec;
  readonly identities: readonly Identity[];
  readonly deployment: Deployment;
  readonly emit: readonly Emit[];
  /** Each keystore has its own password, in its credentials files (--generate-passwords). */
  readonly generatedPasswords?: boolean;
  readonly caCert: CertRecord;
  readonly certs: Readonly<Record<string, IdentityRecord>>;
  /** A CA rotation in progress (rotate-ca), if any. */
  readonly rotation?: Rotation;
}

/**
 * CA rotation runs in three phases, each between rolling restarts (see plans/rotate-ca.ts); the state file
 * records the phase last completed, so that a phase refuses to run out of order.
 */
export type Phase = 'start' | 'reissue' | 'finish';
export const PHASES: readonly Phase[] = ['start', 'reissue', 'finish'];

export interface Rotation {
  /** The phase last completed. */
  readonly phase: 'started' | 'reissued';
  /** The CA being replaced, and the one replacing it. */
  readonly previousCa: CaSpec;
  readonly nextCa: CaSpec;
}

/** The new CA's files while a rotation runs, and the old CA's once reissue has put the new one in its place. */
export const NEXT = { cert: 'ca-next.crt', key: 'ca-next.key', config: 'ca-next.cnf' } as const;
export const PREVIOUS = { cert: 'ca-previous.crt', key: 'ca-previous.key' } as const;

const TOP = [
  'tool',
  'version',
  'updatedAt',
  'layout',
  'storeType',
  'ca',
  'identities',
  'deployment',
  'emit',
  'generatedPasswords',
  'caCert',
  'certs',
  'rotation',
] as const;
/** The versions of the state file this kafka-mtls reads. */
export const STATE_VERSIONS = [1] as const;

/** Checks parsed JSON as a state file of the directory dir; label is how errors name the file. */
export function checkState(json: unknown, dir: string, label: string): State {
  const root = new Field(label, '', json, label);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) root.fail('must be a JSON object');
  if (root.at('tool').value !== 'kafka-mtls')
    root
      .at('tool')
      .fail(`must be "kafka-mtls": this is not a kafka-mtls state file, got ${JSON.stringify(root.at('tool').value)}`);
  const version = root.at('version').value;
  if (!STATE_VERSIONS.includes(version as 1)) {
    root
      .at('version')
      .fail(
        `must be a state file version this kafka-mtls reads (${STATE_VERSIONS.join(', ')}), ` +
          `got ${JSON.stringify(version)}`,
      );
  }
  root.object(TOP);
  const at = (k: (typeof TOP)[number]) => root.at(k);
  const layout = at('layout').rule(() => v.oneOf('x', at('layout').string(), LAYOUTS)) as Layout;
  const identities = at('identities').list().map(readIdentity);
  if (identities.length === 0) at('identities').fail('must list at least one broker or client');
  const rotation = at('rotation').present ? readRotation(at('rotation')) : undefined;
  const state: State = {
    tool: 'kafka-mtls',
    version: 1,
    updatedAt: date(at('updatedAt')),
    layout,
    storeType: at('storeType').rule(() => v.oneOf('x', at('storeType').string(), ['auto', 'jks', 'pkcs12'] as const)),
    ca: readCaSpec(at('ca')),
    identities,
    deployment: readDeployment(at('deployment'), identities),
    emit: at('emit')
      .list()
      .map((f) => f.rule(() => v.oneOf('x', f.string(), EMITS))),
    ...(at('generatedPasswords').present ? { generatedPasswords: at('generatedPasswords').boolean() } : {}),
    caCert: readCertRecord(at('caCert')),
    certs: readCertRecords(at('certs'), identities),
    ...(rotation ? { rotation } : {}),
  };
  checkPaths(state, dir, at('identities'));
  return state;
}

function readIdentity(f: Field, i: number, all: readonly Field[]): Identity {
  f.object(['role', 'id', 'alias', 'subject', 'sans', 'keyBits', 'curve', 'validityDays']);
  const role = f.at('role').rule(() => v.oneOf('x', f.at('role').string(), ['broker', 'client'] as const));
  const id = f.at('id').string();
  const idRule = role === 'broker' ? /^broker-(0|[1-9][0-9]{0,5})$/ : /^client(-[1-9][0-9]{0,5})?$/;
  if (!idRule.test(id))
    f.at('id').fail(
      `must be ${role === 'broker' ? 'broker-<n>' : 'client or client-<n>'} for a ${role}, got ${JSON.stringify(id)}`,
    );
  const alias = f.at('alias').rule(() => v.fileStem('x', f.at('alias').string()));
  // keytool keeps aliases in lower case: two that differ only in case would be one entry.
  const twin = all
    .slice(0, i)
    .findIndex((o) => String(o.at('alias').value).toLowerCase() === alias.toLowerCase() || o.at('id').value === id);
  if (twin >= 0) f.fail(`has the same alias or id as identities[${twin}]: every broker and client needs its own`);
  const sans = f.at('sans').list().map(readSan);
  return {
    role,
    id,
    alias,
    subject: readDn(f.at('subject')),
    sans,
    ...keySpec(f),
    validityDays: f.at('validityDays').int(1, 36500),
  };
}

function readSan(f: Field): San {
  f.object(['kind', 'value']);
  const kind = f.at('kind').rule(() => v.oneOf('x', f.at('kind').string(), ['dns', 'ip'] as const));
  const value = f.at('value').string();
  if (kind === 'ip') {
    if (!isIP(value)) f.at('value').fail(`must be an IPv4 or IPv6 address for an IP SAN, got ${JSON.stringify(value)}`);
    return { kind: 'IP', value };
  }
  return { kind: 'DNS', value: f.at('value').rule(() => v.dnsName('x', value, { wildcard: true })) };
}

/** A subject in encoding order, as [attribute, value] pairs: its values go into openssl configs, as the flags' do. */
function readDn(f: Field): Dn {
  const dn = f.list().map((pair): readonly [DnAttr, string] => {
    const items = pair.list();
    if (items.length !== 2) pair.fail('must be an [attribute, value] pair');
    const k = items[0]!.string() as DnAttr;
    if (!DN_ATTRS.includes(k)) items[0]!.fail(`must be one of ${DN_ATTRS.join(', ')}, got ${JSON.stringify(k)}`);
    const raw = items[1]!.string();
    const check = k === 'C' ? v.countryCode : k === 'emailAddress' ? v.emailAddress : v.subjectField;
    return [k, items[1]!.rule(() => check('x', raw))];
  });
  if (!dn.some(([k]) => k === 'CN')) f.fail('must have a CN');
  return dn;
}

function readCaSpec(f: Field): CaSpec {
  f.object(['subject', 'external', 'keyBits', 'curve', 'validityDays']);
  const external = f.at('external').present ? readExternalCa(f.at('external')) : undefined;
  return {
    subject: readDn(f.at('subject')),
    ...(external ? { external } : {}),
    ...keySpec(f),
    validityDays: f.at('validityDays').int(1, 36500),
  };
}

/**
 * Your own CA as it was given. Its paths are where the files were found, outside the directory by nature: they are
 * recorded, never read or written from here (the CA's copy in the directory is what signs).
 */
function readExternalCa(f: Field): ExternalCa {
  f.object(['cert', 'key', 'chain', 'certPem', 'chainPems', 'subject', 'keyEncrypted']);
  const path = (k: string) => {
    const p = f.at(k).string();
    if (!isAbsolute(p) || /[\0-\x1f]/.test(p))
      f.at(k).fail(`must be the absolute path your CA's file was given as, got ${JSON.stringify(p)}`);
    return p;
  };
  const pem = (g: Field) => {
    const s = g.string();
    if (!/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?$/.test(s.trim() + '\n'))
      g.fail('must be one PEM certificate');
    return s;
  };
  return {
    cert: path('cert'),
    key: path('key'),
    ...(f.at('chain').present ? { chain: path('chain') } : {}),
    certPem: pem(f.at('certPem')),
    chainPems: f.at('chainPems').list().map(pem),
    subject: text(f.at('subject')),
    keyEncrypted: f.at('keyEncrypted').boolean(),
  };
}

function readDeployment(f: Field, identities: readonly Identity[]): Deployment {
  f.object(['listeners', 'interBrokerListener', 'mountPath', 'composeDir', 'namespace', 'passwords']);
  const fewest = Math.min(...identities.filter((i) => i.role === 'broker').map((i) => i.sans.length), 99);
  const listeners = f
    .at('listeners')
    .list()
    .map((l): Listener => {
      l.object(['name', 'port', 'protocol', 'host']);
      const name = l.at('name').string();
      if (!/^[A-Z][A-Z0-9_]{0,31}$/.test(name))
        l.at('name').fail(`must be a listener name in capitals (A-Z, 0-9, _), got ${JSON.stringify(name)}`);
      const protocol = l.at('protocol').string() as Listener['protocol'];
      if (protocol !== 'SSL' && protocol !== 'SASL_SSL')
        l.at('protocol').fail(`must be SSL or SASL_SSL, got ${JSON.stringify(protocol)}`);
      return { name, port: l.at('port').int(1, 65535), protocol, host: l.at('host').int(0, Math.max(fewest - 1, 0)) };
    });
  if (listeners.length === 0) f.at('listeners').fail('must name at least one listener');
  const inter = f.at('interBrokerListener').string();
  if (!listeners.some((l) => l.name === inter))
    f.at('interBrokerListener').fail(
      `must be one of the listeners (${listeners.map((l) => l.name).join(', ')}), got ${JSON.stringify(inter)}`,
    );
  const mountPath = f.at('mountPath').present ? f.at('mountPath').string() : undefined;
  if (mountPath !== undefined && !/^\/[A-Za-z0-9._/-]*$/.test(mountPath))
    f.at('mountPath').fail(`must be an absolute path of letters, digits and . _ - /, got ${JSON.stringify(mountPath)}`);
  const composeDir = f.at('composeDir').present ? f.at('composeDir').string() : undefined;
  if (composeDir !== undefined && !composeDir.startsWith('/'))
    f.at('composeDir').fail(`must be an absolute path, got ${JSON.stringify(composeDir)}`);
  const namespace = f.at('namespace').present
    ? f.at('namespace').rule(() => v.dnsLabel('x', f.at('namespace').string()))
    : undefined;
  return {
    listeners,
    interBrokerListener: inter,
    ...(mountPath !== undefined ? { mountPath } : {}),
    ...(composeDir !== undefined ? { composeDir } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    passwords: f.at('passwords').rule(() => v.oneOf('x', f.at('passwords').string(), PASSWORD_STYLES)),
  };
}

function readCertRecord(f: Field): CertRecord {
  const serial = f.at('serial').string();
  if (!/^[0-9A-F]{1,64}$/i.test(serial))
    f.at('serial').fail(`must be a certificate serial in hex, got ${JSON.stringify(serial)}`);
  return {
    subject: text(f.at('subject')),
    serial,
    sha256: fingerprint(f.at('sha256')),
    notAfter: date(f.at('notAfter')),
    // 256 and 384: an EC key's size (model/keys.ts).
    keyBits: f.at('keyBits').int(256, 16384),
  };
}

function readCertRecords(f: Field, identities: readonly Identity[]): Record<string, IdentityRecord> {
  const out: Record<string, IdentityRecord> = {};
  for (const [alias, r] of f.entries()) {
    if (!identities.some((i) => i.alias === alias)) r.fail('is not the alias of an identity the file lists');
    r.object(['subject', 'serial', 'sha256', 'notAfter', 'keyBits', 'sans', 'issuerSha256']);
    out[alias] = {
      ...readCertRecord(r),
      sans: r.at('sans').list().map(text),
      issuerSha256: fingerprint(r.at('issuerSha256')),
    };
  }
  return out;
}

function readRotation(f: Field): Rotation {
  f.object(['phase', 'previousCa', 'nextCa']);
  const phase = f.at('phase').string() as Rotation['phase'];
  if (phase !== 'started' && phase !== 'reissued') {
    f.at('phase').fail(
      `must be a rotate-ca phase this kafka-mtls records (started, reissued), got ${JSON.stringify(phase)}`,
    );
  }
  return { phase, previousCa: readCaSpec(f.at('previousCa')), nextCa: readCaSpec(f.at('nextCa')) };
}

/**
 * Every file an identity owns, as the layout names it, resolves inside the directory. The field rules above already
 * make this so; checking the paths themselves keeps it so if a layout's names change.
 */
function checkPaths(state: State, dir: string, f: Field): void {
  const files = layoutFiles(state.layout);
  const root = resolve(dir);
  state.identities.forEach((who, i) => {
    const creds = files.creds(who);
    for (const p of [
      files.cert(who),
      files.keystore(who),
      ...files.owned(who),
      creds.keystore,
      creds.key,
      creds.truststore,
    ]) {
      const rel = relative(root, resolve(root, p));
      if (isAbsolute(p) || rel === '' || rel.startsWith('..') || isAbsolute(rel))
        f.at(i)
          .at('alias')
          .fail(`names the file ${JSON.stringify(p)}, which is not inside ${root}`);
    }
  });
}

function text(f: Field): string {
  const s = f.string();
  if (s.length > 1024 || /[\0-\x1f\x7f]/.test(s)) f.fail('must be one line of text, at most 1024 characters');
  return s;
}

function fingerprint(f: Field): string {
  const s = f.string();
  if (!/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/i.test(s))
    f.fail(`must be a SHA-256 fingerprint (32 hex bytes separated by colons), got ${JSON.stringify(s)}`);
  return s;
}

function date(f: Field): string {
  const s = f.string();
  if (!/^\d{4}-\d\d-\d\dT/.test(s) || Number.isNaN(Date.parse(s)))
    f.fail(`must be an ISO 8601 date and time, got ${JSON.stringify(s)}`);
  return s;
}
