import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import type { Cluster } from '../model/cluster.js';
import { UsageError } from '../errors.js';
import { readBoundedText } from '../pki/read-file.js';
import { diffCluster, hasChanges, type Change, type Current } from '../plans/diff.js';
import { restrictPlan } from '../plans/partial.js';
import type { GenerateParams, RawGenerateOptions } from '../options/params.js';
import { layoutFiles } from '../model/layouts.js';
import { openCopyStage } from '../output/stage.js';
import { targetOf, withClaim } from '../output/claim.js';
import { openDirectory, readGeneratedSecrets } from '../output/state-file.js';
import { generateSecrets, STORE_PASSWORD_ENV } from '../model/passwords.js';
import { proveStorePasswords, storesOf } from '../pki/prove.js';
import { checkDirectory } from '../pki/present.js';
import { readCertFacts } from '../pki/read.js';
import type { CertWithPem } from '../pki/x509.js';
import * as v from '../model/rules.js';
import {
  addOptions,
  clusterOptions,
  jsonOption,
  keepWorkOption,
  outOption,
  toolOptions,
  verboseOption,
} from '../options/flags.js';
import { buildPlan } from '../plans/generate.js';
import { planGenerate } from '../output/prepare-run.js';
import { runStaged, type GenerateDeps, type GenerateResult } from '../output/staged-run.js';

/**
 * `plan` and `apply`: change an existing directory without regenerating its
 * CA. plan compares the wanted cluster (flags or --config) with what the
 * directory holds; apply carries that out in a copy and swaps it in.
 */

export interface RawLifecycleOptions extends RawGenerateOptions {
  renewBefore?: string;
  prune?: boolean;
  json?: boolean;
}

/** The exit code of `plan` when something would change (for CI drift checks). */
export const EXIT_CHANGES = 10;

function withLifecycleOptions(cmd: Command): Command {
  return cmd
    .option('--renew-before <days>', 'reissue certificates that expire within this many days (default 30)')
    .option('--prune', 'remove brokers and clients the description no longer names (default: keep them)');
}

export function planCommand(): Command {
  const cmd = withLifecycleOptions(
    new Command('plan').description(
      'Compare the cluster (flags or --config) with an existing directory: ' +
        'what apply would create, reissue, keep or remove',
    ),
  ).addOption(outOption('the directory to compare, made by kafka-mtls (it holds kafka-mtls.json)'));
  addOptions(cmd, clusterOptions()).addOption(jsonOption());
  return addOptions(cmd, toolOptions());
}

export function applyCommand(): Command {
  const cmd = withLifecycleOptions(
    new Command('apply').description(
      'Carry out the plan: add and reissue certificates with the existing CA, keep the rest byte for byte, ' +
        'back up the old directory',
    ),
  ).addOption(
    outOption('the directory to change, made by kafka-mtls; the old one is kept as <dir>.bak-<UTC timestamp>'),
  );
  addOptions(cmd, clusterOptions()).addOption(keepWorkOption()).addOption(verboseOption()).addOption(jsonOption());
  return addOptions(cmd, toolOptions());
}

export interface LifecyclePlan {
  readonly params: GenerateParams;
  readonly cluster: Cluster;
  readonly current: Current;
  readonly changes: readonly Change[];
}

async function readCurrent(raw: RawLifecycleOptions, deps: Pick<GenerateDeps, 'env'>, requireTools: boolean) {
  const { dir, state, fallback } = await openDirectory(raw.out);
  const planned = await planGenerate(raw, deps, { requireTools, fallback });
  const { params } = planned;
  // The directory's CA signs: your own CA, as the state recorded it, unless given again.
  const external = params.externalCa ?? state.ca.external;
  const cluster: Cluster = external ? { ...planned.cluster, ca: { ...planned.cluster.ca, external } } : planned.cluster;
  const plan = external === params.externalCa ? planned.plan : buildPlan(params, cluster);
  if (params.layout !== state.layout)
    throw new UsageError('--layout', `${dir} holds the ${state.layout} layout; a plan cannot change the layout`);
  if (params.storeType !== state.storeType)
    throw new UsageError('--store-type', `${dir} holds ${state.storeType} stores; a plan cannot change the store type`);
  const files = layoutFiles(state.layout);
  const opts = { tools: params.tools, secrets: {}, cwd: dir };
  // A certificate that is missing, or not a regular file of PEM size, is one to reissue.
  const read = async (f: string): Promise<CertWithPem | undefined> => {
    const pem = await readBoundedText(join(dir, f), { kind: 'pem', option: '--out' }).catch((e) =>
      e instanceof UsageError ? '' : Promise.reject(e),
    );
    const info = await readCertFacts(pem, opts);
    return info && { ...info, pem };
  };
  const ca = await read(files.caCert);
  if (!ca)
    throw new UsageError('--out', `${dir}/${files.caCert} is missing or unreadable: there is no CA to sign with`);
  const [found, problems] = await Promise.all([
    Promise.all(state.identities.map((who) => read(files.cert(who)))),
    checkDirectory(dir, state),
  ]);
  const certs = Object.fromEntries(state.identities.map((who, i) => [who.alias, found[i]]));
  // Generated passwords are kept: read back from the directory; new identities get new ones.
  const secrets = params.generatePasswords
    ? generateSecrets(cluster.identities, await readGeneratedSecrets(dir, state))
    : {};
  return { dir, params, cluster, plan, secrets, current: { state, ca, certs, problems }, warning: planned.warning };
}

