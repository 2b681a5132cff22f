import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { execa } from 'execa';
import { runCli, tempDir } from '../helpers/cli.js';

/**
 * probe's verdicts, each against a real server made to produce it: openssl s_server for the TLS outcomes,
 * node net servers for "not TLS" and "no answer", node tls servers for a close after the handshake (s_server keeps
 * a connection until the client or its stdin ends it). Material comes from the project's own generate: `ours` is
 * the cluster, `other` a second cluster with another CA, `jks` a JKS cluster signed by ours's CA. Negative
 * outcomes first.
 */
const PW = 'Probe-Pa55word';
const BROKER = 'mtls-kafka-0.mtls-kafka-headless';
let work: string;
const servers: ChildProcess[] = [];
const netServers: Server[] = [];
const pem: Record<string, string> = {};

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function accepts(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, host);
    sock.on('connect', () => (sock.destroy(), resolve(true)));
    sock.on('error', () => resolve(false));
  });
}

/** openssl s_server presenting `cert` (a name in `pem`), trusting our CA for client certificates; waits until it accepts. */
async function sServer(cert: string, flags: string[], host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const args = ['s_server', '-accept', `${host}:${port}`, '-cert', pem[`${cert}.crt`]!, '-key', pem[`${cert}.key`]!];
    const p = spawn('openssl', [...args, '-CAfile', pem['ours-ca']!, '-quiet', ...flags], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    servers.push(p);
    for (let i = 0; i < 50 && p.exitCode === null; i++) {
      if (await accepts(port, host)) return port;
      await new Promise((r) => setTimeout(r, 100));
    }
    await stop(p);
  }
  throw new Error('s_server did not start');
}

/**
 * A Node TLS server as a broker with ssl.client.auth=required would be configured (our CA, requestCert,
 * rejectUnauthorized), calling `onSecure` with each connection whose client certificate it verified.
 */
async function tlsServer(onSecure: (s: TLSSocket) => void): Promise<number> {
  const [key, cert, ca] = await Promise.all(
    [pem['ours-broker.key']!, pem['ours-broker.crt']!, pem['ours-ca']!].map((f) => readFile(f)),
  );
  const s = createTlsServer({ key, cert, ca, requestCert: true, rejectUnauthorized: true }, onSecure).listen(
    0,
    '127.0.0.1',
  );
  netServers.push(s);
  await once(s, 'listening');
  return (s.address() as AddressInfo).port;
}

async function netServer(onConnection: (s: Socket) => void): Promise<number> {
  const s = createServer((sock) => {
    sock.on('error', () => undefined);
    // Unread, a socket never sees the client's FIN, and close() would wait for it forever.
    sock.resume();
    onConnection(sock);
  }).listen(0, '127.0.0.1');
  netServers.push(s);
  await once(s, 'listening');
  return (s.address() as AddressInfo).port;
}

/** Broker or client certificate and key of a generated directory, as PEM files for s_server. */
async function extract(dir: string, store: string, name: string): Promise<void> {
  const args = ['pkcs12', '-in', join(dir, store), '-passin', 'env:PW', '-nodes'];
  const key = await execa('openssl', [...args, '-nocerts'], { env: { PW } });
  const crt = await execa('openssl', [...args, '-nokeys', '-clcerts'], { env: { PW } });
  // execa strips the last newline; PEM files end with one (cat a.crt a.key must stay valid PEM).
  await writeFile((pem[`${name}.key`] = join(work, `${name}.key`)), `${key.stdout}\n`, { mode: 0o600 });
  await writeFile((pem[`${name}.crt`] = join(work, `${name}.crt`)), `${crt.stdout}\n`);
}

