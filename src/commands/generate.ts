import { availableParallelism } from 'node:os';
import { chmod, mkdir, rm, statfs } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { describeStatefulSet, type Cluster, type Identity } from '../model/cluster.js';
import { CancelledError, OutputError, StepError, UsageError, type StepFailure } from '../errors.js';
import {
  DEFAULT_EMITS,
  parseGenerateOptions,
  passwordWarning,
  SCRIPT_DEFAULTS,
  type ParamFallbacks,
  type GenerateParams,
  type RawGenerateOptions,
} from '../options/params.js';
import { buildDropInPlan, STORE_PASSWORD_ENV } from '../plans/dropin.js';
import type { StepRecord } from '../runner/record.js';
import { runPlan, type RunEvent, type RunResult } from '../runner/runner.js';
import type { Exec } from '../runner/exec.js';
import { planDirs, type Plan } from '../runner/step.js';
import { buildConfluentPlan } from '../plans/confluent.js';
import { EMITS } from '../plans/emits.js';
import { openStage, type Stage } from '../output/stage.js';
import { withClaim } from '../output/claim.js';
import { checkGenerateTarget } from '../output/target.js';
import { throwIfCancelled } from '../runner/cancel.js';
import { defaultStoreType } from '../runner/jdk.js';
import { locate, preflight } from '../runner/tools.js';
import { carryJournals, publicParams, writeJournal, type Journal } from '../output/journal.js';
import { asPhaseError, inPhase, ioHint, withAftermath } from '../output/io.js';
import { planSecretEnv, planToScript, STATE_MARK, type SecretSource } from '../report/dry-run.js';
import { loadConfig } from '../options/config.js';
import { layoutFiles } from '../model/layouts.js';
import { CA_KEY_PASSWORD_ENV } from '../pki/own-ca.js';
import { GENERATED_PASSWORDS, generateSecrets, SHARED_PASSWORD } from '../model/passwords.js';
import type { SecretEnv } from '../secrets.js';
import { describeDirectory, STATE_FILE, writeState, type State } from '../output/state-file.js';

export interface GenerateResult {
  readonly params: GenerateParams;
  readonly cluster: Cluster;
  readonly plan: Plan;
  readonly records: readonly StepRecord[];
  readonly backup?: string;
  /** The run journal, in the output directory. */
  readonly journal: string;
  readonly durationMs: number;
  /** How the keytool steps ran: in one JVM, or one each (and why, when one JVM was asked for). */
  readonly keytool?: RunResult['keytool'];
}

