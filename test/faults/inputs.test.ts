import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { cp, lstat, mkdir, readdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';

/**
 * Every file kafka-mtls reads from a user is a regular file read up to a cap
 * (src/pki/read-file.ts): a FIFO, a device, a directory, a file over the
 * cap or a missing one is exit 2 naming the option, at once, with nothing
 * touched. Config files are bounded in aliases and broker count. keytool
 * speaks English whatever the JVM option variables say.
 */

const PW = 'Inputs-Secret-Pw-7';
const ENV = { PASSWORD: PW };
let root: string;
/** The bad inputs live here, apart from the directories whose bytes are compared. */
let bad: string;
/** A directory made by generate: what verify and inspect read. */
let made: string;

/** Like snapshot(), but a FIFO or device is named, never opened, and a huge file is named by its size. */
async function fingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      const st = await lstat(p);
      if (st.isDirectory()) await walk(p, r);
      // The sparse 2 GiB file is named by its size: hashing it would read 2 GiB of zeros.
      else if (st.isFile() && st.size > 64 * 1024 ** 2) out[r] = `${(st.mode & 0o777).toString(8)} ${st.size} bytes`;
      else if (st.isFile())
        out[r] = `${(st.mode & 0o777).toString(8)} ${createHash('sha256')
          .update(await readFile(p))
          .digest('hex')}`;
      else out[r] = `${st.mode.toString(8)} special`;
    }
  };
  await walk(dir, '');
  return out;
}

