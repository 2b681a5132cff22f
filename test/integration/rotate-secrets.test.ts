import { execa } from 'execa';
import { X509Certificate } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runCli, tempDir } from '../helpers/cli.js';

/**
 * rotate-ca and the emitted Secrets: after each phase, every truststore inside a Secret (base64-decoded, opened
 * with keytool) holds exactly the CAs the directory's truststore of that name holds, every store in a Secret is
 * the directory's file byte for byte, and a tls Secret's ca.crt is the CAs the truststores hold while its tls.key
 * is the keystore's key. Before the fix, start and finish left the Secrets as they were: the first check after
 * start failed.
 */
const PW = 'Rotate-Secrets-Pw-7';
const ENV = { PASSWORD: PW };

/** The CN of every trusted entry of a store, as keytool lists it: `alias CN`, sorted. */
async function trustedCns(store: string): Promise<string[]> {
  const r = await execa(
    'keytool',
    ['-J-Duser.language=en', '-list', '-v', '-keystore', store, '-storepass:env', 'PASSWORD'],
    { env: ENV },
  );
  return [...String(r.stdout).matchAll(/^Alias name: (.*)\n[\s\S]*?^Entry type: (.*)\n[\s\S]*?^Owner: (.*)$/gm)]
    .filter((m) => m[2] === 'trustedCertEntry')
    .map((m) => `${m[1]} ${/CN=([^,]*)/.exec(m[3]!)![1]}`)
    .sort();
}

interface SecretData {
  readonly file: string;
  readonly data: Record<string, Buffer>;
}

async function secrets(dir: string): Promise<SecretData[]> {
  const k8s = join(dir, 'kubernetes');
  const out: SecretData[] = [];
  for (const f of (await readdir(k8s)).sort()) {
    for (const doc of parseAllDocuments(await readFile(join(k8s, f), 'utf8')) as ReturnType<typeof parseAllDocuments> &
      unknown[]) {
      const o = (doc as { toJS(): Record<string, unknown> }).toJS();
      if (o.kind !== 'Secret') continue;
      const data = Object.fromEntries(
        Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
      );
      out.push({ file: f, data });
    }
  }
  return out;
}

/** Where the file a Secret's key is named after lies: in the directory, or in the identity's creds directory. */
async function fileFor(dir: string, key: string): Promise<string | undefined> {
  const top = await readdir(dir);
  if (top.includes(key)) return join(dir, key);
  for (const d of top.filter((t) => t.endsWith('-creds')))
    if ((await readdir(join(dir, d))).includes(key)) return join(dir, d, key);
  return undefined;
}

