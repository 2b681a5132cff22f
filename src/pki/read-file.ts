import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { throwIfCancelled } from '../runner/cancel.js';

/**
 * Every file kafka-mtls reads from a user goes through here. A FIFO, a device
 * or a directory given where a file belongs is refused at once, and a file
 * is read only up to a cap suited to its kind: `inspect /dev/zero` or a FIFO
 * as --password-file must be a sentence and exit 2, not a hang or 24 GB.
 */

export type FileKind = 'password' | 'pem' | 'config' | 'state' | 'store' | 'log';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Far above any real file of the kind: a CA chain of ten is 20 KiB, a config of 999 brokers some 100 KiB. */
export const READ_CAPS: Readonly<Record<FileKind, { readonly bytes: number; readonly what: string }>> = {
  password: { bytes: 64 * KiB, what: 'a password file' },
  pem: { bytes: 1 * MiB, what: 'a PEM certificate or key' },
  // yaml parses some 200 KiB a second on a busy machine: the cap bounds how long a config file can keep a run.
  config: { bytes: 256 * KiB, what: 'a config file' },
  // A few KiB per identity, 999 brokers and as many clients.
  state: { bytes: 16 * MiB, what: 'a state file' },
  store: { bytes: 16 * MiB, what: 'a keystore or truststore' },
  // explain reads every line of it, a regular expression per family each: a day of a busy broker's log at INFO.
  log: { bytes: 64 * MiB, what: 'a log file' },
};

export interface ReadFileOptions {
  readonly kind: FileKind;
  /** How the error names the input: the option, or the config file's field. */
  readonly option: string;
  /** The run's (CommandIo's): once aborted, the read stops with CancelledError. */
  readonly signal: AbortSignal | undefined;
}

const CHUNK = 64 * KiB;

/** The file's bytes; UsageError (exit 2) when it is not a regular file, is missing or is over its kind's cap. */
export async function readBounded(path: string, opts: ReadFileOptions): Promise<Buffer> {
  const fh = await openRegular(path, opts);
  try {
    const cap = READ_CAPS[opts.kind].bytes;
    const chunks: Buffer[] = [];
    let total = 0;
    // Read to one byte past the cap rather than trusting fstat's size: a file that grows while read is still capped.
    for (;;) {
      throwIfCancelled(opts.signal);
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, cap + 1 - total));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > cap) throw tooLarge(path, opts);
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    throw readError(e, path, opts);
  } finally {
    await fh.close();
  }
}

export async function readBoundedText(
  path: string,
  opts: ReadFileOptions,
  encoding: BufferEncoding = 'utf8',
): Promise<string> {
  return (await readBounded(path, opts)).toString(encoding);
}

/**
 * Checks, without reading it, that a file another tool will read (a store
 * handed to keytool or openssl) is a regular file within its cap.
 */
export async function checkRegularFile(path: string, opts: ReadFileOptions): Promise<void> {
  const fh = await openRegular(path, opts);
  try {
    const { size } = await fh.stat();
    if (size > READ_CAPS[opts.kind].bytes) throw tooLarge(path, opts);
  } finally {
    await fh.close();
  }
}

/** Opens without blocking (a FIFO with no writer would block a plain open forever), then asks what it opened. */
async function openRegular(path: string, opts: ReadFileOptions): Promise<FileHandle> {
  throwIfCancelled(opts.signal);
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw readError(e, path, opts);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new UsageError(opts.option, `must be a regular file; ${path} is ${nonRegular(st)}`);
    return fh;
  } catch (e) {
    await fh.close();
    throw readError(e, path, opts);
  }
}

function nonRegular(st: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function tooLarge(path: string, opts: ReadFileOptions): UsageError {
  const cap = READ_CAPS[opts.kind];
  return new UsageError(opts.option, `must be at most ${formatBytes(cap.bytes)} (${cap.what}); ${path} is larger`);
}

/**
 * Errors of our own pass through; an errno becomes a sentence naming the file. Told by its `code`, not by
 * `instanceof Error`: an fs error made in another realm (jest's VM modules) is no instance of this one's Error.
 */
function readError(e: unknown, path: string, opts: ReadFileOptions): Error {
  if (e instanceof UsageError || typeof e !== 'object' || e === null || !('code' in e)) return e as Error;
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'does not exist'
      : code === 'EACCES'
        ? 'is not readable (permission denied)'
        : `cannot be read (${code})`;
  return Object.assign(new UsageError(opts.option, `must be a readable file; ${path} ${why}`), { cause: e });
}

/** Whether a read failed because the file is not there (some callers treat that as "none yet"). */
export function isMissingFile(e: unknown): boolean {
  return e instanceof UsageError && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function formatBytes(n: number): string {
  return n >= MiB ? `${n / MiB} MiB` : `${n / KiB} KiB`;
}
