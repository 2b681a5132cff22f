/** What the runner keeps of each step: enough for the report and a journal, never a secret. */
export type Outcome = 'ok' | 'failed' | 'cancelled' | 'not-run';

export interface StepRecord {
  readonly id: string;
  readonly title: string;
  /** Redacted, paste-able. */
  readonly command: string;
  readonly outcome: Outcome;
  readonly startedAt?: string;
  readonly durationMs?: number;
  readonly exitCode?: number;
  readonly stdoutTail?: string;
  readonly stderrTail?: string;
  /** What the check established, e.g. "PKCS12, 2 entries". */
  readonly detail?: string;
}

const TAIL_LINES = 20;

export function tailLines(text: string, n = TAIL_LINES): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.slice(-n);
}
