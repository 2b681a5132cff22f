import { setMaxListeners } from 'node:events';
import { access, copyFile, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FailureKind, StepFailure } from '../errors.js';
import { findHint, TIMEOUT_HINT } from './hints.js';
import { Redactor, type SecretEnv } from '../secrets.js';
import { formatCommand } from './command.js';
import { describeManifest, renderManifest, SECRET_TOO_LARGE_HINT, SecretTooLargeError } from './manifest.js';
import { execProcess, type Exec, type ExecOutcome } from './exec.js';
import { HOST_JVM_SIZE, keytoolHost, type KeytoolHost } from './keytool-host.js';
import { isProgressNoise, tailLines, type StepRecord } from './record.js';
import { dependencies, type Plan, type Step, type Tool } from './step.js';
import { toolSettings } from './tools.js';

export type RunEvent =
  | { readonly kind: 'start'; readonly step: Step; readonly command: string }
  | { readonly kind: 'finish'; readonly record: StepRecord }
  /** One whole line of a step's output (--verbose), redacted, without key-generation progress noise. */
  | { readonly kind: 'output'; readonly step: Step; readonly stream: 'stdout' | 'stderr'; readonly line: string };

export interface RunOptions {
  readonly workDir: string;
  /** The executable for each tool: a name looked up on PATH, or a path. */
  readonly tools: Readonly<Record<Tool, string>>;
  /** Secrets by the environment variable that carries them. */
  readonly secrets: SecretEnv;
  readonly concurrency: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly exec?: Exec;
  readonly onEvent?: (e: RunEvent) => void;
  /** Stream each step's output as 'output' events (--verbose). */
  readonly streamOutput?: boolean;
  readonly now?: () => Date;
  /**
   * shared (the CLI's default, --keytool-jvm): keytool steps run in one JVM, as many at once as there are cores;
   * per-step, or unset: each in a keytool process of its own.
   */
  readonly keytoolJvm?: KeytoolJvm;
  /** A mkdtemp prefix beside the target for what the run needs apart from its work directory (keytool-host.ts). */
  readonly scratchPrefix?: string;
}

export type KeytoolJvm = 'shared' | 'per-step';

export interface RunResult {
  readonly records: readonly StepRecord[];
  /** The first step that failed; undefined when every step succeeded. */
  readonly failure?: StepFailure;
  readonly cancelled: boolean;
  /** How keytool ran; `fallback` says why steps ran per process when the shared JVM was asked for. */
  readonly keytool?: { readonly jvm: KeytoolJvm; readonly fallback?: string };
}

const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * Runs a plan's steps, as many processes at once as `concurrency` and their
 * files allow (the files the runner writes itself do not wait for a slot).
 * Stops starting steps at the first failure (or on `signal`), cancels
 * the ones still running, and returns every step's record. It never throws
 * for a step's failure: the caller decides what a failure means.
 */
export async function runPlan(plan: Plan, opts: RunOptions): Promise<RunResult> {
  const baseExec = opts.exec ?? execProcess;
  const host = sharedKeytoolHost(plan, opts, baseExec);
  // The JVM starts while the first keys are made: nothing needs keytool before the CA exists.
  host?.warm();
  const ctx: StepContext = {
    ...opts,
    redactor: new Redactor(opts.secrets, publicText(plan, opts.tools)),
    exec: host?.exec ?? baseExec,
    inJvm: () => host !== undefined && host.unavailable() === undefined,
    now: opts.now ?? (() => new Date()),
  };
  let ran: { records: ReadonlyArray<StepRecord | undefined>; failure?: StepFailure };
  try {
    ran = await runSteps(plan.steps, ctx);
  } finally {
    // Every step has ended: the JVM goes (or, when it never started, nothing does).
    await host?.close();
  }
  const records = plan.steps.map(
    (s, i): StepRecord =>
      ran.records[i] ?? { id: s.id, title: s.title, command: shownCommand(s, ctx), outcome: 'not-run' },
  );
  const cancelled = opts.signal?.aborted === true;
  const keytool = keytoolUse(plan, host);
  return { records, failure: ran.failure, cancelled, ...(keytool ? { keytool } : {}) };
}

