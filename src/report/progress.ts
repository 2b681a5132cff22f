/** Progress while a plan runs: a line per finished step, and with --verbose each step's command and output. */
import type { ChalkInstance } from 'chalk';
import type { StepRecord } from '../runner/record.js';
import type { RunEvent } from '../runner/runner.js';
import { ms } from './style.js';

/**
 * One line per finished step; with verbose, each step's command and output
 * lines as they come, every line prefixed by its step (`[broker-0.sign] …`) and
 * written whole, so that steps running at once never share a line.
 */
export function progressPrinter(c: ChalkInstance, write: (s: string) => void, verbose: boolean): (e: RunEvent) => void {
  return (e) => {
    if (e.kind === 'start') {
      if (verbose) write(c.dim(`[${e.step.id}] $ ${e.command}`) + '\n');
      return;
    }
    if (e.kind === 'output') {
      if (verbose) write(c.dim(`[${e.step.id}] ${e.line}`) + '\n');
      return;
    }
    write(formatRecord(c, e.record) + '\n');
  };
}

export function formatRecord(c: ChalkInstance, r: StepRecord): string {
  const mark = r.outcome === 'ok' ? c.green('✓') : r.outcome === 'failed' ? c.red('✗') : c.yellow('-');
  const detail = r.detail ? c.dim(`  ${r.detail}`) : '';
  const suffix = r.outcome === 'cancelled' ? c.yellow(' (cancelled)') : '';
  return `${mark} ${r.id.padEnd(20)} ${r.title}${suffix} ${c.dim(ms(r.durationMs))}${detail}`;
}
