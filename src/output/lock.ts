import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { OutputError } from '../errors.js';
import { errnoCode } from './io.js';

/**
 * One run per directory at a time: `<parent>/.<name>.kafka-mtls.lock`, beside
 * the target (a lock inside it would be swapped away with it). It records who
 * holds it, so that a refused run can name the holder and a lock left by a
 * process that no longer exists can be taken over.
 */

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly startedAt: string;
  /** The holder's start time in clock ticks since boot (/proc/<pid>/stat), to tell a reused PID. */
  readonly procStart?: string;
}

export interface Lock {
  readonly path: string;
  release(): Promise<void>;
}

export function lockPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.kafka-mtls.lock`);
}

/** Takes the lock of `target` or throws an OutputError naming its holder. */
export async function acquireLock(target: string, command: string, note: (text: string) => void): Promise<Lock> {
  const path = lockPath(target);
  const startedAt = new Date().toISOString();
  const me: LockHolder = { pid: process.pid, host: hostname(), command, startedAt, procStart: procStart(process.pid) };
  const text = JSON.stringify(me) + '\n';
  // Written whole under a private name, then linked into place: link(2) fails if the lock exists, as O_EXCL
  // would, and a reader never sees a lock half written.
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    // A full disk can fail the write after creating the file: the finally removes it either way.
    await writeFile(tmp, text, { mode: 0o600 });
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, path);
        break;
      } catch (e) {
        if (errnoCode(e) !== 'EEXIST') throw e;
      }
      const holder = await readHolder(path);
      if (holder === 'gone') continue;
      if (holder === 'unreadable') throw busy(target, path, undefined);
      if (!isStale(holder) || attempt >= 20) throw busy(target, path, holder);
      if (await removeStale(path, holder)) {
        note(`took over the lock of ${target}, left by ${describe(holder)}, which is no longer running`);
      }
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return held(path, text);
}

function held(path: string, text: string): Lock {
  // process.exit() and an uncaught exception skip `finally`: the lock still goes.
  const onExit = () => {
    try {
      if (readFileSync(path, 'utf8') === text) unlinkSync(path);
    } catch {
      // already gone
    }
  };
  process.on('exit', onExit);
  return {
    path,
    async release() {
      process.off('exit', onExit);
      const now = await readFile(path, 'utf8').catch(() => undefined);
      if (now === text) await unlink(path).catch(() => undefined);
    },
  };
}

async function readHolder(path: string): Promise<LockHolder | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return 'gone';
    throw e;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return Number.isInteger(h.pid) && h.pid > 0 && typeof h.host === 'string' ? h : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** A lock of this host whose process is gone, or whose PID now belongs to a process started later. */
export function isStale(h: LockHolder): boolean {
  if (h.host !== hostname()) return false;
  if (!isAlive(h.pid)) return true;
  const now = procStart(h.pid);
  return h.procStart !== undefined && now !== undefined && now !== h.procStart;
}

/** A process that exists and has not ended (a zombie waits only to be reaped, by a parent that may never do so). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (errnoCode(e) !== 'EPERM') return false;
  }
  return procStatFields(pid)?.[0] !== 'Z';
}

export function procStart(pid: number): string | undefined {
  return procStatFields(pid)?.[19];
}

/** /proc/<pid>/stat from field 3 (state) on; field 22 (starttime) is at index 19. */
function procStatFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * Removes a stale lock, unless another run took it over first: a guard file
 * made with O_EXCL lets one taker at a time read the lock again and remove it.
 */
async function removeStale(path: string, seen: LockHolder): Promise<boolean> {
  const guard = `${path}.takeover`;
  try {
    await writeFile(guard, String(process.pid), { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if (errnoCode(e) !== 'EEXIST') throw e;
    // Another run is taking it over; a guard older than a few seconds was left by a killed one.
    const age = await stat(guard).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > 5000) await unlink(guard).catch(() => undefined);
    else await new Promise((r) => setTimeout(r, 50));
    return false;
  }
  try {
    const again = await readHolder(path);
    if (typeof again === 'string' || again.pid !== seen.pid || again.startedAt !== seen.startedAt) return false;
    await unlink(path);
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

function describe(h: LockHolder): string {
  return `PID ${h.pid} on ${h.host} (\`kafka-mtls ${h.command}\`, since ${h.startedAt})`;
}

function busy(target: string, path: string, h: LockHolder | undefined): OutputError {
  if (!h) {
    return new OutputError(
      `${target} is locked by ${path}, which is not a lock this version reads`,
      `If no kafka-mtls run is changing ${target}, remove ${path}.`,
    );
  }
  const elsewhere = h.host !== hostname();
  return new OutputError(
    `${target} is being changed by another kafka-mtls run: ${describe(h)}`,
    elsewhere
      ? 'Wait for it to finish. The run is on another host, so its lock cannot be checked from here: ' +
          `if it is over, remove ${path}.`
      : 'Wait for it to finish, then run again.',
  );
}