/** What a step runs with: the run's options, the redactor every shown text goes through, the exec to use. */
type StepContext = Omit<RunOptions, 'exec' | 'now'> & {
  readonly redactor: Redactor;
  readonly exec: Exec;
  readonly now: () => Date;
  /** Whether a step's `jvm` command runs instead of its tool's (a shared JVM runs, as far as is known). */
  readonly inJvm: () => boolean;
};

/** How many keytool steps the plan has: the host is started only for a plan with some, its JIT sized by them. */
function keytoolStepCount(plan: Plan): number {
  return plan.steps.filter((s) => s.action.kind === 'exec' && s.action.tool === 'keytool').length;
}

/** The shared JVM for the plan's keytool steps (--keytool-jvm shared); none for per-step or a plan without any. */
function sharedKeytoolHost(plan: Plan, opts: RunOptions, baseExec: Exec): KeytoolHost | undefined {
  const keytoolSteps = keytoolStepCount(plan);
  if (keytoolSteps === 0 || opts.keytoolJvm !== 'shared') return undefined;
  return keytoolHost(baseExec, {
    keytool: opts.tools.keytool,
    cwd: opts.workDir,
    // A JVM's environment is fixed at its start: it gets every secret any keytool step reads.
    env: processEnv(keytoolSecrets(plan), opts.secrets, 'keytool host'),
    jvmOptions: HOST_JVM_SIZE,
    ...(opts.scratchPrefix !== undefined ? { scratchPrefix: opts.scratchPrefix } : {}),
  });
}

/** How keytool ran, for the journal and --json; undefined for a plan without keytool steps. */
function keytoolUse(plan: Plan, host: KeytoolHost | undefined): RunResult['keytool'] {
  if (keytoolStepCount(plan) === 0) return undefined;
  const fallback = host?.unavailable();
  return { jvm: host && !fallback ? 'shared' : 'per-step', ...(fallback ? { fallback } : {}) };
}

/**
 * The scheduler: starts every step whose inputs are done, in startOrder, while a slot is free; at the first
 * failure (or the caller's signal) starts nothing more and cancels what runs, then waits for all of it to end.
 * The records of the steps that never started are left undefined.
 */
async function runSteps(
  steps: readonly Step[],
  ctx: StepContext,
): Promise<{ records: ReadonlyArray<StepRecord | undefined>; failure?: StepFailure }> {
  const deps = dependencies(steps);
  const order = startOrder(steps, deps);
  const state: StepState[] = steps.map(() => 'waiting');
  const records: Array<StepRecord | undefined> = steps.map(() => undefined);
  const { stop, unlink } = stopWith(ctx.signal);
  let failure: StepFailure | undefined;
  const running = new Set<Promise<void>>();
  let processes = 0;

  const runOne = async (i: number): Promise<void> => {
    const result = await runStep(steps[i]!, ctx, stop.signal);
    records[i] = result.record;
    state[i] = 'done';
    // A step cancelled because another failed is not the failure to report.
    const cancelledByUs = result.failure?.kind === 'cancelled' && !ctx.signal?.aborted;
    if (result.failure && !failure && !cancelledByUs) {
      failure = result.failure;
      stop.abort();
    }
    ctx.onEvent?.({ kind: 'finish', record: result.record });
  };

  try {
    for (;;) {
      if (!stop.signal.aborted) {
        for (const i of stepsToStart(steps, deps, order, state, processes, ctx.concurrency)) {
          const isProcess = isProcessStep(steps[i]!);
          state[i] = 'running';
          if (isProcess) processes++;
          const p: Promise<void> = runOne(i).finally(() => {
            running.delete(p);
            if (isProcess) processes--;
          });
          running.add(p);
        }
      }
      if (running.size === 0) break;
      await Promise.race(running);
    }
  } finally {
    unlink();
  }
  return { records, failure };
}

export type StepState = 'waiting' | 'running' | 'done';

/**
 * The steps to start now, given what runs: every ready file the runner writes itself, and ready processes in
 * `order` while a slot is free. The limit is on processes: a file (a config, a copy) takes a millisecond, and
 * waiting for a slot would hold up the signature that reads it. A process that waits only for such files,
 * being written now, keeps its place in the order: a slot is held for it. Else the CA key, whose openssl.cnf
 * happened to be written a millisecond after a broker's, waited for two leaf keys (0.5 s at 3 brokers, in one
 * run of eight).
 */
