import { execa } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import {
  kafkaPrincipals,
  kafkaPrincipalsVia,
  type KafkaPrincipals,
  type PrincipalVerdict,
} from '../../src/pki/principal.js';
import { execProcess } from '../../src/runner/exec.js';
import { keytoolHost, type KeytoolHost } from '../../src/runner/keytool-host.js';
import { ROOT, tempDir } from '../helpers/cli.js';

// ssl.principal.mapping.rules as Kafka documents them ("Customizing SSL User Name"), on Java's regular expressions
// in the keytool host: each row is what Kafka gives, and, where kafka-clients is in ~/.m2, what its
// SslPrincipalMapper gives for the same rules and name.

type Expected = { readonly principal: string } | { readonly noRule: true } | { readonly error: string };

interface Row {
  readonly title: string;
  readonly rules: string;
  readonly dn: string;
  readonly expected: Expected;
  /** The name Kafka maps, when it is not the DN as written (X500Principal.getName()). */
  readonly name?: string;
}

const SERVICE = 'CN=serviceuser,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,C=Unknown';
const ADMIN = 'CN=adminUser,OU=Admin,O=Unknown,L=Unknown,ST=Unknown,C=Unknown';
// Kafka's documentation's own example list.
const DOCS = [
  'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/',
  'RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L',
  'RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L',
  'DEFAULT',
].join(',');
const CN = 'RULE:^CN=([^,]+),.*$';
const BOB = 'CN=bob,OU=eng,O=Acme';
const EMAIL_OID = '1.2.840.113549.1.9.1=#160f626f62406578616d706c652e636f6d';

