/**
 * expiry against certificates made by the real openssl and keytool to expire in the past, tomorrow and in 20, 27
 * and 400 days, to the hour around each threshold, and a CA that expires before its leaves; in PEM files, bundles,
 * PKCS12 and JKS stores; beside stores none can open. The Prometheus output is checked by promtool.
 */
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { chmod, cp, link, mkdir, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI, runCli, tempDir } from '../helpers/cli.js';

const PW = 'Expiry-Pa55word';
const OTHER_PW = 'Creds-Pa55word';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let work: string;

const onPath = async (tool: string) =>
  (await execa('bash', ['-c', `command -v ${tool}`], { reject: false })).exitCode === 0;

/** promtool, when installed: CI installs it (.ci/run), so there its absence fails instead of skipping. */
const PROMTOOL_ABSENT = (await onPath('promtool'))
  ? undefined
  : 'promtool is not on PATH: the Prometheus output is not checked by its parser';
if (PROMTOOL_ABSENT && process.env.CI !== 'true') process.stderr.write(`skipped: ${PROMTOOL_ABSENT}\n`);
const promtoolTest = PROMTOOL_ABSENT && process.env.CI !== 'true' ? test.skip : test;

/** root writes anywhere: a read-only directory is one only to another user, which setpriv (util-linux) runs as. */
const AS_NOBODY_ABSENT =
  process.getuid?.() === 0 && (await onPath('setpriv'))
    ? undefined
    : 'a read-only --textfile directory needs root and setpriv, to run the command as nobody';
if (AS_NOBODY_ABSENT) process.stderr.write(`skipped: ${AS_NOBODY_ABSENT}\n`);
const asNobodyTest = AS_NOBODY_ABSENT ? test.skip : test;

async function sh(cmd: string, args: string[], env: Record<string, string> = {}, cwd = work): Promise<string> {
  const r = await execa(cmd, args, { cwd, env: { LC_ALL: 'C', ...env }, reject: false });
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return String(r.stdout);
}

/** openssl ca's date form, UTC: YYYYMMDDHHMMSSZ. */
const caDate = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');

const CA_CNF = `[ca]
default_ca = own
[own]
dir = .
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
default_md = sha256
policy = any
unique_subject = no
email_in_dn = no
[any]
commonName = supplied
organizationName = optional
[leaf]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth, clientAuth
`;

/** A CA (its own directory under work/pki), valid `days` days from now. */
async function makeCa(name: string, days: number): Promise<string> {
  const dir = join(work, 'pki', name);
  await mkdir(join(dir, 'newcerts'), { recursive: true });
  await writeFile(join(dir, 'ca.cnf'), CA_CNF);
  await writeFile(join(dir, 'index.txt'), '');
  await writeFile(join(dir, 'serial'), '1000\n');
  await sh(
    'openssl',
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key'],
    {},
    dir,
  );
  await sh(
    'openssl',
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      `/O=Expiry Test/CN=${name}`,
      '-days',
      String(days),
      '-out',
      'ca.crt',
    ],
    {},
    dir,
  );
  return dir;
}

/**
 * A leaf signed by the CA in `ca`: for `days` from now (openssl x509 -req -days), or from `start` to `end`
 * (openssl ca -startdate -enddate, which can put both in the past). Its key is leaf.key beside it.
 */
async function makeLeaf(
  ca: string,
  name: string,
  validity: { days: number } | { start: number; end: number },
  subject = `/O=Expiry Test/CN=${name}`,
): Promise<string> {
  const key = `${name}.key`;
  await sh('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], {}, ca);
  await sh('openssl', ['req', '-new', '-key', key, '-subj', subject, '-out', `${name}.csr`], {}, ca);
  if ('days' in validity) {
    await writeFile(join(ca, 'leaf.ext'), 'basicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth, clientAuth\n');
    await sh(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-set_serial',
        String(Date.now()),
        '-days',
        String(validity.days),
        '-extfile',
        'leaf.ext',
        '-out',
        `${name}.crt`,
      ],
      {},
      ca,
    );
  } else {
    await sh(
      'openssl',
      [
        'ca',
        '-batch',
        '-config',
        'ca.cnf',
        '-cert',
        'ca.crt',
        '-keyfile',
        'ca.key',
        '-in',
        `${name}.csr`,
        '-startdate',
        caDate(validity.start),
        '-enddate',
        caDate(validity.end),
        '-extensions',
        'leaf',
        '-notext',
        '-out',
        `${name}.crt`,
      ],
      {},
      ca,
    );
  }
  return join(ca, `${name}.crt`);
}

