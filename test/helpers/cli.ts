import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
export const CLI = join(ROOT, 'dist/cli.js');
export const SCRIPT = resolve(ROOT, '../shared/reference/mtls-kafka.sh');
export const FAKE_BIN = join(ROOT, 'test/fixtures/bin');

export interface CliRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a user would: a real process, real openssl and keytool. */
export async function runCli(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliRun> {
  const r = await execa(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    env: { NO_COLOR: '1', ...opts.env },
    extendEnv: true,
    reject: false,
    stdin: 'ignore',
    timeout: 180_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export async function tempDir(prefix = 'kmtls-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Every file under dir (recursively) with its mode and SHA-256: a directory's fingerprint, to prove nothing changed. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out[`${r}/`] = 'dir';
        await walk(p, r);
      } else {
        const st = await stat(p);
        out[r] = `${(st.mode & 0o777).toString(8)} ${createHash('sha256').update(await readFile(p)).digest('hex')}`;
      }
    }
  };
  await walk(dir, '');
  return out;
}

/** Files whose bytes or mode differ between two snapshots (and files only in one), the journal aside. */
export function changedFiles(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !k.startsWith('.kafka-mtls/') && a[k] !== b[k]).sort();
}
