import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeStatefulSet, type Cluster } from '../../src/model/cluster.js';
import { buildConfluentPlan } from '../../src/plans/confluent.js';
import { buildDropInPlan } from '../../src/plans/dropin.js';
import type { Plan } from '../../src/runner/step.js';
import { OPENSSL_OPTIONS_USED, unlistedOptions } from '../../src/steps/openssl-options.js';
import { classifyOpensslVersion } from '../../src/runner/tools.js';
import { ROOT } from '../helpers/cli.js';
import { SCRIPT_PARAMS } from '../helpers/script-params.js';

/** OpenSSL 1.1.1's option lists, from its manual pages (the fixture cites them). */
const MAN_1_1_1 = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/openssl-1.1.1/options.json'), 'utf8')) as {
  commands: Record<string, string[]>;
  digests: Record<string, string[]>;
};
const WRAPPER = join(ROOT, 'test/fixtures/openssl-1.1.1/openssl');

const script = describeStatefulSet(SCRIPT_PARAMS);
const ownCa: Cluster = {
  ...script,
  ca: {
    ...script.ca,
    external: {
      cert: '/ca/ca.crt',
      key: '/ca/ca.key',
      chain: '/ca/root.crt',
      certPem: '',
      chainPems: ['x'],
      subject: 'CN=Own CA',
      keyEncrypted: true,
    },
  },
};
const PLANS: Array<[string, Plan]> = [
  ['drop-in', buildDropInPlan(script)],
  ['drop-in, PKCS12 stores', buildDropInPlan({ ...script, storeType: 'pkcs12' })],
  ['confluent', buildConfluentPlan(script)],
  ['drop-in, an encrypted CA key of your own with a chain', buildDropInPlan(ownCa)],
  ['confluent, an encrypted CA key of your own with a chain', buildConfluentPlan(ownCa)],
];

describe('the openssl options kafka-mtls uses', () => {
  test.each(Object.entries(OPENSSL_OPTIONS_USED))(
    'openssl %s: every option is in the 1.1.1 manual page',
    (command, used) => {
      const known = [...(MAN_1_1_1.commands[command] ?? []), ...(MAN_1_1_1.digests[command] ?? [])];
      expect(MAN_1_1_1.commands[command]).toBeDefined();
      expect(used.filter((o) => !known.includes(o))).toEqual([]);
    },
  );

  test('options OpenSSL 3 added are not in the 1.1.1 lists (the lists can say no)', () => {
    expect(MAN_1_1_1.commands.req).not.toContain('-noenc');
    expect(MAN_1_1_1.commands.pkcs12).not.toContain('-legacy');
    expect(unlistedOptions(['req', '-new', '-noenc'])).toEqual(['-noenc']);
    expect(unlistedOptions(['rand', '-hex', '16'])).toEqual(['rand (subcommand)']);
  });

  test.each(PLANS)('every openssl step of the %s plan uses only listed options', (_name, plan) => {
    const steps = plan.steps.filter((s) => s.action.kind === 'exec' && s.action.tool === 'openssl');
    expect(steps.length).toBeGreaterThan(0);
    const unlisted = steps.flatMap((s) =>
      s.action.kind === 'exec' ? unlistedOptions(s.action.args).map((o) => `${s.id}: ${o}`) : [],
    );
    expect(unlisted).toEqual([]);
  });

  test('every openssl argv written in the source uses only listed options', () => {
    // Array literals that start with an openssl subcommand: the plans' steps (checked above, built) and the
    // reading commands of steps/read.ts that byoca, verify, inspect, probe and the password proof run.
    const arrays = opensslArgvLiterals();
    expect(arrays.filter((a) => a.file === 'src/steps/read.ts').length).toBeGreaterThan(8);
    const found = arrays.flatMap((a) => unlistedOptions([a.command, ...a.options]).map((o) => `${a.file}: ${o}`));
    expect(found).toEqual([]);
  });

  test('every openssl argv is written in src/steps/, beside the others', () => {
    const elsewhere = opensslArgvLiterals().filter((a) => !a.file.startsWith('src/steps/'));
    expect(elsewhere.map((a) => `${a.file}: openssl ${a.command}`)).toEqual([]);
  });

  test('the source scan reads options inside nested arrays and past comments', () => {
    const text = "f(['verify',\n  // the CA's own\n  ...(s ? ['-x509_strict'] : []),\n  '-CAfile', ca])";
    expect(argvLiteralsIn('t.ts', text, 'verify')).toEqual([
      { file: 't.ts', command: 'verify', options: ['-x509_strict', '-CAfile'] },
    ]);
  });

  test('the scratch PKCS12 bundle keytool imports uses algorithms every JDK reads, without -legacy', () => {
    const bundles = buildDropInPlan(script).steps.filter((s) => s.id.endsWith('.pkcs12'));
    expect(bundles.length).toBe(4);
    for (const s of bundles) {
      const args = s.action.kind === 'exec' ? s.action.args : [];
      const after = (flag: string) => args[args.indexOf(flag) + 1];
      expect([after('-keypbe'), after('-certpbe'), after('-macalg')]).toEqual([
        'PBE-SHA1-3DES',
        'PBE-SHA1-3DES',
        'sha1',
      ]);
      expect(args).not.toContain('-legacy');
    }
  });
});

