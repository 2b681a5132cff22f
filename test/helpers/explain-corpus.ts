import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import {
  connect as netConnect,
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer, type SecureVersion, type TLSSocket } from 'node:tls';
import { inspect } from 'node:util';
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { ROOT, runCli } from './cli.js';
import {
  brokerCn,
  brokerHost,
  brokerSans,
  CLIENT,
  leafExt,
  leafSubj,
  makeCert,
  pool,
  tool,
  writeKeystore,
} from './corpus-pki.js';
import { BULLSEYE_JDK, installedJdks } from './jdk.js';

/**
 * explain's corpus (issue #22, /work/notes/EXPLAIN.md): real error lines, each produced here by a real peer on
 * loopback from material made broken on purpose. Every scenario has its own certs directory, a fresh
 * `kafka-mtls generate` in the drop-in layout doctored with openssl, keytool or Java in one way; the peers of each
 * family then connect over 127.0.0.1 (every listener on a port the system picks, read back from the listener) and
 * each side's words are kept as one CorpusLine, with what `explain` must make of it.
 *
 * The peers: JSSE server and client in one JVM per JDK (test/fixtures/java/ExplainPeers.java), Node's tls (server
 * and client) and kafkajs, openssl s_server/s_client 3.x and the real 1.1.1w, Python's ssl (server and client,
 * test/fixtures/python/explain_peers.py), librdkafka through kcat. A family missing here is listed in `skipped`.
 */

export type Scenario =
  | 'no-client-cert'
  | 'client-other-ca'
  | 'client-expired'
  | 'client-eku-no-clientauth'
  | 'client-distrusts-broker-ca'
  | 'ip-not-in-san'
  | 'dns-not-in-san'
  | 'broker-expired'
  | 'tls13-vs-tls12'
  | 'no-common-cipher'
  | 'missing-intermediate'
  | 'tls-to-plaintext'
  | 'plaintext-to-tls'
  | 'key-mismatch';

export type Family = 'jsse' | 'librdkafka' | 'node' | 'go' | 'python' | 'openssl-cli' | 'kafka-broker';

export interface Expect {
  readonly outcome: string;
  readonly refusedBy: 'broker' | 'client';
  readonly cause: string;
  /** The file (relative to certsDir) the top cause must name, where the material holds the mistake. */
  readonly file?: string;
}

export interface CorpusLine {
  readonly scenario: Scenario;
  readonly family: Family;
  /** Who said it: e.g. "jdk17 server TLSv1.3", "openssl 1.1.1w s_client", "kcat (librdkafka 2.0.2)". */
  readonly peer: string;
  readonly loggedBy: 'broker' | 'client';
  readonly text: string;
  readonly certsDir: string;
  /** The name the client dialled, where the scenario is about the name. */
  readonly host?: string;
  readonly expect: Expect;
}

export interface Skipped {
  readonly family: string;
  readonly peer: string;
  readonly reason: string;
}

export const PASSWORD = 'Explain-Pa55';
const KS0 = 'mtls-kafka-0.keystore.jks';
const CLIENT_KS = `${CLIENT}.keystore.jks`;
const CLIENT_TS = 'kafka.client.truststore.jks';
const SERVER_TS = 'kafka.server.truststore.jks';
/** The name clients dial broker 0 by where the scenario is not about names (its certificate has it). */
const GOOD_HOST = brokerHost(0);

/** TLS settings of one side, in the words of each stack. */
interface Side {
  readonly versions?: [SecureVersion, SecureVersion];
  /** OpenSSL's name of the one TLS 1.2 cipher the side allows, and JSSE's. */
  readonly cipher?: { openssl: string; java: string };
}

interface ScenarioSpec {
  readonly id: Scenario;
  readonly mode: 'tls' | 'tls-to-plain' | 'plain-to-tls';
  readonly host: string;
  /** Whether CorpusLine.host is set: the scenario is about the dialled name. */
  readonly aboutName?: boolean;
  readonly clientCert: boolean;
  readonly server?: Side;
  readonly client?: Side;
  /** Which side's words are refusals worth keeping: both, or one (the other side has nothing to say). */
  readonly sides?: 'both' | 'server' | 'client';
  readonly expect: Expect;
  /** Expectation for a server that could not even start on the material (a key that does not match its cert). */
  readonly startup?: Expect;
  readonly doctor?: (d: Doctoring) => Promise<unknown>;
}

interface Doctoring {
  readonly dir: string;
  readonly tmp: string;
  readonly other: string;
}