export interface GenerateDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: RunEvent) => void;
  /** Called once the options are valid, before any step runs. */
  readonly onParams?: (p: GenerateParams) => void;
  /** A one-line warning for the user (the default or a weak password). */
  readonly warn?: (line: string) => void;
  readonly exec?: Exec;
  /** What a run found and put right beside its target (a stale lock, a killed run's work directory), for stderr. */
  readonly onNote?: (text: string) => void;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function generateCommand(): Command {
  return new Command('generate')
    .description('Make the CA, broker and client keystores and truststores of mtls-kafka.sh, checked step by step')
    .option(
      '--out <dir>',
      'output directory; an existing one (made by kafka-mtls or mtls-kafka.sh, else --force) is kept as <dir>.bak-<UTC timestamp>',
      'certs',
    )
    .option('--brokers <n>', `number of brokers, 1 to 999 (env KAFKA_BROKER_COUNT; default ${SCRIPT_DEFAULTS.brokers})`)
    .option(
      '--validity <days>',
      `validity of every certificate in days (env VALIDITY; default ${SCRIPT_DEFAULTS.validity})`,
    )
    .option('--ca-validity <days>', 'validity of the CA certificate in days (default: --validity)')
    .option(
      '--password-file <file>',
      'file holding the store and key password (default: env PASSWORD, else "password")',
    )
    .option('--name <name>', `StatefulSet name (default ${SCRIPT_DEFAULTS.name})`)
    .option('--headless-service <name>', 'headless Service name (default <name>-headless)')
    .option('--namespace <ns>', `Kubernetes namespace (default ${SCRIPT_DEFAULTS.namespace})`)
    .option('--cluster-domain <domain>', `cluster DNS domain (default ${SCRIPT_DEFAULTS.clusterDomain})`)
    .option('--client-name <name>', 'client identity: alias, CN and file names (default <name>-client)')
    .option(
      '--san <value>',
      'extra SAN on every broker certificate: a DNS name, DNS:name or IP:address (repeatable)',
      collect,
    )
    .option('--country <CC>', `subject C (default ${SCRIPT_DEFAULTS.country})`)
    .option(
      '--state <state>',
      `subject ST of the leaves (default ${SCRIPT_DEFAULTS.state}) and of the CA unless --ca-state`,
    )
    .option('--ca-state <state>', `subject ST of the CA (default ${SCRIPT_DEFAULTS.caState}, or --state when given)`)
    .option('--locality <city>', `subject L (default ${SCRIPT_DEFAULTS.locality})`)
    .option('--org <org>', `subject O (default ${SCRIPT_DEFAULTS.org})`)
    .option('--org-unit <unit>', `subject OU (default ${SCRIPT_DEFAULTS.orgUnit})`)
    .option('--ca-cn <cn>', `CA common name (default ${SCRIPT_DEFAULTS.caCn})`)
    .option('--ca-email <address>', `CA emailAddress (default ${SCRIPT_DEFAULTS.caEmail})`)
    .option('--ca-cert <file>', "your own CA's certificate (PEM): sign with it instead of making a CA; needs --ca-key")
    .option('--ca-key <file>', "your own CA's private key (PEM, PKCS#8 or PKCS#1, may be encrypted)")
    .option(
      '--ca-chain <file>',
      'when --ca-cert is an intermediate: the certificates above it, up to and including the root',
    )
    .option('--ca-key-password-env <var>', 'environment variable holding the passphrase of an encrypted --ca-key')
    .option('--ca-key-password-file <file>', 'file holding the passphrase of an encrypted --ca-key')
    .option(
      '--config <file>',
      'describe the cluster in a YAML or JSON file (brokers and their host names, clients, subjects, listeners...) instead of the flags above',
    )
    .addOption(
      new Option(
        '--layout <layout>',
        "dropin: the files of mtls-kafka.sh; confluent: the write-up's PKCS12 flow, a <name>-creds directory per broker and client (default dropin, or the config's)",
      ).choices(['dropin', 'confluent']),
    )
    .addOption(
      new Option(
        '--store-type <type>',
        "keystore and truststore type: auto is the JDK keytool's default (PKCS12 on JDK 9+), as the script (default auto; pkcs12 with --layout confluent)",
      ).choices(['auto', 'jks', 'pkcs12']),
    )
    .option(
      '--emit <list>',
      `extra outputs, comma-separated, or none: ${EMITS.join(', ')} (default: none for dropin, ${DEFAULT_EMITS.confluent.join(',')} for confluent)`,
    )
    .option(
      '--mount-path <dir>',
      'where brokers and clients see their files, for the paths in server.properties and client.properties (default: the output directory)',
    )
    .addOption(
      new Option(
        '--properties-passwords <style>',
        'passwords in .properties files: provider (${file:...} references to a 0600 credentials file), placeholder, or literal (0600)',
      ).choices(['provider', 'placeholder', 'literal']),
    )
    .option(
      '--generate-passwords',
      'a random password for each keystore and one for the truststores, written to 0600 credentials files, instead of one shared password',
    )
    .option('--keep-work', 'on failure, keep the work directory and print its path')
    .option('--force', 'replace an --out that neither kafka-mtls nor mtls-kafka.sh made (it is still kept as a backup)')
    .option('--verbose', "print every step's command and output")
    .option('--dry-run', 'print the plan as a bash script (every command, the templates as heredocs) and write nothing')
    .option(
      '--json',
      'print a machine-readable summary (or failure) on stdout instead of progress and the human summary',
    )
    .option('--openssl <path>', 'openssl to run (default: openssl on PATH)')
    .option('--keytool <path>', 'keytool to run (default: keytool on PATH)')
    .addOption(KEYTOOL_JVM_OPTION());
}

/** Shared by the commands that run keytool steps. */
export const KEYTOOL_JVM_OPTION = () =>
  new Option(
    '--keytool-jvm <mode>',
    "shared: run the keytool steps one after another in one JVM (the JDK's keytool class, same arguments); per-step: start keytool for each step (default shared)",
  ).choices(['shared', 'per-step']);