/** A PKCS12 keystore of the leaf (key, certificate, CA), made by openssl; the password through the environment. */
async function pkcs12(ca: string, name: string, dest: string, password = PW): Promise<void> {
  await sh(
    'openssl',
    [
      'pkcs12',
      '-export',
      '-in',
      `${name}.crt`,
      '-inkey',
      `${name}.key`,
      '-certfile',
      'ca.crt',
      '-name',
      name,
      '-passout',
      'env:P',
      '-out',
      dest,
    ],
    { P: password },
    ca,
  );
}

/** The same as a JKS keystore, converted by keytool. */
async function jks(ca: string, name: string, dest: string, password = PW): Promise<void> {
  const p12 = join(ca, `${name}.tmp.p12`);
  await pkcs12(ca, name, p12, password);
  await sh(
    'keytool',
    [
      '-importkeystore',
      '-noprompt',
      '-srckeystore',
      p12,
      '-srcstoretype',
      'PKCS12',
      '-srcstorepass:env',
      'P',
      '-destkeystore',
      dest,
      '-deststoretype',
      'JKS',
      '-deststorepass:env',
      'P',
    ],
    { P: password },
  );
  await rm(p12);
}

/** A JKS truststore holding the CA as caroot. */
async function truststore(ca: string, dest: string, password = PW): Promise<void> {
  await sh(
    'keytool',
    [
      '-importcert',
      '-noprompt',
      '-alias',
      'caroot',
      '-file',
      join(ca, 'ca.crt'),
      '-keystore',
      dest,
      '-storetype',
      'JKS',
      '-storepass:env',
      'P',
    ],
    { P: password },
  );
}

interface JsonCert {
  file: string;
  alias: string | null;
  role: string;
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  state: string;
  store: string | null;
}
interface JsonReport {
  exitCode: number;
  certificates: JsonCert[];
  errors: Array<{ file: string; reason: string }>;
  first: JsonCert | null;
  caBeforeLeaves: Array<{ ca: JsonCert; leaves: JsonCert[] }>;
  renew: string[];
}

const expiry = (args: string[], env: Record<string, string> = { PASSWORD: PW }) =>
  runCli(['expiry', ...args], { cwd: work, env });

async function expiryJson(
  args: string[],
  env?: Record<string, string>,
): Promise<{ exitCode: number; report: JsonReport; stderr: string }> {
  const r = await expiry([...args, '--json'], env);
  return { exitCode: r.exitCode, report: JSON.parse(r.stdout) as JsonReport, stderr: r.stderr };
}

/** The CN of a subject as Node prints it on one line: openssl ca puts CN first, openssl x509 -req keeps the request's order. */
const cnOf = (subject: string) => /(?:^|, )CN=([^,]*)/.exec(subject)?.[1];
const byCn = (report: JsonReport, cn: string) => report.certificates.filter((c) => cnOf(c.subject) === cn);

let main: string;
let caDir: string;

