import { execa } from 'execa';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, SCRIPT, tempDir, testWithScript } from '../helpers/cli.js';
import { makeSelfSignedCa } from '../helpers/pki.js';

/**
 * `verify` on a fresh generate, on the original script's output, and on
 * directories doctored the way real ones go wrong; each failure names its check.
 */
const PW = 'Verify-Pa55';
const ENV = { PASSWORD: PW };
let work: string;
let fresh: string;

/** A copy of the fresh set, to doctor. */
async function copyOfFresh(name: string): Promise<string> {
  const dir = join(work, name);
  await cp(fresh, dir, { recursive: true });
  return dir;
}

/**
 * Replaces broker 0's keystore by one made by hand with openssl from the same
 * CA: `ext` sets its extensions, `chain` whether the CA goes into the store,
 * `dates` makes it with openssl ca and these start and end dates.
 */
async function handMadeKeystore(
  dir: string,
  o: { ext: string; chain: boolean; dates?: [string, string] },
): Promise<void> {
  const tmp = join(dir, '..', `${Date.now()}-${Math.random().toString(16).slice(2)}`);
  await mkdir(tmp);
  await writeFile(join(tmp, 'ext.cnf'), `${o.ext}\n`);
  await execa(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'k.pem',
      '-out',
      'r.csr',
      '-subj',
      '/C=KR/ST=Seoul/L=Confluent/O=Organization/OU=OrganizationUnit/CN=mtls-kafka-0.mtls-kafka-headless',
    ],
    { cwd: tmp },
  );
  if (o.dates) {
    await writeFile(
      join(tmp, 'ca.cnf'),
      '[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nserial = serial.txt\nnew_certs_dir = .\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n',
    );
    await writeFile(join(tmp, 'index.txt'), '');
    await writeFile(join(tmp, 'serial.txt'), '1000\n');
    await execa(
      'openssl',
      [
        'ca',
        '-batch',
        '-config',
        'ca.cnf',
        '-cert',
        join(dir, 'ca.crt'),
        '-keyfile',
        join(dir, 'ca.key'),
        '-in',
        'r.csr',
        '-out',
        'c.pem',
        '-startdate',
        o.dates[0],
        '-enddate',
        o.dates[1],
        '-extfile',
        'ext.cnf',
        '-notext',
      ],
      { cwd: tmp },
    );
  } else {
    await execa(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        'r.csr',
        '-CA',
        join(dir, 'ca.crt'),
        '-CAkey',
        join(dir, 'ca.key'),
        '-out',
        'c.pem',
        '-days',
        '30',
        '-extfile',
        'ext.cnf',
      ],
      { cwd: tmp },
    );
  }
  const chain = o.chain ? ['-certfile', join(dir, 'ca.crt')] : [];
  await rm(join(dir, 'mtls-kafka-0.keystore.jks'));
  await execa(
    'openssl',
    [
      'pkcs12',
      '-export',
      '-in',
      'c.pem',
      '-inkey',
      'k.pem',
      ...chain,
      '-name',
      'mtls-kafka-0',
      '-out',
      join(dir, 'mtls-kafka-0.keystore.jks'),
      '-passout',
      'env:PW',
    ],
    { cwd: tmp, env: { PW } },
  );
  await rm(tmp, { recursive: true });
}

const SANS =
  'subjectAltName = DNS:mtls-kafka-0.mtls-kafka-headless.axplatform.svc.cluster.local, DNS:mtls-kafka-0.mtls-kafka-headless, DNS:mtls-kafka-0.mtls-kafka-headless.axplatform, DNS:mtls-kafka.mtls-kafka-headless, DNS:mtls-kafka';

const verify = (dir: string, ...args: string[]) => runCli(['verify', dir, ...args], { cwd: work, env: ENV });
const failLines = (out: string) => out.split('\n').filter((l) => l.startsWith('FAIL'));

/**
 * verify's own check gives each line of `own`; the judges (JSSE's handshakes, OpenSSL's verify) agree, each in a
 * line that names the broken file and says `judged`; nothing else fails.
 */
function expectFails(out: string, own: readonly RegExp[], file: string, judged: RegExp): void {
  const fails = failLines(out);
  for (const re of own) expect(fails).toContainEqual(expect.stringMatching(re));
  const rest = fails.filter((l) => !own.some((re) => re.test(l)));
  expect(rest.length).toBeGreaterThan(0);
  for (const l of rest) {
    expect(l).toContain(file);
    expect(l).toMatch(judged);
  }
}

beforeAll(async () => {
  work = await tempDir('kmtls-verify-');
  const r = await runCli(['generate', '--out', 'fresh', '--brokers', '2'], { cwd: work, env: ENV });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  fresh = join(work, 'fresh');
}, 120_000);
afterAll(() => rm(work, { recursive: true, force: true }));

