import { execa } from 'execa';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { TIMEOUT_HINT } from '../../src/runner/hints.js';
import { runPlan } from '../../src/runner/runner.js';
import { Secret } from '../../src/secrets.js';
import { formatFailure } from '../../src/report/failure.js';
import { makeChalk } from '../../src/report/style.js';
import { FAKE_BIN, runCli, snapshot, tempDir, wrapFixture } from '../helpers/cli.js';

/**
 * The smaller wrong answers of issue 13, each as the user meets it: the exit
 * code, the one sentence printed, no secret in the output, and nothing touched.
 */
const PW = 'Answers-Store-Pw-7';
const ENV = { PASSWORD: PW, CA_PW: 'ca-key-passphrase' };
const openssl = (dir: string, args: string[]) => execa('openssl', args, { cwd: dir, env: { ...ENV, LC_ALL: 'C' } });

const CA_CNF = `[req]
prompt = no
distinguished_name = dn
x509_extensions = ca
[dn]
O = Acme
CN = Acme CA
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[issuing]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
`;

/** CAs of one's own that a careful operator could still get wrong: too weak, too short-lived, a weak root. */
async function makeCas(dir: string): Promise<void> {
  await writeFile(join(dir, 'ca.cnf'), CA_CNF);
  const selfSigned = (name: string, bits: number, days: number) =>
    openssl(dir, [
      'req',
      '-x509',
      '-new',
      '-newkey',
      `rsa:${bits}`,
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      String(days),
      '-config',
      'ca.cnf',
      '-subj',
      `/O=Acme/CN=${name}`,
    ]);
  await selfSigned('weak', 1024, 3650);
  await selfSigned('shortlived', 2048, 100);
  await selfSigned('weakroot', 1024, 3650);
  await openssl(dir, [
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'issuing.key',
    '-out',
    'issuing.csr',
    '-subj',
    '/O=Acme/CN=issuing',
  ]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'issuing.csr',
    '-CA',
    'weakroot.crt',
    '-CAkey',
    'weakroot.key',
    '-out',
    'issuing.crt',
    '-days',
    '3000',
    '-extfile',
    'ca.cnf',
    '-extensions',
    'issuing',
    '-set_serial',
    '0x77',
  ]);
}

/** Whether this machine lets the tests mount a tmpfs (root, not in a locked-down container). */
async function probeMount(): Promise<string | undefined> {
  const at = await tempDir('kmtls-mount-');
  const r = await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', at], { reject: false });
  if (r.exitCode === 0) await execa('umount', [at]);
  await rm(at, { recursive: true, force: true });
  return r.exitCode === 0 ? undefined : String(r.stderr).trim() || `mount exited ${r.exitCode}`;
}
const cannotMount = await probeMount();
if (cannotMount) console.log(`skipping the mount-point test: cannot mount a tmpfs here (${cannotMount})`);
const withMount = cannotMount ? test.skip : test;

interface BadRow {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  /** The sentence the user sees, exactly (after "error: "). */
  readonly says: string | RegExp;
}