beforeAll(async () => {
  work = await tempDir('kmtls-probe-');
  for (const [name, extra] of [
    ['ours', ['--san', 'IP:127.0.0.2']],
    ['other', ['--ca-cn', 'Another-CA']],
  ] as const) {
    const r = await runCli(['generate', '--brokers', '1', '--out', name, ...extra], {
      cwd: work,
      env: { PASSWORD: PW },
    });
    if (r.exitCode !== 0) throw new Error(r.stderr);
    await extract(join(work, name), 'mtls-kafka-0.keystore.jks', `${name}-broker`);
    await extract(join(work, name), 'mtls-kafka-client.keystore.jks', `${name}-client`);
    pem[`${name}-ca`] = join(work, name, 'ca.crt');
  }
  // A JKS keystore (magic 0xfeedfeed, which openssl cannot read), its client signed by ours's CA.
  const own = ['--ca-cert', join('ours', 'ca.crt'), '--ca-key', join('ours', 'ca.key'), '--validity', '30'];
  const jks = ['generate', '--brokers', '1', '--out', 'jks', '--store-type', 'jks', ...own];
  const r = await runCli(jks, { cwd: work, env: { PASSWORD: PW } });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  const magic = (await readFile(join(work, 'jks', 'mtls-kafka-client.keystore.jks'))).readUInt32BE(0);
  if (magic !== 0xfeedfeed) throw new Error('generate --store-type jks made no JKS');
}, 120_000);

/** Ends a server, with SIGKILL if SIGTERM has not done it within two seconds. */
async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  const exited = once(p, 'exit');
  p.kill();
  const late = setTimeout(() => p.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(late);
}

afterAll(async () => {
  await Promise.all(servers.map(stop));
  await Promise.all(netServers.map((s) => new Promise((r) => s.close(r))));
  await rm(work, { recursive: true, force: true });
});

const REQUIRE = ['-Verify', '1', '-verify_return_error'];
const ours = () => ['--ca', pem['ours-ca']!];
const ourClient = () => ['--client', join(work, 'ours', 'mtls-kafka-client.keystore.jks')];
const otherClient = () => ['--client', join(work, 'other', 'mtls-kafka-client.keystore.jks')];
const jksClient = () => ['--client', join(work, 'jks', 'mtls-kafka-client.keystore.jks')];

interface Row {
  name: string;
  /** Starts the server and returns the target and probe's arguments. */
  setup: () => Promise<{ target: string; args: string[] }>;
  exitCode: number;
  /** Outcome codes for TLSv1.3 and TLSv1.2. */
  codes: [string, string];
  sentence: RegExp;
  hint?: RegExp;
}