const ROWS: readonly Row[] = [
  { title: "the docs' service user", rules: DOCS, dn: SERVICE, expected: { principal: 'serviceuser' } },
  { title: "the docs' admin, lower-cased", rules: DOCS, dn: ADMIN, expected: { principal: 'adminuser@admin' } },
  { title: "the docs' third rule", rules: DOCS, dn: 'OU=Web,CN=Web.Server', expected: { principal: 'web.server' } },
  { title: "the docs' DEFAULT", rules: DOCS, dn: 'O=NoCommonName', expected: { principal: 'O=NoCommonName' } },
  { title: 'a possessive quantifier', rules: 'RULE:^CN=([^,]++),.*$/$1/', dn: BOB, expected: { principal: 'bob' } },
  {
    title: 'a possessive quantifier does not give back',
    rules: 'RULE:^CN=(.*+),O=Acme$/$1/',
    dn: 'CN=bob,O=Acme',
    expected: { noRule: true },
  },
  { title: 'a reluctant quantifier', rules: 'RULE:^CN=(.+?)(,.*)?$/$1/', dn: BOB, expected: { principal: 'bob' } },
  { title: '(?i)', rules: 'RULE:(?i)^cn=([^,]+),ou=ENG,.*$/$1/', dn: BOB, expected: { principal: 'bob' } },
  { title: '\\A and \\z', rules: 'RULE:\\ACN=([^,]+),.*\\z/$1/', dn: BOB, expected: { principal: 'bob' } },
  {
    title: '\\Q..\\E quotes a dot',
    rules: 'RULE:^CN=\\Qa.b\\E,.*$/dotted/',
    dn: 'CN=a.b,O=x',
    expected: { principal: 'dotted' },
  },
  {
    title: '\\Q..\\E: the dot matches only a dot',
    rules: 'RULE:^CN=\\Qa.b\\E,.*$/dotted/',
    dn: 'CN=aXb,O=x',
    expected: { noRule: true },
  },
  { title: '$0 is the whole match', rules: 'RULE:^CN=[^,]+,.*$/[$0]/', dn: BOB, expected: { principal: `[${BOB}]` } },
  {
    title: '${name} names a group',
    rules: 'RULE:^CN=(?<user>[^,]+),OU=(?<unit>[^,]+),.*$/${user}@${unit}/',
    dn: BOB,
    expected: { principal: 'bob@eng' },
  },
  {
    title: '$1\\/$2: an escaped slash in the replacement is a slash',
    rules: 'RULE:^CN=([^,]+),OU=([^,]+),.*$/$1\\/$2/',
    dn: BOB,
    expected: { principal: 'bob/eng' },
  },
  { title: 'x$&y fails when mapped', rules: `${CN}/x$&y/`, dn: BOB, expected: { error: 'Illegal group reference' } },
  {
    title: '$1 in a pattern without groups fails when mapped',
    rules: 'RULE:^CN=[^,]+,.*$/$1/',
    dn: BOB,
    expected: { error: 'No group 1' },
  },
  {
    title: '\\$2 with one group: Kafka escapes the $, not the backslash',
    rules: `${CN}/\\$2/`,
    dn: BOB,
    expected: { error: 'No group 2' },
  },
  {
    title: 'an unknown ${name} fails when mapped',
    rules: `${CN}/\${nobody}/`,
    dn: BOB,
    expected: { error: 'No group with name {nobody}' },
  },
  {
    title: 'a $n past the last group is kept as text',
    rules: `${CN}/$1-$3/`,
    dn: BOB,
    expected: { principal: 'bob-$3' },
  },
  { title: '$12 with one group is $1 then 2', rules: `${CN}/$12/`, dn: BOB, expected: { principal: 'bob2' } },
  { title: 'L lower-cases', rules: `${CN}/$1/L`, dn: 'CN=MiXeD,O=x', expected: { principal: 'mixed' } },
  { title: 'U upper-cases', rules: `${CN}/$1/U`, dn: 'CN=MiXeD,O=x', expected: { principal: 'MIXED' } },
  {
    title: 'L on letters outside ASCII (the name as Java prints it, not as \\XX)',
    rules: `${CN}/$1/L`,
    dn: 'CN=\\C3\\89T\\C3\\89,O=x',
    name: 'CN=ÉTÉ,O=x',
    expected: { principal: 'été' },
  },
  {
    title: 'an escaped slash in the pattern',
    rules: 'RULE:^CN=a\\/b,.*$/slashed/',
    dn: 'CN=a/b,O=x',
    expected: { principal: 'slashed' },
  },
  {
    title: 'several rules: the first that matches wins',
    rules: `RULE:^CN=([^,]+),OU=eng,.*$/eng-$1/, ${CN}/any-$1/`,
    dn: BOB,
    expected: { principal: 'eng-bob' },
  },
  {
    title: 'several rules: a later one when the first does not match',
    rules: `RULE:^CN=([^,]+),OU=eng,.*$/eng-$1/, ${CN}/any-$1/`,
    dn: 'CN=bob,OU=ops,O=Acme',
    expected: { principal: 'any-bob' },
  },
  {
    title: 'DEFAULT in the middle ends the list',
    rules: 'RULE:^CN=alice,.*$/alice/,DEFAULT,RULE:^.*$/never/',
    dn: BOB,
    expected: { principal: BOB },
  },
  { title: 'no rule applies', rules: 'RULE:^CN=nobody,.*$/nobody/', dn: BOB, expected: { noRule: true } },
  {
    title: 'whitespace and newlines around commas',
    rules: `  ${CN}/$1/U ,\n  DEFAULT  `,
    dn: BOB,
    expected: { principal: 'BOB' },
  },
  { title: 'empty items between commas are skipped', rules: ',,DEFAULT,', dn: BOB, expected: { principal: BOB } },
  { title: 'an empty list has no rule', rules: '', dn: BOB, expected: { noRule: true } },
  {
    title: 'an escaped comma in the DN stays escaped',
    rules: 'RULE:^CN=((?:\\\\,|[^,])+),.*$/$1/',
    dn: 'CN=a\\,b,O=x',
    expected: { principal: 'a\\,b' },
  },
  {
    title: '[^,]+ stops at the escaped comma of CN=a\\,b',
    rules: 'RULE:^CN=([^,]+),O=x$/$1/',
    dn: 'CN=a\\,b,O=x',
    expected: { noRule: true },
  },
  {
    title: 'spaces after the commas of a DN are not in the name Kafka maps',
    rules: 'DEFAULT',
    dn: 'CN=bob, OU=eng, O=Acme',
    name: BOB,
    expected: { principal: BOB },
  },
  {
    title: 'emailAddress is an OID and hex to Kafka',
    rules: 'DEFAULT',
    dn: 'emailAddress=bob@example.com,CN=bob',
    name: `${EMAIL_OID},CN=bob`,
    expected: { principal: `${EMAIL_OID},CN=bob` },
  },
  {
    title: 'so a rule written for emailAddress= never applies',
    rules: 'RULE:^(?i)emailAddress=([^,]+),.*$/$1/',
    dn: 'emailAddress=bob@example.com,CN=bob',
    name: `${EMAIL_OID},CN=bob`,
    expected: { noRule: true },
  },
  {
    title: 'a rule for the CN after an emailAddress',
    rules: 'RULE:^.*,CN=([^,]+)$/$1/',
    dn: 'emailAddress=bob@example.com,CN=bob',
    name: `${EMAIL_OID},CN=bob`,
    expected: { principal: 'bob' },
  },
  {
    title: 'replaceAll: .* also matches the empty end, so it replaces twice',
    rules: 'RULE:.*/x/',
    dn: 'CN=a',
    expected: { principal: 'xx' },
  },
  {
    title: 'replaceAll: the first alternative that matches a prefix is replaced',
    rules: 'RULE:CN=a|CN=ab/x/',
    dn: 'CN=ab',
    expected: { principal: 'xb' },
  },
];