beforeAll(async () => {
  work = await tempDir('kmtls-expiry-');
  caDir = await makeCa('Expiry Root CA', 3650);
  const now = Date.now();
  await makeLeaf(caDir, 'expired', { start: now - 400 * DAY, end: now - 2 * DAY });
  await makeLeaf(caDir, 'tomorrow', { days: 1 });
  await makeLeaf(caDir, 'd20', { days: 20 });
  await makeLeaf(caDir, 'd27', { days: 27 });
  await makeLeaf(caDir, 'd400', { days: 400 });
  // A certs directory as a broker mounts it: PEM, a bundle, PKCS12 and JKS keystores, a JKS truststore.
  main = join(work, 'main');
  await mkdir(main);
  await cp(join(caDir, 'ca.crt'), join(main, 'ca.crt'));
  await cp(join(caDir, 'expired.crt'), join(main, 'expired.crt'));
  await pkcs12(caDir, 'tomorrow', join(main, 'tomorrow.keystore.p12'));
  await jks(caDir, 'd20', join(main, 'd20.keystore.jks'));
  await writeFile(
    join(main, 'd27.chain.pem'),
    (await readFile(join(caDir, 'd27.crt'), 'utf8')) + (await readFile(join(caDir, 'ca.crt'), 'utf8')),
  );
  await jks(caDir, 'd400', join(main, 'd400.keystore.jks'));
  await truststore(caDir, join(main, 'kafka.server.truststore.jks'));
  // Subsets: all fine, and fine with a warning.
  for (const [dir, files] of [
    ['fine', ['d400.keystore.jks', 'ca.crt']],
    ['warn', ['d400.keystore.jks', 'd27.chain.pem']],
  ] as const) {
    await mkdir(join(work, dir));
    for (const f of files) await cp(join(main, f), join(work, dir, f));
  }
}, 180_000);
afterAll(() => rm(work, { recursive: true, force: true }));

describe('every certificate of a directory, in PEM, bundles, PKCS12 and JKS', () => {
  test('each gets its state: expired, tomorrow critical, 20 and 27 days warn, 400 days fine; exit 5', async () => {
    const { exitCode, report } = await expiryJson([main]);
    expect(report.errors).toEqual([]);
    expect(exitCode).toBe(5);
    const one = (cn: string) => {
      const found = byCn(report, cn);
      expect(found.length).toBeGreaterThan(0);
      return found[0]!;
    };
    expect(one('expired')).toMatchObject({
      file: `${main}/expired.crt`,
      alias: null,
      store: null,
      state: 'expired',
      daysLeft: -3,
      role: 'broker',
    });
    expect(one('tomorrow')).toMatchObject({ store: 'PKCS12', alias: 'tomorrow', state: 'critical', daysLeft: 0 });
    expect(one('d20')).toMatchObject({ store: 'JKS', alias: 'd20', state: 'warn', daysLeft: 19 });
    expect(one('d27')).toMatchObject({ file: `${main}/d27.chain.pem`, state: 'warn', daysLeft: 26 });
    expect(one('d400')).toMatchObject({ store: 'JKS', state: 'ok', daysLeft: 399 });
    // The CA in ca.crt, in the bundle, in every keystore's chain and in the truststore: each file says so.
    const cas = byCn(report, 'Expiry Root CA');
    expect(cas.map((c) => c.file).sort()).toEqual(
      [
        'ca.crt',
        'd20.keystore.jks',
        'd27.chain.pem',
        'd400.keystore.jks',
        'kafka.server.truststore.jks',
        'tomorrow.keystore.p12',
      ].map((f) => `${main}/${f}`),
    );
    expect(cas.every((c) => c.role === 'ca' && c.state === 'ok')).toBe(true);
    expect(byCn(report, 'Expiry Root CA').find((c) => c.file.endsWith('truststore.jks'))?.alias).toBe('caroot');
    // Each record has what --json promises, from the certificate itself.
    const serial = (await sh('openssl', ['x509', '-in', join(caDir, 'd400.crt'), '-noout', '-serial']))
      .replace('serial=', '')
      .trim();
    expect(one('d400')).toMatchObject({
      serial,
      issuer: 'O=Expiry Test, CN=Expiry Root CA',
      subject: 'O=Expiry Test, CN=d400',
    });
    const end = (await sh('openssl', ['x509', '-in', join(caDir, 'd400.crt'), '-noout', '-enddate'])).replace(
      'notAfter=',
      '',
    );
    expect(new Date(one('d400').notAfter).getTime()).toBe(new Date(end).getTime());
    expect(cnOf(report.first!.subject)).toBe('expired');
  });

  test('the table names every certificate, what expires first and the command that renews', async () => {
    const r = await expiry([main]);
    expect(r.exitCode).toBe(5);
    expect(r.stdout).toMatch(/^FILE +ALIAS +ROLE +SUBJECT CN +NOT AFTER +DAYS LEFT +STATE$/m);
    expect(r.stdout).toMatch(new RegExp(`^${main}/d20\\.keystore\\.jks +d20 +broker +d20 +\\S+ +19 +warn$`, 'm'));
    expect(r.stdout).toMatch(
      new RegExp(`^${main}/tomorrow\\.keystore\\.p12 +tomorrow +broker +tomorrow +\\S+ +0 +critical$`, 'm'),
    );
    expect(r.stdout).toMatch(
      /^First to expire: CN=expired, O=Expiry Test \(broker, .*expired\.crt\) on .*: expired 2 day\(s\) ago, expired\.$/m,
    );
    // apply reissues what has fewer whole days left than --renew-before: the 27-day one has 26.
    expect(r.stdout).toContain(`  kafka-mtls apply --out ${main} --renew-before 27\n`);
    expect(r.stdout).not.toContain('rotate-ca');
    expect(r.stdout).toMatch(
      /^\d+ certificate\(s\) in files \(6 distinct\): \d+ ok, 2 warn, 1 critical, 1 expired \(--warn 28d, --critical 14d\)\.$/m,
    );
  });

  test('the exit code follows the worst state: 0 all fine, 1 a warning, 5 critical', async () => {
    const fine = join(work, 'fine');
    const warn = join(work, 'warn');
    expect((await expiry([fine])).exitCode).toBe(0);
    expect((await expiry([warn])).exitCode).toBe(1);
    // The same files named one by one; a tighter --warn makes the 27-day one fine.
    expect((await expiry([join(warn, 'd27.chain.pem'), join(warn, 'd400.keystore.jks')])).exitCode).toBe(1);
    expect((await expiry([warn, '--warn', '26d'])).exitCode).toBe(0);
    // tomorrow's certificate is critical under 14d, and only warned of under --critical 0d.
    expect((await expiry([join(main, 'tomorrow.keystore.p12')])).exitCode).toBe(5);
    expect((await expiry([join(main, 'tomorrow.keystore.p12'), '--critical', '0d'])).exitCode).toBe(1);
  });
});

