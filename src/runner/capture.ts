import { redact, type SecretEnv } from '../secrets.js';
import { formatCommand } from './command.js';
import { execProcess, type Exec } from './exec.js';
import type { Tool } from './step.js';

/**
 * Runs one read-only tool command and returns its output, for commands that
 * look at files rather than make them (verify, inspect). Same rules as the
 * runner: secrets only in the child's environment, output redacted.
 */
export interface CaptureOptions {
  readonly tools: Readonly<Record<Tool, string>>;
  readonly secrets: SecretEnv;
  readonly cwd: string;
  readonly exec?: Exec;
  readonly timeoutMs?: number;
  /** Ends the command (SIGTERM, then SIGKILL) when aborted. */
  readonly signal?: AbortSignal;
}

export interface Captured {
  readonly command: string;
  readonly ok: boolean;
  readonly exitCode?: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function capture(tool: Tool, args: readonly string[], opts: CaptureOptions & { secretEnv?: readonly string[]; input?: string }): Promise<Captured> {
  const env: Record<string, string> = { LC_ALL: 'C' };
  for (const name of opts.secretEnv ?? []) env[name] = opts.secrets[name]!.reveal();
  const command = redact(formatCommand(opts.tools[tool], args), opts.secrets);
  const out = await (opts.exec ?? execProcess)({
    file: opts.tools[tool],
    args,
    cwd: opts.cwd,
    env,
    timeoutMs: opts.timeoutMs ?? 60_000,
    input: opts.input,
    signal: opts.signal,
  });
  if (out.kind === 'not-started') return { command, ok: false, stdout: '', stderr: `${tool} could not be started (${out.code})` };
  const stdout = redact(out.stdout, opts.secrets);
  const stderr = redact(out.stderr, opts.secrets);
  const exitCode = out.kind === 'exited' ? out.exitCode : undefined;
  return { command, ok: exitCode === 0, exitCode, stdout, stderr };
}
