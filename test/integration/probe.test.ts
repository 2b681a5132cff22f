import { execa, type ResultPromise } from 'execa';
import { rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';

/** probe against local openssl s_server instances presenting the generated broker certificate. */
const PW = 'Probe-Pa55word';
const BROKER = 'mtls-kafka-0.mtls-kafka-headless';
let work: string;
let certs: string;
const servers: ResultPromise[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as import('node:net').AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts s_server with a certificate and key (PEM) and waits until it accepts. */
async function serve(cert: string, key: string, requireClient: boolean): Promise<number> {
  const port = await freePort();
  const args = ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert, '-key', key, '-CAfile', join(certs, 'ca.crt'), '-quiet', ...(requireClient ? ['-Verify', '1'] : [])];
  const p = execa('openssl', args, { reject: false, stdin: 'pipe', cleanup: true });
  servers.push(p);
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.on('connect', () => (sock.destroy(), resolve(true)));
      sock.on('error', () => resolve(false));
    }).catch(() => false);
    if (ok) return port;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('s_server did not start');
}

async function pemOf(store: string, out: string, part: '-nocerts' | '-clcerts'): Promise<string> {
  const r = await execa('openssl', ['pkcs12', '-in', store, '-passin', 'env:PW', '-nodes', part === '-clcerts' ? '-nokeys' : '-nocerts', ...(part === '-clcerts' ? ['-clcerts'] : [])], { env: { PW } });
  await writeFile(out, String(r.stdout), { mode: 0o600 });
  return out;
}

beforeAll(async () => {
  work = await tempDir('kmtls-probe-');
  const r = await runCli(['generate', '--brokers', '1'], { cwd: work, env: { PASSWORD: PW } });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  certs = join(work, 'certs');
}, 60_000);
afterAll(async () => {
  for (const s of servers) s.kill();
  await Promise.allSettled(servers);
  await rm(work, { recursive: true, force: true });
});

const probe = (args: string[]) => runCli(['probe', ...args], { cwd: work, env: { PASSWORD: PW } });

test('a listener that requires a client certificate: protocol, chain, verified, mutual TLS on', async () => {
  const key = await pemOf(join(certs, 'mtls-kafka-0.keystore.jks'), join(work, 'b0.key'), '-nocerts');
  const cert = await pemOf(join(certs, 'mtls-kafka-0.keystore.jks'), join(work, 'b0.crt'), '-clcerts');
  const port = await serve(cert, key, true);
  const r = await probe([`127.0.0.1:${port}`, '--servername', BROKER, '--ca', join(certs, 'kafka.client.truststore.jks'), '--client', join(certs, 'mtls-kafka-client.keystore.jks')]);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toMatch(/✓ TLSv1\.3: connected, cipher TLS_\S+/);
  expect(r.stdout).toMatch(/✓ TLSv1\.2: connected, cipher \S+/);
  expect(r.stdout).toMatch(/chain\[0\] .*CN = mtls-kafka-0\.mtls-kafka-headless/);
  expect(r.stdout).toMatch(/verify against --ca: OK, host name included/);
  expect(r.stdout).toMatch(/client certificate: requested by the server \(mutual TLS on\)/);
  expect(r.stdout + r.stderr).not.toContain(PW);
}, 60_000);

test('a listener that does not ask for a client certificate: mutual TLS off', async () => {
  const port = await serve(join(work, 'b0.crt'), join(work, 'b0.key'), false);
  const r = await probe([`127.0.0.1:${port}`, '--servername', BROKER, '--ca', join(certs, 'ca.crt'), '--json']);
  expect(r.exitCode).toBe(0);
  const result = JSON.parse(r.stdout);
  expect(result.results.map((x: { clientCertRequested: boolean }) => x.clientCertRequested)).toEqual([false, false]);
  expect(result.results[0].verify).toEqual({ code: 0, text: 'ok' });
}, 60_000);

test('a server presenting a certificate for another name fails verification, with a hint', async () => {
  // The client's certificate stands in for a broker certificate of the wrong name.
  const key = await pemOf(join(certs, 'mtls-kafka-client.keystore.jks'), join(work, 'c.key'), '-nocerts');
  const cert = await pemOf(join(certs, 'mtls-kafka-client.keystore.jks'), join(work, 'c.crt'), '-clcerts');
  const port = await serve(cert, key, false);
  const r = await probe([`127.0.0.1:${port}`, '--servername', BROKER, '--ca', join(certs, 'ca.crt')]);
  expect(r.exitCode).toBe(1);
  expect(r.stdout).toMatch(/verify against --ca: failed: hostname mismatch \(62\)/);
  expect(r.stdout).toMatch(/hint: the server's certificate has no SAN for mtls-kafka-0\.mtls-kafka-headless/);
}, 60_000);

test('nothing listening: connection refused, in words', async () => {
  const r = await probe([`127.0.0.1:${await freePort()}`, '--timeout', '5']);
  expect(r.exitCode).toBe(1);
  expect(r.stdout).toMatch(/✗ TLSv1\.3: Connection refused\n +hint: nothing listens there/);
});

test('a malformed target is bad usage', async () => {
  const r = await probe(['no-port-here']);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toMatch(/^error: <host:port>: must be HOST:PORT, got "no-port-here"$/m);
});
