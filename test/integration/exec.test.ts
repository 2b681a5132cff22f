import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { execProcess, type ExecRequest } from '../../src/runner/exec.js';
import { tempDir } from '../helpers/cli.js';

// The one place that starts processes, with real ones: what a step's report
// says (exit code, output, timeout, cancel, a tool that is not there) comes from here.
let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const sh = (script: string, over: Partial<ExecRequest> = {}): ExecRequest => ({
  file: 'sh',
  args: ['-c', script],
  cwd: dir,
  env: { LC_ALL: 'C' },
  timeoutMs: 10_000,
  ...over,
});

test('returns the exit code and both streams, in the work directory, with the given environment added', async () => {
  const r = await execProcess(
    sh('pwd; echo "$KMTLS_X:${PATH:+path}"; echo oops >&2; exit 3', { env: { KMTLS_X: 'given' } }),
  );
  expect(r).toEqual({ kind: 'exited', exitCode: 3, stdout: `${dir}\ngiven:path\n`, stderr: 'oops\n' });
});

test('gives a command its input, and closes standard input when there is none', async () => {
  expect(await execProcess(sh('cat', { input: 'a PEM\n' }))).toMatchObject({
    kind: 'exited',
    exitCode: 0,
    stdout: 'a PEM\n',
  });
  // A prompt must fail at once, not wait: read gets end of file.
  expect(await execProcess(sh('if read line; then echo read; else echo eof; fi'))).toMatchObject({
    exitCode: 0,
    stdout: 'eof\n',
  });
});

test('streams output as it comes, for --verbose', async () => {
  const seen: string[] = [];
  await execProcess(sh('echo one; echo two >&2', { onOutput: (stream, text) => seen.push(`${stream}:${text}`) }));
  expect(seen.sort()).toEqual(['stderr:two\n', 'stdout:one\n']);
});

test("a tool that is not there has not started, with the system's code", async () => {
  const r = await execProcess({ ...sh(''), file: 'kafka-mtls-no-such-tool' });
  expect(r).toMatchObject({ kind: 'not-started', code: 'ENOENT' });
});

test('a timeout ends the process and says so, with what it printed', async () => {
  const started = Date.now();
  const r = await execProcess(sh('echo started; exec sleep 30', { timeoutMs: 300 }));
  expect(r).toEqual({ kind: 'timed-out', stdout: 'started\n', stderr: '' });
  expect(Date.now() - started).toBeLessThan(5_000);
});

test('a process that ignores SIGTERM is killed after the grace period', async () => {
  const r = await execProcess(sh('trap "" TERM; echo up; while :; do sleep 0.1; done', { timeoutMs: 300 }));
  expect(r.kind).toBe('timed-out');
});

test('a timeout stops the whole process group: what the process started, even what ignores SIGTERM', async () => {
  const started = Date.now();
  const r = await execProcess(
    sh('sleep 30 & echo $!; (trap "" TERM; exec sleep 31) & echo $!; wait', { timeoutMs: 300 }),
  );
  expect(r.kind).toBe('timed-out');
  // Each child holds the output pipe: the outcome comes only once both are gone.
  expect(Date.now() - started).toBeLessThan(5_000);
  const pids = (r.kind === 'timed-out' ? r.stdout : '').trim().split('\n').map(Number);
  expect(pids).toHaveLength(2);
  // Running, as /proc tells it: a zombie has ended, whoever is left to reap it.
  const alive = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((ok) => setTimeout(ok, 20));
  expect(pids.filter(alive)).toEqual([]);
});

test('cancelling ends the process; a signal already aborted never lets it run', async () => {
  const stop = new AbortController();
  const running = execProcess(sh('exec sleep 30', { signal: stop.signal }));
  setTimeout(() => stop.abort(), 200);
  expect(await running).toMatchObject({ kind: 'cancelled' });
  const r = await execProcess(sh('echo ran', { signal: AbortSignal.abort() }));
  expect(r.kind).toBe('cancelled');
  expect(r.kind !== 'not-started' && r.stdout).toBe('');
});

test('a process killed by a signal it did not get from us is reported as killed', async () => {
  expect(await execProcess(sh('kill -9 $$'))).toMatchObject({ kind: 'killed', signal: 'SIGKILL' });
});
