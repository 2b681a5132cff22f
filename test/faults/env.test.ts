import { execa } from 'execa';
import { chmod, mkdir, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { childEnv } from '../../src/runner/exec.js';
import { RUN_ID } from '../../src/runner/run-id.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { describeWithSea, runSea, toolsOnlyPath } from '../helpers/sea.js';

/**
 * A tool gets only the variables it needs of the user's environment: not PASSWORD, not the script's
 * KAFKA_BROKER_COUNT and VALIDITY, not anything else the shell holds. Its secrets come by their own names.
 */

const PW = 'Env-Secret-Pw-51';
const CANARY = 'canary-value-that-no-tool-may-see';
const USER_ENV = { PASSWORD: PW, KAFKA_MTLS_TEST_CANARY: CANARY, KAFKA_BROKER_COUNT: '1', VALIDITY: '30' };

describe('childEnv', () => {
  const parent = {
    ...USER_ENV,
    PATH: '/usr/bin',
    HOME: '/home/u',
    LANG: 'ko_KR.UTF-8',
    LC_MESSAGES: 'ko_KR.UTF-8',
    TMPDIR: '/var/tmp',
    OPENSSL_CONF: '/etc/ssl/alt.cnf',
    LD_LIBRARY_PATH: '/opt/openssl/lib',
    JAVA_HOME: '/opt/jdk',
    _JAVA_OPTIONS: '-Xmx256m -Duser.language=ko',
    JAVA_TOOL_OPTIONS: '-Duser.language=ko',
    HTTPS_PROXY: 'http://proxy:3128',
    AWS_SECRET_ACCESS_KEY: 'not-for-openssl',
  };

  test("gives none of the user's other variables: PASSWORD, the script's, a canary, a cloud secret", () => {
    const env = childEnv({}, parent);
    for (const name of [
      'PASSWORD',
      'KAFKA_MTLS_TEST_CANARY',
      'KAFKA_BROKER_COUNT',
      'VALIDITY',
      'AWS_SECRET_ACCESS_KEY',
    ])
      expect(env).not.toHaveProperty(name);
    expect(env).not.toHaveProperty('HTTPS_PROXY');
    expect(Object.values(env).join('\n')).not.toContain(PW);
  });

  test('keeps what the tools need, the JVM options less their language, with the caller’s on top', () => {
    expect(childEnv({ LC_ALL: 'C', KAFKA_MTLS_STORE_PASSWORD: 'given' }, parent)).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/u',
      LANG: 'ko_KR.UTF-8',
      LC_MESSAGES: 'ko_KR.UTF-8',
      LC_ALL: 'C',
      TMPDIR: '/var/tmp',
      OPENSSL_CONF: '/etc/ssl/alt.cnf',
      LD_LIBRARY_PATH: '/opt/openssl/lib',
      JAVA_HOME: '/opt/jdk',
      _JAVA_OPTIONS: '-Xmx256m',
      KAFKA_MTLS_STORE_PASSWORD: 'given',
      KAFKA_MTLS_RUN_ID: RUN_ID,
    });
  });

  test("carries this run's id, never one of the parent's or the caller's (another run's orphans are told by it)", () => {
    expect(childEnv({ KAFKA_MTLS_RUN_ID: 'x' }, { ...parent, KAFKA_MTLS_RUN_ID: '0123456789abcdef' })).toMatchObject({
      KAFKA_MTLS_RUN_ID: RUN_ID,
    });
  });
});