test('passes on a fresh generate, with each principal', async () => {
  const r = await verify(fresh);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).not.toMatch(/^(FAIL|WARN)/m);
  expect(r.stdout).toMatch(
    /^PASS +mtls-kafka-1\.keystore\.jks mtls-kafka-1 +chain: mtls-kafka-1\.mtls-kafka-headless -> Kafka-Security-CA, trusted by/m,
  );
  expect(r.stdout).toMatch(
    /principal: Kafka sees User:CN=mtls-kafka-client,OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR/,
  );
  expect(r.stdout).toMatch(/: \d+ passed, 0 warnings, 0 failed$/m);
});

testWithScript()(
  "passes on the original script's output, warning about its v1 CA",
  async () => {
    const dir = join(work, 'script');
    await mkdir(dir);
    await writeFile(
      join(dir, 's.sh'),
      (await readFile(SCRIPT, 'utf8'))
        .replace(/^PASSWORD=.*$/m, `PASSWORD='${PW}'`)
        .replace(/^KAFKA_BROKER_COUNT=.*$/m, 'KAFKA_BROKER_COUNT=1'),
    );
    await execa('bash', ['s.sh'], { cwd: dir });
    const r = await verify(join(dir, 'certs'));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /^WARN +kafka\.(client|server)\.truststore\.jks caroot +CA: an X\.509 v1 CA with no extensions/m,
    );
    expect(failLines(r.stdout)).toEqual([]);
  },
  120_000,
);

test('fails a broker certificate without clientAuth', async () => {
  const dir = await copyOfFresh('no-client-auth');
  await handMadeKeystore(dir, { ext: `extendedKeyUsage = serverAuth\n${SANS}`, chain: true });
  const r = await verify(dir);
  expect(r.exitCode).toBe(1);
  // Only the inter-broker listener refuses it: there broker 0 is the client.
  expectFails(
    r.stdout,
    [
      /^FAIL +mtls-kafka-0\.keystore\.jks mtls-kafka-0 +extendedKeyUsage: lacks clientAuth: a broker presents its certificate .* to the other brokers$/,
    ],
    'mtls-kafka-0.keystore.jks ->',
    /inter-broker .*the broker \(mtls-kafka-1.*Extended key usage does not permit use for TLS client authentication/,
  );
});

test("fails when a broker's SANs miss a host it must serve", async () => {
  const r = await verify(fresh, '--host', 'kafka-{i}.example.com');
  expect(r.exitCode).toBe(1);
  expectFails(
    r.stdout,
    [
      /^FAIL +mtls-kafka-0\.keystore\.jks mtls-kafka-0 +SANs: missing kafka-0\.example\.com: a client connecting by that name fails hostname verification$/,
      /^FAIL +mtls-kafka-1\.keystore\.jks mtls-kafka-1 +SANs: missing kafka-1\.example\.com/,
    ],
    '.keystore.jks',
    /handshake \(JSSE\): .*refused mtls-kafka-\d\.keystore\.jks: .*No subject alternative DNS name matching kafka-\d\.example\.com/,
  );
});

describe('--host is checked as a TLS client checks it (RFC 6125; the CN never consulted)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await copyOfFresh('wildcard');
    await handMadeKeystore(dir, {
      ext: 'extendedKeyUsage = serverAuth, clientAuth\nsubjectAltName = DNS:*.kafka.example.com, IP:10.0.0.5, DNS:10.0.0.6',
      chain: true,
    });
  }, 60_000);
  /** Broker 0's SAN finding (broker 1 keeps its generated SANs). */
  const sanFinding = async (host: string) => {
    const r = await verify(dir, '--json', '--host', host);
    const found = JSON.parse(r.stdout).findings.find(
      (f: { check: string; target: string }) => f.check === 'SANs' && f.target.startsWith('mtls-kafka-0.'),
    );
    return { exitCode: r.exitCode, ...found };
  };

  test.each([
    [
      'two labels below the wildcard',
      'a.kafka-{i}.kafka.example.com',
      'missing a.kafka-0.kafka.example.com: a client connecting by that name fails hostname verification',
    ],
    ["the wildcard's bare domain", 'kafka.example.com', 'missing kafka.example.com: a client'],
    [
      'an IP the certificate lists only as a DNS name',
      '10.0.0.6',
      'missing 10.0.0.6 (10.0.0.6: listed only as a DNS name; a client connecting to an IP address matches IP SANs only)',
    ],
  ])('fails %s', async (_why, host, message) => {
    const f = await sanFinding(host);
    expect(f.status).toBe('fail');
    expect(f.message).toContain(message);
    expect(f.exitCode).toBe(1);
  });

  test.each([
    ['one label below the wildcard', 'kafka-{i}.kafka.example.com'],
    ['one label below, in capitals', 'KAFKA-{i}.KAFKA.example.com'],
    ['an IP SAN, by its address', '10.0.0.5'],
  ])('passes %s', async (_why, host) => {
    const f = await sanFinding(host);
    expect([f.status, f.message]).toEqual(['pass', 'cover 1 host name(s)']);
  });

  test("the issue's case: generate --san '*.kafka.example.com', then verify --host 'kafka-{i}.kafka.example.com' passes", async () => {
    const g = await runCli(['generate', '--out', 'wild', '--brokers', '2', '--san', '*.kafka.example.com'], {
      cwd: work,
      env: ENV,
    });
    expect(g.exitCode).toBe(0);
    const r = await verify(join(work, 'wild'), '--host', 'kafka-{i}.kafka.example.com');
    expect(failLines(r.stdout)).toEqual([]);
    expect(r.exitCode).toBe(0);
    const bare = await verify(join(work, 'wild'), '--host', 'kafka.example.com');
    expectFails(
      bare.stdout,
      [/SANs: missing kafka\.example\.com/],
      'keystore.jks',
      /No subject alternative DNS name matching kafka\.example\.com/,
    );
    expect(bare.exitCode).toBe(1);
  }, 180_000);

  test('a wildcard is no host to connect to: exit 2', async () => {
    const r = await verify(dir, '--host', '*.kafka.example.com');
    expect(r.stderr).toMatch(/^error: --host: must be a DNS name/m);
    expect(r.exitCode).toBe(2);
  });
});

