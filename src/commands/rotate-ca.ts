/**
 * `rotate-ca start|reissue|finish`: replace the CA of a running cluster without downtime, one phase between
 * rolling restarts. Each phase runs like apply: in a copy of the directory, swapped in with a backup, or not at all.
 */
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import type { CaSpec, Cluster } from '../model/cluster.js';
import { named, UsageError } from '../errors.js';
import { GENERATED_PASSWORDS, SHARED_PASSWORD } from '../model/passwords.js';
import * as v from '../model/rules.js';
import { parseKeyType, withKey, type KeySpec } from '../model/keys.js';
import type { RunParams, RawRunOptions } from '../options/params.js';
import {
  addOptions,
  caKeyTypeOption,
  jsonOption,
  keepWorkOption,
  outOption,
  passwordFileOption,
  toolOptions,
  verboseOption,
} from '../options/flags.js';
import { buildPlan } from '../plans/generate.js';
import {
  checkOrder,
  finishPlan,
  nextSubject,
  reissueMoves,
  reissuePlan,
  startPlan,
  trustedIn,
} from '../plans/rotate-ca.js';
import { PHASES, PREVIOUS, type Phase, type State } from '../model/state.js';
import type { Plan } from '../runner/step.js';
import { targetOf, withClaim } from '../output/claim.js';
import { proveDirectoryPasswords } from '../planning/current.js';
import { listFiles } from '../output/files.js';
import { planRun } from '../planning/prepare-run.js';
import { openCopyStage } from '../output/stage.js';
import { runStaged, type RunDeps, type StagedRunResult } from '../output/staged-run.js';
import { openDirectory } from '../output/directory.js';
import { readGeneratedSecrets } from '../output/state-file.js';
import type { CommandIo } from '../report/io.js';
import { progressPrinter } from '../report/progress.js';
import { describePhase, formatRotated } from '../report/rotate-ca.js';
import { summaryJson } from '../report/summary.js';
import { reloadOptions, type RawReloadOptions } from '../options/reload.js';
import { ReloadSession, type ReloadReport } from '../reload/session.js';
import { formatReloadReport, reloadJson } from '../report/reload.js';

const HELP = `
Examples (the runbook: one rolling restart of the brokers after each phase):
  kafka-mtls rotate-ca start     # new CA in every truststore; roll brokers and clients' truststores
  kafka-mtls rotate-ca reissue   # every certificate from the new CA; roll brokers, give clients their new keystores
  kafka-mtls rotate-ca finish    # old CA out of the truststores; roll again
  kafka-mtls rotate-ca reissue --dry-run --out /work/certs
Or with no restart, each phase reloaded in the running brokers:
  kafka-mtls rotate-ca start --reload --bootstrap-server kafka-0:9093 --kafka-configs /opt/kafka/bin/kafka-configs.sh

Exit codes:
  0    the phase was applied (or, with --dry-run, shown); with --reload, every broker reloaded
  1    a step failed: nothing was changed; or Kafka's pre-flight refused a new store: nothing was changed and
       nothing asked of the cluster; or a kafka-configs command failed after the swap: the new files are in place,
       the report says which brokers reloaded
  2    bad usage, the phase is out of order, or a store does not open with its password
  130  interrupted: nothing was changed`;

export interface RawRotateOptions
  extends
    Pick<RawRunOptions, 'out' | 'passwordFile' | 'openssl' | 'keytool' | 'keytoolJvm' | 'keepWork' | 'verbose'>,
    RawReloadOptions {
  dryRun?: boolean;
  json?: boolean;
  /** start: the new CA's key type (default: the old CA's). */
  caKeyType?: string;
}

