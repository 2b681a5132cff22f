/**
 * Reloading running brokers: which of their stores a run replaced, Kafka's own pre-flight on them before the swap,
 * and after it the plan's kafka-configs commands, one at a time, each checked before the next.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Identity } from '../model/cluster.js';
import { brokerStores, type Layout } from '../model/layouts.js';
import { StepError, type StepFailure } from '../errors.js';
import type { ReloadRequest } from '../options/reload.js';
import {
  describeArgs,
  describedValue,
  otherSpelling,
  type BrokerChange,
  type PreflightResult,
  type ReloadAlter,
  type ReloadedStep,
  type ReloadOutcome,
  type ReloadPlan,
} from '../plans/reload.js';
import { checkReloads, type ReloadCheck } from '../pki/reload-check.js';
import { storeType } from '../pki/read.js';
import { formatCommand } from '../runner/command.js';
import { execProcess, type Exec, type ExecOutcome } from '../runner/exec.js';
import { redact, type SecretEnv } from '../secrets.js';
import type { KafkaTools } from './kafka.js';
import { passwordsOf, type AdminSettings, type BrokerSecrets } from './admin.js';

/** Which brokers' keystore and truststore differ between the directory before and after the run. */
export async function changedBrokers(
  before: string,
  after: string,
  brokers: readonly Identity[],
  layout: Layout,
): Promise<BrokerChange[]> {
  // A store that was not there (a broker being added) is read when that broker starts, and one no longer there (a
  // broker removed) is read by no one: neither is reloaded.
  const differs = async (file: string) => {
    const [a, b] = await Promise.all([
      readFile(join(before, file)).catch(() => undefined),
      readFile(join(after, file)).catch(() => undefined),
    ]);
    return a !== undefined && b !== undefined && !a.equals(b);
  };
  const out: BrokerChange[] = [];
  for (const who of brokers) {
    const f = brokerStores(layout, who);
    const change = { who, keystoreChanged: await differs(f.keystore), truststoreChanged: await differs(f.truststore) };
    if (change.keystoreChanged || change.truststoreChanged) out.push(change);
  }
  return out;
}

export interface PreflightContext {
  readonly before: string;
  readonly after: string;
  /** The output directory, for the report. */
  readonly target: string;
  readonly layout: Layout;
  readonly changes: readonly BrokerChange[];
  readonly plan: ReloadPlan;
  readonly kafka: KafkaTools;
  readonly keytool: string;
  readonly request: ReloadRequest;
  readonly passwords: BrokerSecrets;
  readonly signal?: AbortSignal;
  readonly exec?: Exec;
}

/**
 * Kafka's SslFactory asked about every store the plan reloads, wave by wave as the plan alters them (a truststore
 * first, then the keystore, each against what the broker then holds). Every refusal is named at once, as one
 * failed step: nothing has been asked of the cluster, and the directory is left as it was.
 */
export async function preflight(ctx: PreflightContext): Promise<PreflightResult> {
  const checks: ReloadCheck[] = [];
  const labels = new Map<string, string>();
  for (const c of ctx.changes) {
    const f = brokerStores(ctx.layout, c.who);
    const mine = ctx.plan.alters.filter((a) => a.broker === c.who.alias);
    if (mine.length === 0) continue;
    const pw = passwordsOf(c.who, ctx.passwords);
    const old = { keystore: join(ctx.before, f.keystore), truststore: join(ctx.before, f.truststore) };
    const neu = { keystore: join(ctx.after, f.keystore), truststore: join(ctx.after, f.truststore) };
    const types = {
      keystoreType: await storeType(neu.keystore),
      truststoreType: await storeType(neu.truststore),
    };
    // Checked as the inter-broker listener's, the strictest: one alter makes the broker re-check every listener
    // whose files changed (Kafka 4.1.1, measured), and the inter-broker one uses these stores too.
    const base = { interBroker: true, ...types, keystorePassword: pw.keystore, truststorePassword: pw.truststore };
    const mid = { keystore: old.keystore, truststore: neu.truststore };
    if (c.truststoreChanged) {
      checks.push({ id: `${c.who.alias}.truststore`, current: old, next: mid, ...base });
      labels.set(`${c.who.alias}.truststore`, `${c.who.alias}: ${f.truststore}`);
    }
    if (c.keystoreChanged) {
      checks.push({ id: `${c.who.alias}.keystore`, current: c.truststoreChanged ? mid : old, next: neu, ...base });
      labels.set(`${c.who.alias}.keystore`, `${c.who.alias}: ${f.keystore}`);
    }
  }
  const command = `KafkaReloadCheck (Kafka's SslFactory.validateReconfiguration, from ${ctx.kafka.libs})`;
  const result = await checkReloads(checks, {
    keytool: ctx.keytool,
    libs: ctx.kafka.libs,
    cwd: ctx.after,
    allows: ctx.request.allows,
    signal: ctx.signal,
    exec: ctx.exec,
  });
  const aftermath = { target: ctx.target };
  if (result.kind === 'unavailable')
    throw new StepError(
      {
        stepId: 'reload.preflight',
        title: "Kafka's own check of the new stores",
        command,
        kind: 'check-failed',
        reason: `Kafka's check could not be made, so nothing says the brokers would accept the new stores: ${result.reason}`,
        outputTail: [],
        hint: "check --kafka-libs (Kafka's libs directory, with kafka-clients-*.jar) and that --keytool's JDK runs it",
      },
      aftermath,
    );
  const refused = result.verdicts.filter((v) => !v.ok);
  if (refused.length > 0) {
    const lines = refused.map((v) => {
      const what = labels.get(v.check) ?? v.check;
      const when = !v.ok && v.stage === 'current' ? ' (the stores it holds now do not load)' : '';
      return `${what}${when}: ${!v.ok ? v.error : ''}`;
    });
    throw new StepError(
      {
        stepId: 'reload.preflight',
        title: `Kafka ${result.kafkaVersion}'s own check of the new stores`,
        command,
        kind: 'check-failed',
        reason: `Kafka ${result.kafkaVersion} would refuse ${refused.length} of ${checks.length} reloads`,
        outputTail: lines,
        hint:
          'nothing was asked of the cluster. A changed subject or a dropped SAN needs the brokers to set ' +
          'ssl.allow.dn.changes / ssl.allow.san.changes (Kafka 3.7+; then pass --kafka-allows) or a rolling ' +
          'restart; trust broken between the stores needs rotate-ca, phase by phase',
      },
      aftermath,
    );
  }
  return { kafkaVersion: result.kafkaVersion, checks: checks.length };
}