describe('thresholds, to the hour around each boundary', () => {
  let edges: string;
  beforeAll(async () => {
    const ca = await makeCa('Edge CA', 3650);
    const now = Date.now();
    // Two hours either side of each mark: far more than a run takes, far less than a day.
    await makeLeaf(ca, 'warn-out', { start: now - DAY, end: now + 28 * DAY + 2 * HOUR });
    await makeLeaf(ca, 'warn-in', { start: now - DAY, end: now + 28 * DAY - 2 * HOUR });
    await makeLeaf(ca, 'crit-out', { start: now - DAY, end: now + 14 * DAY + 2 * HOUR });
    await makeLeaf(ca, 'crit-in', { start: now - DAY, end: now + 14 * DAY - 2 * HOUR });
    // 100 days of life: 35 and 30 left (65% and 70% passed).
    await makeLeaf(ca, 'share35', { start: now - 65 * DAY, end: now + 35 * DAY });
    await makeLeaf(ca, 'share30', { start: now - 70 * DAY, end: now + 30 * DAY });
    await makeLeaf(ca, 'future', { start: now + 2 * DAY, end: now + 400 * DAY });
    edges = join(work, 'edges');
    await mkdir(edges);
    for (const n of ['warn-out', 'warn-in', 'crit-out', 'crit-in', 'share35', 'share30', 'future'])
      await cp(join(ca, `${n}.crt`), join(edges, `${n}.crt`));
  });

  const states = (report: JsonReport) => Object.fromEntries(report.certificates.map((c) => [cnOf(c.subject), c.state]));

  test('days: fewer than 28 (14) days left warns (is critical); 28 days and 2 hours is fine', async () => {
    const { report } = await expiryJson([edges]);
    expect(states(report)).toMatchObject({
      'warn-out': 'ok',
      'warn-in': 'warn',
      'crit-out': 'warn',
      'crit-in': 'critical',
      future: 'not-yet-valid',
    });
    expect(byCn(report, 'warn-out')[0]?.daysLeft).toBe(28);
    expect(byCn(report, 'warn-in')[0]?.daysLeft).toBe(27);
  });

  test('a share of the lifetime left: 34% warns at 30% left, not at 35%', async () => {
    const { report } = await expiryJson([edges, '--warn', '34%', '--critical', '31%']);
    expect(states(report)).toMatchObject({ share35: 'ok', share30: 'critical' });
    const looser = await expiryJson([edges, '--warn', '34%', '--critical', '10%']);
    expect(states(looser.report)).toMatchObject({ share35: 'ok', share30: 'warn' });
  });

  test('a bad threshold is one line naming the option, exit 2, nothing read', async () => {
    for (const [args, line] of [
      [['--warn', '28'], 'error: --warn: must be whole days (28d) or a share of the lifetime left (34%), got "28"'],
      [
        ['--critical', '101%'],
        'error: --critical: must be whole days (28d) or a share of the lifetime left (34%); a share must be above 0% and at most 100%, got "101%"',
      ],
      [
        ['--warn', '10d'],
        'error: --critical: must leave less than --warn does (both measure what is left), got --warn 10d --critical 14d',
      ],
      [['--format', 'xml'], 'error: --format: must be one of text, json, prometheus, got "xml"'],
    ] as const) {
      const r = await expiry([edges, ...args]);
      expect({ args, code: r.exitCode, stderr: r.stderr.trim(), stdout: r.stdout }).toEqual({
        args,
        code: 2,
        stderr: line,
        stdout: '',
      });
    }
  });
});

