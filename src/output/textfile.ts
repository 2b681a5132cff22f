/**
 * node_exporter's textfile collector reads every *.prom file of its directory at each scrape: a file it reads while
 * it is being written would serve half the series. Written here to a temporary name the collector ignores (not
 * ending in .prom) in the same directory, then renamed over the old file, which rename(2) does atomically: a reader
 * sees the old file or the new one, never a part.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TextfileError } from '../errors.js';
import { errnoCode, ioHint } from './io.js';

export const TEXTFILE_NAME = 'kafka_mtls_expiry.prom';

/** Writes `text` as DIR/kafka_mtls_expiry.prom (0644: node_exporter often runs as another user); returns its path. */
export async function writeTextfile(dir: string, text: string, exitCode: 4 | 5): Promise<string> {
  const target = join(dir, TEXTFILE_NAME);
  const temp = join(dir, `.${TEXTFILE_NAME}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    // wx: never follow or truncate a file someone put at the temporary name.
    const fh = await open(temp, 'wx', 0o644);
    try {
      await fh.writeFile(text);
      // The mode asked for at creation is narrowed by the umask: set it outright.
      await fh.chmod(0o644);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, target);
    return target;
  } catch (e) {
    await rm(temp, { force: true }).catch(() => undefined);
    const code = errnoCode(e);
    if (code === undefined) throw e;
    throw new TextfileError(
      `--textfile: cannot write ${target} (${code}); the file node_exporter reads was left as it was`,
      ioHint(code, dir),
      exitCode,
    );
  }
}
