import type { Options, ResultPromise } from 'execa';
import type { EventEmitter } from 'node:events';
import { atExit } from './at-exit.js';

/**
 * Where every child process of kafka-mtls starts (exec.ts for the tools, keytool-host.ts for the shared JVM):
 * through execa, each in a process group of its own, stopped as a group, so that nothing a tool started goes
 * on writing into the work directory after us. Groups still running when this process exits (however it
 * exits but by SIGKILL) are killed then. A Ctrl-C at the terminal no longer reaches them directly: the CLI's
 * handler cancels the run, which stops them.
 */

type Execa = typeof import('execa').execa;
let loading: Promise<Execa> | undefined;

/**
 * execa is imported with the first process, not at start-up: a command that starts none (--help, --version)
 * does not pay for it. Its cost is measured by scripts/measure-exec.mjs (BENCHMARKS.md).
 */
function loadExeca(): Promise<Execa> {
  return (loading ??= import('execa').then((m) => m.execa));
}

type KillArgs = [signal?: NodeJS.Signals | number | Error, error?: Error];

/**
 * Starts `file` with execa's `options`, as the leader of a new process group (`detached`). Boxed: a
 * subprocess is a promise, which an async function's result would wait for.
 */
export async function startInGroup(
  file: string,
  args: readonly string[],
  options: Options,
): Promise<{ readonly child: ResultPromise }> {
  const execa = await loadExeca();
  const child: ResultPromise = execa(file, [...args], { ...options, detached: true });
  const pid = child.pid;
  // Not started: execa's result says why.
  if (pid === undefined) return { child };
  // Still running when this process exits: killed then, before what was set up ahead of it (the lock) goes.
  const forget = atExit(() => signalGroup(pid, 'SIGKILL'));
  // execa stops a child (its timeout, its cancelSignal) by calling kill(), which signals the one process:
  // the signal goes to the whole group first. execa's SIGKILL after forceKillAfterDelay reaches the leader
  // only; whatever of the group outlives a stopped leader is killed when the leader exits.
  let stopping = false;
  const killLeader = child.kill.bind(child) as (...a: KillArgs) => boolean;
  const killAll = (...a: KillArgs): boolean => {
    const signal = typeof a[0] === 'string' || typeof a[0] === 'number' ? a[0] : (options.killSignal ?? 'SIGTERM');
    stopping = true;
    signalGroup(pid, signal);
    return killLeader(...a);
  };
  child.kill = killAll as typeof child.kill;
  // The subprocess is a ChildProcess, whose events execa's type leaves out.
  (child as unknown as EventEmitter).once('exit', () => {
    forget();
    if (stopping) signalGroup(pid, 'SIGKILL');
  });
  return { child };
}

function signalGroup(pgid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