describe('what cannot be read is exit 4, never "no certificates" nor an expiring one', () => {
  test('a wrong password (PKCS12 and JKS), a truncated store, a FIFO, a dangling symlink', async () => {
    const bad = join(work, 'bad');
    await mkdir(bad);
    await cp(join(main, 'd400.keystore.jks'), join(bad, 'd400.keystore.jks'));
    await pkcs12(caDir, 'd400', join(bad, 'other.keystore.p12'), 'Another-Pa55');
    await jks(caDir, 'd400', join(bad, 'other.keystore.jks'), 'Another-Pa55');
    await cp(join(main, 'd20.keystore.jks'), join(bad, 'truncated.keystore.jks'));
    await truncate(join(bad, 'truncated.keystore.jks'), 200);
    execFileSync('mkfifo', [join(bad, 'pipe.keystore.jks')]);
    await symlink(join(bad, 'gone.crt'), join(bad, 'dangling.crt'));
    const { exitCode, report, stderr } = await expiryJson([bad]);
    expect(stderr).toBe('');
    expect(exitCode).toBe(4);
    const reasons = Object.fromEntries(report.errors.map((e) => [e.file.slice(bad.length + 1), e.reason]));
    expect(reasons).toEqual({
      'dangling.crt': 'is a symlink to nowhere (no such file)',
      'pipe.keystore.jks': 'is a FIFO (named pipe), not a regular file',
      'other.keystore.p12': expect.stringMatching(
        /^does not open with the password\(s\) of PASSWORD: .*(mac verify|invalid password)/i,
      ),
      'other.keystore.jks': expect.stringMatching(
        /^does not open with the password\(s\) of PASSWORD: .*password was incorrect/,
      ),
      'truncated.keystore.jks': expect.stringMatching(/^a JKS store that does not open: /),
    });
    // What opened is still reported.
    expect(byCn(report, 'd400').filter((c) => c.file.endsWith('/d400.keystore.jks'))).toHaveLength(1);
    // The password never shows.
    expect(JSON.stringify(report)).not.toContain(PW);
  });

  test('an empty directory, a missing one and a file of no known kind: exit 4', async () => {
    const empty = join(work, 'empty');
    await mkdir(join(empty, 'sub'), { recursive: true });
    await writeFile(join(empty, 'sub', 'notes.txt'), 'nothing here\n');
    const r = await expiry([empty, join(work, 'missing'), join(empty, 'sub', 'notes.txt')]);
    expect(r.exitCode).toBe(4);
    expect(r.stdout).toContain(`UNREADABLE  ${empty}: holds no certificate (no PEM or DER certificate, no store)\n`);
    expect(r.stdout).toContain(`UNREADABLE  ${work}/missing: cannot be read: no such file`);
    expect(r.stdout).toContain(
      `UNREADABLE  ${empty}/sub/notes.txt: is not a PEM or DER certificate, nor a JKS or PKCS12 store\n`,
    );
  });

  test('a critical certificate beside a read error is exit 5; a warning beside one is 4', async () => {
    const mixed = join(work, 'mixed');
    await mkdir(mixed);
    await cp(join(main, 'd27.chain.pem'), join(mixed, 'd27.chain.pem'));
    await symlink(join(mixed, 'gone'), join(mixed, 'dangling.crt'));
    expect((await expiry([mixed])).exitCode).toBe(4);
    await cp(join(main, 'tomorrow.keystore.p12'), join(mixed, 'tomorrow.keystore.p12'));
    expect((await expiry([mixed])).exitCode).toBe(5);
  });
});

