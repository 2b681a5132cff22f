/** The config file's shape and per-field rules as a zod schema; its first issue is the UsageError the user reads. */
import { z } from 'zod';
import { UsageError } from '../errors.js';
import * as v from '../model/rules.js';
import { DN_ATTRS, STORE_TYPES, type Dn, type DnAttr } from '../model/cluster.js';
import { LAYOUTS } from '../model/layouts.js';
import { PASSWORD_STYLES } from '../model/deployment.js';
import { MAX_IDENTITIES, MAX_VALIDITY_DAYS } from '../model/defaults.js';
import { EMITS } from '../model/layouts.js';
import { parseKeyType } from '../model/keys.js';

/*
 * Every rule is model/rules.ts's, so a field breaks the same sentence as its flag: zod walks the file and says
 * where. Rules that weigh one field against another (a listener's host index against the brokers' names, a
 * leaf's validity against the CA's) are the builder's, in config.ts.
 */

type Ctx = z.RefinementCtx;

function fail(ctx: Ctx, message: string, path?: PropertyKey[]): never {
  ctx.addIssue({ code: 'custom', message, ...(path ? { path } : {}) });
  return z.NEVER as never;
}

/** A field left out, or given as nothing (YAML's `key:` alone), takes its default. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((x) => (x === null ? undefined : x), schema.optional());

/** A string; a number is read as the digits it was written with (YAML reads `replicas: 3` as a number). */
const text = z
  .any()
  .transform((x: unknown, ctx) =>
    typeof x === 'number'
      ? String(x)
      : typeof x === 'string'
        ? x
        : fail(ctx, `must be a string, got ${JSON.stringify(x)}`),
  );

/** A string held to a rule of model/rules.ts, its sentence reported at this field's path. */
const ruled = <T>(check: (raw: string) => T) =>
  text.transform((raw, ctx): T => {
    try {
      return check(raw);
    } catch (e) {
      if (e instanceof UsageError) return fail(ctx, e.rule);
      throw e;
    }
  });

const int = (min: number, max: number) => ruled((raw) => v.wholeNumber('x', raw, min, max));
const oneOf = <T extends string>(allowed: readonly T[]) => ruled((raw) => v.oneOf('x', raw, allowed));
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: 'must be a list' });
const MAPPING = 'must be a mapping (key: value)';

/** A mapping of known fields only: an unknown one is named with the fields known there. */
const mapping = <S extends z.ZodRawShape>(shape: S) =>
  z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `is not a known field; known here: ${Object.keys(shape).join(', ')}`
        : iss.code === 'invalid_type'
          ? MAPPING
          : undefined,
  });

/** A broker or client name: it becomes the CN, the alias and file, directory, service and Secret names. */
const name = ruled((raw) => v.dnsLabel('x', raw));
/** A host name or IP address, read as --san reads it. */
const san = ruled((raw) => v.san(raw));
const validity = int(1, MAX_VALIDITY_DAYS);
const keyBits = ruled((raw) => v.keyBits('x', raw));
/** rsa-2048 … ec-p384, as --key-type takes it. */
const keyType = ruled((raw) => parseKeyType('x', raw));

function envName(raw: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw))
    throw new UsageError('x', `must be an environment variable name, got ${JSON.stringify(raw)}`);
  return raw;
}

/** Where a password comes from: a variable or a file, never the password itself. */
export const passwordRef = (rule: string) =>
  mapping({ env: optional(ruled(envName)), file: optional(text) })
    .superRefine((p, ctx) => {
      if ((p.env === undefined) === (p.file === undefined)) fail(ctx, rule);
    })
    .transform((p): { env: string } | { file: string } => (p.env !== undefined ? { env: p.env } : { file: p.file! }));

