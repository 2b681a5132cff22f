/** argv, environment and config file -> the validated parameters of generate, plan, apply and rotate-ca. */
import { realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Cluster, ExternalCa, StatefulSetParams, StoreType } from '../model/cluster.js';
import type { OwnCaFiles } from '../pki/own-ca.js';
import { brokerCn, STORE_TYPES } from '../model/cluster.js';
import type { ClusterConfig } from './config.js';
import { CA_FLAGS, configCaNames, readOwnCaOptions, type RawCaOptions } from './own-ca.js';
import { readPassword, type ReadPassword } from './password.js';
import { sourceLabel, type SecretSource } from '../model/secret-names.js';
import { LAYOUTS, type Layout } from '../model/layouts.js';
import { DEFAULT_DEPLOYMENT, PASSWORD_STYLES, type Deployment } from '../model/deployment.js';
import { defaultClientName, defaultHeadlessService, SCRIPT_DEFAULTS } from '../model/defaults.js';
import { named, UsageError } from '../errors.js';
import { Secret } from '../secrets.js';
import * as v from '../model/rules.js';
import type { KeytoolJvm } from '../runner/runner.js';
import { EMITS, type Emit } from '../model/layouts.js';
import { statefulSetOf } from '../model/kubernetes.js';
import { DEFAULT_CA_KEY, DEFAULT_LEAF_KEY, parseKeyType, withKey, type KeySpec } from '../model/keys.js';

/*
 * Every option is checked before anything is touched, and the first bad one is a UsageError naming it. No process
 * starts here: your own CA's files are read, and pki/own-ca.ts's checkOwnCa asks openssl about them afterwards.
 */

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
export interface RawRunOptions extends RawCommonOptions, RawCaOptions {
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
  keyType?: string;
  caKeyType?: string;
  san?: string[];
  storeType?: string;
  emit?: string;
  config?: string;
  layout?: string;
  mountPath?: string;
  composeDir?: string;
  propertiesPasswords?: string;
  generatePasswords?: boolean;
  keepWork?: boolean;
  /** generate: replace an --out that neither kafka-mtls nor the script made (read by runGenerate, not a parameter). */
  force?: boolean;
  verbose?: boolean;
}

export interface RunParams extends StatefulSetParams {
  /** Absolute path of the output directory. */
  readonly out: string;
  readonly password: Secret;
  /**
   * Where the password came from: --password-file, PASSWORD, the config's password, or neither (the script's
   * default). Kept as found with --generate-passwords, which leaves it unused.
   */
  readonly passwordSource: SecretSource;
  /** Extra outputs beside the layout's files. */
  readonly emit: readonly Emit[];
  readonly layout: Layout;
  /** The config file, when the cluster is described by one. */
  readonly config?: string;
  /** The cluster the config file describes (its store type is storeType); without one, the StatefulSet of the flags. */
  readonly configCluster?: Omit<Cluster, 'storeType'>;
  readonly deployment: Deployment;
  /**
   * Your own CA (--ca-cert and --ca-key, or the config's), once pki/own-ca.ts's checkOwnCa has found it fit;
   * and its key's passphrase (alone: a directory's encrypted ca.key, for plan, apply and rotate-ca).
   */
  readonly externalCa?: ExternalCa;
  readonly caKeyPassword?: Secret;
  readonly caKeyPasswordSource?: SecretSource;
  /** A random password per keystore and one for the truststores, instead of one shared password. */
  readonly generatePasswords: boolean;
  readonly keepWork: boolean;
  readonly verbose: boolean;
  readonly tools: { readonly openssl: string; readonly keytool: string };
  /** shared: keytool steps run in one JVM; per-step: a keytool process each. */
  readonly keytoolJvm: KeytoolJvm;
}

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
const SHAPE_FLAGS: ReadonlyArray<[keyof RawRunOptions, string]> = [
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
  ['keyType', '--key-type'],
  ['caKeyType', '--ca-key-type'],
];

/** What each layout adds unless --emit or the config says otherwise. */
export const DEFAULT_EMITS: Readonly<Record<Layout, readonly Emit[]>> = {
  dropin: [],
  confluent: ['server-properties', 'compose', 'client-properties', 'principals'],
};

