import { execa, type ResultPromise } from 'execa';
import { mkdir, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI, FAKE_BIN, snapshot, tempDir, wrapFixture } from '../helpers/cli.js';

/**
 * SIGINT, SIGTERM and SIGHUP are honoured in every phase before the swap:
 * while options and files are read and checked and while the steps run
 * (probe waiting on a server: test/faults/probe.test.ts). Each exits 130, 143 or 129, with the target
 * byte-identical, no work or temporary directory left, and no child process
 * still running.
 */

const PW = 'Signals-Secret-Pw-3';
const CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type Sig = keyof typeof CODES;
let root: string;

beforeAll(async () => {
  root = await tempDir('kmtls-signals-');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Processes whose working directory or command line is inside dir: what a run must not leave behind. */
async function processesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    const cmd = await import('node:fs/promises')
      .then((fs) => fs.readFile(`/proc/${pid}/cmdline`, 'utf8'))
      .catch(() => '');
    if (cwd.startsWith(dir) || cmd.includes(dir)) found.push(`${pid} ${cmd.replace(/\0/g, ' ')}`);
  }
  return found;
}

async function until(what: string, ready: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Moment {
  /** The command line, given the test's directory. */
  readonly args: (dir: string) => string[];
  /** Makes what the command line names, given the test's directory. */
  readonly prepare?: (dir: string) => Promise<unknown>;
  /** True once the run has reached the moment the signal is for. */
  readonly reached: (dir: string, child: ResultPromise) => Promise<boolean>;
}

const exists = (p: string) =>
  import('node:fs/promises')
    .then((fs) => fs.access(p))
    .then(
      () => true,
      () => false,
    );
const hasChild = async (pid: number | undefined) =>
  (await execa('pgrep', ['-P', String(pid)], { reject: false })).stdout.trim() !== '';

/** The moments: while byoca's checks run openssl, while the steps run (probe's own: test/faults/probe.test.ts). */
const MOMENTS: Record<string, Moment> = {
  'reading and checking options (your CA, by openssl)': {
    args: (d) => [
      'generate',
      '--ca-cert',
      join(d, 'in/ca.crt'),
      '--ca-key',
      join(d, 'in/ca.key'),
      '--openssl',
      join(d, 'in/slow-tool'),
      '--out',
      join(d, 'certs'),
    ],
    // The fixture is told where its marker goes by a wrapper: openssl gets none of the CLI's variables.
    prepare: (d) =>
      wrapFixture(d, 'in/slow-tool', join(FAKE_BIN, 'slow-tool'), {
        SLOW_TOOL_MARKER: join(d, 'tmp/openssl-started'),
      }),
    reached: (d) => exists(join(d, 'tmp/openssl-started')),
  },
  'the steps': {
    args: (d) => ['generate', '--brokers', '2', '--out', join(d, 'certs')],
    reached: async (d, child) =>
      (await readdir(d)).some((f) => f.startsWith('.certs.kafka-mtls-work-')) && (await hasChild(child.pid)),
  },
};

const ROWS = Object.keys(MOMENTS).flatMap((m) => (Object.keys(CODES) as Sig[]).map((s) => [m, s] as const));

test.each(ROWS)(
  '%s, then %s: its exit code, nothing touched, nothing left',
  async (moment, sig) => {
    const m = MOMENTS[moment]!;
    const dir = join(root, `${moment.split(' ')[0]}-${sig}`);
    await mkdir(join(dir, 'certs'), { recursive: true });
    await mkdir(join(dir, 'in'));
    await mkdir(join(dir, 'tmp'));
    await writeFile(join(dir, 'certs/ca.crt'), "an earlier run's CA, to be kept\n");
    await writeFile(join(dir, 'in/ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    await writeFile(join(dir, 'in/ca.key'), '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n');
    await m.prepare?.(dir);
    const before = await snapshot(join(dir, 'certs'));
    const child = execa(process.execPath, [CLI, ...m.args(dir)], {
      cwd: dir,
      env: { NO_COLOR: '1', PASSWORD: PW, TMPDIR: join(dir, 'tmp') },
      reject: false,
      stdin: 'ignore',
    });
    await until(moment, () => m.reached(dir, child));
    const sent = Date.now();
    child.kill(sig);
    const r = await child;
    expect(Date.now() - sent).toBeLessThan(15_000);
    expect(r.signal).toBeUndefined();
    expect(r.stderr).toMatch(new RegExp(`^cancelled \\(${sig}\\)\\. `, 'm'));
    expect(r.exitCode).toBe(CODES[sig]);
    expect(String(r.stdout) + String(r.stderr)).not.toContain(PW);
    expect(await snapshot(join(dir, 'certs'))).toEqual(before);
    expect((await readdir(dir)).sort()).toEqual(['certs', 'in', 'tmp']);
    expect((await readdir(join(dir, 'tmp'))).filter((f) => f !== 'openssl-started')).toEqual([]);
    // A child killed by SIGTERM is given two seconds before SIGKILL.
    await until('the children to end', async () => (await processesIn(dir)).length === 0, 10_000).catch(
      () => undefined,
    );
    expect(await processesIn(dir)).toEqual([]);
  },
  300_000,
);

describe('generate, while keytool steps run at once in the shared JVM', () => {
  test.each(Object.keys(CODES) as Sig[])(
    '%s: its exit code, nothing touched, nothing left, the JVM gone',
    async (sig) => {
      const dir = join(root, `keytool-at-once-${sig}`);
      await mkdir(join(dir, 'certs'), { recursive: true });
      await mkdir(join(dir, 'tmp'));
      await writeFile(join(dir, 'certs/ca.crt'), "an earlier run's CA, to be kept\n");
      const before = await snapshot(join(dir, 'certs'));
      const child = execa(process.execPath, [CLI, 'generate', '--brokers', '3', '--verbose', '--out', 'certs'], {
        cwd: dir,
        env: { NO_COLOR: '1', PASSWORD: PW, TMPDIR: join(dir, 'tmp') },
        reject: false,
        stdin: 'ignore',
      });
      // --verbose prints each step's command as it starts and "✓ id" as it ends: the signal goes as soon as
      // two keytool steps have started and neither has ended (in the JVM, the host's slots being the cores).
      const running = new Set<string>();
      let sent = 0;
      let rest = '';
      child.stdout!.on('data', (b: Buffer) => {
        const lines = (rest + b.toString()).split('\n');
        rest = lines.pop()!;
        for (const line of lines) {
          const started = /^\[(\S+)\] \$ keytool /.exec(line)?.[1];
          if (started) running.add(started);
          const ended = /^✓ (\S+)/.exec(line)?.[1];
          if (ended) running.delete(ended);
          if (!sent && running.size >= 2) {
            sent = Date.now();
            child.kill(sig);
          }
        }
      });
      const r = await child;
      expect(sent).toBeGreaterThan(0);
      expect(Date.now() - sent).toBeLessThan(15_000);
      expect(r.stderr).toMatch(new RegExp(`^cancelled \\(${sig}\\)\\. `, 'm'));
      expect(r.exitCode).toBe(CODES[sig]);
      expect(String(r.stdout) + String(r.stderr)).not.toContain(PW);
      expect(await snapshot(join(dir, 'certs'))).toEqual(before);
      expect((await readdir(dir)).sort()).toEqual(['certs', 'tmp']);
      expect(await readdir(join(dir, 'tmp'))).toEqual([]);
      await until('the JVM to end', async () => (await processesIn(dir)).length === 0, 10_000).catch(() => undefined);
      expect(await processesIn(dir)).toEqual([]);
    },
    180_000,
  );
});

describe('verify, while Java judges the handshakes', () => {
  let made: string;
  beforeAll(async () => {
    made = join(root, 'verify-made');
    const r = await execa(process.execPath, [CLI, 'generate', '--brokers', '3', '--out', made], {
      env: { NO_COLOR: '1', PASSWORD: PW },
      reject: false,
    });
    expect(r.exitCode).toBe(0);
  }, 180_000);

  test.each(Object.keys(CODES) as Sig[])(
    '%s: its exit code, the directory byte-identical, the judge JVM gone',
    async (sig) => {
      const before = await snapshot(made);
      const child = execa(process.execPath, [CLI, 'verify', made], {
        cwd: root,
        env: { NO_COLOR: '1', PASSWORD: PW },
        reject: false,
        stdin: 'ignore',
      });
      const judging = async () =>
        (await execa('pgrep', ['-P', String(child.pid), '-f', 'KeytoolHost'], { reject: false })).stdout.trim() !== '';
      await until('the judge JVM', judging, 60_000);
      child.kill(sig);
      const r = await child;
      expect(r.stderr).toMatch(new RegExp(`^cancelled \\(${sig}\\)\\. `, 'm'));
      expect(r.exitCode).toBe(CODES[sig]);
      expect(await snapshot(made)).toEqual(before);
      await until('the JVM to end', async () => (await processesIn(made)).length === 0, 10_000).catch(() => undefined);
      expect(await processesIn(made)).toEqual([]);
    },
    120_000,
  );
});
