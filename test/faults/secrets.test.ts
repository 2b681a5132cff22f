import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, snapshot, tempDir } from '../helpers/cli.js';

/**
 * Passwords: proven before a store is rewritten, never empty, never printed.
 * Every row runs the built CLI with the real openssl and keytool.
 */

const PW = 'Proof-Of-Pw-31';
const ENV = { PASSWORD: PW };

interface BadPassword {
  readonly name: string;
  readonly env: Record<string, string | undefined>;
  readonly args?: readonly string[];
  readonly sentence: RegExp;
}

/** The wrong passwords a runbook meets: a typo, a forgotten export, an empty variable, a stale file. */
const BAD: readonly BadPassword[] = [
  { name: 'a wrong PASSWORD', env: { PASSWORD: 'Proof-Of-Pw-32' }, sentence: /^error: PASSWORD: does not open \S+\.(jks|pkcs12) \(and \d+ other store\(s\)\): give the password \S+ was made with; nothing was changed$/ },
  { name: 'PASSWORD unset', env: { PASSWORD: undefined }, sentence: /^error: PASSWORD: is not set, and \S+ \(and \d+ other store\(s\)\) does not open with the script's default password: set PASSWORD or --password-file/ },
  { name: 'PASSWORD set but empty', env: { PASSWORD: '' }, sentence: /^error: PASSWORD: must not be empty/ },
  { name: 'a --password-file with another password', env: { PASSWORD: PW }, args: ['--password-file', 'stale-pw.txt'], sentence: /^error: --password-file stale-pw\.txt: does not open / },
];

async function expectRefused(dir: string, args: readonly string[], bad: BadPassword): Promise<void> {
  const certs = join(dir, 'certs');
  const before = await snapshot(certs);
  const siblings = await readdir(dir);
  const r = await runCli([...args, ...(bad.args ?? [])], { cwd: dir, env: bad.env });
  expect({ exit: r.exitCode, stderr: r.stderr.trim() }).toEqual({ exit: 2, stderr: expect.stringMatching(bad.sentence) });
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(`${r.stdout}${r.stderr}`).not.toContain(PW);
  expect(r.stdout).toBe('');
  expect(await snapshot(certs)).toEqual(before);
  // No work directory left, no backup made.
  expect(await readdir(dir)).toEqual(siblings);
}

describe('a store-rewriting command with the wrong password: exit 2, one sentence, nothing touched', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await writeFile(join(dir, 'stale-pw.txt'), 'Old-Password-1\n');
    expect((await runCli(['generate', '--brokers', '1'], { cwd: dir, env: ENV })).exitCode).toBe(0);
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('plan reads PASSWORD too: set but empty is refused', async () => {
    const r = await runCli(['plan'], { cwd: dir, env: { PASSWORD: '' } });
    expect({ exit: r.exitCode, stderr: r.stderr.trim() }).toEqual({ exit: 2, stderr: expect.stringMatching(/^error: PASSWORD: must not be empty/) });
  });

  const phases: ReadonlyArray<readonly string[]> = [['apply', '--brokers', '2'], ['rotate-ca', 'start'], ['rotate-ca', 'reissue'], ['rotate-ca', 'finish']];
  // In runbook order: each phase is refused with every bad password, then run with the right one, as an operator would.
  test.each(phases)('%s %s', async (...args) => {
    for (const bad of BAD) await expectRefused(dir, args, bad);
    if (args[0] === 'rotate-ca') expect((await runCli([...args], { cwd: dir, env: ENV })).exitCode).toBe(0);
  }, 240_000);
});

describe('stores of other kinds and passwords of other origins', () => {
  let dir: string;
  beforeAll(async () => (dir = await tempDir()));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('JKS stores: the integrity digest refuses a wrong password; the right one passes', async () => {
    const certs = join(dir, 'certs');
    expect((await runCli(['generate', '--brokers', '1', '--store-type', 'jks'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    await expectRefused(dir, ['rotate-ca', 'start'], BAD[0]!);
    await expectRefused(dir, ['rotate-ca', 'start'], BAD[1]!);
    const ok = await runCli(['rotate-ca', 'start', '--dry-run'], { cwd: dir, env: { PASSWORD: 'Anything-Else-1' } });
    expect(ok.exitCode).toBe(0); // --dry-run rewrites nothing: no proof asked
    expect((await runCli(['rotate-ca', 'start'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    await rm(certs, { recursive: true });
  }, 240_000);

  test('generated passwords: a credentials file that no longer opens its keystore is named', async () => {
    const certs = join(dir, 'certs');
    expect((await runCli(['generate', '--brokers', '1', '--generate-passwords'], { cwd: dir, env: { PASSWORD: undefined } })).exitCode).toBe(0);
    await writeFile(join(certs, 'mtls-kafka-0_keystore_creds'), 'Edited-By-Hand-7\n');
    await expectRefused(dir, ['apply', '--brokers', '2'], {
      name: 'tampered creds',
      env: { PASSWORD: undefined },
      sentence: /^error: \S+\/certs\/mtls-kafka-0_keystore_creds: the generated password it holds does not open \S+\/certs\/mtls-kafka-0\.keystore\.jks: restore the file/,
    });
    await rm(certs, { recursive: true });
  }, 240_000);

  test('the confluent layout: each creds directory\'s stores are opened', async () => {
    expect((await runCli(['generate', '--brokers', '1', '--layout', 'confluent', '--out', 'certs'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    await expectRefused(dir, ['apply', '--brokers', '2'], BAD[0]!);
    await expectRefused(dir, ['rotate-ca', 'start'], BAD[1]!);
    const good = await runCli(['apply', '--brokers', '2'], { cwd: dir, env: ENV });
    expect(good.exitCode).toBe(0);
  }, 240_000);
});

describe('PASSWORD set but empty is refused by every command that reads it', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await writeFile(join(dir, 'ca.crt'), '');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test.each([
    [['generate']],
    [['generate', '--dry-run']],
    [['verify', '.']],
    [['inspect', 'ca.crt']],
    [['probe', 'localhost:1', '--ca', 'ca.crt']],
  ])('%j', async (args) => {
    const before = await snapshot(dir);
    const r = await runCli(args, { cwd: dir, env: { PASSWORD: '' } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe('error: PASSWORD: must not be empty (unset it to use the script\'s default password)');
    expect(await snapshot(dir)).toEqual(before);
  });
});