export function rotateCommand(io: CommandIo): Command {
  const cmd = new Command('rotate-ca')
    .description(
      'Replace the CA without downtime: start (new CA in every truststore), reissue (every leaf from the new CA), ' +
        'finish (old CA out of the truststores)',
    )
    .argument('<phase>', 'start, reissue or finish')
    .addOption(outOption('the directory to rotate; the old one is kept as <dir>.bak-<UTC timestamp>'))
    .addOption(passwordFileOption())
    .option('--dry-run', 'print what the phase would do, and write nothing')
    .addOption(caKeyTypeOption())
    .addOption(jsonOption())
    .addOption(keepWorkOption())
    .addOption(verboseOption());
  addOptions(cmd, reloadOptions());
  return addOptions(cmd, toolOptions())
    .addHelpText('after', HELP)
    .action((phase: string, opts: RawRotateOptions) => rotateAction(phase, opts, io));
}

async function rotateAction(phase: string, opts: RawRotateOptions, io: CommandIo): Promise<void> {
  const json = opts.json === true;
  io.jsonFailures(json);
  const r = await runRotate(phase, opts, {
    env: io.env,
    signal: io.signal,
    onNote: io.note,
    warn: opts.dryRun ? undefined : io.warn,
    onEvent: json || opts.dryRun ? undefined : progressPrinter(io.c, io.out, opts.verbose === true),
  });
  const tools = { openssl: opts.openssl ?? 'openssl', keytool: opts.keytool ?? 'keytool' };
  const reload = r.reload ? formatReloadReport(io.c, r.reload) : '';
  const reloadData = r.reload ? { reload: reloadJson(r.reload.plan, r.reload.done) } : {};
  if (opts.dryRun && json)
    io.out(
      JSON.stringify({ phase: r.phase, dryRun: true, steps: r.plan.steps.map((s) => s.id), ...reloadData }, null, 2) +
        '\n',
    );
  else if (opts.dryRun) io.out(describePhase(r, tools) + reload);
  else if (json) io.out(JSON.stringify({ phase: r.phase, ...summaryJson(r.run!), ...reloadData }, null, 2) + '\n');
  else io.out(formatRotated(io.c, r.phase, r.run!) + reload);
}

export interface RotateResult {
  readonly phase: Phase;
  readonly plan: Plan;
  /** Set unless --dry-run. */
  readonly run?: StagedRunResult;
  readonly state: State;
  /** The reload plan (also under --dry-run), and what --reload did. */
  readonly reload?: ReloadReport;
}

export async function runRotate(phaseArg: string, raw: RawRotateOptions, deps: RunDeps): Promise<RotateResult> {
  const phase = named('<phase>', () => v.oneOf(phaseArg, PHASES));
  if (raw.caKeyType !== undefined && phase !== 'start')
    throw new UsageError('--ca-key-type', 'is for rotate-ca start, which makes the new CA; reissue and finish use it');
  const nextKey = raw.caKeyType !== undefined ? named('--ca-key-type', () => parseKeyType(raw.caKeyType!)) : undefined;
  const opts = { ...raw, nextKey };
  if (raw.dryRun) return rotateClaimed(phase, opts, deps);
  return withClaim(await targetOf(raw.out), `rotate-ca ${phase}`, deps.onNote ?? (() => undefined), () =>
    rotateClaimed(phase, opts, deps),
  );
}

