import { chmod, copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepFailure } from '../errors.js';
import { usesDefaultPassword, type RunParams } from '../options/params.js';
import { sourceLabel } from '../model/secret-names.js';
import type { StepRecord } from '../runner/record.js';

/**
 * The run journal: <out>/.kafka-mtls/run-<UTC timestamp>.json, one per run,
 * the last few kept. Everything needed to see what ran and how it went; no
 * secret (records are redacted by the runner, parameters list none).
 */
export const JOURNAL_DIR = '.kafka-mtls';
const KEEP = 5;

export interface Journal {
  readonly tool: 'kafka-mtls';
  readonly command: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: 'ok' | 'failed' | 'cancelled';
  readonly params: Record<string, unknown>;
  readonly steps: readonly StepRecord[];
  readonly failure?: StepFailure;
  /** keytool's steps ran in one JVM or one JVM each; why, when the shared JVM could not start. */
  readonly keytool?: { readonly jvm: string; readonly fallback?: string };
}

/** The parameters as a journal or --json shows them: every value but the password, and where the password came from. */
export function publicParams(p: RunParams): Record<string, unknown> {
  // Where the password came from, in its place, as the option or variable that gave it; the passphrase's source
  // is not shown (its option is).
  const shown = Object.entries(p).flatMap(([k, value]): Array<[string, unknown]> => {
    if (k === 'passwordSource') return [['passwordFrom', sourceLabel(p.passwordSource)]];
    return k === 'password' || k === 'caKeyPasswordSource' ? [] : [[k, value]];
  });
  return {
    ...Object.fromEntries(shown),
    password: usesDefaultPassword(p) ? "the script's default" : 'given (not recorded)',
  };
}

export function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d+)Z$/, '.$1Z');
}

/** Writes the journal into dir/.kafka-mtls (0700, the file 0600, whatever the umask); returns its path. */
export async function writeJournal(dir: string, journal: Journal): Promise<string> {
  const jdir = join(dir, JOURNAL_DIR);
  await mkdir(jdir, { recursive: true, mode: 0o700 });
  await chmod(jdir, 0o700);
  const file = join(jdir, `run-${stamp(new Date(journal.startedAt))}.json`);
  await writeFile(file, JSON.stringify(journal, null, 2) + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

const isRun = (n: string) => /^run-.*\.json$/.test(n);

/**
 * Brings the last journals of the previous output directory into the new one
 * (generate starts empty; apply and rotate-ca start from a copy), so that the
 * history survives the swap, and keeps the last five.
 */
export async function carryJournals(from: string, to: string): Promise<void> {
  const have = new Set(await readdir(join(to, JOURNAL_DIR)).catch(() => [] as string[]));
  const old = (await readdir(join(from, JOURNAL_DIR)).catch(() => [] as string[])).filter(isRun).sort().slice(-KEEP);
  for (const n of old) if (!have.has(n)) await copyFile(join(from, JOURNAL_DIR, n), join(to, JOURNAL_DIR, n));
  const runs = (await readdir(join(to, JOURNAL_DIR)).catch(() => [] as string[])).filter(isRun).sort();
  for (const n of runs.slice(0, -KEEP)) await rm(join(to, JOURNAL_DIR, n), { force: true });
}