const rows: Row[] = [
  {
    name: 'mutual TLS required, no client certificate sent',
    setup: async () => ({
      target: `127.0.0.1:${await sServer('ours-broker', REQUIRE)}`,
      args: ['--servername', BROKER, ...ours()],
    }),
    exitCode: 1,
    codes: ['client-cert-required', 'client-cert-required'],
    sentence:
      /^the server requires a client certificate and we sent none \(alert "(certificate required|handshake failure)"\)$/,
    hint: /enforces mutual TLS: pass --client with a keystore signed by a CA its truststore holds/,
  },
  {
    name: 'a client certificate from another CA',
    setup: async () => ({
      target: `127.0.0.1:${await sServer('ours-broker', REQUIRE)}`,
      args: ['--servername', BROKER, ...ours(), ...otherClient()],
    }),
    exitCode: 1,
    codes: ['client-cert-rejected', 'client-cert-rejected'],
    sentence: /^the server rejected our client certificate: alert "unknown CA" \(48\)$/,
    hint: /truststore \(ssl\.truststore\.location\) does not hold the CA that signed --client/,
  },
  {
    name: 'a client certificate from another CA, and no session tickets to wait for',
    setup: async () => ({
      target: `127.0.0.1:${await sServer('ours-broker', [...REQUIRE, '-num_tickets', '0'])}`,
      args: ['--servername', BROKER, ...ours(), ...otherClient()],
    }),
    exitCode: 1,
    codes: ['client-cert-rejected', 'client-cert-rejected'],
    sentence: /^the server rejected our client certificate: alert "unknown CA" \(48\)$/,
    hint: /does not hold the CA that signed --client/,
  },
  {
    name: 'a server certificate from another CA than --ca',
    setup: async () => ({
      target: `127.0.0.1:${await sServer('other-broker', REQUIRE)}`,
      args: ['--servername', BROKER, ...ours(), ...ourClient()],
    }),
    exitCode: 1,
    codes: ['server-untrusted', 'server-untrusted'],
    // s_server sends the leaf alone when its -CAfile does not hold the leaf's issuer.
    sentence:
      /^server certificate not trusted: its certificate was not signed by a CA in --ca \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/,
    hint: /pass the CA that signed it as --ca \(kafka-mtls inspect shows the issuer\)/,
  },
  {
    name: 'a server certificate without the DNS name asked for',
    setup: async () => ({
      target: `127.0.0.1:${await sServer('ours-broker', REQUIRE)}`,
      args: ['--servername', 'kafka-9.example.com', ...ours(), ...ourClient()],
    }),
    exitCode: 1,
    codes: ['name-mismatch', 'name-mismatch'],
    sentence: /^the server's certificate does not cover the DNS name kafka-9\.example\.com; it has DNS:mtls-kafka-0\./,
    hint: /reissue the certificate with --san kafka-9\.example\.com, or connect by a name it has/,
  },
  {
    name: 'a server certificate without the IP address asked for',
    setup: async () => ({
      target: `127.0.0.1:${await sServer('ours-broker', REQUIRE)}`,
      args: [...ours(), ...ourClient()],
    }),
    exitCode: 1,
    codes: ['name-mismatch', 'name-mismatch'],
    sentence: /^the server's certificate does not cover the IP address 127\.0\.0\.1; it has .*IP Address:127\.0\.0\.2/,
    hint: /clients connecting by IP need an IP SAN: reissue with --san IP:127\.0\.0\.1/,
  },
  {
    name: 'a server that verified our client certificate, then closed without an alert, a ticket or an answer',
    // Node sends no session ticket when the connection ends at once; TLS 1.2's Finished already gave the verdict.
    setup: async () => ({
      target: `127.0.0.1:${await tlsServer((s) => s.end())}`,
      args: ['--servername', BROKER, ...ours(), ...ourClient()],
    }),
    exitCode: 1,
    codes: ['closed-after-accept', 'accepted'],
    sentence:
      /^the server completed the TLSv1\.3 handshake with our client certificate, then closed the connection with no alert, no session ticket and no Kafka answer: it did not say it rejected the certificate$/,
    hint: /something past TLS ended the connection .*: the server's log says which; read it for a connection from this host$/,
  },
  {
    name: 'a Node TLS server that requires a client certificate, none sent: its alert is the rejection',
    setup: async () => ({
      target: `127.0.0.1:${await tlsServer((s) => s.end())}`,
      args: ['--servername', BROKER, ...ours()],
    }),
    exitCode: 1,
    codes: ['client-cert-required', 'client-cert-required'],
    sentence: /^the server requires a client certificate and we sent none \(alert "certificate required"\)$/,
    hint: /enforces mutual TLS: pass --client/,
  },
  {
    name: 'an SNI the server does not serve (s_server -servername_fatal)',
    setup: async () => {
      const crt = pem['ours-broker.crt']!;
      const key = pem['ours-broker.key']!;
      const sni = ['-servername', BROKER, '-cert2', crt, '-key2', key, '-servername_fatal'];
      return {
        target: `127.0.0.1:${await sServer('ours-broker', sni)}`,
        args: ['--servername', 'kafka-9.example.com', ...ours()],
      };
    },
    exitCode: 1,
    codes: ['handshake-failed', 'handshake-failed'],
    sentence:
      /^the server does not know the name we sent as SNI, kafka-9\.example\.com \(alert "unrecognized name" \(112\)\)$/,
    hint: /pass --servername with a name this listener serves/,
  },
  {
    name: 'a server that does not ask for a client certificate, probed with one',
    setup: async () => ({
      target: `127.0.0.1:${await sServer('ours-broker', [])}`,
      args: ['--servername', BROKER, ...ours(), ...ourClient()],
    }),
    exitCode: 1,
    codes: ['client-cert-not-requested', 'client-cert-not-requested'],
    sentence: /^the server did not ask for a client certificate: the connection works, but it is not mutual TLS$/,
    hint: /set ssl\.client\.auth=required on this listener/,
  },
  {
    name: 'a plain TCP server that answers garbage',
    setup: async () => ({
      target: `127.0.0.1:${await netServer((s) => s.end('HTTP/1.0 400 Bad Request\r\n\r\n'))}`,
      args: [],
    }),
    exitCode: 1,
    codes: ['not-tls', 'not-tls'],
    sentence: /^127\.0\.0\.1:\d+ answered, but not in TLS \(wrong version number\)$/,
    hint: /plaintext listener \(PLAINTEXT or SASL_PLAINTEXT\) or another service: probe the SSL listener's port/,
  },
  {
    name: 'a socket that accepts and never answers',
    setup: async () => ({ target: `127.0.0.1:${await netServer(() => undefined)}`, args: ['--timeout', '1'] }),
    exitCode: 1,
    codes: ['timeout', 'timeout'],
    sentence: /^no answer: the connection was accepted but no TLS answer came within 1 s$/,
    hint: /may not be a TLS listener, or the broker is overloaded/,
  },
  {
    name: 'a closed port',
    setup: async () => ({ target: `127.0.0.1:${await freePort()}`, args: [] }),
    exitCode: 1,
    codes: ['refused', 'refused'],
    sentence: /^connection refused: nothing listens on 127\.0\.0\.1:\d+$/,
    hint: /check the port .* and that the broker is up/,
  },
  {
    name: 'an unresolvable name',
    setup: async () => ({ target: 'nosuchhost.invalid:9093', args: [] }),
    exitCode: 1,
    codes: ['unresolved', 'unresolved'],
    sentence: /^cannot resolve nosuchhost\.invalid/,
    hint: /check the name; a Kubernetes service name resolves only inside its cluster/,
  },
  {
    name: 'a server that speaks only TLS 1.2, with mutual TLS: 1.3 unsupported, 1.2 accepted',
    setup: async () => ({
      target: `127.0.0.1:${await sServer('ours-broker', [...REQUIRE, '-tls1_2'])}`,
      args: ['--servername', BROKER, ...ours(), ...ourClient()],
    }),
    exitCode: 0,
    codes: ['protocol-unsupported', 'accepted'],
    sentence: /^the server does not speak TLSv1\.3: alert "protocol version" \(70\)$/,
    hint: /ssl\.enabled\.protocols/,
  },
  {
    name: 'no client certificate required, none sent: accepted, and said not to be mutual TLS',
    setup: async () => ({
      target: `127.0.0.1:${await sServer('ours-broker', [])}`,
      args: ['--servername', BROKER, ...ours()],
    }),
    exitCode: 0,
    codes: ['accepted', 'accepted'],
    sentence:
      /^accepted without a client certificate: the server did not ask for one \(ssl\.client\.auth=none\), so this listener does not enforce mutual TLS/,
    hint: /to test mutual TLS pass --client/,
  },
  {
    name: 'mutual TLS with the right client certificate (a keystore, the CA from a truststore)',
    setup: async () => ({
      target: `127.0.0.1:${await sServer('ours-broker', REQUIRE)}`,
      args: ['--servername', BROKER, '--ca', join(work, 'ours', 'kafka.client.truststore.jks'), ...ourClient()],
    }),
    exitCode: 0,
    codes: ['accepted', 'accepted'],
    sentence:
      /^accepted: the server asked for our client certificate and accepted it \(the server sent a session ticket after the handshake\)$/,
  },
  {
    name: 'mutual TLS with a JKS client keystore and a JKS truststore',
    setup: async () => ({
      target: `127.0.0.1:${await sServer('ours-broker', REQUIRE)}`,
      args: ['--servername', BROKER, '--ca', join(work, 'jks', 'kafka.client.truststore.jks'), ...jksClient()],
    }),
    exitCode: 0,
    codes: ['accepted', 'accepted'],
    sentence: /^accepted: the server asked for our client certificate and accepted it \(/,
  },
  {
    name: 'mutual TLS by IP address (PEM CA and client), with no session tickets: the quiet after the handshake decides',
    setup: async () => {
      const port = await sServer('ours-broker', [...REQUIRE, '-num_tickets', '0'], '127.0.0.2');
      const both =
        (await readFile(pem['ours-client.crt']!, 'utf8')) + (await readFile(pem['ours-client.key']!, 'utf8'));
      await writeFile(join(work, 'client.pem'), both, { mode: 0o600 });
      return { target: `127.0.0.2:${port}`, args: ['--ca', pem['ours-ca']!, '--client', join(work, 'client.pem')] };
    },
    exitCode: 0,
    codes: ['accepted', 'accepted'],
    sentence:
      /^accepted: the server asked for our client certificate and accepted it \(no alert came within \d+ ms of the handshake\)$/,
  },
];

describe.each(rows)('$name', (row) => {
  test(`exit ${row.exitCode}, ${row.codes.join(' / ')}, in words and in JSON`, async () => {
    const { target, args } = await row.setup();
    const probe = (extra: string[]) =>
      runCli(['probe', target, ...args, ...extra], { cwd: work, env: { PASSWORD: PW } });
    const json = await probe(['--json']);
    const human = await probe([]);
    for (const r of [json, human]) {
      expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: row.exitCode, stderr: '' });
      expect(r.stdout + r.stderr).not.toContain(PW);
    }
    const result = JSON.parse(json.stdout);
    expect(result.ok).toBe(row.exitCode === 0);
    expect(result.results.map((x: { protocol: string }) => x.protocol)).toEqual(['TLSv1.3', 'TLSv1.2']);
    expect(result.results.map((x: { outcome: { code: string } }) => x.outcome.code)).toEqual(row.codes);
    const first = result.results[0].outcome;
    expect(first.sentence).toMatch(row.sentence);
    if (row.hint) expect(first.hint).toMatch(row.hint);
    else expect(first.hint).toBeUndefined();
    const mark = row.codes[0] === 'accepted' ? '✓' : row.codes[0] === 'protocol-unsupported' ? '-' : '✗';
    const line = human.stdout.split('\n').find((l) => l.startsWith(`${mark} TLSv1.3: `));
    expect(line?.slice(`${mark} TLSv1.3: `.length)).toMatch(row.sentence);
    if (row.hint) expect(human.stdout).toContain(`hint: ${first.hint}`);
  }, 60_000);
});