describe('openssl version: what the preflight accepts', () => {
  test.each([
    ['LibreSSL 3.3.6', false, 'LibreSSL 3.3.6'],
    ['LibreSSL 2.8.3', false, 'LibreSSL 2.8.3'],
    ['OpenSSL 1.1.0l  10 Sep 2019', false, 'OpenSSL 1.1.0l'],
    ['OpenSSL 1.0.2k-fips  26 Jan 2017', false, 'OpenSSL 1.0.2k'],
    ['OpenSSL 0.9.8zh 3 Dec 2015', false, 'OpenSSL 0.9.8zh'],
    ['OpenSSL 1.1.1k  FIPS 25 Mar 2021', true, 'OpenSSL 1.1.1k'],
    ['OpenSSL 1.1.1w  11 Sep 2023', true, 'OpenSSL 1.1.1w'],
    ['OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)', true, 'OpenSSL 3.0.19'],
    ['OpenSSL 3.5.1 1 Jul 2025', true, 'OpenSSL 3.5.1'],
  ])('%s: supported %s', (text, supported, found) => {
    expect(classifyOpensslVersion(`${text}\n`)).toEqual({ supported, found });
  });

  test('output that names no version is let through, for the steps to report', () => {
    expect(classifyOpensslVersion('')).toEqual({ supported: true });
  });
});

describe('the OpenSSL 1.1.1 stand-in (test/fixtures/openssl-1.1.1/openssl)', () => {
  const run = (args: string[]) =>
    promisify(execFile)(WRAPPER, args).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  test('refuses an option 1.1.1 lacks as 1.1.1 does, and passes a listed one to the real openssl', async () => {
    const refused = await run(['req', '-new', '-noenc']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('req: Unrecognized flag noenc\nreq: Use -help for summary.\n');
    const legacy = await run(['pkcs12', '-legacy', '-info']);
    expect(legacy.stderr).toMatch(/^pkcs12: Unrecognized flag legacy$/m);
    expect((await run(['version'])).stdout).toBe('OpenSSL 1.1.1w  11 Sep 2023\n');
    const digest = await run(['x509', '-noout', '-sha256', '-in', '/nonexistent']);
    expect(digest.stderr).not.toMatch(/Unrecognized flag/);
  });
});

/** An openssl argv as the source writes it: the subcommand and the quoted options, nested arrays included. */
interface ArgvLiteral {
  readonly file: string;
  readonly command: string;
  readonly options: readonly string[];
}

function opensslArgvLiterals(): ArgvLiteral[] {
  const files = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const commands = Object.keys(OPENSSL_OPTIONS_USED)
    .filter((c) => c !== 'version')
    .join('|');
  return files.flatMap((f) => argvLiteralsIn(`src/${f}`, readFileSync(join(ROOT, 'src', f), 'utf8'), commands));
}

/**
 * Each `['<command>', …]` of `text`, read to its closing bracket: a spread of a conditional array
 * (`...(strict ? ['-x509_strict'] : [])`) is part of the argv, not its end. Line comments are dropped first, so
 * that their brackets and apostrophes count for nothing.
 */
function argvLiteralsIn(file: string, text: string, commands: string): ArgvLiteral[] {
  const code = text.replace(/^\s*\/\/.*$/gm, '');
  const found: ArgvLiteral[] = [];
  for (const m of code.matchAll(new RegExp(`\\[\\s*'(${commands})'\\s*,`, 'g'))) {
    let depth = 0;
    let end = m.index;
    for (; end < code.length; end++) {
      if (code[end] === '[') depth++;
      else if (code[end] === ']' && --depth === 0) break;
    }
    const body = code.slice(m.index + m[0].length, end);
    found.push({ file, command: m[1]!, options: [...body.matchAll(/'(-[A-Za-z][^']*)'/g)].map((o) => o[1]!) });
  }
  return found;
}