export function stepsToStart(
  steps: readonly Step[],
  deps: readonly (readonly number[])[],
  order: readonly number[],
  state: readonly StepState[],
  processes: number,
  concurrency: number,
): number[] {
  const now = [...state];
  const ready = (i: number) => now[i] === 'waiting' && deps[i]!.every((d) => now[d] === 'done');
  const files = order.filter((i) => !isProcessStep(steps[i]!) && ready(i));
  for (const i of files) now[i] = 'running';
  const started: number[] = [];
  let held = 0;
  for (const i of order) {
    if (now[i] !== 'waiting' || !isProcessStep(steps[i]!)) continue;
    if (!ready(i)) {
      if (deps[i]!.every((d) => now[d] === 'done' || (now[d] === 'running' && !isProcessStep(steps[d]!)))) held++;
      continue;
    }
    if (processes + started.length + held >= concurrency) continue;
    started.push(i);
  }
  return [...files, ...started];
}

/** A step that runs a tool; the others are files the runner writes itself. */
function isProcessStep(step: Step): boolean {
  return step.action.kind === 'exec';
}

/** What stops the steps: aborted at the first failure, and by the caller's signal until `unlink`. */
function stopWith(outer: AbortSignal | undefined): { stop: AbortController; unlink: () => void } {
  const stop = new AbortController();
  // One listener per running step's process (see cli.ts): as many as the steps that run at once.
  setMaxListeners(0, stop.signal);
  const onOuterAbort = () => stop.abort();
  outer?.addEventListener('abort', onOuterAbort);
  if (outer?.aborted) stop.abort();
  return { stop, unlink: () => outer?.removeEventListener('abort', onOuterAbort) };
}

/** One step, from its 'start' event to its record (timed, its command redacted) and its failure if any. */
async function runStep(
  step: Step,
  ctx: StepContext,
  signal: AbortSignal,
): Promise<{ record: StepRecord; failure?: StepFailure }> {
  const command = shownCommand(step, ctx);
  ctx.onEvent?.({ kind: 'start', step, command });
  const started = ctx.now();
  const result = await performStep(step, command, ctx, signal);
  const record: StepRecord = {
    id: step.id,
    title: step.title,
    command,
    startedAt: started.toISOString(),
    durationMs: ctx.now().getTime() - started.getTime(),
    ...result.record,
  };
  return { record, failure: result.failure };
}

/** A step's command as the run shows it: secrets redacted. */
function shownCommand(step: Step, ctx: Pick<StepContext, 'redactor' | 'tools' | 'inJvm'>, inJvm = ctx.inJvm()): string {
  const a = step.action;
  if (a.kind === 'exec' && a.jvm && inJvm)
    return ctx.redactor.text(`(shared JVM) ${formatCommand(a.jvm[0]!, a.jvm.slice(1))}`);
  return ctx.redactor.text(describeAction(step, ctx.tools));
}

/**
 * Which ready step gets a free slot first: the one with the most processes
 * before it, then the one more steps wait for, then plan order. Finishing a
 * started certificate (sign, bundle, import) before making the next key keeps
 * keytool busy alongside the key generation, instead of leaving every import
 * to a tail at the end. When the CA key is done, the keystores' base (every
 * import waits for it) and the certificates' signatures go before the
 * truststore and the CA's check, which nothing waits for but their own check.
 */
export function startOrder(steps: readonly Step[], deps: readonly (readonly number[])[]): number[] {
  const depth: number[] = [];
  for (const [i, s] of steps.entries())
    depth[i] = Math.max(0, ...deps[i]!.map((d) => depth[d]!)) + (s.action.kind === 'exec' ? 1 : 0);
  // Every step that waits for step i, directly or not: steps come in a valid order, so a later one's set is
  // complete when an earlier step adds it.
  const waiting = steps.map(() => new Set<number>());
  for (let i = steps.length - 1; i >= 0; i--)
    for (const d of deps[i]!) {
      waiting[d]!.add(i);
      for (const w of waiting[i]!) waiting[d]!.add(w);
    }
  return steps.map((_, i) => i).sort((a, b) => depth[b]! - depth[a]! || waiting[b]!.size - waiting[a]!.size || a - b);
}

/**
 * What a run shows of itself besides the tools' output: its commands, titles and
 * the files it writes (subjects, names). A secret found here is public anyway.
 */