/** A subject as a mapping in encoding order, e.g. {C: US, O: CONFLUENT, L: MountainView}. */
const dn = (opts: { cn: 'required' | 'forbidden'; email: boolean }) =>
  z.record(z.string(), z.unknown(), { error: MAPPING }).transform((m, ctx): Dn => {
    const allowed = DN_ATTRS.filter(
      (a) => (opts.email || a !== 'emailAddress') && (opts.cn === 'required' || a !== 'CN'),
    );
    const out: Array<[DnAttr, string]> = [];
    for (const [k, value] of Object.entries(m)) {
      if (!DN_ATTRS.includes(k as DnAttr) || (k === 'emailAddress' && !opts.email))
        return fail(ctx, `is not a subject attribute here; use ${allowed.join(', ')}`, [k]);
      if (k === 'CN' && opts.cn === 'forbidden')
        return fail(ctx, 'is set per broker and client: their names are their CNs', [k]);
      if (typeof value !== 'string' && typeof value !== 'number')
        return fail(ctx, `must be a string, got ${JSON.stringify(value)}`, [k]);
      const check = k === 'C' ? v.countryCode : k === 'emailAddress' ? v.emailAddress : v.subjectField;
      try {
        out.push([k as DnAttr, check('x', String(value))]);
      } catch (e) {
        if (e instanceof UsageError) return fail(ctx, e.rule, [k]);
        throw e;
      }
    }
    if (opts.cn === 'required' && !out.some(([k]) => k === 'CN')) return fail(ctx, 'must have a CN');
    return out;
  });

const listener = mapping({
  name: text.refine((n) => /^[A-Z][A-Z0-9_]{0,31}$/.test(n), {
    error: (iss) => `must be a listener name in capitals (A-Z, 0-9, _), got ${JSON.stringify(iss.input)}`,
  }),
  port: int(1, 65535),
  protocol: optional(oneOf(['ssl', 'sasl_ssl'] as const)),
  host: optional(int(0, 99)),
});

/** The file's shape, field by field; your own CA's chain and passphrase are read only beside its cert and key. */
export const configSchema = mapping({
  layout: optional(oneOf(LAYOUTS)),
  validity: optional(validity),
  keyBits: optional(keyBits),
  keyType: optional(keyType),
  storeType: optional(oneOf(STORE_TYPES)),
  password: optional(
    passwordRef(
      'must name exactly one of env (a variable) or file (a path); ' +
        'the password itself is never written in the config',
    ),
  ),
  ca: optional(
    mapping({
      subject: optional(dn({ cn: 'required', email: true })),
      validity: optional(validity),
      keyBits: optional(keyBits),
      keyType: optional(keyType),
      cert: optional(text),
      key: optional(text),
      chain: z.unknown().optional(),
      keyPassword: z.unknown().optional(),
    }),
  ),
  subject: optional(dn({ cn: 'forbidden', email: false })),
  statefulSet: optional(
    mapping({
      name: optional(name),
      headlessService: optional(ruled((raw) => v.dnsLabel('x', raw))),
      namespace: optional(ruled((raw) => v.dnsLabel('x', raw))),
      clusterDomain: optional(ruled((raw) => v.dnsName('x', raw))),
      replicas: optional(int(1, MAX_IDENTITIES)),
      extraSans: optional(list(san)),
    }),
  ),
  brokers: optional(z.record(z.string().pipe(name), list(san), { error: MAPPING })),
  clients: optional(list(name)),
  listeners: optional(list(listener)),
  interBrokerListener: optional(text),
  mountPath: optional(ruled((raw) => v.mountPath('x', raw))),
  propertiesPasswords: optional(oneOf(PASSWORD_STYLES)),
  kubernetes: optional(mapping({ namespace: optional(ruled((raw) => v.dnsLabel('x', raw))) })),
  emit: optional(list(oneOf(EMITS))),
});

export type ConfigInput = z.output<typeof configSchema>;

/** Your own CA's chain and passphrase: read only beside ca.cert or ca.key, as the flags are. */
export const caChain = optional(text);
export const caKeyPassword = optional(passwordRef('must name exactly one of env (a variable) or file (a path)'));

/** A value checked against a schema, its first issue a UsageError naming the field under `path`. */
export function parseAt<T extends z.ZodType>(
  label: string,
  schema: T,
  value: unknown,
  path: readonly PropertyKey[] = [],
): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = firstIssue(r.error.issues);
  const at = [...path, ...issue.path, ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [])];
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  throw new UsageError(`${label}: ${pathText(at) || '(top level)'}`, message);
}

/**
 * The issue a reader of the file meets first: zod reports a mapping's unknown field after its known ones, where
 * the file is read top-down; an unknown field is reported before anything inside the mapping that holds it.
 */
function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  const first = issues[0]!;
  const within = (outer: readonly PropertyKey[]) => outer.every((k, i) => first.path[i] === k);
  const unknown = issues.filter((i) => i.code === 'unrecognized_keys' && within(i.path));
  return unknown.sort((a, b) => a.path.length - b.path.length)[0] ?? first;
}

/** ['brokers', 'kafka-1', 1] → brokers.kafka-1[1] */
export function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)),
    '',
  );
}