const caOf = (dir: string) => ({ crt: join(dir, 'ca.crt'), key: join(dir, 'ca.key') });
const EXPIRED: [string, string] = ['20200101000000Z', '20200201000000Z'];
const AES256 = { openssl: 'ECDHE-RSA-AES256-GCM-SHA384', java: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' };
const AES128 = { openssl: 'ECDHE-RSA-AES128-GCM-SHA256', java: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' };
const TLS12: [SecureVersion, SecureVersion] = ['TLSv1.2', 'TLSv1.2'];
const TLS13: [SecureVersion, SecureVersion] = ['TLSv1.3', 'TLSv1.3'];

async function reissueClient(d: Doctoring, o: { eku?: string; dates?: [string, string] }) {
  const ext = leafExt({ sans: [`DNS:${CLIENT}`], eku: o.eku });
  const leaf = await makeCert(d.tmp, { subj: leafSubj(CLIENT), ext, issuer: caOf(d.dir), dates: o.dates });
  await writeKeystore(join(d.dir, CLIENT_KS), CLIENT, leaf, [join(d.dir, 'ca.crt')], PASSWORD);
}

const clientRefused = (cause: string, file = CLIENT_KS): Expect => ({
  outcome: 'client-cert-rejected',
  refusedBy: 'broker',
  cause,
  file,
});
const serverRefused = (outcome: string, cause: string, file: string): Expect => ({
  outcome,
  refusedBy: 'client',
  cause,
  file,
});

export const SCENARIOS: readonly ScenarioSpec[] = [
  {
    id: 'no-client-cert',
    mode: 'tls',
    host: GOOD_HOST,
    clientCert: false,
    // The material is right: the client was given no keystore. No file to name.
    expect: { outcome: 'client-cert-required', refusedBy: 'broker', cause: 'client-sent-no-certificate' },
  },
  {
    id: 'client-other-ca',
    mode: 'tls',
    host: GOOD_HOST,
    clientCert: true,
    // Another generate's client: another CA with the same subject, so every client still sends its certificate.
    expect: clientRefused('client-ca-not-trusted'),
    doctor: (d) => cp(join(d.other, CLIENT_KS), join(d.dir, CLIENT_KS)),
  },
  {
    id: 'client-expired',
    mode: 'tls',
    host: GOOD_HOST,
    clientCert: true,
    expect: clientRefused('client-cert-expired'),
    doctor: (d) => reissueClient(d, { dates: EXPIRED }),
  },
  {
    id: 'client-eku-no-clientauth',
    mode: 'tls',
    host: GOOD_HOST,
    clientCert: true,
    expect: clientRefused('client-eku-lacks-clientauth'),
    doctor: (d) => reissueClient(d, { eku: 'serverAuth' }),
  },
  {
    id: 'client-distrusts-broker-ca',
    mode: 'tls',
    host: GOOD_HOST,
    clientCert: true,
    // The client's truststore from another generate; the PEM clients trust what it holds, as the JVM does.
    expect: serverRefused('server-untrusted', 'server-ca-not-trusted', CLIENT_TS),
    doctor: (d) => cp(join(d.other, CLIENT_TS), join(d.dir, CLIENT_TS)),
  },
  {
    id: 'ip-not-in-san',
    mode: 'tls',
    host: '127.0.0.1',
    aboutName: true,
    clientCert: true,
    // generate's broker SANs are DNS names only: dialled by IP, the certificate is fine but not for that name.
    expect: serverRefused('name-mismatch', 'name-not-in-san', KS0),
  },
  {
    id: 'dns-not-in-san',
    mode: 'tls',
    host: 'localhost',
    aboutName: true,
    clientCert: true,
    expect: serverRefused('name-mismatch', 'name-not-in-san', KS0),
  },
  {
    id: 'broker-expired',
    mode: 'tls',
    host: GOOD_HOST,
    clientCert: true,
    expect: serverRefused('server-untrusted', 'server-cert-expired', KS0),
    doctor: async (d) => {
      const ext = leafExt({ sans: brokerSans(0) });
      const leaf = await makeCert(d.tmp, { subj: leafSubj(brokerCn(0)), ext, issuer: caOf(d.dir), dates: EXPIRED });
      await writeKeystore(join(d.dir, KS0), 'mtls-kafka-0', leaf, [join(d.dir, 'ca.crt')], PASSWORD);
    },
  },
  {
    id: 'tls13-vs-tls12',
    mode: 'tls',
    host: GOOD_HOST,
    clientCert: true,
    // A broker with ssl.enabled.protocols=TLSv1.3, a client that speaks TLS 1.2 only: the broker refuses.
    server: { versions: TLS13 },
    client: { versions: TLS12 },
    expect: { outcome: 'protocol-unsupported', refusedBy: 'broker', cause: 'protocol-version-mismatch' },
  },
  {
    id: 'no-common-cipher',
    mode: 'tls',
    host: GOOD_HOST,
    clientCert: true,
    server: { versions: TLS12, cipher: AES256 },
    client: { versions: TLS12, cipher: AES128 },
    expect: { outcome: 'handshake-failed', refusedBy: 'broker', cause: 'no-shared-cipher' },
  },
  {
    id: 'missing-intermediate',
    mode: 'tls',
    host: GOOD_HOST,
    clientCert: true,
    // Broker 0 signed by an intermediate CA under the CA, its keystore holding the leaf alone.
    expect: serverRefused('server-untrusted', 'chain-incomplete', KS0),
    doctor: async (d) => {
      const int = await makeCert(d.tmp, {
        subj: '/C=KR/O=Organization/CN=Kafka-Intermediate-CA',
        ext:
          'basicConstraints = critical, CA:TRUE, pathlen:0\nkeyUsage = critical, keyCertSign, cRLSign\n' +
          'subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid',
        issuer: caOf(d.dir),
      });
      const ext = leafExt({ sans: brokerSans(0) });
      const leaf = await makeCert(d.tmp, { subj: leafSubj(brokerCn(0)), ext, issuer: int });
      await writeKeystore(join(d.dir, KS0), 'mtls-kafka-0', leaf, [], PASSWORD);
    },
  },
  {
    id: 'tls-to-plaintext',
    mode: 'tls-to-plain',
    host: GOOD_HOST,
    clientCert: true,
    sides: 'client',
    expect: { outcome: 'not-tls', refusedBy: 'broker', cause: 'tls-to-plaintext-port' },
  },
  {
    id: 'plaintext-to-tls',
    mode: 'plain-to-tls',
    host: GOOD_HOST,
    clientCert: true,
    sides: 'server',
    expect: { outcome: 'not-tls', refusedBy: 'broker', cause: 'plaintext-to-tls-port' },
  },
  {
    id: 'key-mismatch',
    mode: 'tls',
    host: GOOD_HOST,
    clientCert: true,
    // Broker 0's keystore keeps its certificate with another key (written by Java: keytool and openssl refuse).
    // JSSE starts and signs with the wrong key, which the client refuses; the PEM servers refuse to start.
    expect: { outcome: 'handshake-failed', refusedBy: 'client', cause: 'key-does-not-match-cert', file: KS0 },
    startup: { outcome: 'handshake-failed', refusedBy: 'broker', cause: 'key-does-not-match-cert', file: KS0 },
    doctor: async (d) => {
      const swapped = join(d.tmp, 'swapped.p12');
      await tool('java', peersArgs('--swap-key', join(d.dir, KS0), 'mtls-kafka-0', swapped), {
        env: { PEER_PW: PASSWORD },
      });
      await cp(swapped, join(d.dir, KS0));
    },
  },
];

/** The PEM files the non-Java peers use, extracted from a scenario's stores (outside its certs directory). */
interface Pems {
  readonly brokerKey: string;
  /** Broker 0's certificate followed by the chain its keystore holds. */
  readonly brokerChain: string;
  readonly clientKey: string;
  readonly clientChain: string;
  /** What kafka.client.truststore.jks holds: what the client trusts. */
  readonly clientTrust: string;
  /** What kafka.server.truststore.jks holds: what the broker trusts. */
  readonly serverTrust: string;
}

interface Prepared {
  readonly spec: ScenarioSpec;
  readonly dir: string;
  readonly pems: Pems;
}

async function pkcs12(args: string[], out: string): Promise<void> {
  const pem = await tool('openssl', ['pkcs12', ...args, '-passin', 'env:PW'], { env: { PW: PASSWORD } });
  // Bag attributes aside: PEM blocks only, as a user's files hold them.
  const blocks = pem.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g) ?? [];
  await writeFile(out, blocks.map((b) => `${b}\n`).join(''));
}

async function extractPems(dir: string, out: string): Promise<Pems> {
  await mkdir(out, { recursive: true });
  const p = (n: string) => join(out, n);
  const chain = async (ks: string, key: string, certs: string) => {
    await pkcs12(['-in', join(dir, ks), '-nocerts', '-nodes'], key);
    const leaf = `${certs}.leaf`;
    const rest = `${certs}.rest`;
    await pkcs12(['-in', join(dir, ks), '-nokeys', '-clcerts'], leaf);
    await pkcs12(['-in', join(dir, ks), '-nokeys', '-cacerts'], rest);
    await writeFile(certs, (await readFile(leaf, 'utf8')) + (await readFile(rest, 'utf8')));
  };
  await Promise.all([
    chain(KS0, p('broker.key'), p('broker-chain.pem')),
    chain(CLIENT_KS, p('client.key'), p('client-chain.pem')),
    pkcs12(['-in', join(dir, CLIENT_TS), '-nokeys'], p('client-trust.pem')),
    pkcs12(['-in', join(dir, SERVER_TS), '-nokeys'], p('server-trust.pem')),
  ]);
  return {
    brokerKey: p('broker.key'),
    brokerChain: p('broker-chain.pem'),
    clientKey: p('client.key'),
    clientChain: p('client-chain.pem'),
    clientTrust: p('client-trust.pem'),
    serverTrust: p('server-trust.pem'),
  };
}

async function generate(work: string, out: string): Promise<string> {
  const r = await runCli(['generate', '--out', out, '--brokers', '2'], { cwd: work, env: { PASSWORD } });
  if (r.exitCode !== 0) throw new Error(`generate failed (${r.exitCode}): ${r.stderr}`);
  return join(work, out);
}

/** One side's words, before they become a CorpusLine. */
interface Said {
  readonly scenario: ScenarioSpec;
  readonly family: Family;
  readonly peer: string;
  readonly loggedBy: 'broker' | 'client';
  readonly text: string;
  /** The server could not start: its line is about its own material. */
  readonly startup?: boolean;
}

/**
 * What a side says when the connection merely broke under it (the other side refused, and this one was writing
 * or reading at the time): words about sockets, not TLS. Left out, except where a broken connection is all a
 * client of a plaintext listener ever gets.
 */
const ECHO =
  /^(java\.net\.Socket(Timeout)?Exception|java\.io\.EOFException|java\.lang\.IllegalStateException|Error: socket hang up|Error: (read|write) (ECONNRESET|EPIPE)|Error: Client network socket disconnected|ssl\.SSLEOFError|ssl\.SSLZeroReturnError|ConnectionResetError|BrokenPipeError|RuntimeError|write:errno=|read:errno=)/;

/** A side's words, kept when the scenario makes that side worth hearing and it said something. */
function heard(p: Prepared, family: Family, peer: string, loggedBy: 'broker' | 'client', text: string): Said[] {
  const sides = p.spec.sides ?? 'both';
  if (!text.trim()) return [];
  if (p.spec.mode !== 'tls-to-plain' && ECHO.test(text.trim())) return [];
  if (sides !== 'both' && (sides === 'server') !== (loggedBy === 'broker')) return [];
  return [{ scenario: p.spec, family, peer, loggedBy, text: text.trim() }];
}

// ---------------------------------------------------------------------------------------------------- JSSE

const EXPLAIN_PEERS = join(ROOT, 'test/fixtures/java/ExplainPeers.java');
let peersClasses: string | undefined;

/**
 * ExplainPeers compiled once for every JDK (--release 11, the oldest one run), rather than by each JVM's source
 * launcher: compiling costs a JVM seconds of CPU.
 */
async function compilePeers(work: string): Promise<void> {
  const out = join(work, 'classes');
  await tool('javac', ['--release', '11', '-encoding', 'UTF-8', '-d', out, EXPLAIN_PEERS]);
  peersClasses = out;
}

/** The arguments that run ExplainPeers on a JVM. */
const peersArgs = (...args: string[]) =>
  peersClasses ? ['-cp', peersClasses, 'ExplainPeers', ...args] : [EXPLAIN_PEERS, ...args];

interface JavaLine {
  id: string;
  server?: string;
  client?: string;
  error?: string;
}

async function jssePeers(java: string, label: string, all: Prepared[], work: string): Promise<Said[]> {
  const rows: { p: Prepared; protocol: string; words: string[] }[] = [];
  for (const p of all) {
    const { spec, dir } = p;
    // TLS 1.2 and 1.3 word client-certificate refusals differently; the rest once, as configured.
    const protocols = spec.server?.versions || spec.client?.versions ? [''] : ['TLSv1.3', 'TLSv1.2'];
    for (const protocol of protocols) {
      const words = [`id=${spec.id}|${protocol}`, `mode=${spec.mode}`, `host=${spec.host}`];
      words.push(`server.keystore=${join(dir, KS0)}`, `server.truststore=${join(dir, SERVER_TS)}`);
      if (spec.clientCert) words.push(`client.keystore=${join(dir, CLIENT_KS)}`);
      words.push(`client.truststore=${join(dir, CLIENT_TS)}`);
      for (const [side, s] of [
        ['server', spec.server],
        ['client', spec.client],
      ] as const) {
        const versions = protocol ? [protocol] : s?.versions ? [...new Set(s.versions)] : [];
        if (versions.length) words.push(`${side}.protocols=${versions.join(',')}`);
        if (s?.cipher) words.push(`${side}.ciphers=${s.cipher.java}`);
      }
      rows.push({ p, protocol, words });
    }
  }
  const batch = join(work, `jsse-${label}.tsv`);
  await writeFile(batch, rows.map((r) => r.words.join('\t')).join('\n') + '\n');
  const r = await execa(java, ['-Duser.language=en', '-Duser.country=US', ...peersArgs('--batch', batch)], {
    env: { PEER_PW: PASSWORD },
    reject: false,
    timeout: 300_000,
  });
  if (r.exitCode !== 0) throw new Error(`ExplainPeers (${label}) failed (${r.exitCode}): ${r.stderr}`);
  const out: Said[] = [];
  const lines = String(r.stdout).split('\n').filter(Boolean);
  lines.forEach((line, i) => {
    const j = JSON.parse(line) as JavaLine;
    const { p, protocol } = rows[i]!;
    if (j.error) throw new Error(`ExplainPeers (${label}) could not run ${j.id}: ${j.error}`);
    const at = protocol ? ` ${protocol}` : '';
    out.push(...heard(p, 'jsse', `${label} server${at}`, 'broker', j.server ?? ''));
    out.push(...heard(p, 'jsse', `${label} client${at}`, 'client', j.client ?? ''));
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------- Python

/** What explain_peers.py takes for one connection. */
function pythonInput({ spec, pems }: Prepared) {
  return {
    id: spec.id,
    mode: spec.mode,
    host: spec.host,
    server: {
      cert: pems.brokerChain,
      key: pems.brokerKey,
      ca: pems.serverTrust,
      versions: spec.server?.versions ?? null,
      ciphers: spec.server?.cipher?.openssl ?? null,
    },
    client: {
      cert: spec.clientCert ? pems.clientChain : null,
      key: spec.clientCert ? pems.clientKey : null,
      ca: pems.clientTrust,
      versions: spec.client?.versions ?? null,
      ciphers: spec.client?.cipher?.openssl ?? null,
    },
  };
}

const PYTHON_PEERS = join(ROOT, 'test/fixtures/python/explain_peers.py');

/** Python's ssl client alone, on a connection to port. */
async function pythonClient(p: Prepared, port: number): Promise<string> {
  const input = JSON.stringify([{ ...pythonInput(p), port }]);
  const r = await execa('python3', [PYTHON_PEERS], { input, reject: false, timeout: 30_000 });
  if (r.exitCode !== 0) throw new Error(`explain_peers.py failed (${r.exitCode}): ${r.stderr}`);
  return (JSON.parse(String(r.stdout)) as { client: string }).client;
}

/** Python's ssl server and client, each the other's peer: one process for every scenario. */
async function pythonPeers(all: Prepared[], version: string): Promise<Said[]> {
  const input = all.map(pythonInput);
  const r = await execa('python3', [PYTHON_PEERS], {
    input: JSON.stringify(input),
    reject: false,
    timeout: 300_000,
  });
  if (r.exitCode !== 0) throw new Error(`explain_peers.py failed (${r.exitCode}): ${r.stderr}`);
  const out: Said[] = [];
  String(r.stdout)
    .split('\n')
    .filter(Boolean)
    .forEach((line, i) => {
      const j = JSON.parse(line) as JavaLine;
      const p = all[i]!;
      const serverText = j.server ?? '';
      if (p.spec.startup && serverText && !j.client)
        out.push({
          scenario: p.spec,
          family: 'python',
          peer: `${version} server`,
          loggedBy: 'broker',
          text: serverText,
          startup: true,
        });
      else out.push(...heard(p, 'python', `${version} server`, 'broker', serverText));
      out.push(...heard(p, 'python', `${version} client`, 'client', j.client ?? ''));
    });
  return out;
}

// ---------------------------------------------------------------------------------------------------- OpenSSL

/** A Kafka ApiVersions v3 request (correlation id 1, client id "peer"), as a PLAINTEXT client sends first. */
const API_VERSIONS = Buffer.from(
  '00000017' + '0012' + '0003' + '00000001' + '0004' + '70656572' + '00' + '05' + '70656572' + '02' + '31' + '00',
  'hex',
);

interface Openssl {
  readonly bin: string;
  readonly version: string;
  readonly env: Record<string, string>;
}

/** The lines of an openssl s_server or s_client run that carry its refusal. */
function opensslErrors(out: string): string {
  return out
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => /:error:|verify error:|Verification error:|errno=|^ERROR$|unable to|mismatch/i.test(l))
    .filter((l, i, a) => a.indexOf(l) === i)
    .join('\n');
}

/** A process's output as it comes; resolves when it exits or timeoutMs passes (then it is killed). */
function runFor(
  cmd: string,
  args: string[],
  o: { env?: Record<string, string>; input?: string; timeoutMs: number; onOutput?: (all: string) => void },
): { done: Promise<string>; kill: () => void; output: () => string } {
  const p = spawn(cmd, args, { env: { ...process.env, LC_ALL: 'C', ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let all = '';
  const take = (chunk: Buffer) => {
    all += String(chunk);
    o.onOutput?.(all);
  };
  p.stdout.on('data', take);
  p.stderr.on('data', take);
  p.stdin.on('error', () => undefined);
  if (o.input === undefined) p.stdin.end();
  const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs);
  const done = new Promise<string>((resolve) => {
    p.on('close', () => {
      clearTimeout(timer);
      resolve(all);
    });
    p.on('error', (e) => {
      clearTimeout(timer);
      resolve(`${all}\n${e.message}`);
    });
  });
  return { done, kill: () => p.kill('SIGKILL'), output: () => all };
}

function versionFlags(s?: Side): string[] {
  if (!s?.versions) return [];
  return [s.versions[0] === 'TLSv1.3' ? '-tls1_3' : '-tls1_2'];
}

async function opensslPair(o: Openssl, p: Prepared, plain: PlainListeners): Promise<Said[]> {
  const { spec, pems } = p;
  const label = `openssl ${o.version}`;
  const out: Said[] = [];
  let port: number;
  let server: ReturnType<typeof runFor> | undefined;
  if (spec.mode === 'tls-to-plain') port = await plain.listen();
  else {
    // -Verify 1: a client certificate is required; -verify_return_error: one that does not verify ends the
    // handshake. -CAfile also makes the list of CA names the server announces.
    // prettier-ignore
    const args = [
      's_server', '-accept', '127.0.0.1:0', '-naccept', '1', '-cert', pems.brokerChain, '-key', pems.brokerKey,
      '-CAfile', pems.serverTrust, '-Verify', '1', '-verify_return_error', ...versionFlags(spec.server),
      ...(spec.server?.cipher ? ['-cipher', spec.server.cipher.openssl] : []),
    ];
    let resolvePort: (n: number) => void = () => undefined;
    const started = new Promise<number>((r) => (resolvePort = r));
    server = runFor(o.bin, args, {
      env: o.env,
      input: '',
      timeoutMs: 20_000,
      onOutput: (all) => {
        const m = /^ACCEPT 127\.0\.0\.1:(\d+)$/m.exec(all);
        if (m) resolvePort(Number(m[1]));
      },
    });
    const exited = server.done.then(() => 0);
    port = await Promise.race([started, exited]);
    if (port === 0) {
      // It could not start on this material: its own words say why.
      const text = opensslErrors(server.output());
      if (spec.startup && text)
        out.push({
          scenario: spec,
          family: 'openssl-cli',
          peer: `${label} s_server`,
          loggedBy: 'broker',
          text,
          startup: true,
        });
      else if (!spec.startup) throw new Error(`${label} s_server did not start for ${spec.id}: ${server.output()}`);
      return out;
    }
  }
  if (spec.mode === 'plain-to-tls') await plainClient(port);
  else out.push(...heard(p, 'openssl-cli', `${label} s_client`, 'client', await opensslClient(o, spec, pems, port)));
  if (server) {
    const all = await Promise.race([server.done, delay(3000).then(() => server.output())]);
    server.kill();
    out.push(...heard(p, 'openssl-cli', `${label} s_server`, 'broker', opensslErrors(all)));
  }
  return out;
}

/** openssl s_client's words on a connection to port, as a client of the scenario. */
async function opensslClient(o: Openssl, spec: ScenarioSpec, pems: Pems, port: number): Promise<string> {
  const name = isIp(spec.host) ? ['-verify_ip', spec.host] : ['-verify_hostname', spec.host, '-servername', spec.host];
  // -ign_eof: read on after the handshake, so that a TLS 1.3 server's late refusal of the client is seen.
  // prettier-ignore
  const args = [
    's_client', '-connect', `127.0.0.1:${port}`, ...name, '-CAfile', pems.clientTrust, '-verify_return_error',
    '-ign_eof', ...versionFlags(spec.client), ...(spec.client?.cipher ? ['-cipher', spec.client.cipher.openssl] : []),
    ...(spec.clientCert ? ['-cert', pems.clientChain, '-key', pems.clientKey] : []),
  ];
  return opensslErrors(await runFor(o.bin, args, { env: o.env, timeoutMs: 8_000 }).done);
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isIp = (host: string) => /^[0-9.]+$/.test(host) || host.includes(':');

// ---------------------------------------------------------------------------------------------------- plaintext

/** Plaintext listeners that act as Kafka's PLAINTEXT listener does on a TLS ClientHello: read a size, reset. */
class PlainListeners {
  private readonly servers: Server[] = [];
  async listen(): Promise<number> {
    const s = createNetServer((sock: Socket) => {
      sock.once('data', () => sock.resetAndDestroy());
      sock.on('error', () => undefined);
    });
    this.servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as AddressInfo).port;
  }
  close(): void {
    for (const s of this.servers) s.close();
  }
}

/** A plaintext Kafka client's first request to a TLS port, read to the end (the server's alert and close). */
function plainClient(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.on('connect', () => s.write(API_VERSIONS));
    s.on('data', () => undefined);
    s.on('close', () => resolve());
    s.on('error', () => undefined);
    s.setTimeout(8000, () => s.destroy());
  });
}

// ---------------------------------------------------------------------------------------------------- Node

/** A Node error as util.inspect shows it in a log, its stack frames left out (they are this machine's). */
function nodeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const copy = Object.assign(Object.create(Object.getPrototypeOf(e) as object) as Error, e);
  Object.defineProperty(copy, 'message', { value: e.message, enumerable: false });
  Object.defineProperty(copy, 'stack', {
    value: (e.stack ?? `${e.name}: ${e.message}`)
      .split('\n')
      .filter((l) => !/^\s+at /.test(l))
      .join('\n'),
    enumerable: false,
  });
  return inspect(copy, { breakLength: Infinity, compact: true });
}

interface NodeServer {
  readonly port: number;
  /** The first error the server met (tlsClientError or a socket error), after waiting up to ms for it. */
  error(ms: number): Promise<string>;
  close(): void;
}

async function nodeServer(spec: ScenarioSpec, pems: Pems): Promise<NodeServer | { startError: string }> {
  let first: string | undefined;
  let notify: () => void = () => undefined;
  const got = new Promise<void>((r) => (notify = r));
  const record = (e: unknown) => {
    first ??= nodeError(e);
    notify();
  };
  let server;
  try {
    server = createTlsServer(
      {
        key: await readFile(pems.brokerKey),
        cert: await readFile(pems.brokerChain),
        ca: await readFile(pems.serverTrust),
        requestCert: true,
        rejectUnauthorized: true,
        ...(spec.server?.versions ? { minVersion: spec.server.versions[0], maxVersion: spec.server.versions[1] } : {}),
        ...(spec.server?.cipher ? { ciphers: spec.server.cipher.openssl } : {}),
      },
      (sock: TLSSocket) => {
        // The server speaks first, so that the client reads (and sees a late refusal as the alert it is).
        sock.on('error', record);
        sock.write('s');
        sock.on('data', () => sock.end());
      },
    );
  } catch (e) {
    return { startError: nodeError(e) };
  }
  server.on('tlsClientError', record);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    error: async (ms) => {
      await Promise.race([got, delay(ms)]);
      return first ?? '';
    },
    close: () => server.close(),
  };
}

function nodeClient(spec: ScenarioSpec, port: number, ca: Buffer, cert?: Buffer, key?: Buffer) {
  return new Promise<string>((resolve) => {
    const s = tlsConnect({
      // Dialled at 127.0.0.1; Node checks the certificate against servername where given (and sends it as SNI),
      // else against the host: an IP is dialled as itself.
      host: '127.0.0.1',
      port,
      servername: isIp(spec.host) ? undefined : spec.host,
      ca,
      cert,
      key,
      rejectUnauthorized: true,
      ...(spec.client?.versions ? { minVersion: spec.client.versions[0], maxVersion: spec.client.versions[1] } : {}),
      ...(spec.client?.cipher ? { ciphers: spec.client.cipher.openssl } : {}),
    });
    s.setTimeout(8000, () => {
      s.destroy();
      resolve('');
    });
    s.on('data', () => {
      s.end('c');
      resolve('');
    });
    s.on('error', (e) => resolve(nodeError(e)));
    s.on('close', () => resolve(''));
  });
}

/** kafkajs's connection to the broker: the ERROR line of its own console logger (kafkajs/src/loggers/console.js). */
async function kafkajsClient(spec: ScenarioSpec, pems: Pems, port: number): Promise<string> {
  const lines: string[] = [];
  const kafka = new Kafka({
    clientId: 'explain-corpus',
    brokers: [`${isIp(spec.host) ? spec.host : '127.0.0.1'}:${port}`],
    ssl:
      spec.mode === 'plain-to-tls'
        ? undefined
        : {
            ca: [await readFile(pems.clientTrust, 'utf8')],
            ...(spec.clientCert
              ? { cert: await readFile(pems.clientChain, 'utf8'), key: await readFile(pems.clientKey, 'utf8') }
              : {}),
            ...(isIp(spec.host) ? {} : { servername: spec.host }),
            rejectUnauthorized: true,
            ...(spec.client?.versions
              ? { minVersion: spec.client.versions[0], maxVersion: spec.client.versions[1] }
              : {}),
            ...(spec.client?.cipher ? { ciphers: spec.client.cipher.openssl } : {}),
          },
    connectionTimeout: 3000,
    requestTimeout: 3000,
    retry: { retries: 0 },
    logLevel: logLevel.ERROR,
    logCreator:
      () =>
      ({ namespace, label, log }: LogEntry) => {
        const prefix = namespace ? `[${namespace}] ` : '';
        lines.push(JSON.stringify(Object.assign({ level: label }, log, { message: `${prefix}${log.message}` })));
      },
  });
  const admin = kafka.admin();
  await admin.connect().catch(() => undefined);
  await admin.disconnect().catch(() => undefined);
  // Its other ERROR lines ("[BrokerPool] Closed connection") carry nothing of the cause.
  return lines.find((l) => l.includes('"[Connection] ')) ?? '';
}

const NODE_LABEL = `node ${process.version}`;

/** Node's tls client on a connection to port, as a client of the scenario. */
async function nodeTlsClient(spec: ScenarioSpec, pems: Pems, port: number): Promise<string> {
  const ca = await readFile(pems.clientTrust);
  const cert = spec.clientCert ? await readFile(pems.clientChain) : undefined;
  const key = spec.clientCert ? await readFile(pems.clientKey) : undefined;
  return nodeClient(spec, port, ca, cert, key);
}

/** Node's tls server and client, each the other's peer. */
async function nodePeers(all: Prepared[], plain: PlainListeners): Promise<Said[]> {
  const nodeLabel = NODE_LABEL;
  const one = async (p: Prepared): Promise<Said[]> => {
    const { spec, pems } = p;
    const out: Said[] = [];
    // One server per client, so that each server line belongs to one client.
    const serve = async (): Promise<NodeServer | undefined> => {
      if (spec.mode === 'tls-to-plain') return undefined;
      const s = await nodeServer(spec, pems);
      if ('startError' in s) {
        if (!spec.startup) throw new Error(`node server did not start for ${spec.id}: ${s.startError}`);
        return undefined;
      }
      return s;
    };
    const portOf = async (s: NodeServer | undefined) => (s ? s.port : await plain.listen());
    if (spec.startup) {
      const s = await nodeServer(spec, pems);
      if ('startError' in s) {
        out.push({
          scenario: spec,
          family: 'node',
          peer: `${nodeLabel} tls server`,
          loggedBy: 'broker',
          text: s.startError,
          startup: true,
        });
        return out;
      }
      s.close();
    }
    // Node's tls client and server.
    {
      const s = await serve();
      const port = await portOf(s);
      if (spec.mode === 'plain-to-tls') await plainClient(port);
      else out.push(...heard(p, 'node', `${nodeLabel} tls client`, 'client', await nodeTlsClient(spec, pems, port)));
      if (s) {
        out.push(...heard(p, 'node', `${nodeLabel} tls server`, 'broker', await s.error(2000)));
        s.close();
      }
    }
    return out;
  };
  return (
    await pool(
      3,
      all.map((p) => () => one(p)),
    )
  ).flat();
}

// ---------------------------------------------------------------------------------------------------- kcat

interface Kcat {
  readonly label: string;
  run(spec: ScenarioSpec, pems: Pems, port: number): Promise<string>;
}

async function kcatClient(label: string, work: string): Promise<Kcat> {
  // librdkafka has no setting for the TLS versions: OpenSSL's own configuration caps them.
  const tls12 = join(work, 'openssl-tls12.cnf');
  await writeFile(
    tls12,
    'openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sys\n[sys]\nMaxProtocol = TLSv1.2\n',
  );
  return {
    label,
    run: async (spec, pems, port) => {
      const host = spec.aboutName ? spec.host : '127.0.0.1';
      const x = (k: string, val: string) => ['-X', `${k}=${val}`];
      const args = ['-b', `${host}:${port}`, '-L', '-m', '4'];
      if (spec.mode === 'plain-to-tls') args.push(...x('security.protocol', 'plaintext'));
      else {
        args.push(...x('security.protocol', 'ssl'), ...x('ssl.ca.location', pems.clientTrust));
        if (spec.clientCert)
          args.push(...x('ssl.certificate.location', pems.clientChain), ...x('ssl.key.location', pems.clientKey));
        // Dialled at 127.0.0.1 where the scenario is not about the name: its check would fail first.
        args.push(...x('ssl.endpoint.identification.algorithm', spec.aboutName ? 'https' : 'none'));
        if (spec.client?.cipher) args.push(...x('ssl.cipher.suites', spec.client.cipher.openssl));
      }
      const env: Record<string, string> = spec.client?.versions?.[1] === 'TLSv1.2' ? { OPENSSL_CONF: tls12 } : {};
      let stop: () => void = () => undefined;
      const r = runFor('kcat', args, {
        env,
        timeoutMs: 8000,
        onOutput: (all) => {
          if (/\|(FAIL|ERROR)\|/.test(all)) setTimeout(() => stop(), 300);
        },
      });
      stop = r.kill;
      const all = await r.done;
      const lines = all.split('\n').filter((l) => /^%\d\|/.test(l) && !/Connection refused/.test(l));
      return lines.find((l) => /\|FAIL\|/.test(l)) ?? lines.find((l) => /\|ERROR\|/.test(l)) ?? '';
    },
  };
}

// ---------------------------------------------------------------------------------------------------- a JSSE broker

/**
 * JSSE servers (ExplainPeers.java --serve) as the broker that clients of the other stacks meet in a Kafka cluster:
 * one listener per scenario and client, so that each server line belongs to one client.
 */
class JsseBroker {
  private readonly ports = new Map<string, number>();
  private readonly events = new Map<string, string[]>();
  private readonly waiting = new Map<string, () => void>();
  private proc?: ReturnType<typeof spawn>;

  constructor(readonly label: string) {}

  async start(java: string, rows: { id: string; words: string[] }[], work: string): Promise<void> {
    const file = join(work, `jsse-serve-${this.label}.tsv`);
    await writeFile(file, rows.map((r) => [`id=${r.id}`, ...r.words].join('\t')).join('\n') + '\n');
    const p = spawn(java, ['-Duser.language=en', '-Duser.country=US', ...peersArgs('--serve', file)], {
      env: { ...process.env, PEER_PW: PASSWORD },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc = p;
    let err = '';
    p.stderr!.on('data', (c) => (err += String(c)));
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      p.stdout!.on('data', (chunk) => {
        buf += String(chunk);
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const j = JSON.parse(line) as {
            listen?: string;
            port?: number;
            ready?: boolean;
            id?: string;
            server?: string;
          };
          if (j.listen !== undefined) this.ports.set(j.listen, j.port!);
          else if (j.ready) resolve();
          else if (j.id !== undefined) {
            this.events.set(j.id, [...(this.events.get(j.id) ?? []), j.server ?? '']);
            this.waiting.get(j.id)?.();
          }
        }
      });
      p.on('exit', (code) => reject(new Error(`ExplainPeers --serve ended (${code}): ${err}`)));
    });
  }

  port(id: string): number {
    return this.ports.get(id)!;
  }

  /** What the server threw on the first connection to id's listener, waiting up to ms for it to end. */
  async first(id: string, ms: number): Promise<string> {
    if (!this.events.has(id)) {
      await Promise.race([new Promise<void>((r) => this.waiting.set(id, r)), delay(ms)]);
    }
    return this.events.get(id)?.[0] ?? '';
  }

  stop(): void {
    this.proc?.stdin?.end();
  }
}

