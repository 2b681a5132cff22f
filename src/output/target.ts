import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { JOURNAL_DIR } from './journal.js';
import { STATE_FILE } from './state-file.js';

/**
 * generate moves an existing --out aside, whole. That is right for a
 * directory kafka-mtls or mtls-kafka.sh made, and a surprise for any other:
 * a project directory, a home directory, a mount full of other things.
 */

/** Every name mtls-kafka.sh writes into ./certs (it makes no subdirectory); keystores of other names too. */
const SCRIPT_FILE =
  /^(openssl\.cnf|ext(\d+|client)\.cnf|ca\.(crt|key|srl|pem)|ca-(request|signed)-[^/]+|[^/]+\.(jks|p12|pkcs12|csr))$/;
const OTHERWISE = 'choose another directory, or add --force';

export async function checkGenerateTarget(target: string, force: boolean, cwd = process.cwd()): Promise<void> {
  const rel = relative(target, cwd);
  if (rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !rel.startsWith(sep))) {
    throw new UsageError(
      '--out',
      `${target} is the current directory or holds it: generate would move it aside with everything in it; ` +
        'choose a directory of its own (the default is ./certs)',
    );
  }
  const st = await lstat(target).catch(() => undefined);
  if (!st || force) return;
  const names = await readdir(target);
  if (names.includes('.git')) {
    throw new UsageError('--out', `${target} holds .git: generate would move the repository aside; ${OTHERWISE}`);
  }
  if (names.includes(STATE_FILE) || names.includes(JOURNAL_DIR)) return;
  const foreign = [];
  for (const n of names) if (!SCRIPT_FILE.test(n) || !(await lstat(join(target, n))).isFile()) foreign.push(n);
  if (foreign.length === 0) return;
  const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? ` and ${foreign.length - 3} more` : '');
  const made = `holds files that neither kafka-mtls nor mtls-kafka.sh made (${shown})`;
  throw new UsageError('--out', `${target} ${made}: generate would move them aside; ${OTHERWISE}`);
}