const pemCns = (pem: Buffer) =>
  (pem.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map(
    (c) => /CN=([^\n,]*)/.exec(new X509Certificate(c).subject)![1],
  );

/** Every check above, on the directory as it is; returns what was compared, to show the checks did run. */
async function checkSecrets(dir: string, scratch: string): Promise<{ truststores: number; tls: number }> {
  let truststores = 0;
  let tls = 0;
  const all = await secrets(dir);
  expect(all.length).toBeGreaterThan(0);
  for (const s of all) {
    for (const [key, bytes] of Object.entries(s.data)) {
      if (!/\.(jks|pkcs12|p12)$/.test(key)) continue;
      const file = await fileFor(dir, key);
      expect([s.file, key, file !== undefined]).toEqual([s.file, key, true]);
      expect([s.file, key, bytes.equals(await readFile(file!))]).toEqual([s.file, key, true]);
      if (/truststore/.test(key)) {
        const copy = join(scratch, `${s.file}-${key}`);
        await writeFile(copy, bytes);
        expect([s.file, key, await trustedCns(copy)]).toEqual([s.file, key, await trustedCns(file!)]);
        truststores++;
      }
    }
    if (s.data['ca.crt']) {
      const trust = (await fileFor(dir, 'kafka.server.truststore.jks')) ?? (await firstConfluentTruststore(dir));
      const inTrust = (await trustedCns(trust)).map((l) => l.slice(l.indexOf(' ') + 1)).sort();
      expect([s.file, pemCns(s.data['ca.crt']).sort()]).toEqual([s.file, inTrust]);
      // tls.key is the key of tls.crt's leaf: the keystore's.
      const leaf = new X509Certificate(s.data['tls.crt']!);
      const key = createPublicKey(s.data['tls.key']!.toString('utf8')).export({ type: 'spki', format: 'der' });
      expect(Buffer.from(key).equals(leaf.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
      expect(s.data['tls.key']!.toString('utf8')).toMatch(
        /^-----BEGIN PRIVATE KEY-----\n[^]*-----END PRIVATE KEY-----\n$/,
      );
      tls++;
    }
  }
  return { truststores, tls };
}

async function firstConfluentTruststore(dir: string): Promise<string> {
  const d = (await readdir(dir)).find((f) => f.endsWith('-creds'))!;
  const t = (await readdir(join(dir, d))).find((f) => f.endsWith('.truststore.pkcs12'))!;
  return join(dir, d, t);
}

const tlsKeys = async (dir: string) =>
  Object.fromEntries(
    (await secrets(dir)).filter((s) => s.data['tls.key']).map((s) => [s.file, s.data['tls.key']!.toString('utf8')]),
  );

describe.each([
  ['dropin', 'kubernetes', ['generate', '--brokers', '2', '--emit', 'kubernetes,pem']],
  ['dropin', 'kubernetes-per-broker', ['generate', '--brokers', '2', '--emit', 'kubernetes-per-broker']],
  ['confluent', 'kubernetes-per-broker', ['generate', '--config', 'c.yaml', '--out', 'certs']],
])('rotate-ca on the %s layout with --emit %s', (layout, emit, generate) => {
  let dir: string;
  let certs: string;
  let scratch: string;
  beforeAll(async () => {
    dir = await tempDir();
    certs = join(dir, 'certs');
    scratch = await tempDir();
    await writeFile(
      join(dir, 'c.yaml'),
      `layout: confluent\nemit: [${emit}]\nbrokers:\n  kafka-1: [kafka-1]\n  kafka-2: [kafka-2]\nclients: [app]\n`,
    );
    const r = await runCli(generate, { cwd: dir, env: ENV });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  test('after generate, start, reissue and finish, each Secret trusts what the truststores trust', async () => {
    const counts = [await checkSecrets(certs, scratch)];
    const keys0 = await tlsKeys(certs);
    const trusted: string[][] = [];
    for (const phase of ['start', 'reissue', 'finish']) {
      const r = await runCli(['rotate-ca', phase, '--out', 'certs'], { cwd: dir, env: ENV });
      expect([phase, r.exitCode, r.stderr]).toEqual([phase, 0, '']);
      counts.push(await checkSecrets(certs, scratch));
      const t =
        layout === 'dropin' ? join(certs, 'kafka.server.truststore.jks') : await firstConfluentTruststore(certs);
      trusted.push(await trustedCns(t));
      // start leaves the leaves as they are: the tls Secrets' keys are the same keys.
      if (phase === 'start') expect(await tlsKeys(certs)).toEqual(keys0);
    }
    const ca = layout === 'dropin' ? 'Kafka-Security-CA' : 'confluent-ca';
    expect(trusted).toEqual([
      [`caroot ${ca}`, `caroot-next ${ca} v2`],
      [`caroot ${ca}`, `caroot-next ${ca} v2`],
      [`caroot ${ca} v2`],
    ]);
    // Every Secret's truststore was compared: brokers' Secret and clients' (kubernetes), or each identity's.
    const perPhase = emit === 'kubernetes' ? 2 : 3;
    expect(counts.map((c) => c.truststores)).toEqual([perPhase, perPhase, perPhase, perPhase]);
    expect(counts.map((c) => c.tls)).toEqual(emit === 'kubernetes' ? [0, 0, 0, 0] : [3, 3, 3, 3]);
    expect((await runCli(['verify', 'certs'], { cwd: dir, env: ENV })).exitCode).toBe(0);
  }, 300_000);
});
