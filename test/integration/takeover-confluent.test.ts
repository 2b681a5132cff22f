import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { changedFiles, runCli, snapshot, tempDir, type CliRun } from '../helpers/cli.js';
import { makeConfluentCa, makeConfluentFlow } from '../helpers/confluent-flow.js';
import { verifies } from '../helpers/pki.js';

/**
 * plan and apply take over a directory made as the write-up's Confluent flow makes it (test/helpers/confluent-flow.ts:
 * its commands, names and aliases, with the password 'confluent' it uses), grow it with the CA it already has, and
 * rotate-ca runs from there. What cannot be taken over is refused with exit 2, one line naming the file, nothing
 * touched. The refusals first.
 */
const PW = 'confluent';
const BROKER_FILES = (n: string) =>
  [
    `${n}.cnf`,
    `${n}.crt`,
    `${n}.csr`,
    `${n}.key`,
    `${n}.p12`,
    `${n}_keystore_creds`,
    `${n}_sslkey_creds`,
    `${n}_truststore_creds`,
    `kafka.${n}.keystore.pkcs12`,
    `kafka.${n}.truststore.pkcs12`,
  ].map((f) => `${n}-creds/${f}`);

/** The write-up's cluster as a config file names it; `password` says where the store password comes from. */
function config(brokers: readonly string[], password = 'password: {env: CONFLUENT_PW}\n'): string {
  return (
    'layout: confluent\n' +
    password +
    'ca:\n  subject: {C: US, O: Confluent, L: MountainView, CN: confluent-ca}\n' +
    'subject: {C: US, O: CONFLUENT, L: MountainView}\n' +
    `brokers:\n${brokers.map((b) => `  ${b}: [${b}, ${b}-external]\n`).join('')}` +
    'clients: [app-client]\n'
  );
}

let work: string;
/** The write-up's directory, with truststores (the flow's cp-kafka use) and without (the write-up as it is). */
let pristine: string;
let bare: string;
const servers: ChildProcess[] = [];

beforeAll(async () => {
  work = await tempDir('kmtls-takeover-confluent-');
  pristine = join(work, 'pristine');
  bare = join(work, 'bare');
  await Promise.all([mkdir(pristine), mkdir(bare)]);
  await Promise.all([makeConfluentFlow(pristine), makeConfluentFlow(bare, { truststore: false })]);
}, 120_000);
afterAll(async () => {
  for (const p of servers) if (p.exitCode === null) p.kill();
  await rm(work, { recursive: true, force: true });
});

/** A copy of a made directory as <case>/tls beside its cluster.yaml, for one test to change. */
async function caseDir(name: string, from = pristine, brokers = ['kafka-1', 'kafka-2', 'kafka-3']) {
  const cwd = join(work, name);
  await mkdir(cwd);
  await cp(from, join(cwd, 'tls'), { recursive: true });
  await writeFile(join(cwd, 'cluster.yaml'), config(brokers));
  return { cwd, tls: join(cwd, 'tls') };
}

const kmtls = (cwd: string, args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(args, { cwd, env: { CONFLUENT_PW: PW, PASSWORD: undefined, ...env } });

/** Exit 2 with one line naming the file and the rule, the directory and its parent as they were. */
async function expectRefused(cwd: string, run: () => Promise<CliRun>, message: RegExp): Promise<void> {
  const tls = join(cwd, 'tls');
  const [before, beside] = [await snapshot(tls), await readdir(cwd)];
  const r = await run();
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.exitCode).toBe(2);
  expect(changedFiles(before, await snapshot(tls))).toEqual([]);
  // No backup, work directory or lock left beside it.
  expect((await readdir(cwd)).sort()).toEqual(beside.sort());
}

