import { execa } from 'execa';
import { once } from 'node:events';
import { chmod, cp, mkdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect, createServer } from 'node:tls';
import {
  changedFiles,
  describeWithScript,
  runCli,
  runScript,
  snapshot,
  tempDir,
  type ScriptParams,
} from '../helpers/cli.js';
import { certFacts } from '../helpers/pki.js';

/**
 * Taking over what mtls-kafka.sh made (#20): directories the real script made, with its defaults and with a
 * custom PASSWORD and VALIDITY, PKCS12 (Java 9 and later) and JKS (the script's keytool before Java 9). plan shows
 * the take-over; apply grows the cluster with the script's own CA, every old file byte-identical; the new broker
 * is accepted in a real TLS handshake by a client that trusted the old CA only; rotate-ca moves to a v3 CA.
 */

const isJks = (b: Buffer) => b.readUInt32BE(0) === 0xfeedfeed;

/** A keystore's key and certificate as PEM, through keytool (a JKS has no reader but Java) and openssl. */
async function pemOf(dir: string, store: string, work: string, pw: string): Promise<{ key: string; cert: string }> {
  const p12 = join(work, `${store}.p12`);
  await rm(p12, { force: true });
  const env = { PW: pw };
  // keytool reads its passwords from variables: never from the command line.
  await execa(
    'keytool',
    [
      '-importkeystore',
      '-noprompt',
      '-srckeystore',
      join(dir, store),
      '-srcstorepass:env',
      'PW',
      '-destkeystore',
      p12,
      '-deststoretype',
      'PKCS12',
      '-deststorepass:env',
      'PW',
    ],
    { env },
  );
  const args = ['pkcs12', '-in', p12, '-passin', 'env:PW', '-nodes'];
  const key = await execa('openssl', [...args, '-nocerts'], { env });
  const cert = await execa('openssl', [...args, '-nokeys', '-clcerts'], { env });
  return { key: key.stdout, cert: cert.stdout };
}

/** The CA a truststore trusts, as PEM. */
async function trusted(dir: string, store: string, pw: string): Promise<string> {
  const r = await execa(
    'keytool',
    ['-exportcert', '-rfc', '-alias', 'caroot', '-keystore', join(dir, store), '-storepass:env', 'PW'],
    { env: { PW: pw } },
  );
  return r.stdout;
}

/**
 * A real mutual-TLS handshake (Node's OpenSSL on both ends, as kafkajs makes it): `server` presents its keystore and
 * requires a client certificate from the CA `ca`; the client trusts `ca` only and checks the server's name.
 */
async function handshake(
  server: { key: string; cert: string },
  client: { key: string; cert: string },
  ca: string,
  servername: string,
): Promise<{ ok: boolean; error?: string; peer?: string }> {
  const seen: string[] = [];
  const s = createServer({ ...server, ca, requestCert: true, rejectUnauthorized: true }, (sock) => {
    seen.push(String(sock.getPeerCertificate().subject.CN));
    sock.end('ok');
  }).listen(0, '127.0.0.1');
  await once(s, 'listening');
  try {
    const { port } = s.address() as AddressInfo;
    return await new Promise((resolve) => {
      const c = connect({ host: '127.0.0.1', port, servername, ca, ...client }, () => {
        c.once('data', () => {
          c.end();
          resolve({ ok: c.authorized, peer: seen[0] });
        });
      });
      c.on('error', (e) => resolve({ ok: false, error: e.message }));
    });
  } finally {
    s.close();
  }
}

const POD = (i: number) => `mtls-kafka-${i}.mtls-kafka-headless`;

type Made = Required<Omit<ScriptParams, 'storeType'>> & Pick<ScriptParams, 'storeType'>;