describe('passwords as verify finds them', () => {
  test("a store opens with its _creds file's password, another with the properties file's, the rest with PASSWORD", async () => {
    const dir = join(work, 'creds');
    await mkdir(join(dir, 'kafka-1-creds'), { recursive: true });
    await pkcs12(caDir, 'd400', join(dir, 'kafka-1-creds', 'kafka.kafka-1.keystore.pkcs12'), OTHER_PW);
    await writeFile(join(dir, 'kafka-1-creds', 'kafka-1_keystore_creds'), `${OTHER_PW}\n`);
    await jks(caDir, 'd20', join(dir, 'client-a.keystore.jks'), 'Props-Pa55word');
    await writeFile(
      join(dir, 'client-a.client.properties'),
      'ssl.keystore.location=client-a.keystore.jks\nssl.keystore.password=Props-Pa55word\n',
    );
    await cp(join(main, 'd400.keystore.jks'), join(dir, 'shared.keystore.jks'));
    const { exitCode, report } = await expiryJson([dir]);
    expect(report.errors).toEqual([]);
    expect(exitCode).toBe(1);
    expect(
      report.certificates
        .filter((c) => c.alias !== null && c.role !== 'ca')
        .map((c) => c.file.slice(dir.length + 1))
        .sort(),
    ).toEqual(['client-a.keystore.jks', 'kafka-1-creds/kafka.kafka-1.keystore.pkcs12', 'shared.keystore.jks']);
  });

  test('directories kafka-mtls made, in both layouts, with generated passwords: every store read, roles from the state', async () => {
    for (const [name, args] of [
      ['dropin', ['--brokers', '1']],
      ['confluent', ['--brokers', '1', '--layout', 'confluent', '--generate-passwords']],
    ] as const) {
      const out = join(work, name);
      const g = await runCli(['generate', '--out', out, ...args], { cwd: work, env: { PASSWORD: PW } });
      expect(g.exitCode).toBe(0);
      // No PASSWORD for the generated ones: the directory's files give them.
      const { exitCode, report } = await expiryJson([out], name === 'dropin' ? { PASSWORD: PW } : {});
      expect({ name, errors: report.errors, exitCode }).toEqual({ name, errors: [], exitCode: 0 });
      // The CA is made seconds before its leaves, with the same validity: not a CA to rotate early.
      expect(report.caBeforeLeaves).toEqual([]);
      const roles = new Set(report.certificates.map((c) => `${c.role} ${cnOf(c.subject)}`));
      expect([...roles].sort()).toEqual([
        'broker mtls-kafka-0.mtls-kafka-headless',
        'ca Kafka-Security-CA',
        'client mtls-kafka-client',
      ]);
      const stores = report.certificates.filter((c) => c.store !== null).map((c) => c.file.slice(out.length + 1));
      expect(new Set(stores).size).toBe(name === 'dropin' ? 4 : 6);
    }
  });
});

