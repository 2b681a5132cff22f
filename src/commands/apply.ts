/**
 * `apply`: carry out the plan on an existing directory without regenerating its CA: new and reissued certificates
 * signed by it, the rest kept byte for byte, in a copy of the directory swapped in with a backup.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { layoutFiles } from '../model/layouts.js';
import {
  addOptions,
  clusterOptions,
  jsonOption,
  keepWorkOption,
  outOption,
  toolOptions,
  verboseOption,
} from '../options/flags.js';
import { lifecycleOptions, parseDiffOptions, type RawLifecycleOptions } from '../options/lifecycle.js';
import { diffCluster, hasChanges, toSign, type Change } from '../plans/diff.js';
import { restrictPlan } from '../plans/partial.js';
import { targetOf, withClaim } from '../output/claim.js';
import { caOutlived, proveDirectoryPasswords, readCurrent } from '../planning/current.js';
import { openCopyStage } from '../output/stage.js';
import { runStaged, type RunDeps, type StagedRunResult } from '../output/staged-run.js';
import type { CommandIo } from '../report/io.js';
import { progressPrinter } from '../report/progress.js';
import { appliedJson, formatApplied } from '../report/summary.js';
import { reloadOptions, type RawReloadOptions } from '../options/reload.js';
import { reloadTarget, ReloadSession, type ReloadReport } from '../reload/session.js';
import { formatReloadReport, reloadJson } from '../report/reload.js';

const HELP = `
Examples:
  PASSWORD=... kafka-mtls apply --brokers 5    # adds mtls-kafka-3 and -4, signed by the existing CA

  kafka-mtls apply --renew-before 30 --reload --bootstrap-server kafka-0:9093 --kafka-configs /opt/kafka/bin/kafka-configs.sh
                                               # renews, then the brokers reload their keystores with no restart

Exit codes:
  0    applied, or nothing to do (the directory is untouched); with --reload, every broker reloaded
  1    a step failed: nothing was changed; or Kafka's pre-flight refused a new store: nothing was changed and
       nothing asked of the cluster; or a kafka-configs command failed after the swap: the new files are in place,
       the report says which brokers reloaded
  2    bad usage, the directory holds no kafka-mtls.json, or a store does not open with its password; with
       --reload, a broker the cluster does not name, or a listener that reads another file (nothing changed)
  130  interrupted: nothing was changed`;

export function applyCommand(io: CommandIo): Command {
  const cmd = new Command('apply').description(
    'Carry out the plan: add and reissue certificates with the existing CA, keep the rest byte for byte, ' +
      'back up the old directory',
  );
  addOptions(cmd, lifecycleOptions()).addOption(
    outOption('the directory to change, made by kafka-mtls; the old one is kept as <dir>.bak-<UTC timestamp>'),
  );
  addOptions(cmd, clusterOptions()).addOption(keepWorkOption()).addOption(verboseOption()).addOption(jsonOption());
  addOptions(cmd, reloadOptions());
  return addOptions(cmd, toolOptions())
    .addHelpText('after', HELP)
    .action(async (opts: RawLifecycleOptions & RawReloadOptions) => {
      const json = opts.json === true;
      io.jsonFailures(json);
      const r = await runApply(opts, {
        env: io.env,
        signal: io.signal,
        onNote: io.note,
        warn: io.warn,
        onEvent: json ? undefined : progressPrinter(io.c, io.out, opts.verbose === true),
      });
      const reload = r.reload ? { reload: reloadJson(r.reload.plan, r.reload.done) } : {};
      io.out(
        json
          ? JSON.stringify({ ...appliedJson(r.changes, r.run), ...reload }, null, 2) + '\n'
          : formatApplied(io.c, r.changes, r.run) + (r.reload ? formatReloadReport(io.c, r.reload) : ''),
      );
    });
}

export interface ApplyResult {
  readonly changes: readonly Change[];
  /** Undefined when there was nothing to do: the directory was not touched. */
  readonly run?: StagedRunResult;
  /** The reload plan, and what --reload did. */
  readonly reload?: ReloadReport;
}

