import { execa, type ResultPromise } from 'execa';
import { cp, lstat, mkdir, readdir, readFile, readlink, rename, rm } from 'node:fs/promises';
import { stat, statfs, symlink, writeFile } from 'node:fs/promises';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli, snapshot, tempDir, type CliRun } from '../helpers/cli.js';

/**
 * The output directory's life under real faults: concurrent runs, locks,
 * full and read-only file systems, mount points, SIGKILL, links, umasks and
 * directories that are not ours. Every failure: its exit code, its sentence,
 * no secret printed, the target byte-identical, nothing left beside it.
 */

const PW = 'Output-Faults-Pw-7';
const ENV = { PASSWORD: PW };

/** Mounting needs root (or CAP_SYS_ADMIN): tried once; tests that need it are skipped, visibly, without. */
const canMount = await (async () => {
  const d = await tempDir('kmtls-mount-probe-');
  try {
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d]);
    await execa('umount', [d]);
    return true;
  } catch {
    return false;
  } finally {
    await rm(d, { recursive: true, force: true });
  }
})();
if (!canMount) console.log('skipping the tmpfs, mount-point and read-only tests: this user cannot mount file systems');
const withMount = canMount ? test : test.skip;

const mounted: string[] = [];
async function mount(args: string[], at: string): Promise<void> {
  await execa('mount', [...args, at]);
  mounted.push(at);
}
afterAll(async () => {
  for (const m of mounted.reverse()) await execa('umount', ['-l', m], { reject: false });
});

const gen = (cwd: string, ...args: string[]) => runCli(['generate', '--brokers', '1', ...args], { cwd, env: ENV });

/** What a run may leave beside its target: work directories, locks, swap markers. */
async function leftovers(parent: string): Promise<string[]> {
  return (await readdir(parent)).filter((n) => /kafka-mtls-(work|kept)-|\.kafka-mtls\.lock|kafka-mtls-swap/.test(n));
}

function expectNoSecret(r: CliRun): void {
  expect(r.stdout + r.stderr).not.toContain(PW);
}

/** Processes whose cwd or open files are inside dir, read from /proc as the tool does. */
async function processesInside(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const p of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    const paths = [await readlink(`/proc/${p}/cwd`).catch(() => '')];
    const fds = await readdir(`/proc/${p}/fd`).catch(() => [] as string[]);
    for (const fd of fds) paths.push(await readlink(`/proc/${p}/fd/${fd}`).catch(() => ''));
    if (paths.some((x) => x === dir || x.startsWith(`${dir}/`))) found.push(Number(p));
  }
  return found;
}

/** Whether a process exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor(what: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const SINCE = '2026-11-30T10:00:00.000Z';
const BOOT_ID = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const PID_NS = readlinkSync('/proc/self/ns/pid');
/** A lock file's content, as kafka-mtls writes it: by default taken in this PID namespace, holding no flock. */
const lockOf = (pid: number | undefined, host: string, command: string, extra: object = {}) =>
  JSON.stringify({ pid, host, command, startedAt: SINCE, bootId: BOOT_ID, pidNs: PID_NS, flock: false, ...extra });

/** A PID that no process has: one that has just ended. */
async function deadPid(): Promise<number> {
  const p = execa('true');
  await p;
  return p.pid!;
}

