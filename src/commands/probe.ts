import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isIP } from 'node:net';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { readPassword } from '../params.js';
import { capture, type CaptureOptions } from '../runner/capture.js';
import { preflight } from '../tools.js';
import * as v from '../validate.js';
import { PASSWORD_ENV, readStore } from '../verify/read.js';

/**
 * `probe HOST:PORT`: the write-up's `openssl s_client -connect … -showcerts`,
 * made to answer the questions one asks of it: which protocol and cipher,
 * which chain, does it verify against our CA, does it cover the host name,
 * does the server ask for a client certificate, and if not, why not.
 */
export interface RawProbeOptions {
  ca?: string;
  client?: string;
  servername?: string;
  timeout?: string;
  passwordFile?: string;
  json?: boolean;
  openssl?: string;
}

export function probeCommand(): Command {
  return new Command('probe')
    .description('Connect to a Kafka TLS listener with TLS 1.3 and 1.2 and report what it presents and asks for')
    .argument('<host:port>', 'the listener, e.g. mtls-kafka-0.mtls-kafka-headless:9093')
    .option('--ca <file>', 'CA to verify the server against: a PEM file or a truststore')
    .option('--client <file>', 'present this client certificate: a PKCS12 keystore, or a PEM file with certificate and key')
    .option('--servername <name>', 'SNI and the name to verify (default: HOST)')
    .option('--timeout <seconds>', 'give up after this long', '10')
    .option('--password-file <file>', 'file holding the store password (default: env PASSWORD, else "password")')
    .option('--json', 'print the result as JSON')
    .option('--openssl <path>', 'openssl to run (default: openssl on PATH)');
}

export interface ProtocolResult {
  readonly protocol: 'TLSv1.3' | 'TLSv1.2';
  readonly connected: boolean;
  readonly cipher?: string;
  readonly chain: ReadonlyArray<{ subject: string; issuer: string }>;
  /** openssl's verify return code and text; undefined when no --ca was given. */
  readonly verify?: { code: number; text: string };
  readonly clientCertRequested: boolean;
  readonly error?: string;
  readonly hint?: string;
}

export interface ProbeResult {
  readonly target: string;
  readonly servername: string;
  readonly results: readonly ProtocolResult[];
  readonly ok: boolean;
}

/** openssl verify codes and alerts a Kafka operator meets, in words, with what to do. */
function hintFor(text: string, code: number | undefined, host: string): string | undefined {
  if (/Connection refused|errno=111/.test(text)) return 'nothing listens there: check the port and that the broker is up';
  if (/timed out|errno=110/.test(text)) return 'no answer: a firewall, or the wrong address';
  if (/certificate required|bad certificate|alert handshake failure/.test(text)) return 'the server wants a client certificate it trusts (ssl.client.auth=required): pass --client with a keystore signed by its CA';
  if (code === 62) return `the server's certificate has no SAN for ${host}: regenerate it with that name (--san), or connect by a name it has`;
  if (code === 2 || code === 20 || code === 21) return 'the server\'s chain does not lead to --ca: another CA signed it, or its keystore lacks the chain';
  if (code === 10) return 'the server\'s certificate has expired';
  if (code === 9) return 'the server\'s certificate is not valid yet: check the clocks';
  if (code === 18 || code === 19) return 'the server presents a self-signed certificate that --ca does not hold';
  return undefined;
}

export function parseSClient(out: string, protocol: ProtocolResult['protocol'], host: string, withCa: boolean): ProtocolResult {
  const chain = [...out.matchAll(/^ *\d+ s:(.*)\n\s+i:(.*)$/gm)].map((m) => ({ subject: m[1]!.trim(), issuer: m[2]!.trim() }));
  const cipher = /New, (TLSv[\d.]+), Cipher is (\S+)/.exec(out);
  const connected = cipher !== null && cipher[2] !== '(NONE)';
  const vr = /Verify return code: (\d+) \((.*)\)/.exec(out);
  const code = vr ? Number(vr[1]) : undefined;
  const alert = /alert ([a-z ]+)/i.exec(out)?.[0] ?? /(Connection refused|connect:errno=\d+)/.exec(out)?.[0];
  return {
    protocol,
    connected,
    cipher: connected ? cipher![2] : undefined,
    chain,
    verify: withCa && vr ? { code: code!, text: vr[2]! } : undefined,
    // Printed only when a CertificateRequest came ("No client certificate CA names sent" comes either way,
    // and a Java server under TLS 1.3 sends no CA names at all).
    clientCertRequested: /^(Acceptable client certificate CA names|Requested Signature Algorithms|Client Certificate Types)/m.test(out),
    error: connected ? (withCa && code !== 0 ? vr?.[2] : undefined) : (alert ?? 'the handshake failed'),
    hint: connected && (!withCa || code === 0) ? undefined : hintFor(out, code, host),
  };
}

