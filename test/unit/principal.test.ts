import { UsageError } from '../../src/errors.js';
import { parseMappingRules } from '../../src/model/principal.js';
import { readReply } from '../../src/pki/principal.js';

// The grammar only: what a pattern is, Java decides (test/integration/principal-rules.test.ts).
describe('parseMappingRules reads the list as Kafka does, without compiling a pattern', () => {
  test('a word that is no rule is refused, with where reading stopped', () => {
    expect(() => parseMappingRules('SOMETHING')).toThrow(
      '--principal-rules: must be DEFAULT or RULE:pattern/replacement/[L|U], separated by commas; ' +
        'cannot read from "SOMETHING"',
    );
  });

  test.each([
    ['rule: in lower case', 'rule:a/b/', 'rule:a/b/'],
    ['default in lower case', 'default', 'default'],
    ['no last slash', 'RULE:a/b', 'RULE:a/b'],
    ['an escaped last slash', 'RULE:a/b\\/', 'RULE:a/b\\/'],
    ['text after the case flag', 'RULE:a/b/Lx', 'x'],
    ['a space before the case flag', 'RULE:a/b/ L', 'L'],
    ['two rules without a comma', 'RULE:a/b/DEFAULT', 'DEFAULT'],
    ['a newline instead of a comma', 'DEFAULT\nDEFAULT', 'DEFAULT'],
    ['DEFAULT with more letters', 'DEFAULTX', 'X'],
  ])('refused: %s', (_title, text, rest) => {
    expect(() => parseMappingRules(text)).toThrow(UsageError);
    expect(() => parseMappingRules(text)).toThrow(`cannot read from "${rest}"`);
  });

  test('patterns JavaScript refuses or reads otherwise are accepted as they are: Java will judge them', () => {
    expect(parseMappingRules('RULE:^CN=([^,]++),.*$/$1/, RULE:(?i)\\Acn=\\Qa.b\\E\\z/x/, RULE:^CN=(.*$/$1/')).toEqual([
      { kind: 'rule', pattern: '^CN=([^,]++),.*$', replacement: '$1' },
      { kind: 'rule', pattern: '(?i)\\Acn=\\Qa.b\\E\\z', replacement: 'x' },
      { kind: 'rule', pattern: '^CN=(.*$', replacement: '$1' },
    ]);
  });

  test('escapes stay in the text; commas inside a pattern stay in it; L and U are kept', () => {
    expect(parseMappingRules('RULE:^CN=a\\/b,(.*)$/$1\\/x/L,RULE:a,b/c/U')).toEqual([
      { kind: 'rule', pattern: '^CN=a\\/b,(.*)$', replacement: '$1\\/x', toCase: 'L' },
      { kind: 'rule', pattern: 'a,b', replacement: 'c', toCase: 'U' },
    ]);
  });

  test('whitespace and newlines around commas; empty items are skipped', () => {
    expect(parseMappingRules(' ,RULE:a/b/ ,\n\t DEFAULT ,, ')).toEqual([
      { kind: 'rule', pattern: 'a', replacement: 'b' },
      { kind: 'default' },
    ]);
  });

  test('an empty list has no rule (Kafka then refuses every principal)', () => {
    expect(parseMappingRules('')).toEqual([]);
    expect(parseMappingRules('  ')).toEqual([]);
  });

  test('empty patterns and replacements are rules', () => {
    expect(parseMappingRules('RULE://')).toEqual([{ kind: 'rule', pattern: '', replacement: '' }]);
  });
});

describe("readReply takes only the host's own answer", () => {
  const exited = (stdout: string, code = 0, stderr = '') =>
    ({ kind: 'exited', exitCode: code, stdout, stderr }) as const;

  test("keytool's own refusal of @principal (no host) is no answer", () => {
    expect(readReply(exited('', 1, 'Illegal option:  @principal\n'), ['CN=a'])).toEqual({
      kind: 'unavailable',
      reason: 'the keytool host did not answer (exit code 1: Illegal option:  @principal)',
    });
  });

  test('fewer verdicts than names, or one for another name, is no answer', () => {
    const head = '{"rules":"ok","count":1}\n';
    expect(readReply(exited(head), ['CN=a'])).toMatchObject({ kind: 'unavailable' });
    expect(readReply(exited(`${head}{"dn":"CN=b","name":"CN=b","noRule":true}\n`), ['CN=a'])).toMatchObject({
      kind: 'unavailable',
    });
  });

  test('a host that could not run is unavailable, with what happened', () => {
    expect(readReply({ kind: 'timed-out', stdout: '', stderr: '' }, [])).toEqual({
      kind: 'unavailable',
      reason: 'the keytool host timed-out',
    });
    expect(readReply({ kind: 'not-started', code: 'ENOENT', message: 'no java' }, [])).toEqual({
      kind: 'unavailable',
      reason: 'no java',
    });
  });

  test("Java's refusal of the list is a usage error", () => {
    expect(() => readReply(exited('{"rules":"error","error":"has a pattern Java cannot compile"}\n'), [])).toThrow(
      '--principal-rules: has a pattern Java cannot compile',
    );
  });

  test('each verdict, in order', () => {
    const out = [
      '{"rules":"ok","count":2}',
      '{"dn":"CN=a","name":"CN=a","principal":"a"}',
      '{"dn":"CN=b","name":"CN=b","noRule":true}',
      '{"dn":"x","error":"not a distinguished name: x"}',
    ].join('\n');
    expect(readReply(exited(out), ['CN=a', 'CN=b', 'x'])).toEqual({
      kind: 'mapped',
      rules: 2,
      verdicts: [
        { dn: 'CN=a', name: 'CN=a', principal: 'a' },
        { dn: 'CN=b', name: 'CN=b', noRule: true },
        { dn: 'x', error: 'not a distinguished name: x' },
      ],
    });
  });
});
