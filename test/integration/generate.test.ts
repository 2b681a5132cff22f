import { execa } from 'execa';
import { lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { CLI, FAKE_BIN, runCli, snapshot, tempDir, wrapFixture } from '../helpers/cli.js';
import { certFacts, listStore, verifies } from '../helpers/pki.js';
import { parse as parseYaml } from 'yaml';

const PW = 'Unique-Pa55word-42';
const ENV = { PASSWORD: PW };

async function whichReal(tool: string): Promise<string> {
  return String((await execa('sh', ['-c', `command -v ${tool}`])).stdout).trim();
}

describe('kafka-mtls generate', () => {
  let dir: string;
  let first: { exitCode: number; stdout: string; stderr: string };
  let firstSnapshot: Record<string, string>;

  beforeAll(async () => {
    dir = await tempDir();
    first = await runCli(['generate', '--brokers', '2', '--san', 'kafka.example.com', '--san', 'IP:127.0.0.1'], {
      cwd: dir,
      env: ENV,
    });
    firstSnapshot = await snapshot(join(dir, 'certs'));
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('succeeds and prints each principal', () => {
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain(
      'CN=mtls-kafka-1.mtls-kafka-headless,OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR',
    );
    expect(first.stdout).toMatch(/✓ broker-0\.import/);
  });

  test('keys and stores are 0600, the rest 0644, and no work file is left', async () => {
    expect(firstSnapshot['ca.key']).toMatch(/^600 /);
    expect(firstSnapshot['mtls-kafka-0.keystore.jks']).toMatch(/^600 /);
    expect(firstSnapshot['kafka.client.truststore.jks']).toMatch(/^600 /);
    expect(firstSnapshot['ca.crt']).toMatch(/^644 /);
    expect(firstSnapshot['ext0.cnf']).toMatch(/^644 /);
    // Only the run journal is hidden in the output: no work file (unencrypted leaf keys) is left.
    expect(Object.keys(firstSnapshot).filter((f) => f.startsWith('.'))).toEqual([
      '.kafka-mtls/',
      expect.stringMatching(/^\.kafka-mtls\/run-\d{8}T\d{6}\.\d{3}Z\.json$/),
    ]);
    expect((await readdir(dir)).sort()).toEqual(['certs']);
  });

  test('every leaf verifies against the CA and every store opens with a chain of 2', async () => {
    const certs = join(dir, 'certs');
    for (const n of ['mtls-kafka-0', 'mtls-kafka-1', 'mtls-kafka-client']) {
      expect(await verifies(join(certs, 'ca.crt'), join(certs, `ca-signed-${n}`))).toBe(true);
      const ks = await listStore(join(certs, `${n}.keystore.jks`), PW);
      expect(ks.type).toBe('PKCS12');
      expect(ks.entries.find((e) => e.alias === n)).toEqual({ alias: n, entryType: 'PrivateKeyEntry', chainLength: 2 });
    }
    const ts = await listStore(join(certs, 'kafka.client.truststore.jks'), PW);
    expect(ts.entries).toEqual([{ alias: 'caroot', entryType: 'trustedCertEntry', chainLength: 1 }]);
  });

  test('--san adds to every broker certificate and not to the client', async () => {
    const b1 = await certFacts(join(dir, 'certs/ca-signed-mtls-kafka-1'));
    expect(b1.sans.slice(-2)).toEqual(['DNS:kafka.example.com', 'IP Address:127.0.0.1']);
    const client = await certFacts(join(dir, 'certs/ca-signed-mtls-kafka-client'));
    expect(client.sans).toEqual(['DNS:mtls-kafka-client']);
  });

  test('the run journal records every step, redacted, and the parameters without the password', async () => {
    const jdir = join(dir, 'certs/.kafka-mtls');
    const [name] = await readdir(jdir);
    const text = await readFile(join(jdir, name!), 'utf8');
    const journal = JSON.parse(text);
    expect(journal.outcome).toBe('ok');
    expect(journal.params).toMatchObject({ brokers: 2, storeType: 'pkcs12', password: 'given (not recorded)' });
    const ids = journal.steps.map((s: { id: string }) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['ca.create', 'broker-1.sign', 'broker-1.import', 'client.check']));
    const sign = journal.steps.find((s: { id: string }) => s.id === 'broker-1.sign');
    expect(sign).toMatchObject({
      outcome: 'ok',
      exitCode: 0,
      command: expect.stringMatching(/^SSL_CERT_FILE=\/dev\/null openssl x509 -req /),
    });
    expect(typeof sign.durationMs).toBe('number');
    expect(text).not.toContain(PW);
  });

  test("a second run keeps the first run's files, unchanged, as a backup", async () => {
    const second = await runCli(['generate', '--brokers', '1'], { cwd: dir, env: ENV });
    expect(second.exitCode).toBe(0);
    const backups = (await readdir(dir)).filter((f) => /^certs\.bak-\d{8}T\d{6}Z(-\d+)?$/.test(f));
    expect(backups).toHaveLength(1);
    expect(second.stdout).toContain(backups[0]);
    expect(await snapshot(join(dir, backups[0]!))).toEqual(firstSnapshot);
    expect(await readdir(join(dir, 'certs'))).toContain('mtls-kafka-0.keystore.jks');
    expect(await readdir(join(dir, 'certs'))).not.toContain('mtls-kafka-1.keystore.jks');
    // The journal history comes along: the first run's journal and the second's.
    expect(await readdir(join(dir, 'certs/.kafka-mtls'))).toHaveLength(2);
  });
});

describe('a step that fails midway', () => {
  let dir: string;
  let bin: string;
  let before: Record<string, string>;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await tempDir();
    await mkdir(join(dir, 'certs'));
    await writeFile(join(dir, 'certs/ca.key'), 'the previous CA key, which must survive\n', { mode: 0o600 });
    await writeFile(join(dir, 'certs/ca.srl'), "a file of the script's: 01\n");
    before = await snapshot(join(dir, 'certs'));
    // Apart from dir, whose listing is checked.
    bin = await tempDir();
    const vars = { REAL_KEYTOOL: await whichReal('keytool'), FAKE_KEYTOOL_FAIL_ON: '-importkeystore' };
    await wrapFixture(bin, 'keytool', join(FAKE_BIN, 'keytool'), vars);
    env = { ...ENV, PATH: `${bin}${delimiter}${process.env.PATH}` };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(bin, { recursive: true, force: true });
  });

  test('reports the step, the redacted command, the exit code, the output and a hint, and touches nothing', async () => {
    const r = await runCli(['generate', '--brokers', '1', '--verbose'], { cwd: dir, env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/✗ step (broker-0|client)\.import failed: keytool exited with code 1/);
    expect(r.stderr).toMatch(/command: +keytool .*-importkeystore .*-srcstorepass:env KAFKA_MTLS_STORE_PASSWORD/);
    expect(r.stderr).toMatch(/exit code: 1/);
    expect(r.stderr).toContain('Failed to establish chain from reply');
    expect(r.stderr).toMatch(/hint: +keytool could not link the signed certificate/);
    expect(r.stderr).toContain(`Nothing in ${join(dir, 'certs')} was changed`);
    // The fake printed the password it was given; the report shows *** instead.
    expect(r.stderr).toContain('debug: store password is ***');
    expect(r.stdout + r.stderr).not.toContain(PW);
    expect(await snapshot(join(dir, 'certs'))).toEqual(before);
    expect((await readdir(dir)).sort()).toEqual(['certs']);
  });

  test('--json reports the failure on stdout as JSON', async () => {
    const r = await runCli(['generate', '--brokers', '1', '--json'], { cwd: dir, env });
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      ok: false,
      exitCode: 1,
      target: join(dir, 'certs'),
      failure: { kind: 'exit-code', exitCode: 1 },
    });
    expect(report.failure.stepId).toMatch(/\.import$/);
    expect(r.stdout).not.toContain(PW);
    expect(await snapshot(join(dir, 'certs'))).toEqual(before);
  });

  test('--keep-work keeps the work directory and says where', async () => {
    const r = await runCli(['generate', '--brokers', '1', '--keep-work'], { cwd: dir, env });
    expect(r.exitCode).toBe(1);
    const kept = /kept for debugging: (\S+)/.exec(r.stderr)?.[1];
    expect(kept).toBeDefined();
    expect((await stat(kept!)).isDirectory()).toBe(true);
    expect(await readdir(kept!)).toContain('ca.crt');
    const [journal] = await readdir(join(kept!, '.kafka-mtls'));
    expect(JSON.parse(await readFile(join(kept!, '.kafka-mtls', journal!), 'utf8'))).toMatchObject({
      outcome: 'failed',
      failure: { kind: 'exit-code' },
    });
    expect(await snapshot(join(dir, 'certs'))).toEqual(before);
    await rm(kept!, { recursive: true });
  });
});

