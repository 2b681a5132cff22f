import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FAKE_BIN, runCli, snapshot, tempDir, wrapFixture } from '../helpers/cli.js';

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
  {
    name: 'a wrong PASSWORD',
    env: { PASSWORD: 'Proof-Of-Pw-32' },
    sentence:
      /^error: PASSWORD: does not open \S+\.(jks|pkcs12) \(and \d+ other store\(s\)\): give the password \S+ was made with; nothing was changed$/,
  },
  {
    name: 'PASSWORD unset',
    env: { PASSWORD: undefined },
    sentence:
      /^error: PASSWORD: is not set, and \S+ \(and \d+ other store\(s\)\) does not open with the script's default password: set PASSWORD or --password-file/,
  },
  { name: 'PASSWORD set but empty', env: { PASSWORD: '' }, sentence: /^error: PASSWORD: must not be empty/ },
  {
    name: 'a --password-file with another password',
    env: { PASSWORD: PW },
    args: ['--password-file', 'stale-pw.txt'],
    sentence: /^error: --password-file stale-pw\.txt: does not open /,
  },
];

async function expectRefused(dir: string, args: readonly string[], bad: BadPassword): Promise<void> {
  const certs = join(dir, 'certs');
  const before = await snapshot(certs);
  const siblings = await readdir(dir);
  const r = await runCli([...args, ...(bad.args ?? [])], { cwd: dir, env: bad.env });
  expect({ exit: r.exitCode, stderr: r.stderr.trim() }).toEqual({
    exit: 2,
    stderr: expect.stringMatching(bad.sentence),
  });
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
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: PASSWORD: must not be empty/);
  });

  const phases: ReadonlyArray<readonly string[]> = [
    ['apply', '--brokers', '2'],
    ['rotate-ca', 'start'],
    ['rotate-ca', 'reissue'],
    ['rotate-ca', 'finish'],
  ];
  // In runbook order: each phase is refused with every bad password, then run with the right one, as an operator would.
  test.each(phases)(
    '%s %s',
    async (...args) => {
      for (const bad of BAD) await expectRefused(dir, args, bad);
      if (args[0] === 'rotate-ca') expect((await runCli([...args], { cwd: dir, env: ENV })).exitCode).toBe(0);
    },
    240_000,
  );
});

