import { execFile } from 'node:child_process';
import { readdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

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

/** The JDK of `keytool` on PATH first, then every other JDK under /usr/lib/jvm, one entry per JDK home. */
export async function installedJdks(): Promise<Jdk[]> {
  const onPath = await promisify(execFile)('sh', ['-c', 'command -v keytool']).then(
    (r) => r.stdout.trim(),
    () => '',
  );
  const entries = await readdir('/usr/lib/jvm').catch(() => [] as string[]);
  const candidates = [onPath, ...entries.sort().map((e) => join('/usr/lib/jvm', e, 'bin/keytool'))].filter(
    (k) => k !== '',
  );
  const jdks: Jdk[] = [];
  for (const k of candidates) {
    const jdk = await describeJdk(k);
    if (jdk && !jdks.some((j) => j.home === jdk.home)) jdks.push(jdk);
  }
  return jdks;
}
