import { rename, rm } from 'node:fs/promises';
import { listFiles } from '../output/files.js';
import { join } from 'node:path';
import { Command } from 'commander';
import type { Cluster } from '../model/cluster.js';
import { UsageError } from '../errors.js';
import { checkOrder, finishPlan, nextSubject, reissueMoves, reissuePlan, startPlan } from '../plans/rotate-ca.js';
import { PHASES, PREVIOUS, type Phase, type State } from '../model/state.js';
import type { RawGenerateOptions } from '../options/params.js';
import { describeAction } from '../runner/runner.js';
import type { Plan } from '../runner/step.js';
import { openCopyStage } from '../output/stage.js';
import { targetOf, withClaim } from '../output/claim.js';
import { openDirectory, readGeneratedSecrets } from '../output/state-file.js';
import { GENERATED_PASSWORDS, SHARED_PASSWORD, STORE_PASSWORD_ENV } from '../model/passwords.js';
import { proveStorePasswords, storesOf } from '../pki/prove.js';
import * as v from '../model/rules.js';
import {
  addOptions,
  jsonOption,
  keepWorkOption,
  outOption,
  passwordFileOption,
  toolOptions,
  verboseOption,
} from '../options/flags.js';
import { buildPlan } from '../plans/generate.js';
import { planGenerate } from '../output/prepare-run.js';
import { runStaged, type GenerateDeps, type GenerateResult } from '../output/staged-run.js';

/**
 * `rotate-ca start|reissue|finish`: replace the CA of a running cluster
 * without downtime, one phase between rolling restarts. Each phase runs like
 * apply: in a copy of the directory, swapped in with a backup, or not at all.
 */

export interface RawRotateOptions extends Pick<
  RawGenerateOptions,
  'out' | 'passwordFile' | 'openssl' | 'keytool' | 'keytoolJvm' | 'keepWork' | 'verbose'
> {
  dryRun?: boolean;
  json?: boolean;
}

export function rotateCommand(): Command {
  const cmd = new Command('rotate-ca')
    .description(
      'Replace the CA without downtime: start (new CA in every truststore), reissue (every leaf from the new CA), ' +
        'finish (old CA out of the truststores)',
    )
    .argument('<phase>', 'start, reissue or finish')
    .addOption(outOption('the directory to rotate; the old one is kept as <dir>.bak-<UTC timestamp>'))
    .addOption(passwordFileOption())
    .option('--dry-run', 'print what the phase would do, and write nothing')
    .addOption(jsonOption())
    .addOption(keepWorkOption())
    .addOption(verboseOption());
  return addOptions(cmd, toolOptions());
}

export interface RotateResult {
  readonly phase: Phase;
  readonly plan: Plan;
  /** Set unless --dry-run. */
  readonly run?: GenerateResult;
  readonly state: State;
}

export async function runRotate(phaseArg: string, raw: RawRotateOptions, deps: GenerateDeps): Promise<RotateResult> {
  const phase = v.oneOf('<phase>', phaseArg, PHASES);
  if (raw.dryRun) return rotateClaimed(phase, raw, deps);
  return withClaim(await targetOf(raw.out), `rotate-ca ${phase}`, deps.onNote ?? (() => undefined), () =>
    rotateClaimed(phase, raw, deps),
  );
}

async function rotateClaimed(phase: Phase, raw: RawRotateOptions, deps: GenerateDeps): Promise<RotateResult> {
  const started = new Date();
  const { dir, state, fallback } = await openDirectory(raw.out);
  checkOrder(phase, state);
  if (state.ca.external)
    throw new UsageError(
      `rotate-ca ${phase}`,
      `${dir} is signed by your own CA: rotate-ca replaces only a CA kafka-mtls made`,
    );

  const { params, warning } = await planGenerate(
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
  const present = new Set(await listFiles(dir));
  const cluster: Cluster = { ca: state.ca, identities: state.identities, storeType: state.storeType };
  const nextCa = phase === 'start' ? { ...state.ca, subject: nextSubject(state.ca.subject) } : state.rotation!.nextCa;

  let plan: Plan;
  const trustEnv = state.generatedPasswords ? GENERATED_PASSWORDS.truststore : SHARED_PASSWORD.truststore;
  const secrets = state.generatedPasswords && !raw.dryRun ? await readGeneratedSecrets(dir, state) : {};
  if (phase === 'start') plan = startPlan(state, nextCa, present, trustEnv);
  else if (phase === 'finish') plan = finishPlan(state, present, trustEnv);
  else {
    plan = reissuePlan(state, buildPlan(params, { ...cluster, ca: nextCa }), present);
  }
  if (raw.dryRun) return { phase, plan, state };
  const shared = { from: params.passwordFrom, isDefault: params.defaultPassword };
  // Before anything is staged: a wrong password would re-lock every store with itself.
  const storeSecrets = { [STORE_PASSWORD_ENV]: params.password, ...secrets };
  await proveStorePasswords(dir, storesOf(state, shared), {
    tools: params.tools,
    secrets: storeSecrets,
    exec: deps.exec,
  });
  if (warning) deps.warn?.(warning);

  const stage = await openCopyStage(dir, {
    prepare: async (work) => {
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
    },
    steps: () => plan.steps,
  });
  const rotation = state.rotation;
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
    stateOverride: (s) =>
      phase === 'start'
        ? { ...s, rotation: { phase: 'started', previousCa: state.ca, nextCa } }
        : phase === 'reissue'
          ? { ...s, ca: nextCa, rotation: { ...rotation!, phase: 'reissued' } }
          : { ...s, rotation: undefined },
  });
  return { phase, plan, run, state };
}

/** --dry-run: the phase's steps and commands. */
export function describePhase(r: RotateResult, tools: { openssl: string; keytool: string }): string {
  const head: Record<Phase, string> = {
    start:
      'rotate-ca start would make a new CA and add it to every truststore beside the old one; keystores stay as they are:',
    reissue:
      'rotate-ca reissue would make the new CA the signing CA (ca.crt, ca.key; the old one becomes ca-previous.*) and reissue every certificate with it; truststores keep both CAs:',
    finish: 'rotate-ca finish would remove the old CA from every truststore (and ca-previous.*):',
  };
  const lines = [head[r.phase]];
  for (const s of r.plan.steps) lines.push(`  ${s.id}: ${s.title}`, `      ${describeAction(s, tools)}`);
  lines.push('Nothing was written (--dry-run).');
  return lines.join('\n') + '\n';
}
