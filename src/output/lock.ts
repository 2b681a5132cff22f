import { readFileSync, readlinkSync, unlinkSync } from 'node:fs';
import { link, open, readFile, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { OutputError } from '../errors.js';
import { atExit } from '../runner/at-exit.js';
import { flockFd, type FlockResult } from '../runner/flock.js';
import { RUN_ID } from '../runner/run-id.js';
import { errnoCode } from './io.js';

/**
 * One run per directory at a time: `<parent>/.<name>.kafka-mtls.lock`, beside
 * the target (a lock inside it would be swapped away with it). It records who
 * holds it, so that a refused run can name the holder, and what proves the
 * holder alive, so that a lock left by a run that has ended can be taken over
 * and no other is.
 *
 * The proof: the holder keeps an flock on the lock file (runner/flock.ts),
 * which the kernel drops when the holder dies, in whatever PID namespace or
 * container it ran. A held flock means alive, whatever the PID says; a free
 * one means ended, when the lock was taken under this kernel (its boot id).
 * Without an flock to test, the PID is a proof only in the PID namespace it
 * was recorded in, under the same kernel: PID 1 of a container is not this
 * system's PID 1. Anything else cannot be proven, and is not taken over: the
 * refusal says so, and how to remove the lock.
 */

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly startedAt: string;
  /** The holder's start time in clock ticks since boot (/proc/self/stat, as it saw it), to tell a reused PID. */
  readonly procStart?: string;
  /** /proc/sys/kernel/random/boot_id: the kernel it ran under, shared by every container on one host. */
  readonly bootId?: string;
  /** /proc/self/ns/pid (`pid:[4026531836]`): the namespace its PID means something in. */
  readonly pidNs?: string;
  readonly runId?: string;
  /** Whether it holds an flock on the lock file. */
  readonly flock?: boolean;
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
  // Named by the run id, not the PID: two runs in two PID namespaces can both be PID 1.
  const tmp = `${path}.${RUN_ID}.tmp`;
  let file: FileHandle | undefined;
  try {
    // The flock is taken before the lock has its name, so that no lock is ever seen without it. A full disk
    // can fail the write after creating the file: the finally removes it either way.
    file = await open(tmp, 'wx', 0o600);
    const flocked = await flockFd(file.fd, 'exclusive');
    const text = JSON.stringify({ ...holderHere(command), flock: flocked === 'locked' }) + '\n';
    await file.writeFile(text);
    // Written whole under a private name, then linked into place: link(2) fails if the lock exists, as
    // O_EXCL would, and a reader never sees a lock half written.
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, path);
        break;
      } catch (e) {
        if (errnoCode(e) !== 'EEXIST') throw e;
      }
      const seen = await inspect(path);
      if (seen === 'gone') continue;
      if (seen.holder === undefined) throw unreadable(target, path);
      const verdict = liveness(seen.holder, seen.flock);
      if (verdict.state !== 'ended' || attempt >= 20) throw busy(target, path, seen.holder, verdict);
      if (await removeStale(path, seen)) {
        note(
          `took over the lock of ${target}, left by ${describe(seen.holder)}, ` +
            `which is no longer running (${verdict.why})`,
        );
      }
    }
    const lock = held(path, text, file);
    file = undefined;
    return lock;
  } finally {
    await file?.close();
    await unlink(tmp).catch(() => undefined);
  }
}

/** The descriptor stays open while the lock is held: closing it (or dying) drops the flock. */
function held(path: string, text: string, file: FileHandle): Lock {
  // process.exit() and an uncaught exception skip `finally`: the lock still goes.
  const onExit = () => {
    try {
      if (readFileSync(path, 'utf8') === text) unlinkSync(path);
    } catch {
      // already gone
    }
  };
  const forget = atExit(onExit);
  return {
    path,
    async release() {
      forget();
      const now = await readFile(path, 'utf8').catch(() => undefined);
      // Removed before the flock goes: a run that sees the flock free finds the file gone, or another's.
      if (now === text) await unlink(path).catch(() => undefined);
      await file.close().catch(() => undefined);
    },
  };
}

/** Who this process is, as a lock records it. */
function holderHere(command: string): LockHolder {
  const here = whereHere();
  return {
    pid: process.pid,
    host: hostname(),
    command,
    startedAt: new Date().toISOString(),
    procStart: procStatFields('self')?.[19],
    ...here,
    runId: RUN_ID,
  };
}

interface Where {
  readonly bootId?: string;
  readonly pidNs?: string;
}

let where: Where | undefined;

