/**
 * The state file's schema: kafka-mtls.json is input like a config file, and zod checks it as options/config-schema.ts
 * checks a config file, with model/rules.ts's rules and the same sentences. A hand edit or a damaged file must not
 * steer a run: every field is held to its type and rule (names that become file names are file-name stems, host
 * names as --san takes them), and every path derived from it must stay inside the directory. A failure names the
 * field: `kafka-mtls.json: identities[2].alias: …`. Loaded only by the commands that read a state file (zod is).
 */
import { isIP } from 'node:net';
import { isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { DN_ATTRS, type CaSpec, type DnAttr, type ExternalCa, type Identity, type San } from './cluster.js';
import { PASSWORD_STYLES, type Deployment, type Listener } from './deployment.js';
import { EMITS, LAYOUTS, layoutFiles } from './layouts.js';
import { CURVE_BITS, CURVES, type Curve, type KeySpec } from './keys.js';
import * as v from './rules.js';
import { fail, int, keyBits, list, mapping, MAPPING, oneOf, optional, parseAt, ruled, text } from './schema.js';
import { STATE_VERSIONS, type CertRecord, type IdentityRecord, type Rotation, type State } from './state.js';

/** A string that passes `ok`, else the rule `rule(value)` at this field. */
const checked = (ok: (s: string) => boolean, rule: (s: string) => string) =>
  text.transform((s, ctx) => (ok(s) ? s : fail(ctx, rule(s))));

const got = (s: unknown) => `got ${JSON.stringify(s)}`;

const bool = z
  .any()
  .transform((x: unknown, ctx): boolean =>
    typeof x === 'boolean' ? x : fail(ctx, `must be true or false, ${got(x)}`),
  );

const line = checked(
  (s) => s.length <= 1024 && !/[\0-\x1f\x7f]/.test(s),
  () => 'must be one line of text, at most 1024 characters',
);
const fingerprint = checked(
  (s) => /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/i.test(s),
  (s) => `must be a SHA-256 fingerprint (32 hex bytes separated by colons), ${got(s)}`,
);
const date = checked(
  (s) => /^\d{4}-\d\d-\d\dT/.test(s) && !Number.isNaN(Date.parse(s)),
  (s) => `must be an ISO 8601 date and time, ${got(s)}`,
);
const serial = checked(
  (s) => /^[0-9A-F]{1,64}$/i.test(s),
  (s) => `must be a certificate serial in hex, ${got(s)}`,
);
const days = int(1, 36500);

/** A subject in encoding order, as [attribute, value] pairs: its values go into openssl configs, as the flags' do. */
const dn = list(
  list(z.unknown())
    .refine((pair) => pair.length === 2, { error: 'must be an [attribute, value] pair' })
    .pipe(z.tuple([text, text]))
    .transform(([k, raw], ctx): readonly [DnAttr, string] => {
      if (!DN_ATTRS.includes(k as DnAttr)) return fail(ctx, `must be one of ${DN_ATTRS.join(', ')}, ${got(k)}`, [0]);
      const rule = k === 'C' ? v.countryCode : k === 'emailAddress' ? v.emailAddress : v.subjectField;
      const value = z.string().pipe(ruled(rule)).safeParse(raw);
      return value.success ? [k as DnAttr, value.data] : fail(ctx, value.error.issues[0]!.message, [1]);
    }),
).refine((pairs) => pairs.some(([k]) => k === 'CN'), { error: 'must have a CN' });

const san = mapping({ kind: oneOf(['dns', 'ip'] as const), value: text }).transform(({ kind, value }, ctx): San => {
  if (kind === 'ip')
    return isIP(value)
      ? { kind: 'IP', value }
      : fail(ctx, `must be an IPv4 or IPv6 address for an IP SAN, ${got(value)}`, ['value']);
  const dns = z
    .string()
    .pipe(ruled((s) => v.dnsName(s, { wildcard: true })))
    .safeParse(value);
  return dns.success ? { kind: 'DNS', value: dns.data } : fail(ctx, dns.error.issues[0]!.message, ['value']);
});

/**
 * A key as the state file records it beside other fields: keyBits (an RSA size), or curve (P-256, P-384) with
 * keyBits the curve's size. The shape takes keyBits as given; keySpecOf holds it to the rule of its kind.
 */
const curve = text.transform((s, ctx): Curve =>
  CURVES.includes(s as Curve) ? (s as Curve) : fail(ctx, `must be one of ${CURVES.join(', ')}, ${got(s)}`),
);
const keyFields = { keyBits: z.unknown(), curve: optional(curve) };

function keySpecOf(k: { keyBits: unknown; curve?: Curve }, ctx: z.RefinementCtx): KeySpec {
  if (k.curve) {
    const bits = CURVE_BITS[k.curve];
    return k.keyBits === bits || k.keyBits === String(bits)
      ? { keyBits: bits, curve: k.curve }
      : fail(ctx, `must be ${bits} for ${k.curve}, ${got(k.keyBits)}`, ['keyBits']);
  }
  const rsa = keyBits.safeParse(k.keyBits);
  return rsa.success ? { keyBits: rsa.data } : fail(ctx, rsa.error.issues[0]!.message, ['keyBits']);
}

const identity = mapping({
  role: oneOf(['broker', 'client'] as const),
  id: text,
  alias: ruled(v.fileStem),
  subject: dn,
  sans: list(san),
  ...keyFields,
  validityDays: days,
}).transform((i, ctx): Identity => {
  const idRule = i.role === 'broker' ? /^broker-(0|[1-9][0-9]{0,5})$/ : /^client(-[1-9][0-9]{0,5})?$/;
  if (!idRule.test(i.id))
    return fail(
      ctx,
      `must be ${i.role === 'broker' ? 'broker-<n>' : 'client or client-<n>'} for a ${i.role}, ${got(i.id)}`,
      ['id'],
    );
  return {
    role: i.role,
    id: i.id,
    alias: i.alias,
    subject: i.subject,
    sans: i.sans,
    ...keySpecOf(i, ctx),
    validityDays: i.validityDays,
  };
});

/** keytool keeps aliases in lower case: two that differ only in case would be one entry. */
const identities = list(identity).superRefine((all, ctx) => {
  if (all.length === 0) fail(ctx, 'must list at least one broker or client');
  all.forEach((who, i) => {
    const twin = all.slice(0, i).findIndex((o) => o.alias.toLowerCase() === who.alias.toLowerCase() || o.id === who.id);
    if (twin >= 0)
      fail(ctx, `has the same alias or id as identities[${twin}]: every broker and client needs its own`, [i]);
  });
});

/**
 * Your own CA as it was given. Its paths are where the files were found, outside the directory by nature: they are
 * recorded, never read or written from here (the CA's copy in the directory is what signs).
 */
const caPath = checked(
  (p) => isAbsolute(p) && !/[\0-\x1f]/.test(p),
  (p) => `must be the absolute path your CA's file was given as, ${got(p)}`,
);
const pem = checked(
  (s) => /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?$/.test(s.trim() + '\n'),
  () => 'must be one PEM certificate',
);
const externalCa = mapping({
  cert: caPath,
  key: caPath,
  chain: optional(caPath),
  certPem: pem,
  chainPems: list(pem),
  subject: line,
  keyEncrypted: bool,
}).transform((e): ExternalCa => ({
  cert: e.cert,
  key: e.key,
  ...(e.chain !== undefined ? { chain: e.chain } : {}),
  certPem: e.certPem,
  chainPems: e.chainPems,
  subject: e.subject,
  keyEncrypted: e.keyEncrypted,
}));

const caSpec = mapping({ subject: dn, external: optional(externalCa), ...keyFields, validityDays: days }).transform(
  (c, ctx): CaSpec => ({
    subject: c.subject,
    ...(c.external ? { external: c.external } : {}),
    ...keySpecOf(c, ctx),
    validityDays: c.validityDays,
  }),
);

/** A listener; its host, an index into each broker's names, is checked against the identities (see stateSchema). */
const listener = mapping({
  name: ruled(v.listenerName),
  port: int(1, 65535),
  protocol: checked(
    (p) => p === 'SSL' || p === 'SASL_SSL',
    (p) => `must be SSL or SASL_SSL, ${got(p)}`,
  ),
  host: text,
});

const deployment = mapping({
  listeners: list(listener).refine((l) => l.length > 0, { error: 'must name at least one listener' }),
  interBrokerListener: text,
  mountPath: optional(ruled(v.mountPath)),
  composeDir: optional(
    checked(
      (p) => p.startsWith('/'),
      (p) => `must be an absolute path, ${got(p)}`,
    ),
  ),
  namespace: optional(ruled(v.dnsLabel)),
  passwords: oneOf(PASSWORD_STYLES),
}).superRefine((d, ctx) => {
  if (!d.listeners.some((l) => l.name === d.interBrokerListener))
    fail(
      ctx,
      `must be one of the listeners (${d.listeners.map((l) => l.name).join(', ')}), ${got(d.interBrokerListener)}`,
      ['interBrokerListener'],
    );
});

// keyBits from 256: an EC key's size (model/keys.ts).
const certFields = { subject: line, serial, sha256: fingerprint, notAfter: date, keyBits: int(256, 16384) };
const certRecord = (r: z.output<z.ZodObject<typeof certFields>>): CertRecord => ({
  subject: r.subject,
  serial: r.serial,
  sha256: r.sha256,
  notAfter: r.notAfter,
  keyBits: r.keyBits,
});
const identityRecord = mapping({ ...certFields, sans: list(line), issuerSha256: fingerprint }).transform(
  (r): IdentityRecord => ({ ...certRecord(r), sans: r.sans, issuerSha256: r.issuerSha256 }),
);

const rotation = mapping({
  phase: checked(
    (p) => p === 'started' || p === 'reissued',
    (p) => `must be a rotate-ca phase this kafka-mtls records (started, reissued), ${got(p)}`,
  ),
  previousCa: caSpec,
  nextCa: caSpec,
}).transform((r): Rotation => ({ phase: r.phase as Rotation['phase'], previousCa: r.previousCa, nextCa: r.nextCa }));

/** What a reader checks first: that this is a kafka-mtls state file at all, of a version it reads. */
const header = z.looseObject(
  {
    tool: z.unknown().refine((t) => t === 'kafka-mtls', {
      error: (iss) => `must be "kafka-mtls": this is not a kafka-mtls state file, ${got(iss.input)}`,
    }),
    version: z.unknown().refine((n) => STATE_VERSIONS.includes(n as 1), {
      error: (iss) =>
        `must be a state file version this kafka-mtls reads (${STATE_VERSIONS.join(', ')}), ${got(iss.input)}`,
    }),
  },
  { error: 'must be a JSON object' },
);

const stateSchema = mapping({
  tool: z.literal('kafka-mtls'),
  version: z.literal(1),
  updatedAt: date,
  layout: oneOf(LAYOUTS),
  storeType: oneOf(['auto', 'jks', 'pkcs12'] as const),
  ca: caSpec,
  identities,
  deployment,
  emit: list(oneOf(EMITS)),
  generatedPasswords: optional(bool),
  // Not held to its known fields: a field it gains is dropped on reading, as before.
  caCert: z.object(certFields, { error: MAPPING }).transform(certRecord),
  certs: z.record(z.string(), identityRecord, { error: MAPPING }),
  rotation: optional(rotation),
}).transform((s, ctx): State => {
  // Each listener advertises one of every broker's names: its index must exist for the broker with the fewest.
  const fewest = Math.min(...s.identities.filter((i) => i.role === 'broker').map((i) => i.sans.length), 99);
  const listeners = s.deployment.listeners.map((l, i): Listener => {
    const host = z
      .string()
      .pipe(int(0, Math.max(fewest - 1, 0)))
      .safeParse(l.host);
    if (!host.success) return fail(ctx, host.error.issues[0]!.message, ['deployment', 'listeners', i, 'host']);
    return { name: l.name, port: l.port, protocol: l.protocol as Listener['protocol'], host: host.data };
  });
  for (const alias of Object.keys(s.certs))
    if (!s.identities.some((i) => i.alias === alias))
      fail(ctx, 'is not the alias of an identity the file lists', ['certs', alias]);
  const d = s.deployment;
  const described: Deployment = {
    listeners,
    interBrokerListener: d.interBrokerListener,
    ...(d.mountPath !== undefined ? { mountPath: d.mountPath } : {}),
    ...(d.composeDir !== undefined ? { composeDir: d.composeDir } : {}),
    ...(d.namespace !== undefined ? { namespace: d.namespace } : {}),
    passwords: d.passwords,
  };
  return {
    tool: 'kafka-mtls',
    version: 1,
    updatedAt: s.updatedAt,
    layout: s.layout,
    storeType: s.storeType,
    ca: s.ca,
    identities: s.identities,
    deployment: described,
    emit: s.emit,
    ...(s.generatedPasswords !== undefined ? { generatedPasswords: s.generatedPasswords } : {}),
    caCert: s.caCert,
    certs: s.certs,
    ...(s.rotation ? { rotation: s.rotation } : {}),
  };
});

/** Checks parsed JSON as a state file of the directory dir; label is how errors name the file. */
export function checkState(json: unknown, dir: string, label: string): State {
  parseAt(label, header, json);
  const state = parseAt(label, stateSchema, json);
  checkPaths(state, dir, label);
  return state;
}

/**
 * Every file an identity owns, as the layout names it, resolves inside the directory. The field rules above already
 * make this so; checking the paths themselves keeps it so if a layout's names change.
 */
function checkPaths(state: State, dir: string, label: string): void {
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
        throw new UsageError(
          `${label}: identities[${i}].alias`,
          `names the file ${JSON.stringify(p)}, which is not inside ${root}`,
        );
    }
  });
}