describe('stores of other kinds and passwords of other origins', () => {
  let dir: string;
  beforeAll(async () => (dir = await tempDir()));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('JKS stores: the integrity digest refuses a wrong password; the right one passes', async () => {
    const certs = join(dir, 'certs');
    const made = await runCli(['generate', '--brokers', '1', '--store-type', 'jks'], { cwd: dir, env: ENV });
    expect(made.exitCode).toBe(0);
    await expectRefused(dir, ['rotate-ca', 'start'], BAD[0]!);
    await expectRefused(dir, ['rotate-ca', 'start'], BAD[1]!);
    const ok = await runCli(['rotate-ca', 'start', '--dry-run'], { cwd: dir, env: { PASSWORD: 'Anything-Else-1' } });
    expect(ok.exitCode).toBe(0); // --dry-run rewrites nothing: no proof asked
    expect((await runCli(['rotate-ca', 'start'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    await rm(certs, { recursive: true });
  }, 240_000);

  test('generated passwords: a credentials file that no longer opens its keystore is named', async () => {
    const certs = join(dir, 'certs');
    const made = await runCli(['generate', '--brokers', '1', '--generate-passwords'], {
      cwd: dir,
      env: { PASSWORD: undefined },
    });
    expect(made.exitCode).toBe(0);
    await writeFile(join(certs, 'mtls-kafka-0_keystore_creds'), 'Edited-By-Hand-7\n');
    await expectRefused(dir, ['apply', '--brokers', '2'], {
      name: 'tampered creds',
      env: { PASSWORD: undefined },
      sentence:
        /^error: \S+\/certs\/mtls-kafka-0_keystore_creds: the generated password it holds does not open \S+\/certs\/mtls-kafka-0\.keystore\.jks: restore/,
    });
    await rm(certs, { recursive: true });
  }, 240_000);

  test("the confluent layout: each creds directory's stores are opened", async () => {
    const made = await runCli(['generate', '--brokers', '1', '--layout', 'confluent'], { cwd: dir, env: ENV });
    expect(made.exitCode).toBe(0);
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
    [['expiry', '.']],
  ])('%j', async (args) => {
    const before = await snapshot(dir);
    const r = await runCli(args, { cwd: dir, env: { PASSWORD: '' } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe("error: PASSWORD: must not be empty (unset it to use the script's default password)");
    expect(await snapshot(dir)).toEqual(before);
  });
});

/** Every run's displayed output that could hold a password: stdout, stderr and the journal. */
async function shownBy(dir: string, out: string, r: { stdout: string; stderr: string }): Promise<string> {
  const jdir = join(dir, out, '.kafka-mtls');
  const journals = await Promise.all((await readdir(jdir)).map((f) => readFile(join(jdir, f), 'utf8')));
  return [r.stdout, r.stderr, ...journals].join('\n');
}

const count = (text: string, word: string) => text.split(word).length - 1;
const WEAK =
  /^warning: the store password from PASSWORD is weak: .*; use a long random one \(or --generate-passwords\)$/;

describe('a password that is a word the tools print: the run works, nothing gives it away, a warning says it is weak', () => {
  let dir: string;
  const baseline: Record<string, string> = {};
  // Even rows print --json, odd rows the progress and summary: both are compared with a run using a strong password.
  const modes = { human: [] as string[], json: ['--json'] };
  beforeAll(async () => {
    dir = await tempDir();
    for (const [mode, extra] of Object.entries(modes)) {
      const out = `baseline-${mode}`;
      const env = { PASSWORD: 'Baseline-Pw-4417x' };
      const r = await runCli(['generate', '--brokers', '1', '--out', out, ...extra], { cwd: dir, env });
      expect(r.stderr).toBe('');
      const v = await runCli(['verify', out], { cwd: dir, env });
      baseline[mode] = `${await shownBy(dir, out, r)}\n${v.stdout}`;
    }
  }, 240_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const words = ['imported', 'successfully', 'signature', 'mtls-kafka', 'Organization', 'password', 'Verify'];
  test.each(words.map((w, i) => [w, i % 2 ? 'human' : 'json'] as const))(
    'PASSWORD=%s (%s)',
    async (word, mode) => {
      const env = { PASSWORD: word };
      const r = await runCli(['generate', '--brokers', '1', '--out', word, ...modes[mode]], { cwd: dir, env });
      expect(r.exitCode).toBe(0);
      expect(r.stderr.trim()).toMatch(WEAK);
      const v = await runCli(['verify', word], { cwd: dir, env });
      expect(v.exitCode).toBe(0);
      expect(v.stderr.trim()).toMatch(WEAK);
      const shown = `${await shownBy(dir, word, { ...r, stderr: '' })}\n${v.stdout}`;
      // Not hidden (*** beside the tools' words would confirm it), not shown more often than with another password.
      expect(count(shown, '***')).toBe(0);
      expect(count(shown.replaceAll(join(dir, word), ''), word)).toBe(count(baseline[mode]!, word));
    },
    240_000,
  );

  test("alias is shorter than keytool's minimum: refused before anything runs", async () => {
    const r = await runCli(['generate', '--out', 'alias'], { cwd: dir, env: { PASSWORD: 'alias' } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe("error: PASSWORD: must be at least 6 characters (keytool's minimum)");
  });
});

describe('--verbose', () => {
  let dir: string;
  beforeAll(async () => (dir = await tempDir()));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('a tool writing the password in two pieces: the line shows ***, never a piece', async () => {
    const pw = 'Split-Secret-Pw-77';
    // The fixture writes PASSWORD when the step has no secret of its own: openssl is not given the user's.
    const bin = await tempDir();
    const split = await wrapFixture(bin, 'openssl', join(FAKE_BIN, 'openssl-split'), { PASSWORD: pw });
    const args = ['generate', '--brokers', '1', '--verbose', '--openssl', split];
    const r = await runCli(args, { cwd: dir, env: { PASSWORD: pw } });
    await rm(bin, { recursive: true, force: true });
    expect(r.exitCode).toBe(1);
    const all = `${r.stdout}\n${r.stderr}`;
    expect(r.stdout).toMatch(/^\[[\w.-]+\] openssl: the password is \*\*\*, and that is wrong$/m);
    expect(r.stderr).toMatch(/^ {4}openssl: the password is \*\*\*, and that is wrong$/m);
    for (const piece of [pw.slice(0, pw.length / 2), pw.slice(pw.length / 2)]) expect(all).not.toContain(piece);
    expect(await readdir(dir)).toEqual([]);
  }, 120_000);

  test('a tool writing the password over two lines: --verbose, the report and the kept journal show no piece', async () => {
    const pw = 'Split-Secret-Pw-77';
    const bin = await tempDir();
    const split = await wrapFixture(bin, 'openssl', join(FAKE_BIN, 'openssl-split'), { PASSWORD: pw, SPLIT_LINE: '1' });
    const args = ['generate', '--brokers', '1', '--verbose', '--keep-work', '--openssl', split];
    const r = await runCli(args, { cwd: dir, env: { PASSWORD: pw } });
    await rm(bin, { recursive: true, force: true });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^\[[\w.-]+\] openssl: the password is \*\*\*$/m);
    expect(r.stdout).toMatch(/^\[[\w.-]+\] \*\*\*, and that is wrong$/m);
    expect(r.stderr).toMatch(/^ {4}\*\*\*, and that is wrong$/m);
    const kept = (await readdir(dir)).filter((n) => n.includes('kafka-mtls-kept'));
    expect(kept).toHaveLength(1);
    const journals = await readdir(join(dir, kept[0]!, '.kafka-mtls'));
    const journal = await readFile(join(dir, kept[0]!, '.kafka-mtls', journals[0]!), 'utf8');
    expect(journal).toContain('and that is wrong');
    for (const text of [r.stdout, r.stderr, journal])
      for (const piece of [pw.slice(0, pw.length / 2), pw.slice(pw.length / 2)]) expect(text).not.toContain(piece);
    await rm(join(dir, kept[0]!), { recursive: true, force: true });
  }, 120_000);

  test('one broker: a few hundred lines, each whole and prefixed by its step, no key-generation dots', async () => {
    const r = await runCli(['generate', '--brokers', '1', '--verbose'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    const progress = r.stdout.slice(0, r.stdout.indexOf('\nMade ')).trimEnd().split('\n');
    expect(progress.length).toBeGreaterThan(50);
    expect(progress.length).toBeLessThan(600);
    const bad = progress.filter((l) => !/^\[[\w.-]+\] /.test(l) && !/^[✓✗-] [\w.-]+ /.test(l));
    expect(bad).toEqual([]);
    expect(progress.filter((l) => /^\[[\w.-]+\] [.+*]+$/.test(l))).toEqual([]);
    // Each step's lines come after its command.
    const at = (start: string) => progress.findIndex((l) => l.startsWith(start));
    expect(at('[ca.create] $ openssl req')).toBeGreaterThanOrEqual(0);
    expect(at('[ca.create] $ openssl req')).toBeLessThan(at('✓ ca.create'));
  }, 120_000);
});

describe("the script's default password is named, once, by every command that uses it", () => {
  let dir: string;
  const DEFAULT =
    'warning: neither PASSWORD nor --password-file is set: ' +
    'using the script\'s default store password "password", which anyone can guess';
  const unset = { PASSWORD: undefined };
  beforeAll(async () => (dir = await tempDir()));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test.each([
    ['generate', ['generate', '--brokers', '1'], 0],
    ['plan', ['plan', '--brokers', '1'], 0],
    ['apply', ['apply', '--brokers', '1'], 0],
    ['verify', ['verify', 'certs'], 0],
    ['inspect (a store)', ['inspect', 'certs/kafka.server.truststore.jks'], 0],
    ['expiry (its stores)', ['expiry', 'certs'], 0],
    [
      'probe (a truststore as --ca)',
      ['probe', '127.0.0.1:1', '--ca', 'certs/kafka.server.truststore.jks', '--timeout', '2'],
      1,
    ],
    ['rotate-ca start', ['rotate-ca', 'start'], 0],
  ] as const)(
    '%s',
    async (_name, args, exit) => {
      const r = await runCli([...args], { cwd: dir, env: unset });
      expect(r.exitCode).toBe(exit);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('warning: '))).toEqual([DEFAULT]);
    },
    120_000,
  );

  test('a command that opens no store does not warn: inspect of a certificate, rotate-ca --dry-run', async () => {
    for (const args of [
      ['inspect', 'certs/ca.crt'],
      ['rotate-ca', 'reissue', '--dry-run'],
    ]) {
      const r = await runCli(args, { cwd: dir, env: unset });
      expect(r.exitCode).toBe(0);
      expect(r.stderr).toBe('');
    }
  }, 120_000);
});
