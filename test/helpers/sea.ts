import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/** The single executable of `npm run build:bin`. */
export const SEA_BIN = join(ROOT, 'bin/kafka-mtls');
export const SEA_ABSENT = existsSync(SEA_BIN)
  ? undefined
  : `${SEA_BIN} is absent (npm run build:bin makes it): its tests are skipped`;

/** `describe`, or `describe.skip` with one line saying why when the file was not built; under CI its absence fails. */
export function describeWithSea(): jest.Describe {
  if (!SEA_ABSENT) return describe;
  if (process.env.CI === 'true') {
    test('the single executable is built (CI runs npm run build:bin first)', () => {
      throw new Error(SEA_ABSENT);
    });
  } else process.stderr.write(`skipped: ${SEA_ABSENT}\n`);
  return describe.skip;
}

const TOOLS = ['openssl', 'keytool', 'java', 'sh', 'cat', 'ls', 'cp', 'mv', 'rm', 'mkdir', 'chmod', 'env', 'flock'];

/**
 * A directory holding only symlinks to openssl, keytool, java, a few coreutils and util-linux's flock (which
 * the run's lock holds: src/runner/flock.ts): the PATH of a Debian-based JDK+openssl container, with no node.
 * Returns it.
 */
export async function toolsOnlyPath(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const tool of TOOLS) {
    const found = (await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).stdout.trim();
    if (found) await symlink(found, join(dir, tool));
  }
  return dir;
}

/** Runs the single executable with nothing of the environment but `env` (env -i), PATH included. */
export async function runSea(args: string[], opts: { cwd: string; env: Record<string, string> }) {
  const r = await execa(SEA_BIN, args, {
    cwd: opts.cwd,
    env: { NO_COLOR: '1', ...opts.env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 300_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
