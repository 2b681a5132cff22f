import type { ResultPromise } from 'execa';
import { rmSync } from 'node:fs';
import { access, chmod, mkdtemp, realpath, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { seaAsset } from './assets.js';
import { childEnv, type Exec, type ExecOutcome, type ExecRequest } from './exec.js';
import { ENGLISH_JVM_OPTIONS } from './jdk.js';
import { scratchDir } from './scratch.js';
import { startInGroup } from './spawn.js';
import { isExecutable, locate } from './tools.js';

/**
 * keytool steps run in one JVM (java/KeytoolHost.java) instead of one JVM
 * each. A keytool process spends most of its half second deriving PKCS12
 * keys in code the JIT has not compiled yet; in a JVM that stays up, the
 * second store costs a fifth of the first. Each step is still the keytool
 * command of its record, run by the JDK's own keytool class with the same
 * arguments, with its own exit code and output; only the `-J` options, which
 * configure a JVM of its own, are left out.
 *
 * When the host cannot start (no `java` beside keytool, a JDK 8 that has no
 * --add-exports, the class not built), keytool steps run as processes, as
 * with `--keytool-jvm per-step`.
 */

/** Where `npm run build` puts the host's classes (the same from src/ and dist/). */
export const HOST_CLASS_DIR = fileURLToPath(new URL('../../java/', import.meta.url));

const seaClassDirs = new Map<string, Promise<string>>();

/**
 * java/ of the package; inside the single executable, a private directory (0700) the classes are written to,
 * since java loads classes from files, removed when the process exits. A run's host gets `besidePrefix`, its
 * work directory's (a mkdtemp prefix beside the target), so that TMPDIR, which may be read-only or missing,
 * is never needed for a run's files, and a killed run's copy is removed by the next run as its work directory
 * is (output/leftovers.ts). A host without one (verify's judge) uses TMPDIR, as its other scratch files do.
 */
function hostClassDir(besidePrefix: string | undefined): Promise<string> {
  // java/: the host, the TLS judge (in-memory JSSE handshakes) and Kafka's principal rules, with their inner classes.
  const list = seaAsset('java/classes.txt')?.toString('utf8').split('\n').filter(Boolean) ?? [];
  const classes = list.map((c) => [c, seaAsset(`java/${c}`)] as const);
  if (!classes.some(([c, bytes]) => c === 'KeytoolHost.class' && bytes)) return Promise.resolve(HOST_CLASS_DIR);
  const key = besidePrefix ?? '';
  let made = seaClassDirs.get(key);
  if (made) return made;
  made = (async () => {
    // Removed here, not by tmp, which cleans up at exit only once asked to for every directory it made.
    const dir = besidePrefix
      ? await mkdtemp(besidePrefix)
      : (await scratchDir({ template: 'kafka-mtls-host-XXXXXX', keep: true })).path;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await chmod(dir, 0o700);
    for (const [name, bytes] of classes) if (bytes) await writeFile(join(dir, name), bytes, { mode: 0o600 });
    return dir;
  })();
  seaClassDirs.set(key, made);
  return made;
}

const HOST_JVM_OPTIONS = [
  ...ENGLISH_JVM_OPTIONS,
  '-XX:+UseSerialGC',
  '-XX:-UsePerfData',
  // keytool's classes live in java.base, which does not export them.
  '--add-exports',
  'java.base/sun.security.tools.keytool=ALL-UNNAMED',
];

/**
 * Measured here (2 cores, JDK 17) on 25 keystore imports: C1 alone takes
 * 5.0 s of CPU and 47 MiB; with C2 3.7 s and 87 MiB, as C2 pays for itself
 * only after a dozen stores. Below that, C1 alone is faster and smaller.
 * The small young generation keeps the heap from growing to a share of the
 * machine's memory for stores of a few kilobytes.
 */
export function hostJvmOptions(keytoolSteps: number): string[] {
  return ['-Xmx64m', '-Xmn4m', ...(keytoolSteps > C2_FROM_STEPS ? [] : ['-XX:TieredStopAtLevel=1'])];
}

const C2_FROM_STEPS = 12;

const READY_TIMEOUT_MS = 30_000;

export interface KeytoolHostOptions {
  /** The keytool the plan names (a name on PATH or a path): the host runs the `java` beside it. */
  readonly keytool: string;
  readonly cwd: string;
  /** Every variable a keytool step may read (the run's secrets): a JVM's environment is fixed at its start. */
  readonly env: Readonly<Record<string, string>>;
  readonly classDir?: string;
  /** A run's: where the single executable may write the host's classes, beside the target (hostClassDir). */
  readonly scratchPrefix?: string;
  readonly jvmOptions?: readonly string[];
  readonly pathEnv?: string;
  /**
   * For a host that runs no keytool command (verify's judge, the principal rules): a java that knows no
   * --add-exports (JDK 8, which has no modules and so needs none) is started again without it.
   */
  readonly withoutKeytool?: boolean;
}

/** The `java` of the JDK a keytool belongs to, or why there is none. */
export async function javaBeside(
  keytool: string,
  pathEnv = process.env.PATH ?? '',
): Promise<string | { readonly reason: string }> {
  const path = keytool.includes('/') ? keytool : await locate(keytool, { PATH: pathEnv });
  if (path === undefined) return { reason: `${keytool} is not on PATH` };
  // Symlinks resolved (/usr/bin/keytool -> the JDK's bin/keytool): the host must run that JDK's keytool class,
  // and only a file that is a JDK's keytool says which JDK. /bin/false has a java beside it on most systems.
  const real = await realpath(path).catch(() => path);
  if (basename(real) !== 'keytool')
    return { reason: `${path} is not a JDK's keytool (it is ${real}), so the host cannot stand in for it` };
  const java = join(dirname(real), 'java');
  return (await isExecutable(java)) ? java : { reason: `${path} has no java beside it` };
}

type Reply =
  | { readonly kind: 'done'; readonly exitCode: number; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'exit'; readonly stdout: string; readonly stderr: string };

/** One running KeytoolHost JVM. */
class HostProcess {
  private readonly lines: string[] = [];
  private waiting?: (line: string | undefined) => void;
  private closed = false;
  private jvmStderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(private readonly child: ResultPromise) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else this.lines.push(line);
    });
    child.stderr!.on('data', (b: Buffer) => {
      this.jvmStderr += b.toString();
    });
    // execa's result comes once the JVM has exited and its output is read to the end.
    this.exited = child.then((r) => {
      this.closed = true;
      this.waiting?.(undefined);
      this.waiting = undefined;
      // A java that cannot be started has no exit code and no signal; its error is the reason.
      if (r.exitCode === undefined && r.signal === undefined) this.jvmStderr += (r.cause as Error | undefined)?.message;
      return { code: r.exitCode ?? null, signal: r.signal ?? null };
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The next protocol line, or undefined once the JVM has gone. */
  nextLine(): Promise<string | undefined> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  send(args: readonly string[]): void {
    const b64 = args.map((a) => Buffer.from(a, 'utf8').toString('base64'));
    this.child.stdin!.write(`${args.length}\n${b64.map((a) => `${a}\n`).join('')}`);
  }

  /** What the JVM itself printed (not keytool: its output is captured per command). */
  takeStderr(): string {
    const s = this.jvmStderr;
    this.jvmStderr = '';
    return s;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    await this.exited;
  }
}

function decode(field: string | undefined): string {
  return field === undefined || field === '-' ? '' : Buffer.from(field, 'base64').toString('utf8');
}

function parseReply(line: string): Reply | undefined {
  const [kind, ...rest] = line.split(' ');
  if (kind === 'done' && rest.length === 3)
    return { kind, exitCode: Number(rest[0]), stdout: decode(rest[1]), stderr: decode(rest[2]) };
  if (kind === 'exit' && rest.length === 2) return { kind, stdout: decode(rest[0]), stderr: decode(rest[1]) };
  return undefined;
}

export interface KeytoolHost {
  /** Runs keytool requests in the shared JVM and everything else with `fallback`. */
  readonly exec: Exec;
  /** Starts the JVM now, so that its start-up overlaps other work. */
  readonly warm: () => void;
  /** Why keytool steps ran as processes, once the host could not start. */
  readonly unavailable: () => string | undefined;
  /** How many JVMs it started: one, plus one after each keytool error (keytool exits on them). */
  readonly starts: () => number;
  readonly close: () => Promise<void>;
}

/**
 * An Exec that sends the requests for `opts.keytool` to a shared JVM, one at
 * a time, starting it on the first (or at once with `warm`) and again after
 * keytool has ended it (it exits on its own errors).
 */
export function keytoolHost(fallback: Exec, opts: KeytoolHostOptions): KeytoolHost {
  let current: Promise<HostProcess | { reason: string }> | undefined;
  let unavailable: string | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let starts = 0;

  const start = async (): Promise<HostProcess | { reason: string }> => {
    const java = await javaBeside(opts.keytool, opts.pathEnv);
    if (typeof java !== 'string') return java;
    let classDir: string;
    try {
      classDir = opts.classDir ?? (await hostClassDir(opts.scratchPrefix));
    } catch (e) {
      // An unusable TMPDIR, a full or read-only disk: keytool runs as processes instead, with a note.
      return { reason: `the keytool host's classes could not be written: ${(e as Error).message}` };
    }
    const classFile = join(classDir, 'KeytoolHost.class');
    if (
      !(await access(classFile).then(
        () => true,
        () => false,
      ))
    )
      return { reason: `${classFile} is missing (npm run build compiles it)` };
    const launch = async (options: readonly string[]): Promise<HostProcess | { reason: string }> => {
      starts++;
      const { child } = await startInGroup(
        java,
        [...options, ...(opts.jvmOptions ?? []), '-cp', classDir, 'KeytoolHost'],
        // Its output is the protocol, read line by line as it comes: execa keeps none of it (buffer: false).
        { cwd: opts.cwd, env: childEnv(opts.env), extendEnv: false, stdin: 'pipe', buffer: false, reject: false },
      );
      const host = new HostProcess(child);
      const timer = setTimeout(() => host.kill(), READY_TIMEOUT_MS);
      const first = await host.nextLine();
      clearTimeout(timer);
      if (first?.startsWith('ready ')) return host;
      host.kill();
      const said = (host.takeStderr().trim().split('\n')[0] ?? '').trim();
      return { reason: `${java} could not start the keytool host${said ? `: ${said}` : ''}` };
    };
    const first = await launch(HOST_JVM_OPTIONS);
    if (first instanceof HostProcess || !opts.withoutKeytool || !/--add-exports/.test(first.reason)) return first;
    return launch(HOST_JVM_OPTIONS.filter((o, i, all) => o !== '--add-exports' && all[i - 1] !== '--add-exports'));
  };

  const get = (): Promise<HostProcess | { reason: string }> => (current ??= start());

  const canHost = (req: ExecRequest): boolean =>
    req.file === opts.keytool &&
    req.input === undefined &&
    req.cwd === opts.cwd &&
    Object.entries(req.env).every(([k, v]) => opts.env[k] === v);

  const runInHost = async (req: ExecRequest): Promise<ExecOutcome> => {
    const host = await get();
    if (!(host instanceof HostProcess)) {
      unavailable = host.reason;
      return fallback(req);
    }
    if (req.signal?.aborted) return { kind: 'cancelled', stdout: '', stderr: '' };
    host.send(req.args.filter((a) => !a.startsWith('-J')));
    let ended: 'timed-out' | 'cancelled' | undefined;
    const stop = (why: 'timed-out' | 'cancelled') => {
      ended ??= why;
      host.kill();
    };
    const timer = setTimeout(() => stop('timed-out'), req.timeoutMs);
    const onAbort = () => stop('cancelled');
    req.signal?.addEventListener('abort', onAbort);
    try {
      const line = await host.nextLine();
      const reply = line === undefined ? undefined : parseReply(line);
      if (reply?.kind === 'done') {
        const jvm = host.takeStderr();
        report(req, reply.stdout, reply.stderr + jvm);
        return { kind: 'exited', exitCode: reply.exitCode, stdout: reply.stdout, stderr: reply.stderr + jvm };
      }
      // keytool ended the JVM (System.exit after an error), or the JVM died: its exit status is the command's.
      current = undefined;
      const { code, signal } = await host.exited;
      const stdout = reply?.stdout ?? '';
      const stderr = (reply?.stderr ?? '') + host.takeStderr();
      report(req, stdout, stderr);
      if (ended) return { kind: ended, stdout, stderr };
      if (code === null) return { kind: 'killed', signal: String(signal ?? 'unknown'), stdout, stderr };
      return { kind: 'exited', exitCode: code, stdout, stderr };
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
  };

  const exec: Exec = (req) => {
    if (!canHost(req)) return fallback(req);
    // One command at a time: keytool writes to System.out, which the host redirects per command.
    const p = queue.then(() => runInHost(req));
    queue = p.catch(() => undefined);
    return p;
  };

  return {
    exec,
    // Its failure is the first keytool step's, which waits for the same start: not an unhandled rejection.
    warm: () => void get().catch(() => undefined),
    unavailable: () => unavailable,
    starts: () => starts,
    close: async () => {
      await queue;
      const host = await current;
      if (host instanceof HostProcess) await host.close();
    },
  };
}

/** Output arrives per command, not as it is printed: --verbose gets it when the command ends. */
function report(req: ExecRequest, stdout: string, stderr: string): void {
  if (!req.onOutput) return;
  if (stdout) req.onOutput('stdout', stdout);
  if (stderr) req.onOutput('stderr', stderr);
}
