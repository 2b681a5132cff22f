/**
 * The errors a user sees. Each carries what is needed to fix the problem;
 * only src/cli.ts turns them into output and an exit code.
 */

/** Bad input: names the option and the rule it broke. Exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly option: string,
    readonly rule: string,
  ) {
    super(`${option}: ${rule}`);
    this.name = 'UsageError';
  }
}

/**
 * A value broke one of model/rules.ts's rules: the rule alone, for the caller to name what gave the value (an option,
 * a variable, a field of a file) as a UsageError. One that reaches src/cli.ts unnamed is a bug (exit 3).
 */
export class RuleError extends Error {
  constructor(readonly rule: string) {
    super(rule);
    this.name = 'RuleError';
  }
}

/** Runs a rule and names its failure: `named('--brokers', () => identityCount(raw))` throws "--brokers: must …". */
export function named<T>(option: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof RuleError) throw new UsageError(option, e.rule);
    throw e;
  }
}

/** A tool the plan needs is not installed. Reported before any step runs. Exit code 1. */
export class ToolMissingError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly tool: string,
    /** Where it was looked for, e.g. "keytool is not on PATH". */
    readonly problem: string,
    /** What to do: install it, or point at it. */
    readonly hint: string,
  ) {
    super(`${tool} not found: ${problem}`);
    this.name = 'ToolMissingError';
  }
}

/** A tool that is there, in a version kafka-mtls cannot drive (LibreSSL, OpenSSL before 1.1.1). */
export class ToolVersionError extends ToolMissingError {
  constructor(
    tool: string,
    readonly found: string,
    hint: string,
  ) {
    super(tool, `it is ${found}, which kafka-mtls does not support`, hint);
    this.message = `${tool} is ${found}, which kafka-mtls does not support`;
    this.name = 'ToolVersionError';
  }
}

/** How a step failed, in the order the runner tests for it. */
export type FailureKind =
  'not-started' | 'timed-out' | 'cancelled' | 'exit-code' | 'io-error' | 'file-missing' | 'check-failed';

export interface StepFailure {
  readonly stepId: string;
  readonly title: string;
  /** The command as a user could paste it, secrets replaced by ***. */
  readonly command: string;
  readonly kind: FailureKind;
  /** One sentence: what went wrong. */
  readonly reason: string;
  readonly exitCode?: number;
  /** The last lines of stderr (or stdout when stderr is empty), redacted. */
  readonly outputTail: string[];
  readonly hint?: string;
}

/** Where things stand after a failed or cancelled run: the target untouched, the work directory kept or not. */
export interface Aftermath {
  readonly target: string;
  readonly keptWork?: string;
  /** Replaces "Nothing in <target> was changed." when that is not so (a swap that could not be undone). */
  readonly targetNote?: string;
  /** The work directory could not be removed: where it is and why. */
  readonly workLeft?: string;
}

/** A step failed. Exit code 1. */
export class StepError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly failure: StepFailure,
    readonly aftermath: Aftermath,
  ) {
    super(`step ${failure.stepId} failed: ${failure.reason}`);
    this.name = 'StepError';
  }
}

/** The exit code of each signal kafka-mtls handles: 128 + its number, as a shell reports it. */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/**
 * The run was interrupted (Ctrl-C, SIGTERM, SIGHUP) before its output was swapped in.
 * Exit code 130, 143 or 129. No aftermath when no work directory had been made yet, or the command
 * writes nothing (probe).
 */
export class CancelledError extends Error {
  constructor(
    readonly aftermath?: Aftermath,
    readonly signal?: NodeJS.Signals,
  ) {
    super('cancelled');
    this.name = 'CancelledError';
  }
  get exitCode(): number {
    return SIGNAL_EXIT_CODES[this.signal as keyof typeof SIGNAL_EXIT_CODES] ?? 130;
  }
}

/**
 * The output directory's life failed: its lock is held, its work directory
 * could not be made or written, it could not be swapped in. Exit code 1.
 */
export class OutputError extends Error {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly hint?: string,
    /** Where the target and the work directory stand, once the run has failed. */
    readonly aftermath?: Aftermath,
    /** The phase that failed, e.g. "writing the journal", "swapping in". */
    readonly phase?: string,
  ) {
    super(message);
    this.name = 'OutputError';
  }
}

/**
 * expiry --textfile could not write its file: node_exporter would keep serving the last one. Exit code 4, or 5
 * when a certificate read is critical or expired (expiry's order: a certificate read that is critical ranks first).
 */
export class TextfileError extends Error {
  constructor(
    message: string,
    readonly hint: string | undefined,
    readonly exitCode: 4 | 5,
  ) {
    super(message);
    this.name = 'TextfileError';
  }
}
