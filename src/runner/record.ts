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

/**
 * openssl's key-generation progress: lines of only . + * (and the `-----`
 * that ends req's prompts). Thousands of them for a 4096-bit CA key; they say nothing.
 */
export function isProgressNoise(line: string): boolean {
  return /^[.+*\s-]+$/.test(line) && line.trim() !== '';
}

/** The last lines of an output, key-generation progress aside. */
export function tailLines(text: string, n = TAIL_LINES): string[] {
  const lines = text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .filter((l) => !isProgressNoise(l));
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.slice(-n);
}