/**
 * options -> params -> cluster -> plan: everything before a file is touched; and
 * the warning about the shared password, for the caller to give once the
 * password has passed what it must (apply and rotate-ca prove it first).
 */
export async function planGenerate(
  raw: RawGenerateOptions,
  deps: Pick<GenerateDeps, 'env'>,
  opts: { requireTools: boolean; fallback?: ParamFallbacks },
): Promise<{ params: GenerateParams; cluster: Cluster; plan: Plan; secrets: SecretEnv; warning?: string }> {
  const params = await parseGenerateOptions(raw, deps.env, opts.fallback);
  if (opts.requireTools) await preflight(params.tools, ['openssl', 'keytool'], deps.env);
  // 'auto' becomes the type this JDK's keytool makes by default (as the script got), named explicitly.
  const keytoolPath = await locate(params.tools.keytool, deps.env);
  const detected = keytoolPath ? await defaultStoreType(keytoolPath) : undefined;
  const storeType = params.storeType === 'auto' ? (detected ?? 'auto') : params.storeType;
  const described: Cluster = params.configCluster
    ? { ...params.configCluster, storeType }
    : describeStatefulSet({ ...params, storeType });
  const cluster: Cluster = params.externalCa
    ? { ...described, ca: { ...described.ca, external: params.externalCa } }
    : described;
  const secrets = params.generatePasswords ? generateSecrets(cluster.identities) : {};
  // Generated passwords leave the shared one unused: nothing to warn about.
  const shared = { secret: params.password, isDefault: params.defaultPassword, from: params.passwordFrom };
  const warning = params.generatePasswords ? undefined : passwordWarning(shared, JSON.stringify(cluster));
  return { params: { ...params, storeType }, cluster, plan: buildPlan(params, cluster), secrets, warning };
}

/** The layout's plan for a cluster. */
export function buildPlan(
  params: Pick<GenerateParams, 'layout' | 'emit' | 'out' | 'deployment' | 'generatePasswords'>,
  cluster: Cluster,
): Plan {
  const build = params.layout === 'confluent' ? buildConfluentPlan : buildDropInPlan;
  const passwords = params.generatePasswords ? GENERATED_PASSWORDS : SHARED_PASSWORD;
  return build(cluster, { emit: params.emit, outDir: params.out, deployment: params.deployment, passwords });
}

/** `generate --dry-run`: the plan as a bash script, a faithful copy of the run. Writes nothing. */
export async function dryRunGenerate(raw: RawGenerateOptions, deps: Pick<GenerateDeps, 'env'>): Promise<string> {
  const { params, cluster, plan, secrets } = await planGenerate(raw, deps, { requireTools: false });
  const sources = await secretSources(raw, Object.keys(secrets));
  const files = layoutFiles(params.layout);
  const template = {
    tool: 'kafka-mtls',
    version: 1,
    updatedAt: STATE_MARK.now,
    ...describedState(params, cluster),
    caCert: STATE_MARK.ca(files.caCert),
    certs: Object.fromEntries(cluster.identities.map((who) => [who.alias, STATE_MARK.leaf(files.cert(who))])),
    // A field the state gains must be given here too: the script writes what the run writes.
  } satisfies Record<Exclude<keyof State, 'rotation'>, unknown>;
  return planToScript(plan, {
    tools: params.tools,
    defaultOut: params.out,
    secrets: new Map(planSecretEnv(plan).map((name) => [name, sources(name)])),
    state: { template: JSON.stringify(template, null, 2), caCert: files.caCert },
    header: [
      'kafka-mtls generate --dry-run: the plan, step by step, as a script.',
      `${params.brokers} broker(s)${params.config ? ` described by ${params.config}` : ` of ${params.name}`}, layout ${params.layout}, stores ${params.storeType}, validity ${params.validityDays} days.`,
      'Nothing here holds a secret: openssl and keytool read them from the variables below, set as the run sets them.',
    ].join('\n'),
  });
}

/**
 * Where the run takes each secret, for the script to take it from the same
 * place: the store password from PASSWORD (else the script's default), the
 * password file or the config's; the CA key's passphrase from its option.
 */