function publicText(plan: Plan, tools: Readonly<Record<Tool, string>>): string {
  const parts: string[] = [];
  for (const s of plan.steps) {
    parts.push(s.id, s.title, describeAction(s, tools));
    if (s.action.kind === 'write') parts.push(s.action.content);
  }
  return parts.join('\n');
}

/** `NAME=value ` for each setting, quoted for the shell. */
function settingsPrefix(settings: Readonly<Record<string, string>>): string {
  return Object.entries(settings)
    .map(([name, value]) => `${name}=${formatCommand(value, [])} `)
    .join('');
}

/** The command a step runs, as a user would type it. */
export function describeAction(step: Step, tools: Readonly<Record<Tool, string>>): string {
  const a = step.action;
  switch (a.kind) {
    case 'exec':
      return settingsPrefix(toolSettings(a.tool, a.args)) + formatCommand(tools[a.tool], a.args);
    case 'copy':
      return formatCommand('cp', [a.from, a.to]);
    case 'concat':
      return `${formatCommand('cat', a.from)} > ${formatCommand(a.to, [])}`;
    case 'write':
      return a.fill
        ? `write ${a.path}, with ${a.fill.map((x) => `${x.marker} replaced by $${x.secretEnv}`).join(', ')}`
        : `write ${a.path}`;
    case 'write-secret': {
      // Runnable as it stands (the --dry-run script): bash doubles the backslashes, as Properties wants.
      const lines = a.entries.map((e) =>
        e.key === undefined ? `"$${e.secretEnv}"` : `"${e.key}=\${${e.secretEnv}//\\\\/\\\\\\\\}"`,
      );
      return `printf '%s\\n' ${lines.join(' ')} > ${formatCommand(a.path, [])}`;
    }
    case 'secret-manifest':
      return describeManifest(a);
  }
}

interface StepResult {
  readonly record: Pick<StepRecord, 'outcome' | 'exitCode' | 'stdoutTail' | 'stderrTail' | 'detail'> & {
    /** What ran, when not what the step showed as it started: a tool's command in place of a JVM's. */
    readonly command?: string;
  };
  readonly failure?: StepFailure;
}

type ExecAction = Extract<Step['action'], { kind: 'exec' }>;
type FileAction = Exclude<Step['action'], { kind: 'exec' }>;
/** A process that ran: it started, whatever became of it. */
type Ran = Exclude<ExecOutcome, { kind: 'not-started' }>;

/**
 * Runs one step and judges it. A process is classified in a fixed order (could not start, timed out, cancelled,
 * killed, non-zero exit, an expected file missing, the check failed), so that no outcome hides an earlier one:
 * a tool that exits 0 without writing its file still fails.
 */
async function performStep(step: Step, shown: string, ctx: StepContext, signal: AbortSignal): Promise<StepResult> {
  const a = step.action;
  if (a.kind !== 'exec') return performFileAction(step, a, shown, ctx);
  const outcome = await runProcess(step, a, ctx, signal);
  // A JVM that could not start after the step did: its tool's command ran instead, and the record says so.
  const command = a.jvm ? shownCommand(step, ctx, outcome.inJvm === true) : shown;
  const result = await judgeProcess(step, a, outcome, command, ctx);
  return command === shown ? result : { ...result, record: { ...result.record, command } };
}

/** A process's (or a JVM command's) end, judged: its failure, or its record. */
async function judgeProcess(
  step: Step,
  a: ExecAction,
  outcome: ExecOutcome,
  command: string,
  ctx: StepContext,
): Promise<StepResult> {
  if (outcome.kind === 'not-started') {
    return failed(step, command, ctx, 'not-started', `${ctx.tools[a.tool]} could not be started (${outcome.code})`, {
      hint: outcome.code === 'ENOENT' ? notInstalledHint(a.tool) : undefined,
    });
  }
  // Checks read what the tool wrote; only what is shown (tails, reasons, details) is redacted.
  // Output of a process stopped before it ended may end with the first piece of a secret: hidden as cut.
  const cut = outcome.kind !== 'exited';
  const stdout = ctx.redactor.text(outcome.stdout, cut || !outcome.stdout.endsWith('\n'));
  const stderr = ctx.redactor.text(outcome.stderr, cut || !outcome.stderr.endsWith('\n'));
  const outputTail = tailLines(stderr.trim() !== '' ? stderr : stdout);
  const tails = { stdoutTail: tailLines(stdout).join('\n'), stderrTail: tailLines(stderr).join('\n') };
  // Every failure of a process that ran shows the end of its output.
  const fail: Fail = (kind, reason, extra = {}) => failed(step, command, ctx, kind, reason, { outputTail, ...extra });
  const bad = endFailure(a, outcome, ctx, fail) ?? (await outputFailure(step, a, outcome, ctx, fail));
  if (bad) return { ...bad, record: { ...bad.record, ...tails } };
  const detail = step.summarize?.({ exitCode: 0, stdout: outcome.stdout, stderr: outcome.stderr });
  const shown = detail === undefined ? undefined : ctx.redactor.text(detail);
  return { record: { outcome: 'ok', exitCode: 0, ...tails, detail: shown } };
}