/** Fallbacks stand in for the layout's defaults: plan and apply take them from the directory's state file. */
export interface ParamFallbacks {
  readonly layout?: Layout;
  readonly storeType?: StoreType;
  readonly emit?: readonly Emit[];
  readonly deployment?: Deployment;
  readonly generatePasswords?: boolean;
  /** The directory's keys: the leaves' (its first identity's) and its CA's. */
  readonly leafKey?: KeySpec;
  readonly caKey?: KeySpec;
}

/**
 * The script's default password opens the stores: none was given, and one is needed (--generate-passwords makes
 * its own; the shared one then opens nothing).
 */
export function usesDefaultPassword(p: Pick<RunParams, 'passwordSource' | 'generatePasswords'>): boolean {
  return p.passwordSource.kind === 'default' && !p.generatePasswords;
}

/** What reading the options takes from outside: the environment, and the run's signal, which stops the reads. */
export interface OptionDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
}

/** The parameters, and your own CA's files for checkOwnCa to run openssl on (externalCa is then set). */
export interface ParsedRunOptions {
  readonly params: RunParams;
  readonly ownCa?: OwnCaFiles;
}

/**
 * Validates every option before anything is touched; throws UsageError for the first bad one. Without fallbacks
 * (generate: a new directory) a CA key passphrase alone is refused: only a directory's own ca.key can use it.
 */
export async function parseRunOptions(
  raw: RawRunOptions,
  { env, signal }: OptionDeps,
  fallback?: ParamFallbacks,
): Promise<ParsedRunOptions> {
  const config = await configOf(raw, signal);
  // With a config file the script's VALIDITY and KAFKA_BROKER_COUNT do not apply; PASSWORD still does.
  const flagEnv = config ? { ...env, VALIDITY: undefined, KAFKA_BROKER_COUNT: undefined } : env;
  const base = await parseFlags(raw, flagEnv, signal);
  const { layout, storeType, emit } = parseLayout(raw, config, fallback);
  const composeDir = raw.composeDir !== undefined ? await parseComposeDir(raw.composeDir) : undefined;
  const deployment = parseDeployment(raw, config, base.namespace, fallback, composeDir);
  checkKubernetesEmit(raw, config, emit, base.name);
  if (raw.caKeyType !== undefined && (raw.caCert !== undefined || raw.caKey !== undefined))
    throw new UsageError('--ca-key-type', 'cannot be combined with your own CA: it signs with the key it has');
  const own = await ownCaOf(raw, config, env, signal);
  const keys = parseKeys(raw, fallback);

  let { password, passwordSource } = base;
  if (raw.passwordFile === undefined && config?.password)
    ({ secret: password, source: passwordSource } = await configPassword(raw.config!, config.password, env, signal));
  const extras = {
    // Filled by checkOwnCa once openssl has seen the files; named here so the journal keeps its order of fields.
    externalCa: undefined as ExternalCa | undefined,
    caKeyPassword: own.keyPassword,
    caKeyPasswordSource: own.keyPasswordSource,
    generatePasswords: raw.generatePasswords === true || fallback?.generatePasswords === true,
  };
  if (extras.generatePasswords && raw.passwordFile !== undefined)
    throw new UsageError(
      '--generate-passwords',
      'cannot be combined with --password-file: the passwords are made for you',
    );
  if (!fallback && own.keyPassword && !own.files)
    throw new UsageError(
      raw.caKeyPasswordEnv !== undefined ? CA_FLAGS.passwordEnv : CA_FLAGS.passwordFile,
      'needs --ca-cert and --ca-key',
    );
  const leafValidity = config
    ? { days: config.cluster.identities[0]!.validityDays, option: `--config ${raw.config}: validity` }
    : { days: base.validityDays, option: '--validity' };
  const ownCa = own.files && { ...own.files, leafValidity };
  const shared = { layout, storeType, emit, deployment, password, passwordSource };
  if (!config) return { params: { ...base, ...keys, ...shared, ...extras }, ownCa };
  const described = { config: resolve(raw.config!), configCluster: withKeptKeys(config, fallback) };
  return { params: { ...base, ...fromConfig(config), ...shared, ...described, ...extras }, ownCa };
}

/**
 * --key-type and --ca-key-type; when not given, the directory's keys (plan, apply, rotate-ca), so that leaving the
 * option out changes no key; else the script's RSA 2048 and 4096.
 */
