import { CancelledError } from '../errors.js';

/**
 * The run's cancellation, for the code that reads options and files and looks at them with openssl and keytool.
 * src/cli.ts makes one AbortSignal, aborted by SIGINT, SIGTERM or SIGHUP with the signal's name as its reason;
 * it travels as the environment does (CommandIo, a command's deps, the readers' options), so that a reader
 * stops on the signal it was given, and one given none (a test) is stopped by none.
 */

/** Throws CancelledError (nothing has been touched yet) once a signal has arrived. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError(undefined, signalName(signal));
}

export function signalName(signal: AbortSignal | undefined): NodeJS.Signals | undefined {
  const r: unknown = signal?.reason;
  return r === 'SIGINT' || r === 'SIGTERM' || r === 'SIGHUP' ? r : undefined;
}
