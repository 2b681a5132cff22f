import { childEnv } from './exec.js';
import { startInGroup } from './spawn.js';
import { locate } from './tools.js';

/**
 * flock(2) on a file descriptor this process holds open, taken by util-linux's `flock` (1) on the same open
 * file description, handed to it as its fd 3.
 *
 * Why so: Node has no flock(2), and a native addon (fs-ext) needs a compiler and does not load in the
 * single executable. A flock belongs to the open file description, not to the process that took it, so the
 * lock outlives the `flock` process, which exits at once, and is held for as long as this process keeps its
 * descriptor: until it closes it or dies, however it dies (SIGKILL too), when the kernel closes it. A lock in
 * the keytool host JVM would need the JVM (not started by every command, nor by --keytool-jvm per-step), and
 * Java's FileChannel.lock is an fcntl lock, which flock(2) does not see on Linux. flock(2) works across PID
 * namespaces and containers on one kernel (it is the file's, whatever the process's PID), and over NFS,
 * where Linux carries it as an fcntl lock. `flock` is in util-linux, which every Debian and Ubuntu image
 * (the JDK images) has; where it is missing, the caller does without and says so in the lock.
 */
export type FlockResult = 'locked' | 'busy' | { readonly unavailable: string };

/** The exit code asked of flock when the lock is held by another (--conflict-exit-code): 1 is its error. */
const BUSY = 75;

let flockPath: Promise<string | undefined> | undefined;

/** Tries the lock, without waiting: exclusive for a holder, shared for a check that must not block others. */
export async function flockFd(fd: number, mode: 'exclusive' | 'shared'): Promise<FlockResult> {
  const flock = await (flockPath ??= locate('flock'));
  if (flock === undefined) return { unavailable: 'flock (util-linux) is not on PATH' };
  // execa passes a descriptor number through to child_process.spawn, which makes it the child's fd 3; its
  // types name only 3 to 9 (the parent's own numbers), though any open descriptor works.
  const inherited = fd as 3;
  const { child } = await startInGroup(
    flock,
    ['--nonblock', mode === 'exclusive' ? '--exclusive' : '--shared', '--conflict-exit-code', String(BUSY), '3'],
    {
      stdio: ['ignore', 'pipe', 'pipe', inherited],
      env: childEnv({}),
      extendEnv: false,
      reject: false,
      timeout: 10_000,
    },
  );
  const r = await child;
  if (r.exitCode === 0) return 'locked';
  if (r.exitCode === BUSY) return 'busy';
  const said = String(r.stderr ?? '')
    .trim()
    .split('\n')[0];
  return { unavailable: `${flock} failed${said ? `: ${said}` : r.exitCode === undefined ? ' to start' : ''}` };
}
