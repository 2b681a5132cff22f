import { execa } from 'execa';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import type { Kind, Party, PasswordRef } from './corpus.js';
import { leafExt, pool } from './corpus-pki.js';

/**
 * The judges verify is tested against: what Java's TLS and OpenSSL say of each kind of the corpus, asked for
 * real and using nothing of kafka-mtls. Java: test/fixtures/java/TlsOracle.java's handshakes, client -> each
 * broker and broker i -> broker j, under TLS 1.2 and 1.3. OpenSSL: `openssl verify` of each certificate a peer
 * is shown, against the truststore that peer holds, for the purpose and host name it checks; again with
 * -x509_strict, as strict clients check (Python 3.13's ssl, for one, sets VERIFY_X509_STRICT by default).
 */

export type Verdict = 'ok' | 'refused';

export interface OracleVerdicts {
  readonly jsse: Verdict;
  readonly jsseMessages: string[];
  readonly openssl: Verdict;
  readonly opensslMessages: string[];
  readonly strict: Verdict;
  readonly strictMessages: string[];
}

async function password(dir: string, ref: PasswordRef): Promise<string> {
  return 'value' in ref ? ref.value : (await readFile(join(dir, ref.file), 'utf8')).replace(/\r?\n$/, '');
}

interface Connection {
  readonly pair: string;
  readonly host: string;
  readonly client: Party;
  readonly server: Party;
}

/** Every connection a cluster makes: the client to each broker, and each broker to each other broker. */
function connections(kind: Kind): Connection[] {
  const { client, brokers, hosts } = kind.topology;
  const out: Connection[] = brokers.map((b, j) => ({ pair: `client->${b.name}`, host: hosts[j]!, client, server: b }));
  brokers.forEach((from, i) =>
    brokers.forEach((to, j) => {
      if (i !== j) out.push({ pair: `${from.name}->${to.name}`, host: hosts[j]!, client: from, server: to });
    }),
  );
  return out;
}

interface JsseLine {
  id: string;
  protocol: string;
  result: 'ok' | 'refused' | 'error';
  side?: string;
  message?: string;
}

/** One JVM for the whole corpus (TlsOracle --batch): a JVM start per kind would cost more than all handshakes. */
export async function askJsse(
  kinds: Kind[],
  work: string,
): Promise<Record<string, { verdict: Verdict; messages: string[] }>> {
  const env: Record<string, string> = {};
  const byValue = new Map<string, string>();
  const envName = (value: string) => {
    if (!byValue.has(value)) {
      byValue.set(value, `ORACLE_PW_${byValue.size}`);
      env[byValue.get(value)!] = value;
    }
    return byValue.get(value)!;
  };
  const lines: string[] = [];
  for (const kind of kinds) {
    for (const c of connections(kind)) {
      const words = [`id=${kind.id}|${c.pair}`, `host=${c.host}`];
      for (const [side, p] of [['client', c.client] as const, ['server', c.server] as const]) {
        words.push(
          `${side}.keystore=${join(kind.dir, p.keystore)}`,
          `${side}.truststore=${join(kind.dir, p.truststore)}`,
        );
        words.push(`${side}.keystore.password.env=${envName(await password(kind.dir, p.storePassword))}`);
        words.push(`${side}.key.password.env=${envName(await password(kind.dir, p.keyPassword))}`);
        words.push(`${side}.truststore.password.env=${envName(await password(kind.dir, p.trustPassword))}`);
      }
      lines.push(words.join('\t'));
    }
  }
  const batch = join(work, 'jsse-batch.tsv');
  await writeFile(batch, `${lines.join('\n')}\n`);
  const r = await execa(
    'java',
    [
      '-Duser.language=en',
      '-Duser.country=US',
      '-Duser.timezone=UTC',
      join(ROOT, 'test/fixtures/java/TlsOracle.java'),
    ].concat(['--batch', batch]),
    { env, reject: false, timeout: 600_000 },
  );
  if (r.exitCode !== 0) throw new Error(`TlsOracle failed (${r.exitCode}): ${r.stderr}`);
  const results: Record<string, { verdict: Verdict; messages: string[] }> = {};
  const grouped = new Map<string, Map<string, string[]>>();
  for (const line of String(r.stdout).split('\n').filter(Boolean)) {
    const j = JSON.parse(line) as JsseLine;
    const [kind, pair] = j.id.split('|') as [string, string];
    if (j.result === 'error') throw new Error(`TlsOracle could not judge ${j.id} ${j.protocol}: ${j.message}`);
    results[kind] ??= { verdict: 'ok', messages: [] };
    if (j.result === 'ok') continue;
    results[kind].verdict = 'refused';
    const text = `${pair}: the ${j.side} refuses: ${j.message}`;
    const byText = grouped.get(kind) ?? new Map<string, string[]>();
    byText.set(text, [...(byText.get(text) ?? []), j.protocol]);
    grouped.set(kind, byText);
  }
  for (const [kind, byText] of grouped)
    results[kind]!.messages = [...byText].map(([text, protocols]) => `${protocols.join('+')} ${text}`).sort();
  return results;
}

