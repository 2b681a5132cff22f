import { execa } from 'execa';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { changedFiles, runCli, snapshot, tempDir } from '../helpers/cli.js';
import { listStore } from '../helpers/pki.js';

const PW = 'Rotate-Pw-5';
const ENV = { PASSWORD: PW };

async function owners(store: string): Promise<string[]> {
  const r = await execa(
    'keytool',
    ['-J-Duser.language=en', '-list', '-v', '-keystore', store, '-storepass:env', 'PASSWORD'],
    { env: ENV },
  );
  return [...String(r.stdout).matchAll(/^Alias name: (.*)\n[\s\S]*?^Owner: (.*)$/gm)]
    .map((m) => `${m[1]} ${/CN=([^,]*)/.exec(m[2]!)![1]}`)
    .sort();
}
const issuerCn = async (cert: string) =>
  /CN=([^,]*)/.exec(
    String((await execa('openssl', ['x509', '-in', cert, '-noout', '-issuer', '-nameopt', 'RFC2253'])).stdout),
  )![1];
const changed = changedFiles;

describe('rotate-ca on the drop-in layout', () => {
  let dir: string;
  let certs: string;
  beforeAll(async () => {
    dir = await tempDir();
    certs = join(dir, 'certs');
    expect((await runCli(['generate', '--brokers', '2', '--emit', 'pem'], { cwd: dir, env: ENV })).exitCode).toBe(0);
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('reissue and finish refuse to run before start', async () => {
    for (const phase of ['reissue', 'finish']) {
      const r = await runCli(['rotate-ca', phase], { cwd: dir, env: ENV });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toBe(
        `error: rotate-ca ${phase}: cannot run now: no rotation has started; the next phase is rotate-ca start`,
      );
    }
  });

  test('start --dry-run writes nothing; start adds a CA with another subject to every truststore, keystores untouched', async () => {
    const before = await snapshot(certs);
    const dry = await runCli(['rotate-ca', 'start', '--dry-run'], { cwd: dir, env: ENV });
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toMatch(/openssl req -new -x509 -newkey rsa:4096 -nodes -keyout ca-next\.key/);
    expect(await snapshot(certs)).toEqual(before);

    const r = await runCli(['rotate-ca', 'start'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    const after = await snapshot(certs);
    expect(changed(before, after)).toEqual([
      'ca-next.cnf',
      'ca-next.crt',
      'ca-next.key',
      'ca.pem',
      'kafka-mtls.json',
      'kafka.client.truststore.jks',
      'kafka.server.truststore.jks',
    ]);
    for (const t of ['kafka.server.truststore.jks', 'kafka.client.truststore.jks']) {
      expect(await owners(join(certs, t))).toEqual(['caroot Kafka-Security-CA', 'caroot-next Kafka-Security-CA v2']);
    }
    expect((await readFile(join(certs, 'ca.pem'), 'utf8')).match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const again = await runCli(['rotate-ca', 'start'], { cwd: dir, env: ENV });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/the last phase run was start; the next phase is rotate-ca reissue/);
    expect((await runCli(['apply', '--brokers', '3'], { cwd: dir, env: ENV })).stderr).toMatch(
      /a CA rotation is in progress/,
    );
  }, 60_000);

  test('reissue signs every leaf with the new CA; the truststores still trust both', async () => {
    const before = await snapshot(certs);
    const r = await runCli(['rotate-ca', 'reissue'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    const after = await snapshot(certs);
    expect(after['kafka.server.truststore.jks']).toBe(before['kafka.server.truststore.jks']);
    expect(after['ca-previous.crt']).toBe(before['ca.crt']);
    expect(after['ca.crt']).toBe(before['ca-next.crt']);
    for (const who of ['mtls-kafka-0', 'mtls-kafka-1', 'mtls-kafka-client']) {
      expect(await issuerCn(join(certs, `ca-signed-${who}`))).toBe('Kafka-Security-CA v2');
      expect(await owners(join(certs, `${who}.keystore.jks`))).toEqual([
        'ca.crt Kafka-Security-CA v2',
        `${who} ${who === 'mtls-kafka-client' ? who : `${who}.mtls-kafka-headless`}`,
      ]);
      expect(await issuerCn(join(certs, `${who}.chain.pem`))).toBe('Kafka-Security-CA v2');
    }
  }, 60_000);

  test('finish leaves the new CA alone in every truststore, as a fresh generate would', async () => {
    const r = await runCli(['rotate-ca', 'finish'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    const files = await readdir(certs);
    expect(files.filter((f) => /^ca-(previous|next)/.test(f))).toEqual([]);
    for (const t of ['kafka.server.truststore.jks', 'kafka.client.truststore.jks']) {
      expect((await listStore(join(certs, t), PW)).entries).toEqual([
        { alias: 'caroot', entryType: 'trustedCertEntry', chainLength: 1 },
      ]);
      expect(await owners(join(certs, t))).toEqual(['caroot Kafka-Security-CA v2']);
    }
    expect(await readFile(join(certs, 'ca.pem'), 'utf8')).toBe(await readFile(join(certs, 'ca.crt'), 'utf8'));
    const verify = await runCli(['verify', 'certs'], { cwd: dir, env: ENV });
    expect(verify.exitCode).toBe(0);
    expect(JSON.parse(await readFile(join(certs, 'kafka-mtls.json'), 'utf8')).rotation).toBeUndefined();
    // Three backups, one per phase: nothing was lost on the way.
    expect((await readdir(dir)).filter((f) => f.startsWith('certs.bak-'))).toHaveLength(3);
  }, 60_000);
});

describe('rotate-ca on the confluent layout', () => {
  test("the three phases: both CAs in every creds directory's truststore, then leaves and ca.pem from the new CA, then the new CA alone", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'c.yaml'), 'layout: confluent\nbrokers:\n  kafka-1: [kafka-1]\nclients: [app]\n');
    expect((await runCli(['generate', '--config', 'c.yaml', '--out', 'tls'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    const tls = join(dir, 'tls');
    const trust = (who: string) => join(tls, `${who}-creds/kafka.${who}.truststore.pkcs12`);
    expect((await runCli(['rotate-ca', 'start', '--out', 'tls'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    for (const who of ['kafka-1', 'app'])
      expect(await owners(trust(who))).toEqual(['caroot confluent-ca', 'caroot-next confluent-ca v2']);
    expect((await runCli(['rotate-ca', 'reissue', '--out', 'tls'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    expect(await issuerCn(join(tls, 'kafka-1-creds/kafka-1.crt'))).toBe('confluent-ca v2');
    const [crt, key, pem] = await Promise.all(
      ['ca.crt', 'ca.key', 'ca.pem'].map((f) => readFile(join(tls, f), 'utf8')),
    );
    expect(pem).toBe(crt + key);
    expect(await owners(trust('app'))).toEqual(['caroot confluent-ca', 'caroot-next confluent-ca v2']);
    expect((await runCli(['rotate-ca', 'finish', '--out', 'tls'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    for (const who of ['kafka-1', 'app']) expect(await owners(trust(who))).toEqual(['caroot confluent-ca v2']);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);
});