/** Rule lists Kafka refuses when it reads its config: the broker does not start. */
const REFUSED: readonly (readonly [title: string, rules: string, message: RegExp])[] = [
  ['a word that is no rule', 'SOMETHING', /cannot read from "SOMETHING"/],
  ['rule: in lower case', 'rule:^CN=(.*)$/$1/', /cannot read from "rule:/],
  ['a rule without its last slash', 'RULE:^CN=(.*)$/$1', /cannot read from "RULE:\^CN=\(\.\*\)\$\/\$1"/],
  ['text after the case flag', 'RULE:^CN=(.*)$/$1/Lx', /cannot read from "x"/],
  ['a space before the case flag', 'RULE:^CN=(.*)$/$1/ L', /cannot read from "L"/],
  ['two rules without a comma', 'RULE:^CN=(.*)$/$1/DEFAULT', /cannot read from "DEFAULT"/],
  ['an unclosed group', 'RULE:^CN=(.*$/$1/', /Java cannot compile, \^CN=\(\.\*\$: Unclosed group/],
  ['an unclosed class after DEFAULT', 'DEFAULT, RULE:[a/b/', /Java cannot compile, \[a: Unclosed character class/],
];

let dir: string;
let host: KeytoolHost;
beforeAll(async () => {
  dir = await tempDir();
  host = keytoolHost(execProcess, { keytool: 'keytool', cwd: dir, env: {} });
});
afterAll(async () => {
  await host.close();
  await rm(dir, { recursive: true, force: true });
});

const ask = (rules: string, dns: readonly string[]): Promise<KafkaPrincipals> =>
  kafkaPrincipalsVia(host.exec, { keytool: 'keytool', cwd: dir }, rules, dns);

function expectedVerdict(row: Row): PrincipalVerdict {
  return { dn: row.dn, name: row.name ?? row.dn, ...row.expected } as PrincipalVerdict;
}

describe('Java maps each name as Kafka does', () => {
  test.each(ROWS.map((r) => [r.title, r] as const))('%s', async (_title, row) => {
    const r = await ask(row.rules, [row.dn]);
    if (r.kind !== 'mapped') throw new Error(r.reason);
    const [verdict] = r.verdicts;
    if ('error' in row.expected) expect(verdict).toMatchObject({ dn: row.dn, error: row.expected.error });
    else expect(verdict).toEqual(expectedVerdict(row));
  });
});

describe('Java refuses the rule list as the broker would', () => {
  test.each(REFUSED)('%s', async (_title, rules, message) => {
    const err = await ask(rules, ['CN=bob']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err).toMatchObject({ option: '--principal-rules', exitCode: 2 });
    expect((err as UsageError).rule).toMatch(message);
  });
});

test('several names in one request, each with its verdict, in order; a string that is no DN says so', async () => {
  const r = await ask(`RULE:^CN=([^,]+),OU=eng,.*$/$1/, RULE:^CN=x,.*$/x$&y/`, [BOB, 'CN=x,O=y', 'O=z', 'no dn']);
  expect(r).toEqual({
    kind: 'mapped',
    rules: 2,
    verdicts: [
      { dn: BOB, name: BOB, principal: 'bob' },
      { dn: 'CN=x,O=y', name: 'CN=x,O=y', error: 'Illegal group reference' },
      { dn: 'O=z', name: 'O=z', noRule: true },
      { dn: 'no dn', error: 'not a distinguished name: improperly specified input name: no dn' },
    ],
  });
});

test('kafkaPrincipals starts a host of its own and closes it', async () => {
  const r = await kafkaPrincipals({ keytool: 'keytool', cwd: dir }, 'RULE:^CN=([^,]++),.*$/$1/U', [BOB]);
  expect(r).toEqual({ kind: 'mapped', rules: 1, verdicts: [{ dn: BOB, name: BOB, principal: 'BOB' }] });
});

test('without a java beside keytool, the result says so and nothing is guessed', async () => {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  const wrapper = join(bin, 'keytool');
  await writeFile(wrapper, `#!/bin/sh\nexec keytool "$@"\n`);
  await chmod(wrapper, 0o755);
  expect(await kafkaPrincipals({ keytool: wrapper, cwd: dir }, 'DEFAULT', [BOB])).toEqual({
    kind: 'unavailable',
    reason: `${wrapper} has no java beside it`,
  });
});

test('an exec that is no keytool host (keytool itself) is not taken for an answer', async () => {
  const r = await kafkaPrincipalsVia(execProcess, { keytool: 'keytool', cwd: dir }, 'DEFAULT', [BOB]);
  expect(r).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/did not answer.*@principal/) });
});

