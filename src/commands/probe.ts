/**
 * `probe HOST:PORT`: the write-up's `openssl s_client -connect … -showcerts`,
 * made to answer the questions one asks of it, per protocol version: does the
 * server accept us (our client certificate included), do we trust it, does
 * its certificate cover the name, and if not, why not. The connections are
 * Node's own TLS (the same OpenSSL), so every verdict comes from the wire.
 */
import { join, resolve } from 'node:path';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Command } from 'commander';
import { CancelledError, named, UsageError } from '../errors.js';
import { passwordWarning, readPassword } from '../options/password.js';
import { readBoundedText } from '../pki/read-file.js';
import { attempt, type Protocol } from '../probe/handshake.js';
import { scratchDir, type ScratchOptions } from '../runner/scratch.js';
import type { ProbeContext } from '../probe/outcome.js';
import { resultOf, type ProbeResult, type ProtocolResult } from '../probe/result.js';
import { jsonOption, opensslOption, passwordFileOption } from '../options/flags.js';
import type { CommandIo } from '../report/io.js';
import { formatProbe } from '../report/probe.js';
import { capture, type CaptureOptions } from '../runner/capture.js';
import type { Secret } from '../secrets.js';
import { preflight } from '../runner/tools.js';
import * as v from '../model/rules.js';
import { parseX509, pemBlocks } from '../pki/x509.js';
import { readStore, storeType } from '../pki/read.js';
import { STORE_PASSWORD_ENV } from '../model/secret-names.js';
import { jksToPkcs12Args, pkcs12ClientPemArgs } from '../steps/read.js';

export interface RawProbeOptions {
  ca?: string;
  client?: string;
  servername?: string;
  timeout?: string;
  passwordFile?: string;
  json?: boolean;
  openssl?: string;
}

const HELP = `
Examples:
  kafka-mtls probe mtls-kafka-0.mtls-kafka-headless:9093 --ca certs/ca.crt
  PASSWORD=... kafka-mtls probe kafka-1-external:19093 --ca certs/kafka.client.truststore.jks \\
    --client certs/mtls-kafka-client.keystore.jks

Exit codes:
  0    every TLS version the server speaks accepted us: with --client, mutual TLS works;
       without --client, the listener lets a client without a certificate in (it does not enforce mTLS)
  1    anything else: the outcome per version says what, and the hint what to do
  2    bad usage: nothing was connected to
  130  interrupted`;

export function probeCommand(io: CommandIo): Command {
  return new Command('probe')
    .description(
      'Connect to a Kafka TLS listener with TLS 1.3 and 1.2: does it accept us, our client certificate included, ' +
        'and if not, why',
    )
    .argument('<host:port>', 'the listener, e.g. mtls-kafka-0.mtls-kafka-headless:9093')
    .option('--ca <file>', 'CA to verify the server against: a PEM file or a truststore')
    .option(
      '--client <file>',
      'present this client certificate: a PKCS12 or JKS keystore, or a PEM file with certificate and key',
    )
    .option('--servername <name>', 'SNI and the name to verify (default: HOST)')
    .option('--timeout <seconds>', 'give up on a connection after this long (1 to 300)', '10')
    .addOption(passwordFileOption())
    .addOption(jsonOption())
    .addOption(opensslOption())
    .addHelpText('after', HELP)
    .action(async (target: string, opts: RawProbeOptions) => {
      const result = await runProbe(target, opts, { env: io.env, signal: io.signal, warn: io.warn });
      io.out(opts.json ? JSON.stringify(result, null, 2) + '\n' : formatProbe(io.c, result));
      if (!result.ok) io.exitWith(1);
    });
}

export interface ProbeDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** A one-line warning for the user (the default or a weak password, when a store is opened). */
  readonly warn?: (line: string) => void;
}

const PROTOCOLS: readonly Protocol[] = ['TLSv1.3', 'TLSv1.2'];
const TARGET_RULE = 'must be HOST:PORT with a port from 1 to 65535 (an IPv6 address in brackets: [::1]:9093)';