describe('a CA that expires before its leaves', () => {
  test('is named, with rotate-ca for the CA and apply for nothing else', async () => {
    const ca = await makeCa('Short CA', 20);
    await makeLeaf(ca, 'outlives', { days: 400 });
    const dir = join(work, 'short-ca');
    await mkdir(dir);
    await cp(join(ca, 'ca.crt'), join(dir, 'ca.crt'));
    await cp(join(ca, 'outlives.crt'), join(dir, 'outlives.crt'));
    const r = await expiry([dir]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(
      /^The CA O=Expiry Test, CN=Short CA \(.*\/ca\.crt\) expires on \S+, before 1 certificate\(s\) it signed \(the last on \S+\): from that day they fail verification; rotate the CA rather than renew them\.$/m,
    );
    expect(r.stdout).toContain(`  kafka-mtls rotate-ca start --out ${dir}\n`);
    expect(r.stdout).not.toContain('kafka-mtls apply');
    const { report } = await expiryJson([dir]);
    expect(report.caBeforeLeaves.map((c) => [c.ca.subject, c.leaves.map((l) => l.subject)])).toEqual([
      ['O=Expiry Test, CN=Short CA', ['O=Expiry Test, CN=outlives']],
    ]);
  });
});

describe('--format prometheus', () => {
  let text: string;
  let weird: string;
  beforeAll(async () => {
    // A subject whose value needs escaping in a label: a double quote and a backslash.
    weird = join(work, 'weird');
    await mkdir(weird);
    await makeLeaf(caDir, 'weird', { days: 400 }, '/O=Expiry Test/CN=we"ird\\\\name');
    await cp(join(caDir, 'weird.crt'), join(weird, 'we"ird.crt'));
    const r = await expiry([main, weird, join(work, 'missing'), '--format', 'prometheus']);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain(`warning: ${work}/missing: cannot be read: no such file`);
    // runCli drops the last line feed, which the format requires.
    text = `${r.stdout}\n`;
  });

  test("the exporter's metrics and labels, with store, alias and role", () => {
    for (const name of ['x509_cert_not_after', 'x509_cert_not_before', 'x509_cert_expired', 'x509_read_errors'])
      expect(text).toContain(`# TYPE ${name} gauge\n`);
    const line = text.split('\n').find((l) => l.startsWith('x509_cert_not_after{') && l.includes('subject_CN="d20"'))!;
    const names = [...line.matchAll(/([a-zA-Z_]+)="/g)].map((m) => m[1]);
    expect(names).toEqual([
      'filename',
      'filepath',
      'serial_number',
      'issuer_C',
      'issuer_ST',
      'issuer_L',
      'issuer_O',
      'issuer_OU',
      'issuer_CN',
      'subject_C',
      'subject_ST',
      'subject_L',
      'subject_O',
      'subject_OU',
      'subject_CN',
      'store',
      'alias',
      'role',
    ]);
    expect(line).toContain(`filename="d20.keystore.jks",filepath="${main}/d20.keystore.jks"`);
    expect(line).toContain('issuer_CN="Expiry Root CA"');
    expect(line).toContain('store="JKS",alias="d20",role="broker"');
    expect(text).toMatch(/^x509_cert_expired\{[^}]*subject_CN="expired"[^}]*\} 1$/m);
    expect(text).toMatch(/^x509_cert_expired\{[^}]*subject_CN="d400"[^}]*\} 0$/m);
    expect(text).toContain(`x509_cert_error{filename="missing",filepath="${work}/missing"} 1\n`);
    expect(text).toMatch(/^x509_read_errors 1$/m);
    expect(text).toContain('subject_CN="we\\"ird\\\\name"');
    expect(text).toContain(`filename="we\\"ird.crt"`);
  });

  test('the serial number is decimal, as the exporter labels it', async () => {
    const hex = (await sh('openssl', ['x509', '-in', join(caDir, 'd20.crt'), '-noout', '-serial']))
      .replace('serial=', '')
      .trim();
    expect(text).toContain(`serial_number="${BigInt(`0x${hex}`).toString()}"`);
  });

  promtoolTest('promtool check metrics accepts it and counts every series; a broken escape it refuses', async () => {
    if (PROMTOOL_ABSENT) throw new Error(PROMTOOL_ABSENT);
    const r = await execa('promtool', ['check', 'metrics'], { input: text, reject: false });
    expect({ code: r.exitCode, out: r.stdout + r.stderr }).toEqual({ code: 0, out: '' });
    // Its parser counts every series written: none was lost to an escape it read otherwise.
    const ext = await execa('promtool', ['check', 'metrics', '--extended'], { input: text, reject: false });
    const written = text.split('\n').filter((l) => l.startsWith('x509_cert_not_after{')).length;
    expect(written).toBeGreaterThan(10);
    expect(ext.stdout).toMatch(new RegExp(`^x509_cert_not_after +${written} `, 'm'));
    expect(ext.stdout).toMatch(/^x509_cert_error +1 /m);
    // A broken escape is refused by the same parser: the check can fail.
    const broken = await execa('promtool', ['check', 'metrics'], {
      input: text.replace('we\\"ird', 'we"ird'),
      reject: false,
    });
    expect(broken.exitCode).not.toBe(0);
  });
});

