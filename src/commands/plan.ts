/** `plan`: compare the cluster wanted (flags or --config) with an existing directory; what apply would do. */
import { Command } from 'commander';
import type { Cluster } from '../model/cluster.js';
import type { GenerateParams } from '../options/params.js';
import { addOptions, clusterOptions, jsonOption, outOption, toolOptions } from '../options/flags.js';
import { lifecycleOptions, parseDiffOptions, type RawLifecycleOptions } from '../options/lifecycle.js';
import { diffCluster, hasChanges, type Change, type Current } from '../plans/diff.js';
import { readCurrent } from '../output/current.js';
import { changesJson, formatChanges } from '../report/diff.js';
import type { CommandIo } from '../report/io.js';

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
  2    bad usage, or the directory holds no kafka-mtls.json`;

export function planCommand(io: CommandIo): Command {
  const cmd = new Command('plan').description(
    'Compare the cluster (flags or --config) with an existing directory: ' +
      'what apply would create, reissue, keep or remove',
  );
  addOptions(cmd, lifecycleOptions()).addOption(
    outOption('the directory to compare, made by kafka-mtls (it holds kafka-mtls.json)'),
  );
  addOptions(cmd, clusterOptions()).addOption(jsonOption());
  return addOptions(cmd, toolOptions())
    .addHelpText('after', HELP)
    .action(async (opts: RawLifecycleOptions) => {
      const r = await runLifecyclePlan(opts, io);
      const { out } = r.params;
      const ca = r.current.ca.subject;
      io.out(
        opts.json
          ? JSON.stringify(changesJson(out, ca, r.changes), null, 2) + '\n'
          : formatChanges(io.c, out, ca, r.changes),
      );
      if (hasChanges(r.changes)) io.exitWith(EXIT_CHANGES);
    });
}

export interface LifecyclePlan {
  readonly params: GenerateParams;
  readonly cluster: Cluster;
  readonly current: Current;
  readonly changes: readonly Change[];
}

/** Reads only: the directory and the options; nothing is written. */
export async function runLifecyclePlan(
  raw: RawLifecycleOptions,
  deps: { env: NodeJS.ProcessEnv; warn?: (line: string) => void },
): Promise<LifecyclePlan> {
  const opts = parseDiffOptions(raw);
  const { params, cluster, current, warning } = await readCurrent(raw, deps, false);
  if (warning) deps.warn?.(warning);
  return { params, cluster, current, changes: diffCluster(cluster, current, opts) };
}