beforeAll(async () => {
  root = await tempDir('kmtls-inputs-');
  bad = join(root, 'bad');
  await mkdir(join(bad, 'adir'), { recursive: true });
  await execa('mkfifo', [join(bad, 'fifo')]);
  // Sparse: 2 GiB of nothing, over every cap, costing no disk.
  await writeFile(join(bad, 'huge'), '');
  await truncate(join(bad, 'huge'), 2 * 1024 ** 3);
  await writeFile(join(bad, 'pw'), `${PW}\n`);
  await symlink(join(bad, 'pw'), join(bad, 'pw-link'));
  await writeFile(join(bad, 'cluster.yaml'), 'statefulSet:\n  replicas: 1\n');
  await symlink(join(bad, 'cluster.yaml'), join(bad, 'cluster-link.yaml'));
  const o = (args: string[]) => execa('openssl', args, { cwd: bad });
  await o([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-noenc',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '3650',
    '-subj',
    '/CN=Inputs CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await symlink(join(bad, 'ca.crt'), join(bad, 'ca-link.crt'));
  made = join(root, 'made');
  const r = await runCli(['generate', '--brokers', '1', '--out', made], { cwd: root, env: ENV });
  expect(r.exitCode).toBe(0);
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Each realistic wrong file, and the rule the user reads. */
const BAD_FILES: ReadonlyArray<[string, () => string, RegExp]> = [
  ['a FIFO', () => join(bad, 'fifo'), /must be a regular file; \S+ is a FIFO \(named pipe\)/],
  ['/dev/zero', () => '/dev/zero', /must be a regular file; \/dev\/zero is a character device/],
  ['a directory', () => join(bad, 'adir'), /must be a regular file; \S+ is a directory/],
  ['a 2 GiB sparse file', () => join(bad, 'huge'), /must be at most \d+ [KM]iB \([^)]+\); \S+ is larger/],
  ['a missing file', () => join(bad, 'nope'), /must be a readable file; \S+ does not exist/],
];

/** Where each command reads a user's file, and the option its errors name. */
const READERS: ReadonlyArray<[string, string, (f: string) => string[]]> = [
  ['generate', '--password-file', (f) => ['generate', '--password-file', f]],
  ['generate', '--config', (f) => ['generate', '--config', f]],
  ['generate', '--ca-cert', (f) => ['generate', '--ca-cert', f, '--ca-key', join(bad, 'ca.key')]],
  ['generate', '--ca-key', (f) => ['generate', '--ca-cert', join(bad, 'ca.crt'), '--ca-key', f]],
  [
    'generate',
    '--ca-key-password-file',
    (f) => ['generate', '--ca-cert', join(bad, 'ca.crt'), '--ca-key', join(bad, 'ca.key'), '--ca-key-password-file', f],
  ],
  ['inspect', '<file>', (f) => ['inspect', f]],
  ['probe', '--ca', (f) => ['probe', '127.0.0.1:1', '--ca', f]],
  ['probe', '--client', (f) => ['probe', '127.0.0.1:1', '--client', f]],
  ['verify', '--password-file', (f) => ['verify', made, '--password-file', f]],
];

// inspect reports a missing file among its files as unreadable, exit 1 (test/faults/answers.test.ts).
const ROWS = READERS.flatMap(([cmd, option, args]) =>
  BAD_FILES.filter(([what]) => cmd !== 'inspect' || what !== 'a missing file').map(
    ([what, file, rule]) => [cmd, option, what, args, file, rule] as const,
  ),
);

describe.each(ROWS)('%s %s given %s', (_cmd, option, _what, args, file, rule) => {
  test('is refused at once with exit 2, naming the option and the rule; nothing is touched', async () => {
    const work = join(root, 'work');
    await mkdir(work, { recursive: true });
    await writeFile(join(work, 'keep.txt'), 'untouched\n');
    const before = await fingerprint(root);
    const started = Date.now();
    const r = await runCli(
      [...args(file()), ...(args(file())[0] === 'generate' ? ['--out', join(work, 'certs')] : [])],
      { cwd: work, env: ENV },
    );
    expect(r.stderr).toMatch(new RegExp(`^error: ${option.replace(/[-[\]<>]/g, '\\$&')}: ${rule.source}`));
    expect(r.exitCode).toBe(2);
    // A FIFO must not keep it waiting: node's start-up is most of this, on a busy machine.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.stdout + r.stderr).not.toContain(PW);
    expect(await fingerprint(root)).toEqual(before);
  });
});

describe('a link to a regular file is read as the file', () => {
  test.each([
    ['--password-file', () => ['generate', '--dry-run', '--password-file', join(bad, 'pw-link')], 0],
    ['--config', () => ['generate', '--dry-run', '--config', join(bad, 'cluster-link.yaml')], 0],
    [
      '--ca-cert',
      () => ['generate', '--dry-run', '--ca-cert', join(bad, 'ca-link.crt'), '--ca-key', join(bad, 'ca.key')],
      0,
    ],
    ['inspect', () => ['inspect', join(bad, 'ca-link.crt')], 0],
    // Read, then refused a connection on port 1: exit 1, not 2.
    ['probe --ca', () => ['probe', '127.0.0.1:1', '--ca', join(bad, 'ca-link.crt'), '--timeout', '5'], 1],
  ])('%s', async (_what, args, code) => {
    const r = await runCli(args(), { cwd: root, env: ENV });
    expect(r.stderr).not.toMatch(/^error:/m);
    expect(r.exitCode).toBe(code);
  });
});

describe('verify reads only regular files from the directory', () => {
  const cases: ReadonlyArray<[string, string, (p: string) => Promise<void>, RegExp]> = [
    [
      'a keystore that is a FIFO',
      'x.keystore.jks',
      (p) => execa('mkfifo', [p]).then(() => undefined),
      /^error: \[dir\]: must be a regular file; \S+x\.keystore\.jks is a FIFO/,
    ],
    [
      'a keystore linked to /dev/zero',
      'x.keystore.jks',
      (p) => symlink('/dev/zero', p),
      /^error: \[dir\]: must be a regular file; \S+ is a character device/,
    ],
    [
      'a truststore over the cap',
      'x.truststore.jks',
      (p) => writeFile(p, '').then(() => truncate(p, 17 * 1024 ** 2)),
      /^error: \[dir\]: must be at most 16 MiB \(a keystore or truststore\)/,
    ],
    [
      'kafka-mtls.json that is a FIFO',
      'kafka-mtls.json',
      (p) =>
        rm(p)
          .then(() => execa('mkfifo', [p]))
          .then(() => undefined),
      /^error: \S+\/kafka-mtls\.json: must be a regular file; \S+ is a FIFO/,
    ],
    [
      'kafka-mtls.json over the cap',
      'kafka-mtls.json',
      (p) => truncate(p, 17 * 1024 ** 2),
      /^error: \S+\/kafka-mtls\.json: must be at most 16 MiB \(a state file\)/,
    ],
  ];
  test.each(cases)('%s: exit 2 at once, nothing touched', async (_what, name, make, rule) => {
    const dir = join(root, `verify-${name}-${Date.now()}`);
    await cp(made, dir, { recursive: true });
    await make(join(dir, name));
    const before = await fingerprint(dir);
    const started = Date.now();
    const r = await runCli(['verify', dir], { cwd: root, env: ENV });
    expect(r.stderr).toMatch(rule);
    expect(r.exitCode).toBe(2);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await fingerprint(dir)).toEqual(before);
  });
});

describe('config files are bounded before anything is built from them', () => {
  const bomb = [
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`),
  ].join('\n');
  const brokers = (n: number) =>
    'brokers:\n' + Array.from({ length: n }, (_, i) => `  b${i}: [h${i}.example.com]\n`).join('');
  const cases: ReadonlyArray<[string, () => string, RegExp, number]> = [
    [
      'a YAML alias bomb',
      () => bomb,
      /^error: --config \S+: cannot be expanded: .*at most 100 alias expansions/,
      15_000,
    ],
    [
      '200,000 brokers',
      () => brokers(200_000),
      /^error: --config: must be at most 256 KiB \(a config file\); \S+ is larger/,
      15_000,
    ],
    [
      '5,000 brokers, within the size cap',
      () => brokers(5_000),
      /^error: --config \S+: brokers: must name at most 999 brokers \(the cap of --brokers\); it names 5000/,
      60_000,
    ],
    [
      '1,000 clients',
      () => 'statefulSet: {replicas: 1}\nclients:\n' + Array.from({ length: 1000 }, (_, i) => `  - c${i}\n`).join(''),
      /^error: --config \S+: clients: must name at most 999 clients/,
      30_000,
    ],
    [
      'a key twice',
      () => 'brokers:\n  a: [x.example.com]\n  a: [y.example.com]\n',
      /^error: --config \S+: is not valid YAML or JSON at line 3, column 3: the key "a" appears twice/,
      15_000,
    ],
    [
      'a broken flow sequence',
      () => 'brokers:\n  a: [x\n',
      /^error: --config \S+: is not valid YAML or JSON at line \d+, column \d+: /,
      15_000,
    ],
    [
      'broken JSON',
      () => '{"brokers": {"a": ["x"]}',
      /^error: --config \S+: is not valid YAML or JSON at line 1, column \d+: /,
      15_000,
    ],
  ];
  test.each(cases)('%s: exit 2, fast, naming the file', async (what, text, rule, ms) => {
    const work = await tempDir('kmtls-config-');
    const file = join(work, 'cluster.yaml');
    await writeFile(file, text());
    const started = Date.now();
    const r = await runCli(['generate', '--config', file, '--out', join(work, 'certs')], { cwd: work, env: ENV });
    expect(r.stderr).toMatch(rule);
    expect(r.stderr).not.toMatch(/bug:|at .*\.js:\d+/);
    expect(r.exitCode).toBe(2);
    expect(Date.now() - started).toBeLessThan(ms);
    expect(await readdir(work)).toEqual(['cluster.yaml']);
    await rm(work, { recursive: true, force: true });
    void what;
  });
});

describe('keytool speaks English whatever the JVM option variables and the locale say', () => {
  // Each row: the variables a user may have set, the keytool mode, the store type; both languages, both modes, both types.
  const rows: ReadonlyArray<[string, 'shared' | 'per-step', 'jks' | 'pkcs12', Record<string, string>]> = [
    ['_JAVA_OPTIONS in Korean', 'shared', 'jks', { _JAVA_OPTIONS: '-Duser.language=ko -Duser.country=KR' }],
    [
      '_JAVA_OPTIONS in Japanese with LANG=ja_JP.UTF-8',
      'per-step',
      'jks',
      { _JAVA_OPTIONS: '-Xmx256m -Duser.language=ja', LANG: 'ja_JP.UTF-8' },
    ],
    ['JAVA_TOOL_OPTIONS in Korean', 'per-step', 'pkcs12', { JAVA_TOOL_OPTIONS: '-Duser.language=ko' }],
    [
      'JDK_JAVA_OPTIONS and _JAVA_OPTIONS in Japanese, LC_ALL=ja_JP.UTF-8',
      'shared',
      'pkcs12',
      { JDK_JAVA_OPTIONS: '-Duser.language=ja', _JAVA_OPTIONS: '-Duser.language=ja', LC_ALL: 'ja_JP.UTF-8' },
    ],
  ];
  test.each(rows)(
    '%s, --keytool-jvm %s, %s: generate, verify and inspect are right',
    async (_what, jvm, type, langEnv) => {
      const work = await tempDir('kmtls-lang-');
      const env = { ...ENV, ...langEnv };
      try {
        const g = await runCli(
          ['generate', '--brokers', '1', '--store-type', type, '--keytool-jvm', jvm, '--out', join(work, 'certs')],
          { cwd: work, env },
        );
        expect(g.stderr).toBe('');
        expect(g.exitCode).toBe(0);
        if (jvm === 'shared') expect(g.stdout).not.toMatch(/keytool ran one JVM per step/);
        const v = await runCli(['verify', join(work, 'certs')], { cwd: work, env });
        expect(v.stdout).toMatch(/ 0 failed$/m);
        expect(v.stdout).toMatch(/mtls-kafka-0\.keystore\.jks/);
        expect(v.exitCode).toBe(0);
        const i = await runCli(['inspect', join(work, 'certs/mtls-kafka-0.keystore.jks')], { cwd: work, env });
        expect(i.stdout).toMatch(
          new RegExp(`^mtls-kafka-0\\.keystore\\.jks: ${type.toUpperCase()} store, 2 entries$`, 'm'),
        );
        expect(i.exitCode).toBe(0);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    300_000,
  );

  test('--keytool /bin/false in the shared mode is not replaced by the JDK beside it: the first keytool step fails', async () => {
    const work = await tempDir('kmtls-false-');
    try {
      const r = await runCli(
        [
          'generate',
          '--brokers',
          '1',
          '--keytool',
          '/bin/false',
          '--keytool-jvm',
          'shared',
          '--out',
          join(work, 'certs'),
        ],
        { cwd: work, env: ENV },
      );
      expect(r.stderr).toMatch(/^✗ step stores\.trust-base failed: keytool exited with code 1$/m);
      expect(r.stderr).toMatch(/command: +\/bin\/false /);
      expect(r.stdout + r.stderr).not.toContain(PW);
      expect(r.exitCode).toBe(1);
      expect(await readdir(work)).toEqual([]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 300_000);
});
