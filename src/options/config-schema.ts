/** The config file's shape and per-field rules as a zod schema; its first issue is the UsageError the user reads. */
import { z } from 'zod';
import { RuleError } from '../errors.js';
import * as v from '../model/rules.js';
import { fail, int, keyBits, list, mapping, MAPPING, oneOf, optional, ruled, text } from '../model/schema.js';
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

/** A broker or client name: it becomes the CN, the alias and file, directory, service and Secret names. */
const name = ruled(v.dnsLabel);
/** A host name or IP address, read as --san reads it. */
const san = ruled(v.san);
const validity = int(1, MAX_VALIDITY_DAYS);
/** rsa-2048 … ec-p384, as --key-type takes it. */
const keyType = ruled(parseKeyType);

/** Where a password comes from: a variable or a file, never the password itself. */
export const passwordRef = (rule: string) =>
  mapping({ env: optional(ruled(v.envName)), file: optional(text) })
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
        out.push([k as DnAttr, check(String(value))]);
      } catch (e) {
        if (e instanceof RuleError) return fail(ctx, e.rule, [k]);
        throw e;
      }
    }
    if (opts.cn === 'required' && !out.some(([k]) => k === 'CN')) return fail(ctx, 'must have a CN');
    return out;
  });

const listener = mapping({
  name: ruled(v.listenerName),
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
      headlessService: optional(ruled(v.dnsLabel)),
      namespace: optional(ruled(v.dnsLabel)),
      clusterDomain: optional(ruled((raw) => v.dnsName(raw))),
      replicas: optional(int(1, MAX_IDENTITIES)),
      extraSans: optional(list(san)),
    }),
  ),
  brokers: optional(z.record(z.string().pipe(name), list(san), { error: MAPPING })),
  clients: optional(list(name)),
  listeners: optional(list(listener)),
  interBrokerListener: optional(text),
  mountPath: optional(ruled(v.mountPath)),
  propertiesPasswords: optional(oneOf(PASSWORD_STYLES)),
  kubernetes: optional(mapping({ namespace: optional(ruled(v.dnsLabel)) })),
  emit: optional(list(oneOf(EMITS))),
});

export type ConfigInput = z.output<typeof configSchema>;

/** Your own CA's chain and passphrase: read only beside ca.cert or ca.key, as the flags are. */
export const caChain = optional(text);
export const caKeyPassword = optional(passwordRef('must name exactly one of env (a variable) or file (a path)'));
