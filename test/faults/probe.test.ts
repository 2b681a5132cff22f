import { once } from 'node:events';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI, runCli, snapshot, tempDir } from '../helpers/cli.js';

/**
 * probe with wrong input: exit 2, one sentence naming the argument and the rule, no password printed, no
 * connection made, nothing written. And probe interrupted: its connection ends and it exits at once.
 */
const PW = 'Probe-Fault-Pw-7';
let work: string;
let certs: string;
let listener: Server;
let listenerPort: number;
/** Connections the listener accepted, each with whether the client has closed it. */
const accepted: Array<{ closed: boolean }> = [];

beforeAll(async () => {
  work = await tempDir('kmtls-probe-faults-');
  const r = await runCli(['generate', '--brokers', '1'], { cwd: work, env: { PASSWORD: PW } });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  certs = join(work, 'certs');
  // A real JKS (generate's default is PKCS12 under a .jks name): read through keytool, not openssl.
  const jks = await runCli(['generate', '--brokers', '1', '--store-type', 'jks', '--out', 'jks'], {
    cwd: work,
    env: { PASSWORD: PW },
  });
  if (jks.exitCode !== 0) throw new Error(jks.stderr);
  await writeFile(join(work, 'notes.txt'), 'not a certificate\n');
  await writeFile(join(work, 'damaged.crt'), '-----BEGIN CERTIFICATE-----\nMIIB damaged\n-----END CERTIFICATE-----\n');
  await writeFile(
    join(work, 'cert-only.pem'),
    (await execa('openssl', ['x509', '-in', join(certs, 'ca.crt')])).stdout + '\n',
  );
  await mkdir(join(work, 'a-directory'));
  // Accepts and never answers: a probe against it waits until its time-out, or until it is interrupted.
  listener = createServer((sock: Socket) => {
    const seen = { closed: false };
    accepted.push(seen);
    sock.on('error', () => undefined);
    sock.on('close', () => (seen.closed = true));
    sock.resume();
  }).listen(0, '127.0.0.1');
  await once(listener, 'listening');
  listenerPort = (listener.address() as AddressInfo).port;
}, 120_000);

afterAll(async () => {
  await new Promise((r) => listener.close(r));
  await rm(work, { recursive: true, force: true });
});

interface BadInput {
  readonly name: string;
  readonly args: string[];
  readonly env?: Record<string, string>;
  readonly sentence: RegExp;
}

