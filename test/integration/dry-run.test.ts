import { execa } from 'execa';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir, testPath } from '../helpers/cli.js';
import { makeIssuingPki } from '../helpers/pki.js';

/**
 * `generate --dry-run` is a faithful copy of the run: the script, run with
 * bash and the same variables the run reads, makes a directory that `plan`
 * finds nothing to change in and `verify` passes, with the very commands the
 * run's journal records.
 */
const PW = 'Dry-Run-Store-Pw-3';
const ENV = { PASSWORD: PW, ISSUING_PW: 'issuing-passphrase' };

/** shellcheck, when installed: CI installs it (.ci/run), so there its absence fails the test instead of skipping it. */
const SHELLCHECK = execa('bash', ['-c', 'command -v shellcheck'], { reject: false }).then((r) => r.exitCode === 0);
const SHELLCHECK_ABSENT = 'shellcheck is not on PATH: the --dry-run script is not checked with it';

/** A root and an issuing CA under it whose key is encrypted, its passphrase in ISSUING_PW. */
async function makePki(dir: string): Promise<void> {
  await makeIssuingPki(dir, ENV, { cn: 'Acme Issuing CA', serial: '0x2001' });
}

/** The commands a run starts, serials aside (each run draws its own). */
const commands = (lines: readonly string[]) =>
  lines
    .filter((l) => /^(openssl|keytool) /.test(l))
    .map((l) => l.replace(/-set_serial 0x[0-9a-f]+/, '-set_serial <random>'))
    .sort();

const cases: Array<[string, string[], Record<string, string>]> = [
  ['the drop-in', [], {}],
  ['the confluent layout', ['--layout', 'confluent'], {}],
  ['--generate-passwords', ['--generate-passwords'], {}],
  // Secret manifests and the StatefulSet written by the shell, the compose block's absolute paths.
  ['--emit kubernetes,kubernetes-per-broker,compose', ['--emit', 'kubernetes,kubernetes-per-broker,compose'], {}],
  [
    'an encrypted CA of your own',
    [
      '--ca-cert',
      'issuing.crt',
      '--ca-key',
      'issuing.key',
      '--ca-chain',
      'root.crt',
      '--ca-key-password-env',
      'ISSUING_PW',
    ],
    {},
  ],
  // The script reads the file as the run does: the CR of a CR LF line end is not the password's.
  ['a password file saved with Windows line endings', ['--password-file', 'pw-crlf'], {}],
  // The script as the user runs it: PASSWORD unset, the script's own variable instead.
  [
    'the drop-in, given KAFKA_MTLS_STORE_PASSWORD instead of PASSWORD',
    [],
    { PASSWORD: '', KAFKA_MTLS_STORE_PASSWORD: PW },
  ],
];

describe('the --dry-run script is a faithful copy of the run', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await makePki(dir);
    await writeFile(join(dir, 'pw-crlf'), `${PW}\r\n`);
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test.each(cases)('%s: same commands; plan finds nothing to change; verify passes', async (name, args, scriptEnv) => {
    const at = `case${name.replace(/\W+/g, '-')}`;
    const flags = ['--brokers', '1', ...args];
    const dry = await runCli(['generate', '--dry-run', '--out', `${at}-run`, ...flags], { cwd: dir, env: ENV });
    expect(dry.stderr).toBe('');
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).not.toContain(PW);
    expect(dry.stdout).not.toContain(ENV.ISSUING_PW);
    await writeFile(join(dir, `${at}.sh`), dry.stdout);
    if (await SHELLCHECK)
      expect((await execa('shellcheck', ['-S', 'error', `${at}.sh`], { cwd: dir })).stdout).toBe('');

    const env = { PATH: testPath(), HOME: process.env.HOME ?? '/', ...ENV, ...scriptEnv };
    const script = await execa('bash', [`${at}.sh`, `${at}-script`], {
      cwd: dir,
      env,
      extendEnv: false,
      reject: false,
      all: true,
    });
    expect(script.exitCode).toBe(0);
    expect(String(script.all)).not.toMatch(/warning|No environment variable|Cannot find environment variable/);
    const out = join(dir, `${at}-script`);

    const plan = await runCli(['plan', '--out', out, ...flags], { cwd: dir, env: ENV });
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toMatch(/^0 to create, 0 to reissue, 0 to remove, 2 kept\.$/m);
    expect(plan.exitCode).toBe(0);
    const verified = await runCli(['verify', out], { cwd: dir, env: ENV });
    expect(verified.stdout).toMatch(/: \d+ passed, \d+ warnings, 0 failed$/m);
    expect(verified.exitCode).toBe(0);

    // The run itself, with the same flags: its journal records the commands the script holds.
    const run = await runCli(['generate', '--out', `${at}-run`, ...flags], { cwd: dir, env: ENV });
    expect(run.exitCode).toBe(0);
    const [journal] = (await execa('bash', ['-c', `ls ${at}-run/.kafka-mtls/run-*.json`], { cwd: dir })).stdout.split(
      '\n',
    );
    const steps = (JSON.parse(await readFile(join(dir, journal!), 'utf8')) as { steps: Array<{ command: string }> })
      .steps;
    expect(commands(dry.stdout.split('\n'))).toEqual(commands(steps.map((s) => s.command)));
    // And the two directories hold the same files.
    const files = async (d: string) =>
      (await execa('bash', ['-c', 'find . -path ./.kafka-mtls -prune -o -type f -print | sort'], { cwd: join(dir, d) }))
        .stdout;
    expect(await files(`${at}-script`)).toBe(await files(`${at}-run`));
  });
});