describe('generate refuses what would fail later, before anything is touched (exit 2)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await makeCas(dir);
    // A previous run's output, which a refused run must leave as it is.
    await mkdir(join(dir, 'certs'));
    await writeFile(join(dir, 'certs', 'ca.crt'), 'the previous CA\n');
    await writeFile(join(dir, 'zone.yaml'), 'brokers:\n  kafka-1: [kafka-1, "fe80::1%eth0"]\n');
    await writeFile(join(dir, 'short.yaml'), 'validity: 800\nca: {validity: 10}\nbrokers:\n  kafka-1: [kafka-1]\n');
    // A Windows editor's line end without its line feed, and a carriage return inside the line.
    await writeFile(join(dir, 'pw-cr'), `${PW}\r`);
    await writeFile(join(dir, 'pw-cr-inside'), `${PW}\rmore\n`);
    await writeFile(join(dir, 'pw-two-lines'), `${PW}\nmore\n`);
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const rows: BadRow[] = [
    {
      name: 'a password file whose line ends with a carriage return alone',
      args: ['--password-file', 'pw-cr'],
      says:
        '--password-file: must hold the password on a single line; pw-cr ends with a carriage return (\\r): ' +
        'a file saved with Windows line endings; save it with Unix line endings',
    },
    {
      name: 'a password file with a carriage return inside its line',
      args: ['--password-file', 'pw-cr-inside'],
      says:
        '--password-file: must hold the password on a single line; pw-cr-inside holds a carriage return (\\r): ' +
        'a file saved with Windows line endings; save it with Unix line endings',
    },
    {
      name: 'a password file of two lines',
      args: ['--password-file', 'pw-two-lines'],
      says: '--password-file: must hold the password on a single line',
    },
    {
      name: 'an IPv6 address with a zone',
      args: ['--san', 'IP:fe80::1%eth0'],
      says: '--san: must be an IP address without a zone (%interface): a certificate holds addresses only, got "IP:fe80::1%eth0"',
    },
    {
      name: 'a bare IPv6 address with a zone',
      args: ['--san', 'fe80::1%eth0'],
      says: '--san: must be an IP address without a zone (%interface): a certificate holds addresses only, got "fe80::1%eth0"',
    },
    {
      name: 'an IPv6 address with a zone in a config file',
      args: ['--config', 'zone.yaml'],
      says: '--config zone.yaml: brokers.kafka-1[1]: must be an IP address without a zone (%interface): a certificate holds addresses only, got "fe80::1%eth0"',
    },
    {
      name: 'leaves that outlive the CA made with them',
      args: ['--validity', '3000', '--ca-validity', '10'],
      says: '--validity: must be at most --ca-validity (10 days): a certificate that outlives its CA fails verification from the day the CA expires, got 3000',
    },
    {
      name: "leaves that outlive the CA, VALIDITY from the script's variable",
      args: ['--ca-validity', '10'],
      env: { VALIDITY: '3000' },
      says: '--validity (from VALIDITY): must be at most --ca-validity (10 days): a certificate that outlives its CA fails verification from the day the CA expires, got 3000',
    },
    {
      name: 'leaves that outlive the CA, in a config file',
      args: ['--config', 'short.yaml'],
      says: '--config short.yaml: validity: must be at most ca.validity (10 days): a certificate that outlives its CA fails verification from the day the CA expires, got 800',
    },
    {
      name: 'an RSA-1024 CA of your own',
      args: ['--ca-cert', 'weak.crt', '--ca-key', 'weak.key'],
      says: '--ca-cert: CN=weak,O=Acme has an RSA 1024-bit key: at least 2048 bits are needed (Java refuses smaller keys, and verify fails them)',
    },
    {
      name: 'your own intermediate under an RSA-1024 root',
      args: ['--ca-cert', 'issuing.crt', '--ca-key', 'issuing.key', '--ca-chain', 'weakroot.crt', '--validity', '30'],
      says: '--ca-chain: CN=weakroot,O=Acme has an RSA 1024-bit key: at least 2048 bits are needed (Java refuses smaller keys, and verify fails them)',
    },
    {
      name: 'leaves that would outlive your own CA',
      args: ['--ca-cert', 'shortlived.crt', '--ca-key', 'shortlived.key', '--validity', '730'],
      says: /^--validity: must be at most (99|100) days: your CA \(--ca-cert\) expires on \d{4}-\d\d-\d\d, and a certificate that outlives its CA fails verification from the day the CA expires; got 730$/,
    },
  ];

  test.each(rows.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const before = await snapshot(dir);
    const brokers = row.args.includes('--config') ? [] : ['--brokers', '1'];
    const r = await runCli(['generate', ...brokers, ...row.args], { cwd: dir, env: { ...ENV, ...row.env } });
    expect(r.exitCode).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const sentence = lines[0]!.replace(/^error: /, '');
    if (typeof row.says === 'string') expect(sentence).toBe(row.says);
    else expect(sentence).toMatch(row.says);
    expect(r.stdout).toBe('');
    expect(r.stdout + r.stderr).not.toContain(PW);
    expect(await snapshot(dir)).toEqual(before);
  });

  test('your own CA that leaves room is accepted when --validity fits it', async () => {
    const r = await runCli(
      [
        'generate',
        '--brokers',
        '1',
        '--ca-cert',
        'shortlived.crt',
        '--ca-key',
        'shortlived.key',
        '--validity',
        '90',
        '--dry-run',
      ],
      { cwd: dir, env: ENV },
    );
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/-days 90 /);
  });
});

