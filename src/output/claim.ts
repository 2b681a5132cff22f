import { mkdir, realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { inPhase } from './io.js';
import { removeAbandonedWork, repairSwap } from './leftovers.js';
import { acquireLock } from './lock.js';

/**
 * A run's hold on its target, from before it reads the directory until after
 * the swap: the lock taken, and what a killed run left put right.
 */
export interface Claim {
  readonly target: string;
  release(): Promise<void>;
}

export type Note = (text: string) => void;

export async function claimTarget(target: string, command: string, note: Note): Promise<Claim> {
  // generate makes the parent; a missing one for apply or rotate-ca means no directory, which they report.
  if (command === 'generate') await makeParent(target);
  else if (!(await isDirectory(dirname(target)))) return { target, release: async () => undefined };
  const lock = await inPhase('taking the lock', dirname(target), () => acquireLock(target, command, note));
  try {
    await repairSwap(target, note);
    await removeAbandonedWork(target, note);
  } catch (e) {
    await lock.release();
    throw e;
  }
  return { target, release: () => lock.release() };
}

/** Runs fn holding the target's claim, released on every way out. */
export async function withClaim<T>(
  target: string,
  command: string,
  note: Note,
  fn: (claim: Claim) => Promise<T>,
): Promise<T> {
  const claim = await claimTarget(target, command, note);
  try {
    return await fn(claim);
  } finally {
    await claim.release();
  }
}

/** The directory plan, apply and rotate-ca work on, as openDirectory finds it (a symlink resolved). */
export async function targetOf(out: string | undefined): Promise<string> {
  const given = resolve(out ?? 'certs');
  return realpath(given).catch(() => given);
}

/**
 * The parent of --out, made if missing; one that is a file is bad input, found before anything is made.
 * Made one level at a time, not with mkdir's recursive option: that loops for ever, deaf to signals,
 * where mkdir answers ENOENT below an existing directory (--out /proc/x/certs).
 */
async function makeParent(target: string): Promise<void> {
  const missing: string[] = [];
  for (let p = dirname(target); ; p = dirname(p)) {
    const st = await stat(p).catch(() => undefined);
    if (st && !st.isDirectory()) {
      throw new UsageError('--out', `${p} is a file, not a directory: --out must be a directory path`);
    }
    if (st || dirname(p) === p) break;
    missing.unshift(p);
  }
  for (const p of missing) {
    await inPhase('creating the parent directory', p, () =>
      mkdir(p).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      }),
    );
  }
}

const isDirectory = (p: string) =>
  stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