async function secretSources(
  raw: RawGenerateOptions,
  generated: readonly string[],
): Promise<(name: string) => SecretSource> {
  const config = raw.config !== undefined ? await loadConfig(raw.config) : undefined;
  const configDir = raw.config !== undefined ? dirname(resolve(raw.config)) : '';
  const store: SecretSource =
    raw.passwordFile !== undefined
      ? { kind: 'file', path: resolve(raw.passwordFile) }
      : config?.password && 'env' in config.password
        ? { kind: 'env', name: config.password.env }
        : config?.password && 'file' in config.password
          ? { kind: 'file', path: resolve(configDir, config.password.file) }
          : {
              kind: 'env',
              name: 'PASSWORD',
              fallback: {
                value: SCRIPT_DEFAULTS.password,
                warning:
                  "neither PASSWORD nor KAFKA_MTLS_STORE_PASSWORD is set: using the script's default store password",
              },
            };
  const ca = { ...config?.caFiles, ...raw };
  const caKey: SecretSource =
    ca.caKeyPasswordFile !== undefined
      ? { kind: 'file', path: resolve(ca.caKeyPasswordFile) }
      : { kind: 'env', name: ca.caKeyPasswordEnv ?? CA_KEY_PASSWORD_ENV };
  return (name) =>
    generated.includes(name)
      ? { kind: 'random' }
      : name === STORE_PASSWORD_ENV
        ? store
        : name === CA_KEY_PASSWORD_ENV
          ? caKey
          : { kind: 'env', name };
}

/** What kafka-mtls.json says of a run's cluster, beside the facts of its certificates. */
function describedState(params: GenerateParams, cluster: Cluster, extra: readonly Identity[] = []) {
  return {
    layout: params.layout,
    storeType: params.storeType,
    ca: cluster.ca,
    identities: [...cluster.identities, ...extra],
    deployment: params.deployment,
    emit: params.emit,
    generatedPasswords: params.generatePasswords,
  };
}

/** options -> params -> cluster -> plan -> run -> swap in. Throws UsageError, ToolMissingError, StepError, CancelledError, OutputError. */
export async function runGenerate(raw: RawGenerateOptions, deps: GenerateDeps): Promise<GenerateResult> {
  const started = new Date();
  const { params, cluster, plan, secrets, warning } = await planGenerate(raw, deps, { requireTools: true });
  if (warning) deps.warn?.(warning);
  if (params.caKeyPassword && !params.externalCa)
    throw new UsageError(
      raw.caKeyPasswordEnv !== undefined ? '--ca-key-password-env' : '--ca-key-password-file',
      'needs --ca-cert and --ca-key',
    );
  deps.onParams?.(params);
  throwIfCancelled(deps.signal);
  await inPhase('reading the existing --out', params.out, () => checkGenerateTarget(params.out, raw.force === true));
  return withClaim(params.out, 'generate', deps.onNote ?? (() => undefined), async () => {
    const stage = await openStage(params.out);
    return runStaged({ command: 'generate', started, params, cluster, plan, stage, deps, secrets });
  });
}

export interface StagedRun {
  readonly command: string;
  readonly started: Date;
  readonly params: GenerateParams;
  readonly cluster: Cluster;
  readonly plan: Plan;
  readonly stage: Stage;
  readonly deps: GenerateDeps;
  /** Identities the state file describes beyond the cluster (kept, not pruned), and who signed each kept one. */
  readonly previous?: State;
  readonly signed?: ReadonlySet<string>;
  readonly extraIdentities?: readonly Identity[];
  /** Runs in the work directory after the plan, before the state is written (e.g. --prune's removals). */
  readonly finish?: (workDir: string) => Promise<void>;
  /** Replaces fields of the state written at the end (rotate-ca: the CA description and the rotation's phase). */
  readonly stateOverride?: (state: State) => State;
  /** The generated store passwords, by variable (--generate-passwords). */
  readonly secrets?: SecretEnv;
}

/** Runs a plan in a stage's work directory, writes the journal and the state, and swaps the result in. */
export async function runStaged(r: StagedRun): Promise<GenerateResult> {
  const { params, stage } = r;
  // Every file and directory starts private, whatever the user's umask; public files are opened up by name.
  const umask = process.umask(0o077);
  try {
    const result = await runInWork(r);
    const journal = await inPhase('writing the journal', params.out, () =>
      writeJournal(stage.workDir, journalOf(r, result)),
    );
    await inPhase('finishing the work directory', params.out, () => finishWork(r));
    // The last moment a signal cancels: once the swap begins, it completes.
    throwIfCancelled(r.deps.signal);
    const { backup } = await stage.commit();
    return {
      params,
      cluster: r.cluster,
      plan: r.plan,
      records: result.records,
      backup,
      journal: join(params.out, relative(stage.workDir, journal)),
      durationMs: Date.now() - r.started.getTime(),
      keytool: result.keytool,
    };
  } catch (e) {
    throw await failed(r, e);
  } finally {
    process.umask(umask);
  }
}