function diffOptions(raw: RawLifecycleOptions) {
  return {
    now: new Date(),
    renewBeforeDays: raw.renewBefore === undefined ? 30 : v.wholeNumber('--renew-before', raw.renewBefore, 0, 36500),
    prune: raw.prune === true,
  };
}

export async function runLifecyclePlan(
  raw: RawLifecycleOptions,
  deps: Pick<GenerateDeps, 'env' | 'warn'>,
): Promise<LifecyclePlan> {
  const opts = diffOptions(raw);
  const { params, cluster, current, warning } = await readCurrent(raw, deps, false);
  if (warning) deps.warn?.(warning);
  return { params, cluster, current, changes: diffCluster(cluster, current, opts) };
}

export interface ApplyResult {
  readonly changes: readonly Change[];
  /** Undefined when there was nothing to do: the directory was not touched. */
  readonly run?: GenerateResult;
}

export async function runApply(raw: RawLifecycleOptions, deps: GenerateDeps): Promise<ApplyResult> {
  // Held from before the directory is read: a second apply would otherwise work from the same old state.
  return withClaim(await targetOf(raw.out), 'apply', deps.onNote ?? (() => undefined), () => applyClaimed(raw, deps));
}

async function applyClaimed(raw: RawLifecycleOptions, deps: GenerateDeps): Promise<ApplyResult> {
  const started = new Date();
  const opts = diffOptions(raw);
  const { dir, params, cluster, plan, current, secrets, warning } = await readCurrent(raw, deps, true);
  if (current.state.rotation) {
    throw new UsageError(
      'apply',
      `a CA rotation is in progress in ${dir} (last phase: ${current.state.rotation.phase === 'started' ? 'start' : 'reissue'}): finish it with rotate-ca first`,
    );
  }
  if (cluster.ca.external?.keyEncrypted && !params.caKeyPassword) {
    throw new UsageError(
      '--ca-key-password-env',
      `${dir}/ca.key is your CA's encrypted key: give its passphrase with --ca-key-password-env or --ca-key-password-file`,
    );
  }
  const shared = { from: params.passwordFrom, isDefault: params.defaultPassword };
  // Before anything is staged: a wrong password would re-lock every store with itself.
  const storeSecrets = { [STORE_PASSWORD_ENV]: params.password, ...secrets };
  await proveStorePasswords(dir, storesOf(current.state, shared), {
    tools: params.tools,
    secrets: storeSecrets,
    exec: deps.exec,
  });
  if (warning) deps.warn?.(warning);
  const changes = diffCluster(cluster, current, opts);
  if (!hasChanges(changes)) return { changes };
  deps.onParams?.(params);

  const only = new Set(changes.filter((c) => c.kind === 'create' || c.kind === 'reissue').map((c) => c.alias));
  // A file that is there but unreadable is made again like a missing one (the stage removes what a step rewrites).
  const broken = new Set(current.problems.map((p) => p.path));
  const usable = (present: ReadonlySet<string>) => new Set([...present].filter((f) => !broken.has(f)));
  let partial = plan;
  const stage = await openCopyStage(dir, {
    steps: (present) => (partial = restrictPlan(plan, cluster, only, usable(present))).steps,
  });

  const removed = changes
    .filter((c) => c.kind === 'remove')
    .map((c) => current.state.identities.find((i) => i.alias === c.alias)!);
  const keptUndescribed = changes
    .filter((c) => c.kind === 'keep' && !cluster.identities.some((i) => i.alias === c.alias))
    .map((c) => current.state.identities.find((i) => i.alias === c.alias)!);
  const files = layoutFiles(params.layout);
  const run = await runStaged({
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
    finish: async (work) => {
      for (const who of removed)
        for (const f of files.owned(who)) await rm(join(work, f), { recursive: true, force: true });
    },
  });
  return { changes, run };
}
