import { execa } from 'execa';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';
import { makeIssuingPki } from '../helpers/pki.js';

/**
 * `generate --dry-run` is a faithful copy of the run: the script, run with
 * bash and the same variables the run reads, makes a directory that `plan`
 * finds nothing to change in and `verify` passes, with the very commands the
 * run's journal records.
 */
const PW = 'Dry-Run-Store-Pw-3';
const ENV = { PASSWORD: PW, ISSUING_PW: 'issuing-passphrase' };

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

    const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/', ...ENV, ...scriptEnv };
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
