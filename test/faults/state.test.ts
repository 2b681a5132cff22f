import { cp, mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, snapshot, tempDir } from '../helpers/cli.js';

/**
 * kafka-mtls.json is input: a hand-edited or damaged state file is refused
 * with exit 2 naming the field, by every command that reads it, before
 * anything is touched, inside the directory or outside it (a victim file
 * sits next to the directory, where a traversal alias points).
 */
const PW = 'State-Secret-Pw9';
const ENV = { PASSWORD: PW };
let work: string;
let pristine: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- hand-edited state files of any shape
type Json = Record<string, any>;

beforeAll(async () => {
  work = await tempDir('kmtls-state-');
  const r = await runCli(['generate', '--out', 'pristine', '--brokers', '1'], { cwd: work, env: ENV });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  pristine = join(work, 'pristine');
}, 120_000);
afterAll(() => rm(work, { recursive: true, force: true }));

/** A fresh case directory: <case>/certs (a copy of the generated one, its state edited) and <case>/victim.keystore.jks. */
async function caseDir(name: string, edit: (s: Json) => Json | string): Promise<{ root: string; certs: string }> {
  const root = join(work, name);
  const certs = join(root, 'certs');
  await mkdir(root);
  await cp(pristine, certs, { recursive: true });
  await writeFile(join(root, 'victim.keystore.jks'), 'not yours to touch\n');
  const state = JSON.parse(await readFile(join(certs, 'kafka-mtls.json'), 'utf8')) as Json;
  const out = edit(state);
  await writeFile(join(certs, 'kafka-mtls.json'), typeof out === 'string' ? out : JSON.stringify(out, null, 2));
  return { root, certs };
}

const set = (f: (s: Json) => void) => (s: Json) => (f(s), s);

interface Row {
  readonly name: string;
  readonly edit: (s: Json) => Json | string;
  /** The sentence after "<dir>/kafka-mtls.json: ". */
  readonly says: RegExp;
}

const ROWS: Row[] = [
  {
    name: 'a traversal alias',
    edit: set((s) => (s.identities[1].alias = 'x/../../victim')),
    says: /identities\[1\]\.alias: must be a file-name stem \(letters, digits, \. _ -; not starting with \. or -; no \.\.\), got "x\/\.\.\/\.\.\/victim"/,
  },
  {
    name: 'an absolute path as alias',
    edit: set((s) => (s.identities[0].alias = '/tmp/victim')),
    says: /identities\[0\]\.alias: must be a file-name stem .*got "\/tmp\/victim"/,
  },
  {
    name: 'an alias of ..',
    edit: set((s) => (s.identities[0].alias = '..')),
    says: /identities\[0\]\.alias: must be a file-name stem .*got "\.\."/,
  },
  {
    name: 'a traversal in the id that names ext<i>.cnf',
    edit: set((s) => (s.identities[0].id = 'broker-../../victim')),
    says: /identities\[0\]\.id: must be broker-<n> for a broker, got "broker-\.\.\/\.\.\/victim"/,
  },
  {
    name: 'a SAN that would add a line to an openssl config',
    edit: set((s) => (s.identities[0].sans[0].value = 'ok.example.com\nDNS.99 = evil.example.com')),
    says: /identities\[0\]\.sans\[0\]\.value: must be a DNS name/,
  },
  {
    name: 'a wrong type: identities as a mapping',
    edit: set((s) => (s.identities = {})),
    says: /identities: must be a list/,
  },
  {
    name: 'a wrong type: generatedPasswords as a string',
    edit: set((s) => (s.generatedPasswords = 'yes')),
    says: /generatedPasswords: must be true or false, got "yes"/,
  },
  {
    name: 'an unknown layout',
    edit: set((s) => (s.layout = 'flat')),
    says: /layout: must be one of dropin, confluent, got "flat"/,
  },
  {
    name: 'an unknown store type',
    edit: set((s) => (s.storeType = 'jceks')),
    says: /storeType: must be one of auto, jks, pkcs12, got "jceks"/,
  },
  {
    name: 'an unknown rotation phase',
    edit: set((s) => (s.rotation = { phase: 'halfway', previousCa: s.ca, nextCa: s.ca })),
    says: /rotation\.phase: must be a rotate-ca phase this kafka-mtls records \(started, reissued\), got "halfway"/,
  },
  {
    name: 'an unknown version',
    edit: set((s) => (s.version = 7)),
    says: /version: must be a state file version this kafka-mtls reads \(1\), got 7/,
  },
  {
    name: "another tool's JSON",
    edit: () => ({ name: 'my-app', version: '1.0.0' }),
    says: /tool: must be "kafka-mtls": this is not a kafka-mtls state file/,
  },
  { name: 'an unknown field', edit: set((s) => (s.hooks = ['rm -rf /'])), says: /hooks: is not a known field/ },
  {
    name: 'a cert record for an identity it does not list',
    edit: set((s) => (s.certs.ghost = s.certs['mtls-kafka-0'])),
    says: /certs\.ghost: is not the alias of an identity the file lists/,
  },
  { name: 'bad JSON', edit: (s) => JSON.stringify(s).slice(0, 200), says: /is not valid JSON/ },
  { name: 'an empty file', edit: () => '', says: /is not valid JSON/ },
  { name: 'JSON that is a list', edit: () => '[]', says: /\(top level\): must be a JSON object/ },
];