/** What a store holds, read as OpenSSL reads PKCS12 and, for JKS (which OpenSSL cannot read), as keytool lists it. */
interface StoreView {
  readonly keyChain?: string[];
  readonly certs: string[];
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const pems = (text: string) => text.match(PEM) ?? [];

async function readStore(path: string, pw: string): Promise<StoreView> {
  const magic = (await readFile(path)).subarray(0, 4).toString('hex');
  const env = { PW: pw, LC_ALL: 'C' };
  if (magic === 'feedfeed') {
    const r = await execa(
      'keytool',
      ['-J-Duser.language=en', '-list', '-rfc', '-keystore', path, '-storepass:env', 'PW'],
      {
        env,
        reject: false,
      },
    );
    if (r.exitCode !== 0)
      throw new Error(
        String(r.stdout)
          .split('\n')
          .find((l) => l.includes('rror')) ?? r.stderr,
      );
    const entries = String(r.stdout)
      .split(/^Alias name: /m)
      .slice(1);
    const key = entries.find((e) => /Entry type: PrivateKeyEntry/.test(e));
    return { keyChain: key ? pems(key) : undefined, certs: entries.flatMap(pems) };
  }
  // One pass: openssl prints each certificate after its bag attributes; the key's own has a localKeyID.
  const r = await execa('openssl', ['pkcs12', '-in', path, '-nokeys', '-passin', 'env:PW'], { env, reject: false });
  if (r.exitCode !== 0) throw new Error(String(r.stderr).split('\n')[0]);
  const bags = String(r.stdout).split(/^Bag Attributes/m);
  const leaf = bags.filter((b) => /localKeyID/.test(b)).flatMap(pems);
  const cas = bags.filter((b) => !/localKeyID/.test(b)).flatMap(pems);
  return { keyChain: leaf.length ? [leaf[0]!, ...cas] : undefined, certs: [...leaf, ...cas] };
}

interface Check {
  readonly label: string;
  readonly trust: string[];
  readonly chain: string[];
  readonly purpose: 'sslserver' | 'sslclient';
  readonly host?: string;
}

/** `openssl verify` of chain[0] as one check says; null when OK, else openssl's error lines. */
async function opensslVerify(work: string, c: Check, strict: boolean): Promise<string[] | null> {
  await mkdir(work, { recursive: true });
  const name = c.label.replace(/[^A-Za-z0-9.-]+/g, '_');
  const file = async (suffix: string, certs: string[]) => {
    const p = join(work, `${name}.${suffix}.pem`);
    await writeFile(p, certs.map((x) => `${x}\n`).join(''));
    return p;
  };
  const args = ['verify', '-CAfile', await file('trust', c.trust), '-purpose', c.purpose, '-auth_level', '2'];
  if (c.chain.length > 1) args.push('-untrusted', await file('chain', c.chain.slice(1)));
  if (c.host) args.push(isIp(c.host) ? '-verify_ip' : '-verify_hostname', c.host);
  if (strict) args.push('-x509_strict');
  const r = await execa('openssl', [...args, await file('leaf', c.chain.slice(0, 1))], {
    env: { LC_ALL: 'C' },
    reject: false,
  });
  if (r.exitCode === 0) return null;
  const errors = [...`${r.stdout}\n${r.stderr}`.matchAll(/error (\d+) at (\d+) depth lookup: ?(.*)/g)].map((m) => m[0]);
  return errors.length ? [...new Set(errors)] : [String(r.stderr).split('\n')[0]!];
}

const isIp = (host: string) => /^[0-9.]+$/.test(host) || host.includes(':');

/**
 * The certificates each peer is shown and what it checks them against: broker j by the client (with the client
 * truststore, and as a non-Java client does with ca.crt), broker j by broker i, broker i and the client as
 * clients by broker j; and whether ca.crt with ca.key still issue certificates the brokers trust.
 */
async function checksOf(kind: Kind, scratch: string): Promise<{ checks: Check[]; unreadable: string[] }> {
  const { client, brokers, hosts } = kind.topology;
  const unreadable: string[] = [];
  const views = new Map<string, StoreView>();
  const view = async (file: string, ref: PasswordRef): Promise<StoreView> => {
    if (!views.has(file)) {
      try {
        views.set(file, await readStore(join(kind.dir, file), await password(kind.dir, ref)));
      } catch (e) {
        unreadable.push(`${file} does not open: ${(e as Error).message}`);
        views.set(file, { certs: [] });
      }
    }
    return views.get(file)!;
  };
  const chainOf = async (p: Party) => (await view(p.keystore, p.storePassword)).keyChain ?? [];
  const trustOf = async (p: Party) => (await view(p.truststore, p.trustPassword)).certs;
  const caCrt = pems(await readFile(join(kind.dir, 'ca.crt'), 'utf8'));
  const checks: Check[] = [];
  for (const [j, b] of brokers.entries()) {
    const chain = await chainOf(b);
    checks.push({
      label: `client->${b.name}: ${b.name} as server`,
      trust: await trustOf(client),
      chain,
      purpose: 'sslserver',
      host: hosts[j],
    });
    checks.push({
      label: `ca.crt->${b.name}: ${b.name} as server`,
      trust: caCrt,
      chain,
      purpose: 'sslserver',
      host: hosts[j],
    });
    checks.push({
      label: `client->${b.name}: client as client`,
      trust: await trustOf(b),
      chain: await chainOf(client),
      purpose: 'sslclient',
    });
    for (const [i, from] of brokers.entries()) {
      if (i === j) continue;
      const pair = `${from.name}->${b.name}`;
      checks.push({
        label: `${pair}: ${b.name} as server`,
        trust: await trustOf(from),
        chain,
        purpose: 'sslserver',
        host: hosts[j],
      });
      checks.push({
        label: `${pair}: ${from.name} as client`,
        trust: await trustOf(b),
        chain: await chainOf(from),
        purpose: 'sslclient',
      });
    }
  }
  const issued = await issueProbe(kind, scratch);
  if (typeof issued === 'string') unreadable.push(issued);
  else
    checks.push({
      label: 'ca.crt + ca.key issue a certificate',
      trust: await trustOf(brokers[0]!),
      chain: [issued.crt],
      purpose: 'sslclient',
    });
  return { checks: checks.filter((c) => c.chain.length > 0), unreadable };
}

/** One probe request (key and CSR) for every kind: a key is the slow part, and any will do. */
const probeRequests = new Map<string, Promise<string>>();
function probeRequest(dir: string): Promise<string> {
  if (!probeRequests.has(dir)) {
    const [key, csr] = [join(dir, 'probe.key'), join(dir, 'probe.csr')];
    const args = ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=probe'];
    probeRequests.set(
      dir,
      execa('openssl', args, { env: { LC_ALL: 'C' } }).then(() => csr),
    );
  }
  return probeRequests.get(dir)!;
}

/** Signs a probe request with ca.crt and ca.key: what the next apply or rotate will do with them. */
async function issueProbe(kind: Kind, scratch: string): Promise<{ crt: string } | string> {
  await mkdir(scratch, { recursive: true });
  const csr = await probeRequest(join(scratch, '..'));
  const crt = join(scratch, 'probe.crt');
  const ext = join(scratch, 'probe.cnf');
  await writeFile(ext, `${leafExt({ sans: ['DNS:probe'] })}\n`);
  const o = (args: string[]) => execa('openssl', args, { cwd: kind.dir, reject: false, env: { LC_ALL: 'C' } });
  const r = await o(
    ['x509', '-req', '-in', csr, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-out', crt, '-days', '1'].concat([
      '-extfile',
      ext,
    ]),
  );
  if (r.exitCode !== 0) {
    const why = String(r.stderr)
      .split('\n')
      .filter((l) => l && !/signature ok/i.test(l));
    return `ca.crt + ca.key issue no certificate: ${why.find((l) => /match|unable|error/i.test(l)) ?? why[0]}`;
  }
  return { crt: (await readFile(crt, 'utf8')).trim() };
}