/** What a script must never do, whatever --out holds: run text that was meant as a path. */
const HOSTILE_OUTS: Array<[string, string]> = [
  ['a newline followed by a command', 'p\necho INJECTED; exit 7 #'],
  ['a carriage return followed by a command', 'p\recho INJECTED; exit 7 #'],
  ['$(...)', 'p$(touch PWNED)'],
  ['backticks', 'p`touch PWNED`'],
  ['a single quote', "it's'; touch PWNED; echo INJECTED; exit 7; '"],
  ['a trailing backslash', 'p\\'],
];

/** The files under d, .kafka-mtls aside (the run's journal), one per line. */
const files = async (d: string) =>
  (await execa('bash', ['-c', 'find . -path ./.kafka-mtls -prune -o -type f -print | sort'], { cwd: d })).stdout;

/** Every file or directory named PWNED under d: what an injected `touch PWNED` leaves. */
const pwned = async (d: string) => (await execa('find', [d, '-name', 'PWNED'])).stdout;

describe('the --dry-run script runs no text it was given as a value', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test.each(HOSTILE_OUTS.map(([what, out], i) => [what, out, i] as const))(
    '--out with %s: bash -n passes; run without DIR, it makes the run’s files and nothing else',
    async (_what, out, i) => {
      const script = join(dir, `script-${i}`);
      const ran = join(dir, `run-${i}`);
      await execa('mkdir', [script, ran]);
      const dry = await runCli(['generate', '--dry-run', '--brokers', '1', '--out', out], { cwd: script, env: ENV });
      expect(dry.stderr).toBe('');
      expect(dry.exitCode).toBe(0);
      await writeFile(join(dir, `plan-${i}.sh`), dry.stdout);
      expect((await execa('bash', ['-n', join(dir, `plan-${i}.sh`)], { reject: false })).exitCode).toBe(0);
      if (await SHELLCHECK) {
        const checked = await execa('shellcheck', ['-S', 'error', join(dir, `plan-${i}.sh`)], { reject: false });
        expect(checked.stdout).toBe('');
        expect(checked.exitCode).toBe(0);
      }

      // No DIR: the script's own default, the --out it was made with, quoted.
      const env = { PATH: testPath(), HOME: process.env.HOME ?? '/', ...ENV };
      const plan = join(dir, `plan-${i}.sh`);
      const r = await execa('bash', [plan], { cwd: script, env, extendEnv: false, reject: false, all: true });
      expect(String(r.all).split('\n')).not.toContain('INJECTED');
      expect(r.exitCode).toBe(0);
      expect(await pwned(dir)).toBe('');

      const run = await runCli(['generate', '--brokers', '1', '--out', out], { cwd: ran, env: ENV });
      expect(run.exitCode).toBe(0);
      expect(await readdir(script)).toEqual([out]);
      expect(await files(join(script, out))).toBe(await files(join(ran, out)));
    },
  );

  test.each([
    ['--name', 'x$(touch PWNED)'],
    ['--client-name', 'x`touch PWNED`'],
    ['--name', 'x\necho INJECTED'],
  ])('%s %j is refused before any script is written (exit 2)', async (option, value) => {
    const dry = await runCli(['generate', '--dry-run', '--brokers', '1', option, value], { cwd: dir, env: ENV });
    expect(dry.stderr).toMatch(new RegExp(`^error: ${option}: must be a DNS label`));
    expect(dry.exitCode).toBe(2);
    expect(dry.stdout).toBe('');
    expect(await pwned(dir)).toBe('');
  });

  test('shellcheck is there to check the script', async () => {
    if (!(await SHELLCHECK)) {
      // Outside CI a developer without shellcheck is told what was not checked; CI must have it.
      if (process.env.CI === 'true') throw new Error(SHELLCHECK_ABSENT);
      process.stderr.write(`skipped: ${SHELLCHECK_ABSENT}\n`);
    }
  });
});

describe('the --dry-run script refuses what the run refuses', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test("PASSWORD set but empty: the run's sentence, exit 2, nothing made", async () => {
    const dry = await runCli(['generate', '--dry-run', '--brokers', '1'], { cwd: dir, env: ENV });
    expect(dry.exitCode).toBe(0);
    await writeFile(join(dir, 'plan.sh'), dry.stdout);
    const empty = { ...ENV, PASSWORD: '' };
    const run = await runCli(['generate', '--brokers', '1', '--out', 'by-run'], { cwd: dir, env: empty });
    expect(run.exitCode).toBe(2);
    const env = { PATH: testPath(), HOME: process.env.HOME ?? '/', ...empty };
    const r = await execa('bash', ['plan.sh', 'by-script'], { cwd: dir, env, extendEnv: false, reject: false });
    expect(r.stderr).toBe(run.stderr.trimEnd());
    expect(r.stderr).toBe("error: PASSWORD: must not be empty (unset it to use the script's default password)");
    expect(r.exitCode).toBe(2);
    expect((await readdir(dir)).sort()).toEqual(['plan.sh']);
  });
});
