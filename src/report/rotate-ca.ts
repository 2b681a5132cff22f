/** rotate-ca's reports: what a phase would do (--dry-run), and what to do once it is done. */
import type { ChalkInstance } from 'chalk';
import type { Phase } from '../model/state.js';
import { describeAction } from '../runner/runner.js';
import type { Plan } from '../runner/step.js';
import type { StagedRunResult } from '../output/staged-run.js';
import { formatSummary } from './summary.js';

const PHASE_HEAD: Record<Phase, string> = {
  start:
    'rotate-ca start would make a new CA and add it to every truststore beside the old one; ' +
    'keystores stay as they are:',
  reissue:
    'rotate-ca reissue would make the new CA the signing CA (ca.crt, ca.key; the old one becomes ca-previous.*) ' +
    'and reissue every certificate with it; truststores keep both CAs:',
  finish: 'rotate-ca finish would remove the old CA from every truststore (and ca-previous.*):',
};

const NEXT_STEP: Record<Phase, string> = {
  start: "Roll the brokers (and update clients' truststores), then run rotate-ca reissue.",
  reissue: 'Roll the brokers and give clients their new keystores, then run rotate-ca finish.',
  finish: 'Roll the brokers: the old CA is no longer trusted anywhere.',
};

/** --dry-run: the phase's steps and commands. */
export function describePhase(
  r: { readonly phase: Phase; readonly plan: Plan },
  tools: { openssl: string; keytool: string },
): string {
  const lines = [PHASE_HEAD[r.phase]];
  for (const s of r.plan.steps) lines.push(`  ${s.id}: ${s.title}`, `      ${describeAction(s, tools)}`);
  lines.push('Nothing was written (--dry-run).');
  return lines.join('\n') + '\n';
}

/** After --reload: the brokers have the phase's stores already; what is left is the clients'. */
const NEXT_STEP_RELOADED: Record<Phase, string> = {
  start:
    "The brokers reloaded their truststores with no restart; update clients' truststores, then run rotate-ca reissue.",
  reissue:
    'The brokers reloaded their keystores with no restart; give clients their new keystores, then run rotate-ca finish.',
  finish: 'The brokers reloaded their truststores with no restart: the old CA is no longer trusted by them.',
};

/** A phase done: the run's summary, then the rolling restart (or, reloaded, what is left) before the next phase. */
export function formatRotated(c: ChalkInstance, phase: Phase, run: StagedRunResult, reloaded = false): string {
  return formatSummary(c, run) + `rotate-ca ${phase} done. ${(reloaded ? NEXT_STEP_RELOADED : NEXT_STEP)[phase]}\n`;
}