describe('what cannot be taken over is refused: exit 2, one line naming the file, nothing touched', () => {
  // Where the password came from, as the line names it; a config without `password` leaves it to the flags.
  test.each([
    [
      'password.env of cluster.yaml',
      [],
      { CONFLUENT_PW: 'not-the-password' },
      'CONFLUENT_PW \\(password\\.env of cluster\\.yaml\\)',
    ],
    ['--password-file', ['--password-file', 'pw.txt'], {}, '--password-file pw\\.txt'],
    ['PASSWORD', [], { PASSWORD: 'not-the-password' }, 'PASSWORD'],
  ])(
    'a wrong password from %s, by plan and by apply',
    async (from, flags, env, source) => {
      const { cwd, tls } = await caseDir(`wrong-password-${from.replace(/\W/g, '')}`);
      if (!from.endsWith('cluster.yaml')) {
        await writeFile(join(cwd, 'cluster.yaml'), config(['kafka-1', 'kafka-2', 'kafka-3'], ''));
        await writeFile(join(cwd, 'pw.txt'), 'not-the-password\n');
      }
      const store = `${tls}/kafka-1-creds/kafka\\.kafka-1\\.keystore\\.pkcs12 \\(and 3 other store\\(s\\)\\)`;
      const message = new RegExp(`^error: ${source}: does not open ${store}: give the password ${tls} was made with`);
      for (const cmd of ['plan', 'apply']) {
        const args = [cmd, '--config', 'cluster.yaml', '--out', 'tls', ...flags];
        await expectRefused(cwd, () => kmtls(cwd, args, env), message);
      }
    },
    60_000,
  );

  test("a leaf another CA signed (one named as the directory's own CA is)", async () => {
    const other = join(work, 'other-ca');
    const made = join(work, 'foreign');
    await Promise.all([mkdir(other), mkdir(made)]);
    await makeConfluentCa(other);
    await makeConfluentFlow(made, { foreignSigned: { broker: 'kafka-2', caDir: other } });
    const { cwd, tls } = await caseDir('foreign-case', made);
    // Same subject, another key: only the signature tells them apart.
    expect(await verifies(join(tls, 'ca.crt'), join(tls, 'kafka-2-creds/kafka-2.crt'))).toBe(false);
    expect(await verifies(join(other, 'ca.crt'), join(tls, 'kafka-2-creds/kafka-2.crt'))).toBe(true);
    const message = new RegExp(`^error: --out: ${tls}/kafka-2-creds/kafka-2\\.crt is not signed by ${tls}/ca\\.crt: `);
    for (const cmd of ['plan', 'apply'])
      await expectRefused(cwd, () => kmtls(cwd, [cmd, '--config', 'cluster.yaml', '--out', 'tls']), message);
  }, 60_000);

  test.each([
    [
      'a truncated keystore',
      'kafka-2-creds/kafka.kafka-2.keystore.pkcs12',
      /is unreadable \(neither a JKS nor a PKCS12 store\)/,
    ],
    [
      'a truncated truststore',
      'kafka-1-creds/kafka.kafka-1.truststore.pkcs12',
      /is unreadable \(neither a JKS nor a PKCS12 store\)/,
    ],
    ['a certificate cut short', 'kafka-2-creds/kafka-2.crt', /is not a PEM certificate/],
  ])(
    '%s',
    async (name, file, why) => {
      const { cwd, tls } = await caseDir(name.replace(/\W/g, '-'));
      const bytes = (await readFile(join(tls, file))).length;
      await truncate(join(tls, file), Math.floor(bytes / 2));
      const message = new RegExp(`^error: --out: ${tls}/${file.replace(/\./g, '\\.')} ${why.source}`);
      for (const cmd of ['plan', 'apply'])
        await expectRefused(cwd, () => kmtls(cwd, [cmd, '--config', 'cluster.yaml', '--out', 'tls']), message);
    },
    60_000,
  );

  test('a <name>-creds/ directory without <name>.crt', async () => {
    const { cwd, tls } = await caseDir('no-cert');
    await rm(join(tls, 'kafka-2-creds/kafka-2.crt'));
    const message = new RegExp(
      `^error: --out: ${tls} holds no kafka-mtls\\.json, and kafka-2-creds/ holds no kafka-2\\.crt`,
    );
    await expectRefused(cwd, () => kmtls(cwd, ['apply', '--config', 'cluster.yaml', '--out', 'tls']), message);
  }, 60_000);
});

