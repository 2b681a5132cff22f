import { chmod, cp, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { listFiles } from './files.js';
import type { Step } from './runner/step.js';
import { OutputError } from './errors.js';

/**
 * A run builds in a work directory beside the target and swaps it in only
 * when every step succeeded, so a failure or Ctrl-C never touches the user's
 * files. An existing target is moved aside as <target>.bak-<UTC timestamp>,
 * never deleted.
 */
export interface Stage {
  readonly target: string;
  readonly workDir: string;
  /** Moves the old target aside (if any) and the work directory into place. */
  commit(dirMode: number): Promise<{ backup?: string }>;
  /** Removes the work directory (unless keep), leaving the target as it was. */
  discard(keep: boolean): Promise<void>;
}

export async function openStage(target: string): Promise<Stage> {
  const parent = dirname(target);
  try {
    await mkdir(parent, { recursive: true });
  } catch (e) {
    throw new OutputError(`cannot create ${parent}: ${(e as Error).message}`, 'Choose an --out whose parent directory you can write.');
  }
  let workDir: string;
  try {
    // Same parent, so the final rename is atomic and never crosses file systems.
    // mkdtemp makes it 0700: it will hold unencrypted keys until the swap.
    workDir = await mkdtemp(join(parent, `.${basename(target)}.kafka-mtls-work-`));
  } catch (e) {
    throw new OutputError(`cannot create a work directory in ${parent}: ${(e as Error).message}`, 'The parent of --out must be writable.');
  }
  return {
    target,
    workDir,
    async commit(dirMode) {
      const existed = await stat(target).then(
        () => true,
        () => false,
      );
      let backup: string | undefined;
      if (existed) {
        backup = await freeBackupName(target, new Date());
        try {
          await rename(target, backup);
        } catch (e) {
          throw new OutputError(
            `cannot move ${target} aside to ${backup}: ${(e as Error).message}`,
            (e as NodeJS.ErrnoException).code === 'EBUSY'
              ? `${target} is a mount point: mount its parent directory instead (docker run -v "$PWD:/work" …), so the new directory can be swapped in.`
              : undefined,
          );
        }
      }
      try {
        await rename(workDir, target);
      } catch (e) {
        if (backup) await rename(backup, target).catch(() => undefined);
        throw new OutputError(`cannot move the new files into ${target}: ${(e as Error).message}`);
      }
      // mkdtemp made the work directory 0700; the output directory reads like one made by mkdir.
      await chmod(target, dirMode);
      return { backup };
    },
    async discard(keep) {
      if (!keep) await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** certs.bak-20261128T012243Z, with -1, -2 … when runs fall in the same second. */
async function freeBackupName(target: string, now: Date): Promise<string> {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const base = `${target}.bak-${stamp}`;
  const taken = new Set(await readdir(dirname(target)));
  if (!taken.has(basename(base))) return base;
  for (let i = 1; ; i++) if (!taken.has(`${basename(base)}-${i}`)) return `${base}-${i}`;
}

/**
 * A stage whose work directory starts as a copy of the target, byte for byte
 * and mode for mode (apply, rotate-ca): the plan then changes only what it
 * writes, each file made anew. Returns the files the copy holds.
 */
export async function openCopyStage(
  target: string,
  opts: { readonly prepare?: (workDir: string) => Promise<void>; readonly steps: (present: ReadonlySet<string>) => readonly Step[] },
): Promise<Stage> {
  const stage = await openStage(target);
  try {
    await cp(target, stage.workDir, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, force: true });
    await opts.prepare?.(stage.workDir);
    const present = new Set(await listFiles(stage.workDir));
    // keytool would add to an old keystore: what a step writes, and does not read, is removed first.
    for (const s of opts.steps(present)) for (const f of s.writes) if (present.has(f) && !s.reads.includes(f)) await rm(join(stage.workDir, f), { force: true });
  } catch (e) {
    await stage.discard(false);
    throw e;
  }
  return stage;
}
