import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dir } from 'tmp-promise';

export const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
export const CLI = join(ROOT, 'dist/cli.js');
export const SCRIPT = resolve(ROOT, '../shared/reference/mtls-kafka.sh');

/**
 * Tests that run the original script need it beside the clone (../shared/reference/mtls-kafka.sh). On a
 * fresh clone without it they are reported as skipped, with one line saying why; under CI (CI=true) its
 * absence fails the run instead, since CI is where parity must be proven.
 */
export const SCRIPT_ABSENT = existsSync(SCRIPT)
  ? undefined
  : `${SCRIPT} is absent: the tests that compare with the original script are skipped`;

/** `describe`, or `describe.skip` when the script is absent outside CI; under CI a failing test names it. */
export const describeWithScript = (): jest.Describe => (scriptPresentOrCi() ? describe : describe.skip);
/** `test`, or `test.skip`, as describeWithScript. */
export const testWithScript = (): jest.It => (scriptPresentOrCi() ? test : test.skip);

function scriptPresentOrCi(): boolean {
  if (!SCRIPT_ABSENT) return true;
  if (process.env.CI === 'true') {
    test('the original script is there (CI needs ../shared/reference/mtls-kafka.sh)', () => {
      throw new Error(SCRIPT_ABSENT);
    });
    return false;
  }
  process.stderr.write(`skipped: ${SCRIPT_ABSENT}\n`);
  return false;
}
/** The parameters mtls-kafka.sh hard-codes at its top; an absent one keeps the script's value. */
export interface ScriptParams {
  readonly password?: string;
  readonly validity?: number;
  readonly brokers?: number;
  /**
   * jks: keytool makes JKS stores, as the script's keytool did before Java 9. Set through the security property
   * keytool reads its default type from (keystore.type), so the script itself runs unchanged.
   */
  readonly storeType?: 'jks' | 'pkcs12';
}

/**
 * Runs a copy of the original script in dir with its parameters edited, as its users edit them (it reads no
 * environment). Returns the certs directory it made.
 */
export async function runScript(dir: string, p: ScriptParams = {}): Promise<string> {
  let text = await readFile(SCRIPT, 'utf8');
  if (p.password !== undefined) text = text.replace(/^PASSWORD=.*$/m, `PASSWORD='${p.password}'`);
  if (p.validity !== undefined) text = text.replace(/^VALIDITY=.*$/m, `VALIDITY=${p.validity}`);
  if (p.brokers !== undefined) text = text.replace(/^KAFKA_BROKER_COUNT=.*$/m, `KAFKA_BROKER_COUNT=${p.brokers}`);
  await writeFile(join(dir, 'mtls-kafka.sh'), text);
  // Through the same openssl as kafka-mtls (OpenSSL 1.1.1 under npm run test:openssl-1.1.1).
  const env: Record<string, string> = { PATH: testPath() };
  if (p.storeType === 'jks') {
    await writeFile(join(dir, 'jks.security'), 'keystore.type=jks\n');
    env.JAVA_TOOL_OPTIONS = `-Djava.security.properties=${join(dir, 'jks.security')}`;
  }
  // A JKS keytool asks for the key's password ("RETURN if same as keystore password"): end of input answers it,
  // as the user's RETURN did.
  const r = await execa('bash', ['mtls-kafka.sh'], { cwd: dir, reject: false, all: true, env, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`the original script failed: ${r.all}`);
  return join(dir, 'certs');
}

export const FAKE_BIN = join(ROOT, 'test/fixtures/bin');
/** An openssl that accepts only OpenSSL 1.1.1's options (its manual pages), in front of the real one. */
export const OPENSSL_111_BIN = join(ROOT, 'test/fixtures/openssl-1.1.1');

/**
 * KAFKA_MTLS_TEST_OPENSSL_111_BIN (set by npm run test:openssl-1.1.1) names a directory whose `openssl` every
 * CLI of the suite runs: first on PATH, so that the default `openssl` is it. It is the real OpenSSL 1.1.1w
 * (.cache/bullseye/bin, scripts/fetch-bullseye.sh), or the stand-in (OPENSSL_111_BIN) where that could not be had.
 */
export const OPENSSL_111_DIR = process.env.KAFKA_MTLS_TEST_OPENSSL_111_BIN || undefined;
/** Whether OPENSSL_111_DIR holds the real OpenSSL 1.1.1w: the stand-in runs OpenSSL 3 underneath. */
export const OPENSSL_111_REAL = OPENSSL_111_DIR !== undefined && resolve(OPENSSL_111_DIR) !== OPENSSL_111_BIN;

/**
 * `path` with OPENSSL_111_DIR first, when it is set: for what a test runs itself as a user would (the original
 * script, a --dry-run script), so that it runs the same openssl as the CLI.
 */
export function testPath(path: string = process.env.PATH ?? ''): string {
  return OPENSSL_111_DIR ? `${OPENSSL_111_DIR}:${path}` : path;
}

function cliEnv(env: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  if (!OPENSSL_111_DIR) return env;
  return { ...env, PATH: testPath(env.PATH) };
}

/**
 * Writes `dir/name`, a script that runs `fixture` with `vars` set. A fixture of test/fixtures/bin is told what
 * to do by variables, and a tool started by kafka-mtls sees none of the test's own (runner/exec.ts childEnv):
 * the wrapper sets them itself. Returns the wrapper's path.
 */
export async function wrapFixture(
  dir: string,
  name: string,
  fixture: string,
  vars: Readonly<Record<string, string>>,
): Promise<string> {
  const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  const exports = Object.entries(vars).map(([k, v]) => `export ${k}=${quote(v)}\n`);
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${exports.join('')}exec ${quote(fixture)} "$@"\n`, { mode: 0o755 });
  return path;
}

export interface CliRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a user would: a real process, real openssl and keytool. */
export async function runCli(
  args: string[],
  opts: { cwd: string; env?: Record<string, string | undefined> },
): Promise<CliRun> {
  const r = await execa(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    env: { NO_COLOR: '1', ...cliEnv(opts.env) },
    extendEnv: true,
    reject: false,
    stdin: 'ignore',
    timeout: 180_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/**
 * A fresh directory under the system's temporary directory, `<prefix>XXXXXX` as mkdtemp names it, made by
 * tmp. The test removes it (afterAll): tmp is not asked to, as a test that fails wants it left to look at.
 */
export async function tempDir(prefix = 'kmtls-test-'): Promise<string> {
  return (await dir({ template: `${prefix}XXXXXX`, keep: true })).path;
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
        out[r] = `${(st.mode & 0o777).toString(8)} ${createHash('sha256')
          .update(await readFile(p))
          .digest('hex')}`;
      }
    }
  };
  await walk(dir, '');
  return out;
}

/** Files whose bytes or mode differ between two snapshots (and files only in one), the journal aside. */
export function changedFiles(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => !k.startsWith('.kafka-mtls/') && a[k] !== b[k])
    .sort();
}
