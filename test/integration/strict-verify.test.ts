/**
 * Strict clients (Python >= 3.13's default context sets VERIFY_X509_STRICT) refuse what OpenSSL's own
 * `verify -x509_strict` refuses: a leaf without an authorityKeyIdentifier, a CA whose basicConstraints is not
 * critical. Every leaf of both layouts must pass it, with the purpose it serves.
 */
import { execa } from 'execa';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';

const ENV = { PASSWORD: 'Strict-Pa55word-7' };
const BROKERS = ['mtls-kafka-0', 'mtls-kafka-1'];
const CLIENT = 'mtls-kafka-client';

/** Each layout's leaf certificate of an alias, as the layout writes it. */
const LEAF: Record<string, (alias: string) => string> = {
  dropin: (alias) => `ca-signed-${alias}`,
  confluent: (alias) => `${alias}-creds/${alias}.crt`,
};

async function strictVerify(out: string, leaf: string, purpose: 'sslserver' | 'sslclient') {
  const args = ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', join(out, 'ca.crt'), join(out, leaf)];
  const r = await execa('openssl', args, { reject: false });
  return { ok: r.exitCode === 0 && String(r.stdout).trim().endsWith(': OK'), stderr: String(r.stderr) };
}

let work: string;
beforeAll(async () => {
  work = await tempDir('kmtls-strict-');
  await Promise.all(
    Object.keys(LEAF).map(async (layout) => {
      const r = await runCli(['generate', '--layout', layout, '--brokers', '2', '--out', layout], {
        cwd: work,
        env: ENV,
      });
      if (r.exitCode !== 0) throw new Error(`generate --layout ${layout}: ${r.stderr}`);
    }),
  );
}, 180_000);
afterAll(() => rm(work, { recursive: true, force: true }));

test('a leaf without an authorityKeyIdentifier fails openssl verify -x509_strict', async () => {
  // OpenSSL 3 adds the AKID unless told "none": the leaf OpenSSL 1.1.1 made from the old confluent config.
  const ext = join(work, 'no-akid.cnf');
  await writeFile(ext, 'basicConstraints = CA:FALSE\nauthorityKeyIdentifier = none\nextendedKeyUsage = serverAuth\n');
  const creds = join(work, 'confluent/mtls-kafka-0-creds');
  await execa('openssl', [
    'x509',
    '-req',
    '-in',
    join(creds, 'mtls-kafka-0.csr'),
    '-CA',
    join(work, 'confluent/ca.crt'),
    '-CAkey',
    join(work, 'confluent/ca.key'),
    '-set_serial',
    '7',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    join(work, 'confluent/no-akid.crt'),
  ]);
  const r = await strictVerify(join(work, 'confluent'), 'no-akid.crt', 'sslserver');
  expect(r.ok).toBe(false);
  expect(r.stderr).toMatch(/Missing Authority Key Identifier/);
});

describe.each(Object.keys(LEAF))('--layout %s', (layout) => {
  test.each(BROKERS)('broker %s passes -x509_strict as an SSL server and an SSL client', async (alias) => {
    const out = join(work, layout);
    expect(await strictVerify(out, LEAF[layout]!(alias), 'sslserver')).toEqual({ ok: true, stderr: '' });
    // Brokers authenticate to each other with the same certificate.
    expect(await strictVerify(out, LEAF[layout]!(alias), 'sslclient')).toEqual({ ok: true, stderr: '' });
  });

  test('the client passes -x509_strict as an SSL client', async () => {
    const out = join(work, layout);
    expect(await strictVerify(out, LEAF[layout]!(CLIENT), 'sslclient')).toEqual({ ok: true, stderr: '' });
  });
});
