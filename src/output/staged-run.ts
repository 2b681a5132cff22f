/** A run in a work directory beside its target: the steps, the journal, the state file, then the swap. */
import { availableParallelism } from 'node:os';
import { chmod, mkdir, rm, statfs } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Cluster, Identity } from '../model/cluster.js';
import { CancelledError, OutputError, StepError, UsageError, type StepFailure } from '../errors.js';
import type { RunParams } from '../options/params.js';
import { CA_KEY_PASSWORD_ENV, STORE_PASSWORD_ENV } from '../model/secret-names.js';
import type { StepRecord } from '../runner/record.js';
import { runPlan, type RunEvent, type RunResult } from '../runner/runner.js';
import type { Exec } from '../runner/exec.js';
import { planDirs, type Plan } from '../runner/step.js';
import { throwIfCancelled } from '../runner/cancel.js';
import type { SecretEnv } from '../secrets.js';
import { workPrefix } from './leftovers.js';
import type { Stage } from './stage.js';
import { carryJournals, publicParams, writeJournal, type Journal } from './journal.js';
import { asPhaseError, inPhase, ioHint, withAftermath } from './io.js';
import { describeDirectory, STATE_FILE, writeState } from './state-file.js';
import type { State } from '../model/state.js';

/** What a staged run made: its plan and cluster, each step's record, the backup and journal, and how long. */
export interface StagedRunResult {
  readonly params: RunParams;
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

/** What a run is given from outside: the environment, the signal, the listeners, and an exec for tests. */
export interface RunDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: RunEvent) => void;
  /** Called once the options are valid, before any step runs. */
  readonly onParams?: (p: RunParams) => void;
  /** A one-line warning for the user (the default or a weak password). */
  readonly warn?: (line: string) => void;
  readonly exec?: Exec;
  /** What a run found and put right beside its target (a stale lock, a killed run's work directory), for stderr. */
  readonly onNote?: (text: string) => void;
}

/** What kafka-mtls.json says of a run's cluster, beside the facts of its certificates. */
export function describedState(params: RunParams, cluster: Cluster, extra: readonly Identity[] = []) {
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

/** One staged run: the command's name for the journal, its plan, the stage it runs in, and its own changes. */
export interface StagedRun {
  readonly command: string;
  readonly started: Date;
  readonly params: RunParams;
  readonly cluster: Cluster;
  readonly plan: Plan;
  readonly stage: Stage;
  readonly deps: RunDeps;
  /** Identities the state file describes beyond the cluster (kept, not pruned), and who signed each kept one. */
  readonly previous?: State;
  readonly signed?: ReadonlySet<string>;
  readonly extraIdentities?: readonly Identity[];
  /** Runs in the work directory after the plan, before the state is written (e.g. --prune's removals). */
  readonly finish?: (workDir: string) => Promise<void>;
  /**
   * Runs once the work directory is complete, before the swap (the reload's pre-flight): what it throws fails the
   * run with the directory untouched.
   */
  readonly beforeSwap?: (workDir: string) => Promise<void>;
  /** Replaces fields of the state written at the end (rotate-ca: the CA description and the rotation's phase). */
  readonly stateOverride?: (state: State) => State;
  /** The generated store passwords, by variable (--generate-passwords). */
  readonly secrets?: SecretEnv;
}

/** Runs a plan in a stage's work directory, writes the journal and the state, and swaps the result in. */
export async function runStaged(r: StagedRun): Promise<StagedRunResult> {
  const { params, stage } = r;
  // Every file and directory starts private, whatever the user's umask; public files are opened up by name.
  const umask = process.umask(0o077);
  try {
    const result = await runInWork(r);
    const journal = await inPhase('writing the journal', params.out, () =>
      writeJournal(stage.workDir, journalOf(r, result)),
    );
    await inPhase('finishing the work directory', params.out, () => finishWork(r));
    await r.beforeSwap?.(stage.workDir);
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
    // The single executable's keytool host classes: beside the target, named as a work directory is.
    scratchPrefix: workPrefix(stage.target),
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
    { tools: params.tools, secrets: {}, signal: r.deps.signal },
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