/** The runner's own file actions (a config, a copy, a secret file): no process, so only an I/O error can fail. */
async function performFileAction(step: Step, a: FileAction, command: string, ctx: StepContext): Promise<StepResult> {
  try {
    await writeFileAction(step, a, ctx);
  } catch (e) {
    if (e instanceof SecretTooLargeError)
      return failed(step, command, ctx, 'check-failed', e.message, { hint: SECRET_TOO_LARGE_HINT });
    return failed(step, command, ctx, 'io-error', `could not ${a.kind} the file: ${(e as Error).message}`, {
      hint: fileHint(e),
    });
  }
  return { record: { outcome: 'ok' } };
}

/** The step's process, with its secrets in its environment; --verbose gets its output line by line as it comes. */
async function runProcess(step: Step, a: ExecAction, ctx: StepContext, signal: AbortSignal): Promise<ExecOutcome> {
  const env = { ...toolSettings(a.tool, a.args), ...processEnv(a.secretEnv ?? [], ctx.secrets, `step ${step.id}`) };
  const streams = ctx.streamOutput ? streamLines(step, ctx) : undefined;
  const outcome = await ctx.exec({
    file: ctx.tools[a.tool],
    args: a.args,
    cwd: ctx.workDir,
    env,
    timeoutMs: ctx.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal,
    onOutput: streams ? (stream, text) => streams[stream].write(text) : undefined,
    ...(a.jvm ? { jvm: a.jvm } : {}),
  });
  streams?.stdout.end();
  streams?.stderr.end();
  return outcome;
}

/** A step's failure, as `failed` makes it, for the step and command at hand. */
type Fail = (kind: FailureKind, reason: string, extra?: Partial<StepFailure>) => StepResult;