describe('--textfile', () => {
  test('writes kafka_mtls_expiry.prom whole by rename, 0644, the old file never changed in place', async () => {
    const dir = join(work, 'textfile');
    await mkdir(dir);
    const r1 = await expiry([main, '--textfile', dir]);
    expect(r1.exitCode).toBe(5);
    expect(r1.stdout).toBe('');
    const target = join(dir, 'kafka_mtls_expiry.prom');
    const first = await readFile(target, 'utf8');
    expect(first).toMatch(/\nx509_read_errors 0\n$/);
    expect((await stat(target)).mode & 0o777).toBe(0o644);
    // A hard link keeps the first file: a rename replaces the name, an in-place write would change the link too.
    await link(target, join(dir, 'old.link'));
    const inode = (await stat(target)).ino;
    const r2 = await expiry([main, join(work, 'missing'), '--textfile', dir]);
    expect(r2.exitCode).toBe(5);
    expect((await stat(target)).ino).not.toBe(inode);
    expect(await readFile(join(dir, 'old.link'), 'utf8')).toBe(first);
    expect(await readFile(target, 'utf8')).toMatch(/\nx509_read_errors 1\n$/);
    // No temporary file is left, and none would be read by the collector (*.prom) while it existed.
    expect((await readdir(dir)).sort()).toEqual(['kafka_mtls_expiry.prom', 'old.link']);
  });

  test('a textfile that cannot be written is one line: exit 4, or 5 when a certificate is critical', async () => {
    const dir = join(work, 'textfile-blocked');
    // A directory where the file belongs: rename(2) refuses it, even for root.
    await mkdir(join(dir, 'kafka_mtls_expiry.prom'), { recursive: true });
    const fine = join(work, 'fine');
    const r = await expiry([fine, '--textfile', dir]);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toBe(
      `error: --textfile: cannot write ${dir}/kafka_mtls_expiry.prom (EISDIR); the file node_exporter reads was left as it was`,
    );
    expect(await readdir(dir)).toEqual(['kafka_mtls_expiry.prom']);
    expect((await expiry([main, '--textfile', dir])).exitCode).toBe(5);
    const missing = await expiry([fine, '--textfile', join(work, 'no-such-dir')]);
    expect({ code: missing.exitCode, err: missing.stderr }).toEqual({
      code: 2,
      err: `error: --textfile: must be an existing directory; ${work}/no-such-dir is not`,
    });
  });
  asNobodyTest(
    'a read-only directory (a user that may not write it): exit 4, the reason and what to check',
    async () => {
      const open = await tempDir('kmtls-expiry-ro-');
      await chmod(open, 0o755);
      await mkdir(join(open, 'certs'));
      await cp(join(main, 'ca.crt'), join(open, 'certs', 'ca.crt'));
      await chmod(join(open, 'certs', 'ca.crt'), 0o644);
      await mkdir(join(open, 'ro'), { mode: 0o555 });
      try {
        const r = await execa(
          'setpriv',
          [
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            process.execPath,
            CLI,
            'expiry',
            'certs',
            '--textfile',
            'ro',
          ],
          { cwd: open, reject: false, env: { NO_COLOR: '1' } },
        );
        expect({ code: r.exitCode, err: r.stderr }).toEqual({
          code: 4,
          err:
            `error: --textfile: cannot write ${open}/ro/kafka_mtls_expiry.prom (EACCES); the file node_exporter reads ` +
            `was left as it was\nhint: This user may not write ${open}/ro or its parent directory: check their owner ` +
            'and permissions.',
        });
        expect(await readdir(join(open, 'ro'))).toEqual([]);
      } finally {
        await rm(open, { recursive: true, force: true });
      }
    },
  );
});