/** `<host:port>`: a DNS name, an IPv4 address or a bracketed IPv6 address, and a port from 1 to 65535. */
export function parseTarget(target: string): { host: string; port: number } {
  const fail = (rule: string) => new UsageError('<host:port>', `${rule}, got ${JSON.stringify(target)}`);
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(target);
  if (!m) {
    const bareV6 = isIP(target.replace(/:[0-9]*$/, '')) === 6 || isIP(target) === 6;
    throw fail(bareV6 ? 'an IPv6 address goes in brackets, as in [::1]:9093' : TARGET_RULE);
  }
  const [, v6, name, rawPort] = m;
  const port = /^[0-9]{1,5}$/.test(rawPort!) ? Number(rawPort) : NaN;
  if (!(port >= 1 && port <= 65535)) throw fail('the port must be a whole number from 1 to 65535');
  if (v6 !== undefined && isIP(v6) !== 6) throw fail('brackets must hold an IPv6 address');
  const host = v6 ?? name!;
  if (host === '') throw fail(TARGET_RULE);
  if (v6 === undefined && !isIP(host)) named('<host:port>', () => v.dnsName(host));
  return { host, port };
}

export async function runProbe(target: string, raw: RawProbeOptions, deps: ProbeDeps): Promise<ProbeResult> {
  const { ctx, servername, contexts } = await prepare(target, raw, deps);
  const results: ProtocolResult[] = [];
  for (const [i, protocol] of PROTOCOLS.entries()) {
    const request = { host: ctx.host, port: ctx.port, servername, timeoutMs: ctx.timeoutMs, signal: deps.signal };
    const o = await attempt({ ...request, protocol, context: contexts[i]! });
    if (o.cancelled) throw new CancelledError();
    results.push(resultOf(o, ctx));
  }
  const accepted = results.filter((r) => r.outcome.code === 'accepted').length;
  const fine = (r: ProtocolResult) => r.outcome.code === 'accepted' || r.outcome.code === 'protocol-unsupported';
  const ok = accepted > 0 && results.every(fine);
  return { target, servername, results, ok };
}

/** Every option checked and every file read before the first connection: bad usage touches no network. */
async function prepare(target: string, raw: RawProbeOptions, deps: ProbeDeps) {
  const { host, port } = parseTarget(target);
  const given = raw.servername;
  const servername = given === undefined ? host : isIP(given) ? given : named('--servername', () => v.dnsName(given));
  const timeoutMs = named('--timeout', () => v.wholeNumber(raw.timeout ?? '10', 1, 300)) * 1000;
  const shared = await readPassword(raw.passwordFile, deps.env, deps.signal);
  const { secret } = shared;
  const tools = { openssl: raw.openssl ?? 'openssl', keytool: 'keytool' };
  const secrets = { [STORE_PASSWORD_ENV]: secret };
  // Only a store given as --ca or --client is opened with the password: then it is named if weak or the default.
  const used = { ...deps, usedPassword: () => warnAbout(shared, deps) };
  const read = async ({ path: cwd }: { path: string }) => {
    const opts: CaptureOptions = { tools, secrets, cwd, timeoutMs, signal: deps.signal };
    const ca = raw.ca === undefined ? undefined : await caPem(resolve(raw.ca), opts, used);
    const pem = raw.client === undefined ? undefined : await clientPem(resolve(raw.client), opts, used);
    return { ca, pem };
  };
  // A store is read by openssl or keytool, run in a scratch directory of their own that tmp makes and removes;
  // 0700, as a JKS --client's key passes through it in a PKCS12 (see jksToPkcs12).
  const scratch = { template: 'kafka-mtls-probe-XXXXXX', unsafeCleanup: true, mode: 0o700 };
  const { ca, pem } = raw.ca === undefined && raw.client === undefined ? {} : await readInScratch(read, scratch);
  const client = pem === undefined ? undefined : { pem, path: raw.client! };
  const contexts = PROTOCOLS.map((protocol) => secureContext(protocol, ca, client, secret));
  const sentCert = pem !== undefined;
  const ctx: ProbeContext = { host, port, name: servername, sentCert, checkedCa: ca !== undefined, timeoutMs };
  return { ctx, servername, contexts };
}

type ClientPem = { readonly pem: string; readonly path: string };

/** One context per protocol version; a client key that does not fit its certificate is bad usage. */
function secureContext(protocol: Protocol, ca?: string, client?: ClientPem, secret?: Secret): SecureContext {
  try {
    return createSecureContext({
      minVersion: protocol,
      maxVersion: protocol,
      ca,
      ...(client === undefined ? {} : { cert: client.pem, key: client.pem, passphrase: secret?.reveal() }),
    });
  } catch (e) {
    // Only the client's key and certificate can fail here (a wrong CA shows at the handshake, as untrusted).
    const why = (e as { reason?: string }).reason ?? (e as Error).message.split('\n')[0];
    const rule = 'must hold a certificate and the private key that belongs to it';
    throw new UsageError('--client', `${rule}: ${client?.path} (${why})`);
  }
}