/** How the process ended, when not with exit 0: timed out, cancelled, killed, or another exit code (and its hint). */
function endFailure(a: ExecAction, outcome: Ran, ctx: StepContext, fail: Fail): StepResult | undefined {
  if (outcome.kind === 'timed-out') {
    const seconds = Math.round((ctx.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000);
    return fail('timed-out', `timed out after ${seconds} s`, { hint: TIMEOUT_HINT });
  }
  if (outcome.kind === 'cancelled') return fail('cancelled', 'cancelled');
  if (outcome.kind === 'killed') return fail('exit-code', `killed by ${outcome.signal}`);
  if (outcome.exitCode === 0) return undefined;
  const hint = findHint(`${outcome.stderr}\n${outcome.stdout}`);
  return fail('exit-code', `${a.tool} exited with code ${outcome.exitCode}`, { exitCode: outcome.exitCode, hint });
}

/** After an exit 0: every file the step writes must be there, and its check must pass. */
async function outputFailure(
  step: Step,
  a: ExecAction,
  outcome: Ran,
  ctx: StepContext,
  fail: Fail,
): Promise<StepResult | undefined> {
  for (const f of step.writes) {
    try {
      await access(join(ctx.workDir, f));
    } catch {
      return fail('file-missing', `${a.tool} exited 0 but did not write ${f}`, { exitCode: 0 });
    }
  }
  const problem = step.check?.({ exitCode: 0, stdout: outcome.stdout, stderr: outcome.stderr });
  if (problem === undefined) return undefined;
  return fail('check-failed', problem, { exitCode: 0, hint: findHint(`${outcome.stderr}\n${outcome.stdout}`) });
}

/** A step's failure: its record, and the StepFailure the caller reports, the reason redacted. */
function failed(
  step: Step,
  command: string,
  ctx: Pick<StepContext, 'redactor'>,
  kind: FailureKind,
  reason: string,
  extra: Partial<StepFailure> = {},
): StepResult {
  const shownReason = ctx.redactor.text(reason);
  return {
    record: { outcome: kind === 'cancelled' ? 'cancelled' : 'failed', exitCode: extra.exitCode },
    failure: { stepId: step.id, title: step.title, command, kind, reason: shownReason, outputTail: [], ...extra },
  };
}

/** A step that writes or copies a file in the work directory (no process): the file actions of a plan. */
async function writeFileAction(step: Step, a: FileAction, opts: StepContext): Promise<void> {
  if (a.kind === 'copy') await copyFile(resolve(opts.workDir, a.from), join(opts.workDir, a.to));
  else if (a.kind === 'concat') {
    const parts = await Promise.all(a.from.map((f) => readFile(join(opts.workDir, f), 'utf8')));
    await writeFile(join(opts.workDir, a.to), parts.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join(''));
  } else if (a.kind === 'write-secret') {
    const lines = a.entries.map((e) => {
      const value = secretValue(opts.secrets, step, e.secretEnv);
      return e.key === undefined ? value : `${e.key}=${propertiesEscape(value)}`;
    });
    await writeFile(join(opts.workDir, a.path), lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
  } else if (a.kind === 'secret-manifest') {
    const data: Array<[string, Buffer]> = [];
    for (const e of a.entries) {
      const bytes =
        'files' in e
          ? Buffer.concat(await Promise.all(e.files.map((f) => readFile(join(opts.workDir, f)))))
          : Buffer.from(secretValue(opts.secrets, step, e.secretEnv));
      data.push([e.key, bytes]);
    }
    await writeFile(join(opts.workDir, a.path), renderManifest(a, data), { mode: 0o600 });
  } else if (a.fill) {
    let text = a.content;
    for (const x of a.fill)
      text = text.split(x.marker).join(propertiesEscape(secretValue(opts.secrets, step, x.secretEnv)));
    await writeFile(join(opts.workDir, a.path), text, { mode: 0o600 });
  } else await writeFile(join(opts.workDir, a.path), a.content);
}

function notInstalledHint(tool: 'openssl' | 'keytool'): string {
  const install =
    tool === 'keytool'
      ? 'Install a JDK (keytool ships with it) or pass --keytool PATH.'
      : 'Install openssl or pass --openssl PATH.';
  return `${tool} is not installed or not on PATH. ${install}`;
}

/** --verbose: a step's output as whole, redacted lines, one event each; openssl's key-generation dots left out. */
function streamLines(step: Step, opts: StepContext) {
  const stream = (name: 'stdout' | 'stderr') =>
    opts.redactor.lines((line) => {
      if (!isProgressNoise(line)) opts.onEvent?.({ kind: 'output', step, stream: name, line });
    });
  return { stdout: stream('stdout'), stderr: stream('stderr') };
}

/** A tool's environment: the C locale, and the secrets it names, by variable. */
function processEnv(names: readonly string[], secrets: SecretEnv, who: string): Record<string, string> {
  const env: Record<string, string> = { LC_ALL: 'C' };
  for (const name of names) {
    const secret = secrets[name];
    // A plan naming a secret the caller did not give is a bug, not a user error.
    if (!secret) throw new Error(`${who} needs secret ${name}, which the run was not given`);
    env[name] = secret.reveal();
  }
  return env;
}

/** Every secret a keytool step of the plan reads. */
function keytoolSecrets(plan: Plan): string[] {
  const names = new Set<string>();
  for (const s of plan.steps)
    if (s.action.kind === 'exec' && s.action.tool === 'keytool') for (const n of s.action.secretEnv ?? []) names.add(n);
  return [...names];
}

/** java.util.Properties reads backslashes as escapes and drops leading blanks. */
export function propertiesEscape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/^ /, '\\ ');
}

function secretValue(secrets: SecretEnv, step: Step, name: string): string {
  const secret = secrets[name];
  // A plan naming a secret the caller did not give is a bug, not a user error.
  if (!secret) throw new Error(`step ${step.id} needs secret ${name}, which the run was not given`);
  return secret.reveal();
}

function fileHint(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return 'The file or its directory is not writable: check permissions and free space.';
  if (code === 'ENOSPC') return 'The disk is full.';
  return undefined;
}
