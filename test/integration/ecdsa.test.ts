import { X509Certificate, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import { readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { execa } from 'execa';
import { runCli, snapshot, tempDir, testPath } from '../helpers/cli.js';

/**
 * ECDSA keys end to end with the real tools (openssl, keytool, the JVM verify starts): every --key-type in both
 * layouts, judged by verify (JSSE handshakes over TLS 1.2 and 1.3, openssl verify); a Node TLS handshake under
 * required client auth on P-256; apply switching RSA to EC; rotate-ca start with --ca-key-type; bad values.
 * `npm run test:openssl-1.1.1` runs this file through OpenSSL 1.1.1w as well.
 */
const PW = 'Ecdsa-Pa55word';
const ENV = { PASSWORD: PW };
let work: string;

beforeAll(async () => {
  work = await tempDir('kmtls-ecdsa-');
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** One broker and a client, all on P-256, in the confluent layout (which keeps the PEM keys). */
async function generateP256(out: string): Promise<void> {
  const args = ['--layout', 'confluent', '--brokers', '1', '--key-type', 'ec-p256', '--ca-key-type', 'ec-p256'];
  const g = await runCli(['generate', '--out', out, ...args], { cwd: work, env: ENV });
  expect([g.exitCode, g.stderr]).toEqual([0, '']);
}

/** What a certificate's key and signature are, read by node:crypto (the key) and openssl (the extensions). */
async function certKey(path: string) {
  const cert = new X509Certificate(await readFile(path));
  const key = cert.publicKey;
  const text = String(
    (await execa('openssl', ['x509', '-in', path, '-noout', '-text'], { env: { PATH: testPath() } })).stdout,
  );
  return {
    type: key.asymmetricKeyType,
    curve: key.asymmetricKeyDetails?.namedCurve,
    bits: key.asymmetricKeyDetails?.modulusLength,
    signature: /Signature Algorithm: (.*)/.exec(text)![1]!.trim(),
    keyUsage: /X509v3 Key Usage: critical\n\s+(.*)/.exec(text)?.[1]?.trim(),
  };
}

const EXPECTED: Record<string, { type: string; curve?: string; bits?: number }> = {
  'rsa-2048': { type: 'rsa', bits: 2048 },
  'rsa-3072': { type: 'rsa', bits: 3072 },
  'rsa-4096': { type: 'rsa', bits: 4096 },
  'ec-p256': { type: 'ec', curve: 'prime256v1' },
  'ec-p384': { type: 'ec', curve: 'secp384r1' },
};
const digestOf = (caType: string) => (caType === 'ec-p384' ? 'SHA384' : 'SHA256');

describe('every key type, in both layouts, passes verify', () => {
  // Each leaf key type in each layout, with the CA's key type turned through the list too.
  const cases: Array<[string, string, string]> = [
    ['dropin', 'rsa-2048', 'ec-p256'],
    ['dropin', 'rsa-3072', 'ec-p384'],
    ['dropin', 'rsa-4096', 'rsa-2048'],
    ['dropin', 'ec-p256', 'rsa-4096'],
    ['dropin', 'ec-p384', 'ec-p384'],
    ['confluent', 'rsa-2048', 'ec-p384'],
    ['confluent', 'rsa-3072', 'ec-p256'],
    ['confluent', 'rsa-4096', 'rsa-3072'],
    ['confluent', 'ec-p256', 'ec-p256'],
    ['confluent', 'ec-p384', 'rsa-4096'],
  ];
  test.each(cases)(
    '%s, --key-type %s, --ca-key-type %s',
    async (layout, keyType, caKeyType) => {
      const out = join(work, `${layout}-${keyType}-${caKeyType}`);
      const args = ['--out', out, '--layout', layout, '--brokers', '2', '--key-type', keyType];
      const g = await runCli(['generate', ...args, '--ca-key-type', caKeyType], { cwd: work, env: ENV });
      expect([g.exitCode, g.stderr]).toEqual([0, '']);

      const ca = await certKey(join(out, 'ca.crt'));
      expect(ca).toMatchObject(EXPECTED[caKeyType]!);
      const leafCert =
        layout === 'dropin' ? join(out, 'ca-signed-mtls-kafka-0') : join(out, 'mtls-kafka-0-creds', 'mtls-kafka-0.crt');
      const leaf = await certKey(leafCert);
      expect(leaf).toMatchObject(EXPECTED[keyType]!);
      // The digest follows the signer: SHA-384 under a P-384 CA, SHA-256 otherwise (the script's).
      expect(leaf.signature).toMatch(
        caKeyType.startsWith('ec')
          ? `ecdsa-with-${digestOf(caKeyType)}`
          : `${digestOf(caKeyType).toLowerCase()}WithRSAEncryption`,
      );
      expect(leaf.keyUsage).toBe(
        keyType.startsWith('ec') ? 'Digital Signature' : 'Digital Signature, Key Encipherment',
      );
      // Every key the run leaves is unencrypted PKCS#8, as Kafka's PEM stores and librdkafka read it.
      const keys = [
        join(out, 'ca.key'),
        ...(layout === 'confluent' ? [join(out, 'mtls-kafka-0-creds/mtls-kafka-0.key')] : []),
      ];
      for (const k of keys) expect((await readFile(k, 'utf8')).split('\n')[0]).toBe('-----BEGIN PRIVATE KEY-----');
      // A named curve, never explicit parameters: Node reads the curve's name from the key.
      if (keyType.startsWith('ec') && layout === 'confluent') {
        const key = createPrivateKey(await readFile(join(out, 'mtls-kafka-0-creds/mtls-kafka-0.key')));
        expect(key.asymmetricKeyDetails?.namedCurve).toBe(EXPECTED[keyType]!.curve);
      }
      const state = JSON.parse(await readFile(join(out, 'kafka-mtls.json'), 'utf8'));
      expect(state.identities[0].curve).toBe(
        keyType.startsWith('ec') ? (keyType === 'ec-p256' ? 'P-256' : 'P-384') : undefined,
      );
      expect(state.ca.curve).toBe(
        caKeyType.startsWith('ec') ? (caKeyType === 'ec-p256' ? 'P-256' : 'P-384') : undefined,
      );

      const v = await runCli(['verify', out, '--json'], { cwd: work, env: ENV });
      const result = JSON.parse(v.stdout) as {
        failed: boolean;
        findings: Array<{ status: string; check: string; message: string }>;
      };
      expect(result.findings.filter((f) => f.status !== 'pass')).toEqual([]);
      expect(v.exitCode).toBe(0);
      // JSSE shook hands over both protocols for every pair.
      expect(result.findings.filter((f) => f.check === 'handshake (JSSE)').map((f) => f.message)).not.toHaveLength(0);
      for (const f of result.findings.filter((x) => x.check === 'handshake (JSSE)'))
        expect(f.message).toMatch(/TLSv1\.2 and TLSv1\.3 handshakes/);
    },
    240_000,
  );
});

describe('P-256 under required client auth, judged by OpenSSL through Node', () => {
  test('a Node TLS server requiring client certificates accepts the client and the client the broker, TLS 1.2 and 1.3', async () => {
    const out = join(work, 'handshake');
    await generateP256(out);
    const read = (f: string) => readFile(join(out, f));
    const ca = await read('ca.crt');
    const broker = {
      cert: await read('mtls-kafka-0-creds/mtls-kafka-0.crt'),
      key: await read('mtls-kafka-0-creds/mtls-kafka-0.key'),
    };
    const client = {
      cert: await read('mtls-kafka-client-creds/mtls-kafka-client.crt'),
      key: await read('mtls-kafka-client-creds/mtls-kafka-client.key'),
    };
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const seen: string[] = [];
      const server = createServer(
        { ...broker, ca, requestCert: true, rejectUnauthorized: true, minVersion: version, maxVersion: version },
        (s: TLSSocket) => {
          seen.push(String((s.getPeerCertificate().subject as unknown as Record<string, string>).CN));
          s.end('answer');
        },
      );
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      try {
        const sock = connect({
          port,
          host: '127.0.0.1',
          servername: 'mtls-kafka-0.mtls-kafka-headless',
          ...client,
          ca,
          minVersion: version,
          maxVersion: version,
        });
        await once(sock, 'secureConnect');
        expect(sock.authorized).toBe(true);
        expect(sock.getProtocol()).toBe(version);
        // TLS 1.2 names the signature algorithm in the suite: ECDSA, the broker's key.
        if (version === 'TLSv1.2') expect(sock.getCipher().standardName).toMatch(/^TLS_ECDHE_ECDSA_/);
        const [data] = (await once(sock, 'data')) as [Buffer];
        expect(String(data)).toBe('answer');
        sock.destroy();
        expect(seen).toEqual(['mtls-kafka-client']);
      } finally {
        server.close();
      }
    }
  }, 120_000);

  test('a client without a certificate is refused: the server really requires one', async () => {
    const out = join(work, 'handshake');
    const ca = await readFile(join(out, 'ca.crt'));
    const broker = {
      cert: await readFile(join(out, 'mtls-kafka-0-creds/mtls-kafka-0.crt')),
      key: await readFile(join(out, 'mtls-kafka-0-creds/mtls-kafka-0.key')),
    };
    const server = createServer({ ...broker, ca, requestCert: true, rejectUnauthorized: true }, (s) => s.end('x'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const sock = connect({ port, host: '127.0.0.1', servername: 'mtls-kafka-0.mtls-kafka-headless', ca });
      const outcome = await new Promise<string>((resolve) => {
        sock.on('error', (e) => resolve(`error: ${e.message}`));
        sock.on('data', () => resolve('data'));
        sock.on('end', () => resolve('end'));
      });
      expect(outcome).toMatch(/^error: .*(certificate required|alert)/i);
    } finally {
      server.close();
    }
  }, 60_000);
});

describe('plan and apply: a key-type change is a reissue', () => {
  let out: string;
  beforeAll(async () => {
    out = join(work, 'apply');
    const g = await runCli(['generate', '--out', out, '--brokers', '2'], { cwd: work, env: ENV });
    expect(g.exitCode).toBe(0);
  }, 120_000);
  const plan = (args: string[]) =>
    runCli(['plan', '--out', out, '--brokers', '2', '--json', ...args], { cwd: work, env: ENV });

  test('apply --key-type ec-p256 reissues every identity with a P-256 key; the CA stays; a later plan keeps EC', async () => {
    const before = await snapshot(out);
    const changes = JSON.parse((await plan(['--key-type', 'ec-p256'])).stdout).changes as Array<{
      alias: string;
      kind: string;
      reasons: string[];
    }>;
    expect(changes.map((c) => [c.alias, c.kind, c.reasons])).toEqual(
      ['mtls-kafka-0', 'mtls-kafka-1', 'mtls-kafka-client'].map((a) => [
        a,
        'reissue',
        ['key type changed: RSA 2048 -> EC P-256'],
      ]),
    );
    const r = await runCli(['apply', '--out', out, '--brokers', '2', '--key-type', 'ec-p256'], { cwd: work, env: ENV });
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
    const after = await snapshot(out);
    expect(after['ca.crt']).toBe(before['ca.crt']);
    expect(after['ca.key']).toBe(before['ca.key']);
    for (const who of ['mtls-kafka-0', 'mtls-kafka-1', 'mtls-kafka-client']) {
      expect(await certKey(join(out, `ca-signed-${who}`))).toMatchObject({ type: 'ec', curve: 'prime256v1' });
      expect(after[`ca-signed-${who}`]).not.toBe(before[`ca-signed-${who}`]);
    }
    expect(await readFile(join(out, 'ext0.cnf'), 'utf8')).toMatch(/^keyUsage = critical, digitalSignature$/m);
    const state = JSON.parse(await readFile(join(out, 'kafka-mtls.json'), 'utf8'));
    expect(state.identities.map((i: { curve?: string }) => i.curve)).toEqual(['P-256', 'P-256', 'P-256']);

    // Without --key-type, plan and apply keep the directory's keys: nothing to do, not a move back to RSA.
    expect(JSON.parse((await plan([])).stdout).changes.filter((c: { kind: string }) => c.kind !== 'keep')).toEqual([]);
    const v = await runCli(['verify', out], { cwd: work, env: ENV });
    expect(v.exitCode).toBe(0);

    // And back: rsa-2048 is a key-type change too.
    expect(JSON.parse((await plan(['--key-type', 'rsa-2048'])).stdout).changes[0].reasons).toEqual([
      'key type changed: EC P-256 -> RSA 2048',
    ]);
  }, 240_000);

  test('apply --ca-key-type other than the CA it has is refused: plan and apply keep the CA', async () => {
    const before = await snapshot(out);
    const r = await runCli(['apply', '--out', out, '--brokers', '2', '--ca-key-type', 'ec-p384'], {
      cwd: work,
      env: ENV,
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      `error: --ca-key-type: ${out}'s CA has a RSA 4096 key and plan and apply keep the CA: make one with a ` +
        'EC P-384 key with kafka-mtls rotate-ca start --ca-key-type ec-p384',
    );
    expect(await snapshot(out)).toEqual(before);
  }, 60_000);
});

describe('apply --key-type on the confluent layout', () => {
  test('every identity gets a P-256 key: its PEM key (PKCS#8), certificate and keystore; the CA stays; verify passes', async () => {
    const out = join(work, 'apply-confluent');
    const args = ['--out', out, '--layout', 'confluent', '--brokers', '1'];
    const g = await runCli(['generate', ...args], { cwd: work, env: ENV });
    expect(g.exitCode).toBe(0);
    const before = await snapshot(out);
    const r = await runCli(['apply', '--out', out, '--brokers', '1', '--key-type', 'ec-p256'], { cwd: work, env: ENV });
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
    const after = await snapshot(out);
    expect([after['ca.crt'], after['ca.key']]).toEqual([before['ca.crt'], before['ca.key']]);
    for (const who of ['mtls-kafka-0', 'mtls-kafka-client']) {
      const creds = join(out, `${who}-creds`);
      const pem = await readFile(join(creds, `${who}.key`), 'utf8');
      expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(createPrivateKey(pem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(await certKey(join(creds, `${who}.crt`))).toMatchObject({ type: 'ec', curve: 'prime256v1' });
      // The certificate the keystore hands out, as Java will read it: openssl opens the store with its password.
      const store = join(creds, `kafka.${who}.keystore.pkcs12`);
      const password = (await readFile(join(creds, `${who}_keystore_creds`), 'utf8')).trim();
      const listed = await execa('openssl', ['pkcs12', '-in', store, '-passin', 'env:P', '-nokeys', '-clcerts'], {
        env: { PATH: testPath(), P: password },
      });
      const leaf = new X509Certificate(String(listed.stdout).slice(String(listed.stdout).indexOf('-----BEGIN')));
      expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(after[`${who}-creds/kafka.${who}.keystore.pkcs12`]).not.toBe(
        before[`${who}-creds/kafka.${who}.keystore.pkcs12`],
      );
    }
    const v = await runCli(['verify', out], { cwd: work, env: ENV });
    expect([v.exitCode, v.stdout.split('\n').filter((l) => /^(FAIL|WARN)/.test(l))]).toEqual([0, []]);
  }, 240_000);
});

describe('rotate-ca start --ca-key-type', () => {
  test('the new CA is P-384; reissue signs every leaf with it (SHA-384); finish leaves it alone; verify passes', async () => {
    const out = join(work, 'rotate');
    const g = await runCli(['generate', '--out', out, '--brokers', '2', '--key-type', 'ec-p256'], {
      cwd: work,
      env: ENV,
    });
    expect(g.exitCode).toBe(0);

    const wrong = await runCli(['rotate-ca', 'reissue', '--out', out, '--ca-key-type', 'ec-p384'], {
      cwd: work,
      env: ENV,
    });
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toBe(
      'error: --ca-key-type: is for rotate-ca start, which makes the new CA; reissue and finish use it',
    );

    const dry = await runCli(['rotate-ca', 'start', '--out', out, '--ca-key-type', 'ec-p384', '--dry-run'], {
      cwd: work,
      env: ENV,
    });
    expect(dry.stdout).toMatch(
      /openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve -nodes/,
    );
    for (const phase of ['start', 'reissue', 'finish']) {
      const r = await runCli(
        ['rotate-ca', phase, '--out', out, ...(phase === 'start' ? ['--ca-key-type', 'ec-p384'] : [])],
        {
          cwd: work,
          env: ENV,
        },
      );
      expect([phase, r.exitCode, r.stderr]).toEqual([phase, 0, '']);
    }
    expect(await certKey(join(out, 'ca.crt'))).toMatchObject({ type: 'ec', curve: 'secp384r1' });
    const leaf = await certKey(join(out, 'ca-signed-mtls-kafka-0'));
    expect(leaf).toMatchObject({ type: 'ec', curve: 'prime256v1', signature: 'ecdsa-with-SHA384' });
    const state = JSON.parse(await readFile(join(out, 'kafka-mtls.json'), 'utf8'));
    expect([state.ca.keyBits, state.ca.curve]).toEqual([384, 'P-384']);
    const v = await runCli(['verify', out], { cwd: work, env: ENV });
    expect([v.exitCode, v.stdout.split('\n').filter((l) => /^(FAIL|WARN)/.test(l))]).toEqual([0, []]);
  }, 300_000);
});

describe('bad key types: exit 2, naming the option, nothing written', () => {
  test.each([
    [['--key-type', 'rsa-1024'], /^error: option '--key-type <type>' argument 'rsa-1024' is invalid/],
    [['--ca-key-type', 'ec-p521'], /^error: option '--ca-key-type <type>' argument 'ec-p521' is invalid/],
    [['--key-type', ''], /^error: option '--key-type <type>' argument '' is invalid/],
  ])('generate %j', async (args, message) => {
    const out = join(work, 'bad');
    const r = await runCli(['generate', '--out', out, ...args], { cwd: work, env: ENV });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    await expect(readFile(join(out, 'kafka-mtls.json'))).rejects.toThrow(/ENOENT/);
  });

  test.each([
    [
      'keyType: ec-p521\n',
      /^error: --config .*: keyType: must be one of rsa-2048, rsa-3072, rsa-4096, ec-p256, ec-p384, got "ec-p521"$/,
    ],
    ['keyType: ec-p256\nkeyBits: 4096\n', /^error: --config .*: keyType: cannot be combined with keyBits/],
    ['ca:\n  keyType: rsa2048\n', /^error: --config .*: ca\.keyType: must be one of rsa-2048/],
  ])('a config file saying %j', async (yaml, message) => {
    const config = join(work, 'bad.yaml');
    await writeFile(config, `statefulSet:\n  replicas: 1\n${yaml}`);
    const r = await runCli(['generate', '--out', join(work, 'bad-config'), '--config', config], {
      cwd: work,
      env: ENV,
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  test('--key-type with --config, and --ca-key-type with your own CA, are refused', async () => {
    const config = join(work, 'ok.yaml');
    await writeFile(config, 'statefulSet:\n  replicas: 1\nkeyType: ec-p256\n');
    const a = await runCli(['generate', '--out', join(work, 'x'), '--config', config, '--key-type', 'ec-p384'], {
      cwd: work,
      env: ENV,
    });
    expect([a.exitCode, a.stderr]).toEqual([
      2,
      'error: --key-type: cannot be combined with --config: the config file describes the cluster; set it there',
    ]);
    const b = await runCli(
      ['generate', '--out', join(work, 'y'), '--ca-cert', config, '--ca-key', config, '--ca-key-type', 'ec-p256'],
      { cwd: work, env: ENV },
    );
    expect([b.exitCode, b.stderr]).toEqual([
      2,
      'error: --ca-key-type: cannot be combined with your own CA: it signs with the key it has',
    ]);
  });

  test('a config keyType is used: ec-p384 leaves', async () => {
    const config = join(work, 'ok.yaml');
    await writeFile(config, 'statefulSet:\n  replicas: 1\nkeyType: ec-p384\nca:\n  keyType: ec-p256\n');
    const out = join(work, 'from-config');
    const r = await runCli(['generate', '--out', out, '--config', config], { cwd: work, env: ENV });
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
    expect(await certKey(join(out, 'ca-signed-mtls-kafka-0'))).toMatchObject({ type: 'ec', curve: 'secp384r1' });
    expect(await certKey(join(out, 'ca.crt'))).toMatchObject({ type: 'ec', curve: 'prime256v1' });
  }, 120_000);
});

describe('verify flags the EC pitfalls', () => {
  type Result = {
    failed: boolean;
    findings: Array<{ status: string; target: string; check: string; message: string }>;
  };
  const verify = async (dir: string, args: string[] = []) => {
    const r = await runCli(['verify', dir, '--json', ...args], { cwd: work, env: ENV });
    return { exitCode: r.exitCode, ...(JSON.parse(r.stdout) as Result) };
  };
  const fails = (r: Result) => r.findings.filter((f) => f.status === 'fail');
  const ssl = (args: string[], cwd: string) => execa('openssl', args, { cwd, env: { ...process.env, PASSWORD: PW } });

  test('a keystore whose key has explicit curve parameters: Java refuses it, and verify FAILs naming the file', async () => {
    const out = join(work, 'explicit');
    const g = await runCli(
      ['generate', '--out', out, '--brokers', '1', '--key-type', 'ec-p256', '--store-type', 'pkcs12'],
      {
        cwd: work,
        env: ENV,
      },
    );
    expect(g.exitCode).toBe(0);
    expect((await verify(out)).exitCode).toBe(0);
    // The same curve, its parameters written out in full instead of its name (openssl ecparam -param_enc explicit).
    await ssl(['ecparam', '-name', 'prime256v1', '-param_enc', 'explicit', '-genkey', '-noout', '-out', 'x.key'], out);
    expect(await readFile(join(out, 'x.key'), 'utf8')).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    await ssl(['req', '-new', '-key', 'x.key', '-subj', '/CN=mtls-kafka-0.mtls-kafka-headless', '-out', 'x.csr'], out);
    await ssl(
      ['x509', '-req', '-in', 'x.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-out', 'x.crt', '-days', '30'].concat([
        '-extfile',
        'ext0.cnf',
        '-set_serial',
        '0x1234',
      ]),
      out,
    );
    expect(String((await ssl(['x509', '-in', 'x.crt', '-noout', '-text'], out)).stdout)).toMatch(
      /Field Type: prime-field/,
    );
    const store = 'mtls-kafka-0.keystore.jks';
    await ssl(
      ['pkcs12', '-export', '-in', 'x.crt', '-inkey', 'x.key', '-certfile', 'ca.crt', '-name', 'mtls-kafka-0'].concat([
        '-out',
        store,
        '-passout',
        'env:PASSWORD',
      ]),
      out,
    );
    for (const f of ['x.key', 'x.csr', 'x.crt']) await rm(join(out, f));

    const r = await verify(out);
    expect(r.exitCode).toBe(1);
    const java = fails(r).find((f) => f.check === 'loads in Java');
    expect(java?.target).toBe(store);
    // JSSE's own words, then what fixes it: not "the password is wrong", which Java's exception says first.
    expect(java?.message).toMatch(/explicit curve parameters, which Java refuses: .*Only named ECParameters supported/);
    expect(java?.message).toMatch(/make its key on a named curve/);
    // OpenSSL 3 refuses it by default; 1.1.1 (1.1.1i on) under -x509_strict, as Python 3.13 verifies.
    const openssl = fails(r).find((f) => /^(chain \(OpenSSL\)|strict clients)$/.test(f.check));
    expect([openssl?.target, openssl?.message]).toEqual([store, expect.stringMatching(/explicit ECC parameters/)]);
  }, 180_000);

  test('ssl.cipher.suites with only TLS_ECDHE_RSA_* on EC keys: JSSE refuses every handshake, and verify says why', async () => {
    const out = join(work, 'suites');
    await generateP256(out);
    const props = join(out, 'mtls-kafka-0-creds/server.properties');
    const original = await readFile(props, 'utf8');
    await writeFile(
      props,
      `${original}ssl.cipher.suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n`,
    );
    const r = await verify(out);
    expect(r.exitCode).toBe(1);
    const refused = fails(r).filter((f) => f.check === 'handshake (JSSE)');
    expect(refused.map((f) => f.target).sort()).toEqual([
      'mtls-kafka-0-creds/kafka.mtls-kafka-0.keystore.pkcs12 -> mtls-kafka-0-creds/kafka.mtls-kafka-0.keystore.pkcs12',
      'mtls-kafka-client-creds/kafka.mtls-kafka-client.keystore.pkcs12 -> mtls-kafka-0-creds/kafka.mtls-kafka-0.keystore.pkcs12',
    ]);
    for (const f of refused) {
      expect(f.message).toMatch(/TLSv1\.2 and TLSv1\.3/);
      expect(f.message).toMatch(
        /mtls-kafka-0's \(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\) leave/,
      );
      expect(f.message).toMatch(/an EC key needs TLS_ECDHE_ECDSA_\* on TLS 1\.2/);
    }
    // A list with a suite for the key on each protocol passes: the judge, not a rule of ours, decided.
    await writeFile(
      props,
      `${original}ssl.cipher.suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256\n`,
    );
    expect(fails(await verify(out))).toEqual([]);
    // verify --cipher-suites gives a list to the parties whose properties set none: here the client's.
    await writeFile(props, original);
    const given = await verify(out, ['--cipher-suites', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']);
    expect(fails(given).map((f) => f.target)).toEqual([
      'mtls-kafka-client-creds/kafka.mtls-kafka-client.keystore.pkcs12 -> mtls-kafka-0-creds/kafka.mtls-kafka-0.keystore.pkcs12',
      'mtls-kafka-0-creds/kafka.mtls-kafka-0.keystore.pkcs12 -> mtls-kafka-0-creds/kafka.mtls-kafka-0.keystore.pkcs12',
    ]);
    const bad = await runCli(['verify', out, '--cipher-suites', 'ECDHE-ECDSA-AES128-GCM-SHA256'], {
      cwd: work,
      env: ENV,
    });
    expect([bad.exitCode, bad.stderr]).toEqual([
      2,
      'error: --cipher-suites: must be cipher suite names as Java spells them (TLS_…), comma-separated, got ' +
        '"ECDHE-ECDSA-AES128-GCM-SHA256"',
    ]);
  }, 180_000);

  test('a SEC1 key (BEGIN EC PRIVATE KEY) in a PEM keystore FAILs; the same key as PKCS#8 passes', async () => {
    const out = join(work, 'suites');
    const key = join(out, 'mtls-kafka-0-creds/mtls-kafka-0.key');
    await ssl(['ec', '-in', key, '-out', join(out, 'sec1.key')], out);
    expect(await readFile(join(out, 'sec1.key'), 'utf8')).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    const pemProps = join(out, 'pem-broker.properties');
    // As a broker's mount sees it: an absolute path that is not there here, found beside the properties file.
    await writeFile(pemProps, 'ssl.keystore.type=PEM\nssl.keystore.location=/etc/kafka/secrets/sec1.key\n');
    const r = await verify(out);
    expect(r.exitCode).toBe(1);
    expect(fails(r)).toEqual([
      {
        status: 'fail',
        target: 'pem-broker.properties',
        check: 'PEM keystore',
        message:
          `ssl.keystore.type=PEM, and ${join(out, 'sec1.key')} holds a SEC1 EC key (BEGIN EC PRIVATE KEY): Kafka reads ` +
          'PEM keys as PKCS#8 only (BEGIN PRIVATE KEY, or BEGIN ENCRYPTED PRIVATE KEY with ssl.key.password); convert ' +
          `it (openssl pkcs8 -topk8 -nocrypt -in ${join(out, 'sec1.key')} -out ${join(out, 'sec1.key')}.pk8)`,
      },
    ]);
    // Inline (ssl.keystore.key) too.
    const sec1 = (await readFile(join(out, 'sec1.key'), 'utf8')).trim().replace(/\n/g, '\\n');
    await writeFile(pemProps, `ssl.keystore.type=PEM\nssl.keystore.key=${sec1}\n`);
    expect(fails(await verify(out)).map((f) => [f.target, f.message.slice(0, 60)])).toEqual([
      ['pem-broker.properties', 'ssl.keystore.type=PEM, and ssl.keystore.key holds a SEC1 EC '],
    ]);
    // The key the run wrote is PKCS#8: no finding.
    await writeFile(pemProps, `ssl.keystore.type=PEM\nssl.keystore.location=${key}\n`);
    expect(fails(await verify(out))).toEqual([]);
  }, 180_000);
});
