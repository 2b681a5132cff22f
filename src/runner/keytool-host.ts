import type { ResultPromise } from 'execa';
import { rmSync } from 'node:fs';
import { access, chmod, mkdtemp, realpath, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { seaAsset } from './assets.js';
import { atExit } from './at-exit.js';
import { childEnv, type Exec, type ExecOutcome, type ExecRequest } from './exec.js';
import { ENGLISH_JVM_OPTIONS } from './jdk.js';
import { scratchDir } from './scratch.js';
import { startInGroup } from './spawn.js';
import { isExecutable, locate } from './tools.js';

/**
 * keytool steps run in one JVM (java/KeytoolHost.java) instead of one JVM
 * each. A keytool process spends most of its half second deriving PKCS12
 * keys in code the JIT has not compiled yet; in a JVM that stays up, the
 * second store costs a fifth of the first. Independent steps run at once,
 * each on a thread of the JVM (the runner starts as many steps at once as
 * there are cores). Each step is still the keytool command of its record, run
 * by the JDK's own keytool class with the same arguments, with its own exit
 * code and output; only the `-J` options, which configure a JVM of its own,
 * are left out.
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
export function hostClassDir(besidePrefix: string | undefined): Promise<string> {
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
    atExit(() => rmSync(dir, { recursive: true, force: true }));
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
 * The optimizing compiler (C2) is on whatever the number of steps: at 3 brokers (6 keytool steps),
 * scripts/bench.mjs with C2 against C1 alone (-XX:TieredStopAtLevel=1), side by side, 5 runs on an idle
 * machine (2026-12-08): the part after the CA key 0.52 s against 0.63, 3.97 s of CPU against 4.20, peak
 * memory 75 MiB against 74 (the script's: 94). The PBKDF2 of every PKCS12 store is what C2 compiles, while
 * the CA key is made. The small young generation keeps the heap from growing to a share of the machine's
 * memory for stores of a few kilobytes.
 */
export const HOST_JVM_SIZE: readonly string[] = ['-Xmx64m', '-Xmn4m'];

/**
 * For the JVMs verify and the principal rules start (not measured against C2 as the run's was): C1 alone up to
 * a dozen jobs, as the run's host had before (on 25 keystore imports C1 alone took 5.0 s of CPU and 47 MiB,
 * with C2 3.7 s and 87 MiB).
 */
export function judgeJvmOptions(jobs: number): string[] {
  return [...HOST_JVM_SIZE, ...(jobs > 12 ? [] : ['-XX:TieredStopAtLevel=1'])];
}

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

/** What the JVM says about one command: its end, or, when the JVM ended, whether this command ended it. */
type Reply =
  | { readonly kind: 'done'; readonly exitCode: number; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'exit' | 'lost'; readonly stdout: string; readonly stderr: string };

/** One running KeytoolHost JVM: the commands sent to it, by id, and their replies. */
class HostProcess {
  private readonly lines: string[] = [];
  private waiting?: (line: string | undefined) => void;
  private ready = false;
  private readonly pending = new Map<number, (reply: Reply | undefined) => void>();
  private nextId = 0;
  private closed = false;
  private jvmStderr = '';
  /** The JVM said its last words (a keytool command called System.exit): it runs nothing more. */
  ending = false;
  /** Killed by us; for this command (its time limit or its cancel) when it was one command's. */
  killed?: { readonly forCommand?: number };
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(private readonly child: ResultPromise) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.receive(line));
    child.stderr!.on('data', (b: Buffer) => {
      this.jvmStderr += b.toString();
    });
    // A command written as the JVM ends is answered by its end (below), not by an EPIPE thrown at the run.
    child.stdin!.on('error', () => undefined);
    // execa's result comes once the JVM has exited and its output is read to the end.
    this.exited = child.then((r) => {
      this.closed = true;
      this.waiting?.(undefined);
      this.waiting = undefined;
      // The commands the JVM said nothing about.
      for (const answer of this.pending.values()) answer(undefined);
      this.pending.clear();
      // A java that cannot be started has no exit code and no signal; its error is the reason.
      if (r.exitCode === undefined && r.signal === undefined) this.jvmStderr += (r.cause as Error | undefined)?.message;
      return { code: r.exitCode ?? null, signal: r.signal ?? null };
    });
  }

  private receive(line: string): void {
    if (!this.ready) {
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w(line);
      else this.lines.push(line);
      return;
    }
    const parsed = parseReply(line);
    if (!parsed) return;
    if (parsed.reply.kind !== 'done') this.ending = true;
    const answer = this.pending.get(parsed.id);
    this.pending.delete(parsed.id);
    answer?.(parsed.reply);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Still taking commands: not ending, not killed, not gone. */
  get accepting(): boolean {
    return !this.closed && !this.ending && !this.killed;
  }

  /** The JVM's first line ("ready ..."), or undefined once it has gone. */
  firstLine(): Promise<string | undefined> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** From here on, lines are replies, by command id. */
  markReady(): void {
    this.ready = true;
  }

  /** Sends a command: its id and its reply (undefined when the JVM ended without one); undefined if not sent. */
  send(args: readonly string[]): { readonly id: number; readonly reply: Promise<Reply | undefined> } | undefined {
    if (!this.accepting) return undefined;
    const id = this.nextId++;
    const reply = new Promise<Reply | undefined>((resolve) => this.pending.set(id, resolve));
    const b64 = args.map((a) => Buffer.from(a, 'utf8').toString('base64'));
    this.child.stdin!.write(`${id} ${args.length}\n${b64.map((a) => `${a}\n`).join('')}`);
    return { id, reply };
  }

  /** What the JVM itself printed (not keytool: its output is captured per command). */
  takeStderr(): string {
    const s = this.jvmStderr;
    this.jvmStderr = '';
    return s;
  }

  kill(forCommand?: number): void {
    this.killed ??= { forCommand };
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

function parseReply(line: string): { readonly id: number; readonly reply: Reply } | undefined {
  const [kind, id, ...rest] = line.split(' ');
  if (id === undefined || !/^\d+$/.test(id)) return undefined;
  if (kind === 'done' && rest.length === 3) {
    const reply = { kind, exitCode: Number(rest[0]), stdout: decode(rest[1]), stderr: decode(rest[2]) } as const;
    return { id: Number(id), reply };
  }
  if ((kind === 'exit' || kind === 'lost') && rest.length === 2)
    return { id: Number(id), reply: { kind, stdout: decode(rest[0]), stderr: decode(rest[1]) } };
  return undefined;
}

export interface KeytoolHost {
  /** Runs keytool requests in the shared JVM and everything else with `fallback`. */
  readonly exec: Exec;
  /** Starts the JVM now, so that its start-up overlaps other work. */
  readonly warm: () => void;
  /** Why keytool steps ran as processes, once the host could not start. */
  readonly unavailable: () => string | undefined;
  /** How many JVMs it started: one, plus one after each JVM a keytool error ended (before JDK 22). */
  readonly starts: () => number;
  readonly close: () => Promise<void>;
}

/**
 * An Exec that sends the requests for `opts.keytool` to a shared JVM, each
 * at once on a thread of its own, starting the JVM on the first (or at once
 * with `warm`) and again after it ended (before JDK 22 keytool exits on its
 * own errors; a time limit or a cancel kills it).
 */
export function keytoolHost(fallback: Exec, opts: KeytoolHostOptions): KeytoolHost {
  let current: Promise<HostProcess | { reason: string }> | undefined;
  let unavailable: string | undefined;
  let starts = 0;
  const inFlight = new Set<Promise<unknown>>();

  /** The JVM taking commands: the running one, or a new one once that has ended or is ending. */
  const get = async (): Promise<HostProcess | { reason: string }> => {
    for (;;) {
      const p = (current ??= startHost(opts, () => starts++));
      const host = await p;
      if (!(host instanceof HostProcess) || host.accepting) return host;
      // Another command ended it while this one waited: the JVM that replaces it is started once.
      if (current === p) current = undefined;
    }
  };

  /** `req` in the JVM; when there is none, `instead` (the request itself, or a tool's own command) as a process. */
  const runInHost = async (req: ExecRequest, instead: ExecRequest = req): Promise<ExecOutcome> => {
    for (let sent = 0; sent < RESENDS; sent++) {
      // Cancelled while a JVM that ended was replaced: no JVM is started for it.
      if (req.signal?.aborted) return { kind: 'cancelled', stdout: '', stderr: '' };
      const host = await get();
      if (!(host instanceof HostProcess)) {
        unavailable = host.reason;
        return fallback(instead);
      }
      if (req.signal?.aborted) return { kind: 'cancelled', stdout: '', stderr: '' };
      const outcome = await runOn(host, req);
      // Sent as the JVM ended, and never started by it: the next JVM runs it.
      if (outcome !== 'not-run') return instead === req ? outcome : { ...outcome, inJvm: true };
    }
    const message = `the keytool host ended ${RESENDS} times before it started the command`;
    return { kind: 'not-started', code: 'EHOST', message };
  };

  const exec: Exec = (req) => {
    // A tool's command with the same work as a JVM command (@genkey) runs as that command when it can.
    const inJvm = req.jvm && hostable(opts, { ...req, file: opts.keytool }) ? { ...req, args: req.jvm } : undefined;
    if (!inJvm && !hostable(opts, req)) return fallback(req);
    // Each command runs at once, on a thread of the JVM, its output its own: the runner starts as many
    // steps at once as there are cores.
    const p = inJvm ? runInHost(inJvm, req) : runInHost(req);
    inFlight.add(p);
    void p.then(
      () => inFlight.delete(p),
      () => inFlight.delete(p),
    );
    return p;
  };

  return {
    exec,
    // Its failure is the first keytool step's, which waits for the same start: not an unhandled rejection.
    warm: () => void get().catch(() => undefined),
    unavailable: () => unavailable,
    starts: () => starts,
    close: async () => {
      await Promise.allSettled([...inFlight]);
      const host = await current;
      if (host instanceof HostProcess) await host.close();
    },
  };
}

/** How often a command is sent again after the JVM ended before starting it (another command ended it). */
const RESENDS = 3;

/**
 * What the JVM can run as the step's own keytool would: a command for this keytool, in this directory, with no
 * input and only variables the JVM was started with (its environment cannot change). Anything else runs as a
 * process.
 */
function hostable(opts: KeytoolHostOptions, req: ExecRequest): boolean {
  return (
    req.file === opts.keytool &&
    req.input === undefined &&
    req.cwd === opts.cwd &&
    Object.entries(req.env).every(([k, v]) => opts.env[k] === v)
  );
}

/**
 * A running host, or why there is none: no `java` beside the keytool, classes that could not be written or are
 * not built, a JVM that did not say it was ready. `counted` is called for each JVM started.
 */
async function startHost(opts: KeytoolHostOptions, counted: () => void): Promise<HostProcess | { reason: string }> {
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
  const first = await launchHost(java, classDir, HOST_JVM_OPTIONS, opts, counted);
  if (first instanceof HostProcess || !opts.withoutKeytool || !/--add-exports/.test(first.reason)) return first;
  // JDK 8 knows no --add-exports, and a host that runs no keytool command needs none.
  const withoutExports = HOST_JVM_OPTIONS.filter(
    (o, i, all) => o !== '--add-exports' && all[i - 1] !== '--add-exports',
  );
  return launchHost(java, classDir, withoutExports, opts, counted);
}

/** Starts one JVM and waits for its "ready" line; one that says anything else, or nothing in time, is killed. */
async function launchHost(
  java: string,
  classDir: string,
  options: readonly string[],
  opts: KeytoolHostOptions,
  counted: () => void,
): Promise<HostProcess | { reason: string }> {
  counted();
  const { child } = await startInGroup(
    java,
    [...options, ...(opts.jvmOptions ?? []), '-cp', classDir, 'KeytoolHost'],
    // Its output is the protocol, read line by line as it comes: execa keeps none of it (buffer: false).
    { cwd: opts.cwd, env: childEnv(opts.env), extendEnv: false, stdin: 'pipe', buffer: false, reject: false },
  );
  const host = new HostProcess(child);
  const timer = setTimeout(() => host.kill(), READY_TIMEOUT_MS);
  const first = await host.firstLine();
  clearTimeout(timer);
  if (first?.startsWith('ready ')) {
    host.markReady();
    return host;
  }
  host.kill();
  const said = (host.takeStderr().trim().split('\n')[0] ?? '').trim();
  return { reason: `${java} could not start the keytool host${said ? `: ${said}` : ''}` };
}

/**
 * One command in a running JVM, ended by its reply, its time limit, a cancel, or the JVM's end; 'not-run' when
 * the JVM ended before it started the command (the caller sends it to the next JVM).
 */
async function runOn(host: HostProcess, req: ExecRequest): Promise<ExecOutcome | 'not-run'> {
  // -J options configure a JVM of the command's own: the shared one is already running.
  const sent = host.send(req.args.filter((a) => !a.startsWith('-J')));
  if (!sent) return 'not-run';
  const { id } = sent;
  let ended: 'timed-out' | 'cancelled' | undefined;
  const stop = (why: 'timed-out' | 'cancelled') => {
    ended ??= why;
    host.kill(id);
  };
  const timer = setTimeout(() => stop('timed-out'), req.timeoutMs);
  const onAbort = () => stop('cancelled');
  req.signal?.addEventListener('abort', onAbort);
  try {
    const reply = await sent.reply;
    if (reply?.kind === 'done') {
      const jvm = host.takeStderr();
      report(req, reply.stdout, reply.stderr + jvm);
      return { kind: 'exited', exitCode: reply.exitCode, stdout: reply.stdout, stderr: reply.stderr + jvm };
    }
    // The JVM ended before it replied to this command: its exit status is that of the command that ended it.
    const { code, signal } = await host.exited;
    return await afterJvmEnd(host, req, reply, { code, signal, ended });
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * A command whose JVM ended before it replied: keytool called System.exit after an error (this command's, or
 * another's), or the JVM was killed (for a time limit or a cancel) or died. `end.ended` says when that was this
 * command's own time limit or cancel.
 */
async function afterJvmEnd(
  host: HostProcess,
  req: ExecRequest,
  reply: Reply | undefined,
  end: { code: number | null; signal: NodeJS.Signals | null; ended?: 'timed-out' | 'cancelled' },
): Promise<ExecOutcome | 'not-run'> {
  const { code, signal, ended } = end;
  if (ended) return { kind: ended, ...outputOf(req, reply, host) };
  // Its last words said nothing of this command: the JVM had not started it.
  if (reply === undefined && host.ending) return 'not-run';
  if (reply?.kind === 'lost' || (reply === undefined && host.killed)) {
    // Another command's end took this one with it: cancelled, after that command's own outcome,
    // so that a runner reports the command that failed, and this one as cancelled for it.
    await new Promise((resolve) => setImmediate(resolve));
    return { kind: 'cancelled', ...outputOf(req, reply, host) };
  }
  const out = outputOf(req, reply, host);
  if (code === null) return { kind: 'killed', signal: String(signal ?? 'unknown'), ...out };
  return { kind: 'exited', exitCode: code, ...out };
}

/** A command's output once the JVM ended: what it had printed, and what the JVM said as it ended. */
function outputOf(req: ExecRequest, reply: Reply | undefined, host: HostProcess) {
  const stdout = reply?.stdout ?? '';
  // The JVM's own last words belong to the command that ended it, not to those lost with it.
  const stderr = (reply?.stderr ?? '') + (reply?.kind === 'lost' ? '' : host.takeStderr());
  report(req, stdout, stderr);
  return { stdout, stderr };
}

/** Output arrives per command, not as it is printed: --verbose gets it when the command ends. */
function report(req: ExecRequest, stdout: string, stderr: string): void {
  if (!req.onOutput) return;
  if (stdout) req.onOutput('stdout', stdout);
  if (stderr) req.onOutput('stderr', stderr);
}