/** The kernel and the PID namespace of this process, where /proc says them. */
function whereHere(): Where {
  if (where) return where;
  const read = (f: () => string) => {
    try {
      return f().trim();
    } catch {
      return undefined;
    }
  };
  const bootId = read(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
  // A /proc mounted for another PID namespace (unshare --pid without --mount-proc) shows other PIDs than
  // getpid's: this process's PIDs and /proc/PID then disagree, and no PID is checked against it.
  const ownProc = read(() => readlinkSync('/proc/self')) === String(process.pid);
  const pidNs = ownProc ? read(() => readlinkSync('/proc/self/ns/pid')) : undefined;
  where = { ...(bootId ? { bootId } : {}), ...(pidNs ? { pidNs } : {}) };
  return where;
}

interface Seen {
  /** Undefined for a file that is not a lock this version reads. */
  readonly holder?: LockHolder;
  readonly text: string;
  readonly ino: number;
  readonly flock: FlockResult;
}

/** The lock file at path, read and its flock tested through one descriptor, so that both are of one file. */
async function inspect(path: string): Promise<Seen | 'gone'> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return 'gone';
    throw e;
  }
  try {
    const text = await file.readFile('utf8');
    const { ino } = await file.stat();
    // Shared: two runs testing one lock do not see each other's test as a holder.
    const flock = await flockFd(file.fd, 'shared');
    return { holder: parseHolder(text), text, ino, flock };
  } finally {
    await file.close();
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as LockHolder;
    return Number.isInteger(h.pid) && h.pid > 0 && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

type Liveness =
  | { readonly state: 'alive' }
  | { readonly state: 'ended'; readonly why: string }
  | { readonly state: 'unknown'; readonly why: string };

/** Whether the holder of a lock is running, from the lock and a test of its flock (`locked`: it was free). */
function liveness(h: LockHolder, flock: FlockResult, here: Where = whereHere()): Liveness {
  if (flock === 'busy') return { state: 'alive' };
  const sameKernel = h.bootId !== undefined && h.bootId === here.bootId;
  if (h.flock === true && flock === 'locked' && sameKernel) return { state: 'ended', why: 'its flock was released' };
  if (sameKernel && h.pidNs !== undefined && h.pidNs === here.pidNs) {
    if (!isAlive(h.pid)) return { state: 'ended', why: 'its PID is gone' };
    const now = procStatFields(h.pid)?.[19];
    if (h.procStart !== undefined && now !== undefined && now !== h.procStart)
      return { state: 'ended', why: 'its PID now belongs to a process started later' };
    return { state: 'alive' };
  }
  return { state: 'unknown', why: unprovable(h, flock, here) };
}

/** Why a holder's liveness cannot be proven from here. */
function unprovable(h: LockHolder, flock: FlockResult, here: Where): string {
  const untested = typeof flock === 'object' ? ` (${flock.unavailable})` : '';
  const noFlock = h.flock === true ? `its flock cannot be tested here${untested}` : 'it holds no flock';
  if (h.bootId === undefined)
    return `the lock does not say which system it was taken on (an older kafka-mtls wrote it)`;
  if (here.bootId === undefined) return 'this system does not say which boot it is (/proc/sys/kernel/random/boot_id)';
  if (h.bootId !== here.bootId)
    return (
      `it was taken under another kernel (on ${h.host}, or on this host before a restart), ` +
      'where its process cannot be seen'
    );
  if (h.pidNs === undefined || here.pidNs === undefined) return `its PID namespace is unknown, and ${noFlock}`;
  return (
    `it ran in another PID namespace (a container, or unshare --pid), where PID ${h.pid} is not this system's, ` +
    `and ${noFlock}`
  );
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

/** /proc/<pid>/stat from field 3 (state) on; field 22 (starttime) is at index 19. */
function procStatFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * Removes a lock whose holder has ended, unless another run took it over first: a guard file made with
 * O_EXCL lets one taker at a time look at the lock again (the same file, the same text) and remove it.
 */
async function removeStale(path: string, seen: Seen): Promise<boolean> {
  const guard = `${path}.takeover`;
  try {
    await writeFile(guard, RUN_ID, { flag: 'wx', mode: 0o600 });
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
    const ino = await stat(path).then(
      (s) => s.ino,
      () => undefined,
    );
    if (ino !== seen.ino || (await readFile(path, 'utf8').catch(() => undefined)) !== seen.text) return false;
    await unlink(path);
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

function describe(h: LockHolder): string {
  return `PID ${h.pid} on ${h.host} (\`kafka-mtls ${h.command}\`, since ${h.startedAt})`;
}

function unreadable(target: string, path: string): OutputError {
  return new OutputError(
    `${target} is locked by ${path}, which is not a lock this version reads`,
    `If no kafka-mtls run is changing ${target}, remove ${path}.`,
  );
}

function busy(target: string, path: string, h: LockHolder, verdict: Liveness): OutputError {
  const changing = `${target} is being changed by another kafka-mtls run: ${describe(h)}`;
  if (verdict.state !== 'unknown') return new OutputError(changing, 'Wait for it to finish, then run again.');
  return new OutputError(
    changing,
    `Its lock cannot be checked from here: ${verdict.why}. Wait for it to finish; if it is over, remove ${path}.`,
  );
}