describe('the tools a run starts', () => {
  let dir: string;
  let bin: string;
  let logs: string;

  /** Stand-ins first on PATH that write their environment to logs/<tool>.<pid>, then run the real tool. */
  beforeAll(async () => {
    dir = await tempDir();
    bin = await tempDir();
    logs = await tempDir();
    const which = async (tool: string) => String((await execa('sh', ['-c', `command -v ${tool}`])).stdout).trim();
    // The host runs the java beside the keytool it finds (keytool-host.ts javaBeside): the stand-in's.
    const realKeytool = await realpath(await which('keytool'));
    const real = { openssl: await which('openssl'), keytool: realKeytool, java: join(dirname(realKeytool), 'java') };
    for (const [tool, path] of Object.entries(real)) {
      const script = `#!/bin/sh\ncat /proc/$$/environ > '${logs}/${tool}.'$$\nexec '${path}' "$@"\n`;
      await writeFile(join(bin, tool), script, { mode: 0o755 });
    }
  });
  afterAll(async () => {
    for (const d of [dir, bin, logs]) await rm(d, { recursive: true, force: true });
  });

  /** Each environment a stand-in wrote, by tool, as NAME=value lines. */
  async function environments(): Promise<Record<string, string[][]>> {
    const found: Record<string, string[][]> = {};
    for (const f of await readdir(logs)) {
      const tool = f.split('.')[0]!;
      const vars = (await readFile(join(logs, f), 'utf8')).split('\0').filter((v) => v !== '');
      (found[tool] ??= []).push(vars);
      await rm(join(logs, f));
    }
    return found;
  }

  function expectNarrow(vars: string[]): void {
    // PASSWORD's value is the stores' password, which a step gets by its own name, and only so.
    const others = vars.filter((v) => !/^KAFKA_MTLS_\w*PASSWORD\w*=/.test(v));
    expect(others.join('\n')).not.toContain(PW);
    expect(vars.join('\n')).not.toContain(CANARY);
    const names = vars.map((v) => v.slice(0, v.indexOf('=')));
    for (const name of Object.keys(USER_ENV)) expect(names).not.toContain(name);
    expect(vars).toContainEqual(expect.stringMatching(new RegExp(`^PATH=${bin}:`)));
    expect(names).toContain('HOME');
    expect(vars).toContainEqual(expect.stringMatching(/^KAFKA_MTLS_RUN_ID=[0-9a-f]{16}$/));
  }

  /** Every child of one run carries the same run id: the one in its work directory's name. */
  function runIds(all: string[][]): Set<string> {
    return new Set(all.flatMap((vars) => vars.filter((v) => v.startsWith('KAFKA_MTLS_RUN_ID='))));
  }

  test('openssl and the shared keytool JVM get neither PASSWORD nor the canary, and get PATH and HOME', async () => {
    const env = { ...USER_ENV, PATH: `${bin}:${process.env.PATH}`, HOME: process.env.HOME ?? dir };
    const r = await runCli(['generate', '--out', join(dir, 'shared'), '--brokers', '1'], { cwd: dir, env });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const seen = await environments();
    expect(seen.openssl?.length).toBeGreaterThan(3);
    // One JVM for every keytool step: no keytool process.
    expect(seen.java).toHaveLength(1);
    expect(seen.keytool).toBeUndefined();
    for (const vars of [...seen.openssl!, ...seen.java!]) expectNarrow(vars);
    expect(runIds([...seen.openssl!, ...seen.java!]).size).toBe(1);
  }, 180_000);

  test('keytool run as a process per step gets them neither', async () => {
    const env = { ...USER_ENV, PATH: `${bin}:${process.env.PATH}`, HOME: process.env.HOME ?? dir };
    const args = ['generate', '--out', join(dir, 'per-step'), '--brokers', '1', '--keytool-jvm', 'per-step'];
    const r = await runCli(args, { cwd: dir, env });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const seen = await environments();
    expect(seen.keytool?.length).toBeGreaterThan(1);
    for (const vars of [...seen.openssl!, ...seen.keytool!]) expectNarrow(vars);
    expect(runIds([...seen.openssl!, ...seen.keytool!]).size).toBe(1);
  }, 180_000);
});

