import { execa } from 'execa';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { changedFiles, runCli, snapshot, tempDir } from '../helpers/cli.js';
import { certFacts, listStore, verifies } from '../helpers/pki.js';

const PW = 'Lifecycle-Pw-9';
const ENV = { PASSWORD: PW };

const changed = changedFiles;

describe('plan and apply on the drop-in layout', () => {
  let dir: string;
  let certs: string;

  beforeAll(async () => {
    dir = await tempDir();
    certs = join(dir, 'certs');
    const r = await runCli(['generate', '--brokers', '3', '--emit', 'principals'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('generate records the state: subjects, SANs, serials, fingerprints, expiry, the signing CA; no password', async () => {
    const text = await readFile(join(certs, 'kafka-mtls.json'), 'utf8');
    expect(text).not.toContain(PW);
    const state = JSON.parse(text);
    expect(state.layout).toBe('dropin');
    const b1 = state.certs['mtls-kafka-1'];
    const facts = await certFacts(join(certs, 'ca-signed-mtls-kafka-1'));
    expect(b1.subject).toBe(facts.subject);
    expect(b1.sans).toEqual(facts.sans);
    expect(b1.issuerSha256).toBe(state.caCert.sha256);
    expect(BigInt(`0x${b1.serial}`).toString(2).length).toBeGreaterThanOrEqual(64);
  });

  test('plan: exit 0 and all kept when nothing changed', async () => {
    const r = await runCli(['plan'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/0 to create, 0 to reissue, 0 to remove, 4 kept\./);
  });

  test('growing from 3 to 5 brokers: plan says so (exit 10), apply leaves brokers 0-2 and the CA byte-identical', async () => {
    const plan = await runCli(['plan', '--brokers', '5', '--json'], { cwd: dir, env: ENV });
    expect(plan.exitCode).toBe(10);
    const kinds = Object.fromEntries(
      JSON.parse(plan.stdout).changes.map((c: { alias: string; kind: string }) => [c.alias, c.kind]),
    );
    expect(kinds).toEqual({
      'mtls-kafka-0': 'keep',
      'mtls-kafka-1': 'keep',
      'mtls-kafka-2': 'keep',
      'mtls-kafka-3': 'create',
      'mtls-kafka-4': 'create',
      'mtls-kafka-client': 'keep',
    });

    const before = await snapshot(certs);
    const r = await runCli(['apply', '--brokers', '5'], { cwd: dir, env: ENV });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const after = await snapshot(certs);
    expect(changed(before, after)).toEqual([
      'ca-request-mtls-kafka-3',
      'ca-request-mtls-kafka-4',
      'ca-signed-mtls-kafka-3',
      'ca-signed-mtls-kafka-4',
      'ext3.cnf',
      'ext4.cnf',
      'kafka-mtls.json',
      'mtls-kafka-3.keystore.jks',
      'mtls-kafka-4.keystore.jks',
      'principals.txt',
    ]);
    expect(await verifies(join(certs, 'ca.crt'), join(certs, 'ca-signed-mtls-kafka-4'))).toBe(true);
    expect((await listStore(join(certs, 'mtls-kafka-4.keystore.jks'), PW)).entries).toEqual([
      { alias: 'ca.crt', entryType: 'trustedCertEntry', chainLength: 1 },
      { alias: 'mtls-kafka-4', entryType: 'PrivateKeyEntry', chainLength: 2 },
    ]);
    expect(await readFile(join(certs, 'principals.txt'), 'utf8')).toContain('CN=mtls-kafka-4.mtls-kafka-headless');
    // The old directory is the backup.
    const backup = (await readdir(dir)).find((f) => f.startsWith('certs.bak-'))!;
    expect(await snapshot(join(dir, backup))).toEqual(before);
    expect((await runCli(['plan', '--brokers', '5'], { cwd: dir, env: ENV })).exitCode).toBe(0);
  }, 120_000);

  test('a certificate about to expire is reissued, the others kept', async () => {
    // Broker 2's certificate re-signed by the same CA for 5 days, as an operator's hand-made renewal might have.
    await execa(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        'ca-request-mtls-kafka-2',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-out',
        'ca-signed-mtls-kafka-2',
        '-days',
        '5',
        '-set_serial',
        '0x7fab01',
        '-extfile',
        'ext2.cnf',
      ],
      { cwd: certs },
    );
    const plan = await runCli(['plan', '--brokers', '5'], { cwd: dir, env: ENV });
    expect(plan.exitCode).toBe(10);
    expect(plan.stdout).toMatch(/~ reissue mtls-kafka-2 +expires on \d{4}-\d\d-\d\d, within 30 days/);
    expect(plan.stdout).toContain('0 to create, 1 to reissue, 0 to remove, 5 kept.');
    expect((await runCli(['plan', '--brokers', '5', '--renew-before', '3'], { cwd: dir, env: ENV })).exitCode).toBe(0);

    const before = await snapshot(certs);
    const r = await runCli(['apply', '--brokers', '5'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    const after = await snapshot(certs);
    expect(changed(before, after)).toEqual([
      'ca-request-mtls-kafka-2',
      'ca-signed-mtls-kafka-2',
      'kafka-mtls.json',
      'mtls-kafka-2.keystore.jks',
    ]);
    expect((await certFacts(join(certs, 'ca-signed-mtls-kafka-2'))).validityDays).toBe(730);
  }, 120_000);

  test('apply with the wrong password is refused before anything is staged, and changes nothing', async () => {
    const before = await snapshot(certs);
    const r = await runCli(['apply', '--brokers', '6'], { cwd: dir, env: { PASSWORD: 'not-the-password' } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: PASSWORD: does not open \S+\/mtls-kafka-0\.keystore\.jks/);
    expect(await snapshot(certs)).toEqual(before);
  }, 60_000);

  test('--prune removes brokers no longer described; without it they are kept', async () => {
    const keep = await runCli(['plan', '--brokers', '4'], { cwd: dir, env: ENV });
    expect(keep.exitCode).toBe(0);
    expect(keep.stdout).toMatch(/= keep +mtls-kafka-4 +no longer described; --prune removes it/);
    const r = await runCli(['apply', '--brokers', '4', '--prune'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    const files = await readdir(certs);
    expect(files.filter((f) => f.includes('mtls-kafka-4') || f === 'ext4.cnf')).toEqual([]);
    expect(files).toContain('mtls-kafka-3.keystore.jks');
    expect(
      JSON.parse(await readFile(join(certs, 'kafka-mtls.json'), 'utf8')).identities.map(
        (i: { alias: string }) => i.alias,
      ),
    ).not.toContain('mtls-kafka-4');
  }, 60_000);

  test('plan on a directory kafka-mtls did not make: exit 2', async () => {
    const other = await tempDir();
    await writeFile(join(other, 'ca.crt'), 'x');
    const r = await runCli(['plan', '--out', other], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/holds no kafka-mtls\.json, and its names fit neither mtls-kafka\.sh's layout/);
    await rm(other, { recursive: true, force: true });
  });
});

describe('plan and apply on the confluent layout from a config file', () => {
  test('a changed host list reissues exactly that broker; the others and the CA stay byte-identical', async () => {
    const dir = await tempDir();
    const config = (hosts2: string) =>
      `layout: confluent\nbrokers:\n  kafka-1: [kafka-1, kafka-1-external]\n  kafka-2: [${hosts2}]\nclients: [app]\n`;
    await writeFile(join(dir, 'c.yaml'), config('kafka-2, kafka-2-external'));
    expect((await runCli(['generate', '--config', 'c.yaml', '--out', 'tls'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    const before = await snapshot(join(dir, 'tls'));
    await writeFile(join(dir, 'c.yaml'), config('kafka-2, kafka-2-external, 10.1.2.3'));
    const plan = await runCli(['plan', '--config', 'c.yaml', '--out', 'tls'], { cwd: dir, env: ENV });
    expect(plan.exitCode).toBe(10);
    expect(plan.stdout).toMatch(/~ reissue kafka-2 +SANs changed: \+IP Address:10\.1\.2\.3/);
    const r = await runCli(['apply', '--config', 'c.yaml', '--out', 'tls'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    const after = await snapshot(join(dir, 'tls'));
    const diff = changed(before, after);
    expect(
      diff.every(
        (f) =>
          f.startsWith('kafka-2-creds/') ||
          f === 'kafka-mtls.json' ||
          f === 'principals.txt' ||
          f === 'docker-compose.mtls.yml',
      ),
    ).toBe(true);
    expect(diff).toEqual(
      expect.arrayContaining([
        'kafka-2-creds/kafka-2.crt',
        'kafka-2-creds/kafka.kafka-2.keystore.pkcs12',
        'kafka-mtls.json',
      ]),
    );
    expect((await certFacts(join(dir, 'tls/kafka-2-creds/kafka-2.crt'))).sans).toEqual([
      'DNS:kafka-2',
      'DNS:kafka-2-external',
      'IP Address:10.1.2.3',
    ]);
    const ks = await listStore(join(dir, 'tls/kafka-2-creds/kafka.kafka-2.keystore.pkcs12'), PW);
    expect(ks.entries).toEqual([{ alias: 'kafka-2', entryType: 'PrivateKeyEntry', chainLength: 2 }]);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);
});

describe('--generate-passwords', () => {
  test('each keystore opens with its own random password, the truststores with theirs; apply keeps them and gives a new broker its own', async () => {
    const dir = await tempDir();
    const certs = join(dir, 'certs');
    const r = await runCli(
      ['generate', '--brokers', '2', '--generate-passwords', '--emit', 'client-properties,kubernetes'],
      { cwd: dir, env: { PASSWORD: undefined } },
    );
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe(''); // no warning about the default password: none is used
    const read = (f: string) => readFile(join(certs, f), 'utf8').then((t) => t.trim());
    const pw0 = await read('mtls-kafka-0_keystore_creds');
    const pw1 = await read('mtls-kafka-1_keystore_creds');
    const trust = await read('mtls-kafka-0_truststore_creds');
    expect(new Set([pw0, pw1, trust, await read('mtls-kafka-client_keystore_creds')]).size).toBe(4);
    expect(pw0).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await read('mtls-kafka-0_sslkey_creds')).toBe(pw0);
    expect((await snapshot(certs))['mtls-kafka-0_keystore_creds']).toMatch(/^600 /);
    expect((await listStore(join(certs, 'mtls-kafka-0.keystore.jks'), pw0)).entries.map((e) => e.alias)).toEqual([
      'ca.crt',
      'mtls-kafka-0',
    ]);
    await expect(listStore(join(certs, 'mtls-kafka-0.keystore.jks'), pw1)).rejects.toThrow();
    expect((await listStore(join(certs, 'kafka.client.truststore.jks'), trust)).entries).toHaveLength(1);
    // client.properties reads the client's own credentials file.
    const props = await readFile(join(certs, 'client.properties'), 'utf8');
    expect(props).toContain(
      `ssl.keystore.password=\${file:${certs}/mtls-kafka-client.credentials.properties:keystore.password}`,
    );
    expect(await readFile(join(certs, 'mtls-kafka-client.credentials.properties'), 'utf8')).toBe(
      `keystore.password=${await read('mtls-kafka-client_keystore_creds')}\nkey.password=${await read('mtls-kafka-client_keystore_creds')}\ntruststore.password=${trust}\n`,
    );
    expect(r.stdout).not.toContain(pw0);
    // verify opens each store with its own password, read from the credentials files.
    const v = await runCli(['verify', 'certs'], { cwd: dir, env: { PASSWORD: undefined } });
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toMatch(/PASS +mtls-kafka-1\.keystore\.jks +opens: PKCS12 store opens with the password/);

    const a = await runCli(['apply', '--brokers', '3'], { cwd: dir, env: { PASSWORD: undefined } });
    expect(a.exitCode).toBe(0);
    expect(await read('mtls-kafka-0_keystore_creds')).toBe(pw0);
    const pw2 = await read('mtls-kafka-2_keystore_creds');
    expect([pw0, pw1, trust]).not.toContain(pw2);
    expect((await listStore(join(certs, 'mtls-kafka-2.keystore.jks'), pw2)).entries.map((e) => e.alias)).toEqual([
      'ca.crt',
      'mtls-kafka-2',
    ]);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);
});

describe("another identity's keystore copied over one", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    const r = await runCli(['generate', '--brokers', '2'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    const certs = join(dir, 'certs');
    await writeFile(join(certs, 'mtls-kafka-0.keystore.jks'), await readFile(join(certs, 'mtls-kafka-1.keystore.jks')));
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('plan reissues that identity (exit 10), apply makes its keystore again, then verify passes and plan keeps all', async () => {
    const plan = await runCli(['plan', '--brokers', '2'], { cwd: dir, env: ENV });
    expect(plan.stdout).toMatch(
      /~ reissue mtls-kafka-0 +mtls-kafka-0\.keystore\.jks mismatched \(it holds mtls-kafka-1\.mtls-kafka-headless's certificate, not ca-signed-mtls-kafka-0\)/,
    );
    expect(plan.stdout).toMatch(/0 to create, 1 to reissue, 0 to remove, 2 kept\./);
    expect(plan.exitCode).toBe(10);
    const before = await runCli(['verify', 'certs'], { cwd: dir, env: ENV });
    expect(before.exitCode).toBe(1);
    expect((await runCli(['apply', '--brokers', '2'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    const after = await runCli(['verify', 'certs'], { cwd: dir, env: ENV });
    expect(after.stdout).toMatch(/: \d+ passed, 0 warnings, 0 failed$/m);
    expect(after.exitCode).toBe(0);
    expect((await runCli(['plan', '--brokers', '2'], { cwd: dir, env: ENV })).exitCode).toBe(0);
  }, 180_000);
});

describe("a keystore of another cluster's, with the same names, copied over one", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    const other = join(dir, 'other');
    await mkdir(other);
    for (const cwd of [dir, other]) {
      const r = await runCli(['generate', '--brokers', '2'], { cwd, env: ENV });
      expect(r.exitCode).toBe(0);
    }
    // The same subject and names, another CA: the kind of keystore the other cluster's truststores trust.
    const from = join(other, 'certs', 'mtls-kafka-client.keystore.jks');
    await writeFile(join(dir, 'certs', 'mtls-kafka-client.keystore.jks'), await readFile(from));
  }, 180_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('plan reissues that identity (exit 10), naming the foreign signature; apply makes it again; verify passes', async () => {
    const before = await runCli(['verify', 'certs'], { cwd: dir, env: ENV });
    expect(before.exitCode).toBe(1);
    const plan = await runCli(['plan', '--brokers', '2'], { cwd: dir, env: ENV });
    expect(plan.stdout).toMatch(
      /~ reissue mtls-kafka-client +mtls-kafka-client\.keystore\.jks mismatched \(it holds a certificate ca\.crt did not sign \(issuer [^)]*Kafka-Security-CA[^)]*\), not ca-signed-mtls-kafka-client\)/,
    );
    expect(plan.stdout).toMatch(/0 to create, 1 to reissue, 0 to remove, 2 kept\./);
    expect(plan.exitCode).toBe(10);
    expect((await runCli(['apply', '--brokers', '2'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    const after = await runCli(['verify', 'certs'], { cwd: dir, env: ENV });
    expect(after.stdout).toMatch(/: \d+ passed, 0 warnings, 0 failed$/m);
    expect(after.exitCode).toBe(0);
    expect((await runCli(['plan', '--brokers', '2'], { cwd: dir, env: ENV })).exitCode).toBe(0);
  }, 240_000);
});
