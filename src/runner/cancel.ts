import { CancelledError } from '../errors.js';

/**
 * The run's cancellation, for the code that reads options and files and
 * looks at them with openssl and keytool. Those reads sit deep inside parsers
 * that every command shares; src/cli.ts sets the signal once instead of
 * every parser passing it down. Its reason is the signal's name.
 */
let current: AbortSignal | undefined;

export function cancelReadsOn(signal: AbortSignal | undefined): void {
  current = signal;
}

export function currentSignal(): AbortSignal | undefined {
  return current;
}

/** Throws CancelledError (nothing has been touched yet) once a signal has arrived. */
export function throwIfCancelled(signal: AbortSignal | undefined = current): void {
  if (signal?.aborted) throw new CancelledError(undefined, signalName(signal));
}

export function signalName(signal: AbortSignal | undefined): NodeJS.Signals | undefined {
  const r: unknown = signal?.reason;
  return r === 'SIGINT' || r === 'SIGTERM' || r === 'SIGHUP' ? r : undefined;
}
