import { OutputError, type Aftermath } from '../errors.js';

/**
 * File-system failures of the output directory's life, as reports: the phase
 * that failed, the system's reason, and what to do about it. An error without
 * an errno code is not an I/O failure but a bug, and is left to surface as one.
 */

export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/** What to do about an errno met while writing under `where`. */
export function ioHint(code: string | undefined, where: string): string | undefined {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `The disk holding ${where} is full: free some space there (or choose another --out) and run again.`;
    case 'EROFS':
      return `${where} is on a read-only file system: choose an --out on a writable one, or remount it read-write.`;
    case 'EBUSY':
      return (
        `${where} is a mount point: mount its parent directory instead (docker run -v "$PWD:/work" …), ` +
        'so that the new directory can be swapped in.'
      );
    case 'EXDEV':
      return (
        `${where} and its work directory are on different file systems: ` +
        'mount the parent of --out, not --out itself.'
      );
    case 'EACCES':
    case 'EPERM':
      return `This user may not write ${where} or its parent directory: check their owner and permissions.`;
    case 'EMFILE':
    case 'ENFILE':
      return 'Too many files are open: raise the limit (ulimit -n) and run again.';
    default:
      return undefined;
  }
}

/** Runs one phase; an errno from it becomes an OutputError naming the phase. */
export async function inPhase<T>(phase: string, where: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asPhaseError(phase, where, e);
  }
}

export function asPhaseError(phase: string, where: string, e: unknown): unknown {
  const code = errnoCode(e);
  if (code === undefined) return e;
  return new OutputError(`${phase} failed: ${(e as Error).message}`, ioHint(code, where), undefined, phase);
}

/** The same error (class, fields, stack), told where things stand now. */
export function withAftermath<E extends Error>(e: E, aftermath: Aftermath): E {
  const copy = Object.create(Object.getPrototypeOf(e) as object) as E;
  return Object.assign(copy, e, { aftermath, message: e.message, stack: e.stack });
}
