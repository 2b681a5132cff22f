import { access, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecOutcome, ExecRequest } from '../../src/runner/exec.js';
import { runPlan, startOrder, stepsToStart, type StepState } from '../../src/runner/runner.js';
import { toolSettings } from '../../src/runner/tools.js';
import { dependencies } from '../../src/runner/step.js';
import type { Plan, Step } from '../../src/runner/step.js';
import { Secret } from '../../src/secrets.js';
import { tempDir } from '../helpers/cli.js';

const TOOLS = { openssl: 'openssl', keytool: 'keytool' } as const;
const SECRET = new Secret('store password', 'Sekr1t-value');

function step(id: string, over: Partial<Step> = {}): Step {
  return {
    id,
    role: 'sign',
    title: `title of ${id}`,
    action: { kind: 'exec', tool: 'openssl', args: [id], secretEnv: ['PW'] },
    reads: [],
    writes: [],
    ...over,
  };
}

const plan = (steps: Step[]): Plan => ({ steps, outputs: [], scratch: [] });

/** An exec that answers per step (its first argument) from a table, and records what it was asked. */
function fakeExec(table: Record<string, ExecOutcome | ((r: ExecRequest) => Promise<ExecOutcome>)>) {
  const calls: ExecRequest[] = [];
  const exec = async (r: ExecRequest): Promise<ExecOutcome> => {
    calls.push(r);
    const answer = table[r.args[0]!] ?? { kind: 'exited', exitCode: 0, stdout: '', stderr: '' };
    return typeof answer === 'function' ? answer(r) : answer;
  };
  return { exec, calls };
}

