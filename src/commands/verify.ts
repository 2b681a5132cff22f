import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { isIP } from 'node:net';
import { brokerSans, type San } from '../model/cluster.js';
import { UsageError } from '../errors.js';
import { parseStatefulSetFlags, type RawCommonOptions } from '../options/params.js';
import { passwordWarning, readPassword } from '../options/password.js';
import { SCRIPT_DEFAULTS } from '../model/defaults.js';
import type { Exec } from '../runner/exec.js';
import { parseMappingRules } from '../model/principal.js';
import { preflight } from '../runner/tools.js';
import * as v from '../model/rules.js';
import { PASSWORD_ENV, readStore, type CertCache } from '../pki/read.js';
import { applyRules, type Finding } from '../pki/rules.js';
import { listFiles } from '../output/files.js';
import { GENERATED_PASSWORDS } from '../model/passwords.js';
import { layoutFiles } from '../model/layouts.js';
import { readGeneratedSecrets, readState, STATE_FILE } from '../output/state-file.js';
import { checkCaFiles, checkDirectory, type FileProblem } from '../pki/present.js';

export interface RawVerifyOptions extends RawCommonOptions {
  host?: string[];
  principalRules?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function verifyCommand(): Command {
  return new Command('verify')
    .description(
      'Check a certs directory (made by kafka-mtls, by mtls-kafka.sh or by hand) against the rules Kafka applies',
    )
    .argument('[dir]', 'the directory holding *.keystore.jks and *.truststore.jks', 'certs')
    .option('--password-file <file>', 'file holding the store password (default: env PASSWORD, else "password")')
    .option('--name <name>', `StatefulSet name: brokers are <name>-<i> (default ${SCRIPT_DEFAULTS.name})`)
    .option('--headless-service <name>', 'headless Service name (default <name>-headless)')
    .option('--namespace <ns>', `Kubernetes namespace (default ${SCRIPT_DEFAULTS.namespace})`)
    .option('--cluster-domain <domain>', `cluster DNS domain (default ${SCRIPT_DEFAULTS.clusterDomain})`)
    .option('--client-name <name>', "the client's alias (default <name>-client)")
    .option(
      '--host <name>',
      "a host name every broker certificate must cover, {i} for the broker's index (repeatable; default: the StatefulSet names)",
      collect,
    )
    .option(
      '--principal-rules <rules>',
      "the brokers' ssl.principal.mapping.rules, to show the principal Kafka will use (default: DEFAULT)",
    )
    .option('--json', 'print the findings as JSON')
    .option('--openssl <path>', 'openssl to run (default: openssl on PATH)')
    .option('--keytool <path>', 'keytool to run (default: keytool on PATH)');
}

export interface VerifyResult {
  readonly dir: string;
  readonly findings: readonly Finding[];
  readonly failed: boolean;
}

export async function runVerify(
  dirArg: string,
  raw: RawVerifyOptions,
  deps: { env: NodeJS.ProcessEnv; exec?: Exec; now?: Date; warn?: (line: string) => void },
): Promise<VerifyResult> {
  const dir = resolve(dirArg);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError('[dir]', `must be a directory; ${dir} is not`);
  const { clientName: clientAlias, ...names } = parseStatefulSetFlags(raw);
  const naming = { ...names, extraSans: [] };
  const { name } = naming;
  const hosts = raw.host ?? [];
  // A host is what a client connects to: a name or an address, never a wildcard.
  for (const h of hosts) if (!isIP(h)) v.dnsName('--host', h.replaceAll('{i}', '0'));
  const asSan = (h: string): San => ({ kind: isIP(h) ? 'IP' : 'DNS', value: h });
  const principalRules = parseMappingRules(raw.principalRules ?? 'DEFAULT');
  const shared = await readPassword(raw.passwordFile, deps.env);
  const { secret } = shared;
  const tools = { openssl: raw.openssl ?? 'openssl', keytool: raw.keytool ?? 'keytool' };
  await preflight(tools, ['openssl'], deps.env);

  // A directory kafka-mtls made says what it holds: its layout, its brokers and their names, its passwords.
  // Its state file is input: one that fails its checks is refused (exit 2), not read around.
  const state = await readState(dir);
  const files = (state ? await listFiles(dir) : await readdir(dir)).filter((f) => !f.startsWith('.')).sort();
  const pick = (kind: string) => files.filter((f) => new RegExp(`\\.${kind}\\.(jks|p12|pkcs12)$`).test(f));
  // A missing password file is a finding below, not a refusal: its store then fails to open, and says so.
  const generated = state?.generatedPasswords ? await readGeneratedSecrets(dir, state, { missing: 'skip' }) : undefined;
  const warning = generated ? undefined : passwordWarning(shared);
  if (warning) deps.warn?.(warning);
  const passwordOf = (file: string) => {
    if (!generated || !state) return secret;
    if (/\.truststore\./.test(file)) return generated[GENERATED_PASSWORDS.truststore] ?? secret;
    const who = state.identities.find((i) => layoutFiles(state.layout).keystore(i) === file);
    return (who && generated[GENERATED_PASSWORDS.keystore(who)]) ?? secret;
  };
  // The CA is in every store: read once.
  const certs: CertCache = new Map();
  const read = (f: string) =>
    readStore(
      join(dir, f),
      { tools, secrets: { [PASSWORD_ENV]: passwordOf(f) }, cwd: dir, exec: deps.exec },
      undefined,
      certs,
    ).then((s) => ({ ...s, name: f }));
  const [keystores, truststores] = await Promise.all([
    Promise.all(pick('keystore').map(read)),
    Promise.all(pick('truststore').map(read)),
  ]);
  const byAlias = new Map((state?.identities ?? []).map((i) => [i.alias.toLowerCase(), i]));
  const brokerIndex = (alias: string) => new RegExp(`^${name}-(\\d+)$`).exec(alias)?.[1];
  const findings = applyRules(keystores, truststores, {
    roleOf: (alias) =>
      state
        ? (byAlias.get(alias)?.role ?? 'unknown')
        : brokerIndex(alias) !== undefined
          ? 'broker'
          : alias === clientAlias
            ? 'client'
            : 'unknown',
    brokerHosts: (alias) => {
      const i =
        brokerIndex(alias) ??
        String(
          state?.identities.filter((x) => x.role === 'broker').findIndex((x) => x.alias.toLowerCase() === alias) ?? 0,
        );
      if (hosts.length > 0) return hosts.map((h) => asSan(h.replaceAll('{i}', i)));
      return byAlias.get(alias)?.sans ?? brokerSans(naming, Number(i));
    },
    now: deps.now ?? new Date(),
    principalRules,
  });
  if (state) {
    const [lost, ca] = await Promise.all([checkDirectory(dir, state), checkCaFiles(dir, state)]);
    findings.unshift(...ca.map(caPresenceFinding), ...lost.map(presenceFinding));
  }
  return { dir, findings, failed: findings.some((f) => f.status === 'fail') };
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
        message: `${p.what} ${what}: restore it from a backup (a CA is made only by generate, or replaced by rotate-ca)`,
      }
    : {
        status: 'warn',
        target: p.path,
        check: 'present',
        message: `${p.what} ${what}: plan, apply and rotate-ca cannot sign until it is back (the brokers do not need it)`,
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
