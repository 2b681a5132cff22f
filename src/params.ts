import { readFile, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { StatefulSetParams, StoreType } from './cluster.js';
import { brokerCn } from './cluster.js';
import { UsageError } from './errors.js';
import { Secret } from './secrets.js';
import * as v from './validate.js';
import { EMITS, type Emit } from './plans/dropin.js';

/** Options every command shares: the StatefulSet's names (which hosts a broker serves), the tools, the password. */
export interface RawCommonOptions {
  name?: string;
  headlessService?: string;
  namespace?: string;
  clusterDomain?: string;
  clientName?: string;
  openssl?: string;
  keytool?: string;
  passwordFile?: string;
}

/** The options of `generate` as commander gives them: strings, repeatable ones as arrays. */
export interface RawGenerateOptions extends RawCommonOptions {
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
  keepWork?: boolean;
  verbose?: boolean;
}

export interface GenerateParams extends StatefulSetParams {
  /** Absolute path of the output directory. */
  readonly out: string;
  readonly password: Secret;
  /** True when neither PASSWORD nor --password-file was given and the script's default is used. */
  readonly defaultPassword: boolean;
  /** Extra outputs beside the script's files. */
  readonly emit: readonly Emit[];
  readonly keepWork: boolean;
  readonly verbose: boolean;
  readonly tools: { readonly openssl: string; readonly keytool: string };
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
function pick(flag: string, flagValue: string | undefined, env: NodeJS.ProcessEnv, envName: string | undefined, fallback: string): [string, string] {
  if (flagValue !== undefined) return [flagValue, flag];
  const fromEnv = envName ? env[envName] : undefined;
  if (fromEnv !== undefined && fromEnv !== '') return [fromEnv, `${flag} (from ${envName})`];
  return [fallback, flag];
}

/** Validates every option before anything is touched; throws UsageError for the first bad one. */
export async function parseGenerateOptions(raw: RawGenerateOptions, env: NodeJS.ProcessEnv): Promise<GenerateParams> {
  const D = SCRIPT_DEFAULTS;
  const brokers = v.wholeNumber(...swap(pick('--brokers', raw.brokers, env, 'KAFKA_BROKER_COUNT', D.brokers)), 1, 999);
  const validityDays = v.wholeNumber(...swap(pick('--validity', raw.validity, env, 'VALIDITY', D.validity)), 1, 36500);
  const caValidityDays = raw.caValidity === undefined ? validityDays : v.wholeNumber('--ca-validity', raw.caValidity, 1, 36500);
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
  const extraSans = (raw.san ?? []).map(v.san);
  const storeType: StoreType = v.oneOf('--store-type', raw.storeType ?? 'auto', ['auto', 'jks', 'pkcs12'] as const);
  const emit = [...new Set((raw.emit ?? '').split(',').map((e) => e.trim()).filter(Boolean).map((e) => v.oneOf('--emit', e, EMITS)))];

  // The longest broker CN must fit X.509's 64-character limit on a common name (RFC 5280 ub-common-name).
  const longestCn = brokerCn({ name, headlessService }, brokers - 1);
  if (longestCn.length > 64) {
    throw new UsageError('--name/--headless-service', `make the broker common name ${longestCn.length} characters long ("${longestCn}"); at most 64 are allowed`);
  }
  for (let i = 0; i < brokers; i += brokers - 1 || 1) {
    v.dnsName('--name/--headless-service/--namespace/--cluster-domain', `${brokerCn({ name, headlessService }, i)}.${namespace}.${clusterDomain}`);
  }

  const given = resolve(raw.out ?? 'certs');
  const existing = await stat(given).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new UsageError('--out', `must be a directory or not exist yet; ${given} is a file`);
  // A symlink to a directory stays a symlink: the swap happens at the directory it points to.
  const out = existing ? await realpath(given) : given;

  const { secret, isDefault } = await readPassword(raw.passwordFile, env);
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
    emit,
    password: secret,
    defaultPassword: isDefault,
    keepWork: raw.keepWork === true,
    verbose: raw.verbose === true,
    tools: { openssl: nonEmpty('--openssl', raw.openssl ?? 'openssl'), keytool: nonEmpty('--keytool', raw.keytool ?? 'keytool') },
  };
}

function swap([value, option]: [string, string]): [string, string] {
  return [option, value];
}

function nonEmpty(option: string, raw: string): string {
  if (raw.trim() === '') throw new UsageError(option, 'must not be empty');
  return raw;
}

export async function readPassword(file: string | undefined, env: NodeJS.ProcessEnv): Promise<{ secret: Secret; isDefault: boolean }> {
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new UsageError('--password-file', `must be a readable file; ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    // One trailing newline is the file's, not the password's (echo pw > file).
    const value = text.replace(/\r?\n$/, '');
    if (/[\r\n]/.test(value)) throw new UsageError('--password-file', 'must hold the password on a single line');
    return { secret: new Secret('store password', v.password('--password-file', value)), isDefault: false };
  }
  const fromEnv = env.PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') {
    return { secret: new Secret('store password', v.password('PASSWORD', fromEnv)), isDefault: false };
  }
  return { secret: new Secret('store password', SCRIPT_DEFAULTS.password), isDefault: true };
}