describe('SANs mean the same from the flags and from a config file, and are written once', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const altNames = (script: string) => /\[alt_names\]\n([\s\S]*?)\nKAFKA_MTLS_EOF/.exec(script)?.[1];

  test('a bare 1.2.3.4 is an IP address both ways', async () => {
    const flags = await runCli(['generate', '--dry-run', '--brokers', '1', '--san', '1.2.3.4'], { cwd: dir, env: ENV });
    await writeFile(join(dir, 'ip.yaml'), 'statefulSet: {replicas: 1, extraSans: [1.2.3.4]}\n');
    const config = await runCli(['generate', '--dry-run', '--config', 'ip.yaml'], { cwd: dir, env: ENV });
    expect(flags.exitCode).toBe(0);
    expect(config.exitCode).toBe(0);
    expect(altNames(flags.stdout)).toContain('IP.1 = 1.2.3.4');
    expect(altNames(flags.stdout)).not.toContain('DNS.6');
    expect(altNames(config.stdout)).toBe(altNames(flags.stdout));
  });

  test("the same name as DNS: and bare, in another case, or as one of the script's names, is in the certificate once", async () => {
    const sans = [
      'extra.example.com',
      'DNS:Extra.Example.com',
      'mtls-kafka',
      '1.2.3.4',
      'IP:1.2.3.4',
      'IP:::1',
      'IP:0:0::1',
    ];
    const r = await runCli(['generate', '--brokers', '1', '--out', 'dups', ...sans.flatMap((s) => ['--san', s])], {
      cwd: dir,
      env: ENV,
    });
    expect(r.exitCode).toBe(0);
    const text = String(
      (await openssl(dir, ['x509', '-in', 'dups/ca-signed-mtls-kafka-0', '-noout', '-ext', 'subjectAltName'])).stdout,
    );
    const listed = text.split('\n')[1]!.trim().split(', ');
    expect(listed).toEqual([
      'DNS:mtls-kafka-0.mtls-kafka-headless.axplatform.svc.cluster.local',
      'DNS:mtls-kafka-0.mtls-kafka-headless',
      'DNS:mtls-kafka-0.mtls-kafka-headless.axplatform',
      'DNS:mtls-kafka.mtls-kafka-headless',
      'DNS:mtls-kafka',
      'DNS:extra.example.com',
      'IP Address:1.2.3.4',
      'IP Address:0:0:0:0:0:0:0:1',
    ]);
    // And plan, reading the same flags, finds nothing to change.
    const plan = await runCli(['plan', '--brokers', '1', '--out', 'dups', ...sans.flatMap((s) => ['--san', s])], {
      cwd: dir,
      env: ENV,
    });
    expect(plan.stdout).toContain('0 to create, 0 to reissue, 0 to remove, 2 kept.');
    expect(plan.exitCode).toBe(0);
  });
});

