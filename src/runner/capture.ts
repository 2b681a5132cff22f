import { CancelledError } from '../errors.js';
import { signalName, throwIfCancelled } from './cancel.js';
import { Redactor, type SecretEnv } from '../secrets.js';
import { formatCommand } from './command.js';
import { execProcess, type Exec } from './exec.js';
import type { Tool } from './step.js';
import { toolSettings } from './tools.js';

/**
 * Runs one read-only tool command and returns its output, for commands that
 * look at files rather than make them (verify, inspect). Same rules as the
 * runner: secrets only in the child's environment; stdout and stderr are
 * redacted, to be shown; `raw` is what the tool wrote, for parsing only.
 * Throws CancelledError when the signal stops it.
 */
export interface CaptureOptions {
  readonly tools: Readonly<Record<Tool, string>>;
  readonly secrets: SecretEnv;
  readonly cwd: string;
  readonly exec?: Exec;
  readonly timeoutMs?: number;
  /** The run's (CommandIo's): stops the command, which then throws CancelledError. */
  readonly signal: AbortSignal | undefined;
}

export interface Captured {
  readonly command: string;
  readonly ok: boolean;
  readonly exitCode?: number;
  /** Redacted: what may be shown. */
  readonly stdout: string;
  readonly stderr: string;
  /** What the tool wrote, for parsing and checks: never shown. */
  readonly raw: { readonly stdout: string; readonly stderr: string };
}

export async function capture(
  tool: Tool,
  args: readonly string[],
  opts: CaptureOptions & { secretEnv?: readonly string[]; input?: string },
): Promise<Captured> {
  const env: Record<string, string> = { ...toolSettings(tool, args), LC_ALL: 'C' };
  for (const name of opts.secretEnv ?? []) env[name] = opts.secrets[name]!.reveal();
  const formatted = formatCommand(opts.tools[tool], args);
  const redactor = new Redactor(opts.secrets, formatted);
  const command = redactor.text(formatted);
  const { signal } = opts;
  throwIfCancelled(signal);
  const out = await (opts.exec ?? execProcess)({
    file: opts.tools[tool],
    args,
    cwd: opts.cwd,
    env,
    timeoutMs: opts.timeoutMs ?? 60_000,
    input: opts.input,
    signal,
  });
  // A signal ends the command that looks: what it would have found no longer matters.
  if (out.kind === 'cancelled') throw new CancelledError(undefined, signalName(signal));
  if (out.kind === 'not-started') {
    const stderr = `${tool} could not be started (${out.code})`;
    return { command, ok: false, stdout: '', stderr, raw: { stdout: '', stderr } };
  }
  const exitCode = out.kind === 'exited' ? out.exitCode : undefined;
  const raw = { stdout: out.stdout, stderr: out.stderr };
  const shown = { stdout: redactor.text(raw.stdout), stderr: redactor.text(raw.stderr) };
  return { command, ok: exitCode === 0, exitCode, ...shown, raw };
}