async function rotateClaimed(
  phase: Phase,
  raw: RawRotateOptions & { nextKey?: KeySpec },
  deps: RunDeps,
): Promise<RotateResult> {
  const started = new Date();
  const { dir, state, fallback } = await openDirectory(raw.out, deps.signal);
  checkOrder(phase, state);
  if (state.ca.external)
    throw new UsageError(
      `rotate-ca ${phase}`,
      `${dir} is signed by your own CA: rotate-ca replaces only a CA kafka-mtls made`,
    );
  const { params, warning } = await planRun(
    {
      out: dir,
      passwordFile: raw.passwordFile,
      openssl: raw.openssl,
      keytool: raw.keytool,
      keytoolJvm: raw.keytoolJvm,
      keepWork: raw.keepWork,
      verbose: raw.verbose,
    },
    deps,
    { requireTools: !raw.dryRun, fallback },
  );
  const nextCa =
    phase === 'start'
      ? withKey({ ...state.ca, subject: nextSubject(state.ca.subject) }, raw.nextKey ?? state.ca)
      : state.rotation!.nextCa;
  const present = new Set(await listFiles(dir));
  const secrets = state.generatedPasswords && !raw.dryRun ? await readGeneratedSecrets(dir, state, deps.signal) : {};
  const plan = phasePlan(phase, state, nextCa, present, params);
  const reload = await ReloadSession.open(
    { ...raw, reload: raw.dryRun ? false : raw.reload },
    {
      dir,
      layout: state.layout,
      deployment: state.deployment,
      brokers: state.identities.filter((i) => i.role === 'broker'),
      passwords: { generated: state.generatedPasswords === true, password: params.password, secrets },
      keytool: params.tools.keytool,
    },
    deps,
  );
  if (raw.dryRun)
    return { phase, plan, state, reload: { plan: reload.planFor(new Set(plan.outputs.map((o) => o.path))) } };

  await proveDirectoryPasswords(dir, state, params, secrets, deps);
  if (warning) deps.warn?.(warning);

  const stage = await openCopyStage(dir, {
    prepare: (work) => preparePhase(phase, state, dir, work),
    steps: () => plan.steps,
  });
  const cluster: Cluster = { ca: state.ca, identities: state.identities, storeType: state.storeType };
  const run = await runStaged({
    command: `rotate-ca ${phase}`,
    started,
    params,
    cluster: phase === 'reissue' ? { ...cluster, ca: nextCa } : cluster,
    plan,
    stage,
    deps,
    previous: state,
    secrets,
    signed: phase === 'reissue' ? new Set(state.identities.map((i) => i.alias)) : new Set(),
    stateOverride: (s) => rotatedState(phase, s, state, nextCa),
    beforeSwap: reload.beforeSwap,
  });
  return { phase, plan, run, state, reload: await reload.afterSwap(run.backup) };
}

/** The phase's plan, on the files the directory holds. */
function phasePlan(phase: Phase, state: State, nextCa: CaSpec, present: ReadonlySet<string>, params: RunParams): Plan {
  const passwords = state.generatedPasswords ? GENERATED_PASSWORDS : SHARED_PASSWORD;
  const trusted = trustedIn(phase, state.layout);
  const signing: Cluster = {
    ca: phase === 'reissue' ? nextCa : state.ca,
    identities: state.identities,
    storeType: state.storeType,
  };
  const full = buildPlan(params, signing, { trusted });
  if (phase === 'start') return startPlan(state, nextCa, present, passwords, full);
  if (phase === 'finish') return finishPlan(state, present, passwords, full);
  return reissuePlan(state, full, present);
}

/** In the work directory, before the steps: reissue moves the old CA aside, finish removes it. */
async function preparePhase(phase: Phase, state: State, dir: string, work: string): Promise<void> {
  if (phase === 'reissue') {
    for (const [from, to] of reissueMoves(state.layout)) {
      await rename(join(work, from), join(work, to)).catch(() => {
        throw new UsageError(
          'rotate-ca reissue',
          `${join(dir, from)} is missing: rotate-ca start made it; restore the directory from its backup`,
        );
      });
    }
  }
  if (phase === 'finish') for (const f of Object.values(PREVIOUS)) await rm(join(work, f), { force: true });
}

/** The state written after a phase: where the rotation stands, and after reissue the new CA as the signing one. */
function rotatedState(phase: Phase, written: State, before: State, nextCa: CaSpec): State {
  if (phase === 'start') return { ...written, rotation: { phase: 'started', previousCa: before.ca, nextCa } };
  if (phase === 'reissue') return { ...written, ca: nextCa, rotation: { ...before.rotation!, phase: 'reissued' } };
  return { ...written, rotation: undefined };
}
