import { execa } from 'execa';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execProcess, type Exec, type ExecRequest } from '../../src/runner/exec.js';
import { keytoolHost } from '../../src/runner/keytool-host.js';
import { runPlan } from '../../src/runner/runner.js';
import type { Step } from '../../src/runner/step.js';
import { Secret } from '../../src/secrets.js';
import { tempDir } from '../helpers/cli.js';
import { installedJdks } from '../helpers/jdk.js';
import { makeSelfSignedCa } from '../helpers/pki.js';

// The shared keytool JVM, with the real keytool class: what each step gets back
// must be what a keytool process would have given.
const PW = 'Host-Pa55word-7';
const ENV = { LC_ALL: 'C', HOST_PW: PW };

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
  await makeSelfSignedCa(dir, { cn: 'host test CA', key: 'ca.key', cert: 'ca.crt', days: 2 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const request = (args: string[], over: Partial<ExecRequest> = {}): ExecRequest => ({
  file: 'keytool',
  args,
  cwd: dir,
  env: ENV,
  timeoutMs: 60_000,
  ...over,
});
const importCa = (store: string, alias = 'caroot') =>
  request([
    '-J-XX:TieredStopAtLevel=1',
    '-importcert',
    '-noprompt',
    '-alias',
    alias,
    '-file',
    'ca.crt',
    '-keystore',
    store,
    '-storetype',
    'PKCS12',
    '-storepass:env',
    'HOST_PW',
  ]);
const list = (store: string, passwordVar = 'HOST_PW') =>
  request(['-list', '-keystore', store, '-storepass:env', passwordVar]);
const count = (text: string, what: string) => text.split(what).length - 1;

/** Counts what reaches the per-process exec, to show what the host did not take. */
function counting(): { exec: Exec; calls: ExecRequest[] } {
  const calls: ExecRequest[] = [];
  return { calls, exec: (req) => (calls.push(req), execProcess(req)) };
}

test("runs keytool commands in one JVM, with keytool's own output", async () => {
  const fallback = counting();
  const host = keytoolHost(fallback.exec, { keytool: 'keytool', cwd: dir, env: ENV });
  try {
    const [a, b] = await Promise.all([host.exec(importCa('a.p12')), host.exec(importCa('b b.p12', 'other'))]);
    expect(a).toMatchObject({ kind: 'exited', exitCode: 0 });
    expect(a.kind === 'exited' && a.stderr + a.stdout).toContain('Certificate was added to keystore');
    const listed = await host.exec(list('b b.p12'));
    expect(listed.kind === 'exited' && listed.stdout).toMatch(/other, .*trustedCertEntry/);
    expect(b).toMatchObject({ kind: 'exited', exitCode: 0 });
    // The stores are real PKCS12 files that a keytool process reads.
    const check = await execa('keytool', ['-list', '-keystore', 'a.p12', '-storepass:env', 'HOST_PW'], {
      cwd: dir,
      env: ENV,
    });
    expect(check.stdout).toMatch(/caroot, .*trustedCertEntry/);
    expect(host.starts()).toBe(1);
    expect(fallback.calls).toHaveLength(0);
    expect(host.unavailable()).toBeUndefined();
  } finally {
    await host.close();
  }
});

test("a keytool error gives exit code 1 and keytool's message, and the next command gets a new JVM", async () => {
  const host = keytoolHost(execProcess, { keytool: 'keytool', cwd: dir, env: { ...ENV, WRONG: 'not-the-password' } });
  try {
    await host.exec(importCa('c.p12'));
    const bad = await host.exec(list('c.p12', 'WRONG'));
    expect(bad).toMatchObject({ kind: 'exited', exitCode: 1 });
    expect(bad.kind === 'exited' && bad.stdout).toContain(
      'keytool error: java.io.IOException: keystore password was incorrect',
    );
    const good = await host.exec(list('c.p12'));
    expect(good).toMatchObject({ kind: 'exited', exitCode: 0 });
    expect(host.starts()).toBe(2);
  } finally {
    await host.close();
  }
});

test('a command past its time limit is reported as timed out, and the JVM is stopped', async () => {
  const host = keytoolHost(execProcess, { keytool: 'keytool', cwd: dir, env: ENV });
  try {
    const r = await host.exec({ ...importCa('slow.p12'), timeoutMs: 1 });
    expect(r.kind).toBe('timed-out');
    const after = await host.exec(importCa('after.p12'));
    expect(after).toMatchObject({ kind: 'exited', exitCode: 0 });
  } finally {
    await host.close();
  }
});

test('a cancelled run stops the command it was running', async () => {
  const host = keytoolHost(execProcess, { keytool: 'keytool', cwd: dir, env: ENV });
  try {
    const ac = new AbortController();
    const p = host.exec({ ...importCa('cancelled.p12'), signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    expect((await p).kind).toBe('cancelled');
  } finally {
    await host.close();
  }
});

test('requests it cannot serve as keytool would go to the per-process exec', async () => {
  const fallback = counting();
  const host = keytoolHost(fallback.exec, { keytool: 'keytool', cwd: dir, env: ENV });
  try {
    // A variable the JVM was not started with, another directory, standard input, another tool.
    await host.exec({ ...list('a.p12'), env: { ...ENV, OTHER: 'x' } });
    await host.exec({ ...list('a.p12'), cwd: '/' });
    await host.exec({ ...list('a.p12'), input: 'y\n' });
    await host.exec({ ...request(['version']), file: 'openssl' });
    expect(fallback.calls.map((c) => c.file)).toEqual(['keytool', 'keytool', 'keytool', 'openssl']);
    expect(host.starts()).toBe(0);
  } finally {
    await host.close();
  }
});

test("a tool's command with a JVM twin (@genkey) runs in the JVM; the key is openssl's kind, 0600, never over a file", async () => {
  const fallback = counting();
  const host = keytoolHost(fallback.exec, { keytool: 'keytool', cwd: dir, env: ENV });
  const genkey = (out: string): ExecRequest => ({
    ...request(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', out]),
    file: 'openssl',
    jvm: ['@genkey', 'RSA', '2048', out],
  });
  const umask = process.umask(0);
  try {
    const made = await host.exec(genkey('jvm.key'));
    expect(made).toMatchObject({ kind: 'exited', exitCode: 0, inJvm: true });
    expect(fallback.calls).toHaveLength(0);
    expect((await stat(join(dir, 'jvm.key'))).mode & 0o777).toBe(0o600);
    const text = await readFile(join(dir, 'jvm.key'), 'utf8');
    expect(text).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n([A-Za-z0-9+/=]{64}\n)+[A-Za-z0-9+/=]{1,64}\n-----END PRIVATE KEY-----\n$/,
    );
    const parsed = await execa('openssl', ['pkey', '-in', 'jvm.key', '-noout', '-text', '-check'], { cwd: dir });
    expect(parsed.stdout).toMatch(/^Private-Key: \(2048 bit, 2 primes\)/m);
    expect(parsed.stdout).toContain('Key is valid');
    // A file already there is an error, and stays as it was.
    await writeFile(join(dir, 'taken.key'), 'mine\n');
    const refused = await host.exec(genkey('taken.key'));
    expect(refused).toMatchObject({ kind: 'exited', inJvm: true });
    expect(refused.kind === 'exited' && refused.exitCode).not.toBe(0);
    expect(refused.kind === 'exited' && refused.stderr).toMatch(/FileAlreadyExistsException/);
    expect(await readFile(join(dir, 'taken.key'), 'utf8')).toBe('mine\n');
    // Without its twin, the same request is openssl's, a process.
    const plain = await host.exec({ ...genkey('openssl.key'), jvm: undefined });
    expect(plain).toMatchObject({ kind: 'exited', exitCode: 0 });
    expect(plain).not.toHaveProperty('inJvm');
    expect(fallback.calls.map((c) => c.file)).toEqual(['openssl']);
  } finally {
    process.umask(umask);
    await host.close();
  }
});

test('without a java beside keytool, keytool runs as processes and the reason is kept', async () => {
  // A keytool that is a script of its own: nothing to start a JVM with.
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  const wrapper = join(bin, 'keytool');
  await writeFile(wrapper, `#!/bin/sh\nexec keytool "$@"\n`);
  await chmod(wrapper, 0o755);
  const fallback = counting();
  const host = keytoolHost(fallback.exec, { keytool: wrapper, cwd: dir, env: ENV });
  try {
    const r = await host.exec({ ...importCa('wrapped.p12'), file: wrapper });
    expect(r).toMatchObject({ kind: 'exited', exitCode: 0 });
    expect(fallback.calls).toHaveLength(1);
    // A command with a JVM twin runs as its own tool's process, and says it did not run in a JVM.
    const key = await host.exec({
      ...request(['genpkey', '-algorithm', 'RSA', '-out', 'wrapped.key']),
      file: 'openssl',
      jvm: ['@genkey', 'RSA', '2048', 'wrapped.key'],
    });
    expect(key).toMatchObject({ kind: 'exited', exitCode: 0 });
    expect(key).not.toHaveProperty('inJvm');
    expect(fallback.calls.map((c) => c.file)).toEqual([wrapper, 'openssl']);
    expect(host.unavailable()).toBe(`${wrapper} has no java beside it`);
    expect((await stat(join(dir, 'wrapped.p12'))).size).toBeGreaterThan(0);
  } finally {
    await host.close();
  }
});

test('without the compiled host class, keytool runs as processes', async () => {
  const fallback = counting();
  const host = keytoolHost(fallback.exec, {
    keytool: 'keytool',
    cwd: dir,
    env: ENV,
    classDir: join(dir, 'no-such-dir'),
  });
  try {
    expect(await host.exec(importCa('noclass.p12'))).toMatchObject({ kind: 'exited', exitCode: 0 });
    expect(host.unavailable()).toMatch(/KeytoolHost\.class is missing/);
    expect(fallback.calls).toHaveLength(1);
  } finally {
    await host.close();
  }
});

test('the host class is built from the source beside it', async () => {
  const cls = await readFile(new URL('../../java/KeytoolHost.class', import.meta.url));
  // CAFEBABE, then major version 52: Java 8, so that every JDK from 8 on loads it.
  expect(cls.readUInt32BE(0)).toBe(0xcafebabe);
  expect(cls.readUInt16BE(6)).toBe(52);
});

/**
 * Many commands at once, each on a thread of the shared JVM, with every JDK here that can host keytool (9 on):
 * keytool before JDK 22 calls System.exit after an error, JDK 22 on returns its exit code.
 */
const hostJdks = (await installedJdks()).filter((j) => j.major >= 9);

describe.each(hostJdks.map((j) => [`JDK ${j.version}`, j] as const))('at once, %s', (_name, jdk) => {
  const N = 24;
  const at = (over: Partial<ExecRequest>) => (req: ExecRequest) => ({ ...req, file: jdk.keytool, ...over });
  const own = () => ({ keytool: jdk.keytool, cwd: dir, env: ENV });
  const ids = [...Array(N).keys()];

  test('many commands at once: each gets its own output, on stdout and stderr, and its own exit code', async () => {
    const host = keytoolHost(execProcess, own());
    try {
      const made = await Promise.all(
        ids.map((i) => host.exec(at({})(importCa(`many-${jdk.major}-${i}.p12`, `alias-${i}`)))),
      );
      for (const r of made) {
        expect(r).toMatchObject({ kind: 'exited', exitCode: 0 });
        // keytool says this once per import, on stderr: two commands' output mixed would say it twice or not at all.
        expect(r.kind === 'exited' && count(r.stderr, 'Certificate was added to keystore')).toBe(1);
        expect(r.kind === 'exited' && r.stdout).toBe('');
      }
      const listed = await Promise.all(
        ids.map((i) =>
          host.exec(
            at({})(request(['-list', '-v', '-keystore', `many-${jdk.major}-${i}.p12`, '-storepass:env', 'HOST_PW'])),
          ),
        ),
      );
      for (const [i, r] of listed.entries()) {
        expect(r).toMatchObject({ kind: 'exited', exitCode: 0 });
        const out = r.kind === 'exited' ? r.stdout : '';
        expect(out).toContain(`Alias name: alias-${i}\n`);
        expect(count(out, 'Alias name:')).toBe(1);
        expect(count(out, 'Your keystore contains 1 entry')).toBe(1);
        expect(count(out, 'Owner: CN=host test CA')).toBe(1);
      }
      expect(host.starts()).toBe(1);
    } finally {
      await host.close();
    }
  });

  test('a failed command among many: its own exit code and message; the others finish or are cancelled', async () => {
    const host = keytoolHost(execProcess, { ...own(), env: { ...ENV, WRONG: 'not-the-password' } });
    try {
      await host.exec(at({})(importCa(`fail-${jdk.major}.p12`)));
      const runs = ids.map((i) =>
        host.exec(
          at({})(i === 5 ? list(`fail-${jdk.major}.p12`, 'WRONG') : importCa(`fail-${jdk.major}-${i}.p12`, `f-${i}`)),
        ),
      );
      const all = await Promise.all(runs);
      const bad = all[5]!;
      expect(bad).toMatchObject({ kind: 'exited', exitCode: 1 });
      expect(bad.kind === 'exited' && bad.stdout).toContain(
        'keytool error: java.io.IOException: keystore password was incorrect',
      );
      expect(bad.kind === 'exited' && count(bad.stderr + bad.stdout, 'Certificate was added')).toBe(0);
      const others = all.filter((_, i) => i !== 5);
      for (const r of others) {
        // Never another command's failure: finished (its own output), or cancelled with the JVM that ended.
        if (r.kind === 'exited') {
          expect(r.exitCode).toBe(0);
          expect(count(r.stderr, 'Certificate was added to keystore')).toBe(1);
          expect(r.stdout).not.toContain('keytool error');
        } else expect(r.kind).toBe('cancelled');
      }
      // JDK 22 on: keytool returns its exit code, so the JVM stays and every other command finishes.
      if (jdk.major >= 22) {
        expect(others.every((r) => r.kind === 'exited')).toBe(true);
        expect(host.starts()).toBe(1);
      }
      const after = await host.exec(at({})(list(`fail-${jdk.major}.p12`)));
      expect(after).toMatchObject({ kind: 'exited', exitCode: 0 });
    } finally {
      await host.close();
    }
  });

  test('a command past its time limit among many: timed out; the others finish or are cancelled', async () => {
    const host = keytoolHost(execProcess, own());
    try {
      await host.exec(at({})(importCa(`warm-${jdk.major}.p12`)));
      const all = await Promise.all(
        ids.map((i) =>
          host.exec({
            ...at({})(importCa(`slow-${jdk.major}-${i}.p12`, `s-${i}`)),
            ...(i === 3 ? { timeoutMs: 1 } : {}),
          }),
        ),
      );
      expect(all[3]!.kind).toBe('timed-out');
      for (const r of all.filter((_, i) => i !== 3)) {
        if (r.kind === 'exited') expect(count(r.stderr, 'Certificate was added to keystore')).toBe(1);
        else expect(r.kind).toBe('cancelled');
      }
      expect(await host.exec(at({})(list(`warm-${jdk.major}.p12`)))).toMatchObject({ kind: 'exited', exitCode: 0 });
    } finally {
      await host.close();
    }
  });
});

describe.each(hostJdks.map((j) => [`JDK ${j.version}`, j] as const))('in a run, %s', (_name, jdk) => {
  test('a keytool step failing beside others: its id, command, exit code, output and hint; no other fails', async () => {
    const store = `run-${jdk.major}.p12`;
    const made = await execa(jdk.keytool, importCa(store).args.slice(1), { cwd: dir, env: ENV, reject: false });
    expect(made.exitCode).toBe(0);
    const keytoolStep = (id: string, args: string[], secret: string, reads: string[], writes: string[]): Step => ({
      id,
      role: 'keystore',
      title: `title of ${id}`,
      action: { kind: 'exec', tool: 'keytool', args, secretEnv: [secret] },
      reads,
      writes,
    });
    const good = (i: number) =>
      keytoolStep(
        `good-${i}`,
        importCa(`run-${jdk.major}-${i}.p12`, `g-${i}`).args.map((a) => (a === 'HOST_PW' ? 'RUN_PW' : a)),
        'RUN_PW',
        ['ca.crt'],
        [`run-${jdk.major}-${i}.p12`],
      );
    const bad = keytoolStep(
      'bad',
      ['-list', '-keystore', store, '-storepass:env', 'WRONG_PW'],
      'WRONG_PW',
      [store],
      [],
    );
    const r = await runPlan(
      { steps: [good(0), good(1), bad, good(2), good(3)], outputs: [], scratch: [] },
      {
        workDir: dir,
        tools: { openssl: 'openssl', keytool: jdk.keytool },
        secrets: { RUN_PW: new Secret('store password', PW), WRONG_PW: new Secret('wrong password', 'Wr0ng-Pa55') },
        concurrency: 5,
        keytoolJvm: 'shared',
      },
    );
    expect(r.keytool).toEqual({ jvm: 'shared' });
    expect(r.failure).toMatchObject({
      stepId: 'bad',
      title: 'title of bad',
      kind: 'exit-code',
      exitCode: 1,
      hint: expect.stringMatching(/does not open this store/),
    });
    expect(r.failure!.command).toMatch(/^\S*keytool -list -keystore \S+ -storepass:env WRONG_PW$/);
    expect(r.failure!.outputTail.join('\n')).toContain('keystore password was incorrect');
    expect(JSON.stringify(r)).not.toContain('Wr0ng-Pa55');
    const others = r.records.filter((x) => x.id !== 'bad');
    for (const x of others) expect(['ok', 'cancelled']).toContain(x.outcome);
    for (const x of others.filter((o) => o.outcome === 'ok'))
      expect(x.stderrTail).toBe('Certificate was added to keystore');
  });
});
