import { execa } from 'execa';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, snapshot, tempDir } from '../helpers/cli.js';
import { listStore, makeIssuingPki } from '../helpers/pki.js';

const PW = 'Byo-Store-Pw-1';
const ENV = { PASSWORD: PW, ISSUING_PW: 'issuing-pass' };

/** An operator's PKI: a root, an issuing CA under it (key encrypted), and a certificate that is not a CA. */
async function makePki(dir: string): Promise<void> {
  const o = await makeIssuingPki(dir, ENV, { cn: 'Acme Kafka Issuing CA', serial: '0x1001' });
  await o(
    ['x509', '-req', '-in', 'issuing.csr', '-CA', 'root.crt', '-CAkey', 'root.key', '-out', 'notca.crt'].concat([
      '-days',
      '3650',
      '-extfile',
      'pki.cnf',
      '-extensions',
      'notca',
      '-set_serial',
      '0x1002',
    ]),
  );
}

describe('your own CA: an intermediate with an encrypted key', () => {
  let dir: string;
  let certs: string;
  const byo = [
    '--ca-cert',
    'issuing.crt',
    '--ca-key',
    'issuing.key',
    '--ca-chain',
    'root.crt',
    '--ca-key-password-env',
    'ISSUING_PW',
  ];

  beforeAll(async () => {
    dir = await tempDir();
    await makePki(dir);
    const r = await runCli(['generate', '--brokers', '2', '--emit', 'pem', ...byo], { cwd: dir, env: ENV });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    certs = join(dir, 'certs');
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('leaves are signed by the intermediate; keystores hold chains of 3 that verify up to the root', async () => {
    const ks = await listStore(join(certs, 'mtls-kafka-1.keystore.jks'), PW);
    expect(ks.entries).toEqual([
      { alias: 'ca.crt', entryType: 'trustedCertEntry', chainLength: 1 },
      { alias: 'mtls-kafka-1', entryType: 'PrivateKeyEntry', chainLength: 3 },
    ]);
    const chain = join(certs, 'mtls-kafka-1.chain.pem');
    expect((await readFile(chain, 'utf8')).match(/BEGIN CERTIFICATE/g)).toHaveLength(3);
    const v = await execa(
      'openssl',
      ['verify', '-x509_strict', '-CAfile', join(dir, 'root.crt'), '-untrusted', chain, chain],
      { reject: false },
    );
    expect(v.stdout.trim()).toBe(`${chain}: OK`);
    const issuer = await execa('openssl', [
      'x509',
      '-in',
      join(certs, 'ca-signed-mtls-kafka-1'),
      '-noout',
      '-issuer',
      '-nameopt',
      'RFC2253',
    ]);
    expect(issuer.stdout).toBe('issuer=CN=Acme Kafka Issuing CA,O=Acme');
  });

  test('truststores hold the root alone; the CA key stays encrypted, 0600; no CA was made', async () => {
    const ts = await execa(
      'keytool',
      [
        '-J-Duser.language=en',
        '-list',
        '-v',
        '-keystore',
        join(certs, 'kafka.server.truststore.jks'),
        '-storepass:env',
        'PASSWORD',
      ],
      { env: ENV },
    );
    expect(ts.stdout.match(/^Owner: .*$/gm)).toEqual(['Owner: CN=Acme Root CA, O=Acme']);
    expect(await readFile(join(certs, 'ca.key'), 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    const snap = await snapshot(certs);
    expect(snap['ca.key']).toMatch(/^600 /);
    expect(await readFile(join(certs, 'ca.crt'), 'utf8')).toBe(await readFile(join(dir, 'issuing.crt'), 'utf8'));
    expect(await readFile(join(certs, 'ca.pem'), 'utf8')).toBe(await readFile(join(dir, 'root.crt'), 'utf8'));
    expect(snap['openssl.cnf']).toBeUndefined();
  });

  test("apply adds a broker signed by the same intermediate; it needs the key's passphrase", async () => {
    const refused = await runCli(['apply', '--brokers', '3'], { cwd: dir, env: ENV });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/ca\.key is your CA's encrypted key: give its passphrase/);
    const r = await runCli(['apply', '--brokers', '3', '--ca-key-password-env', 'ISSUING_PW'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(0);
    const ks = await listStore(join(certs, 'mtls-kafka-2.keystore.jks'), PW);
    expect(ks.entries.find((e) => e.alias === 'mtls-kafka-2')!.chainLength).toBe(3);
  }, 60_000);
});

describe('your own CA from a config file', () => {
  test('ca.cert, ca.key, ca.chain and ca.keyPassword, beside the file: chains of 3; a non-CA is refused naming the field', async () => {
    const dir = await tempDir();
    await makePki(dir);
    const config = (cert: string) =>
      `layout: confluent\nca:\n  cert: ${cert}\n  key: issuing.key\n  chain: root.crt\n  keyPassword: {env: ISSUING_PW}\nbrokers:\n  kafka-1: [kafka-1]\nclients: [app]\n`;
    await writeFile(join(dir, 'good.yaml'), config('issuing.crt'));
    await writeFile(join(dir, 'bad.yaml'), config('notca.crt'));
    const elsewhere = await tempDir();
    const r = await runCli(['generate', '--config', join(dir, 'good.yaml'), '--out', 'tls'], {
      cwd: elsewhere,
      env: ENV,
    });
    expect(r.exitCode).toBe(0);
    const ks = await listStore(join(elsewhere, 'tls/kafka-1-creds/kafka.kafka-1.keystore.pkcs12'), PW);
    expect(ks.entries).toEqual([{ alias: 'kafka-1', entryType: 'PrivateKeyEntry', chainLength: 3 }]);
    const bad = await runCli(['generate', '--config', 'bad.yaml', '--out', 'tls'], { cwd: dir, env: ENV });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^error: --config bad\.yaml: ca\.cert: is not a CA certificate/);
    await rm(dir, { recursive: true, force: true });
    await rm(elsewhere, { recursive: true, force: true });
  }, 120_000);
});

describe('your own CA, refused before anything is touched', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await makePki(dir);
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test.each([
    [
      'a certificate that is not a CA',
      [
        '--ca-cert',
        'notca.crt',
        '--ca-key',
        'issuing.key',
        '--ca-chain',
        'root.crt',
        '--ca-key-password-env',
        'ISSUING_PW',
      ],
      /^error: --ca-cert: is not a CA certificate: CN=Acme Kafka Issuing CA,O=Acme has no basicConstraints CA:TRUE$/,
    ],
    [
      "a key that is not the CA's",
      ['--ca-cert', 'issuing.crt', '--ca-key', 'root.key', '--ca-chain', 'root.crt'],
      /^error: --ca-key: does not match --ca-cert/,
    ],
    [
      'an intermediate without its chain',
      ['--ca-cert', 'issuing.crt', '--ca-key', 'issuing.key', '--ca-key-password-env', 'ISSUING_PW'],
      /^error: --ca-chain: is needed: --ca-cert is issued by CN=Acme Root CA,O=Acme/,
    ],
    [
      'an encrypted key without its passphrase',
      ['--ca-cert', 'issuing.crt', '--ca-key', 'issuing.key', '--ca-chain', 'root.crt'],
      /^error: --ca-key: is encrypted: give its passphrase/,
    ],
    [
      "a chain that is not the CA's",
      [
        '--ca-cert',
        'issuing.crt',
        '--ca-key',
        'issuing.key',
        '--ca-chain',
        'notca.crt',
        '--ca-key-password-env',
        'ISSUING_PW',
      ],
      /^error: --ca-chain: must end with the root/,
    ],
  ])('%s: exit 2, one line, nothing written', async (_name, args, message) => {
    const before = await readdir(dir);
    const r = await runCli(['generate', ...args], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await readdir(dir)).toEqual(before);
  });
});