/** A client of another stack, to meet the JSSE broker (or a plaintext listener). */
interface Client {
  readonly family: Family;
  readonly label: string;
  /** Whether it can speak PLAINTEXT (a Kafka client configured with security.protocol=PLAINTEXT). */
  readonly plaintext?: boolean;
  run(p: Prepared, port: number): Promise<string>;
}

/** The words a JSSE server line takes for one scenario: its stores and TLS settings. */
function jsseServerWords(p: Prepared): string[] {
  const { spec, dir } = p;
  const words = [`mode=${spec.mode}`, `server.keystore=${join(dir, KS0)}`, `server.truststore=${join(dir, SERVER_TS)}`];
  if (spec.server?.versions) words.push(`server.protocols=${[...new Set(spec.server.versions)].join(',')}`);
  if (spec.server?.cipher) words.push(`server.ciphers=${spec.server.cipher.java}`);
  return words;
}

/**
 * Every client of another stack against the JSSE broker, as they meet in a Kafka cluster: both sides' words (the
 * broker's are the jsse family's). Where the scenario is a plaintext listener, the clients meet that instead.
 */
async function crossPeers(
  java: string,
  label: string,
  all: Prepared[],
  clients: Client[],
  plain: PlainListeners,
  work: string,
): Promise<Said[]> {
  const pairs = all.flatMap((p) =>
    clients
      .filter((c) => p.spec.mode !== 'plain-to-tls' || c.plaintext)
      .map((c) => ({ p, c, id: `${p.spec.id}|${c.label}` })),
  );
  const broker = new JsseBroker(label);
  const served = pairs.filter(({ p }) => p.spec.mode !== 'tls-to-plain');
  await broker.start(
    java,
    served.map(({ p, id }) => ({ id, words: jsseServerWords(p) })),
    work,
  );
  try {
    const one = async ({ p, c, id }: (typeof pairs)[number]): Promise<Said[]> => {
      const toPlain = p.spec.mode === 'tls-to-plain';
      const port = toPlain ? await plain.listen() : broker.port(id);
      const text = await c.run(p, port);
      const out: Said[] = [];
      if (p.spec.mode === 'plain-to-tls') {
        if (text.trim())
          out.push({
            scenario: p.spec,
            family: c.family,
            peer: `${c.label} -> ${label} broker`,
            loggedBy: 'client',
            text: text.trim(),
          });
      } else out.push(...heard(p, c.family, toPlain ? c.label : `${c.label} -> ${label} broker`, 'client', text));
      if (!toPlain)
        out.push(...heard(p, 'jsse', `${label} broker <- ${c.label}`, 'broker', await broker.first(id, 3000)));
      return out;
    };
    return (
      await pool(
        3,
        pairs.map((x) => () => one(x)),
      )
    ).flat();
  } finally {
    broker.stop();
  }
}