const target = () => `127.0.0.1:${listenerPort}`;
const BAD: BadInput[] = [
  {
    name: 'port 0',
    args: ['127.0.0.1:0'],
    sentence: /^error: <host:port>: the port must be a whole number from 1 to 65535, got "127\.0\.0\.1:0"$/,
  },
  {
    name: 'port 65536',
    args: ['kafka-0:65536'],
    sentence: /^error: <host:port>: the port must be a whole number from 1 to 65535, got "kafka-0:65536"$/,
  },
  {
    name: 'a port that is not a number',
    args: ['kafka-0:ssl'],
    sentence: /^error: <host:port>: the port must be a whole number from 1 to 65535, got "kafka-0:ssl"$/,
  },
  {
    name: 'no port',
    args: ['kafka-0'],
    sentence:
      /^error: <host:port>: must be HOST:PORT with a port from 1 to 65535 \(an IPv6 address in brackets: \[::1\]:9093\), got "kafka-0"$/,
  },
  {
    name: 'an IPv6 address without brackets',
    args: ['::1:9093'],
    sentence: /^error: <host:port>: an IPv6 address goes in brackets, as in \[::1\]:9093, got "::1:9093"$/,
  },
  {
    name: 'brackets around an IPv4 address',
    args: ['[127.0.0.1]:9093'],
    sentence: /^error: <host:port>: brackets must hold an IPv6 address, got "\[127\.0\.0\.1\]:9093"$/,
  },
  {
    name: 'no host',
    args: [':9093'],
    sentence: /^error: <host:port>: must be HOST:PORT with a port from 1 to 65535 .*, got ":9093"$/,
  },
  {
    name: 'a host name with an underscore',
    args: ['kafka_0:9093'],
    sentence: /^error: <host:port>: must be a DNS name .*, got "kafka_0"$/,
  },
  {
    name: '--timeout 0',
    args: ['kafka-0:9093', '--timeout', '0'],
    sentence: /^error: --timeout: must be a whole number from 1 to 300, got "0"$/,
  },
  {
    name: 'a --servername that is not a name',
    args: ['kafka-0:9093', '--servername', 'kafka 0'],
    sentence: /^error: --servername: must be a DNS name .*, got "kafka 0"$/,
  },
  {
    name: 'a --ca that does not exist',
    args: ['kafka-0:9093', '--ca', 'nope.crt'],
    sentence: /^error: --ca: must be a readable file; \/\S+\/nope\.crt does not exist$/,
  },
  {
    name: 'a --ca that is a directory',
    args: ['kafka-0:9093', '--ca', 'a-directory'],
    sentence: /^error: --ca: must be a regular file; \/\S+\/a-directory is a directory$/,
  },
  {
    name: 'a --ca whose PEM is damaged',
    args: ['kafka-0:9093', '--ca', 'damaged.crt'],
    sentence: /^error: --ca: must hold a PEM certificate that parses: \/\S+\/damaged\.crt$/,
  },
  {
    name: 'a --ca that is neither PEM nor a store',
    args: ['kafka-0:9093', '--ca', 'notes.txt'],
    sentence:
      /^error: --ca: must be a PEM CA, or a truststore that opens with the password and holds a CA: \/\S+\/notes\.txt$/,
  },
  {
    name: 'a truststore as --ca with a wrong PASSWORD',
    args: ['kafka-0:9093', '--ca', 'certs/kafka.client.truststore.jks'],
    env: { PASSWORD: 'Not-The-Pw-1' },
    sentence:
      /^error: --ca: must be a PEM CA, or a truststore that opens with the password and holds a CA: \/\S+\/certs\/kafka\.client\.truststore\.jks$/,
  },
  {
    name: 'a keystore as --client with a wrong PASSWORD',
    args: ['kafka-0:9093', '--client', 'certs/mtls-kafka-client.keystore.jks'],
    env: { PASSWORD: 'Not-The-Pw-1' },
    sentence:
      /^error: --client: must be a PEM file with certificate and key, or a PKCS12 or JKS keystore that opens with the password: \/\S+\/certs\/mtls-kafka-client\.keystore\.jks$/,
  },
  {
    name: 'a JKS keystore as --client with a wrong PASSWORD',
    args: ['kafka-0:9093', '--client', 'jks/mtls-kafka-client.keystore.jks'],
    env: { PASSWORD: 'Not-The-Pw-1' },
    sentence:
      /^error: --client: must be a PEM file with certificate and key, or a PKCS12 or JKS keystore that opens with the password: \/\S+\/jks\/mtls-kafka-client\.keystore\.jks$/,
  },
  {
    name: 'a PEM --client without its key',
    args: ['kafka-0:9093', '--client', 'cert-only.pem'],
    sentence:
      /^error: --client: must hold a certificate and the private key that belongs to it: cert-only\.pem \(.+\)$/,
  },
  {
    name: 'a --password-file that does not exist',
    args: ['kafka-0:9093', '--password-file', 'pw.txt'],
    sentence: /^error: --password-file: must be a readable file; pw\.txt does not exist$/,
  },
];

describe.each(BAD)('$name', (bad) => {
  test('exit 2, one sentence, no password, no connection, nothing written', async () => {
    const before = await snapshot(work);
    const connections = accepted.length;
    const args = bad.args.map((a) => (a === 'kafka-0:9093' ? target() : a));
    const r = await runCli(['probe', ...args], { cwd: work, env: { PASSWORD: PW, ...bad.env } });
    expect({ exit: r.exitCode, stderr: r.stderr.trim() }).toEqual({
      exit: 2,
      stderr: expect.stringMatching(bad.sentence),
    });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
    expect(r.stdout + r.stderr).not.toContain(PW);
    expect(r.stdout + r.stderr).not.toContain('Not-The-Pw-1');
    expect(accepted.length).toBe(connections);
    expect(await snapshot(work)).toEqual(before);
  }, 60_000);
});

describe.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const)('%s while probing a listener that never answers', (signal, exitCode) => {
  test(`ends the connection and exits ${exitCode} at once`, async () => {
    const connections = accepted.length;
    const args = [CLI, 'probe', target(), '--timeout', '60', '--ca', join(certs, 'ca.crt')];
    const child = execa(process.execPath, args, { cwd: work, env: { PASSWORD: PW, NO_COLOR: '1' }, reject: false });
    for (let i = 0; i < 200 && accepted.length === connections; i++) await new Promise((r) => setTimeout(r, 50));
    expect(accepted.length).toBe(connections + 1);
    const sentAt = Date.now();
    child.kill(signal);
    const r = await child;
    expect(Date.now() - sentAt).toBeLessThan(5000);
    expect({ exit: r.exitCode, stderr: String(r.stderr).trim() }).toEqual({
      exit: exitCode,
      stderr: `cancelled (${signal}). Nothing was touched.`,
    });
    expect(accepted.length).toBe(connections + 1);
    for (let i = 0; i < 40 && !accepted.at(-1)!.closed; i++) await new Promise((r) => setTimeout(r, 50));
    expect(accepted.at(-1)!.closed).toBe(true);
  }, 60_000);
});