export async function runApply(raw: RawLifecycleOptions & RawReloadOptions, deps: RunDeps): Promise<ApplyResult> {
  // Held from before the directory is read: a second apply would otherwise work from the same old state.
  return withClaim(await targetOf(raw.out), 'apply', deps.onNote ?? (() => undefined), () => applyClaimed(raw, deps));
}

type Read = Awaited<ReturnType<typeof readCurrent>>;

async function applyClaimed(raw: RawLifecycleOptions & RawReloadOptions, deps: RunDeps): Promise<ApplyResult> {
  const started = new Date();
  const opts = parseDiffOptions(raw);
  const read = await readCurrent(raw, deps, true);
  await checkApplicable(read, deps);
  const reload = await ReloadSession.open(raw, reloadTarget(read, read.cluster.identities), deps);
  const changes = diffCluster(read.cluster, read.current, opts);
  const late = caOutlived(read.dir, read.current.ca, toSign(read.cluster, changes));
  if (late) deps.warn?.(late);
  // A directory taken over gets its kafka-mtls.json even when no certificate changes: in a swap, as always.
  if (!hasChanges(changes) && !read.takeOver) return { changes };
  deps.onParams?.(read.params);
  const run = await applyChanges(read, changes, started, deps, reload.beforeSwap);
  return { changes, run, reload: await reload.afterSwap(run.backup) };
}

/** Before anything is staged: no rotation half done, the CA's key can be opened, the stores' passwords are right. */
async function checkApplicable(read: Read, deps: RunDeps): Promise<void> {
  const { dir, params, cluster, current, secrets, warning, v1Warning } = read;
  if (current.state.rotation) {
    const phase = current.state.rotation.phase === 'started' ? 'start' : 'reissue';
    const rule = `a CA rotation is in progress in ${dir} (last phase: ${phase}): finish it with rotate-ca first`;
    throw new UsageError('apply', rule);
  }
  if (cluster.ca.external?.keyEncrypted && !params.caKeyPassword) {
    throw new UsageError(
      '--ca-key-password-env',
      `${dir}/ca.key is your CA's encrypted key: give its passphrase with --ca-key-password-env or ` +
        '--ca-key-password-file',
    );
  }
  await proveDirectoryPasswords(dir, current.state, params, secrets, deps);
  if (warning) deps.warn?.(warning);
  if (v1Warning) deps.warn?.(v1Warning);
  for (const w of read.warnings) deps.warn?.(w);
}

/** The changes made in a copy of the directory: only what is new or reissued runs, removals at the end. */
async function applyChanges(
  read: Read,
  changes: readonly Change[],
  started: Date,
  deps: RunDeps,
  beforeSwap: (work: string) => Promise<void>,
): Promise<StagedRunResult> {
  const { dir, params, cluster, plan, current, secrets } = read;
  const only = new Set(changes.filter((c) => c.kind === 'create' || c.kind === 'reissue').map((c) => c.alias));
  const remake = new Set(changes.filter((c) => c.kind === 'recreate').map((c) => c.alias));
  // A file that is there but unreadable is made again like a missing one (the stage removes what a step rewrites).
  const broken = new Set(current.problems.map((p) => p.path));
  const usable = (present: ReadonlySet<string>) => new Set([...present].filter((f) => !broken.has(f)));
  let partial = plan;
  const stage = await openCopyStage(dir, {
    steps: (present) => (partial = restrictPlan(plan, cluster, only, usable(present), undefined, remake)).steps,
  });
  const removed = changes
    .filter((c) => c.kind === 'remove')
    .map((c) => current.state.identities.find((i) => i.alias === c.alias)!);
  const keptUndescribed = changes
    .filter((c) => c.kind === 'keep' && !cluster.identities.some((i) => i.alias === c.alias))
    .map((c) => current.state.identities.find((i) => i.alias === c.alias)!);
  const files = layoutFiles(params.layout);
  return runStaged({
    command: 'apply',
    started,
    params,
    cluster,
    plan: partial,
    stage,
    deps,
    previous: current.state,
    signed: only,
    secrets,
    extraIdentities: keptUndescribed,
    beforeSwap,
    finish: async (work) => {
      for (const who of removed)
        for (const f of files.owned(who)) await rm(join(work, f), { recursive: true, force: true });
    },
  });
}
