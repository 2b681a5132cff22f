import { realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Cluster, ExternalCa, StatefulSetParams, StoreType } from '../model/cluster.js';
import { loadExternalCa, type CaOptionNames, type RawCaOptions } from '../pki/own-ca.js';
import { brokerCn } from '../model/cluster.js';
import { loadConfig, type ClusterConfig } from './config.js';
import { LAYOUTS, type Layout } from '../model/layouts.js';
import { DEFAULT_DEPLOYMENT, PASSWORD_STYLES, type Deployment } from '../model/deployment.js';
import { UsageError } from '../errors.js';
import { Secret, weakness } from '../secrets.js';
import * as v from '../model/rules.js';
import type { KeytoolJvm } from '../runner/runner.js';
import { EMITS, type Emit } from '../plans/emits.js';
import { readBoundedText } from '../pki/read-file.js';

/** Options every command shares: the StatefulSet's names (which hosts a broker serves), the tools, the password. */
export interface RawCommonOptions {
  name?: string;
  headlessService?: string;
  namespace?: string;
  clusterDomain?: string;
  clientName?: string;
  openssl?: string;
  keytool?: string;
  keytoolJvm?: string;
  passwordFile?: string;
}

/** The options of `generate` as commander gives them: strings, repeatable ones as arrays. */
export interface RawGenerateOptions extends RawCommonOptions, RawCaOptions {
  out?: string;
  brokers?: string;
  validity?: string;
  caValidity?: string;
  country?: string;
  state?: string;
  caState?: string;
  locality?: string;
  org?: string;
  orgUnit?: string;
  caCn?: string;
  caEmail?: string;
  san?: string[];
  storeType?: string;
  emit?: string;
  config?: string;
  layout?: string;
  mountPath?: string;
  propertiesPasswords?: string;
  generatePasswords?: boolean;
  keepWork?: boolean;
  /** generate: replace an --out that neither kafka-mtls nor the script made (read by runGenerate, not a parameter). */
  force?: boolean;
  verbose?: boolean;
}

export interface GenerateParams extends StatefulSetParams {
  /** Absolute path of the output directory. */
  readonly out: string;
  readonly password: Secret;
  /** True when neither PASSWORD nor --password-file was given and the script's default is used. */
  readonly defaultPassword: boolean;
  /** The option or variable that gave the password, for error messages (PASSWORD also when it is the default). */
  readonly passwordFrom: string;
  /** Extra outputs beside the layout's files. */
  readonly emit: readonly Emit[];
  readonly layout: Layout;
  /** The config file, when the cluster is described by one. */
  readonly config?: string;
  /** The cluster the config file describes (its store type is storeType); without one, the StatefulSet of the flags. */
  readonly configCluster?: Omit<Cluster, 'storeType'>;
  readonly deployment: Deployment;
  /** Your own CA, when --ca-cert and --ca-key are given, and its key's passphrase. */
  readonly externalCa?: ExternalCa;
  readonly caKeyPassword?: Secret;
  /** A random password per keystore and one for the truststores, instead of one shared password. */
  readonly generatePasswords: boolean;
  readonly keepWork: boolean;
  readonly verbose: boolean;
  readonly tools: { readonly openssl: string; readonly keytool: string };
  /** shared: keytool steps run in one JVM; per-step: a keytool process each. */
  readonly keytoolJvm: KeytoolJvm;
}

/** The script's hard-coded values: the defaults of the drop-in. */
export const SCRIPT_DEFAULTS = {
  password: 'password',
  validity: '730',
  brokers: '3',
  name: 'mtls-kafka',
  namespace: 'axplatform',
  clusterDomain: 'svc.cluster.local',
  country: 'KR',
  state: 'Seoul',
  caState: 'SEOUL',
  locality: 'Confluent',
  org: 'Organization',
  orgUnit: 'OrganizationUnit',
  caCn: 'Kafka-Security-CA',
  caEmail: 'my@email.com',
} as const;