function parseKeys(raw: RawRunOptions, fallback?: ParamFallbacks): { leafKey: KeySpec; caKey: KeySpec } {
  return {
    leafKey:
      raw.keyType !== undefined
        ? named('--key-type', () => parseKeyType(raw.keyType!))
        : (fallback?.leafKey ?? DEFAULT_LEAF_KEY),
    caKey:
      raw.caKeyType !== undefined
        ? named('--ca-key-type', () => parseKeyType(raw.caKeyType!))
        : (fallback?.caKey ?? DEFAULT_CA_KEY),
  };
}

/** A config file that names no key keeps the directory's (the leaves' and the CA's), as the flags do. */
function withKeptKeys(config: ClusterConfig, fallback?: ParamFallbacks): RunParams['configCluster'] {
  const { cluster, keysGiven } = config;
  const leaf = keysGiven.leaf ? undefined : fallback?.leafKey;
  const ca = keysGiven.ca ? undefined : fallback?.caKey;
  if (!leaf && !ca) return cluster;
  return {
    ...cluster,
    ca: ca ? withKey(cluster.ca, ca) : cluster.ca,
    identities: leaf ? cluster.identities.map((who) => withKey(who, leaf)) : cluster.identities,
  };
}

/** The config file, when --config is given: then no flag may describe the cluster. */
async function configOf(raw: RawRunOptions, signal: AbortSignal | undefined): Promise<ClusterConfig | undefined> {
  if (raw.config === undefined) return undefined;
  const clash = SHAPE_FLAGS.find(([k]) => raw[k] !== undefined);
  if (clash)
    throw new UsageError(
      clash[1],
      'cannot be combined with --config: the config file describes the cluster; set it there',
    );
  return loadConfig(raw.config, signal);
}

/** A config file, read and checked; its module (yaml, zod) is loaded only now: most runs read no config file. */
export async function loadConfig(file: string, signal: AbortSignal | undefined): Promise<ClusterConfig> {
  return (await import('./config.js')).loadConfig(file, signal);
}

function parseLayout(raw: RawRunOptions, config: ClusterConfig | undefined, fallback: ParamFallbacks = {}) {
  const layout: Layout =
    given('--layout', raw.layout, (r) => v.oneOf(r, LAYOUTS)) ?? config?.layout ?? fallback.layout ?? 'dropin';
  const storeType: StoreType =
    given('--store-type', raw.storeType, (r) => v.oneOf(r, STORE_TYPES)) ??
    config?.storeType ??
    fallback.storeType ??
    (layout === 'confluent' ? 'pkcs12' : 'auto');
  if (layout === 'confluent' && storeType !== 'pkcs12') {
    throw new UsageError(
      raw.storeType !== undefined ? '--store-type' : `--config ${raw.config}: storeType`,
      'must be pkcs12 with the confluent layout (its stores are .pkcs12 files)',
    );
  }
  const emit = raw.emit !== undefined ? parseEmit(raw.emit) : (config?.emit ?? fallback.emit ?? DEFAULT_EMITS[layout]);
  return { layout, storeType, emit };
}

function parseDeployment(
  raw: RawRunOptions,
  config: ClusterConfig | undefined,
  namespace: string,
  fallback: ParamFallbacks = {},
  composeDir?: string,
): Deployment {
  const mountPath = given('--mount-path', raw.mountPath, v.mountPath);
  const passwords = given('--properties-passwords', raw.propertiesPasswords, (r) => v.oneOf(r, PASSWORD_STYLES));
  return {
    ...DEFAULT_DEPLOYMENT,
    // The StatefulSet's namespace; a config file names its own (kubernetes.namespace), or none.
    namespace: config ? undefined : namespace,
    ...fallback.deployment,
    ...config?.deployment,
    ...(mountPath !== undefined ? { mountPath } : {}),
    ...(composeDir !== undefined ? { composeDir } : {}),
    ...(passwords !== undefined ? { passwords } : {}),
  };
}

/**
 * --compose-dir: the base compose file's folder, as a real path (the output directory is one too), so that the
 * block's paths relative to it stay right through symlinks. It may not exist yet; then it must not be a file.
 */
async function parseComposeDir(raw: string): Promise<string> {
  if (raw.trim() === '') throw new UsageError('--compose-dir', 'must not be empty');
  const given = resolve(raw);
  const existing = await stat(given).catch(() => undefined);
  if (existing && !existing.isDirectory())
    throw new UsageError('--compose-dir', `must be a directory (the compose file's folder); ${given} is a file`);
  return existing ? await realpath(given) : given;
}

/**
 * --emit kubernetes mounts one Secret in a StatefulSet whose pods find their keystores by name: the brokers
 * must be its pods, <name>-<ordinal>. Named after what set the names, else after what asked for the output.
 */
