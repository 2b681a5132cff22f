import type { Result } from 'execa';
import { StringDecoder } from 'node:string_decoder';
import { RUN_ID, RUN_ID_VARIABLE } from './run-id.js';
import { startInGroup } from './spawn.js';

/**
 * One tool command run to its end, as a value: execa runs it (src/runner/spawn.ts), with its time-out,
 * kill escalation and cancellation, and `reject: false`, so that the runner classifies every ending itself.
 * Injected into the runner, so that tests can replace it.
 */
export interface ExecRequest {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Added to the few variables a tool gets of the parent's environment (childEnv). */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Written to the child's standard input (a PEM to read, never a password); without it, stdin is closed. */
  readonly input?: string;
  /** Called with each chunk of output, for --verbose. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** The same work as a command of the shared JVM (ExecAction.jvm): a keytool host runs it there when it can. */
  readonly jvm?: readonly string[];
}

export type ExecOutcome = (
  | { readonly kind: 'exited'; readonly exitCode: number; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'not-started'; readonly code: string; readonly message: string }
  | { readonly kind: 'timed-out'; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'cancelled'; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'killed'; readonly signal: string; readonly stdout: string; readonly stderr: string }
) & {
  /** The request's `jvm` command ran, in the shared JVM, instead of its process. */
  readonly inJvm?: true;
};

export type Exec = (req: ExecRequest) => Promise<ExecOutcome>;

/**
 * The variables every JVM reads its options from. _JAVA_OPTIONS is applied
 * after the command line, so a `-Duser.language=ko` there beats keytool's
 * `-J-Duser.language=en` and the host's own, and keytool answers in Korean
 * to checks that read English. They stay for what else they carry (proxies,
 * memory, certificates), less the options that choose a language.
 */
const JVM_OPTION_VARIABLES = ['_JAVA_OPTIONS', 'JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS'] as const;
const LOCALE_OPTION = /(^|\s)-Duser\.(language|country|region|variant|script)(\.(display|format))?=\S*/g;

/**
 * What of the parent's environment a tool gets: what openssl, keytool and their JVM need to be found, start,
 * and find their configuration, libraries and CA certificates. Nothing else: the user's PASSWORD, the
 * script's KAFKA_BROKER_COUNT and VALIDITY (read by the options only), and whatever else the shell holds
 * stay with kafka-mtls. No proxy variables: neither tool fetches anything for the steps.
 */
const INHERITED = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TZ',
  'LANG',
  'LANGUAGE',
  'JAVA_HOME',
  ...JVM_OPTION_VARIABLES,
  'OPENSSL_CONF',
  'OPENSSL_MODULES',
  'OPENSSL_ENGINES',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  // A non-system openssl started through a wrapper finds its libraries by it.
  'LD_LIBRARY_PATH',
] as const;
/** LC_ALL, LC_CTYPE, LC_MESSAGES...: the locale's parts, which the caller's LC_ALL: 'C' overrides anyway. */
const INHERITED_PREFIX = 'LC_';

/**
 * A child's environment: the allowed part of the parent's (INHERITED), with `extra` (the step's secrets by
 * their KAFKA_MTLS_* names, LC_ALL) on top, this run's id (run-id.ts: what lets a later run prove a process
 * is this run's orphan; never the parent's, which may be another run's), and no JVM option that picks
 * keytool's language. The one function every child's environment comes from (execa runs with
 * `extendEnv: false`).
 */
export function childEnv(
  extra: Readonly<Record<string, string>>,
  parent: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    if ((INHERITED as readonly string[]).includes(name) || name.startsWith(INHERITED_PREFIX)) env[name] = value;
  }
  Object.assign(env, extra, { [RUN_ID_VARIABLE]: RUN_ID });
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

export const execProcess: Exec = async (req) => {
  if (req.signal?.aborted) return { kind: 'cancelled', stdout: '', stderr: '' };
  const { child } = await startInGroup(req.file, req.args, {
    cwd: req.cwd,
    env: childEnv(req.env),
    extendEnv: false,
    // Without input, stdin is closed: a tool that prompts (keytool asking for
    // a password it did not get) must fail at once instead of hanging.
    ...(req.input !== undefined ? { input: req.input } : { stdin: 'ignore' as const }),
    stripFinalNewline: false,
    timeout: req.timeoutMs,
    forceKillAfterDelay: FORCE_KILL_AFTER_MS,
    cancelSignal: req.signal,
    reject: false,
  });
  const onOutput = req.onOutput;
  if (onOutput) {
    for (const stream of ['stdout', 'stderr'] as const) {
      const decoder = new StringDecoder('utf8');
      child[stream]?.on('data', (b: Buffer) => onOutput(stream, decoder.write(b)));
    }
  }
  return outcomeOf(await child);
};

/** execa's result in the runner's terms; its stopping (time-out, cancel) first, as the process's end follows. */
function outcomeOf(r: Result): ExecOutcome {
  const out = { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  if (r.timedOut) return { kind: 'timed-out', ...out };
  if (r.isCanceled) return { kind: 'cancelled', ...out };
  if (r.exitCode !== undefined) return { kind: 'exited', exitCode: r.exitCode, ...out };
  if (r.signal !== undefined) return { kind: 'killed', signal: r.signal, ...out };
  // Neither an exit code nor a signal: the process never ran (no such file, not executable).
  const cause = r.cause as NodeJS.ErrnoException | undefined;
  return { kind: 'not-started', code: String(cause?.code ?? 'ERR'), message: cause?.message ?? 'could not start' };
}
