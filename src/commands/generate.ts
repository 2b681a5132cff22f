/** `generate`: make the CA and every store and file of a cluster, in a work directory swapped in at the end. */
import { Command } from 'commander';
import type { RunParams, RawRunOptions } from '../options/params.js';
import {
  addOptions,
  clusterOptions,
  jsonOption,
  keepWorkOption,
  outOption,
  toolOptions,
  verboseOption,
} from '../options/flags.js';
import { CA_KEY_PASSWORD_ENV, STORE_PASSWORD_ENV, type SecretSource } from '../model/secret-names.js';
import { layoutFiles } from '../model/layouts.js';
import { openStage } from '../output/stage.js';
import { withClaim } from '../output/claim.js';
import { checkGenerateTarget } from '../output/target.js';
import { inPhase } from '../output/io.js';
import { planRun } from '../planning/prepare-run.js';
import { describedState, runStaged, type RunDeps, type StagedRunResult } from '../output/staged-run.js';
import type { State } from '../model/state.js';
import { throwIfCancelled } from '../runner/cancel.js';
import { commentValue, planSecretEnv, planToScript, STATE_MARK } from '../report/dry-run.js';
import type { CommandIo } from '../report/io.js';
import { progressPrinter } from '../report/progress.js';
import { formatSummary, summaryJson } from '../report/summary.js';

/** The exit codes every command shares; generate's help gives them whole, and so does the program's. */
export const EXIT_HELP = `
Exit codes:
  0    success
  1    a step failed, a tool is missing, or the output could not be written
  2    bad usage: an option, variable or input file broke a rule; nothing was touched
  3    a bug in kafka-mtls
  …    plan and expiry have codes of their own (plan: 10; expiry: 1, 4, 5): see their --help
  130  interrupted (SIGINT, Ctrl-C); nothing was touched
  143  terminated (SIGTERM); nothing was touched
  129  hung up (SIGHUP); nothing was touched
A signal that arrives once the new directory is being swapped in lets the swap finish.`;

const HELP = `
Examples:
  kafka-mtls generate                                   # ./certs, as mtls-kafka.sh
  PASSWORD=s3cret-pw KAFKA_BROKER_COUNT=5 kafka-mtls generate
  kafka-mtls generate --password-file pw.txt --brokers 5 --san IP:10.0.0.7 --out /work/certs
${EXIT_HELP}`;

type RawOptions = RawRunOptions & { dryRun?: boolean; json?: boolean };

export function generateCommand(io: CommandIo): Command {
  const cmd = new Command('generate')
    .description('Make the CA, broker and client keystores and truststores of mtls-kafka.sh, checked step by step')
    .addOption(
      outOption(
        'output directory; an existing one (made by kafka-mtls or mtls-kafka.sh, else --force) is kept as ' +
          '<dir>.bak-<UTC timestamp>',
      ),
    );
  addOptions(cmd, clusterOptions())
    .addOption(keepWorkOption())
    .option('--force', 'replace an --out that neither kafka-mtls nor mtls-kafka.sh made (it is still kept as a backup)')
    .addOption(verboseOption())
    .option('--dry-run', 'print the plan as a bash script (every command, the templates as heredocs) and write nothing')
    .addOption(jsonOption());
  return addOptions(cmd, toolOptions())
    .addHelpText('after', HELP)
    .action((opts: RawOptions) => generateAction(opts, io));
}

async function generateAction(opts: RawOptions, io: CommandIo): Promise<void> {
  if (opts.dryRun) {
    io.out(await dryRunGenerate(opts, { env: io.env, signal: io.signal }));
    return;
  }
  const json = opts.json === true;
  io.jsonFailures(json);
  const result = await runGenerate(opts, {
    env: io.env,
    signal: io.signal,
    onNote: io.note,
    warn: io.warn,
    onEvent: json ? undefined : progressPrinter(io.c, io.out, opts.verbose === true),
  });
  io.out(json ? JSON.stringify(summaryJson(result), null, 2) + '\n' : formatSummary(io.c, result));
}

/** `generate --dry-run`: the plan as a bash script, a faithful copy of the run. Writes nothing. */
export async function dryRunGenerate(raw: RawRunOptions, deps: Pick<RunDeps, 'env' | 'signal'>): Promise<string> {
  const { params, cluster, plan, secrets } = await planRun(raw, deps, { requireTools: false });
  const sources = secretSources(params, Object.keys(secrets));
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
      `${params.brokers} broker(s)` +
        `${params.config ? ` described by ${commentValue(params.config)}` : ` of ${commentValue(params.name)}`}, ` +
        `layout ${params.layout}, stores ${params.storeType}, validity ${params.validityDays} days.`,
      'Nothing here holds a secret: openssl and keytool read them from the variables below, ' +
        'set as the run sets them.',
    ].join('\n'),
  });
}

/**
 * Where the run takes each secret, as the options found it, for the script to take it from the same place: the
 * store password's source, your CA key passphrase's; each generated password is made again.
 */
function secretSources(params: RunParams, generated: readonly string[]): (name: string) => SecretSource {
  return (name) =>
    generated.includes(name)
      ? { kind: 'generated' }
      : name === STORE_PASSWORD_ENV
        ? params.passwordSource
        : name === CA_KEY_PASSWORD_ENV
          ? (params.caKeyPasswordSource ?? { kind: 'env', variable: CA_KEY_PASSWORD_ENV })
          : { kind: 'env', variable: name };
}

/**
 * options -> params -> cluster -> plan -> run -> swap in.
 * Throws UsageError, ToolMissingError, StepError, CancelledError, OutputError.
 */
export async function runGenerate(raw: RawRunOptions, deps: RunDeps): Promise<StagedRunResult> {
  const started = new Date();
  const { params, cluster, plan, secrets, warning } = await planRun(raw, deps, { requireTools: true });
  if (warning) deps.warn?.(warning);
  deps.onParams?.(params);
  throwIfCancelled(deps.signal);
  await inPhase('reading the existing --out', params.out, () => checkGenerateTarget(params.out, raw.force === true));
  return withClaim(params.out, 'generate', deps.onNote ?? (() => undefined), async () => {
    const stage = await openStage(params.out);
    return runStaged({ command: 'generate', started, params, cluster, plan, stage, deps, secrets });
  });
}