describe('runPlan', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('kmtls-runner-');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const run = (p: Plan, exec: ReturnType<typeof fakeExec>['exec'], concurrency = 2) =>
    runPlan(p, { workDir: dir, tools: TOOLS, secrets: { PW: SECRET }, concurrency, exec });

  test("passes the secret in the child's environment and never in its arguments", async () => {
    const f = fakeExec({});
    const r = await run(plan([step('a')]), f.exec);
    expect(r.failure).toBeUndefined();
    expect(f.calls[0]!.env.PW).toBe('Sekr1t-value');
    expect(f.calls[0]!.args).not.toContain('Sekr1t-value');
  });

  test.each<[string, ExecOutcome, Partial<Step>, string, RegExp]>([
    [
      'a tool that cannot start',
      { kind: 'not-started', code: 'ENOENT', message: 'spawn openssl ENOENT' },
      {},
      'not-started',
      /not installed or not on PATH/,
    ],
    ['a timeout', { kind: 'timed-out', stdout: '', stderr: '' }, {}, 'timed-out', /./],
    [
      'a non-zero exit',
      { kind: 'exited', exitCode: 1, stdout: '', stderr: 'Mac verify error: invalid password?\n' },
      {},
      'exit-code',
      /could not open the PKCS12/,
    ],
    [
      'a missing output file',
      { kind: 'exited', exitCode: 0, stdout: '', stderr: '' },
      { writes: ['out.pem'] },
      'file-missing',
      /./,
    ],
    [
      'a failed check',
      { kind: 'exited', exitCode: 0, stdout: 'nope', stderr: '' },
      { check: (o) => (o.stdout === 'OK' ? undefined : 'not OK') },
      'check-failed',
      /./,
    ],
  ])('classifies %s', async (_what, outcome, over, kind, hintOrAny) => {
    const r = await run(plan([step('a', over)]), fakeExec({ a: outcome }).exec);
    expect(r.failure?.kind).toBe(kind);
    expect(r.failure?.stepId).toBe('a');
    if (kind === 'not-started' || kind === 'exit-code') expect(r.failure?.hint).toMatch(hintOrAny);
  });

  test('a non-zero exit wins over a missing file, a missing file over a failed check', async () => {
    const s = step('a', { writes: ['x'], check: () => 'bad' });
    expect(
      (await run(plan([s]), fakeExec({ a: { kind: 'exited', exitCode: 2, stdout: '', stderr: '' } }).exec)).failure
        ?.kind,
    ).toBe('exit-code');
    expect(
      (await run(plan([s]), fakeExec({ a: { kind: 'exited', exitCode: 0, stdout: '', stderr: '' } }).exec)).failure
        ?.kind,
    ).toBe('file-missing');
    await writeFile(join(dir, 'x'), '');
    expect(
      (await run(plan([s]), fakeExec({ a: { kind: 'exited', exitCode: 0, stdout: '', stderr: '' } }).exec)).failure
        ?.kind,
    ).toBe('check-failed');
  });

  test('redacts the secret from output tails and records', async () => {
    const f = fakeExec({
      a: { kind: 'exited', exitCode: 1, stdout: 'pw=Sekr1t-value', stderr: 'error with Sekr1t-value\n' },
    });
    const r = await run(plan([step('a')]), f.exec);
    expect(JSON.stringify(r)).not.toContain('Sekr1t-value');
    expect(r.failure?.outputTail).toEqual(['error with ***']);
  });

  test("checks read the tool's own output; only the tails shown are redacted", async () => {
    const f = fakeExec({ a: { kind: 'exited', exitCode: 0, stdout: 'OK Sekr1t-value\n', stderr: '' } });
    const check = (o: { stdout: string }) => (o.stdout === 'OK Sekr1t-value\n' ? undefined : `saw ${o.stdout}`);
    const r = await run(plan([step('a', { check, summarize: (o) => o.stdout.trim() })]), f.exec);
    expect(r.failure).toBeUndefined();
    expect(r.records[0]).toMatchObject({ outcome: 'ok', stdoutTail: 'OK ***', detail: 'OK ***' });
  });

  test('--verbose: whole lines, redacted, without key-generation progress, each an event of its step', async () => {
    const events: string[] = [];
    const exec = async (r: ExecRequest): Promise<ExecOutcome> => {
      for (const chunk of ['.+++..+', '++*\nsecret Sekr1', 't-value here\nno newline']) r.onOutput?.('stderr', chunk);
      return { kind: 'exited', exitCode: 0, stdout: '', stderr: '' };
    };
    await runPlan(plan([step('a')]), {
      workDir: dir,
      tools: TOOLS,
      secrets: { PW: SECRET },
      concurrency: 1,
      exec,
      streamOutput: true,
      onEvent: (e) => e.kind === 'output' && events.push(`${e.step.id}|${e.stream}|${e.line}`),
    });
    expect(events).toEqual(['a|stderr|secret *** here', 'a|stderr|no newline']);
  });

  test('stops at the first failure: later steps do not run, and dependents are not-run', async () => {
    const steps = [step('a', { writes: ['f'] }), step('b', { reads: ['f'] }), step('c')];
    const f = fakeExec({ a: { kind: 'exited', exitCode: 1, stdout: '', stderr: 'boom' } });
    const r = await run(plan(steps), f.exec, 1);
    expect(r.failure?.stepId).toBe('a');
    expect(r.records.map((x) => [x.id, x.outcome])).toEqual([
      ['a', 'failed'],
      ['b', 'not-run'],
      ['c', 'not-run'],
    ]);
  });

  test('runs independent steps at once, up to the limit, and dependents after', async () => {
    let live = 0;
    let peak = 0;
    const slow = async () => {
      live++;
      peak = Math.max(peak, live);
      await new Promise((r) => setTimeout(r, 30));
      live--;
      return { kind: 'exited', exitCode: 0, stdout: '', stderr: '' } as const;
    };
    const order: string[] = [];
    const steps = ['a', 'b', 'c', 'd'].map((id) => step(id));
    const last = step('e', { reads: ['out-a'] });
    const first = { ...steps[0]!, writes: ['out-a'] };
    await writeFile(join(dir, 'out-a'), '');
    const f = fakeExec({ a: slow, b: slow, c: slow, d: slow, e: async (r) => (order.push(r.args[0]!), slow()) });
    const r = await run(plan([first, ...steps.slice(1), last]), f.exec, 2);
    expect(r.failure).toBeUndefined();
    expect(peak).toBe(2);
    expect(order).toEqual(['e']);
    expect(f.calls.map((c) => c.args[0]).indexOf('e')).toBeGreaterThan(0);
  });

  test('a file the runner writes does not wait for a process slot', async () => {
    let seen = false;
    const f = fakeExec({
      slow: async () => {
        // The only slot is this process's: the note is written beside it, not after it.
        for (let i = 0; i < 50 && !seen; i++) {
          seen = await access(join(dir, 'note.txt')).then(
            () => true,
            () => false,
          );
          if (!seen) await new Promise((r) => setTimeout(r, 20));
        }
        return { kind: 'exited', exitCode: 0, stdout: '', stderr: '' };
      },
    });
    const note = step('note', { action: { kind: 'write', path: 'note.txt', content: 'n' }, writes: ['note.txt'] });
    const r = await run(plan([step('slow'), note]), f.exec, 1);
    expect(r.failure).toBeUndefined();
    expect(seen).toBe(true);
  });

  test('an outside abort cancels what runs and reports the run as cancelled', async () => {
    const ac = new AbortController();
    const f = fakeExec({
      a: (r) =>
        new Promise((resolve) => {
          r.signal!.addEventListener('abort', () => resolve({ kind: 'cancelled', stdout: '', stderr: '' }));
          setTimeout(() => ac.abort(), 10);
        }),
    });
    const r = await runPlan(plan([step('a'), step('b', { reads: ['x'] })]), {
      workDir: dir,
      tools: TOOLS,
      secrets: { PW: SECRET },
      concurrency: 1,
      exec: f.exec,
      signal: ac.signal,
    });
    expect(r.cancelled).toBe(true);
    expect(r.records.map((x) => x.outcome)).toEqual(['cancelled', 'not-run']);
  });
});

