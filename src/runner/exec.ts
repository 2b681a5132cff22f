import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** The only place that starts processes. Injected into the runner so tests can replace it. */
export interface ExecRequest {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Added to the parent's environment (less the JVM options that choose a language: childEnv). */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Written to the child's standard input (a PEM to read, never a password); without it, stdin is closed. */
  readonly input?: string;
  /** Called with each chunk of output, for --verbose. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
}

export type ExecOutcome =
  | { readonly kind: 'exited'; readonly exitCode: number; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'not-started'; readonly code: string; readonly message: string }
  | { readonly kind: 'timed-out'; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'cancelled'; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'killed'; readonly signal: string; readonly stdout: string; readonly stderr: string };

export type Exec = (req: ExecRequest) => Promise<ExecOutcome>;

/**
 * Every child runs in a process group of its own and is stopped as a group,
 * so nothing it started goes on writing into the work directory after us;
 * groups still running when this process exits (however it exits but by
 * SIGKILL) are killed then. A Ctrl-C at the terminal no longer reaches them
 * directly: the CLI's handler cancels the run, which stops them.
 */
const liveGroups = new Set<number>();
let exitHook = false;

export function spawnInGroup(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(file, [...args], { ...options, detached: true });
  const pid = child.pid;
  if (pid !== undefined) {
    liveGroups.add(pid);
    child.once('exit', () => liveGroups.delete(pid));
  }
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const g of liveGroups) signalGroup(g, 'SIGKILL');
    });
  }
  return child;
}

/** Signals the child's whole group (the child, if it has none yet). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || !signalGroup(child.pid, signal)) child.kill(signal);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * The variables every JVM reads its options from. _JAVA_OPTIONS is applied
 * after the command line, so a `-Duser.language=ko` there beats keytool's
 * `-J-Duser.language=en` and the host's own, and keytool answers in Korean
 * to checks that read English. They stay for what else they carry (proxies,
 * memory, certificates), less the options that choose a language.
 */
const JVM_OPTION_VARIABLES = ['_JAVA_OPTIONS', 'JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS'] as const;
const LOCALE_OPTION = /(^|\s)-Duser\.(language|country|region|variant|script)(\.(display|format))?=\S*/g;

/** A child's environment: the parent's with `extra` added, and no JVM option that picks keytool's language. */
export function childEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of JVM_OPTION_VARIABLES) {
    const value = env[name];
    if (value === undefined) continue;
    const kept = value.replace(LOCALE_OPTION, '').trim();
    // Left empty, the JVM would still print "Picked up _JAVA_OPTIONS:" on every start.
    if (kept === '') delete env[name];
    else env[name] = kept;
  }
  return env;
}

/** After a timeout or a cancel, SIGTERM; SIGKILL if the process is still there this much later. */
const FORCE_KILL_AFTER_MS = 2000;

/**
 * Node's own spawn rather than a wrapper library: execa took 125 ms to load
 * and 10 to 15 ms of CPU per process, some 150 of them at 24 brokers
 * (BENCHMARKS.md).
 */
export const execProcess: Exec = (req) =>
  new Promise((resolve) => {
    if (req.signal?.aborted) {
      resolve({ kind: 'cancelled', stdout: '', stderr: '' });
      return;
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString();
    let ended: 'timed-out' | 'cancelled' | undefined;
    let forceKill: NodeJS.Timeout | undefined;
    let child: ChildProcess;
    try {
      child = spawnInGroup(req.file, req.args, {
        cwd: req.cwd,
        env: childEnv(req.env),
        // Without input, stdin is closed: a tool that prompts (keytool asking for
        // a password it did not get) must fail at once instead of hanging.
        stdio: [req.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      resolve({ kind: 'not-started', code: err.code ?? 'ERR', message: err.message });
      return;
    }
    const stop = (why: 'timed-out' | 'cancelled') => {
      if (ended || child.exitCode !== null || child.signalCode !== null) return;
      ended = why;
      killGroup(child, 'SIGTERM');
      forceKill = setTimeout(() => killGroup(child, 'SIGKILL'), FORCE_KILL_AFTER_MS);
    };
    const timer = setTimeout(() => stop('timed-out'), req.timeoutMs);
    const onAbort = () => stop('cancelled');
    req.signal?.addEventListener('abort', onAbort);
    const done = () => {
      clearTimeout(timer);
      clearTimeout(forceKill);
      req.signal?.removeEventListener('abort', onAbort);
    };
    child.stdout!.on('data', (b: Buffer) => {
      stdout.push(b);
      req.onOutput?.('stdout', b.toString());
    });
    child.stderr!.on('data', (b: Buffer) => {
      stderr.push(b);
      req.onOutput?.('stderr', b.toString());
    });
    if (req.input !== undefined) {
      // A tool that exits before reading all of its input closes the pipe: that is its exit to report, not an error.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(req.input);
    }
    child.on('error', (e: NodeJS.ErrnoException) => {
      // Spawning failed (no such file, not executable): 'close' may not follow.
      if (child.pid !== undefined) return;
      done();
      resolve({ kind: 'not-started', code: e.code ?? 'ERR', message: e.message });
    });
    child.on('close', (code, signal) => {
      if (child.pid === undefined) return;
      done();
      const out = { stdout: text(stdout), stderr: text(stderr) };
      if (ended) resolve({ kind: ended, ...out });
      else if (code === null) resolve({ kind: 'killed', signal: String(signal ?? 'unknown'), ...out });
      else resolve({ kind: 'exited', exitCode: code, ...out });
    });
  });