test('fails an expired certificate', async () => {
  const dir = await copyOfFresh('expired');
  await handMadeKeystore(dir, {
    ext: `extendedKeyUsage = serverAuth, clientAuth\n${SANS}`,
    chain: true,
    dates: ['20200101000000Z', '20200201000000Z'],
  });
  const r = await verify(dir);
  expect(r.exitCode).toBe(1);
  expectFails(
    r.stdout,
    [/^FAIL +mtls-kafka-0\.keystore\.jks mtls-kafka-0 +validity: expired on 2020-02-01T00:00:00\.000Z$/],
    'mtls-kafka-0.keystore.jks',
    /PKIX path validation failed: .*validity check failed|OpenSSL clients .* refuse it: certificate has expired/,
  );
});

test('passes a keystore whose chain lacks the CA, as JSSE and OpenSSL do when the peers trust that CA', async () => {
  const dir = await copyOfFresh('no-chain');
  await handMadeKeystore(dir, { ext: `extendedKeyUsage = serverAuth, clientAuth\n${SANS}`, chain: false });
  const r = await verify(dir);
  expect(failLines(r.stdout)).toEqual([]);
  expect(r.stdout).toMatch(
    /^PASS +mtls-kafka-0\.keystore\.jks mtls-kafka-0 +chain: mtls-kafka-0\.mtls-kafka-headless \(the leaf alone\), signed by a CA that, trusted by kafka\.server\.truststore\.jks$/m,
  );
  expect(r.exitCode).toBe(0);
});

test('fails a keystore whose chain stops at a CA no truststore holds', async () => {
  const dir = await copyOfFresh('foreign-leaf');
  const other = join(work, 'other-ca');
  await mkdir(other, { recursive: true });
  await makeSelfSignedCa(other, { cn: 'Kafka-Security-CA', key: 'k', cert: 'c', days: 30 });
  await cp(join(other, 'c'), join(dir, 'ca.crt'));
  await cp(join(other, 'k'), join(dir, 'ca.key'));
  await handMadeKeystore(dir, { ext: `extendedKeyUsage = serverAuth, clientAuth\n${SANS}`, chain: false });
  const r = await verify(dir);
  expect(r.exitCode).toBe(1);
  expect(failLines(r.stdout)).toContainEqual(
    expect.stringMatching(
      /^FAIL +mtls-kafka-0\.keystore\.jks mtls-kafka-0 +chain: the chain stops at CN=mtls-kafka-0\.mtls-kafka-headless,.* which neither the chain nor any truststore holds/,
    ),
  );
  expect(failLines(r.stdout)).toContainEqual(expect.stringMatching(/refused mtls-kafka-0\.keystore\.jks: .*PKIX path/));
});

test('fails every store on a wrong password, naming the check', async () => {
  const r = await runCli(['verify', fresh], { cwd: work, env: { PASSWORD: 'not-the-password' } });
  expect(r.exitCode).toBe(1);
  const fails = failLines(r.stdout);
  // Each of the 5 stores, as openssl or keytool open it, then as Java loads it for each identity.
  expect(fails.filter((l) => / opens: /.test(l))).toHaveLength(5);
  expect(fails.filter((l) => / loads in Java: /.test(l))).toHaveLength(3);
  for (const l of fails)
    expect(l).toMatch(
      /opens: does not open with the password: .*(Mac verify error|invalid password)|loads in Java: .*does not load.*: .*(password was incorrect|Integrity check failed)/,
    );
});