function checkKubernetesEmit(
  raw: RawRunOptions,
  config: ClusterConfig | undefined,
  emit: readonly Emit[],
  flagName: string,
): void {
  if (!emit.includes('kubernetes')) return;
  // The flags' brokers are <name>-0 … <name>-<n-1>: only the name's length can break the rule.
  const aliases = config
    ? config.cluster.identities.filter((i) => i.role === 'broker').map((i) => i.alias)
    : [`${flagName}-0`];
  const shape = statefulSetOf(aliases);
  if (!('problem' in shape)) return;
  const option = !config
    ? '--name'
    : raw.emit !== undefined
      ? '--emit kubernetes'
      : config.emit?.includes('kubernetes')
        ? `--config ${raw.config}: emit: kubernetes`
        : '--emit kubernetes (kept in kafka-mtls.json)';
  throw new UsageError(option, `${shape.problem}; or emit kubernetes-per-broker, a Secret per broker`);
}

/** Your own CA: from the flags, else from the config file (its errors then name the file's fields). */
function ownCaOf(
  raw: RawRunOptions,
  config: ClusterConfig | undefined,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
) {
  if (config?.caFiles && raw.caCert === undefined && raw.caKey === undefined) {
    const passphrase = pickDefined(raw, ['caKeyPasswordEnv', 'caKeyPasswordFile']);
    return readOwnCaOptions({ ...config.caFiles, ...passphrase }, env, signal, configCaNames(raw.config!));
  }
  return readOwnCaOptions(raw, env, signal);
}