describe('inspect: every file gets its answer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await writeFile(join(dir, 'ca.cnf'), CA_CNF);
    await openssl(dir, [
      'req',
      '-x509',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'good.key',
      '-out',
      'good.crt',
      '-days',
      '30',
      '-config',
      'ca.cnf',
    ]);
    await writeFile(
      join(dir, 'garbage.pem'),
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGUgYXQgYWxs\n-----END CERTIFICATE-----\n',
    );
    const good = await readFile(join(dir, 'good.crt'), 'utf8');
    await writeFile(
      join(dir, 'half.pem'),
      `${good}-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END CERTIFICATE-----\n`,
    );
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const rows = [
    {
      name: 'a PEM with garbage inside a certificate block',
      files: ['garbage.pem'],
      says: [
        'garbage.pem: unreadable',
        '  a PEM file whose certificate openssl cannot read (certificate 1 of 1): not DER inside, or damaged',
      ],
    },
    {
      name: 'a good certificate followed by a damaged one',
      files: ['half.pem'],
      says: [
        'half.pem: unreadable',
        '  a PEM file whose certificate openssl cannot read (certificate 2 of 2): not DER inside, or damaged',
      ],
    },
    {
      name: 'one missing file among several',
      files: ['good.crt', 'missing.pem', 'good.crt'],
      says: ['missing.pem: unreadable', '  cannot be read: no such file'],
    },
  ];

  test.each(rows.map((r) => [r.name, r] as const))(
    '%s: reported unreadable, exit 1, the other files still reported',
    async (_n, row) => {
      const before = await snapshot(dir);
      const r = await runCli(['inspect', ...row.files], { cwd: dir, env: ENV });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toBe('');
      const lines = r.stdout.split('\n');
      const at = lines.indexOf(row.says[0]!);
      expect(lines.slice(at, at + 2)).toEqual(row.says);
      expect(lines.filter((l) => /^\S+: /.test(l))).toHaveLength(row.files.length);
      expect(lines.filter((l) => l === 'good.crt: certificate')).toHaveLength(
        row.files.filter((f) => f === 'good.crt').length,
      );
      expect(r.stdout).not.toContain(PW);
      expect(await snapshot(dir)).toEqual(before);
    },
  );

  test('--json: one item per file, the missing one unreadable', async () => {
    const r = await runCli(['inspect', 'good.crt', 'missing.pem', '--json'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject([
      { file: 'good.crt', kind: 'certificate' },
      { file: 'missing.pem', kind: 'unreadable', reason: 'cannot be read: no such file' },
    ]);
  });
});

describe('--json: a failure of every kind is one JSON object on stdout', () => {
  let dir: string;
  /** Where a keytool that fails on -importkeystore is, apart from dir, whose files must not change. */
  let bin: string;
  beforeAll(async () => {
    dir = await tempDir();
    bin = await tempDir();
    const realKeytool = String((await execa('bash', ['-c', 'command -v keytool'])).stdout).trim();
    const vars = { REAL_KEYTOOL: realKeytool, FAKE_KEYTOOL_FAIL_ON: '-importkeystore' };
    await wrapFixture(bin, 'keytool', join(FAKE_BIN, 'keytool'), vars);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(bin, { recursive: true, force: true });
  });

  const rows: Array<{
    name: string;
    args: string[];
    /** Given the directory of the stand-in keytool. */
    env?: (bin: string) => Record<string, string>;
    exitCode: number;
    kind: string;
    message: RegExp;
  }> = [
    {
      name: 'an option commander does not know',
      args: ['generate', '--bogus'],
      exitCode: 2,
      kind: 'usage',
      message: /^unknown option '--bogus'$/,
    },
    {
      name: 'a value that breaks a rule',
      args: ['generate', '--brokers', '0'],
      exitCode: 2,
      kind: 'usage',
      message: /^--brokers: must be a whole number from 1 to 999, got "0"$/,
    },
    {
      name: 'a bad argument of verify',
      args: ['verify', 'nowhere'],
      exitCode: 2,
      kind: 'usage',
      message: /^\[dir\]: must be a directory/,
    },
    {
      name: 'a missing tool',
      args: ['generate', '--openssl', '/nonexistent/openssl'],
      exitCode: 1,
      kind: 'tool-missing',
      message: /^openssl not found: \/nonexistent\/openssl is not an executable file$/,
    },
    {
      name: 'a step that fails',
      args: ['generate', '--brokers', '1', '--keytool-jvm', 'per-step'],
      env: (b) => ({ PATH: `${b}:${process.env.PATH}` }),
      exitCode: 1,
      kind: 'exit-code',
      message: /^step \S+\.import failed: keytool exited with code 1$/,
    },
  ];

  test.each(rows.map((r) => [r.name, r] as const))('%s', async (_n, row) => {
    const before = await snapshot(dir);
    const r = await runCli([...row.args, '--json'], {
      cwd: dir,
      env: { ...ENV, ...row.env?.(bin) },
    });
    expect(r.exitCode).toBe(row.exitCode);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      exitCode: number;
      failure: { kind: string; message: string };
    };
    expect(report).toMatchObject({ ok: false, exitCode: row.exitCode, failure: { kind: row.kind } });
    expect(report.failure.message).toMatch(row.message);
    expect(r.stdout + r.stderr).not.toContain(PW);
    expect(await snapshot(dir)).toEqual(before);
  });

  withMount('the output cannot be swapped in (--out is a mount point): the same shape, exit 1', async () => {
    const mnt = join(dir, 'mnt');
    await mkdir(mnt);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    try {
      const r = await runCli(['generate', '--brokers', '1', '--out', 'mnt', '--json'], { cwd: dir, env: ENV });
      expect(r.exitCode).toBe(1);
      const report = JSON.parse(r.stdout);
      expect(report).toMatchObject({ ok: false, exitCode: 1, failure: { kind: 'output' } });
      expect(report.failure.message).toMatch(/mnt aside to .*EBUSY/);
      expect(report.failure.hint).toMatch(/is a mount point/);
      expect(r.stdout).not.toContain(PW);
    } finally {
      await execa('umount', [mnt]);
      await rm(mnt, { recursive: true, force: true });
      for (const f of await readdir(dir))
        if (f.startsWith('.mnt.kafka-mtls-work')) await rm(join(dir, f), { recursive: true, force: true });
    }
  });

  test('cancelled (SIGINT during the run): the same shape, exit 130', async () => {
    const child = execa(
      process.execPath,
      [join(import.meta.dirname, '../../dist/cli.js'), 'generate', '--brokers', '3', '--json'],
      { cwd: dir, env: { ...ENV, NO_COLOR: '1' }, reject: false },
    );
    // Interrupted once the run is under way: its work directory exists.
    while (!(await readdir(dir)).some((f) => f.includes('kafka-mtls-work')))
      await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(JSON.parse(String(r.stdout))).toMatchObject({
      ok: false,
      exitCode: 130,
      failure: { kind: 'cancelled', message: 'cancelled: nothing was changed' },
      target: join(dir, 'certs'),
    });
    expect(await snapshot(dir)).toEqual({});
  });
});

