/**
 * Where each secret came from is found once, by options/, and handed on: the warnings and the --dry-run script read
 * it (model/secret-names.ts's SecretSource) instead of working it out again from the flags and the config file.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRunOptions } from '../../src/options/params.js';
import { passwordWarning } from '../../src/options/password.js';
import { CA_KEY_PASSWORD_ENV, STORE_PASSWORD_ENV, type SecretSource } from '../../src/model/secret-names.js';
import { planToScript } from '../../src/report/dry-run.js';
import { tempDir } from '../helpers/cli.js';

let dir: string;
const out = () => join(dir, 'certs');

beforeAll(async () => {
  dir = await tempDir('kmtls-sources-');
  await writeFile(join(dir, 'pw.txt'), 'Sources-Test-Pw-1\n');
  await writeFile(join(dir, 'weak.txt'), 'secret\n');
  await writeFile(
    join(dir, 'cluster.yaml'),
    'password:\n  env: KAFKA_PW\nbrokers:\n  kafka-0: [kafka-0.example.com]\n',
  );
  await writeFile(join(dir, 'ca.crt'), 'not a certificate\n');
  await writeFile(
    join(dir, 'ca.key'),
    '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n',
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The script's lines that declare one variable, for a plan with no steps: only the secrets differ. */
function scriptFor(sources: ReadonlyArray<[string, SecretSource]>): string {
  return planToScript(
    { steps: [], outputs: [], scratch: [] },
    {
      tools: { openssl: 'openssl', keytool: 'keytool' },
      defaultOut: 'certs',
      header: 'test',
      secrets: new Map(sources),
    },
  );
}

describe('options hand on where each secret came from', () => {
  test('the store password: PASSWORD, --password-file, the config, or the default', async () => {
    const source = async (raw: object, env: NodeJS.ProcessEnv) =>
      (await parseRunOptions({ out: out(), ...raw }, { env })).params.passwordSource;
    expect(await source({}, {})).toEqual({ kind: 'default' });
    expect(await source({}, { PASSWORD: 'Sources-Test-Pw-1' })).toEqual({ kind: 'env', variable: 'PASSWORD' });
    expect(await source({ passwordFile: join(dir, 'pw.txt') }, {})).toEqual({
      kind: 'file',
      path: join(dir, 'pw.txt'),
      option: '--password-file',
    });
    const config = join(dir, 'cluster.yaml');
    expect(await source({ config }, { KAFKA_PW: 'Sources-Test-Pw-1' })).toEqual({
      kind: 'env',
      variable: 'KAFKA_PW',
      option: `password.env of ${config}`,
    });
  });

  test("your own CA key's passphrase: the variable or the file named", async () => {
    const ca = { caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key') };
    const byEnv = await parseRunOptions(
      { out: out(), ...ca, caKeyPasswordEnv: 'CA_PW' },
      { env: { CA_PW: 'ca-pw-1' } },
    );
    expect(byEnv.params.caKeyPasswordSource).toEqual({
      kind: 'env',
      variable: 'CA_PW',
      option: '--ca-key-password-env',
    });
    const byFile = await parseRunOptions({ out: out(), ...ca, caKeyPasswordFile: join(dir, 'pw.txt') }, { env: {} });
    expect(byFile.params.caKeyPasswordSource).toEqual({
      kind: 'file',
      path: join(dir, 'pw.txt'),
      option: '--ca-key-password-file',
    });
  });

  test('the weak-password warning names the source options found', async () => {
    const { params } = await parseRunOptions({ out: out(), passwordFile: join(dir, 'weak.txt') }, { env: {} });
    expect(passwordWarning({ secret: params.password, source: params.passwordSource })).toMatch(
      new RegExp(`^the store password from --password-file ${join(dir, 'weak.txt')} is weak: `),
    );
  });
});

describe('the --dry-run script takes each secret where its source says', () => {
  test('a --password-file source shows in the comment and the refusals, read as the run reads it', async () => {
    const { params } = await parseRunOptions({ out: out(), passwordFile: join(dir, 'pw.txt') }, { env: {} });
    const script = scriptFor([[STORE_PASSWORD_ENV, params.passwordSource]]);
    expect(script).toContain(`if [[ -z \${${STORE_PASSWORD_ENV}:-} ]]; then   # as the run: the file ${dir}/pw.txt`);
    expect(script).toContain(`error: ${dir}/pw.txt: must hold the password on a single line`);
    expect(script).not.toContain('${PASSWORD');
  });

  test('a source is followed as given, whatever the flags were: nothing is worked out again', () => {
    const script = scriptFor([
      [STORE_PASSWORD_ENV, { kind: 'file', path: '/etc/kafka/pw', option: '--config c.yaml: password.file' }],
      [CA_KEY_PASSWORD_ENV, { kind: 'env', variable: 'CA_PW', option: '--ca-key-password-env' }],
    ]);
    expect(script).toContain('# as the run: the file /etc/kafka/pw');
    expect(script).toContain(`if [[ -n \${CA_PW:-} ]]; then ${CA_KEY_PASSWORD_ENV}=$CA_PW`);
    expect(script).toContain(`echo 'set ${CA_KEY_PASSWORD_ENV} or CA_PW' >&2; exit 2`);
  });

  test("PASSWORD, set or not when the plan was made, is read as the script runs, with the run's default", () => {
    for (const source of [{ kind: 'default' }, { kind: 'env', variable: 'PASSWORD' }] as const) {
      const script = scriptFor([[STORE_PASSWORD_ENV, source]]);
      expect(script).toContain(`if [[ -n \${PASSWORD:-} ]]; then ${STORE_PASSWORD_ENV}=$PASSWORD`);
      expect(script).toContain(
        "warning: neither PASSWORD nor KAFKA_MTLS_STORE_PASSWORD is set: using the script'\\''s default store password",
      );
      expect(script).toContain(`elif [[ -n \${PASSWORD+set} ]]; then echo 'error: PASSWORD: must not be empty`);
    }
  });

  test('a generated password is made again by the script', () => {
    expect(scriptFor([['KAFKA_MTLS_TRUSTSTORE_PASSWORD', { kind: 'generated' }]])).toContain(
      `export KAFKA_MTLS_TRUSTSTORE_PASSWORD="$(openssl rand -base64 18 | tr '+/' '-_')"   # --generate-passwords`,
    );
  });
});
