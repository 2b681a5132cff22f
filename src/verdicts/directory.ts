/**
 * A certs directory judged as verify judges it: its state file, its parties and the passwords their configuration
 * gives, JSSE handshakes per pair in the keytool host's JVM, openssl verify and the strict profile, and the checks a
 * handshake cannot show; a finding each. verify prints them; explain maps them to the causes of a failed handshake.
 */
import { readdir, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { brokerSans, type San } from '../model/cluster.js';
import { named, UsageError } from '../errors.js';
import { parseStatefulSetFlags, type RawCommonOptions } from '../options/params.js';
import { passwordWarning, readPassword, type ReadPassword } from '../options/password.js';
import type { Exec } from '../runner/exec.js';
import { parseMappingRules } from '../model/principal.js';
import { preflight } from '../runner/tools.js';
import * as v from '../model/rules.js';
import { readStore, type CertCache } from '../pki/read.js';
import { STORE_PASSWORD_ENV } from '../model/secret-names.js';
import { partiesOf, type Party } from '../pki/connections.js';
import { jsseFindings, opensslChainFindings } from '../pki/judges.js';
import { caFileFindings } from '../pki/ca-match.js';
import { pemStoreFindings } from '../pki/pem-stores.js';
import type { Secret } from '../secrets.js';
import { applyRules, type Expectations, type Finding, type VerifyResult } from '../pki/rules.js';
import { listFiles } from '../output/files.js';
import { GENERATED_PASSWORDS } from '../model/passwords.js';
import { dropInFiles, emitFiles, layoutFiles } from '../model/layouts.js';
import { readGeneratedSecrets, readState, STATE_FILE } from '../output/state-file.js';
import type { State } from '../model/state.js';
import { checkCaFiles, checkDirectory, type FileProblem } from '../pki/present.js';

export interface RawVerifyOptions extends RawCommonOptions {
  host?: string[];
  principalRules?: string;
  cipherSuites?: string;
  json?: boolean;
}

export type VerifyDeps = {
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  exec?: Exec;
  now?: Date;
  warn?: (line: string) => void;
};

export async function runVerify(dirArg: string, raw: RawVerifyOptions, deps: VerifyDeps): Promise<VerifyResult> {
  return (await judgeDirectory(dirArg, raw, deps)).result;
}

/** verify's findings, with the parties they are about (who is a broker, who a client, with which stores). */
export interface JudgedDirectory {
  readonly result: VerifyResult;
  readonly parties: readonly Party[];
}

export async function judgeDirectory(
  dirArg: string,
  raw: RawVerifyOptions,
  deps: VerifyDeps,
): Promise<JudgedDirectory> {
  const dir = resolve(dirArg);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError('[dir]', `must be a directory; ${dir} is not`);
  const expected = readExpectations(raw);
  const { signal } = deps;
  const shared = await readPassword(raw.passwordFile, deps.env, signal);
  const tools = { openssl: raw.openssl ?? 'openssl', keytool: raw.keytool ?? 'keytool' };
  await preflight(tools, ['openssl'], deps.env);

  // A directory kafka-mtls made says what it holds: its layout, its brokers and their names, its passwords.
  // Its state file is input: one that fails its checks is refused (exit 2), not read around.
  const state = await readState(dir, signal);
  const files = (state ? await listFiles(dir) : await readdir(dir)).filter((f) => !f.startsWith('.')).sort();
  const passwords = await basePasswords(dir, state, shared, deps);
  const expectations = expectationsOf(expected, state);
  const naming = { name: expected.naming.name, clientAlias: expected.clientAlias };
  const found = await partiesOf(dir, files, state, naming, expectations.brokerHosts, passwords, signal);
  const parties = expected.cipherSuites
    ? found.map((p) => (p.cipherSuites ? p : { ...p, cipherSuites: expected.cipherSuites }))
    : found;
  // Java judges while openssl and keytool list the stores: the JVM's start-up overlaps theirs.
  const [{ keystores, truststores }, jsse] = await Promise.all([
    readStores(dir, files, passwords.of, { ...deps, tools }),
    jsseFindings(
      dir,
      parties.filter((p) => files.includes(p.keystore) && files.includes(p.truststore)),
      tools.keytool,
      raw.principalRules ?? 'DEFAULT',
      signal,
    ),
  ]);
  const findings = applyRules(keystores, truststores, {
    ...expectations,
    ownerOf: (file) => parties.find((p) => p.keystore === file),
    now: deps.now ?? new Date(),
  });
  if (state) {
    const [lost, ca] = await Promise.all([checkDirectory(dir, state, signal), checkCaFiles(dir, state, signal)]);
    findings.unshift(...ca.map(caPresenceFinding), ...lost.map(presenceFinding));
  }
  // ca.pem: the confluent layout's CA and key, or --emit pem's CA alone; both start with the CA's certificate.
  const ca = { cert: dropInFiles.caCert, key: dropInFiles.caKey, pem: emitFiles.caPem('') };
  findings.push(
    ...(await caFileFindings(dir, ca, { truststores, keystores }, shared.secret)),
    ...(await pemStoreFindings(dir, files, signal)),
    ...jsse,
    ...(await opensslChainFindings(parties, keystores, truststores, {
      tools,
      secrets: {},
      cwd: dir,
      exec: deps.exec,
      signal,
    })),
  );
  return { result: { dir, findings, failed: findings.some((f) => f.status === 'fail') }, parties };
}

/** The options that say what the certificates must be, checked before anything is read. */
function readExpectations(raw: RawVerifyOptions) {
  const { clientName: clientAlias, ...names } = parseStatefulSetFlags(raw);
  const naming = { ...names, extraSans: [] };
  const hosts = raw.host ?? [];
  // A host is what a client connects to: a name or an address, never a wildcard.
  for (const h of hosts) if (!isIP(h)) named('--host', () => v.dnsName(h.replaceAll('{i}', '0')));
  // The rules' grammar, before any process: what a pattern is, Java decides (the judge's JVM).
  parseMappingRules(raw.principalRules ?? 'DEFAULT');
  const cipherSuites = raw.cipherSuites === undefined ? undefined : parseSuites(raw.cipherSuites);
  return { naming, clientAlias, hosts, cipherSuites };
}

/** JSSE's suite names (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256): which exist, Java says. */
function parseSuites(raw: string): string[] {
  const suites = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = suites.find((s) => !/^(TLS|SSL)_[A-Z0-9_]+$/.test(s));
  if (suites.length === 0 || bad !== undefined)
    throw new UsageError(
      '--cipher-suites',
      `must be cipher suite names as Java spells them (TLS_…), comma-separated, got ${JSON.stringify(bad ?? raw)}`,
    );
  return suites;
}

/** Each identity's role and each broker's host names: from the state file if any, else from the names. */
function expectationsOf(
  { naming, clientAlias, hosts }: Omit<ReturnType<typeof readExpectations>, 'cipherSuites'>,
  state: State | undefined,
): Pick<Expectations, 'roleOf' | 'brokerHosts'> {
  const byAlias = new Map((state?.identities ?? []).map((i) => [i.alias.toLowerCase(), i]));
  const brokerIndex = (alias: string) => new RegExp(`^${naming.name}-(\\d+)$`).exec(alias)?.[1];
  const brokers = state?.identities.filter((x) => x.role === 'broker');
  const asSan = (h: string): San => ({ kind: isIP(h) ? 'IP' : 'DNS', value: h });
  return {
    roleOf: (alias) =>
      state
        ? (byAlias.get(alias)?.role ?? 'unknown')
        : brokerIndex(alias) !== undefined
          ? 'broker'
          : alias === clientAlias
            ? 'client'
            : 'unknown',
    brokerHosts: (alias) => {
      const i = brokerIndex(alias) ?? String(brokers?.findIndex((x) => x.alias.toLowerCase() === alias) ?? 0);
      if (hosts.length > 0) return hosts.map((h) => asSan(h.replaceAll('{i}', i)));
      return byAlias.get(alias)?.sans ?? brokerSans(naming, Number(i));
    },
  };
}

/** The passwords verify was given, or the generated ones the directory holds, by store file. */
async function basePasswords(dir: string, state: State | undefined, shared: ReadPassword, deps: VerifyDeps) {
  // A missing password file is a finding below, not a refusal: its store then fails to open, and says so.
  const generated = state?.generatedPasswords
    ? await readGeneratedSecrets(dir, state, deps.signal, { missing: 'skip' })
    : undefined;
  const warning = generated ? undefined : passwordWarning(shared);
  if (warning) deps.warn?.(warning);
  const { secret } = shared;
  const of = (file: string): Secret => {
    if (!generated || !state) return secret;
    if (/\.truststore\./.test(file)) return generated[GENERATED_PASSWORDS.truststore] ?? secret;
    const who = state.identities.find((i) => layoutFiles(state.layout).keystore(i) === file);
    return (who && generated[GENERATED_PASSWORDS.keystore(who)]) ?? secret;
  };
  return { of, label: generated ? 'the generated passwords' : raw(shared) };
}

const raw = (shared: ReadPassword) => shared.secret.label;

/** Every keystore and truststore of the directory, each opened with its password (a generated one if any). */
async function readStores(
  dir: string,
  files: readonly string[],
  passwordOf: (file: string) => Secret,
  deps: VerifyDeps & { tools: { openssl: string; keytool: string } },
) {
  const pick = (kind: string) => files.filter((f) => new RegExp(`\\.${kind}\\.(jks|p12|pkcs12)$`).test(f));
  // The CA is in every store: read once.
  const certs: CertCache = new Map();
  const read = (f: string) => {
    const { tools, exec, signal } = deps;
    const opts = { tools, secrets: { [STORE_PASSWORD_ENV]: passwordOf(f) }, cwd: dir, exec, signal };
    return readStore(join(dir, f), opts, undefined, certs).then((s) => ({ ...s, name: f }));
  };
  const [keystores, truststores] = await Promise.all([
    Promise.all(pick('keystore').map(read)),
    Promise.all(pick('truststore').map(read)),
  ]);
  return { keystores, truststores };
}

/**
 * The CA's files: without its certificate nothing can be reissued; without its key nothing can be signed, but the
 * brokers do not need it, and some keep it offline: a warning.
 */
function caPresenceFinding(p: FileProblem): Finding {
  const what = p.problem === 'missing' ? 'is missing' : `is unreadable (${p.detail})`;
  return p.kind === 'cert'
    ? {
        status: 'fail',
        target: p.path,
        check: 'present',
        message:
          `${p.what} ${what}: restore it from a backup ` + '(a CA is made only by generate, or replaced by rotate-ca)',
      }
    : {
        status: 'warn',
        target: p.path,
        check: 'present',
        message:
          `${p.what} ${what}: plan, apply and rotate-ca cannot sign until it is back ` + '(the brokers do not need it)',
      };
}

/** A file kafka-mtls.json lists that is not there, or not what it should be. */
function presenceFinding(p: FileProblem): Finding {
  const what = p.problem === 'missing' ? 'is missing' : `is unreadable (${p.detail})`;
  return {
    status: 'fail',
    target: p.path,
    check: 'present',
    message: `${p.what}, listed in ${STATE_FILE}, ${what}: kafka-mtls apply makes it again`,
  };
}