describe('a missing tool', () => {
  test('is named once, with what to do once', async () => {
    const dir = await tempDir();
    const r = await runCli(['generate', '--keytool', 'no-such-keytool'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      'error: keytool not found: no-such-keytool is not on PATH',
      'hint: install a JDK, which ships keytool (Debian: apt-get install openjdk-17-jdk-headless), or pass --keytool PATH',
    ]);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('--version', () => {
  test("is the package's own version, whatever npm_package_version says", async () => {
    const dir = await tempDir();
    const pkg = JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    const r = await runCli(['--version'], { cwd: dir, env: { npm_package_version: '9.9.9-another-project' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('a step that times out', () => {
  test('is reported as timed out, with the time-out hint', async () => {
    const dir = await tempDir();
    // An openssl that never answers: a real process, killed by the runner's real time-out.
    const slow = join(dir, 'slow-openssl');
    await writeFile(slow, '#!/bin/sh\nexec sleep 30\n');
    await chmod(slow, 0o755);
    const result = await runPlan(
      {
        steps: [
          {
            id: 'ca.create',
            role: 'ca',
            title: 'Create the CA',
            action: { kind: 'exec', tool: 'openssl', args: ['version'] },
            reads: [],
            writes: [],
          },
        ],
        outputs: [],
        scratch: [],
      },
      {
        workDir: dir,
        tools: { openssl: slow, keytool: 'keytool' },
        secrets: { KAFKA_MTLS_STORE_PASSWORD: new Secret('store password', PW) },
        concurrency: 1,
        timeoutMs: 500,
      },
    );
    expect(result.failure).toMatchObject({ kind: 'timed-out', reason: 'timed out after 1 s', hint: TIMEOUT_HINT });
    const shown = formatFailure(makeChalk({ NO_COLOR: '1' }, false), result.failure!, { target: dir });
    expect(shown).toContain(`hint:      ${TIMEOUT_HINT}`);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('the drop-in compose output', () => {
  test("mounts each broker's own stores and credentials files, read-only, by absolute paths, never ca.key", async () => {
    const dir = await tempDir();
    const r = await runCli(['generate', '--brokers', '2', '--emit', 'compose'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    const compose = parseYaml(await readFile(join(dir, 'certs', 'docker-compose.mtls.yml'), 'utf8')) as {
      services: Record<
        string,
        { volumes: Array<{ type: string; source: string; target: string; read_only: boolean }> }
      >;
    };
    expect(Object.keys(compose.services)).toEqual(['mtls-kafka-0', 'mtls-kafka-1']);
    const certs = join(dir, 'certs');
    for (const [name, svc] of Object.entries(compose.services)) {
      const sources = svc.volumes.map((v) => v.source);
      expect(sources.sort()).toEqual(
        [
          `${name}.keystore.jks`,
          `${name}_keystore_creds`,
          `${name}_sslkey_creds`,
          `${name}_truststore_creds`,
          'kafka.server.truststore.jks',
        ]
          .map((f) => join(certs, f))
          .sort(),
      );
      expect(svc.volumes.every((v) => v.type === 'bind' && v.read_only)).toBe(true);
      // Each mounted file exists where compose looks for it, wherever the compose file is.
      for (const s of sources) await expect(readFile(s)).resolves.toBeDefined();
    }
    expect(JSON.stringify(compose)).not.toContain('ca.key');
    await rm(dir, { recursive: true, force: true });
  });
});
