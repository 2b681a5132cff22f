import { execa } from 'execa';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultStoreType } from '../../src/runner/jdk.js';
import { javaBeside } from '../../src/runner/keytool-host.js';
import { tempDir } from '../helpers/cli.js';

describe('defaultStoreType', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('kmtls-jdk-');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function fakeJdk(name: string, layout: string, line: string): Promise<string> {
    const home = join(dir, name);
    await mkdir(join(home, 'bin'), { recursive: true });
    await mkdir(join(home, layout), { recursive: true });
    await writeFile(join(home, 'bin/keytool'), '#!/bin/sh\n', { mode: 0o755 });
    await writeFile(join(home, layout, 'java.security'), `# comment\n${line}\nkeystore.type.compat=true\n`);
    return join(home, 'bin/keytool');
  }

  test('reads keystore.type from a JDK 9+ layout, through a symlink on PATH', async () => {
    const keytool = await fakeJdk('jdk17', 'conf/security', 'keystore.type=pkcs12');
    await symlink(keytool, join(dir, 'keytool-link'));
    expect(await defaultStoreType(join(dir, 'keytool-link'))).toBe('pkcs12');
  });

  test('reads a JDK 8 layout, where the default is JKS', async () => {
    expect(await defaultStoreType(await fakeJdk('jdk8', 'jre/lib/security', 'keystore.type=jks'))).toBe('jks');
  });

  test('is undefined when java.security cannot be found or names another type', async () => {
    expect(await defaultStoreType(join(dir, 'nowhere/bin/keytool'))).toBeUndefined();
    expect(await defaultStoreType(await fakeJdk('odd', 'conf/security', 'keystore.type=bks'))).toBeUndefined();
  });

  test("agrees with what this machine's keytool makes when no type is named", async () => {
    const keytool = String((await execa('sh', ['-c', 'command -v keytool'])).stdout).trim();
    const store = join(dir, 'probe.store');
    await execa(
      keytool,
      [
        '-J-Duser.language=en',
        '-genkeypair',
        '-keyalg',
        'RSA',
        '-keysize',
        '2048',
        '-alias',
        'a',
        '-dname',
        'CN=a',
        '-keystore',
        store,
        '-storepass:env',
        'PW',
        '-keypass:env',
        'PW',
      ],
      { env: { PW: 'password' } },
    );
    const listed = String(
      (
        await execa(keytool, ['-J-Duser.language=en', '-list', '-keystore', store, '-storepass:env', 'PW'], {
          env: { PW: 'password' },
        })
      ).stdout,
    );
    const made = /Keystore type: (\S+)/.exec(listed)![1]!.toLowerCase();
    expect(await defaultStoreType(keytool)).toBe(made);
  });
});

describe('javaBeside', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('kmtls-java-');
    await mkdir(join(dir, 'jdk/bin'), { recursive: true });
    await mkdir(join(dir, 'bare'));
    for (const f of ['jdk/bin/keytool', 'jdk/bin/java', 'bare/keytool'])
      await writeFile(join(dir, f), '#!/bin/sh\n', { mode: 0o755 });
    await symlink(join(dir, 'jdk/bin/keytool'), join(dir, 'keytool'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('a keytool not on PATH has none, and says so', async () => {
    expect(await javaBeside('keytool', join(dir, 'nowhere'))).toEqual({ reason: 'keytool is not on PATH' });
  });

  test("the first keytool on PATH, its links followed to the JDK's java", async () => {
    expect(await javaBeside('keytool', `${join(dir, 'nowhere')}::${dir}:${join(dir, 'bare')}`)).toBe(
      join(dir, 'jdk/bin/java'),
    );
  });

  test('a keytool with no java beside it has none, and says so', async () => {
    expect(await javaBeside('keytool', join(dir, 'bare'))).toEqual({
      reason: `${join(dir, 'bare/keytool')} has no java beside it`,
    });
    expect(await javaBeside(join(dir, 'bare/keytool'))).toEqual({
      reason: `${join(dir, 'bare/keytool')} has no java beside it`,
    });
  });
});
