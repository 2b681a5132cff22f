import { tmpdir } from 'node:os';
import type { dir, DirectoryResult } from 'tmp-promise';
import { OutputError } from '../errors.js';

/** tmp's options (tmp-promise exports no name for them). */
export type ScratchOptions = NonNullable<Parameters<typeof dir>[0]>;

/**
 * A scratch directory under the system's temporary directory (TMPDIR), for the files a command reads or
 * writes apart from the user's: verify's and probe's, the single executable's host classes. tmp-promise reads
 * the temporary directory as it loads (tmp's `tmpdir`, resolved by realpathSync), so with an unusable TMPDIR
 * the import itself throws, with a stack: here that, and a directory that cannot be made, is one sentence.
 * The work directory of a run is not made here: it lives beside the target (src/output/stage.ts).
 */
export async function scratchDir(options: ScratchOptions): Promise<DirectoryResult> {
  try {
    const { dir } = await import('tmp-promise');
    return await dir(options);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code ? `${err.code}${err.path ? ` (${err.path})` : ''}` : err.message;
    throw new OutputError(
      `the temporary directory ${tmpdir()} cannot be used: ${why}`,
      'set TMPDIR to a directory you can write to, or unset it',
    );
  }
}