// ---------------------------------------------------------------------------------------------------- the corpus

/** The peers this machine has, and those it lacks with the reason (`ci`: .ci/run installs it, so CI must have it). */
export interface PeerSet {
  readonly jdks: readonly { readonly major: number; readonly java: string }[];
  readonly openssls: readonly Openssl[];
  /** `Python 3.11.7`, where python3 has its ssl module. */
  readonly python?: string;
  /** `kcat (librdkafka 2.0.2)`, where kcat is installed. */
  readonly kcat?: string;
  readonly skipped: readonly (Skipped & { readonly ci: boolean })[];
}

export async function findPeers(): Promise<PeerSet> {
  const skipped: (Skipped & { ci: boolean })[] = [];
  const installed = await installedJdks();
  const jdks: { major: number; java: string }[] = [];
  // The default JDK first: it is the broker the other stacks' clients meet.
  for (const want of [...new Set([installed[0]?.major ?? 17, 17, 25, 11])]) {
    const jdk = installed.find((j) => j.major === want);
    if (jdk) jdks.push({ major: want, java: join(jdk.home, 'bin/java') });
    else
      skipped.push({
        family: 'jsse',
        peer: `jdk${want}`,
        ci: want === 11,
        reason:
          want === 11
            ? `no JDK 11 (bash scripts/fetch-bullseye.sh fetches Debian bullseye's into ${BULLSEYE_JDK})`
            : `no JDK ${want} under /usr/lib/jvm`,
      });
  }
  const openssls: Openssl[] = [];
  const sys = await execa('openssl', ['version'], { reject: false });
  if (sys.exitCode === 0) openssls.push({ bin: 'openssl', version: String(sys.stdout).split(' ')[1]!, env: {} });
  else skipped.push({ family: 'openssl-cli', peer: 'openssl 3', ci: true, reason: 'no openssl on PATH' });
  const old = join(ROOT, '.cache/bullseye/bin/openssl');
  if (existsSync(old)) openssls.push({ bin: old, version: '1.1.1w', env: {} });
  else
    skipped.push({
      family: 'openssl-cli',
      peer: 'openssl 1.1.1w',
      ci: true,
      reason: `${old} is absent (bash scripts/fetch-bullseye.sh fetches it)`,
    });
  const py = await execa('python3', ['-c', 'import ssl, sys; print(sys.version.split()[0])'], { reject: false });
  const python = py.exitCode === 0 ? `Python ${String(py.stdout).trim()}` : undefined;
  if (!python)
    skipped.push({ family: 'python', peer: 'python3 ssl', ci: true, reason: 'python3 with its ssl module is absent' });
  const k = await execa('kcat', ['-V'], { reject: false });
  const lib = /librdkafka ([\d.]+)/.exec(`${k.stdout}${k.stderr}`)?.[1];
  const kcat = k.exitCode === 0 || lib ? `kcat (librdkafka ${lib ?? '?'})` : undefined;
  if (!kcat)
    skipped.push({
      family: 'librdkafka',
      peer: 'kcat',
      ci: true,
      reason: 'kcat is not installed (apt-get install kcat)',
    });
  const go = await execa('go', ['version'], { reject: false });
  skipped.push({
    family: 'go',
    peer: 'crypto/tls',
    ci: false,
    reason:
      go.exitCode === 0
        ? 'no Go peer is written yet (a Go toolchain is installed)'
        : 'no Go toolchain on this machine (.ci/run installs none)',
  });
  return { jdks, openssls, python, kcat, skipped };
}