describeWithScript().each<Made>([
  { password: 'password', validity: 730, brokers: 3 },
  { password: 'Jks-Secret-42', validity: 365, brokers: 1, storeType: 'jks' },
  { password: 'An0ther-pass', validity: 90, brokers: 24 },
])('taking over what mtls-kafka.sh made (%o)', (p) => {
  let work: string;
  let certs: string;
  let before: Record<string, string>;
  const env = { PASSWORD: p.password, VALIDITY: String(p.validity) };
  const grown = String(p.brokers + 1);

  beforeAll(async () => {
    work = await tempDir('kmtls-takeover-');
    certs = await runScript(work, p);
    before = await snapshot(certs);
  }, 600_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('the script made the store type under test', async () => {
    expect(isJks(await readFile(join(certs, 'mtls-kafka-0.keystore.jks')))).toBe(p.storeType === 'jks');
  });

  test('plan shows what it takes over and that it would write kafka-mtls.json, and touches nothing', async () => {
    const r = await runCli(['plan', '--out', 'certs', '--brokers', grown], { cwd: work, env });
    expect(r.exitCode).toBe(10);
    expect(r.stdout).toMatch(/no kafka-mtls\.json; taken over as mtls-kafka\.sh made it/);
    expect(r.stdout).toMatch(/X\.509 v1/);
    expect(r.stdout).toMatch(new RegExp(`${p.storeType === 'jks' ? 'JKS' : 'PKCS12'} stores`));
    expect(r.stdout).toMatch(/\+ write\s+kafka-mtls\.json/);
    expect(r.stdout).toMatch(new RegExp(`\\+ create\\s+mtls-kafka-${p.brokers}\\b`));
    expect(r.stdout).toMatch(new RegExp(`1 to create, 0 to reissue, 0 to remove, ${p.brokers + 1} kept`));
    // The warning names the cost of the v1 CA and the way out.
    expect(r.stderr).toMatch(/X\.509 v1 CA .*strict clients refuse.*rotate-ca start/);
    expect(changedFiles(before, await snapshot(certs))).toEqual([]);
  }, 120_000);

  test('a wrong PASSWORD is refused by plan and apply: exit 2, one line naming PASSWORD, nothing touched', async () => {
    for (const cmd of ['plan', 'apply']) {
      const r = await runCli([cmd, '--out', 'certs'], { cwd: work, env: { ...env, PASSWORD: 'Wrong-pass-1' } });
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: PASSWORD: does not open .*keystore\.jks/);
    }
    expect(changedFiles(before, await snapshot(certs))).toEqual([]);
  }, 120_000);

  describe('apply --brokers N+1', () => {
    let old: Record<string, string>;
    beforeAll(async () => {
      old = await snapshot(certs);
      const r = await runCli(['apply', '--out', 'certs', '--brokers', grown], { cwd: work, env });
      if (r.exitCode !== 0) throw new Error(`apply failed (${r.exitCode}): ${r.stdout}${r.stderr}`);
    }, 600_000);

    test("every old file is byte-identical: the CA, the leaves, the stores, the script's configs and serial", async () => {
      const now = await snapshot(certs);
      const changed = changedFiles(old, now).filter((f) => f in old);
      expect(changed).toEqual([]);
      const added = Object.keys(now)
        .filter((f) => !(f in old) && !f.startsWith('.kafka-mtls/'))
        .sort();
      const n = p.brokers;
      expect(added).toEqual(
        [
          `ca-request-mtls-kafka-${n}`,
          `ca-signed-mtls-kafka-${n}`,
          `ext${n}.cnf`,
          'kafka-mtls.json',
          `mtls-kafka-${n}.keystore.jks`,
        ].sort(),
      );
    });

    test('the new broker is signed by the old CA, with the same store type and the given VALIDITY', async () => {
      const n = p.brokers;
      const leaf = await certFacts(join(certs, `ca-signed-mtls-kafka-${n}`));
      const ca = await certFacts(join(certs, 'ca.crt'));
      expect(leaf.issuer).toBe(ca.subject);
      expect(leaf.subject).toMatch(new RegExp(`CN\\s*=\\s*${POD(n)}`));
      expect(leaf.validityDays).toBe(p.validity);
      const store = await readFile(join(certs, `mtls-kafka-${n}.keystore.jks`));
      expect(isJks(store)).toBe(p.storeType === 'jks');
      const state = JSON.parse(await readFile(join(certs, 'kafka-mtls.json'), 'utf8'));
      expect(state.storeType).toBe(p.storeType ?? 'pkcs12');
      expect(state.identities).toHaveLength(p.brokers + 2);
    });

    test('verify passes (JSSE and OpenSSL judging), the v1 CA only warned about', async () => {
      const r = await runCli(['verify', 'certs'], { cwd: work, env });
      expect(r.stdout).toMatch(/ 0 failed/);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/WARN .*the CA is X\.509 v1/);
    }, 180_000);

    test('a client that trusted the old CA only accepts the new broker in a real mutual-TLS handshake', async () => {
      const n = p.brokers;
      const backup = (await execa('bash', ['-c', `ls -d ${work}/certs.bak-*`])).stdout.trim();
      const oldCa = await trusted(backup, 'kafka.client.truststore.jks', p.password);
      const server = await pemOf(certs, `mtls-kafka-${n}.keystore.jks`, work, p.password);
      const client = await pemOf(backup, 'mtls-kafka-client.keystore.jks', work, p.password);
      const r = await handshake(server, client, oldCa, POD(n));
      expect(r).toEqual({ ok: true, peer: 'mtls-kafka-client' });
      // The handshake judges: a name the certificate does not carry is refused.
      const wrong = await handshake(server, client, oldCa, POD(n + 1));
      expect(wrong.ok).toBe(false);
    }, 120_000);

    test('plan now reads kafka-mtls.json: nothing to change (exit 0)', async () => {
      const r = await runCli(['plan', '--out', 'certs', '--brokers', grown], { cwd: work, env });
      expect(r.stdout).not.toMatch(/taken over/);
      expect(r.exitCode).toBe(0);
    }, 120_000);

    test('rotate-ca start, reissue and finish from there, verify passing after each; a v3 CA at the end', async () => {
      for (const phase of ['start', 'reissue', 'finish']) {
        const r = await runCli(['rotate-ca', phase, '--out', 'certs'], { cwd: work, env });
        if (r.exitCode !== 0) throw new Error(`rotate-ca ${phase} failed (${r.exitCode}): ${r.stdout}${r.stderr}`);
        const v = await runCli(['verify', 'certs'], { cwd: work, env });
        expect([phase, v.exitCode, v.stdout.match(/\d+ failed/)?.[0]]).toEqual([phase, 0, '0 failed']);
      }
      const text = await execa('openssl', ['x509', '-in', join(certs, 'ca.crt'), '-noout', '-text']);
      expect(text.stdout).toMatch(/Version: 3/);
      const v = await runCli(['verify', 'certs'], { cwd: work, env });
      expect(v.stdout).not.toMatch(/X\.509 v1/);
    }, 600_000);
  });
});