/**
 * A flag wins over the script's environment variable, which wins over the
 * script's default. Errors name the flag, and the variable when the value came from it.
 */
function pick(
  flag: string,
  flagValue: string | undefined,
  env: NodeJS.ProcessEnv,
  envName: string | undefined,
  fallback: string,
): [string, string] {
  if (flagValue !== undefined) return [flagValue, flag];
  const fromEnv = envName ? env[envName] : undefined;
  if (fromEnv !== undefined && fromEnv !== '') return [fromEnv, `${flag} (from ${envName})`];
  return [fallback, flag];
}

/** Flags that describe the cluster: a config file describes it instead. */
const SHAPE_FLAGS: ReadonlyArray<[keyof RawGenerateOptions, string]> = [
  ['brokers', '--brokers'],
  ['validity', '--validity'],
  ['caValidity', '--ca-validity'],
  ['name', '--name'],
  ['headlessService', '--headless-service'],
  ['namespace', '--namespace'],
  ['clusterDomain', '--cluster-domain'],
  ['clientName', '--client-name'],
  ['san', '--san'],
  ['country', '--country'],
  ['state', '--state'],
  ['caState', '--ca-state'],
  ['locality', '--locality'],
  ['org', '--org'],
  ['orgUnit', '--org-unit'],
  ['caCn', '--ca-cn'],
  ['caEmail', '--ca-email'],
];

/** What each layout adds unless --emit or the config says otherwise. */
export const DEFAULT_EMITS: Readonly<Record<Layout, readonly Emit[]>> = {
  dropin: [],
  confluent: ['server-properties', 'compose', 'client-properties', 'principals'],
};

/** Validates every option before anything is touched; throws UsageError for the first bad one. */
export interface ParamFallbacks {
  readonly layout?: Layout;
  readonly storeType?: StoreType;
  readonly emit?: readonly Emit[];
  readonly deployment?: Deployment;
  readonly generatePasswords?: boolean;
}