test('turned down for want of a client certificate, by IP: the IP missing from the SANs is said too', async () => {
  const port = await sServer('ours-broker', REQUIRE);
  const r = await runCli(['probe', `127.0.0.1:${port}`, ...ours(), '--json'], { cwd: work, env: { PASSWORD: PW } });
  expect(r.exitCode).toBe(1);
  const results = JSON.parse(r.stdout).results;
  expect(results.map((x: { outcome: { code: string } }) => x.outcome.code)).toEqual([
    'client-cert-required',
    'client-cert-required',
  ]);
  for (const x of results) {
    expect(x.also).toMatchObject({
      code: 'name-mismatch',
      sentence: expect.stringMatching(/does not cover the IP address 127\.0\.0\.1/),
    });
  }
});

test('an accepted mutual-TLS probe shows the cipher, the chain, the trust and the request', async () => {
  const port = await sServer('ours-broker', REQUIRE);
  const r = await runCli(['probe', `127.0.0.1:${port}`, '--servername', BROKER, ...ours(), ...ourClient()], {
    cwd: work,
    env: { PASSWORD: PW },
  });
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toMatch(
    /^✓ TLSv1\.3: accepted.*\n {4}cipher TLS_AES_\S+\n {4}chain\[0\] .*CN=mtls-kafka-0\.mtls-kafka-headless\n/m,
  );
  expect(r.stdout).toMatch(/^✓ TLSv1\.2: accepted.*\n {4}cipher TLS_ECDHE_\S+\n/m);
  expect(r.stdout).toMatch(/server certificate: trusted \(--ca\)\n {4}client certificate: requested by the server/);
});