/** OpenSSL's verdicts on one kind, plain and -x509_strict. */
export async function askOpenssl(kind: Kind, scratch: string): Promise<Omit<OracleVerdicts, 'jsse' | 'jsseMessages'>> {
  const { checks, unreadable } = await checksOf(kind, scratch);
  const run = async (strict: boolean) => {
    const dir = join(scratch, strict ? 'strict' : 'plain');
    const errors = await Promise.all(checks.map((c) => opensslVerify(dir, c, strict)));
    const messages = [...unreadable, ...checks.flatMap((c, i) => (errors[i] ?? []).map((e) => `${c.label}: ${e}`))];
    return { verdict: (messages.length ? 'refused' : 'ok') as Verdict, messages: messages.sort() };
  };
  const [plain, strict] = await Promise.all([run(false), run(true)]);
  return {
    openssl: plain.verdict,
    opensslMessages: plain.messages,
    strict: strict.verdict,
    strictMessages: strict.messages,
  };
}

/** Both oracles on every kind (side by side), and the seconds each took and both together. */
export async function askOracles(
  kinds: Kind[],
  work: string,
): Promise<{ verdicts: Record<string, OracleVerdicts>; seconds: { jsse: number; openssl: number; both: number } }> {
  const start = Date.now();
  const timed = async <T>(p: Promise<T>): Promise<[T, number]> => [await p, (Date.now() - start) / 1000];
  const [[jsse, jsseSeconds], [openssl, opensslSeconds]] = await Promise.all([
    timed(askJsse(kinds, work)),
    timed(
      pool(
        4,
        kinds.map((k) => () => askOpenssl(k, join(work, 'openssl', k.id))),
      ),
    ),
  ]);
  const verdicts: Record<string, OracleVerdicts> = {};
  kinds.forEach((k, i) => {
    const j = jsse[k.id] ?? { verdict: 'refused', messages: ['no connection was judged'] };
    verdicts[k.id] = { jsse: j.verdict, jsseMessages: j.messages, ...openssl[i]! };
  });
  return { verdicts, seconds: { jsse: jsseSeconds, openssl: opensslSeconds, both: (Date.now() - start) / 1000 } };
}
