import { execFile } from 'node:child_process';
import { readdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './cli.js';

/** JDK 11 from Debian bullseye's packages, where scripts/fetch-bullseye.sh has put it (never installed). */
export const BULLSEYE_JDK = join(ROOT, '.cache/bullseye/jdk');

export interface Jdk {
  /** The keytool to pass as --keytool. */
  readonly keytool: string;
  readonly home: string;
  /** JAVA_VERSION of the JDK's `release` file, e.g. 17.0.15 or 1.8.0_412. */
  readonly version: string;
  readonly major: number;
}

async function describeJdk(keytool: string): Promise<Jdk | undefined> {
  const real = await realpath(keytool).catch(() => undefined);
  if (!real) return undefined;
  const home = dirname(dirname(real));
  const release = await readFile(join(home, 'release'), 'utf8').catch(() => '');
  const version = /^JAVA_VERSION="([^"]+)"/m.exec(release)?.[1];
  if (!version) return undefined;
  const parts = version.split(/[._]/).map(Number);
  return { keytool, home, version, major: parts[0] === 1 ? parts[1]! : parts[0]! };
}

/**
 * The JDK of `keytool` on PATH first, then every other JDK under /usr/lib/jvm, then bullseye's JDK 11 where it was
 * fetched (BULLSEYE_JDK): one entry per JDK home and version.
 */
export async function installedJdks(): Promise<Jdk[]> {
  const onPath = await promisify(execFile)('sh', ['-c', 'command -v keytool']).then(
    (r) => r.stdout.trim(),
    () => '',
  );
  const entries = await readdir('/usr/lib/jvm').catch(() => [] as string[]);
  const candidates = [
    onPath,
    ...entries.sort().map((e) => join('/usr/lib/jvm', e, 'bin/keytool')),
    join(BULLSEYE_JDK, 'bin/keytool'),
  ].filter((k) => k !== '');
  const jdks: Jdk[] = [];
  for (const k of candidates) {
    const jdk = await describeJdk(k);
    if (jdk && !jdks.some((j) => j.home === jdk.home || j.version === jdk.version)) jdks.push(jdk);
  }
  return jdks;
}

/**
 * For the tests that make stores with each JDK: JDK 11 is among `jdks`, or CI fails (.ci/run fetches it with
 * scripts/fetch-bullseye.sh), or, elsewhere, its absence is reported as skipped, with the command that fetches it.
 * Call at the top level of a test file.
 */
export function expectJdk11(jdks: readonly Jdk[], what: string): void {
  if (jdks.some((j) => j.major === 11)) return;
  const reason = `no JDK 11 (bash scripts/fetch-bullseye.sh fetches Debian bullseye's into ${BULLSEYE_JDK}): ${what} did not run with it`;
  if (process.env.CI === 'true') {
    test('JDK 11 is there (CI fetches it: scripts/fetch-bullseye.sh)', () => {
      throw new Error(reason);
    });
  } else process.stderr.write(`skipped: ${reason}\n`);
}