export interface BuildOptions {
  readonly scenarios?: readonly Scenario[];
  /** Progress, one line at a time. */
  readonly log?: (line: string) => void;
  /** The peers to use (findPeers's answer), when the caller has it already. */
  readonly peers?: PeerSet;
}

/**
 * Builds the corpus under root: certs/<scenario> (the certs directories), pem/<scenario> (what the PEM peers use),
 * work/. Lines with the same family, scenario, side and words are one line, naming every peer that said them.
 */
export async function buildExplainCorpus(
  root: string,
  opts: BuildOptions = {},
): Promise<{ lines: CorpusLine[]; skipped: Skipped[] }> {
  const log = opts.log ?? (() => undefined);
  const work = join(root, 'work');
  await mkdir(join(root, 'certs'), { recursive: true });
  await mkdir(work, { recursive: true });
  const peers = opts.peers ?? (await findPeers());
  const [base, other] = await Promise.all([generate(work, 'base'), generate(work, 'other'), compilePeers(work)]);
  log('generated');
  const specs = SCENARIOS.filter((s) => !opts.scenarios || opts.scenarios.includes(s.id));
  const prepared = await pool(
    4,
    specs.map((spec) => async (): Promise<Prepared> => {
      const dir = join(root, 'certs', spec.id);
      await cp(base!, dir, { recursive: true });
      const tmp = join(work, 'scratch', spec.id);
      await mkdir(tmp, { recursive: true });
      try {
        await spec.doctor?.({ dir, tmp, other: other! });
      } catch (e) {
        throw new Error(`doctoring ${spec.id}: ${(e as Error).message}`);
      }
      return { spec, dir, pems: await extractPems(dir, join(root, 'pem', spec.id)) };
    }),
  );
  log('material ready');

  const jobs: Promise<Said[]>[] = [];
  const started = Date.now();
  const timed = (name: string, p: Promise<Said[]>) =>
    p.then((said) => {
      log(`${name}: ${said.length} lines in ${(Date.now() - started) / 1000} s`);
      return said;
    });
  // JSSE: one JVM per JDK, every scenario in it.
  for (const jdk of peers.jdks)
    jobs.push(timed(`jdk${jdk.major}`, jssePeers(jdk.java, `jdk${jdk.major}`, prepared, work)));
  // OpenSSL 3 (the system's) and the real 1.1.1w, s_client against s_server.
  const plain = new PlainListeners();
  for (const o of peers.openssls)
    jobs.push(
      timed(
        `openssl ${o.version}`,
        pool(
          2,
          prepared.map((p) => () => opensslPair(o, p, plain)),
        ).then((s) => s.flat()),
      ),
    );
  if (peers.python) jobs.push(timed('python', pythonPeers(prepared, peers.python)));
  jobs.push(timed('node', nodePeers(prepared, plain)));
  // Every client of another stack against a JSSE broker (the default JDK's), as they meet in a Kafka cluster.
  const kcat = peers.kcat ? await kcatClient(peers.kcat, work) : undefined;
  const kafkajsVersion = (
    JSON.parse(await readFile(join(ROOT, 'node_modules/kafkajs/package.json'), 'utf8')) as { version: string }
  ).version;
  const python = peers.python;
  const clients: Client[] = [
    ...peers.openssls.map((o): Client => ({
      family: 'openssl-cli',
      label: `openssl ${o.version} s_client`,
      run: (p, port) => opensslClient(o, p.spec, p.pems, port),
    })),
    { family: 'node', label: `${NODE_LABEL} tls client`, run: (p, port) => nodeTlsClient(p.spec, p.pems, port) },
    {
      family: 'node',
      label: `kafkajs ${kafkajsVersion}`,
      plaintext: true,
      run: (p, port) => kafkajsClient(p.spec, p.pems, port),
    },
    ...(python ? [{ family: 'python' as const, label: `${python} client`, run: pythonClient }] : []),
    ...(kcat
      ? [
          {
            family: 'librdkafka' as const,
            label: kcat.label,
            plaintext: true,
            run: (p: Prepared, port: number) => kcat.run(p.spec, p.pems, port),
          },
        ]
      : []),
  ];
  const broker = peers.jdks[0];
  if (broker)
    jobs.push(
      timed(
        `clients -> jdk${broker.major} broker`,
        crossPeers(broker.java, `jdk${broker.major}`, prepared, clients, plain, work),
      ),
    );

  const said = (await Promise.all(jobs)).flat();
  plain.close();
  log(`peers done: ${said.length} lines`);
  const byKey = new Map<string, { s: Said; peers: string[] }>();
  for (const s of said) {
    const key = `${s.scenario.id}\0${s.family}\0${s.loggedBy}\0${s.text}`;
    const seen = byKey.get(key);
    if (seen) seen.peers.push(s.peer);
    else byKey.set(key, { s, peers: [s.peer] });
  }
  const lines = [...byKey.values()].map(({ s, peers: by }): CorpusLine => ({
    scenario: s.scenario.id,
    family: s.family,
    peer: by.join(' + '),
    loggedBy: s.loggedBy,
    text: s.text,
    certsDir: join(root, 'certs', s.scenario.id),
    ...(s.scenario.aboutName ? { host: s.scenario.host } : {}),
    expect: s.startup && s.scenario.startup ? s.scenario.startup : s.scenario.expect,
  }));
  return { lines, skipped: peers.skipped.map(({ family, peer, reason }) => ({ family, peer, reason })) };
}