describeWithScript()('what cannot be taken over is refused: exit 2, one line naming the file, nothing touched', () => {
  let work: string;
  let made: string;
  const env = { PASSWORD: 'password' };
  beforeAll(async () => {
    work = await tempDir('kmtls-takeover-bad-');
    made = await runScript(work, { password: 'password', validity: 730, brokers: 1 });
  }, 300_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** A copy of the script's directory, broken by `breakIt`; plan and apply must refuse it and leave it as it is. */
  async function refused(name: string, breakIt: (dir: string) => Promise<void>, message: RegExp): Promise<void> {
    const dir = join(work, name);
    await cp(made, dir, { recursive: true });
    await breakIt(dir);
    const before = await snapshot(dir);
    for (const cmd of ['plan', 'apply']) {
      const r = await runCli([cmd, '--out', name, '--brokers', '2'], { cwd: work, env });
      expect([cmd, r.exitCode]).toEqual([cmd, 2]);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(changedFiles(before, await snapshot(dir))).toEqual([]);
    expect((await execa('bash', ['-c', `ls -d ${dir}.bak-* 2>/dev/null || true`])).stdout).toBe('');
  }

  test('a leaf another CA signed', async () => {
    await mkdir(join(work, 'other-ca'));
    const other = await runScript(join(work, 'other-ca'), { password: 'password', validity: 730, brokers: 1 });
    await refused(
      'foreign-leaf',
      (d) => cp(join(other, 'ca-signed-mtls-kafka-0'), join(d, 'ca-signed-mtls-kafka-0')),
      /ca-signed-mtls-kafka-0 is not signed by .*ca\.crt/,
    );
  }, 300_000);

  test('a truncated keystore', async () => {
    await refused(
      'truncated-store',
      (d) => truncate(join(d, 'mtls-kafka-0.keystore.jks'), 100),
      /mtls-kafka-0\.keystore\.jks is unreadable \(neither a JKS nor a PKCS12 store\)/,
    );
  }, 120_000);

  test('a missing truststore', async () => {
    await refused(
      'no-truststore',
      (d) => rm(join(d, 'kafka.server.truststore.jks')),
      /kafka\.server\.truststore\.jks is missing/,
    );
  }, 120_000);

  test('a ca.key that is not the CA certificate’s key', async () => {
    await refused(
      'wrong-ca-key',
      async (d) => {
        const k = await execa('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
        await writeFile(join(d, 'ca.key'), `${k.stdout}\n`, { mode: 0o600 });
      },
      /ca\.key is not the key of .*ca\.crt/,
    );
  }, 120_000);

  test('no ca.key', async () => {
    await refused('no-ca-key', (d) => rm(join(d, 'ca.key')), /ca\.key: .*without the CA's key nothing can be signed/);
  }, 120_000);

  test('a keystore with no signed certificate beside it', async () => {
    await refused(
      'orphan-store',
      (d) => cp(join(d, 'mtls-kafka-0.keystore.jks'), join(d, 'mtls-kafka-7.keystore.jks')),
      /mtls-kafka-7\.keystore\.jks has no signed certificate ca-signed-mtls-kafka-7 beside it/,
    );
  }, 120_000);

  test('names that fit neither layout', async () => {
    await refused(
      'neither',
      async (d) => {
        for (const f of ['ca-signed-mtls-kafka-0', 'ca-signed-mtls-kafka-client']) await rm(join(d, f));
        for (const f of ['mtls-kafka-0.keystore.jks', 'mtls-kafka-client.keystore.jks']) await rm(join(d, f));
      },
      /its names fit neither mtls-kafka\.sh's layout .* nor the Confluent flow's/,
    );
  }, 120_000);

  test('key material other users can read is named, and its modes are kept; a CA that new leaves outlive is warned of', async () => {
    const dir = join(work, 'modes');
    await cp(made, dir, { recursive: true });
    await chmod(join(dir, 'mtls-kafka-0.keystore.jks'), 0o644);
    await chmod(join(dir, 'ca.key'), 0o600);
    // The script's CA lives VALIDITY days (730); a broker signed now for 1000 days would outlive it.
    const r = await runCli(['apply', '--out', 'modes', '--brokers', '2'], {
      cwd: work,
      env: { ...env, VALIDITY: '1000' },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(
      /warning: mtls-kafka-0\.keystore\.jks \(0644\).* other users can read: kafka-mtls keeps their modes/,
    );
    expect(r.stderr).not.toMatch(/ca\.key \(/);
    expect(r.stderr).toMatch(
      /ca\.crt expires on \d{4}-\d\d-\d\d, before the certificates signed now would \(valid 1000 days/,
    );
    expect((await stat(join(dir, 'mtls-kafka-0.keystore.jks'))).mode & 0o777).toBe(0o644);
    expect((await stat(join(dir, 'mtls-kafka-1.keystore.jks'))).mode & 0o777).toBe(0o600);
    // Signing for no longer than the CA lives: no such warning.
    const again = await runCli(['plan', '--out', 'modes', '--brokers', '3'], { cwd: work, env });
    expect(again.stderr).not.toMatch(/expires on/);
  }, 180_000);

  test('rotate-ca on a directory without kafka-mtls.json says to take it over with apply first', async () => {
    const dir = join(work, 'rotate-first');
    await cp(made, dir, { recursive: true });
    const before = await snapshot(dir);
    const r = await runCli(['rotate-ca', 'start', '--out', 'rotate-first'], { cwd: work, env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/holds no kafka-mtls\.json: take it over first with kafka-mtls apply/);
    expect(changedFiles(before, await snapshot(dir))).toEqual([]);
  }, 60_000);
});