describe('an unusable TMPDIR', () => {
  let dir: string;
  beforeAll(async () => (dir = await tempDir()));
  afterAll(async () => {
    await chmod(join(dir, 'read-only'), 0o755).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  test('generate does not need it: the work directory is beside the target, and gone after', async () => {
    const r = await runCli(['generate', '--out', 'gone', '--brokers', '1'], {
      cwd: dir,
      env: { PASSWORD: PW, TMPDIR: '/no/such' },
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(await readdir(dir)).toEqual(['gone']);
  }, 180_000);

  test('generate does not need a TMPDIR it cannot write to', async () => {
    await mkdir(join(dir, 'read-only'), { mode: 0o555 });
    const r = await runCli(['generate', '--out', 'ro', '--brokers', '1'], {
      cwd: dir,
      env: { PASSWORD: PW, TMPDIR: join(dir, 'read-only') },
    });
    expect(r.exitCode).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['gone', 'read-only', 'ro']);
    expect(await readdir(join(dir, 'read-only'))).toEqual([]);
  }, 180_000);

  test('verify, whose scratch directory is there, says so in a sentence and exits 1', async () => {
    const r = await runCli(['verify', 'gone'], { cwd: dir, env: { PASSWORD: PW, TMPDIR: '/no/such' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: the temporary directory \/no\/such cannot be used: ENOENT \(\/no\)$/m);
    expect(r.stderr).toMatch(/^hint: set TMPDIR to a directory you can write to, or unset it$/m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }, 180_000);
});

/** Mounting needs root (or CAP_SYS_ADMIN): a read-only TMPDIR is a read-only tmpfs; skipped, visibly, without. */
const canMount =
  (
    await execa(
      'sh',
      ['-c', 'd=$(mktemp -d) && mount -t tmpfs -o ro,size=64k tmpfs "$d" && umount "$d"; e=$?; rmdir "$d"; exit $e'],
      {
        reject: false,
      },
    ).catch(() => undefined)
  )?.exitCode === 0;

describeWithSea()('the single executable with an unusable TMPDIR', () => {
  let dir: string;
  let path: string;
  let readOnly: string;
  beforeAll(async () => {
    dir = await tempDir('kmtls-sea-tmp-');
    path = await toolsOnlyPath(join(dir, 'bin'));
    readOnly = join(dir, 'read-only');
    await mkdir(readOnly);
    if (canMount) await execa('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', readOnly]);
    else process.stderr.write('skipped: the read-only TMPDIR rows (this user cannot mount a file system)\n');
  });
  afterAll(async () => {
    if (canMount) await execa('umount', ['-l', readOnly], { reject: false });
    await rm(dir, { recursive: true, force: true });
  });

  const rows: Array<[string, () => string, string]> = [
    ['on a read-only file system', () => readOnly, 'EROFS'],
    ['missing', () => '/no/such', 'ENOENT'],
  ];
  describe.each(rows)('TMPDIR %s', (_name, tmp, code) => {
    const run = (cwd: string, args: string[]) =>
      runSea(args, { cwd, env: { PATH: path, HOME: dir, PASSWORD: PW, TMPDIR: tmp() } });
    const maybe = code === 'EROFS' && !canMount ? test.skip : test;
    const cwd = () => join(dir, code);

    maybe(
      'generate and apply run their keytool host beside the target: exit 0, nothing left',
      async () => {
        await mkdir(cwd());
        for (const args of [
          ['generate', '--brokers', '1', '--json'],
          ['apply', '--brokers', '2', '--json'],
        ]) {
          const r = await run(cwd(), args);
          expect(r.stderr).toBe('');
          expect(r.exitCode).toBe(0);
          expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, keytool: { jvm: 'shared' } });
        }
        expect((await readdir(cwd())).filter((n) => !n.startsWith('certs.bak-'))).toEqual(['certs']);
        if (code === 'EROFS') expect(await readdir(readOnly)).toEqual([]);
      },
      300_000,
    );

    maybe(
      'verify, which needs it, fails as a report: exit 1, one line, the JSON failure, nothing left',
      async () => {
        const before = (await readdir(cwd())).sort();
        const r = await run(cwd(), ['verify', 'certs', '--json']);
        expect(r.exitCode).toBe(1);
        const out = JSON.parse(r.stdout) as {
          ok: boolean;
          exitCode: number;
          failure: { kind: string; message: string };
        };
        expect(out).toMatchObject({ ok: false, exitCode: 1, failure: { kind: 'output' } });
        expect(out.failure.message).toMatch(new RegExp(`^the temporary directory ${tmp()} cannot be used: ${code} `));
        expect(r.stderr.split('\n').filter((l) => l.startsWith('error: '))).toHaveLength(1);
        expect(r.stderr).not.toMatch(/^\s+at /m);
        expect(r.stdout + r.stderr).not.toContain(PW);
        expect((await readdir(cwd())).sort()).toEqual(before);
        if (code === 'EROFS') expect(await readdir(readOnly)).toEqual([]);
      },
      300_000,
    );
  });
});