type Result = { outcome: { code: string; sentence: string }; also?: { code: string }; nameUnchecked?: object };

test('by IP without --servername, accepted: the name mismatch and, the name aside, the acceptance', async () => {
  const port = await sServer('ours-broker', REQUIRE);
  const probe = (extra: string[]) =>
    runCli(['probe', `127.0.0.1:${port}`, ...ours(), ...ourClient(), ...extra], { cwd: work, env: { PASSWORD: PW } });
  const [json, human] = [await probe(['--json']), await probe([])];
  expect([json.exitCode, human.exitCode]).toEqual([1, 1]);
  const results: Result[] = JSON.parse(json.stdout).results;
  expect(results.map((x) => x.outcome.code)).toEqual(['name-mismatch', 'name-mismatch']);
  expect(results.map((x) => x.nameUnchecked)).toEqual([
    {
      code: 'accepted',
      sentence:
        'accepted: the server asked for our client certificate and accepted it ' +
        '(the server sent a session ticket after the handshake)',
    },
    {
      code: 'accepted',
      sentence:
        "accepted: the server asked for our client certificate and accepted it (a TLS 1.2 handshake includes the server's verdict)",
    },
  ]);
  expect(human.stdout).toMatch(
    /^✗ TLSv1\.3: the server's certificate does not cover the IP address 127\.0\.0\.1;[^]*?\n {4}name aside: ✓ accepted: the server asked for our client certificate and accepted it/m,
  );
});

