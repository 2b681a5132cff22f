import { isPublicWord, Redactor, Secret, weakness } from '../../src/secrets.js';

const secrets = (...values: string[]) =>
  Object.fromEntries(values.map((v, i) => [`S${i}`, new Secret(`secret ${i}`, v)]));

describe('Redactor', () => {
  test('hides a secret anywhere in a text, the longest first', () => {
    const r = new Redactor(secrets('Zq9-Xk2-Wv7', 'Zq9-Xk2-Wv7-Pp4'));
    expect(r.text('a Zq9-Xk2-Wv7-Pp4 b Zq9-Xk2-Wv7 c')).toBe('a *** b *** c');
  });

  test('a secret split across writes is still hidden: lines are redacted whole', () => {
    const lines: string[] = [];
    const stream = new Redactor(secrets('Split-Secret-Pw-77')).lines((l) => lines.push(l));
    for (const chunk of ['one\nthe password is Split-Se', 'cret-Pw', '-77, wrong\r\nlast without newline'])
      stream.write(chunk);
    // A whole line is given once the next is known: the next could hold the rest of a secret it ends with.
    expect(lines).toEqual(['one']);
    stream.end();
    expect(lines).toEqual(['one', 'the password is ***, wrong', 'last without newline']);
  });

  test('a secret a tool wraps over two lines: each piece hidden, in a stream and in a whole text', () => {
    const r = new Redactor(secrets('Split-Secret-Pw-77'));
    const lines: string[] = [];
    const stream = r.lines((l) => lines.push(l));
    for (const chunk of ['the password is Split-Se', 'cret\r\n', '-Pw-77, wrong\nnext\n']) stream.write(chunk);
    expect(lines).toEqual(['the password is ***', '***, wrong']);
    stream.end();
    expect(lines).toEqual(['the password is ***', '***, wrong', 'next']);
    expect(r.text('is Split-Secret\n-Pw-77 or\nSplit-Secret-Pw-77\n')).toBe('is ***\n*** or\n***\n');
    // Killed between the two lines: the next never comes, and the first piece is hidden all the same.
    const cut: string[] = [];
    const killed = r.lines((l) => cut.push(l));
    killed.write('the password is Split-Sec\n');
    killed.end();
    expect(cut).toEqual(['the password is ***']);
    expect(r.text('the password is Split-Sec\n', true)).toBe('the password is ***\n');
    // Only a line break joins the pieces: other text between them is no secret.
    expect(r.text('Split-Secret\nand -Pw-77\n')).toBe('Split-Secret\nand -Pw-77\n');
  });

  test('output cut in the middle of a secret (a process killed mid-write) does not show its first part', () => {
    const lines: string[] = [];
    const stream = new Redactor(secrets('Split-Secret-Pw-77')).lines((l) => lines.push(l));
    stream.write('the password is Split-Se');
    stream.end();
    expect(lines).toEqual(['the password is ***']);
    expect(new Redactor(secrets('Split-Secret-Pw-77')).text('tail: Split-Secr')).toBe('tail: ***');
    expect(new Redactor(secrets('Split-Secret-Pw-77')).text('a whole line ends in Spl\n')).toBe(
      'a whole line ends in Spl\n',
    );
  });

  test.each([
    ['imported', 'Import command completed:  1 entries successfully imported, 0 entries failed or cancelled'],
    ['password', 'Mac verify error: invalid password?'],
    ['successfully', 'Entry for alias ca.crt successfully imported.'],
  ])('a password that is a word the tools print (%s) is left as they print it: *** would give it away', (pw, line) => {
    expect(new Redactor(secrets(pw)).text(line)).toBe(line);
  });

  test('a password found in what the run shows of itself (its names) is public too', () => {
    expect(isPublicWord('mtls-kafka', 'keytool -alias mtls-kafka-0')).toBe(true);
    expect(
      new Redactor(secrets('mtls-kafka'), '-alias mtls-kafka-0').text(
        'Entry for alias mtls-kafka-0 successfully imported.',
      ),
    ).toBe('Entry for alias mtls-kafka-0 successfully imported.');
    expect(new Redactor(secrets('mtls-kafka')).text('mtls-kafka-0')).toBe('***-0');
    const subject = 'subject=C = KR, O = Organization, OU = OrganizationUnit';
    expect(new Redactor(secrets('Organization'), '[ dn ]\nO = Organization\n').text(subject)).toBe(subject);
  });
});

describe('weakness', () => {
  test.each([
    ['imported', /a word openssl, keytool or kafka-mtls print/],
    ['password', /a word openssl, keytool or kafka-mtls print/],
    ['Verify', /a word openssl, keytool or kafka-mtls print/],
    ['s3cret', /shorter than 10 characters/],
    ['Kubernetes2024!', /a single word/],
  ])('%s is weak', (pw, why) => {
    expect(weakness(pw)).toMatch(why);
  });

  test.each(['Proof-Of-Pw-31', 'correct horse battery', 'f8Hq2-ZpW9x'])('%s is not', (pw) => {
    expect(weakness(pw)).toBeUndefined();
  });
});
