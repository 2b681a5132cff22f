import { chmod, cp, lstat, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { listFiles } from './files.js';
import type { Step } from '../runner/step.js';
import { OutputError, UsageError, type Aftermath } from '../errors.js';
import { asPhaseError, errnoCode, inPhase, ioHint, withAftermath } from './io.js';
import { removeSwapMarker, workPrefix, writeSwapMarker } from './leftovers.js';

/**
 * A run builds in a work directory beside the target and swaps it in only
 * when every step succeeded, so a failure or Ctrl-C never touches the user's
 * files. An existing target is moved aside as <target>.bak-<UTC timestamp>,
 * never deleted. The caller holds the target's claim (src/output/claim.ts).
 */
export interface Stage {
  readonly target: string;
  readonly workDir: string;
  /** Moves the old target aside (if any) and the work directory into place. */
  commit(): Promise<{ backup?: string }>;
  /** Removes the work directory (or keeps it, renamed -kept-), the target as it was; says where things stand. */
  abandon(keep: boolean): Promise<Aftermath>;
}

export async function openStage(target: string): Promise<Stage> {
  const workDir = await inPhase('creating the work directory', dirname(target), () => makeWorkDir(target));
  return {
    target,
    workDir,
    commit: () => swapIn(target, workDir),
    abandon: (keep) => abandonWork(target, workDir, keep),
  };
}

/**
 * The work directory, made beside the target by mkdtemp, so that the swap is a rename on one file system,
 * and named by workPrefix: the run id in the name is what the next run reads. Never under TMPDIR, so an
 * unusable TMPDIR does not matter to a run (tmp-promise reads TMPDIR as it loads, and throws if it is gone).
 * Never removed at exit: abandonWork decides, and --keep-work keeps it.
 */
async function makeWorkDir(target: string): Promise<string> {
  // mkdtemp adds six random characters to the prefix, and makes the directory 0700.
  const workDir = await mkdtemp(workPrefix(target));
  // 0700 whatever the umask: it holds unencrypted keys until the swap.
  await chmod(workDir, 0o700);
  return workDir;
}

/**
 * Two renames, target -> backup and work -> target, with a marker beside them
 * naming both: a run killed between the two leaves the target missing, and
 * the next run on it completes the swap (src/output/leftovers.ts).
 */
async function swapIn(target: string, workDir: string): Promise<{ backup?: string }> {
  await inPhase('swapping in', target, async () => {
    await chmod(workDir, 0o700);
  });
  const existed = await lstat(target).then(
    () => true,
    () => false,
  );
  const backup = existed ? await freeBackupName(target, new Date()) : undefined;
  await inPhase('swapping in', target, () => writeSwapMarker(target, { pid: process.pid, work: workDir, backup }));
  if (backup) {
    try {
      await rename(target, backup);
    } catch (e) {
      await removeSwapMarker(target);
      throw asPhaseError(`moving ${target} aside to ${basename(backup)}`, target, e);
    }
  }
  try {
    await rename(workDir, target);
  } catch (e) {
    const undone = backup
      ? await rename(backup, target).then(
          () => true,
          () => false,
        )
      : true;
    if (undone) {
      await removeSwapMarker(target);
      throw asPhaseError(`moving the new files into ${target}`, target, e);
    }
    // Neither rename can be undone now: the marker stays, for the next run to finish the swap.
    const targetNote =
      `${target} is missing: the old directory is ${backup} and the new one ${workDir}; ` +
      `the next kafka-mtls run on ${target} puts the new one in place (or mv it there yourself).`;
    const message = `moving the new files into ${target} failed: ${(e as Error).message}`;
    const aftermath = { target, keptWork: workDir, targetNote };
    throw new OutputError(message, ioHint(errnoCode(e), target), aftermath, 'swapping in');
  }
  await removeSwapMarker(target);
  return { backup };
}

async function abandonWork(target: string, workDir: string, keep: boolean): Promise<Aftermath> {
  if (keep) {
    // Renamed so that the next run, which removes the work directories of killed runs, leaves it alone.
    const kept = workDir.replace(/\.kafka-mtls-work-(?=[^/]*$)/, '.kafka-mtls-kept-');
    return rename(workDir, kept).then(
      () => ({ target, keptWork: kept }),
      () => ({ target, keptWork: workDir }),
    );
  }
  try {
    await rm(workDir, { recursive: true, force: true });
    return { target };
  } catch (e) {
    const why = (e as Error).message;
    return { target, workLeft: `${workDir} could not be removed (${why}); it holds unencrypted keys: remove it` };
  }
}

/** certs.bak-20261128T012243Z, with -1, -2 … when runs fall in the same second. */
async function freeBackupName(target: string, now: Date): Promise<string> {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const base = `${target}.bak-${stamp}`;
  const taken = new Set(await readdir(dirname(target)));
  if (!taken.has(basename(base))) return base;
  for (let i = 1; ; i++) if (!taken.has(`${basename(base)}-${i}`)) return `${base}-${i}`;
}

/**
 * A stage whose work directory starts as a copy of the target, byte for byte
 * and mode for mode (apply, rotate-ca): the plan then changes only what it
 * writes, each file made anew. A target holding a symbolic link is refused:
 * copying the link would let the steps write through it, outside the target,
 * and the backup would hold the link, not the old bytes.
 */
export async function openCopyStage(
  target: string,
  opts: {
    readonly prepare?: (workDir: string) => Promise<void>;
    readonly steps: (present: ReadonlySet<string>) => readonly Step[];
  },
): Promise<Stage> {
  await inPhase(`reading ${target}`, target, () => refuseLinks(target));
  const stage = await openStage(target);
  try {
    await inPhase(`copying ${target} into the work directory`, target, () =>
      cp(target, stage.workDir, { recursive: true, preserveTimestamps: true, dereference: true, force: true }),
    );
    await opts.prepare?.(stage.workDir);
    const present = new Set(await listFiles(stage.workDir));
    // keytool would add to an old keystore: what a step writes, and does not read, is removed first.
    for (const s of opts.steps(present)) {
      const stale = s.writes.filter((f) => present.has(f) && !s.reads.includes(f));
      for (const f of stale) await rm(join(stage.workDir, f), { force: true });
    }
  } catch (e) {
    const after = await stage.abandon(false);
    throw e instanceof OutputError ? withAftermath(e, after) : e;
  }
  return stage;
}

/** Exit 2 naming the first symbolic link under dir. */
export async function refuseLinks(dir: string, rel = ''): Promise<void> {
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isSymbolicLink()) {
      const rule =
        'kafka-mtls changes a directory in a copy and does not write through links; ' +
        'replace it with what it points to (cp -rL), then run again';
      throw new UsageError('--out', `${join(dir, p)} is a symbolic link: ${rule}`);
    }
    if (e.isDirectory()) await refuseLinks(dir, p);
  }
}