/**
 * openssl s_server as a broker with ssl.client.auth=required: the key and certificate given, `ca` for clients. It
 * listens on a port the system picks (-accept 127.0.0.1:0) and says which on its first line: ACCEPT 127.0.0.1:<port>.
 */
async function broker(key: string, cert: string, ca: string): Promise<{ port: number; printed: () => string }> {
  // -Verify 1: a client certificate is required; -verify_return_error: one that does not verify ends the handshake.
  // prettier-ignore
  const p = spawn('openssl', [
    's_server', '-accept', '127.0.0.1:0', '-key', key, '-cert', cert, '-CAfile', ca,
    '-Verify', '1', '-verify_return_error',
  ], { stdio: ['pipe', 'pipe', 'ignore'] });
  servers.push(p);
  // Read on to the end, so that what it prints of each connection never fills the pipe.
  let out = '';
  return new Promise((resolve, reject) => {
    p.stdout!.on('data', (chunk) => {
      out += String(chunk);
      const port = /^ACCEPT 127\.0\.0\.1:(\d+)$/m.exec(out)?.[1];
      if (port) resolve({ port: Number(port), printed: () => out });
    });
    p.on('exit', () => reject(new Error(`s_server did not start: ${out}`)));
  });
}

describe("the write-up's directory taken over, grown by kafka-3 and rotated", () => {
  let cwd: string;
  let tls: string;
  let before: Record<string, string>;
  let oldCa: string;
  let plan: CliRun;
  let afterPlan: Record<string, string>;
  let apply: CliRun;

  beforeAll(async () => {
    ({ cwd, tls } = await caseDir('grown'));
    before = await snapshot(tls);
    oldCa = join(cwd, 'old-ca.crt');
    await cp(join(tls, 'ca.crt'), oldCa);
    plan = await kmtls(cwd, ['plan', '--config', 'cluster.yaml', '--out', 'tls']);
    afterPlan = await snapshot(tls);
    apply = await kmtls(cwd, ['apply', '--config', 'cluster.yaml', '--out', 'tls']);
  }, 120_000);

  test('plan shows what it took over and what it would change, exits 10, and touches nothing', async () => {
    expect(plan.stdout).toContain(`${tls}: no kafka-mtls.json; taken over as the write-up's Confluent flow made it:`);
    expect(plan.stdout).toMatch(/^ {2}CA CN=confluent-ca,L=MountainView,O=Confluent,C=US: X\.509 v3, valid until /m);
    for (const b of ['kafka-1', 'kafka-2'])
      expect(plan.stdout).toContain(`  broker ${b}: CN=${b},L=MountainView,O=CONFLUENT,C=US, valid until `);
    expect(plan.stdout).toMatch(/^ {2}\+ write +kafka-mtls\.json /m);
    expect(plan.stdout).toMatch(/^ {2}= keep +kafka-1\s*$/m);
    expect(plan.stdout).toMatch(/^ {2}= keep +kafka-2\s*$/m);
    expect(plan.stdout).toMatch(/^ {2}\+ create +kafka-3\s*$/m);
    expect(plan.stdout).toMatch(/^2 to create, 0 to reissue, 0 to remove, 2 kept\.$/m);
    expect(plan.exitCode).toBe(10);
    expect(changedFiles(before, afterPlan)).toEqual([]);
  });

  test('apply keeps every file of the write-up byte for byte, adds kafka-3 and the client, writes kafka-mtls.json', async () => {
    expect(apply.stderr).not.toMatch(/^error/m);
    expect(apply.exitCode).toBe(0);
    const after = await snapshot(tls);
    const changed = changedFiles(before, after);
    // Only additions: nothing of before changed its bytes or its mode (ca.pem, ca.srl, the .p12, .csr, .cnf too).
    expect(changed.filter((f) => before[f] !== undefined)).toEqual([]);
    const added = changed.filter((f) => !f.endsWith('/'));
    expect(added.sort()).toEqual([...BROKER_FILES('kafka-3'), ...BROKER_FILES('app-client'), 'kafka-mtls.json'].sort());
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining(['ca.pem', 'ca.srl', 'ca.cnf', 'kafka-1-creds/kafka-1.p12']),
    );
    const state = JSON.parse(await readFile(join(tls, 'kafka-mtls.json'), 'utf8'));
    expect(state.layout).toBe('confluent');
    expect(state.identities.map((i: { id: string; alias: string }) => `${i.id} ${i.alias}`)).toEqual([
      'broker-0 kafka-1',
      'broker-1 kafka-2',
      'broker-2 kafka-3',
      'client app-client',
    ]);
    // The new leaf is the old CA's.
    expect(await verifies(oldCa, join(tls, 'kafka-3-creds/kafka-3.crt'))).toBe(true);
  });

  test('verify passes, and a second plan finds nothing to do', async () => {
    const v = await kmtls(cwd, ['verify', 'tls'], { PASSWORD: PW });
    expect(v.stdout).toMatch(/: \d+ passed, 0 warnings, 0 failed$/m);
    expect(v.exitCode).toBe(0);
    const again = await kmtls(cwd, ['plan', '--config', 'cluster.yaml', '--out', 'tls']);
    expect(again.stdout).not.toContain('taken over');
    expect(again.exitCode).toBe(0);
  }, 60_000);

  test("kafka-3's keystore serves a client that trusts the old ca.crt, as the write-up's kafka-1 (real handshake)", async () => {
    const keystore = join(tls, 'kafka-3-creds/kafka.kafka-3.keystore.pkcs12');
    const args = ['pkcs12', '-in', keystore, '-passin', 'env:PW', '-nodes'];
    const key = await execa('openssl', [...args, '-nocerts'], { env: { PW } });
    const crt = await execa('openssl', [...args, '-nokeys', '-clcerts'], { env: { PW } });
    await writeFile(join(cwd, 'kafka-3.key.pem'), `${key.stdout}\n`, { mode: 0o600 });
    await writeFile(join(cwd, 'kafka-3.crt.pem'), `${crt.stdout}\n`);
    const { port, printed } = await broker(join(cwd, 'kafka-3.key.pem'), join(cwd, 'kafka-3.crt.pem'), oldCa);
    // The client: the write-up's own kafka-1 key and certificate, as another broker on the inter-broker listener.
    const client = (host: string) =>
      // prettier-ignore
      execa('openssl', [
        's_client', '-connect', `127.0.0.1:${port}`, '-servername', host, '-CAfile', oldCa,
        '-verify_return_error', '-verify_hostname', host, '-brief',
        '-cert', join(tls, 'kafka-1-creds/kafka-1.crt'), '-key', join(tls, 'kafka-1-creds/kafka-1.key'),
      ], { input: '', reject: false, timeout: 20_000 });
    // A name kafka-3's certificate does not cover: the same check fails, so the one below can.
    const wrong = await client('kafka-1-external');
    expect(wrong.exitCode).not.toBe(0);
    expect(String(wrong.stderr)).toMatch(/hostname mismatch/);
    const r = await client('kafka-3-external');
    expect(String(r.stderr)).toContain('Verification: OK');
    expect(String(r.stderr)).toContain('Verified peername: kafka-3-external');
    expect(String(r.stderr)).toMatch(/Peer certificate: C = US, O = CONFLUENT, L = MountainView, CN = kafka-3/);
    expect(r.exitCode).toBe(0);
    // And the broker verified the client's: the write-up's kafka-1 certificate, signed by the old CA.
    const seen = /^subject=C = US, O = CONFLUENT, L = MountainView, CN = kafka-1$/m;
    // s_server prints it once its side of the handshake is done, which may be after the client has left.
    for (let i = 0; i < 50 && !seen.test(printed()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(printed()).toMatch(seen);
  }, 60_000);

  test.each(['start', 'reissue', 'finish'])(
    'rotate-ca %s from the taken-over directory, verify passing after it',
    async (phase) => {
      const r = await kmtls(cwd, ['rotate-ca', phase, '--out', 'tls'], { PASSWORD: PW });
      expect(r.stderr).not.toMatch(/^error/m);
      expect(r.stdout).toContain(`rotate-ca ${phase} done.`);
      expect(r.exitCode).toBe(0);
      const v = await kmtls(cwd, ['verify', 'tls'], { PASSWORD: PW });
      expect(v.stdout).toMatch(/: \d+ passed, 0 warnings, 0 failed$/m);
      expect(v.exitCode).toBe(0);
      const ca = await readFile(join(tls, 'ca.crt'), 'utf8');
      const old = await readFile(oldCa, 'utf8');
      if (phase === 'finish') {
        // The old CA is out, the new one in ca.crt and in the write-up's ca.pem (certificate, then key).
        expect(ca).not.toBe(old);
        expect(await readFile(join(tls, 'ca.pem'), 'utf8')).toBe(ca + (await readFile(join(tls, 'ca.key'), 'utf8')));
        expect(await verifies(join(tls, 'ca.crt'), join(tls, 'kafka-1-creds/kafka-1.crt'))).toBe(true);
      }
    },
    120_000,
  );
});

describe('the write-up exactly as it is: no truststore, no truststore password file', () => {
  test('apply makes them beside the kept files, from the CA: nothing reissued, verify passes', async () => {
    const { cwd, tls } = await caseDir('bare-apply', bare, ['kafka-1', 'kafka-2']);
    const before = await snapshot(tls);
    const plan = await kmtls(cwd, ['plan', '--config', 'cluster.yaml', '--out', 'tls']);
    for (const b of ['kafka-1', 'kafka-2']) {
      expect(plan.stdout).toMatch(new RegExp(`^ {2}= keep +${b}\\s*$`, 'm'));
      expect(plan.stdout).toMatch(
        new RegExp(`^ {2}\\* recreate ${b}-creds/kafka\\.${b}\\.truststore\\.pkcs12 +missing$`, 'm'),
      );
      expect(plan.stdout).toMatch(new RegExp(`^ {2}\\* recreate ${b}-creds/${b}_truststore_creds +missing$`, 'm'));
    }
    expect(plan.exitCode).toBe(10);
    const apply = await kmtls(cwd, ['apply', '--config', 'cluster.yaml', '--out', 'tls']);
    expect(apply.exitCode).toBe(0);
    const changed = changedFiles(before, await snapshot(tls));
    expect(changed.filter((f) => before[f] !== undefined)).toEqual([]);
    expect(changed.filter((f) => f.startsWith('kafka-'))).toEqual(
      ['kafka-1', 'kafka-2']
        .flatMap((b) => [`${b}-creds/${b}_truststore_creds`, `${b}-creds/kafka.${b}.truststore.pkcs12`])
        .concat('kafka-mtls.json')
        .sort(),
    );
    expect(await readFile(join(tls, 'kafka-1-creds/kafka-1_truststore_creds'), 'utf8')).toBe(`${PW}\n`);
    const v = await kmtls(cwd, ['verify', 'tls'], { PASSWORD: PW });
    expect(v.stdout).toMatch(/: \d+ passed, 0 warnings, 0 failed$/m);
    expect(v.exitCode).toBe(0);
  }, 120_000);

  test("a lost keystore password file is written again from the password: the broker's files are kept", async () => {
    const { cwd, tls } = await caseDir('lost-creds', pristine, ['kafka-1', 'kafka-2']);
    await rm(join(tls, 'kafka-2-creds/kafka-2_keystore_creds'));
    const before = await snapshot(tls);
    const plan = await kmtls(cwd, ['plan', '--config', 'cluster.yaml', '--out', 'tls']);
    expect(plan.stdout).toMatch(/^ {2}= keep +kafka-2\s*$/m);
    expect(plan.stdout).toMatch(/^ {2}\* recreate kafka-2-creds\/kafka-2_keystore_creds +missing$/m);
    expect((await kmtls(cwd, ['apply', '--config', 'cluster.yaml', '--out', 'tls'])).exitCode).toBe(0);
    const changed = changedFiles(before, await snapshot(tls));
    expect(changed.filter((f) => f.startsWith('kafka-'))).toEqual([
      'kafka-2-creds/kafka-2_keystore_creds',
      'kafka-mtls.json',
    ]);
    expect(await readFile(join(tls, 'kafka-2-creds/kafka-2_keystore_creds'), 'utf8')).toBe(`${PW}\n`);
  }, 60_000);

  test('a wrong password is refused although only the keystores are there to prove it on', async () => {
    const { cwd } = await caseDir('bare-wrong-password', bare, ['kafka-1', 'kafka-2']);
    await expectRefused(
      cwd,
      () => kmtls(cwd, ['apply', '--config', 'cluster.yaml', '--out', 'tls'], { CONFLUENT_PW: 'not-the-password' }),
      /^error: CONFLUENT_PW \(password\.env of cluster\.yaml\): does not open .*kafka\.kafka-1\.keystore\.pkcs12 \(and 1 other store\(s\)\)/,
    );
  }, 60_000);
});

describe('identities the config does not name are kept, each with an id of its own', () => {
  test("a client app-b beside the config's app-client", async () => {
    const made = join(work, 'two-clients');
    await mkdir(made);
    await makeConfluentFlow(made, { names: ['kafka-1', 'kafka-2', 'app-client', 'app-b'] });
    const { cwd, tls } = await caseDir('undescribed-client', made, ['kafka-1', 'kafka-2']);
    const apply = await kmtls(cwd, ['apply', '--config', 'cluster.yaml', '--out', 'tls']);
    expect(apply.stderr).not.toMatch(/^error/m);
    expect(apply.exitCode).toBe(0);
    const state = JSON.parse(await readFile(join(tls, 'kafka-mtls.json'), 'utf8'));
    expect(
      state.identities.map((i: { role: string; id: string; alias: string }) => `${i.role} ${i.id} ${i.alias}`),
    ).toEqual([
      'broker broker-0 kafka-1',
      'broker broker-1 kafka-2',
      'client client app-client',
      'client client-1 app-b',
    ]);
    const plan = await kmtls(cwd, ['plan', '--config', 'cluster.yaml', '--out', 'tls']);
    expect(plan.stdout).toMatch(/^ {2}= keep +app-b +no longer described; --prune removes it$/m);
    expect(plan.exitCode).toBe(0);
  }, 60_000);

  test('a broker kafka-1 while the config names kafka-2 and kafka-3', async () => {
    const { cwd, tls } = await caseDir('undescribed', pristine, ['kafka-2', 'kafka-3']);
    const apply = await kmtls(cwd, ['apply', '--config', 'cluster.yaml', '--out', 'tls']);
    expect(apply.exitCode).toBe(0);
    const state = JSON.parse(await readFile(join(tls, 'kafka-mtls.json'), 'utf8'));
    const ids = state.identities.map((i: { id: string }) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    const plan = await kmtls(cwd, ['plan', '--config', 'cluster.yaml', '--out', 'tls']);
    expect(plan.stderr).not.toMatch(/^error/m);
    expect(plan.stdout).toMatch(/^ {2}= keep +kafka-1 +no longer described; --prune removes it$/m);
    expect(plan.exitCode).toBe(0);
  }, 60_000);
});
