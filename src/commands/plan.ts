/** `plan`: compare the cluster wanted (flags or --config) with an existing directory; what apply would do. */
import { Command } from 'commander';
import type { Cluster } from '../model/cluster.js';
import type { RunParams } from '../options/params.js';
import { addOptions, clusterOptions, jsonOption, outOption, toolOptions } from '../options/flags.js';
import { lifecycleOptions, parseDiffOptions, type RawLifecycleOptions } from '../options/lifecycle.js';
import { diffCluster, hasChanges, toSign, type Change, type Current } from '../plans/diff.js';
import { caOutlived, proveDirectoryPasswords, readCurrent } from '../planning/current.js';
import type { TakeOver } from '../output/takeover.js';
import { changesJson, formatChanges } from '../report/diff.js';
import type { CommandIo } from '../report/io.js';
import { reloadTarget, ReloadSession } from '../reload/session.js';
import { reloadOptions, type RawReloadOptions } from '../options/reload.js';
import { formatReloadPlan, reloadJson } from '../report/reload.js';
import type { ReloadPlan } from '../plans/reload.js';

/** The exit code of `plan` when something would change (for CI drift checks). */
export const EXIT_CHANGES = 10;

const HELP = `
Examples:
  kafka-mtls plan --brokers 5                  # ./certs made with 3: two to create
  kafka-mtls plan --config cluster.yaml --renew-before 60 --json

Exit codes:
  0    nothing would change
  ${EXIT_CHANGES}   something would change (apply would do it)
  1    a tool is missing
  2    bad usage, a store does not open with its password, or a directory without kafka-mtls.json
       that cannot be taken over (see "Coming from mtls-kafka.sh" in the README)`;

export function planCommand(io: CommandIo): Command {
  const cmd = new Command('plan').description(
    'Compare the cluster (flags or --config) with an existing directory: ' +
      'what apply would create, reissue, keep or remove',
  );
  addOptions(cmd, lifecycleOptions()).addOption(
    outOption('the directory to compare: made by kafka-mtls, or by mtls-kafka.sh or the Confluent flow (taken over)'),
  );
  addOptions(cmd, clusterOptions()).addOption(jsonOption());
  // The printed reload plan's settings; running it is apply --reload's.
  const printed = ['--bootstrap-server', '--kafka-configs', '--command-config', '--listener', '--broker-id'];
  addOptions(
    cmd,
    reloadOptions().filter((o) => printed.includes(o.long ?? '')),
  );
  return addOptions(cmd, toolOptions())
    .addHelpText('after', HELP)
    .action(async (opts: RawLifecycleOptions & RawReloadOptions) => {
      const r = await runLifecyclePlan(opts, io);
      const { out } = r.params;
      const ca = r.current.ca.subject;
      // What apply's report would end with: the commands that make running brokers re-read what it replaces.
      const reload = r.reload.alters.length > 0 ? r.reload : undefined;
      io.out(
        opts.json
          ? JSON.stringify(
              { ...changesJson(out, ca, r.changes, r.takeOver), ...(reload ? { reload: reloadJson(reload) } : {}) },
              null,
              2,
            ) + '\n'
          : formatChanges(io.c, out, ca, r.changes, r.takeOver) + (reload ? formatReloadPlan(io.c, reload) : ''),
      );
      // Taking a directory over writes its kafka-mtls.json: a change, whatever happens to the certificates.
      if (hasChanges(r.changes) || r.takeOver) io.exitWith(EXIT_CHANGES);
    });
}

export interface LifecyclePlan {
  readonly params: RunParams;
  readonly cluster: Cluster;
  readonly current: Current;
  readonly changes: readonly Change[];
  /** The directory has no kafka-mtls.json: what was read from its files (apply would write it). */
  readonly takeOver?: TakeOver;
  /** The reload plan apply would end with, for the brokers that exist now. */
  readonly reload: ReloadPlan;
}

/** Reads only: the directory and the options; nothing is written. */
export async function runLifecyclePlan(
  raw: RawLifecycleOptions & RawReloadOptions,
  deps: { env: NodeJS.ProcessEnv; signal?: AbortSignal; warn?: (line: string) => void },
): Promise<LifecyclePlan> {
  const opts = parseDiffOptions(raw);
  const read = await readCurrent(raw, deps, false);
  const { params, cluster, current, warning, takeOver } = read;
  // A directory taken over has never had its passwords checked by kafka-mtls: plan proves them, as apply will.
  if (takeOver) await proveDirectoryPasswords(read.dir, current.state, params, read.secrets, { signal: deps.signal });
  if (warning) deps.warn?.(warning);
  if (read.v1Warning) deps.warn?.(read.v1Warning);
  for (const w of read.warnings) deps.warn?.(w);
  const changes = diffCluster(cluster, current, opts);
  const late = caOutlived(read.dir, current.ca, toSign(cluster, changes));
  if (late) deps.warn?.(late);
  const session = await ReloadSession.open(
    { ...raw, reload: false },
    reloadTarget(read, current.state.identities),
    deps,
  );
  return { params, cluster, current, takeOver, changes, reload: session.planForChanges(changes) };
}