// The oracle: Kafka's own mapper, where kafka-clients is already in the local Maven repository.
const M2 = join(homedir(), '.m2/repository/org/apache/kafka/kafka-clients');
const ORACLE_JAR = [
  join(M2, '3.9.1/kafka-clients-3.9.1.jar'),
  ...(existsSync(M2) ? readdirSync(M2).map((v) => join(M2, v, `kafka-clients-${v}.jar`)) : []),
].find((j) => existsSync(j));
const ORACLE_SKIPPED =
  'kafka-clients is not in ~/.m2 (mvn dependency:get -Dartifact=org.apache.kafka:kafka-clients:3.9.1 fetches it)';
if (!ORACLE_JAR) console.warn(`principal-rules oracle skipped: ${ORACLE_SKIPPED}`);
const oracleTest = ORACLE_JAR ? test : test.skip;

oracleTest(
  `Kafka's SslPrincipalMapper gives every row the same verdict${ORACLE_JAR ? '' : ` (skipped: ${ORACLE_SKIPPED})`}`,
  async () => {
    const names: string[] = [];
    for (const row of ROWS) {
      const r = await ask(row.rules, [row.dn]);
      if (r.kind !== 'mapped' || !('name' in r.verdicts[0]!)) throw new Error(`no name for ${row.title}`);
      names.push(r.verdicts[0].name!);
    }
    const args = [
      ...ROWS.flatMap((row, i) => [row.rules, '1', names[i]!]),
      ...REFUSED.flatMap(([, rules]) => [rules, '0']),
    ];
    const source = join(ROOT, 'test/fixtures/kafka-oracle/KafkaPrincipals.java');
    const { stdout } = await execa('java', ['-cp', ORACLE_JAR!, source, ...args]);
    const lines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const kafka = ROWS.map((_, i) => lines[2 * i + 1]);
    const ours = ROWS.map((row) => row.expected);
    expect(kafka).toEqual(ours);
    expect(lines.slice(2 * ROWS.length)).toEqual(
      REFUSED.map(() => ({ rules: 'error', error: expect.any(String) as unknown })),
    );
  },
);
