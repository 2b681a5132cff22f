/** What a command's action prints to and tells cli.ts: stdout and its colours, stderr's warnings, the exit code. */
import type { ChalkInstance } from 'chalk';

export interface CommandIo {
  readonly env: NodeJS.ProcessEnv;
  /** Aborted by SIGINT, SIGTERM or SIGHUP; its reason names the signal. */
  readonly signal: AbortSignal;
  /** stdout, and the colours it takes. */
  readonly out: (s: string) => void;
  readonly c: ChalkInstance;
  /** A one-line warning on stderr, each given once per run however many parts find it. */
  readonly warn: (line: string) => void;
  /** A note on stderr: what a run found and put right beside its target (a stale lock, a killed run's work). */
  readonly note: (text: string) => void;
  /** Whether a failure is reported as JSON on stdout too: the command's --json, once its options are parsed. */
  readonly jsonFailures: (on: boolean) => void;
  /** The exit code of a command that completed (cli.ts, which sets it, defaults to 0). */
  readonly exitWith: (code: number) => void;
}