/** Fallbacks stand in for the layout's defaults: plan and apply take them from the directory's state file. */
export async function parseGenerateOptions(
  raw: RawGenerateOptions,
  env: NodeJS.ProcessEnv,
  fallback: ParamFallbacks = {},
): Promise<GenerateParams> {
  let config: ClusterConfig | undefined;
  if (raw.config !== undefined) {
    const clash = SHAPE_FLAGS.find(([k]) => raw[k] !== undefined);
    if (clash)
      throw new UsageError(
        clash[1],
        'cannot be combined with --config: the config file describes the cluster; set it there',
      );
    config = await loadConfig(raw.config);
  }
  // With a config file the script's VALIDITY and KAFKA_BROKER_COUNT do not apply; PASSWORD still does.
  const base = await parseFlags(raw, config ? { ...env, VALIDITY: undefined, KAFKA_BROKER_COUNT: undefined } : env);
  const layout: Layout =
    raw.layout !== undefined
      ? v.oneOf('--layout', raw.layout, LAYOUTS)
      : (config?.layout ?? fallback.layout ?? 'dropin');
  const storeType: StoreType =
    raw.storeType !== undefined
      ? v.oneOf('--store-type', raw.storeType, ['auto', 'jks', 'pkcs12'] as const)
      : (config?.storeType ?? fallback.storeType ?? (layout === 'confluent' ? 'pkcs12' : 'auto'));
  if (layout === 'confluent' && storeType !== 'pkcs12') {
    throw new UsageError(
      raw.storeType !== undefined ? '--store-type' : `--config ${raw.config}: storeType`,
      'must be pkcs12 with the confluent layout (its stores are .pkcs12 files)',
    );
  }
  const emit = raw.emit !== undefined ? parseEmit(raw.emit) : (config?.emit ?? fallback.emit ?? DEFAULT_EMITS[layout]);

  const deployment: Deployment = {
    ...DEFAULT_DEPLOYMENT,
    // The StatefulSet's namespace; a config file names its own (kubernetes.namespace), or none.
    namespace: config ? undefined : base.namespace,
    ...fallback.deployment,
    ...config?.deployment,
    ...(raw.mountPath !== undefined ? { mountPath: mountPath(raw.mountPath) } : {}),
    ...(raw.propertiesPasswords !== undefined
      ? { passwords: v.oneOf('--properties-passwords', raw.propertiesPasswords, PASSWORD_STYLES) }
      : {}),
  };
  // Your own CA: from the flags, else from the config file (its errors then name the file's fields).
  const fromConfig = config?.caFiles && raw.caCert === undefined && raw.caKey === undefined;
  const byo = fromConfig
    ? await loadExternalCa(
        { ...config!.caFiles, ...pickDefined(raw, ['caKeyPasswordEnv', 'caKeyPasswordFile']) },
        env,
        base.tools.openssl,
        configCaNames(raw.config!),
      )
    : await loadExternalCa(raw, env, base.tools.openssl);

  if (byo.notAfter)
    leavesWithin(
      byo.notAfter,
      config ? config.cluster.identities[0]!.validityDays : base.validityDays,
      config ? `--config ${raw.config}: validity` : '--validity',
    );

  let { password, defaultPassword, passwordFrom } = base;
  if (raw.passwordFile === undefined && config?.password) {
    ({ secret: password, from: passwordFrom } = await configPassword(raw.config!, config.password, env));
    defaultPassword = false;
  }

  const extras = {
    externalCa: byo.external,
    caKeyPassword: byo.keyPassword,
    generatePasswords: raw.generatePasswords === true || fallback.generatePasswords === true,
  };
  if (extras.generatePasswords && raw.passwordFile !== undefined)
    throw new UsageError(
      '--generate-passwords',
      'cannot be combined with --password-file: the passwords are made for you',
    );
  // Generated passwords need none given: the shared one then only opens nothing.
  if (extras.generatePasswords) defaultPassword = false;
  if (!config)
    return { ...base, layout, storeType, emit, deployment, password, defaultPassword, passwordFrom, ...extras };
  const brokers = config.cluster.identities.filter((i) => i.role === 'broker');
  const client = config.cluster.identities.find((i) => i.role === 'client')!;
  return {
    ...base,
    brokers: brokers.length,
    validityDays: brokers[0]!.validityDays,
    caValidityDays: config.cluster.ca.validityDays,
    clientName: client.alias,
    layout,
    storeType,
    emit,
    deployment,
    password,
    defaultPassword,
    passwordFrom,
    config: resolve(raw.config!),
    configCluster: config.cluster,
    ...extras,
  };
}

/**
 * Leaves signed by your own CA must expire with it at the latest: refused, not
 * shortened behind your back, with the longest validity that fits.
 */
function leavesWithin(caNotAfter: Date, days: number, option: string): void {
  const fits = Math.floor((caNotAfter.getTime() - Date.now()) / 86_400_000);
  if (days > fits) {
    throw new UsageError(
      option,
      `must be at most ${fits} days: your CA (--ca-cert) expires on ${caNotAfter.toISOString().slice(0, 10)}, and ${v.OUTLIVE}; got ${days}`,
    );
  }
}

function configCaNames(file: string): CaOptionNames {
  const at = (field: string) => `--config ${file}: ca.${field}`;
  return {
    cert: at('cert'),
    key: at('key'),
    chain: at('chain'),
    passwordEnv: at('keyPassword.env'),
    passwordFile: at('keyPassword.file'),
  };
}

function pickDefined<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Partial<Pick<T, K>>;
}

function parseEmit(raw: string): Emit[] {
  const items = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (items.length === 1 && items[0] === 'none') return [];
  return [...new Set(items.map((e) => v.oneOf('--emit', e, EMITS)))];
}

function mountPath(raw: string): string {
  if (!/^\/[A-Za-z0-9._/-]*$/.test(raw))
    throw new UsageError(
      '--mount-path',
      `must be an absolute path of letters, digits and . _ - /, got ${JSON.stringify(raw)}`,
    );
  return raw;
}