test("fails when the truststores do not hold the keystores' CA", async () => {
  const dir = await copyOfFresh('foreign-truststore');
  const other = await runCli(['generate', '--out', 'other', '--brokers', '1', '--ca-cn', 'Another-CA'], {
    cwd: work,
    env: ENV,
  });
  expect(other.exitCode).toBe(0);
  for (const t of ['kafka.server.truststore.jks', 'kafka.client.truststore.jks'])
    await cp(join(work, 'other', t), join(dir, t));
  const r = await verify(dir);
  expect(r.exitCode).toBe(1);
  expectFails(
    r.stdout,
    [/chain: the chain ends at .*CN=Kafka-Security-CA.*, which no truststore holds/],
    '',
    /handshake \(JSSE\): .*PKIX path|chain \(OpenSSL\): .*refuse it|ca\.crt +is the trusted CA: not a CA that/,
  );
}, 60_000);

test('--principal-rules shows the principal Kafka will use, and fails a subject no rule maps', async () => {
  const mapped = await verify(fresh, '--principal-rules', 'RULE:^CN=([^,]+),OU=.*$/$1/L, DEFAULT');
  expect(mapped.exitCode).toBe(0);
  expect(mapped.stdout).toMatch(/mtls-kafka-client +principal: Kafka sees User:mtls-kafka-client$/m);
  const unmapped = await verify(fresh, '--principal-rules', 'RULE:^CN=mtls-kafka-client,.*$/client/');
  expect(unmapped.exitCode).toBe(1);
  expect(failLines(unmapped.stdout)).toHaveLength(2);
  expect(failLines(unmapped.stdout)[0]).toMatch(
    /principal: no ssl\.principal\.mapping\.rules rule applies to CN=mtls-kafka-0\.mtls-kafka-headless,.*: Kafka refuses the connection$/,
  );
});

test('without a JVM to judge the handshakes, verify fails and says why: it never passes what nothing judged', async () => {
  // A keytool with no java beside it: the keytool host, where Java judges, cannot start.
  const bin = join(work, 'no-java-bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'keytool'), '#!/bin/sh\nexec keytool "$@"\n', { mode: 0o755 });
  const r = await verify(fresh, '--keytool', join(bin, 'keytool'));
  expect(r.exitCode).toBe(1);
  expect(failLines(r.stdout)).toEqual([
    expect.stringMatching(
      /^FAIL +\(directory\) +handshake \(JSSE\): Java could not judge the handshakes, so nothing says Kafka will accept them: .*has no java beside it/,
    ),
  ]);
});

test('a principal pattern Java cannot compile is bad usage (the broker would not start): exit 2, one line', async () => {
  const r = await verify(fresh, '--principal-rules', 'RULE:^CN=((.*?),OU.*$/$1/');
  expect(
    r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('error:')),
  ).toEqual([expect.stringMatching(/^error: --principal-rules: has a pattern Java cannot compile, .*Unclosed group/)]);
  expect(r.exitCode).toBe(2);
});

test("Java's regular expressions decide the principal: possessive quantifiers map, a replacement Kafka cannot apply fails", async () => {
  const possessive = await verify(fresh, '--principal-rules', 'RULE:^CN=([^,]++),.*$/$1/U');
  expect(possessive.stdout).toMatch(/mtls-kafka-client +principal: Kafka sees User:MTLS-KAFKA-CLIENT$/m);
  expect(possessive.exitCode).toBe(0);
  const illegal = await verify(fresh, '--principal-rules', 'RULE:^CN=(.*?),.*$/x$&y/');
  expect(illegal.stdout).toMatch(
    /mtls-kafka-client +principal: Kafka fails to map CN=mtls-kafka-client,.*\(Illegal group reference\)/m,
  );
  expect(illegal.exitCode).toBe(1);
});

test('a java that knows no --add-exports (as JDK 8) still judges: the judge needs none of keytool', async () => {
  // JDK 8's java refuses --add-exports (it has no modules); this stand-in refuses it the same way.
  const bin = join(work, 'jdk8-like', 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'keytool'), '#!/bin/sh\nexec keytool "$@"\n', { mode: 0o755 });
  await writeFile(
    join(bin, 'java'),
    '#!/bin/sh\nfor a; do [ "$a" = --add-exports ] && { echo "Unrecognized option: --add-exports" >&2; exit 1; }; done\n' +
      'exec java "$@"\n',
    { mode: 0o755 },
  );
  const r = await verify(fresh, '--keytool', join(bin, 'keytool'));
  expect(failLines(r.stdout)).toEqual([]);
  expect(r.stdout).toMatch(/handshake \(JSSE\): TLSv1\.2 and TLSv1\.3 handshakes with 2 of the brokers succeed/);
  expect(r.exitCode).toBe(0);
});