test('by IP without --servername, rejected by a server that does not trust our CA: both said', async () => {
  const port = await sServer('ours-broker', REQUIRE);
  const probe = (extra: string[]) =>
    runCli(['probe', `127.0.0.1:${port}`, ...ours(), ...otherClient(), ...extra], { cwd: work, env: { PASSWORD: PW } });
  const [json, human] = [await probe(['--json']), await probe([])];
  expect([json.exitCode, human.exitCode]).toEqual([1, 1]);
  const results: Result[] = JSON.parse(json.stdout).results;
  // The server's verdict outranks ours; the name is said beside it, so nothing is left to a second answer.
  expect(results.map((x) => [x.outcome.code, x.also?.code, x.nameUnchecked])).toEqual([
    ['client-cert-rejected', 'name-mismatch', undefined],
    ['client-cert-rejected', 'name-mismatch', undefined],
  ]);
  expect(human.stdout).toMatch(
    /^✗ TLSv1\.3: the server rejected our client certificate: alert "unknown CA" \(48\)\n[^]*?\n {4}also: the server's certificate does not cover the IP address 127\.0\.0\.1/m,
  );
  expect(human.stdout).not.toContain('name aside');
});

test('a Node TLS server that drops a foreign client certificate without an alert reads as the close it is', async () => {
  // Node's server rejects an unverified certificate by destroying the socket, alert-less: in TLS 1.3 the wire is
  // then the same as a close after an accepted handshake, so the hint names both causes.
  const port = await tlsServer(() => undefined);
  const args = ['probe', `127.0.0.1:${port}`, '--servername', BROKER, ...ours(), ...otherClient(), '--json'];
  const r = await runCli(args, { cwd: work, env: { PASSWORD: PW } });
  expect(r.exitCode).toBe(1);
  const [v13] = JSON.parse(r.stdout).results;
  expect(v13.outcome.code).toBe('closed-after-accept');
  expect(v13.outcome.hint).toMatch(/or a server that drops a rejected certificate without an alert/);
});
