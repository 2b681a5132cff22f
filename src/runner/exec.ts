import { execa } from 'execa';

/** The only place that starts processes. Injected into the runner so tests can replace it. */
export interface ExecRequest {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Added to the parent's environment. */
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

export const execProcess: Exec = async (req) => {
  const child = execa(req.file, [...req.args], {
    cwd: req.cwd,
    env: req.env,
    extendEnv: true,
    reject: false,
    timeout: req.timeoutMs,
    cancelSignal: req.signal,
    // Without input, stdin is closed: a tool that prompts (keytool asking for
    // a password it did not get) must fail at once instead of hanging.
    ...(req.input !== undefined ? { input: req.input } : { stdin: 'ignore' as const }),
    stripFinalNewline: false,
    forceKillAfterDelay: 2000,
  });
  if (req.onOutput) {
    child.stdout?.on('data', (b: Buffer) => req.onOutput!('stdout', b.toString()));
    child.stderr?.on('data', (b: Buffer) => req.onOutput!('stderr', b.toString()));
  }
  const r = await child;
  const stdout = String(r.stdout ?? '');
  const stderr = String(r.stderr ?? '');
  if (typeof r.code === 'string' && r.exitCode === undefined && !r.timedOut && !r.isCanceled) {
    return { kind: 'not-started', code: r.code, message: r.originalMessage ?? r.shortMessage ?? r.code };
  }
  if (r.timedOut) return { kind: 'timed-out', stdout, stderr };
  if (r.isCanceled) return { kind: 'cancelled', stdout, stderr };
  if (r.exitCode === undefined) return { kind: 'killed', signal: String(r.signal ?? 'unknown'), stdout, stderr };
  return { kind: 'exited', exitCode: r.exitCode, stdout, stderr };
};