const run = async (name: string, row: Row, args: string[]) => {
  const { root, certs } = await caseDir(`${args[0]}-${name.replace(/\W+/g, '-')}`, row.edit);
  const before = await snapshot(root);
  const r = await runCli(args, { cwd: root, env: ENV });
  expect(r.stderr).toMatch(new RegExp(`^error: ${certs}/kafka-mtls\\.json: ${row.says.source}`, 'm'));
  expect(r.exitCode).toBe(2);
  expect(r.stdout + r.stderr).not.toContain(PW);
  expect(await snapshot(root)).toEqual(before);
};

// apply --prune deletes what the state lists: every row is tried on it.
describe('apply --prune refuses a bad state file (exit 2, the field named, nothing touched)', () => {
  test.each(ROWS.map((r) => [r.name, r] as const))('%s', (name, row) =>
    run(name, row, ['apply', '--out', 'certs', '--brokers', '1', '--prune']),
  );
});

// The other readers share the one reader; a few rows show each of them refusing.
const SOME = ROWS.filter((r) => /traversal alias|unknown layout|unknown rotation|bad JSON/.test(r.name));
describe.each([
  ['plan', ['plan', '--out', 'certs', '--brokers', '1']],
  ['verify', ['verify', 'certs']],
  ['rotate-ca reissue', ['rotate-ca', 'reissue', '--out', 'certs']],
])('%s refuses a bad state file', (_command, args) => {
  test.each(SOME.map((r) => [r.name, r] as const))('%s', (name, row) => run(name, row, args as string[]));
});

describe('a state file that is not a small regular file', () => {
  test('a huge one is refused by its size, before it is read', async () => {
    const { root, certs } = await caseDir('huge', (s) => s);
    await truncate(join(certs, 'kafka-mtls.json'), 17 * 1024 * 1024);
    const before = await snapshot(root);
    const r = await runCli(['plan', '--out', 'certs', '--brokers', '1'], { cwd: root, env: ENV });
    expect(r.stderr).toContain(
      `error: ${certs}/kafka-mtls.json: must be at most 16 MiB (a state file); ${certs}/kafka-mtls.json is larger`,
    );
    expect(r.exitCode).toBe(2);
    expect(await snapshot(root)).toEqual(before);
  });

  test('a directory in its place is refused', async () => {
    const { root, certs } = await caseDir('a-directory', (s) => s);
    await rm(join(certs, 'kafka-mtls.json'));
    await mkdir(join(certs, 'kafka-mtls.json'));
    const r = await runCli(['verify', 'certs'], { cwd: root, env: ENV });
    expect(r.stderr).toContain(`error: ${certs}/kafka-mtls.json: must be a regular file`);
    expect(r.exitCode).toBe(2);
  });
});