export async function runProbe(target: string, raw: RawProbeOptions, deps: { env: NodeJS.ProcessEnv }): Promise<ProbeResult> {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(target);
  if (!m || Number(m[2]) > 65535) throw new UsageError('<host:port>', `must be HOST:PORT, got "${target}"`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  if (!isIP(host)) v.dnsName('<host:port>', host);
  const servername = raw.servername ? v.dnsName('--servername', raw.servername) : host;
  const timeoutMs = v.wholeNumber('--timeout', raw.timeout ?? '10', 1, 300) * 1000;
  const tools = { openssl: raw.openssl ?? 'openssl', keytool: 'keytool' };
  await preflight(tools, ['openssl'], deps.env);
  const { secret } = await readPassword(raw.passwordFile, deps.env);
  // Material for s_client goes into a private directory (0700) that is removed at the end.
  const tmp = await mkdtemp(join(tmpdir(), 'kafka-mtls-probe-'));
  try {
    const opts: CaptureOptions = { tools, secrets: { [PASSWORD_ENV]: secret }, cwd: tmp, timeoutMs };
    const extra: string[] = [];
    if (raw.ca) extra.push('-CAfile', await pemFrom(resolve(raw.ca), 'ca', tmp, opts));
    if (raw.client) {
      const pem = await pemFrom(resolve(raw.client), 'client', tmp, opts);
      extra.push('-cert', pem, '-key', pem);
    }
    const results: ProtocolResult[] = [];
    for (const protocol of ['TLSv1.3', 'TLSv1.2'] as const) {
      const flag = protocol === 'TLSv1.3' ? '-tls1_3' : '-tls1_2';
      // An IP is checked against IP SANs and sent without SNI (SNI carries names only).
      const name = isIP(servername) ? ['-noservername', '-verify_ip', servername] : ['-servername', servername, '-verify_hostname', servername];
      const args = ['s_client', '-connect', `${m[1]}:${m[2]}`, flag, '-showcerts', ...name, ...extra];
      // Empty input: s_client finishes the handshake, prints, and closes.
      const r = await capture('openssl', args, { ...opts, input: '' });
      const text = `${r.stdout}\n${r.stderr}${r.exitCode === undefined && !r.ok ? '\ntimed out' : ''}`;
      results.push(parseSClient(text, protocol, servername, raw.ca !== undefined));
    }
    const ok = results.some((r) => r.connected && (!r.verify || r.verify.code === 0));
    return { target, servername, results, ok };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A PEM file s_client can read: the file itself if it is PEM, else what a keystore (PKCS12) or truststore holds. */
async function pemFrom(path: string, what: 'ca' | 'client', tmp: string, opts: CaptureOptions): Promise<string> {
  const text = await readFile(path, 'latin1').catch(() => {
    throw new UsageError(what === 'ca' ? '--ca' : '--client', `must be a readable file: ${path}`);
  });
  if (text.includes('-----BEGIN')) return path;
  const out = join(tmp, `${what}.pem`);
  if (what === 'ca') {
    const store = await readStore(path, opts);
    const pems = store.entries.filter((e) => e.entryType === 'trustedCertEntry').flatMap((e) => e.certs.map((c) => c.pem ?? ''));
    if (!store.opened || pems.length === 0) throw new UsageError('--ca', `must be a PEM CA or a truststore that opens with the password and holds a CA: ${path}`);
    await writeFile(out, pems.join('\n') + '\n', { mode: 0o600 });
    return out;
  }
  const r = await capture('openssl', ['pkcs12', '-in', path, '-passin', `env:${PASSWORD_ENV}`, '-nodes', '-clcerts'], { ...opts, secretEnv: [PASSWORD_ENV] });
  if (!r.ok) throw new UsageError('--client', `must be a PEM file with certificate and key, or a PKCS12 keystore that opens with the password: ${path}`);
  await writeFile(out, r.stdout, { mode: 0o600 });
  return out;
}