describe('startOrder', () => {
  test('a ready step further along its chain starts before a fresh one, plan order breaking ties', () => {
    // key-a -> sign-a; key-b and key-c are fresh keys made after key-a, in plan order.
    const steps = [
      step('key-a', { writes: ['a.key'] }),
      step('key-b', { writes: ['b.key'] }),
      step('key-c', { writes: ['c.key'] }),
      step('sign-a', { reads: ['a.key'], writes: ['a.crt'] }),
      step('note', { action: { kind: 'write', path: 'n.txt', content: '' }, reads: [], writes: ['n.txt'] }),
    ];
    const order = startOrder(steps, dependencies(steps)).map((i) => steps[i]!.id);
    expect(order).toEqual(['sign-a', 'key-a', 'key-b', 'key-c', 'note']);
  });

  test('among steps as far along, the one more steps wait for starts first', () => {
    // After the CA: a truststore (its check waits), the keystores' base (both imports and their checks wait),
    // a signature (its import waits), the CA's check (nothing waits).
    const steps = [
      step('ca', { writes: ['ca.crt'] }),
      step('ca-check', { reads: ['ca.crt'] }),
      step('truststore', { reads: ['ca.crt'], writes: ['t.p12'] }),
      step('truststore-check', { reads: ['t.p12'] }),
      step('base', { reads: ['ca.crt'], writes: ['base.p12'] }),
      step('sign-a', { reads: ['ca.crt'], writes: ['a.crt'] }),
      step('import-a', { reads: ['base.p12', 'a.crt'], writes: ['a.p12'] }),
      step('import-b', { reads: ['base.p12'], writes: ['b.p12'] }),
      step('check-a', { reads: ['a.p12'] }),
    ];
    const order = startOrder(steps, dependencies(steps)).map((i) => steps[i]!.id);
    expect(order.filter((id) => ['ca-check', 'truststore', 'base', 'sign-a'].includes(id))).toEqual([
      'base',
      'sign-a',
      'truststore',
      'ca-check',
    ]);
  });
});

describe('stepsToStart', () => {
  // The start of a run: each key waits for its config, a file the runner writes; the CA key goes first.
  const write = (id: string, path: string) =>
    step(id, { action: { kind: 'write', path, content: '' }, reads: [], writes: [path] });
  const steps = [
    write('ca.config', 'openssl.cnf'),
    step('ca.create', { reads: ['openssl.cnf'], writes: ['ca.key'] }),
    write('b0.config', 'b0.cnf'),
    step('b0.request', { reads: ['b0.cnf'], writes: ['b0.key'] }),
    write('b1.config', 'b1.cnf'),
    step('b1.request', { reads: ['b1.cnf'], writes: ['b1.key'] }),
  ];
  const deps = dependencies(steps);
  const order = startOrder(steps, deps);
  const ids = (is: number[]) => is.map((i) => steps[i]!.id);
  const at = (s: Record<string, StepState>) => steps.map((x) => s[x.id] ?? 'waiting');

  test('every ready file starts at once, whatever the slots', () => {
    expect(ids(stepsToStart(steps, deps, order, at({}), 2, 2)).sort()).toEqual(['b0.config', 'b1.config', 'ca.config']);
  });

  test("a process whose file is still being written keeps its slot: the CA's config last written, the CA key first", () => {
    const s = at({ 'ca.config': 'running', 'b0.config': 'done', 'b1.config': 'done' });
    expect(ids(stepsToStart(steps, deps, order, s, 0, 2))).toEqual(['b0.request']);
    expect(ids(stepsToStart(steps, deps, order, s, 0, 3))).toEqual(['b0.request', 'b1.request']);
    const later = at({ 'ca.config': 'done', 'b0.config': 'done', 'b1.config': 'done', 'b0.request': 'running' });
    expect(ids(stepsToStart(steps, deps, order, later, 1, 2))).toEqual(['ca.create']);
  });

  test('a process waiting for another process holds no slot', () => {
    const s = at({ 'ca.config': 'done', 'b0.config': 'done', 'b1.config': 'done', 'ca.create': 'running' });
    const withSign = [...steps, step('b0.sign', { reads: ['b0.key', 'ca.key'], writes: ['b0.crt'] })];
    const d = dependencies(withSign);
    const sAll = [...s, 'waiting' as const];
    expect(ids(stepsToStart(withSign, d, startOrder(withSign, d), sAll, 1, 2))).toEqual(['b0.request']);
  });
});

describe('toolSettings', () => {
  test('every openssl x509 runs without the system CA bundle, which it would parse and never read', () => {
    expect(toolSettings('openssl', ['x509', '-req', '-in', 'a.csr'])).toEqual({ SSL_CERT_FILE: '/dev/null' });
    expect(toolSettings('openssl', ['verify', '-CAfile', 'ca.crt', 'a.crt'])).toEqual({});
    expect(toolSettings('keytool', ['x509'])).toEqual({});
  });
});
