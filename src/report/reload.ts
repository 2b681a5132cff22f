/** The reload plan and what --reload did: for people (commands to paste) and as --json data. */
import type { ChalkInstance } from 'chalk';
import { PLACEHOLDERS, type PreflightResult, type ReloadOutcome, type ReloadPlan } from '../plans/reload.js';
import { quoteArg } from '../runner/command.js';

const PLACEHOLDER_VALUES: readonly string[] = Object.values(PLACEHOLDERS);

/** A kafka-configs command as a shell reads it: the plan's placeholders stay shell variables, in double quotes. */
export function formatReloadCommand(kafkaConfigs: string, args: readonly string[]): string {
  return [kafkaConfigs, ...args].map((a) => (PLACEHOLDER_VALUES.includes(a) ? `"${a}"` : quoteArg(a))).join(' ');
}

/** The plan printed after a run (and by --dry-run): what to run so that the brokers reload with no restart. */
export function formatReloadPlan(c: ChalkInstance, plan: ReloadPlan): string {
  if (plan.alters.length === 0) return '\nNo broker store changed: no broker needs to reload.\n';
  const lines = [
    '',
    c.bold('Reload plan') + ' (no restart: each broker re-reads its stores; run in this order, one at a time):',
  ];
  const unset = [
    plan.bootstrapServer ? '' : `BOOTSTRAP_SERVER (a broker's host:port, or --bootstrap-server)`,
    plan.commandConfig ? '' : "ADMIN_CONFIG (an admin client's properties file, or --command-config)",
  ].filter(Boolean);
  if (unset.length > 0) lines.push(`  Set ${unset.join(' and ')} first.`);
  if (plan.assumedIds.length > 0)
    lines.push(
      `  Node ids assumed from the certificates' order (--broker-id <alias>=<id> sets them): ` +
        plan.assumedIds.map((a) => `${a.broker}=${a.brokerId}`).join(', '),
    );
  for (const a of plan.alters) lines.push(`  ${formatReloadCommand(plan.kafkaConfigs, a.args)}`);
  lines.push("  kafka-mtls apply/rotate-ca --reload runs these after a pre-flight by Kafka's own check.");
  return lines.join('\n') + '\n';
}

/** --json's "reload": the plan as data, and what --reload did. */
export function reloadJson(
  plan: ReloadPlan,
  done?: { readonly preflight: PreflightResult; readonly outcome: ReloadOutcome },
): Record<string, unknown> {
  return {
    bootstrapServer: plan.bootstrapServer ?? null,
    commandConfig: plan.commandConfig ?? null,
    listenersFrom: plan.listenersFrom,
    assumedIds: plan.assumedIds,
    commands: plan.alters.map((a) => ({
      id: a.id,
      broker: a.broker,
      brokerId: a.brokerId,
      listener: a.listener,
      store: a.store,
      file: a.file,
      setting: `${a.key}=${a.value}`,
      interBroker: a.interBroker,
      argv: [plan.kafkaConfigs, ...a.args],
    })),
    reloaded: done
      ? {
          kafkaVersion: done.preflight.kafkaVersion,
          preflightChecks: done.preflight.checks,
          adminIdentity: done.outcome.adminIdentity,
          steps: done.outcome.steps,
        }
      : null,
  };
}

/** What --reload did: the pre-flight's verdict and each broker that reloaded. */
export function formatReloaded(c: ChalkInstance, preflight: PreflightResult, outcome: ReloadOutcome): string {
  const lines = [
    '',
    c.bold('Reloaded with no restart') +
      ` (Kafka ${preflight.kafkaVersion}'s own check passed ${preflight.checks} new stores first; ` +
      `admin client: ${outcome.adminIdentity}):`,
  ];
  for (const s of outcome.steps)
    lines.push(`  ${c.green('✓')} ${s.broker} (node ${s.brokerId}) ${s.store} on listener ${s.listener}`);
  if (outcome.steps.length === 0) lines.push('  No broker store changed: nothing to reload.');
  return lines.join('\n') + '\n';
}

/** The end of a report: the plan to run, or what --reload did. */
export function formatReloadReport(
  c: ChalkInstance,
  r: { readonly plan: ReloadPlan; readonly done?: { preflight: PreflightResult; outcome: ReloadOutcome } },
): string {
  return r.done ? formatReloaded(c, r.done.preflight, r.done.outcome) : formatReloadPlan(c, r.plan);
}