async function configPassword(
  file: string,
  p: NonNullable<ClusterConfig['password']>,
  env: NodeJS.ProcessEnv,
): Promise<{ secret: Secret; from: string }> {
  if ('env' in p) {
    const value = env[p.env];
    if (value === undefined) throw new UsageError(`--config ${file}: password.env`, `names ${p.env}, which is not set`);
    if (value === '') throw new UsageError(`${p.env} (password.env of ${file})`, 'must not be empty');
    return {
      secret: new Secret('store password', v.password(`${p.env} (password.env of ${file})`, value)),
      from: `${p.env} (password.env of ${file})`,
    };
  }
  // A relative path is read from beside the config file, wherever the command runs.
  const { secret, from } = await readPassword(resolve(dirname(file), p.file), env, `--config ${file}: password.file`);
  return { secret, from };
}

type FlagParams = Omit<
  GenerateParams,
  'layout' | 'emit' | 'deployment' | 'config' | 'configCluster' | 'externalCa' | 'caKeyPassword' | 'generatePasswords'
>;

async function parseFlags(raw: RawGenerateOptions, env: NodeJS.ProcessEnv): Promise<FlagParams> {
  const D = SCRIPT_DEFAULTS;
  const brokers = v.wholeNumber(...swap(pick('--brokers', raw.brokers, env, 'KAFKA_BROKER_COUNT', D.brokers)), 1, 999);
  const [validityOption, validityRaw] = swap(pick('--validity', raw.validity, env, 'VALIDITY', D.validity));
  const validityDays = v.wholeNumber(validityOption, validityRaw, 1, 36500);
  const caValidityDays =
    raw.caValidity === undefined ? validityDays : v.wholeNumber('--ca-validity', raw.caValidity, 1, 36500);
  if (validityDays > caValidityDays) {
    throw new UsageError(
      validityOption,
      `must be at most --ca-validity (${caValidityDays} days): ${v.OUTLIVE}, got ${validityDays}`,
    );
  }
  const name = v.dnsLabel('--name', raw.name ?? D.name);
  const headlessService = v.dnsLabel('--headless-service', raw.headlessService ?? `${name}-headless`);
  const namespace = v.dnsLabel('--namespace', raw.namespace ?? D.namespace);
  const clusterDomain = v.dnsName('--cluster-domain', raw.clusterDomain ?? D.clusterDomain);
  const clientName = v.dnsLabel('--client-name', raw.clientName ?? `${name}-client`);
  const country = v.countryCode('--country', raw.country ?? D.country);
  const state = v.subjectField('--state', raw.state ?? D.state);
  // The script's CA says SEOUL where its leaves say Seoul; --state sets both unless --ca-state is given.
  const caState = v.subjectField('--ca-state', raw.caState ?? (raw.state !== undefined ? state : D.caState));
  const locality = v.subjectField('--locality', raw.locality ?? D.locality);
  const org = v.subjectField('--org', raw.org ?? D.org);
  const orgUnit = v.subjectField('--org-unit', raw.orgUnit ?? D.orgUnit);
  const caCn = v.subjectField('--ca-cn', raw.caCn ?? D.caCn);
  const caEmail = v.emailAddress('--ca-email', raw.caEmail ?? D.caEmail);
  const extraSans = (raw.san ?? []).map((s) => v.san(s));
  const storeType: StoreType = 'auto';

  // The longest broker CN must fit X.509's 64-character limit on a common name (RFC 5280 ub-common-name).
  const longestCn = brokerCn({ name, headlessService }, brokers - 1);
  if (longestCn.length > 64) {
    throw new UsageError(
      '--name/--headless-service',
      `make the broker common name ${longestCn.length} characters long ("${longestCn}"); at most 64 are allowed`,
    );
  }
  for (let i = 0; i < brokers; i += brokers - 1 || 1) {
    v.dnsName(
      '--name/--headless-service/--namespace/--cluster-domain',
      `${brokerCn({ name, headlessService }, i)}.${namespace}.${clusterDomain}`,
    );
  }

  const given = resolve(raw.out ?? 'certs');
  const existing = await stat(given).catch(() => undefined);
  if (existing && !existing.isDirectory())
    throw new UsageError('--out', `must be a directory or not exist yet; ${given} is a file`);
  // A symlink to a directory stays a symlink: the swap happens at the directory it points to.
  const out = existing ? await realpath(given) : given;

  const { secret, isDefault, from } = await readPassword(raw.passwordFile, env);
  return {
    out,
    brokers,
    validityDays,
    caValidityDays,
    name,
    headlessService,
    namespace,
    clusterDomain,
    clientName,
    subject: { country, state, locality, org, orgUnit },
    ca: { cn: caCn, state: caState, email: caEmail },
    extraSans,
    storeType,
    password: secret,
    defaultPassword: isDefault,
    passwordFrom: from,
    keepWork: raw.keepWork === true,
    verbose: raw.verbose === true,
    tools: {
      openssl: nonEmpty('--openssl', raw.openssl ?? 'openssl'),
      keytool: nonEmpty('--keytool', raw.keytool ?? 'keytool'),
    },
    keytoolJvm:
      raw.keytoolJvm === undefined
        ? 'shared'
        : v.oneOf('--keytool-jvm', raw.keytoolJvm, ['shared', 'per-step'] as const),
  };
}