test('the pristine state file passes: plan keeps everything (the checks accept what generate writes)', async () => {
  const r = await runCli(['plan', '--out', 'pristine', '--brokers', '1'], { cwd: work, env: ENV });
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
});

/**
 * The directory against its state file: a file a listed identity needs that is
 * gone or damaged is a verify failure naming it, a change in plan (exit 10),
 * and apply makes it again with the same CA, after which verify passes and
 * plan has nothing to do. What apply does not need to touch stays byte-identical.
 */
interface Loss {
  readonly name: string;
  readonly layout: 'dropin' | 'confluent';
  readonly file: string;
  readonly damage: (path: string) => Promise<void>;
  /** The FAIL line's check and message, after the file's name. */
  readonly verifySays: RegExp;
  /** plan's line for the change. */
  readonly planSays: RegExp;
  /** Files apply must leave byte-identical. */
  readonly untouched: readonly string[];
}

const gone = (p: string) => rm(p);
const garbled = (p: string) => writeFile(p, 'this is not a store\n');
const halved = async (p: string) => truncate(p, Math.floor((await readFile(p)).length / 2));

const LOSSES: Loss[] = [
  {
    name: 'a deleted keystore',
    layout: 'dropin',
    file: 'mtls-kafka-0.keystore.jks',
    damage: gone,
    verifySays:
      /present: mtls-kafka-0's keystore, listed in kafka-mtls\.json, is missing: kafka-mtls apply makes it again$/,
    planSays: /~ reissue mtls-kafka-0 +mtls-kafka-0\.keystore\.jks missing$/m,
    untouched: [
      'ca.crt',
      'ca.key',
      'mtls-kafka-client.keystore.jks',
      'kafka.server.truststore.jks',
      'kafka.client.truststore.jks',
    ],
  },
  {
    name: 'a deleted truststore',
    layout: 'dropin',
    file: 'kafka.server.truststore.jks',
    damage: gone,
    verifySays: /present: the brokers' truststore, listed in kafka-mtls\.json, is missing/,
    planSays: /\* recreate kafka\.server\.truststore\.jks +missing$/m,
    untouched: [
      'ca.crt',
      'ca.key',
      'mtls-kafka-0.keystore.jks',
      'mtls-kafka-client.keystore.jks',
      'ca-signed-mtls-kafka-0',
      'kafka.client.truststore.jks',
    ],
  },
  {
    name: 'a truststore overwritten with text',
    layout: 'dropin',
    file: 'kafka.client.truststore.jks',
    damage: garbled,
    verifySays:
      /present: the clients' truststore, listed in kafka-mtls\.json, is unreadable \(neither a JKS nor a PKCS12 store\)/,
    planSays: /\* recreate kafka\.client\.truststore\.jks +unreadable \(neither a JKS nor a PKCS12 store\)$/m,
    untouched: [
      'ca.crt',
      'ca.key',
      'mtls-kafka-0.keystore.jks',
      'mtls-kafka-client.keystore.jks',
      'kafka.server.truststore.jks',
    ],
  },
  {
    name: 'a truncated certificate',
    layout: 'dropin',
    file: 'ca-signed-mtls-kafka-client',
    damage: halved,
    verifySays:
      /present: mtls-kafka-client's certificate, listed in kafka-mtls\.json, is unreadable \(not a PEM certificate\)/,
    planSays: /~ reissue mtls-kafka-client +ca-signed-mtls-kafka-client unreadable \(not a PEM certificate\)/m,
    untouched: [
      'ca.crt',
      'ca.key',
      'mtls-kafka-0.keystore.jks',
      'kafka.server.truststore.jks',
      'kafka.client.truststore.jks',
    ],
  },
  {
    name: 'a deleted private key (confluent layout)',
    layout: 'confluent',
    file: 'mtls-kafka-0-creds/mtls-kafka-0.key',
    damage: gone,
    verifySays: /present: mtls-kafka-0's private key, listed in kafka-mtls\.json, is missing/,
    planSays: /~ reissue mtls-kafka-0 +mtls-kafka-0-creds\/mtls-kafka-0\.key missing$/m,
    untouched: ['ca.crt', 'ca.key', 'mtls-kafka-client-creds/kafka.mtls-kafka-client.keystore.pkcs12'],
  },
];