describe('bad input', () => {
  let dir: string;
  let before: Record<string, string>;
  beforeAll(async () => {
    dir = await tempDir();
    await mkdir(join(dir, 'certs'));
    await writeFile(join(dir, 'certs/ca.crt'), 'previous\n');
    await writeFile(join(dir, 'short-pw'), 'abc\n');
    before = await snapshot(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test.each<[string, string[], Record<string, string>, RegExp]>([
    ['a short PASSWORD', [], { PASSWORD: 'abc' }, /^error: PASSWORD: must be at least 6 characters/],
    [
      'a short password file',
      ['--password-file', 'short-pw'],
      {},
      /^error: --password-file: must be at least 6 characters/,
    ],
    [
      'a missing password file',
      ['--password-file', 'nope'],
      {},
      /^error: --password-file: must be a readable file; nope does not exist/,
    ],
    [
      'a broker count of 0',
      ['--brokers', '0'],
      ENV,
      /^error: --brokers: must be a whole number from 1 to 999, got "0"/,
    ],
    ['a broker count of 1000', ['--brokers', '1000'], ENV, /^error: --brokers: must be a whole number from 1 to 999/],
    [
      'a broker count that is not a number',
      [],
      { ...ENV, KAFKA_BROKER_COUNT: '3; rm -rf /' },
      /^error: --brokers \(from KAFKA_BROKER_COUNT\): must be a whole number/,
    ],
    [
      'a validity that is not a positive whole number',
      [],
      { ...ENV, VALIDITY: '-5' },
      /^error: --validity \(from VALIDITY\): must be a whole number from 1 to 36500/,
    ],
    ['a fractional validity', ['--validity', '1.5'], ENV, /^error: --validity: must be a whole number/],
    ['a name that is not a DNS label', ['--name', 'Kafka_Cluster'], ENV, /^error: --name: must be a DNS label/],
    ['a namespace with a newline', ['--namespace', 'ns\n[v3_ca]'], ENV, /^error: --namespace: must be a DNS label/],
    ['a malformed --san', ['--san', 'bad name,DNS:x'], ENV, /^error: --san: must be a DNS name/],
    [
      'a malformed IP --san',
      ['--san', 'IP:300.1.1.1'],
      ENV,
      /^error: --san: IP: must be followed by an IPv4 or IPv6 address/,
    ],
    ['an org with config syntax', ['--org', 'Acme\nCN = evil'], ENV, /^error: --org: must be 1 to 64 letters/],
    ['an org unit with a $', ['--org-unit', '$ENV::HOME'], ENV, /^error: --org-unit: must be 1 to 64 letters/],
    ['a country of three letters', ['--country', 'KOR'], ENV, /^error: --country: must be a two-letter/],
    ['an unknown store type', ['--store-type', 'bks'], ENV, /--store-type <type>' argument 'bks' is invalid/],
    [
      'an unknown --emit',
      ['--emit', 'pem,jks'],
      ENV,
      /^error: --emit: must be one of pem, principals, client-properties, server-properties, compose, kubernetes, kubernetes-per-broker, got "jks"/,
    ],
    ['an unknown option', ['--password', 'x'], ENV, /unknown option '--password'/],
    ['an --out that is a file', ['--out', 'short-pw'], ENV, /^error: --out: must be a directory or not exist yet/],
  ])('%s: exit 2, one line naming the option, nothing touched', async (_name, args, env, message) => {
    const r = await runCli(['generate', ...args], { cwd: dir, env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe("the user's SSL_CERT_FILE", () => {
  test('is not read by openssl x509, which would load it on every signature and never consult it', async () => {
    // A FIFO nobody writes: an openssl x509 that opened it would wait there until the step's timeout.
    const dir = await tempDir();
    const fifo = join(dir, 'bundle.fifo');
    await execa('mkfifo', [fifo]);
    const started = Date.now();
    const r = await runCli(['generate', '--brokers', '1', '--json'], {
      cwd: dir,
      env: { ...ENV, SSL_CERT_FILE: fifo },
    });
    expect(r.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    const journal = JSON.parse(r.stdout);
    expect(journal.outcome ?? 'ok').toBe('ok');
    await rm(dir, { recursive: true, force: true });
  }, 120_000);
});

describe('a missing tool', () => {
  test('is named before any step runs, and nothing is touched', async () => {
    const dir = await tempDir();
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await symlink(await whichReal('openssl'), join(bin, 'openssl'));
    const r = await runCli(['generate'], { cwd: dir, env: { ...ENV, PATH: bin } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: keytool not found: keytool is not on PATH\nhint: install a JDK/);
    expect(r.stdout).toBe('');
    expect((await readdir(dir)).sort()).toEqual(['bin']);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('--emit pem,principals', () => {
  test('adds PEM files that verify and match, and principals.txt with the super.users line', async () => {
    const dir = await tempDir();
    const r = await runCli(['generate', '--brokers', '2', '--emit', 'pem,principals'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    const certs = join(dir, 'certs');
    const snap = await snapshot(certs);
    expect(snap['mtls-kafka-1.key.pem']).toMatch(/^600 /);
    expect(snap['mtls-kafka-1.chain.pem']).toMatch(/^644 /);
    expect(await readFile(join(certs, 'ca.pem'), 'utf8')).toBe(await readFile(join(certs, 'ca.crt'), 'utf8'));
    for (const who of ['mtls-kafka-0', 'mtls-kafka-1', 'mtls-kafka-client']) {
      const chain = await readFile(join(certs, `${who}.chain.pem`), 'utf8');
      expect(chain.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
      expect(await verifies(join(certs, 'ca.pem'), join(certs, `${who}.chain.pem`))).toBe(true);
      const key = await readFile(join(certs, `${who}.key.pem`), 'utf8');
      expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/); // PKCS#8, as KIP-651 wants
      const fromKey = await execa('openssl', ['pkey', '-in', join(certs, `${who}.key.pem`), '-pubout']);
      const fromCert = await execa('openssl', ['x509', '-in', join(certs, `${who}.chain.pem`), '-noout', '-pubkey']);
      expect(fromKey.stdout).toBe(fromCert.stdout);
    }
    const principals = await readFile(join(certs, 'principals.txt'), 'utf8');
    expect(principals).toMatch(
      /^mtls-kafka-client +User:CN=mtls-kafka-client,OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR$/m,
    );
    expect(principals).toMatch(
      /^super\.users=User:CN=mtls-kafka-0\.mtls-kafka-headless,OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR;User:CN=mtls-kafka-1\.mtls-kafka-headless,OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR$/m,
    );
    await rm(dir, { recursive: true, force: true });
  });
});

describe('--emit client-properties', () => {
  test('writes client.properties with ${file:} references and the password only in a 0600 credentials file, escaped for Properties', async () => {
    const dir = await tempDir();
    const pw = 'back\\slash pw';
    const r = await runCli(['generate', '--brokers', '1', '--emit', 'client-properties'], {
      cwd: dir,
      env: { PASSWORD: pw },
    });
    expect(r.exitCode).toBe(0);
    const certs = join(dir, 'certs');
    const props = await readFile(join(certs, 'client.properties'), 'utf8');
    expect(props).not.toContain(pw);
    expect(props).toContain(`ssl.keystore.location=${certs}/mtls-kafka-client.keystore.jks`);
    expect(props).toContain(
      `ssl.truststore.password=\${file:${certs}/kafka-mtls-credentials.properties:truststore.password}`,
    );
    expect(props).toMatch(
      /^config\.providers\.file\.class=org\.apache\.kafka\.common\.config\.provider\.FileConfigProvider$/m,
    );
    expect((await snapshot(certs))['kafka-mtls-credentials.properties']).toMatch(/^600 /);
    // java.util.Properties reads a backslash as an escape: the file doubles it.
    const escaped = 'back\\\\slash pw';
    expect(await readFile(join(certs, 'kafka-mtls-credentials.properties'), 'utf8')).toBe(
      `keystore.password=${escaped}\nkey.password=${escaped}\ntruststore.password=${escaped}\n`,
    );
    await rm(dir, { recursive: true, force: true });
  });
});

describe('an --out that is a symlink to a directory', () => {
  test('stays a symlink; the directory it points to is swapped, its old content kept as a backup', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'real'));
    await writeFile(join(dir, 'real/ca.crt'), 'previous\n');
    await symlink(join(dir, 'real'), join(dir, 'link'));
    const r = await runCli(['generate', '--brokers', '1', '--out', 'link'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    expect((await lstat(join(dir, 'link'))).isSymbolicLink()).toBe(true);
    expect(await readdir(join(dir, 'link'))).toContain('mtls-kafka-0.keystore.jks');
    const backup = (await readdir(dir)).find((f) => f.startsWith('real.bak-'));
    expect(await readFile(join(dir, backup!, 'ca.crt'), 'utf8')).toBe('previous\n');
    await rm(dir, { recursive: true, force: true });
  });
});

describe('--store-type jks', () => {
  test('makes JKS stores that open with the password and hold the same entries', async () => {
    const dir = await tempDir();
    const r = await runCli(['generate', '--brokers', '1', '--store-type', 'jks', '--out', 'out/jks'], {
      cwd: dir,
      env: ENV,
    });
    expect(r.exitCode).toBe(0);
    const ks = await listStore(join(dir, 'out/jks/mtls-kafka-0.keystore.jks'), PW);
    expect(ks.type).toBe('JKS');
    expect(ks.entries).toEqual([
      { alias: 'ca.crt', entryType: 'trustedCertEntry', chainLength: 1 },
      { alias: 'mtls-kafka-0', entryType: 'PrivateKeyEntry', chainLength: 2 },
    ]);
    expect((await listStore(join(dir, 'out/jks/kafka.server.truststore.jks'), PW)).type).toBe('JKS');
    await rm(dir, { recursive: true, force: true });
  });
});

describe('--dry-run', () => {
  test('prints a bash script, writes nothing, and the script makes a directory whose stores and chains are right', async () => {
    const dir = await tempDir();
    const r = await runCli(['generate', '--dry-run', '--brokers', '1', '--san', 'IP:10.0.0.9'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    expect(await readdir(dir)).toEqual([]);
    expect(r.stdout).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(r.stdout).toContain("cat > ext0.cnf <<'KAFKA_MTLS_EOF'");
    expect(r.stdout).toContain('IP.1 = 10.0.0.9');
    expect(r.stdout).toMatch(/^SSL_CERT_FILE=\/dev\/null openssl x509 -req -in ca-request-mtls-kafka-0 /m);
    expect(r.stdout).toMatch(/^keytool .* -importkeystore .*-srcstorepass:env KAFKA_MTLS_STORE_PASSWORD/m);
    expect(r.stdout).not.toContain(PW);
    await writeFile(join(dir, 'plan.sh'), r.stdout);
    const ran = await execa('bash', ['plan.sh', 'by-hand'], {
      cwd: dir,
      env: { KAFKA_MTLS_STORE_PASSWORD: PW },
      reject: false,
      all: true,
    });
    expect(ran.exitCode).toBe(0);
    const out = join(dir, 'by-hand');
    expect(await verifies(join(out, 'ca.crt'), join(out, 'ca-signed-mtls-kafka-0'))).toBe(true);
    expect((await listStore(join(out, 'mtls-kafka-0.keystore.jks'), PW)).entries).toEqual([
      { alias: 'ca.crt', entryType: 'trustedCertEntry', chainLength: 1 },
      { alias: 'mtls-kafka-0', entryType: 'PrivateKeyEntry', chainLength: 2 },
    ]);
    expect(await readdir(out)).not.toContain('.build');
    // And kafka-mtls verify passes what the script made by hand.
    const verified = await runCli(['verify', out], { cwd: dir, env: ENV });
    expect(verified.exitCode).toBe(0);
    expect(verified.stdout).toMatch(/: \d+ passed, 0 warnings, 0 failed$/m);
    // Run again into the same directory: the script refuses rather than overwrite.
    const again = await execa('bash', ['plan.sh', 'by-hand'], {
      cwd: dir,
      env: { KAFKA_MTLS_STORE_PASSWORD: PW },
      reject: false,
    });
    expect(again.exitCode).not.toBe(0);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('output to a reader that stops early', () => {
  test('is not an error: no EPIPE trace, exit 0', async () => {
    // 300 brokers: a plan far larger than a pipe's buffer, so the write does hit the closed pipe.
    const r = await execa(
      'bash',
      ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" generate --dry-run --brokers 300 | head -1`],
      { env: ENV, reject: false },
    );
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout)).toBe('#!/usr/bin/env bash');
    expect(String(r.stderr)).not.toMatch(/EPIPE|Unhandled/);
  });
});

describe('--json', () => {
  test('prints a machine-readable summary and no progress', async () => {
    const dir = await tempDir();
    const r = await runCli(['generate', '--json', '--brokers', '1'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ ok: true, out: join(dir, 'certs'), backup: null, storeType: 'pkcs12' });
    expect(summary.principals['mtls-kafka-0']).toBe(
      'CN=mtls-kafka-0.mtls-kafka-headless,OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR',
    );
    expect(summary.files).toContain('mtls-kafka-client.keystore.jks');
    await rm(dir, { recursive: true, force: true });
  });
});

describe('Ctrl-C', () => {
  test('stops the run, removes the work directory and leaves the old certs as they were', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'certs'));
    await writeFile(join(dir, 'certs/ca.crt'), 'previous\n');
    const before = await snapshot(dir);
    const child = execa(process.execPath, [CLI, 'generate'], {
      cwd: dir,
      env: { ...ENV, NO_COLOR: '1' },
      reject: false,
    });
    // Wait for the first step to finish, so that the run is under way when the signal comes.
    await new Promise<void>((resolve) => child.stdout!.on('data', (b: Buffer) => /✓/.test(b.toString()) && resolve()));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(String(r.stderr)).toContain('cancelled (SIGINT).');
    expect(await snapshot(dir)).toEqual(before);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('--emit server-properties,compose with --properties-passwords', () => {
  test('literal: the password in a 0600 server.properties, escaped for Properties; placeholder: a marker and no password', async () => {
    const dir = await tempDir();
    const pw = 'lit\\eral-pw';
    const args = [
      'generate',
      '--brokers',
      '1',
      '--emit',
      'server-properties,compose',
      '--mount-path',
      '/etc/kafka/secrets',
    ];
    const lit = await runCli([...args, '--properties-passwords', 'literal', '--out', 'lit'], {
      cwd: dir,
      env: { PASSWORD: pw },
    });
    expect(lit.exitCode).toBe(0);
    const text = await readFile(join(dir, 'lit/mtls-kafka-0.server.properties'), 'utf8');
    expect(text.match(/=lit\\\\eral-pw$/gm)).toHaveLength(3);
    expect(text).not.toContain('${file:');
    expect(text).toContain('ssl.keystore.location=/etc/kafka/secrets/mtls-kafka-0.keystore.jks');
    const snap = await snapshot(join(dir, 'lit'));
    expect(snap['mtls-kafka-0.server.properties']).toMatch(/^600 /);
    // The compose block of the drop-in layout names credentials files it writes beside the stores.
    expect(snap['mtls-kafka-0_keystore_creds']).toMatch(/^600 /);
    expect(await readFile(join(dir, 'lit/mtls-kafka-0_sslkey_creds'), 'utf8')).toBe(`${pw}\n`);
    // Each broker mounts its own files, never the directory that holds ca.key.
    const compose = parseYaml(await readFile(join(dir, 'lit/docker-compose.mtls.yml'), 'utf8')) as {
      services: Record<string, { volumes: Array<{ source: string; target: string; read_only: boolean }> }>;
    };
    expect(compose.services['mtls-kafka-0']!.volumes).toContainEqual({
      type: 'bind',
      source: join(dir, 'lit/mtls-kafka-0.keystore.jks'),
      target: '/etc/kafka/secrets/mtls-kafka-0.keystore.jks',
      read_only: true,
    });
    expect(compose.services['mtls-kafka-0']!.volumes.map((v) => v.source)).not.toContain(join(dir, 'lit'));

    const ph = await runCli([...args, '--properties-passwords', 'placeholder', '--out', 'ph'], {
      cwd: dir,
      env: { PASSWORD: pw },
    });
    expect(ph.exitCode).toBe(0);
    const placeholder = await readFile(join(dir, 'ph/mtls-kafka-0.server.properties'), 'utf8');
    expect(placeholder).toContain('ssl.keystore.password=<store-password>');
    expect(placeholder).not.toContain('lit\\');
    expect((await snapshot(join(dir, 'ph')))['mtls-kafka-0.server.properties']).toMatch(/^644 /);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('--keytool-jvm', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const IDS = ['broker-0', 'broker-1', 'broker-2', 'broker-3', 'client'];
  const madeBy = (tool: string) => Object.fromEntries(IDS.map((id) => [`${id}.key`, tool]));
  /** What made each identity's key, from the run's journal: openssl, or the shared JVM (@genkey). */
  const keyMakers = async (out: string) => {
    const jdir = join(dir, out, '.kafka-mtls');
    const journal = JSON.parse(await readFile(join(jdir, (await readdir(jdir))[0]!), 'utf8'));
    return Object.fromEntries(
      journal.steps
        .filter((s: { id: string }) => s.id.endsWith('.key'))
        .map((s: { id: string; command: string }) => [s.id, s.command.split(' ').slice(0, 2).join(' ')]),
    );
  };
  test('shared (the default) and per-step make the same stores, and --json says which ran', async () => {
    const entries = async (out: string) =>
      Promise.all(
        ['mtls-kafka-0.keystore.jks', 'mtls-kafka-client.keystore.jks', 'kafka.server.truststore.jks'].map(async (f) =>
          (await listStore(join(dir, out, f), PW)).entries.map((e) => [e.alias, e.entryType, e.chainLength]),
        ),
      );
    // Four brokers and a client: five RSA keys, which the shared JVM makes (up to four, openssl's req -newkey).
    const shared = await runCli(['generate', '--brokers', '4', '--out', 'shared', '--json'], { cwd: dir, env: ENV });
    const perStep = await runCli(
      ['generate', '--brokers', '4', '--out', 'per-step', '--json', '--keytool-jvm', 'per-step'],
      { cwd: dir, env: ENV },
    );
    expect([shared.exitCode, perStep.exitCode]).toEqual([0, 0]);
    expect(JSON.parse(shared.stdout).keytool).toEqual({ jvm: 'shared' });
    expect(JSON.parse(perStep.stdout).keytool).toEqual({ jvm: 'per-step' });
    expect(await entries('shared')).toEqual(await entries('per-step'));
    expect((await entries('shared'))[0]).toEqual([
      ['ca.crt', 'trustedCertEntry', 1],
      ['mtls-kafka-0', 'PrivateKeyEntry', 2],
    ]);
    expect(await keyMakers('shared')).toEqual(madeBy('(shared JVM)'));
    expect(await keyMakers('per-step')).toEqual(madeBy('openssl genpkey'));
  });

  test("a keytool that is not a JDK's runs per step, and the summary says why", async () => {
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'keytool'), `#!/bin/sh\nexec "${await whichReal('keytool')}" "$@"\n`, { mode: 0o755 });
    const r = await runCli(['generate', '--brokers', '4', '--out', 'wrapped', '--keytool', join(bin, 'keytool')], {
      cwd: dir,
      env: ENV,
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`note: keytool ran one JVM per step: ${join(bin, 'keytool')} has no java beside it`);
    // The keys the JVM would have made come from openssl, and the journal says so.
    expect(await keyMakers('wrapped')).toEqual(madeBy('openssl genpkey'));
  });

  test('an unknown mode is a usage error that touches nothing', async () => {
    const r = await runCli(['generate', '--out', 'never', '--keytool-jvm', 'pooled'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--keytool-jvm/);
    await expect(stat(join(dir, 'never'))).rejects.toThrow();
  });
});
