import { execa } from 'execa';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SCRIPT, SCRIPT_ABSENT, tempDir } from '../helpers/cli.js';
import { certFacts, listStore } from '../helpers/pki.js';
import { describeWithSea, runSea, toolsOnlyPath } from '../helpers/sea.js';

/**
 * The drop-in promise for a JDK+openssl container with no Node.js: bin/kafka-mtls, run with nothing on
 * PATH but openssl, keytool, java and coreutils, from a directory outside the checkout, makes the files
 * the original script makes, which `verify` passes.
 */
const PASSWORD = 'Sea-Passw0rd';
const STORES = [
  'mtls-kafka-0.keystore.jks',
  'mtls-kafka-1.keystore.jks',
  'mtls-kafka-client.keystore.jks',
  'kafka.server.truststore.jks',
  'kafka.client.truststore.jks',
];

describeWithSea()('the single executable, with only openssl and a JDK', () => {
  let dir: string;
  let env: Record<string, string>;
  let generated: { exitCode: number; stdout: string; stderr: string };

  beforeAll(async () => {
    dir = await tempDir('kmtls-sea-');
    const tmp = join(dir, 'tmp');
    await execa('mkdir', [tmp]);
    env = { PATH: await toolsOnlyPath(join(dir, 'bin')), PASSWORD, KAFKA_BROKER_COUNT: '2', HOME: dir, TMPDIR: tmp };
    await execa('mkdir', [join(dir, 'port')]);
    generated = await runSea(['generate', '--json'], { cwd: join(dir, 'port'), env });
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('there is no node on that PATH', async () => {
    const r = await execa('sh', ['-c', 'command -v node'], { env, extendEnv: false, reject: false });
    expect(r.exitCode).not.toBe(0);
  });

  test('--version answers', async () => {
    const r = await runSea(['--version'], { cwd: dir, env });
    expect(r).toMatchObject({ exitCode: 0, stdout: '0.1.0' });
  });

  test('generate succeeds, keytool steps in the one JVM of the built-in host class, and leaves no temporary file', async () => {
    expect(generated.stderr).toBe('');
    expect(generated.exitCode).toBe(0);
    const summary = JSON.parse(generated.stdout) as { keytool: { jvm: string } };
    expect(summary.keytool).toEqual({ jvm: 'shared' });
    expect(await readdir(env.TMPDIR!)).toEqual([]);
    expect(generated.stdout).not.toContain(PASSWORD);
  });

  test('verify passes what it made', async () => {
    const r = await runSea(['verify', 'certs'], { cwd: join(dir, 'port'), env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/: \d+ passed, 0 warnings, 0 failed$/m);
  });

  (SCRIPT_ABSENT ? test.skip : test)(
    'the same files, stores, entries and leaf certificates as the original script',
    async () => {
      await execa('mkdir', [join(dir, 'script')]);
      const original = (await readFile(SCRIPT, 'utf8'))
        .replace(/^PASSWORD=.*$/m, `PASSWORD='${PASSWORD}'`)
        .replace(/^KAFKA_BROKER_COUNT=.*$/m, 'KAFKA_BROKER_COUNT=2');
      await writeFile(join(dir, 'script/s.sh'), original);
      await execa('bash', ['s.sh'], { cwd: join(dir, 'script') });
      const names = async (d: string) =>
        (await readdir(d)).filter((f) => !['ca.srl', '.kafka-mtls', 'kafka-mtls.json'].includes(f)).sort();
      expect(await names(join(dir, 'port/certs'))).toEqual(await names(join(dir, 'script/certs')));
      for (const store of STORES) {
        const shape = async (d: string) => {
          const s = await listStore(join(dir, d, 'certs', store), PASSWORD);
          return { type: s.type, entries: s.entries.map((e) => [e.alias, e.entryType, e.chainLength]).sort() };
        };
        expect([store, await shape('port')]).toEqual([store, await shape('script')]);
      }
      for (const leaf of ['mtls-kafka-0', 'mtls-kafka-1', 'mtls-kafka-client']) {
        const facts = async (d: string) => {
          const f = await certFacts(join(dir, d, 'certs', `ca-signed-${leaf}`));
          return {
            leaf,
            subject: f.subject,
            sans: f.sans,
            keyUsage: f.keyUsage,
            extKeyUsage: f.extKeyUsage,
            keyBits: f.keyBits,
            validityDays: f.validityDays,
          };
        };
        expect(await facts('port')).toEqual(await facts('script'));
      }
    },
    600_000,
  );
});