describe('a listed file that is missing or unreadable', () => {
  let confluent: string;
  beforeAll(async () => {
    const r = await runCli(['generate', '--out', 'confluent', '--layout', 'confluent', '--brokers', '1'], {
      cwd: work,
      env: ENV,
    });
    if (r.exitCode !== 0) throw new Error(r.stderr);
    confluent = join(work, 'confluent');
  }, 120_000);

  test.each(LOSSES.map((l) => [l.name, l] as const))(
    '%s: verify fails naming it, plan reissues, apply restores it',
    async (name, loss) => {
      const root = join(work, `loss-${name.replace(/\W+/g, '-')}`);
      const certs = join(root, 'certs');
      await mkdir(root);
      await cp(loss.layout === 'dropin' ? pristine : confluent, certs, { recursive: true });
      await loss.damage(join(certs, loss.file));
      const cli = (...args: string[]) => runCli(args, { cwd: root, env: ENV });
      const shape = ['--out', 'certs', '--brokers', '1'];

      const v = await cli('verify', 'certs');
      expect(v.exitCode).toBe(1);
      const fails = v.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
      expect(fails[0]).toMatch(new RegExp(`^FAIL +${loss.file.replace(/\./g, '\\.')} +${loss.verifySays.source}`));

      const before = await snapshot(certs);
      const plan = await cli('plan', ...shape);
      expect(plan.stdout).toMatch(loss.planSays);
      expect(plan.exitCode).toBe(10);
      expect(await snapshot(certs)).toEqual(before);

      const apply = await cli('apply', ...shape);
      expect(apply.stderr).toBe('');
      expect(apply.exitCode).toBe(0);
      expect(apply.stdout + apply.stderr).not.toContain(PW);
      const after = await snapshot(certs);
      for (const f of loss.untouched) expect([f, after[f]]).toEqual([f, before[f]]);
      expect(after[loss.file]).toBeDefined();
      expect(after[loss.file]).not.toEqual(before[loss.file]);

      const again = await cli('verify', 'certs');
      expect(again.stdout.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([]);
      expect(again.exitCode).toBe(0);
      expect((await cli('plan', ...shape)).exitCode).toBe(0);
    },
    240_000,
  );
});

describe("the CA's files, which apply cannot make again", () => {
  const damaged = async (name: string, file: string) => {
    const root = join(work, `ca-${name}`);
    await mkdir(root);
    await cp(pristine, join(root, 'certs'), { recursive: true });
    await rm(join(root, 'certs', file));
    return root;
  };

  test('a deleted ca.crt: verify fails naming it, plan refuses (exit 2) and touches nothing', async () => {
    const root = await damaged('crt', 'ca.crt');
    const v = await runCli(['verify', 'certs'], { cwd: root, env: ENV });
    expect(v.stdout).toMatch(/^FAIL +ca\.crt +present: the CA certificate is missing: restore it from a backup/m);
    expect(v.exitCode).toBe(1);
    const before = await snapshot(root);
    const plan = await runCli(['plan', '--out', 'certs', '--brokers', '1'], { cwd: root, env: ENV });
    expect(plan.stderr).toContain('ca.crt is missing or unreadable: there is no CA to sign with');
    expect(plan.exitCode).toBe(2);
    expect(await snapshot(root)).toEqual(before);
  });

  test('a deleted ca.key: verify warns (the brokers do not need it) and passes', async () => {
    const root = await damaged('key', 'ca.key');
    const v = await runCli(['verify', 'certs'], { cwd: root, env: ENV });
    expect(v.stdout).toMatch(
      /^WARN +ca\.key +present: the CA's private key is missing: plan, apply and rotate-ca cannot sign until it is back/m,
    );
    expect(v.stdout).not.toMatch(/^FAIL/m);
    expect(v.exitCode).toBe(0);
  });
});
