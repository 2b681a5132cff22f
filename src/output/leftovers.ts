import { lstat, readdir, readFile, readlink, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode, inPhase } from './io.js';
import { isAlive } from './lock.js';
import { RUN_ID, RUN_ID_PATTERN, runIdOf } from '../runner/run-id.js';

/**
 * What a killed run leaves beside its target, found and put right by the next
 * run on that target while it holds the lock: a swap cut between its two
 * renames, and work directories holding unencrypted keys.
 */

const WORK = '.kafka-mtls-work-';

/**
 * `.certs.kafka-mtls-work-<run id>-XXXXXX`: the run id in the name is what a later run finds in the environment
 * of the processes this run started (run-id.ts), and the only ones it may stop.
 */
export function workPrefix(target: string): string {
  return join(dirname(target), `.${basename(target)}${WORK}${RUN_ID}-`);
}

export function swapMarkerPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.kafka-mtls-swap`);
}

export interface SwapMarker {
  readonly pid: number;
  readonly work: string;
  readonly backup?: string;
}

export async function writeSwapMarker(target: string, m: SwapMarker): Promise<void> {
  await writeFile(swapMarkerPath(target), JSON.stringify(m) + '\n', { mode: 0o600 });
}

export async function removeSwapMarker(target: string): Promise<void> {
  await unlink(swapMarkerPath(target)).catch(() => undefined);
}

const exists = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );

/**
 * A swap renames the target to its backup, then the work directory to the
 * target. Cut between the two, the target is missing: the swap is completed
 * (the run had succeeded up to it), or, with no work directory left, the
 * backup is put back.
 */
export async function repairSwap(target: string, note: (text: string) => void): Promise<void> {
  const path = swapMarkerPath(target);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  let m: SwapMarker | undefined;
  try {
    m = JSON.parse(text) as SwapMarker;
  } catch {
    m = undefined;
  }
  await inPhase('repairing an interrupted swap', target, async () => {
    if (m && !(await exists(target))) {
      if (typeof m.work === 'string' && (await exists(m.work))) {
        await rename(m.work, target);
        const old = m.backup ? `; the old one is ${m.backup}` : '';
        note(`a run (PID ${m.pid}) was stopped while swapping in ${target}: its new directory is now in place${old}`);
      } else if (typeof m.backup === 'string' && (await exists(m.backup))) {
        await rename(m.backup, target);
        const back = `the old directory is back in place from ${m.backup}`;
        note(`a run (PID ${m.pid}) was stopped while swapping in ${target}: ${back}`);
      }
    }
    await unlink(path);
  });
}

/**
 * Removes the work directories of runs on this target that ended without removing them. The caller holds the
 * lock, which proves that their runs are over (lock.ts): what still runs in such a directory is stopped only
 * when it carries that run's id in its environment (run-id.ts), as every process a run starts does. Anything
 * else in it (an operator's shell, a `sleep` someone started there) is never stopped: the directory is left,
 * with a note naming it.
 */
export async function removeAbandonedWork(target: string, note: (text: string) => void): Promise<void> {
  const parent = dirname(target);
  const prefix = `.${basename(target)}${WORK}`;
  const names = (await readdir(parent).catch(() => [] as string[])).filter((n) => n.startsWith(prefix));
  for (const name of names) {
    const dir = join(parent, name);
    // Named by the run id since it is there; a directory named by a PID (an older kafka-mtls) has none.
    const runId = /^([0-9a-f]+)-/.exec(name.slice(prefix.length))?.[1];
    if (runId === RUN_ID) continue;
    const found = await processesInside(dir);
    const proven = runId !== undefined && RUN_ID_PATTERN.test(runId) ? await startedBy(runId, found) : [];
    for (const pid of proven) tryKill(pid);
    await waitGone(proven, 3000);
    const strangers = found.filter((pid) => !proven.includes(pid));
    const stopped = proven.length ? `; stopped ${proven.length} of its processes still running in it` : '';
    if (strangers.length) {
      const one = strangers.length === 1;
      const who = (await Promise.all(strangers.map(describeProcess))).join(', ');
      note(
        `left ${dir} in place: ${who} ${one ? 'is' : 'are'} using it, and kafka-mtls did not start ` +
          `${one ? 'it' : 'them'}${stopped}; it holds unencrypted keys: remove it once ` +
          `${one ? 'that process has' : 'those processes have'} ended`,
      );
      continue;
    }
    await inPhase(`removing ${dir}`, dir, () => rm(dir, { recursive: true, force: true }));
    note(`removed ${dir}, left by a run that ended without cleaning up${stopped}`);
  }
}

/** The processes of `pids` whose environment carries `runId`: those the run started, and theirs. */
async function startedBy(runId: string, pids: readonly number[]): Promise<number[]> {
  const ids = await Promise.all(pids.map(runIdOf));
  return pids.filter((_, i) => ids[i] === runId);
}

/** `PID 4242 (sleep)`, by its name in /proc/PID/comm. */
async function describeProcess(pid: number): Promise<string> {
  const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  return comm ? `PID ${pid} (${comm})` : `PID ${pid}`;
}

/** Processes whose working directory or an open file is inside dir (Linux /proc; none found elsewhere). */
export async function processesInside(dir: string): Promise<number[]> {
  const inside = (p: string) => p === dir || p.startsWith(`${dir}/`);
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).map(Number);
  const found: number[] = [];
  for (const pid of pids) {
    if (pid === process.pid) continue;
    if (inside(await readlink(`/proc/${pid}/cwd`).catch(() => ''))) {
      found.push(pid);
      continue;
    }
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if (inside(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''))) {
        found.push(pid);
        break;
      }
    }
  }
  return found;
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (e) {
    if (errnoCode(e) !== 'ESRCH') throw e;
  }
}

async function waitGone(pids: readonly number[], ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (pids.some(isAlive) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

/**
 * A swap cut between its two renames, as a reader finds it (plan takes no lock and repairs nothing): the target
 * missing, and the marker naming the directories the next apply or generate puts back in place. Undefined when
 * the target is there or no marker says so.
 */
export async function interruptedSwap(target: string): Promise<string | undefined> {
  if (await exists(target)) return undefined;
  const text = await readFile(swapMarkerPath(target), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let m: Partial<SwapMarker> = {};
  try {
    m = JSON.parse(text) as SwapMarker;
  } catch {
    // A marker cut while written: the run stopped before its first rename, and the target's absence is not its doing.
    return undefined;
  }
  const work = typeof m.work === 'string' && (await exists(m.work)) ? m.work : undefined;
  const backup = typeof m.backup === 'string' && (await exists(m.backup)) ? m.backup : undefined;
  if (!work && !backup) return undefined;
  const what = work
    ? `its new directory ${work} is complete, and the next kafka-mtls apply or generate on it moves it into place`
    : `the next kafka-mtls apply or generate on it puts the old directory back from ${backup}`;
  return `a run (PID ${m.pid}) was stopped while swapping in ${target}: ${what}`;
}