/** The steps, in the work directory; a failed or cancelled run throws, its journal kept with the work directory. */
async function runInWork(r: StagedRun): Promise<RunResult> {
  const { params, plan, stage, deps } = r;
  await inPhase('preparing the work directory', params.out, async () => {
    for (const d of planDirs(plan)) await mkdir(join(stage.workDir, d), { recursive: true, mode: 0o700 });
  });
  const result = await runPlan(plan, {
    workDir: stage.workDir,
    tools: params.tools,
    secrets: {
      [STORE_PASSWORD_ENV]: params.password,
      ...(params.caKeyPassword ? { [CA_KEY_PASSWORD_ENV]: params.caKeyPassword } : {}),
      ...r.secrets,
    },
    concurrency: availableParallelism(),
    signal: deps.signal,
    exec: deps.exec,
    onEvent: deps.onEvent,
    streamOutput: params.verbose,
    keytoolJvm: params.keytoolJvm,
  });
  if (!result.cancelled && !result.failure) return result;
  // Only a kept work directory keeps the journal: a failure to write it must not hide the step's own.
  if (params.keepWork) await writeJournal(stage.workDir, journalOf(r, result)).catch(() => undefined);
  if (result.cancelled) throw new CancelledError({ target: params.out });
  throw new StepError(await withDiskHint(result.failure!, stage.workDir, params.out), { target: params.out });
}

function journalOf(r: StagedRun, result: RunResult): Journal {
  return {
    tool: 'kafka-mtls',
    command: r.command,
    startedAt: r.started.toISOString(),
    finishedAt: new Date().toISOString(),
    outcome: result.cancelled ? 'cancelled' : result.failure ? 'failed' : 'ok',
    params: publicParams(r.params),
    steps: result.records,
    failure: result.failure,
    keytool: result.keytool,
  };
}

/** After the steps: scratch removed, modes set, the command's own changes, the state file, the journals kept. */
async function finishWork(r: StagedRun): Promise<void> {
  const { params, cluster, plan, stage } = r;
  for (const d of plan.scratch) await rm(join(stage.workDir, d), { recursive: true, force: true });
  for (const f of plan.outputs) await chmod(join(stage.workDir, f.path), f.private ? 0o600 : 0o644);
  await r.finish?.(stage.workDir);
  // What the directory now holds, for a later plan or apply.
  const what = describedState(params, cluster, r.extraIdentities);
  const state = await describeDirectory(
    stage.workDir,
    what,
    { tools: params.tools, secrets: {} },
    r.previous,
    r.signed,
  );
  await writeState(stage.workDir, r.stateOverride ? r.stateOverride(state) : state);
  await chmod(join(stage.workDir, STATE_FILE), 0o644);
  await carryJournals(params.out, stage.workDir);
}

/** A step that failed on a full disk says so, whatever the tool printed. */
async function withDiskHint(f: StepFailure, workDir: string, target: string): Promise<StepFailure> {
  const fs = await statfs(workDir).catch(() => undefined);
  const full = fs !== undefined && fs.bavail * fs.bsize < 64 * 1024;
  return full ? { ...f, hint: ioHint('ENOSPC', target) } : f;
}

/** The work directory removed (or kept), and the error told so; an I/O failure becomes a report. */
async function failed(r: StagedRun, e: unknown): Promise<unknown> {
  // A swap that could not be undone has said where things are, and the new directory must stay.
  if (e instanceof OutputError && e.aftermath) return e;
  const keep = r.params.keepWork && !(e instanceof UsageError);
  const after = await r.stage.abandon(keep);
  if (e instanceof StepError || e instanceof CancelledError || e instanceof OutputError) return withAftermath(e, after);
  const report = asPhaseError('finishing the run', r.params.out, e);
  return report instanceof OutputError ? withAftermath(report, after) : report;
}