/** The cluster a config file describes, in the parameters the flags would give. */
function fromConfig(config: ClusterConfig) {
  const brokers = config.cluster.identities.filter((i) => i.role === 'broker');
  const client = config.cluster.identities.find((i) => i.role === 'client')!;
  return {
    brokers: brokers.length,
    validityDays: brokers[0]!.validityDays,
    caValidityDays: config.cluster.ca.validityDays,
    clientName: client.alias,
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
  return [...new Set(items.map((e) => named('--emit', () => v.oneOf(e, EMITS))))];
}

async function configPassword(
  file: string,
  p: NonNullable<ClusterConfig['password']>,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
): Promise<ReadPassword> {
  if ('env' in p) {
    const value = env[p.env];
    if (value === undefined) throw new UsageError(`--config ${file}: password.env`, `names ${p.env}, which is not set`);
    const source: SecretSource = { kind: 'env', variable: p.env, option: `password.env of ${file}` };
    if (value === '') throw new UsageError(sourceLabel(source), 'must not be empty');
    return {
      secret: new Secret(
        'store password',
        named(sourceLabel(source), () => v.password(value)),
      ),
      source,
    };
  }
  // A relative path is read from beside the config file, wherever the command runs.
  return readPassword(resolve(dirname(file), p.file), env, signal, `--config ${file}: password.file`);
}

type FlagParams = Omit<
  RunParams,
  | 'layout'
  | 'emit'
  | 'deployment'
  | 'config'
  | 'configCluster'
  | 'externalCa'
  | 'caKeyPassword'
  | 'caKeyPasswordSource'
  | 'generatePasswords'
>;

async function parseFlags(
  raw: RawRunOptions,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
): Promise<FlagParams> {
  const counts = parseCounts(raw, env);
  const names = parseStatefulSetFlags(raw);
  const subjects = parseSubjectFlags(raw);
  const extraSans = (raw.san ?? []).map((s) => named('--san', () => v.san(s)));
  checkBrokerNames(names, counts.brokers);
  const out = await parseOut(raw.out);
  const { secret, source } = await readPassword(raw.passwordFile, env, signal);
  return {
    out,
    ...counts,
    ...names,
    ...subjects,
    extraSans,
    storeType: 'auto',
    password: secret,
    passwordSource: source,
    keepWork: raw.keepWork === true,
    verbose: raw.verbose === true,
    tools: {
      openssl: nonEmpty('--openssl', raw.openssl ?? 'openssl'),
      keytool: nonEmpty('--keytool', raw.keytool ?? 'keytool'),
    },
    keytoolJvm: given('--keytool-jvm', raw.keytoolJvm, (r) => v.oneOf(r, ['shared', 'per-step'] as const)) ?? 'shared',
  };
}

/** How many brokers, and how long the leaves and the CA live: flags, else the script's variables and defaults. */
function parseCounts(raw: RawRunOptions, env: NodeJS.ProcessEnv) {
  const D = SCRIPT_DEFAULTS;
  const [brokersRaw, brokersOption] = pick('--brokers', raw.brokers, env, 'KAFKA_BROKER_COUNT', D.brokers);
  const brokers = named(brokersOption, () => v.identityCount(brokersRaw));
  const [validityRaw, validityOption] = pick('--validity', raw.validity, env, 'VALIDITY', D.validity);
  const validityDays = named(validityOption, () => v.validityDays(validityRaw));
  const caValidityDays = given('--ca-validity', raw.caValidity, v.validityDays) ?? validityDays;
  if (validityDays > caValidityDays) {
    throw new UsageError(
      validityOption,
      `must be at most --ca-validity (${caValidityDays} days): ${v.OUTLIVE}, got ${validityDays}`,
    );
  }
  return { brokers, validityDays, caValidityDays };
}

/** The StatefulSet's names from the flags, the script's unless given: generate's, and verify's expectations. */
export function parseStatefulSetFlags(raw: RawCommonOptions) {
  const D = SCRIPT_DEFAULTS;
  const name = named('--name', () => v.dnsLabel(raw.name ?? D.name));
  return {
    name,
    headlessService: named('--headless-service', () => v.dnsLabel(raw.headlessService ?? defaultHeadlessService(name))),
    namespace: named('--namespace', () => v.dnsLabel(raw.namespace ?? D.namespace)),
    clusterDomain: named('--cluster-domain', () => v.dnsName(raw.clusterDomain ?? D.clusterDomain)),
    clientName: named('--client-name', () => v.dnsLabel(raw.clientName ?? defaultClientName(name))),
  };
}

function parseSubjectFlags(raw: RawRunOptions): Pick<StatefulSetParams, 'subject' | 'ca'> {
  const D = SCRIPT_DEFAULTS;
  const country = named('--country', () => v.countryCode(raw.country ?? D.country));
  const state = named('--state', () => v.subjectField(raw.state ?? D.state));
  // The script's CA says SEOUL where its leaves say Seoul; --state sets both unless --ca-state is given.
  const caState = named('--ca-state', () =>
    v.subjectField(raw.caState ?? (raw.state !== undefined ? state : D.caState)),
  );
  const locality = named('--locality', () => v.subjectField(raw.locality ?? D.locality));
  const org = named('--org', () => v.subjectField(raw.org ?? D.org));
  const orgUnit = named('--org-unit', () => v.subjectField(raw.orgUnit ?? D.orgUnit));
  const caCn = named('--ca-cn', () => v.subjectField(raw.caCn ?? D.caCn));
  const caEmail = named('--ca-email', () => v.emailAddress(raw.caEmail ?? D.caEmail));
  return { subject: { country, state, locality, org, orgUnit }, ca: { cn: caCn, state: caState, email: caEmail } };
}

/** Every broker's CN fits a certificate, and its full name (first and last broker) is a DNS name. */
function checkBrokerNames(names: ReturnType<typeof parseStatefulSetFlags>, brokers: number) {
  const tooLong = v.brokerCnTooLong(names, brokers);
  if (tooLong) throw new UsageError('--name/--headless-service', `make ${tooLong}`);
  for (let i = 0; i < brokers; i += brokers - 1 || 1) {
    named('--name/--headless-service/--namespace/--cluster-domain', () =>
      v.dnsName(`${brokerCn(names, i)}.${names.namespace}.${names.clusterDomain}`),
    );
  }
}

/** --out: a directory or nothing yet; a symlink to a directory is followed, so the swap happens where it points. */
async function parseOut(raw: string | undefined): Promise<string> {
  const given = resolve(raw ?? 'certs');
  const existing = await stat(given).catch(() => undefined);
  if (existing && !existing.isDirectory())
    throw new UsageError('--out', `must be a directory or not exist yet; ${given} is a file`);
  return existing ? await realpath(given) : given;
}

/** A flag's value held to a rule of model/rules.ts, its failure named after the flag; undefined when not given. */
function given<T>(option: string, raw: string | undefined, rule: (raw: string) => T): T | undefined {
  return raw === undefined ? undefined : named(option, () => rule(raw));
}

function nonEmpty(option: string, raw: string): string {
  if (raw.trim() === '') throw new UsageError(option, 'must not be empty');
  return raw;
}