/** The warning about the password, given when a store is opened with it. */
function warnAbout(shared: Parameters<typeof passwordWarning>[0], deps: ProbeDeps): void {
  const warning = passwordWarning(shared);
  if (warning) deps.warn?.(warning);
}

type StoreDeps = ProbeDeps & { readonly usedPassword: () => void };

/** The CA as PEM text: the file itself if it is PEM, else the trusted certificates of a truststore. */
async function caPem(path: string, opts: CaptureOptions, deps: StoreDeps): Promise<string> {
  const text = await readInput('--ca', path, opts.signal);
  if (text.includes('-----BEGIN')) {
    // Node skips a certificate it cannot parse: without this check a damaged CA file would read as "not trusted".
    const certs = pemBlocks(text).filter((pem) => parseX509(pem) !== undefined);
    if (certs.length === 0) throw new UsageError('--ca', `must hold a PEM certificate that parses: ${path}`);
    return certs.join('\n') + '\n';
  }
  deps.usedPassword();
  await preflight(opts.tools, ['openssl', 'keytool'], deps.env);
  const store = await readStore(path, opts, '--ca');
  cancelled(deps);
  const trusted = store.entries.filter((e) => e.entryType === 'trustedCertEntry');
  const pems = trusted.flatMap((e) => e.certs.map((c) => c.pem ?? ''));
  if (!store.opened || pems.length === 0) {
    const rule = 'must be a PEM CA, or a truststore that opens with the password and holds a CA';
    throw new UsageError('--ca', `${rule}: ${path}`);
  }
  return pems.join('\n') + '\n';
}

/**
 * The client's certificate and key as PEM text, kept in memory: the file itself if PEM, else a PKCS12 keystore's,
 * else a JKS keystore's (copied to PKCS12 first).
 */
async function clientPem(path: string, opts: CaptureOptions, deps: StoreDeps): Promise<string> {
  const text = await readInput('--client', path, opts.signal);
  if (text.includes('-----BEGIN')) return text;
  deps.usedPassword();
  const jks = (await storeType(path)) === 'JKS';
  await preflight(opts.tools, jks ? ['openssl', 'keytool'] : ['openssl'], deps.env);
  const pkcs12 = jks ? await jksToPkcs12(path, opts) : path;
  cancelled(deps);
  const args = pkcs12 === undefined ? undefined : pkcs12ClientPemArgs(pkcs12, STORE_PASSWORD_ENV);
  const r =
    args === undefined ? undefined : await capture('openssl', args, { ...opts, secretEnv: [STORE_PASSWORD_ENV] });
  cancelled(deps);
  if (!r?.ok) {
    const rule =
      'must be a PEM file with certificate and key, or a PKCS12 or JKS keystore that opens with the password';
    throw new UsageError('--client', `${rule}: ${path}`);
  }
  return r.raw.stdout;
}

/**
 * openssl cannot read a JKS, and keytool does not print a private key: keytool copies the keystore to a PKCS12 in
 * the 0700 scratch directory (removed with it), for openssl to take the key from. Both passwords come from the
 * environment (-srcstorepass:env, -deststorepass:env), never the command line. Undefined when keytool cannot open it.
 */
async function jksToPkcs12(path: string, opts: CaptureOptions): Promise<string | undefined> {
  const dest = join(opts.cwd, 'client.p12');
  const r = await capture('keytool', jksToPkcs12Args(path, dest, STORE_PASSWORD_ENV), {
    ...opts,
    secretEnv: [STORE_PASSWORD_ENV],
  });
  return r.ok ? dest : undefined;
}

/** A PEM file or a store: a regular file of at most a store's cap. */
async function readInput(option: string, path: string, signal: AbortSignal | undefined): Promise<string> {
  return readBoundedText(path, { kind: 'store', option, signal }, 'latin1');
}

function cancelled(deps: ProbeDeps): void {
  if (deps.signal?.aborted) throw new CancelledError();
}

/** `read` in a scratch directory made for it, removed after, however `read` ends. */
async function readInScratch<T>(read: (d: { path: string }) => Promise<T>, options: ScratchOptions): Promise<T> {
  const d = await scratchDir(options);
  try {
    return await read(d);
  } finally {
    await d.cleanup();
  }
}