export interface ReloadContext {
  readonly target: string;
  /** The user's environment: Kafka's scripts read KAFKA_OPTS, KAFKA_HEAP_OPTS and KAFKA_LOG4J_OPTS from it. */
  readonly env: NodeJS.ProcessEnv;
  readonly backup?: string;
  readonly plan: ReloadPlan;
  readonly kafka: KafkaTools;
  readonly admin: AdminSettings;
  /** Each alter's setting as the broker held it before the swap (its --describe --all), by alter id. */
  readonly held: ReadonlyMap<string, string | undefined>;
  readonly signal?: AbortSignal;
  readonly exec?: Exec;
}

/** A kafka-configs command may wait for the admin client's own time-outs (60 s by default) and a JVM's start. */
const KAFKA_CONFIGS_TIMEOUT_MS = 180_000;

/** The plan's alters, one at a time, each checked with --describe; the first failure stops the run. */
export async function runReloadPlan(ctx: ReloadContext): Promise<ReloadOutcome> {
  const secrets = ctx.admin.secrets;
  const plan = withCommandConfig(ctx.plan, ctx.admin.path);
  const done: ReloadedStep[] = [];
  for (const planned of plan.alters) {
    const describe = describeArgs(plan, planned.brokerId);
    const describeCommand = formatCommand(ctx.kafka.kafkaConfigs, describe);
    // What the broker held when asked before the swap: an alter to another value is validated at once, and
    // refused with Kafka's reason (see otherSpelling).
    const current = ctx.held.get(planned.id);
    const alter = current === planned.value ? respelled(planned, otherSpelling(planned.value)) : planned;
    const command = formatCommand(ctx.kafka.kafkaConfigs, alter.args);
    const out = await kafkaConfigs(ctx, alter.args);
    const failure = failureOf(alter, command, out, secrets);
    if (failure) throw new StepError(failure, afterReloadFailure(ctx, done, alter));
    const seen = await kafkaConfigs(ctx, describe);
    const check = checkFailure(alter, describeCommand, seen, secrets);
    if (check) throw new StepError(check, afterReloadFailure(ctx, done, alter));
    done.push({ ...pick(alter), command });
  }
  return { adminIdentity: ctx.admin.identity, steps: done };
}

function respelled(a: ReloadAlter, value: string): ReloadAlter {
  const setting = `${a.key}=${value}`;
  return { ...a, value, args: [...a.args.slice(0, -1), setting] };
}

function pick(a: ReloadAlter) {
  return { id: a.id, broker: a.broker, brokerId: a.brokerId, listener: a.listener, store: a.store };
}

export function kafkaConfigs(
  ctx: Pick<ReloadContext, 'exec' | 'kafka' | 'target' | 'env' | 'signal'>,
  args: readonly string[],
): Promise<ExecOutcome> {
  return (ctx.exec ?? execProcess)({
    file: ctx.kafka.kafkaConfigs,
    args,
    cwd: ctx.target,
    env: kafkaScriptEnv(ctx.env),
    timeoutMs: KAFKA_CONFIGS_TIMEOUT_MS,
    signal: ctx.signal,
  });
}

/** What Kafka's bin scripts read beyond the narrow environment every child gets (JAVA_HOME is in it already). */
const KAFKA_SCRIPT_VARIABLES = [
  'KAFKA_OPTS',
  'KAFKA_HEAP_OPTS',
  'KAFKA_LOG4J_OPTS',
  'KAFKA_JVM_PERFORMANCE_OPTS',
  'JAVA',
];

function kafkaScriptEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KAFKA_SCRIPT_VARIABLES) if (env[name] !== undefined) out[name] = env[name];
  return out;
}

function withCommandConfig(plan: ReloadPlan, path: string): ReloadPlan {
  const swap = (args: readonly string[]) => args.map((a, i) => (args[i - 1] === '--command-config' ? path : a));
  return { ...plan, commandConfig: path, alters: plan.alters.map((a) => ({ ...a, args: swap(a.args) })) };
}

/** What kafka-configs says, in known cases, and what to do next. */
const HINTS: readonly (readonly [RegExp, string])[] = [
  [
    /Validation of dynamic config update of SSLFactory failed|Invalid dynamic configuration|InvalidRequestException/,
    'the broker refused the new store (its reason above); the brokers before it have reloaded',
  ],
  [
    /TimeoutException|Timed out waiting|Connection to node .* could not be established|Connection refused/,
    'kafka-configs could not reach --bootstrap-server: check the address, and that the admin settings connect ' +
      '(security.protocol=SSL, a keystore the brokers trust)',
  ],
  [
    /SslAuthenticationException|SSL handshake failed|PKIX path/,
    "the admin client's TLS handshake failed: its truststore must trust the brokers, and the brokers its keystore",
  ],
  [
    /ClusterAuthorizationException|not authorized|TopicAuthorizationException|AuthorizationException/,
    'the admin identity may not alter broker configs: give it ALTER_CONFIGS on the cluster (or make it a super user)',
  ],
  [/UnknownServerException|does not exist|Broker .* not found|node .* not/i, 'check --broker-id: the node ids'],
];

export function hintFor(text: string): string | undefined {
  return HINTS.find(([re]) => re.test(text))?.[1];
}

function tail(text: string, secrets: SecretEnv): string[] {
  const lines = redact(text, secrets)
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '' && !/^\s+at /.test(l));
  return lines.slice(-8);
}

function failureOf(alter: ReloadAlter, command: string, out: ExecOutcome, secrets: SecretEnv): StepFailure | undefined {
  const title = `reload the ${alter.store} of ${alter.broker} (node ${alter.brokerId}), listener ${alter.listener}`;
  if (out.kind === 'exited' && out.exitCode === 0) return undefined;
  if (out.kind === 'not-started')
    return {
      stepId: alter.id,
      title,
      command,
      kind: 'not-started',
      reason: `kafka-configs did not start: ${out.message}`,
      outputTail: [],
      hint: "check --kafka-configs: Kafka's bin/kafka-configs.sh",
    };
  const text = `${out.stderr}\n${out.stdout}`;
  return {
    stepId: alter.id,
    title,
    command,
    kind: out.kind === 'exited' ? 'exit-code' : out.kind === 'timed-out' ? 'timed-out' : 'cancelled',
    reason:
      out.kind === 'exited'
        ? `kafka-configs exited with code ${out.exitCode}`
        : `kafka-configs ${out.kind === 'timed-out' ? 'timed out' : 'was stopped'}`,
    ...(out.kind === 'exited' ? { exitCode: out.exitCode } : {}),
    outputTail: tail(out.stderr.trim() ? out.stderr : out.stdout, secrets),
    hint: hintFor(text),
  };
}

/** The broker holds the new setting: its --describe lists it with the path altered to. */
function checkFailure(alter: ReloadAlter, command: string, out: ExecOutcome, secrets: SecretEnv) {
  const failed = failureOf(alter, command, out, secrets);
  if (failed) return { ...failed, reason: `the check after the alter failed: ${failed.reason}` };
  const said = out.kind === 'exited' ? out.stdout : '';
  if (describedValue(said, alter.key) === alter.value) return undefined;
  const f: StepFailure = {
    stepId: alter.id,
    title: `check that ${alter.broker} (node ${alter.brokerId}) holds ${alter.key}`,
    command,
    kind: 'check-failed',
    reason: `the broker's dynamic settings do not list ${alter.key}=${alter.value} after the alter`,
    outputTail: tail(said, secrets),
    hint: 'the alter reached another broker, or was not kept: check --broker-id',
  };
  return f;
}

/** After a failed alter: the files are swapped in, and some brokers may have reloaded. */
function afterReloadFailure(ctx: ReloadContext, done: readonly ReloadedStep[], failed: ReloadAlter) {
  const reloaded = done.length > 0 ? done.map((d) => `${d.broker} ${d.store} on ${d.listener}`).join(', ') : 'none';
  const left = ctx.plan.alters.slice(ctx.plan.alters.findIndex((a) => a.id === failed.id));
  return {
    target: ctx.target,
    targetNote:
      `The new files are in ${ctx.target}` +
      (ctx.backup ? ` (the previous ones in ${ctx.backup})` : '') +
      `. Reloaded: ${reloaded}. Not reloaded: ${left.map((a) => `${a.broker} ${a.store} on ${a.listener}`).join(', ')}` +
      '. Once fixed, run the remaining commands of the reload plan, or restart those brokers.',
  };
}