function swap([value, option]: [string, string]): [string, string] {
  return [option, value];
}

function nonEmpty(option: string, raw: string): string {
  if (raw.trim() === '') throw new UsageError(option, 'must not be empty');
  return raw;
}

/** Where the shared store password came from, as error messages name it. */
export interface ReadPassword {
  readonly secret: Secret;
  readonly isDefault: boolean;
  /** The option or variable that gave it: --password-file, PASSWORD (also when unset: the default). */
  readonly from: string;
}

/** The one place a password file or PASSWORD is read (a bounded reader can replace readFile here alone). */
export async function readPassword(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  option = '--password-file',
): Promise<ReadPassword> {
  if (file !== undefined) {
    const text = await readBoundedText(file, { kind: 'password', option });
    // One trailing newline is the file's, not the password's (echo pw > file).
    const value = text.replace(/\r?\n$/, '');
    if (/[\r\n]/.test(value)) throw new UsageError(option, 'must hold the password on a single line');
    if (value === '') throw new UsageError(option, `must not be empty; ${file} holds no password`);
    return {
      secret: new Secret('store password', v.password(option, value)),
      isDefault: false,
      from: `${option} ${file}`,
    };
  }
  const fromEnv = env.PASSWORD;
  // Set but empty is a mistake (PASSWORD=$(cat missing-file)), never a request for the default.
  if (fromEnv === '')
    throw new UsageError('PASSWORD', "must not be empty (unset it to use the script's default password)");
  if (fromEnv !== undefined)
    return {
      secret: new Secret('store password', v.password('PASSWORD', fromEnv)),
      isDefault: false,
      from: 'PASSWORD',
    };
  return { secret: new Secret('store password', SCRIPT_DEFAULTS.password), isDefault: true, from: 'PASSWORD' };
}

/**
 * The one-line warning about the shared password a command uses, if any: the
 * script's default (anyone can guess it), or a weak one. `publicText` is what
 * the run shows anyway (names, subjects): a password found in it is weak too.
 */
export function passwordWarning(
  p: Pick<ReadPassword, 'secret' | 'isDefault' | 'from'>,
  publicText = '',
): string | undefined {
  if (p.isDefault) {
    return (
      'neither PASSWORD nor --password-file is set: ' +
      'using the script\'s default store password "password", which anyone can guess'
    );
  }
  const why = weakness(p.secret.reveal(), `${publicText}\n${Object.values(SCRIPT_DEFAULTS).join('\n')}`);
  if (!why) return undefined;
  return `the store password from ${p.from} is weak: ${why}; use a long random one (or --generate-passwords)`;
}
