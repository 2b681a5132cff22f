/** plan's report (and the head of apply's): what would happen to each identity, then the count. */
import type { ChalkInstance } from 'chalk';
import type { Change } from '../plans/diff.js';
import type { TakeOver } from '../output/takeover.js';

const CHANGE_MARK: Record<Change['kind'], string> = {
  create: '+',
  reissue: '~',
  recreate: '*',
  keep: '=',
  remove: '-',
};

/** `plan`'s report, and the head of `apply`'s: one line per identity. */
export function formatChanges(
  c: ChalkInstance,
  dir: string,
  caSubject: string,
  changes: readonly Change[],
  takeOver?: TakeOver,
): string {
  const paint = { create: c.green, reissue: c.yellow, recreate: c.yellow, keep: c.dim, remove: c.red } as const;
  const width = Math.max(...changes.map((x) => x.alias.length));
  const lines = takeOver
    ? [
        `${dir}: no kafka-mtls.json; taken over as ${takeOver.madeBy} made it:`,
        ...takeOver.lines.map((l) => `  ${l}`),
        c.green(`  + write   kafka-mtls.json`) + '  what was read above, so that later runs know the directory',
      ]
    : [];
  lines.push(`${dir}: CA ${caSubject} (kept)`);
  for (const x of changes) {
    const why = x.reasons.length > 0 ? `  ${x.reasons.join('; ')}` : '';
    lines.push(paint[x.kind](`  ${CHANGE_MARK[x.kind]} ${x.kind.padEnd(7)} ${x.alias.padEnd(width)}`) + why);
  }
  const count = (k: Change['kind']) => changes.filter((x) => x.kind === k).length;
  const recreate = count('recreate') > 0 ? `, ${count('recreate')} to recreate` : '';
  const made = `${count('create')} to create, ${count('reissue')} to reissue${recreate}`;
  lines.push(`${made}, ${count('remove')} to remove, ${count('keep')} kept.`);
  return lines.join('\n') + '\n';
}

/** What plan's --json prints: the directory, its CA (kept) and the change to each identity. */
export function changesJson(
  dir: string,
  caSubject: string,
  changes: readonly Change[],
  takeOver?: TakeOver,
): Record<string, unknown> {
  return { dir, ca: caSubject, changes, ...(takeOver ? { takeOver: { ...takeOver, writes: 'kafka-mtls.json' } } : {}) };
}
