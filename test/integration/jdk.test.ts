import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';
import { expectJdk11, installedJdks, type Jdk } from '../helpers/jdk.js';
import { listStore } from '../helpers/pki.js';

/**
 * Every JDK here (the default one on PATH, each other under /usr/lib/jvm: Temurin 25 on the development machines,
 * whatever .ci/run could install in CI; and Debian bullseye's JDK 11, fetched into .cache/bullseye by
 * scripts/fetch-bullseye.sh, which .ci/run runs) makes a directory that verify passes,
 * in the store type that JDK's keytool makes by default (JKS on 8, PKCS12 from 9), readable by the
 * default JDK's keytool. Without a second JDK, its test is reported as skipped, with the reason.
 */
const PW = 'Jdk-Matrix-9';
const jdks = await installedJdks();
const [first, ...others] = jdks;
const expectedType = (j: Jdk) => (j.major >= 9 ? 'PKCS12' : 'JKS');
expectJdk11(jdks, 'the JDK matrix');

let work: string;
beforeAll(async () => {
  work = await tempDir('kmtls-jdk-');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function generateWith(jdk: Jdk): Promise<string> {
  const out = join(work, `jdk-${jdk.version}`);
  const r = await runCli(['generate', '--brokers', '1', '--out', out, '--keytool', jdk.keytool, '--json'], {
    cwd: work,
    env: { PASSWORD: PW },
  });
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  const summary = JSON.parse(r.stdout) as { storeType: string; keytool: { jvm: string } };
  expect(summary.storeType).toBe(expectedType(jdk).toLowerCase());
  return out;
}

async function checkWith(jdk: Jdk, out: string): Promise<void> {
  const v = await runCli(['verify', out, '--keytool', jdk.keytool], { cwd: work, env: { PASSWORD: PW } });
  expect(v.stdout).toMatch(/: \d+ passed, 0 warnings, 0 failed$/m);
  expect(v.exitCode).toBe(0);
  for (const store of ['mtls-kafka-0.keystore.jks', 'kafka.server.truststore.jks']) {
    // Read by this JDK's keytool and by the default one: a cluster may mix them.
    for (const keytool of new Set([jdk.keytool, first!.keytool])) {
      expect((await listStore(join(out, store), PW, keytool)).type).toBe(expectedType(jdk));
    }
  }
}

test('a JDK is installed', () => {
  expect(first).toBeDefined();
});

(first ? test : test.skip)(
  `the default JDK (${first?.version}, ${first?.keytool}): generate and verify`,
  async () => {
    await checkWith(first!, await generateWith(first!));
  },
  300_000,
);

if (others.length === 0)
  process.stderr.write('skipped: no second JDK under /usr/lib/jvm: the second-JDK test did not run\n');
(others.length > 0 ? describe : describe.skip)('other JDKs', () => {
  test.each(others.length > 0 ? others.map((j) => [j.version, j] as const) : [['none', first!] as const])(
    'JDK %s: generate and verify with its keytool',
    async (_v, jdk) => {
      await checkWith(jdk, await generateWith(jdk));
    },
    300_000,
  );
});
