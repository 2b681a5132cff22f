/** The end of a run that made files: the summary for people, and what --json prints instead. */
import type { ChalkInstance } from 'chalk';
import { principalOf } from '../model/cluster.js';
import type { StagedRunResult } from '../output/staged-run.js';
import type { Change } from '../plans/diff.js';
import { formatChanges } from './diff.js';
import { ms } from './style.js';

/** A run done: the files made, where the old ones and the journal are, and the principals for Kafka's ACLs. */
export function formatSummary(c: ChalkInstance, r: StagedRunResult): string {
  const storeDetail = r.records.map((x) => /^(PKCS12|JKS):/i.exec(x.detail ?? '')?.[1]).find(Boolean);
  const lines = [
    '',
    c.bold(`Made ${r.plan.outputs.length} files in ${r.params.out}`) +
      ` (${r.plan.steps.length} steps in ${ms(r.durationMs)}${storeDetail ? `, stores ${storeDetail}` : ''})`,
  ];
  if (r.keytool?.fallback) lines.push(c.yellow('note: ') + `keytool ran one JVM per step: ${r.keytool.fallback}`);
  if (r.backup) lines.push(`The previous files are kept in ${r.backup}`);
  lines.push(`Journal of this run: ${r.journal}`);
  lines.push('', 'SSL principals (Kafka ACLs and super.users name these):');
  const width = Math.max(...r.cluster.identities.map((i) => i.alias.length));
  for (const who of r.cluster.identities) lines.push(`  ${who.alias.padEnd(width)}  ${principalOf(who.subject)}`);
  if (r.plan.usage?.length) lines.push('', ...r.plan.usage);
  return lines.join('\n') + '\n';
}

/** What --json prints on success. */
export function summaryJson(r: StagedRunResult): Record<string, unknown> {
  return {
    ok: true,
    out: r.params.out,
    backup: r.backup ?? null,
    journal: r.journal,
    storeType: r.params.storeType,
    durationMs: r.durationMs,
    files: r.plan.outputs.map((o) => o.path),
    principals: Object.fromEntries(r.cluster.identities.map((i) => [i.alias, principalOf(i.subject)])),
    layout: r.params.layout,
    keytool: r.keytool ?? null,
    usage: r.plan.usage ?? [],
    steps: r.records.map((x) => ({ id: x.id, outcome: x.outcome, durationMs: x.durationMs, detail: x.detail })),
  };
}

/** apply's report: the changes made (plan's lines, without its head) and the run's summary; or nothing to do. */
export function formatApplied(c: ChalkInstance, changes: readonly Change[], run: StagedRunResult | undefined): string {
  if (!run) return 'Nothing to do: every certificate is kept as it is.\n';
  return formatChanges(c, run.params.out, '', changes).split('\n').slice(1).join('\n') + formatSummary(c, run);
}

/** What apply's --json prints on success: the changes, and the run's summary when there was one. */
export function appliedJson(changes: readonly Change[], run: StagedRunResult | undefined): Record<string, unknown> {
  return { changes, ...(run ? summaryJson(run) : { ok: true, out: null }) };
}