describe('one run per directory at a time', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('two generates at once: one wins, the other exits 1 naming the holder; one output, no backup', async () => {
    const runs = await Promise.all([gen(dir), gen(dir)]);
    expect(runs.map((r) => r.exitCode).sort()).toEqual([0, 1]);
    const loser = runs.find((r) => r.exitCode === 1)!;
    expect(loser.stderr).toMatch(
      /is being changed by another kafka-mtls run: PID \d+ on \S+ \(`kafka-mtls generate`, since \d{4}-\d\d-\d\dT/,
    );
    runs.forEach(expectNoSecret);
    expect((await readdir(dir)).sort()).toEqual(['certs']);
    expect(await readdir(join(dir, 'certs/.kafka-mtls'))).toHaveLength(1);
  });

  test('two applies at once: one wins, the other exits 1; exactly one backup, the change made once', async () => {
    const apply = () => runCli(['apply', '--brokers', '2'], { cwd: dir, env: ENV });
    const runs = await Promise.all([apply(), apply()]);
    expect(runs.map((r) => r.exitCode).sort()).toEqual([0, 1]);
    expect(runs.find((r) => r.exitCode === 1)!.stderr).toMatch(/another kafka-mtls run: PID \d+ .*`kafka-mtls apply`/);
    runs.forEach(expectNoSecret);
    expect((await readdir(dir)).filter((n) => n.startsWith('certs.bak-'))).toHaveLength(1);
    expect(await leftovers(dir)).toEqual([]);
    const state = JSON.parse(await readFile(join(dir, 'certs/kafka-mtls.json'), 'utf8'));
    expect(Object.keys(state.certs).sort()).toEqual(['mtls-kafka-0', 'mtls-kafka-1', 'mtls-kafka-client']);
  });

  test.each([
    ['generate', ['generate', '--brokers', '1']],
    ['apply', ['apply', '--brokers', '3']],
    ['rotate-ca start', ['rotate-ca', 'start']],
  ])('a lock held by a live process refuses %s with exit 1, and is left as it was', async (_name, args) => {
    const holder = execa('sleep', ['60']);
    const lock = join(dir, '.certs.kafka-mtls.lock');
    const text = lockOf(holder.pid, hostname(), 'apply');
    await writeFile(lock, text);
    try {
      const before = await snapshot(join(dir, 'certs'));
      const r = await runCli(args, { cwd: dir, env: ENV });
      expect(r.exitCode).toBe(1);
      const holderIs = `PID ${holder.pid} on ${hostname()} (\`kafka-mtls apply\`, since ${SINCE})`;
      expect(r.stderr).toContain(`is being changed by another kafka-mtls run: ${holderIs}`);
      expect(r.stderr).toContain('hint: Wait for it to finish');
      expectNoSecret(r);
      expect(await snapshot(join(dir, 'certs'))).toEqual(before);
      expect(await readFile(lock, 'utf8')).toBe(text);
    } finally {
      holder.kill();
      await holder.catch(() => undefined);
      await rm(lock, { force: true });
    }
  });

  test('a lock whose PID now belongs to a later process (a reused PID) is stale, and taken over', async () => {
    const other = execa('sleep', ['60']);
    const lock = join(dir, '.certs.kafka-mtls.lock');
    // procStart is the holder's start time in ticks since boot: 1 is long before this sleep began.
    await writeFile(lock, lockOf(other.pid, hostname(), 'apply', { procStart: '1' }));
    try {
      const r = await runCli(['apply', '--brokers', '2'], { cwd: dir, env: ENV });
      expect(r.exitCode).toBe(0);
      expect(r.stderr).toContain(`note: took over the lock of ${join(dir, 'certs')}, left by PID ${other.pid}`);
      expect(await leftovers(dir)).toEqual([]);
    } finally {
      other.kill();
      await other.catch(() => undefined);
    }
  });

  test('plan and verify need no lock and work beside one', async () => {
    const lock = join(dir, '.certs.kafka-mtls.lock');
    await writeFile(lock, lockOf(process.pid, hostname(), 'apply'));
    try {
      expect((await runCli(['plan', '--brokers', '2'], { cwd: dir, env: ENV })).exitCode).toBe(0);
      expect((await runCli(['verify'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    } finally {
      await rm(lock, { force: true });
    }
  });

  test('a lock of another host cannot be checked: exit 1, and the hint says how to remove it', async () => {
    const lock = join(dir, '.certs.kafka-mtls.lock');
    await writeFile(lock, lockOf(1, 'build-agent-7', 'generate', { bootId: 'another-kernel', flock: true }));
    try {
      const r = await runCli(['apply', '--brokers', '3'], { cwd: dir, env: ENV });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('PID 1 on build-agent-7');
      expect(r.stderr).toContain(
        'it was taken under another kernel (on build-agent-7, or on this host before a restart)',
      );
      expect(r.stderr).toContain(`if it is over, remove ${lock}`);
    } finally {
      await rm(lock, { force: true });
    }
  });

  test.each([
    [
      'another PID namespace, without an flock',
      (pid: number) => lockOf(pid, hostname(), 'apply', { pidNs: 'pid:[4026530000]' }),
      'it ran in another PID namespace (a container, or unshare --pid), where PID',
    ],
    [
      'an older kafka-mtls, which recorded neither kernel nor namespace',
      (pid: number) => JSON.stringify({ pid, host: hostname(), command: 'apply', startedAt: SINCE }),
      'the lock does not say which system it was taken on (an older kafka-mtls wrote it)',
    ],
  ])(
    'a lock of %s cannot be proven alive or ended, whatever its PID: not taken over, and it says how to clear it',
    async (_name, text, why) => {
      const lock = join(dir, '.certs.kafka-mtls.lock');
      // A PID that is gone here, and PID 1, alive here: neither says anything of a process in another namespace.
      for (const pid of [await deadPid(), 1]) {
        await writeFile(lock, text(pid));
        const before = await snapshot(join(dir, 'certs'));
        const r = await runCli(['apply', '--brokers', '3'], { cwd: dir, env: ENV });
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toContain(`is being changed by another kafka-mtls run: PID ${pid} on ${hostname()}`);
        expect(r.stderr).toContain(`hint: Its lock cannot be checked from here: ${why}`);
        expect(r.stderr).toContain(`Wait for it to finish; if it is over, remove ${lock}.`);
        expect(await readFile(lock, 'utf8')).toBe(text(pid));
        expect(await snapshot(join(dir, 'certs'))).toEqual(before);
      }
      // As the hint says: removed, the next run goes ahead.
      await rm(lock);
      expect((await runCli(['apply', '--brokers', '1', '--prune'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    },
  );

  test('a held flock means alive, whatever the PID says; released, the lock is taken over', async () => {
    const pid = await deadPid();
    const lock = join(dir, '.certs.kafka-mtls.lock');
    const text = lockOf(pid, hostname(), 'apply', { flock: true });
    await writeFile(lock, text);
    // util-linux flock holds an flock on the file while its command runs, as a holder in a container would;
    // --close keeps it from the command, so that it goes with flock.
    const holder = execa('flock', ['--exclusive', '--close', lock, 'sleep', '60'], { detached: true });
    const ino = (await stat(lock)).ino;
    try {
      await waitFor(async () => new RegExp(`FLOCK .*:${ino} `).test(readFileSync('/proc/locks', 'utf8')));
      const refused = await runCli(['apply', '--brokers', '3'], { cwd: dir, env: ENV });
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain(`is being changed by another kafka-mtls run: PID ${pid} on ${hostname()}`);
      expect(refused.stderr).toContain('hint: Wait for it to finish, then run again.');
      expect(await readFile(lock, 'utf8')).toBe(text);
    } finally {
      // flock and its sleep, as a group: the sleep keeps the output pipes open.
      process.kill(-holder.pid!, 'SIGKILL');
      await holder.catch(() => undefined);
    }
    const r = await runCli(['apply', '--brokers', '1'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`left by PID ${pid} on ${hostname()}`);
    expect(r.stderr).toContain('which is no longer running (its flock was released)');
    expect(await leftovers(dir)).toEqual([]);
  });

  test("a run's lock records its kernel, PID namespace, start time and run id, and holds an flock", async () => {
    const run = execa(process.execPath, [CLI, 'apply', '--brokers', '5'], { cwd: dir, env: ENV, reject: false });
    const lock = join(dir, '.certs.kafka-mtls.lock');
    let text = '';
    await waitFor(async () => (text = await readFile(lock, 'utf8').catch(() => '')) !== '');
    const held = JSON.parse(text) as Record<string, unknown>;
    const ino = (await stat(lock)).ino;
    const flocks = readFileSync('/proc/locks', 'utf8');
    await run;
    expect(held).toMatchObject({ pid: run.pid, host: hostname(), command: 'apply', bootId: BOOT_ID, pidNs: PID_NS });
    expect(held).toMatchObject({ flock: true, runId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const starttime = readFileSync(`/proc/self/stat`, 'utf8');
    expect(Number(held.procStart)).toBeGreaterThan(
      Number(starttime.slice(starttime.lastIndexOf(')') + 2).split(' ')[19]),
    );
    // /proc/locks: `1: FLOCK  ADVISORY  WRITE 4242 fe:00:2189838 0 EOF`, the lock file's inode among them.
    expect(flocks).toMatch(new RegExp(`FLOCK\\s+ADVISORY\\s+WRITE\\s+\\d+\\s+[0-9a-f]+:[0-9a-f]+:${ino}\\s`));
    expect(await leftovers(dir)).toEqual([]);
  });

  test('without flock on PATH, the lock says it holds none, and a killed holder is taken over by its PID', async () => {
    // openssl, keytool and java, and no flock: a container without util-linux.
    const bin = await tempDir('kmtls-noflock-');
    for (const tool of ['openssl', 'keytool', 'java']) {
      const found = (await execa('sh', ['-c', `command -v ${tool}`])).stdout.trim();
      await symlink(found, join(bin, tool));
    }
    const lock = join(dir, '.certs.kafka-mtls.lock');
    const env = { ...ENV, PATH: bin, NO_COLOR: '1' };
    const run = execa(process.execPath, [CLI, 'apply', '--brokers', '6'], { cwd: dir, env, reject: false });
    let text = '';
    try {
      await waitFor(async () => (text = await readFile(lock, 'utf8').catch(() => '')) !== '');
      await waitFor(async () => (await readdir(dir)).some((n) => n.includes('.kafka-mtls-work-')));
    } finally {
      run.kill('SIGKILL');
      await run;
      await rm(bin, { recursive: true, force: true });
    }
    expect(JSON.parse(text)).toMatchObject({ pid: run.pid, flock: false, pidNs: PID_NS, bootId: BOOT_ID });
    const r = await runCli(['apply', '--brokers', '1', '--prune'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`left by PID ${run.pid} on ${hostname()}`);
    expect(r.stderr).toContain('which is no longer running (its PID is gone)');
    expect(await leftovers(dir)).toEqual([]);
  });

  test('a stale lock (its PID gone) is taken over with a note, and released at the end', async () => {
    const pid = await deadPid();
    await writeFile(join(dir, '.certs.kafka-mtls.lock'), lockOf(pid, hostname(), 'generate'));
    const r = await runCli(['apply', '--brokers', '1', '--prune'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(
      `note: took over the lock of ${join(dir, 'certs')}, left by PID ${pid} on ${hostname()} `,
    );
    expect(r.stderr).toContain('which is no longer running (its PID is gone)');
    expectNoSecret(r);
    expect(await leftovers(dir)).toEqual([]);
  });
});

/** unshare(1) with a PID namespace of its own needs root (or CAP_SYS_ADMIN): tried once, skipped visibly without. */
const canUnshare =
  (await execa('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { reject: false }).catch(() => undefined))
    ?.exitCode === 0;
if (!canUnshare) console.log('skipping the PID namespace tests: this user cannot unshare --pid');
const withUnshare = canUnshare ? test : test.skip;

describe('a run in another PID namespace (a container, unshare --pid), where it is PID 1', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    expect((await gen(dir)).exitCode).toBe(0);
  }, 180_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const lock = () => join(dir, '.certs.kafka-mtls.lock');

  /** kafka-mtls as PID 1 of a PID namespace of its own; resolves once it holds the lock, with its PID here. */
  async function holderInNamespace(args: string[]): Promise<{ run: ResultPromise; pid: number }> {
    const run = execa('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, CLI, ...args], {
      cwd: dir,
      env: { ...ENV, NO_COLOR: '1' },
      reject: false,
    });
    await waitFor(async () => (await readFile(lock(), 'utf8').catch(() => '')).includes('"pid":1,'));
    const child = (await execa('pgrep', ['-P', String(run.pid)])).stdout.trim();
    return { run, pid: Number(child) };
  }

  withUnshare('a live one is not taken over: the second run is refused, the first finishes its change', async () => {
    const { run, pid } = await holderInNamespace(['apply', '--brokers', '3']);
    // Stopped, as a paused container is, so that it still holds the lock however long the second run takes.
    process.kill(pid, 'SIGSTOP');
    let second: CliRun;
    const held = await readFile(lock(), 'utf8');
    try {
      second = await runCli(['apply', '--brokers', '2'], { cwd: dir, env: ENV });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain(`is being changed by another kafka-mtls run: PID 1 on ${hostname()}`);
    expect(second.stderr).toContain('hint: Wait for it to finish, then run again.');
    expect(await readFile(lock(), 'utf8').catch(() => 'gone')).toBe(held);
    const first = await run;
    expect(first.exitCode).toBe(0);
    const state = JSON.parse(await readFile(join(dir, 'certs/kafka-mtls.json'), 'utf8'));
    expect(Object.keys(state.certs).sort()).toEqual([
      'mtls-kafka-0',
      'mtls-kafka-1',
      'mtls-kafka-2',
      'mtls-kafka-client',
    ]);
    expect((await readdir(dir)).filter((n) => n.startsWith('certs.bak-'))).toHaveLength(1);
    expect(await leftovers(dir)).toEqual([]);
  });

  withUnshare('a killed one is taken over: its flock went with it; its work directory is removed', async () => {
    const { run, pid } = await holderInNamespace(['apply', '--brokers', '5']);
    await waitFor(async () => (await readdir(dir)).some((n) => n.includes('.kafka-mtls-work-')));
    // PID 1 of a namespace killed: the kernel kills every process in it.
    process.kill(pid, 'SIGKILL');
    await run;
    const work = (await readdir(dir)).find((n) => n.includes('.kafka-mtls-work-'));
    expect(work).toBeDefined();
    const r = await runCli(['apply', '--brokers', '3'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`note: took over the lock of ${join(dir, 'certs')}, left by PID 1 on ${hostname()}`);
    expect(r.stderr).toContain('which is no longer running (its flock was released)');
    expect(r.stderr).toContain(`note: removed ${join(dir, work!)}, left by a run that ended without cleaning up`);
    expect(await leftovers(dir)).toEqual([]);
  });
});

describe('a killed run', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Starts generate and waits until its work directory holds files, so that it is mid-run. */
  async function startMidRun(): Promise<{ run: ResultPromise; work: string }> {
    const env = { ...ENV, NO_COLOR: '1' };
    const run = execa(process.execPath, [CLI, 'generate', '--brokers', '3'], { cwd: dir, env, reject: false });
    let work = '';
    await waitFor(async () => {
      const w = (await readdir(dir)).find((n) => n.includes('.kafka-mtls-work-'));
      const files = w ? await readdir(join(dir, w)).catch(() => [] as string[]) : [];
      if (files.some((f) => f.endsWith('.key') || f === '.build')) work = join(dir, w!);
      return work !== '';
    });
    return { run, work };
  }

  test('SIGKILL mid-run leaves its work directory; the next run removes it, says so; no orphan remains', async () => {
    const { run, work } = await startMidRun();
    run.kill('SIGKILL');
    await run;
    expect((await stat(work)).isDirectory()).toBe(true);
    const r = await gen(dir);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`note: removed ${work}, left by a run that ended without cleaning up`);
    expect(r.stderr).toContain('note: took over the lock');
    expectNoSecret(r);
    await expect(stat(work)).rejects.toThrow();
    expect(await processesInside(work)).toEqual([]);
    expect(await leftovers(dir)).toEqual([]);
  });

  /** A killed run's work directory, with none of the run's own processes left in it. */
  async function killedRunsWork(): Promise<string> {
    const { run, work } = await startMidRun();
    run.kill('SIGKILL');
    await run;
    // Its tools end on their own (the keytool JVM at the end of its input); the next test keeps one.
    await waitFor(async () => (await processesInside(work)).length === 0, 30_000);
    return work;
  }

  /** A run killed while its keytool JVM runs, the JVM frozen so that it outlives the run (as one busy would). */
  async function killedLeavingItsJvm(): Promise<{ work: string; jvm: number }> {
    const { run, work } = await startMidRun();
    let jvm = 0;
    try {
      // By its name first: reading every process's descriptors takes long on a busy machine.
      await waitFor(async () => {
        for (const p of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
          const comm = (await readFile(`/proc/${p}/comm`, 'utf8').catch(() => '')).trim();
          if (comm === 'java' && (await readlink(`/proc/${p}/cwd`).catch(() => '')) === work) jvm = Number(p);
        }
        return jvm !== 0;
      });
      process.kill(jvm, 'SIGSTOP');
    } finally {
      run.kill('SIGKILL');
      await run;
    }
    return { work, jvm };
  }

  /**
   * Runs `check` while an operator's `sleep` works in a killed run's directory (a shell `cd`'d there would do the
   * same); then, the sleep gone, the next run removes the directory.
   */
  async function whileSomeoneLooks(work: string, check: (left: string, looker: number) => Promise<void>) {
    const looker = execa('sleep', ['120'], { cwd: work });
    try {
      await waitFor(async () => (await processesInside(work)).includes(looker.pid!));
      await check(
        `note: left ${work} in place: PID ${looker.pid} (sleep) is using it, and kafka-mtls did not start it; `,
        looker.pid!,
      );
      expect(running(looker.pid!)).toBe(true);
      expect((await stat(work)).isDirectory()).toBe(true);
    } finally {
      looker.kill('SIGKILL');
      await looker.catch(() => undefined);
    }
    const r = await gen(dir);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`note: removed ${work}, left by a run that ended without cleaning up`);
    expect(r.stderr).not.toContain('stopped');
    expect(await leftovers(dir)).toEqual([]);
  }

  test('a process kafka-mtls did not start, working in a killed run’s directory, is not stopped: the directory is left, named', async () => {
    const work = await killedRunsWork();
    await whileSomeoneLooks(work, async (left) => {
      const r = await gen(dir);
      expect(r.exitCode).toBe(0);
      expect(r.stderr).toContain(`${left}it holds unencrypted keys: remove it once that process has ended`);
      expect(r.stderr).not.toContain('stopped');
    });
  });

  test('an orphan of a killed run (its keytool JVM) carries the run id, and the next run stops it', async () => {
    const { work, jvm } = await killedLeavingItsJvm();
    const runId = /kafka-mtls-work-([0-9a-f]{16})-/.exec(work)![1];
    const environ = readFileSync(`/proc/${jvm}/environ`, 'latin1').split('\0');
    expect(environ).toContain(`KAFKA_MTLS_RUN_ID=${runId}`);
    // And a stranger beside it, which stays.
    await whileSomeoneLooks(work, async (left, looker) => {
      const r = await gen(dir);
      expect(r.exitCode).toBe(0);
      // The JVM, and any openssl still running when the run was killed.
      expect(r.stderr).toContain(left);
      expect(r.stderr).toMatch(/did not start it; stopped [1-9]\d* of its processes still running in it; /);
      await waitFor(async () => !(await processesInside(work)).includes(jvm), 5000);
      expect(await processesInside(work)).toEqual([looker]);
    });
  });

  test('the orphan alone: stopped, and the directory removed', async () => {
    const { work, jvm } = await killedLeavingItsJvm();
    const r = await gen(dir);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`note: removed ${work}, left by a run that ended without cleaning up; stopped `);
    expect(r.stderr).toMatch(/; stopped [1-9]\d* of its processes still running in it/);
    expect(running(jvm)).toBe(false);
    expect(await leftovers(dir)).toEqual([]);
  });

  test('SIGINT mid-run stops every tool it started (each in its own process group): none is left writing', async () => {
    const before = await snapshot(join(dir, 'certs'));
    const { run, work } = await startMidRun();
    run.kill('SIGINT');
    const r = await run;
    expect(r.exitCode).toBe(130);
    expect(await processesInside(work)).toEqual([]);
    expect(await leftovers(dir)).toEqual([]);
    expect(await snapshot(join(dir, 'certs'))).toEqual(before);
  });

  test.each([
    ['between the two renames: the new directory is put in place', true],
    ['before its work directory was renamed, which is gone: the old one is put back', false],
  ])('a swap cut %s', async (_case, workLeft) => {
    const certs = join(dir, 'certs');
    const before = await snapshot(certs);
    const backup = join(dir, 'certs.bak-20261130T100000Z');
    const work = join(dir, '.certs.kafka-mtls-work-999999-AbCdEf');
    if (workLeft) await cp(certs, work, { recursive: true });
    await rename(certs, backup);
    const pid = await deadPid();
    await writeFile(join(dir, '.certs.kafka-mtls-swap'), JSON.stringify({ pid, work, backup }));
    // plan reads only: it says what happened and who finishes it, never "run generate first" (a new CA).
    const left = await leftovers(dir);
    const p = await runCli(['plan', '--brokers', '1'], { cwd: dir, env: ENV });
    expect(p.exitCode).toBe(2);
    expect(p.stderr.trim().split('\n')).toHaveLength(1);
    expect(p.stderr).toContain(`${certs} is missing: a run (PID ${pid}) was stopped while swapping in ${certs}`);
    expect(p.stderr).toContain(workLeft ? `its new directory ${work} is complete` : `back from ${backup}`);
    expect(p.stderr).toMatch(/the next kafka-mtls apply or generate/);
    expect(p.stderr).not.toMatch(/run generate first/);
    expect(await leftovers(dir)).toEqual(left);
    const r = await runCli(['apply', '--brokers', '1'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`note: a run (PID ${pid}) was stopped while swapping in ${certs}`);
    const now = workLeft ? 'its new directory is now in place' : `the old directory is back in place from ${backup}`;
    expect(r.stderr).toContain(now);
    expect(r.stdout).toContain('Nothing to do');
    expect(await snapshot(certs)).toEqual(before);
    expect(await leftovers(dir)).toEqual([]);
    if (workLeft) await rm(backup, { recursive: true });
  });
});

describe('I/O failures are reports: exit 1, the phase or step, a hint, the target untouched, no work directory', () => {
  let dir: string;
  let made: string;
  beforeAll(async () => {
    dir = await tempDir();
    made = join(dir, 'made');
    await mkdir(made);
    expect((await gen(made)).exitCode).toBe(0);
  });
  afterAll(async () => {
    for (const m of mounted.filter((x) => x.startsWith(dir)).reverse()) {
      await execa('umount', ['-l', m], { reject: false });
    }
    await rm(dir, { recursive: true, force: true });
  });

  /** A 1 MiB tmpfs holding a copy of a generated directory, then filled to leave `leaveKiB` free. */
  async function fullDisk(name: string, leaveKiB: number): Promise<string> {
    const mnt = join(dir, name);
    await mkdir(mnt);
    await mount(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs'], mnt);
    await cp(join(made, 'certs'), join(mnt, 'certs'), { recursive: true, preserveTimestamps: true });
    const fs = await statfs(mnt);
    const fill = Math.max(0, fs.bavail * fs.bsize - leaveKiB * 1024);
    await writeFile(join(mnt, 'filler'), Buffer.alloc(fill));
    return mnt;
  }

  const removed = 'The work directory was removed';
  const rows: Array<[string, () => Promise<string>, string[], RegExp, string]> = [
    [
      'a disk already full',
      () => fullDisk('full0', 0),
      ['generate', '--brokers', '1'],
      /taking the lock failed: ENOSPC[^]*The disk holding \S+ is full: free some space/,
      '',
    ],
    [
      'a disk that fills during the steps',
      () => fullDisk('full48', 48),
      ['generate', '--brokers', '1'],
      /(step \S+ failed|failed: ENOSPC)[^]*The disk holding \S+ is full/,
      removed,
    ],
    [
      'apply on a full disk',
      () => fullDisk('full8', 8),
      ['apply', '--brokers', '2'],
      /failed: ENOSPC[^]*The disk holding \S+ is full/,
      removed,
    ],
  ];
  for (const [name, setup, args, sentence, aftermath] of rows) {
    withMount(name, async () => {
      const parent = await setup();
      const before = await snapshot(join(parent, 'certs'));
      const r = await runCli(args, { cwd: parent, env: ENV });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(sentence);
      expect(r.stderr).toContain(aftermath);
      expect(r.stderr).not.toContain('bug:');
      expectNoSecret(r);
      expect(await snapshot(join(parent, 'certs'))).toEqual(before);
      expect(await leftovers(parent)).toEqual([]);
    });
  }

  withMount(
    'an --out that is a mount point cannot be swapped: EBUSY, the hint, the work directory removed',
    async () => {
      const parent = join(dir, 'mp');
      await mkdir(join(parent, 'certs'), { recursive: true });
      await mount(['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs'], join(parent, 'certs'));
      await cp(join(made, 'certs'), join(parent, 'certs'), { recursive: true, preserveTimestamps: true });
      const before = await snapshot(join(parent, 'certs'));
      for (const args of [
        ['generate', '--brokers', '1'],
        ['apply', '--brokers', '2'],
      ]) {
        const r = await runCli(args, { cwd: parent, env: ENV });
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toMatch(/error: moving \S+certs aside to certs\.bak-\S+ failed: EBUSY/);
        expect(r.stderr).toContain('is a mount point: mount its parent directory instead');
        expect(r.stderr).toContain(`Nothing in ${join(parent, 'certs')} was changed. The work directory was removed`);
        expectNoSecret(r);
        expect(await snapshot(join(parent, 'certs'))).toEqual(before);
        expect(await leftovers(parent)).toEqual([]);
      }
    },
  );

  const asRoot = process.getuid?.() === 0;
  if (!asRoot) console.log('skipping the EACCES test: it runs kafka-mtls as nobody, which needs root');
  (asRoot ? test : test.skip)('a parent this user may not write: EACCES, the hint, nothing made', async () => {
    const parent = join(dir, 'not-mine');
    await mkdir(parent, { mode: 0o755 });
    await execa('chmod', ['755', dir]);
    const nobody = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];
    const r = await execa('setpriv', [...nobody, process.execPath, CLI, 'generate', '--brokers', '1'], {
      cwd: parent,
      env: { ...ENV, NO_COLOR: '1' },
      reject: false,
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: taking the lock failed: EACCES/);
    expect(r.stderr).toContain(`hint: This user may not write ${parent} or its parent directory`);
    expect(r.stdout + r.stderr).not.toContain(PW);
    expect(await readdir(parent)).toEqual([]);
  });

  withMount('a read-only file system: EROFS, the read-only hint, nothing touched', async () => {
    const src = join(dir, 'ro-src');
    const ro = join(dir, 'ro');
    await mkdir(src);
    await mkdir(ro);
    await cp(join(made, 'certs'), join(src, 'certs'), { recursive: true, preserveTimestamps: true });
    await mount(['--bind', src], ro);
    await execa('mount', ['-o', 'remount,ro,bind', ro]);
    const before = await snapshot(join(ro, 'certs'));
    for (const args of [
      ['generate', '--brokers', '1'],
      ['apply', '--brokers', '2'],
      ['rotate-ca', 'start'],
    ]) {
      const r = await runCli(args, { cwd: ro, env: ENV });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/taking the lock failed: EROFS/);
      expect(r.stderr).toContain('is on a read-only file system: choose an --out on a writable one');
      expectNoSecret(r);
      expect(await snapshot(join(ro, 'certs'))).toEqual(before);
    }
  });
});

describe('links: a directory holding a symbolic link is refused (exit 2), never written through', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    const r = await gen(dir, '--layout', 'confluent', '--emit', 'none');
    expect(r.exitCode).toBe(0);
    await rename(join(dir, 'certs/mtls-kafka-0-creds'), join(dir, 'elsewhere'));
    await symlink(join(dir, 'elsewhere'), join(dir, 'certs/mtls-kafka-0-creds'));
  }, 180_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test.each([
    ['apply', ['apply', '--brokers', '2']],
    ['rotate-ca start', ['rotate-ca', 'start']],
  ])('%s', async (_name, args) => {
    const before = await snapshot(join(dir, 'elsewhere'));
    const listing = (await readdir(join(dir, 'certs'))).sort();
    const r = await runCli(args, { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(2);
    const link = join(dir, 'certs/mtls-kafka-0-creds');
    const rule = 'kafka-mtls changes a directory in a copy and does not write through links';
    expect(r.stderr).toContain(`error: --out: ${link} is a symbolic link: ${rule}`);
    expectNoSecret(r);
    expect(await snapshot(join(dir, 'elsewhere'))).toEqual(before);
    expect((await readdir(join(dir, 'certs'))).sort()).toEqual(listing);
    expect((await lstat(join(dir, 'certs/mtls-kafka-0-creds'))).isSymbolicLink()).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['certs', 'elsewhere']);
  });
});

describe('safe defaults', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const refused: Array<[string, (d: string) => Promise<string[]>, RegExp]> = [
    [
      '--out . (the current directory)',
      async () => ['--out', '.'],
      /--out: \S+ is the current directory or holds it: generate would move it aside/,
    ],
    ['--out .. (holding the current directory)', async () => ['--out', '..'], /is the current directory or holds it/],
    [
      'a directory holding .git',
      async (d) => {
        await mkdir(join(d, 'proj/.git'), { recursive: true });
        await writeFile(join(d, 'proj/.git/HEAD'), 'ref: refs/heads/main\n');
        return ['--out', 'proj'];
      },
      /--out: \S+proj holds \.git: generate would move the repository aside; choose another directory, or add --force/,
    ],
    [
      'a directory of other files',
      async (d) => {
        await mkdir(join(d, 'mine'));
        await writeFile(join(d, 'mine/notes.txt'), 'mine\n');
        await writeFile(join(d, 'mine/ca.crt'), 'x\n');
        return ['--out', 'mine'];
      },
      /--out: \S+mine holds files that neither kafka-mtls nor mtls-kafka\.sh made \(notes\.txt\): generate would move them aside/,
    ],
    [
      'a parent that is a file',
      async (d) => {
        await writeFile(join(d, 'afile'), 'x\n');
        return ['--out', 'afile/certs'];
      },
      /--out: \S+afile is a file, not a directory/,
    ],
  ];
  test.each(refused)('refused with exit 2, nothing touched: %s', async (_name, setup, sentence) => {
    const cwd = await tempDir();
    try {
      const args = await setup(cwd);
      const before = await snapshot(cwd);
      const r = await runCli(['generate', '--brokers', '1', ...args], { cwd, env: ENV });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(sentence);
      expectNoSecret(r);
      expect(await snapshot(cwd)).toEqual(before);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  test('a parent mkdir cannot make (--out /proc/x/certs) fails at once, exit 1, naming the phase', async () => {
    const cwd = await tempDir();
    try {
      const started = Date.now();
      const r = await runCli(['generate', '--brokers', '1', '--out', '/proc/kafka-mtls-x/certs'], { cwd, env: ENV });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/creating the parent directory failed: ENOENT[^\n]*\/proc\/kafka-mtls-x/);
      expect(Date.now() - started).toBeLessThan(30_000);
      expectNoSecret(r);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  test('--force replaces a directory holding .git, kept whole as the backup', async () => {
    await mkdir(join(dir, 'proj/.git'), { recursive: true });
    await writeFile(join(dir, 'proj/.git/HEAD'), 'ref: refs/heads/main\n');
    const r = await gen(dir, '--out', 'proj', '--force');
    expect(r.exitCode).toBe(0);
    const backup = (await readdir(dir)).find((n) => n.startsWith('proj.bak-'))!;
    expect(await readFile(join(dir, backup, '.git/HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
  });

  test("the script's own ./certs (ca.srl included) is replaced as a drop-in", async () => {
    const certs = join(dir, 'certs');
    await mkdir(certs);
    const names = [
      'openssl.cnf',
      'ca.crt',
      'ca.key',
      'ca.srl',
      'ext0.cnf',
      'extclient.cnf',
      'mtls-kafka-0.keystore.jks',
      'ca-request-mtls-kafka-0',
      'ca-signed-mtls-kafka-0',
      'kafka.server.truststore.jks',
      'mtls-kafka-client.keystore.jks',
      'ca-request-mtls-kafka-client',
      'ca-signed-mtls-kafka-client',
      'kafka.client.truststore.jks',
    ];
    for (const n of names) await writeFile(join(certs, n), `${n}\n`);
    const r = await gen(dir);
    expect(r.exitCode).toBe(0);
    const backup = (await readdir(dir)).find((n) => n.startsWith('certs.bak-'))!;
    expect((await readdir(join(dir, backup))).sort()).toEqual([...names].sort());
  });

  test.each([
    ['000', 'dropin'],
    ['077', 'confluent'],
  ])('with umask %s (%s), directories are 0700 and files keep their documented modes', async (umask, layout) => {
    const cwd = await tempDir();
    try {
      const args = [CLI, 'generate', '--brokers', '1', '--layout', layout];
      const r = await execa('sh', ['-c', `umask ${umask}; exec "$0" "$@"`, process.execPath, ...args], {
        cwd,
        env: ENV,
        reject: false,
      });
      expect(r.exitCode).toBe(0);
      const mode = async (p: string) => ((await stat(join(cwd, 'certs', p))).mode & 0o777).toString(8);
      expect(await mode('.')).toBe('700');
      expect(await mode('.kafka-mtls')).toBe('700');
      const [journal] = await readdir(join(cwd, 'certs/.kafka-mtls'));
      expect(await mode(`.kafka-mtls/${journal}`)).toBe('600');
      expect(await mode('ca.crt')).toBe('644');
      expect(await mode('ca.key')).toBe('600');
      expect(await mode('kafka-mtls.json')).toBe('644');
      if (layout === 'confluent') {
        expect(await mode('mtls-kafka-0-creds')).toBe('700');
        expect(await mode('mtls-kafka-0-creds/mtls-kafka-0.crt')).toBe('644');
        expect(await mode('mtls-kafka-0-creds/kafka.mtls-kafka-0.keystore.pkcs12')).toBe('600');
      }
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

describe('journals: every command that writes keeps the last five', () => {
  let dir: string;
  const journals = async () =>
    (await readdir(join(dir, 'certs/.kafka-mtls'))).filter((x) => x.startsWith('run-')).sort();
  beforeAll(async () => {
    dir = await tempDir();
    expect((await gen(dir)).exitCode).toBe(0);
    // Seven older journals, as if from earlier runs.
    for (let i = 1; i <= 7; i++) {
      await writeFile(join(dir, `certs/.kafka-mtls/run-20200101T00000${i}.000Z.json`), '{}\n');
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test.each([
    ['apply', ['apply', '--brokers', '2']],
    ['rotate-ca start', ['rotate-ca', 'start']],
    ['generate', ['generate', '--brokers', '1']],
  ])('%s', async (command, args) => {
    const r = await runCli(args, { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    const names = await journals();
    expect(names).toHaveLength(5);
    const newest = JSON.parse(await readFile(join(dir, 'certs/.kafka-mtls', names[4]!), 'utf8'));
    expect(newest.command).toBe(command);
  });
});
