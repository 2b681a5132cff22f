import { execa } from 'execa';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execProcess, type Exec, type ExecRequest } from '../../src/runner/exec.js';
import { keytoolHost } from '../../src/runner/keytool-host.js';
import { tempDir } from '../helpers/cli.js';
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

/** Counts what reaches the per-process exec, to show what the host did not take. */
function counting(): { exec: Exec; calls: ExecRequest[] } {
  const calls: ExecRequest[] = [];
  return { calls, exec: (req) => (calls.push(req), execProcess(req)) };
}

test("runs keytool commands one after another in one JVM, with keytool's own output", async () => {
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
