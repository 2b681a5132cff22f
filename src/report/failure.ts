/** A command that failed: what stderr says of each kind of error, and the one JSON shape --json prints for all. */
import type { ChalkInstance } from 'chalk';
import { CommanderError } from 'commander';
import {
  CancelledError,
  OutputError,
  StepError,
  TextfileError,
  ToolMissingError,
  UsageError,
  type Aftermath,
  type StepFailure,
} from '../errors.js';

/** What stderr says of a failure, whatever its kind; empty for commander's, which has printed its own line. */
export function formatError(c: ChalkInstance, e: unknown): string {
  if (e instanceof CommanderError) return '';
  if (e instanceof UsageError) return `${c.red('error:')} ${e.message}\n`;
  if (e instanceof StepError) return formatFailure(c, e.failure, e.aftermath);
  if (e instanceof CancelledError) {
    const what = e.aftermath ? formatAftermath(e.aftermath) : 'Nothing was touched.';
    return `${c.yellow(`cancelled${e.signal ? ` (${e.signal})` : ''}.`)} ${what}\n`;
  }
  if (e instanceof ToolMissingError || e instanceof OutputError || e instanceof TextfileError) {
    // The message says what is wrong, the hint what to do: each once.
    const lines = [`${c.red('error:')} ${e.message}`];
    if (e.hint) lines.push(`${c.cyan('hint:')} ${e.hint}`);
    if (e instanceof OutputError && e.aftermath) lines.push(formatAftermath(e.aftermath));
    return lines.join('\n') + '\n';
  }
  const trace = (e as Error)?.stack ?? String(e);
  return `${c.red('bug:')} kafka-mtls failed unexpectedly; please report this with the output below.\n${trace}\n`;
}

/**
 * What --json prints on stdout for a failure, whatever its kind, in one shape:
 * { ok: false, exitCode, failure: { kind, message, ... }, target?, keptWork? }.
 * A failed step's kind says how it failed (exit-code, timed-out, ...) beside its stepId.
 */
export function failureJson(e: unknown, exitCode: number): Record<string, unknown> {
  const head = { ok: false, exitCode };
  if (e instanceof StepError) return { ...head, failure: { ...e.failure, message: e.message }, ...e.aftermath };
  if (e instanceof CancelledError) {
    const failure = { kind: 'cancelled', signal: e.signal, message: 'cancelled: nothing was changed' };
    return { ...head, failure, ...e.aftermath };
  }
  if (e instanceof CommanderError)
    return { ...head, failure: { kind: 'usage', message: e.message.replace(/^error: /, '') } };
  if (e instanceof UsageError)
    return { ...head, failure: { kind: 'usage', message: e.message, option: e.option, rule: e.rule } };
  if (e instanceof ToolMissingError)
    return { ...head, failure: { kind: 'tool-missing', message: e.message, tool: e.tool, hint: e.hint } };
  if (e instanceof TextfileError)
    return { ...head, failure: { kind: 'output', message: e.message, hint: e.hint ?? null } };
  if (e instanceof OutputError) {
    const failure = { kind: 'output', message: e.message, hint: e.hint ?? null, phase: e.phase ?? null };
    return { ...head, failure, ...e.aftermath };
  }
  const kind = exitCode === 3 ? 'bug' : 'error';
  return { ...head, failure: { kind, message: e instanceof Error ? e.message : String(e) } };
}

/** A failed step: what failed and how, the command, the tool's last lines, the hint, and what was left. */
export function formatFailure(c: ChalkInstance, f: StepFailure, after: Aftermath): string {
  const lines = [
    `${c.red('✗')} ${c.bold(`step ${f.stepId} failed`)}: ${f.reason}`,
    `  step:      ${f.title}`,
    `  command:   ${f.command}`,
  ];
  if (f.exitCode !== undefined) lines.push(`  exit code: ${f.exitCode}`);
  if (f.outputTail.length > 0) {
    lines.push('  output:');
    for (const l of f.outputTail) lines.push(`    ${l}`);
  }
  if (f.hint) lines.push(`  ${c.cyan('hint:')}      ${f.hint}`);
  lines.push(formatAftermath(after));
  return lines.join('\n') + '\n';
}

/** Where things are after a failure: the target untouched, and the work directory removed or kept. */
export function formatAftermath(after: Aftermath): string {
  // A swap cut in the middle: the note says where both directories are.
  if (after.targetNote) return after.targetNote;
  const kept = after.workLeft
    ? `The work directory is left: ${after.workLeft}.`
    : after.keptWork
      ? `The work directory is kept for debugging: ${after.keptWork} (the run's journal is in its .kafka-mtls/; ` +
        'its .build/ holds unencrypted leaf keys: remove it when done)'
      : "The work directory was removed (--keep-work keeps it, with the run's journal).";
  return `Nothing in ${after.target} was changed. ${kept}`;
}
