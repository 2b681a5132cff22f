import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { brokerSans } from '../cluster.js';
import { UsageError } from '../errors.js';
import { readPassword, SCRIPT_DEFAULTS, type RawCommonOptions } from '../params.js';
import type { Exec } from '../runner/exec.js';
import { parseMappingRules } from '../principal.js';
import { preflight } from '../tools.js';
import * as v from '../validate.js';
import { PASSWORD_ENV, readStore } from '../verify/read.js';
import { applyRules, type Finding } from '../verify/rules.js';
import { listFiles } from '../files.js';
import { GENERATED_PASSWORDS } from '../passwords.js';
import { layoutFiles } from '../plans/layouts.js';
import { readGeneratedSecrets, readState } from '../state.js';

export interface RawVerifyOptions extends RawCommonOptions {
  host?: string[];
  principalRules?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function verifyCommand(): Command {
  return new Command('verify')
    .description('Check a certs directory (made by kafka-mtls, by mtls-kafka.sh or by hand) against the rules Kafka applies')
    .argument('[dir]', 'the directory holding *.keystore.jks and *.truststore.jks', 'certs')
    .option('--password-file <file>', 'file holding the store password (default: env PASSWORD, else "password")')
    .option('--name <name>', `StatefulSet name: brokers are <name>-<i> (default ${SCRIPT_DEFAULTS.name})`)
    .option('--headless-service <name>', 'headless Service name (default <name>-headless)')
    .option('--namespace <ns>', `Kubernetes namespace (default ${SCRIPT_DEFAULTS.namespace})`)
    .option('--cluster-domain <domain>', `cluster DNS domain (default ${SCRIPT_DEFAULTS.clusterDomain})`)
    .option('--client-name <name>', 'the client\'s alias (default <name>-client)')
    .option('--host <name>', 'a host name every broker certificate must cover, {i} for the broker\'s index (repeatable; default: the StatefulSet names)', collect)
    .option('--principal-rules <rules>', 'the brokers\' ssl.principal.mapping.rules, to show the principal Kafka will use (default: DEFAULT)')
    .option('--json', 'print the findings as JSON')
    .option('--openssl <path>', 'openssl to run (default: openssl on PATH)')
    .option('--keytool <path>', 'keytool to run (default: keytool on PATH)');
}

export interface VerifyResult {
  readonly dir: string;
  readonly findings: readonly Finding[];
  readonly failed: boolean;
}

export async function runVerify(dirArg: string, raw: RawVerifyOptions, deps: { env: NodeJS.ProcessEnv; exec?: Exec; now?: Date }): Promise<VerifyResult> {
  const dir = resolve(dirArg);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError('[dir]', `must be a directory; ${dir} is not`);
  const name = v.dnsLabel('--name', raw.name ?? SCRIPT_DEFAULTS.name);
  const naming = {
    name,
    headlessService: v.dnsLabel('--headless-service', raw.headlessService ?? `${name}-headless`),
    namespace: v.dnsLabel('--namespace', raw.namespace ?? SCRIPT_DEFAULTS.namespace),
    clusterDomain: v.dnsName('--cluster-domain', raw.clusterDomain ?? SCRIPT_DEFAULTS.clusterDomain),
    extraSans: [],
  };
  const clientAlias = v.dnsLabel('--client-name', raw.clientName ?? `${name}-client`);
  const hosts = raw.host ?? [];
  for (const h of hosts) v.dnsName('--host', h.replaceAll('{i}', '0'), { wildcard: true });
  const principalRules = parseMappingRules(raw.principalRules ?? 'DEFAULT');
  const { secret } = await readPassword(raw.passwordFile, deps.env);
  const tools = { openssl: raw.openssl ?? 'openssl', keytool: raw.keytool ?? 'keytool' };
  await preflight(tools, ['openssl'], deps.env);

  // A directory kafka-mtls made says what it holds: its layout, its brokers and their names, its passwords.
  const state = await readState(dir).catch(() => undefined);
  const files = (state ? await listFiles(dir) : await readdir(dir)).filter((f) => !f.startsWith('.')).sort();
  const pick = (kind: string) => files.filter((f) => new RegExp(`\\.${kind}\\.(jks|p12|pkcs12)$`).test(f));
  const generated = state?.generatedPasswords ? await readGeneratedSecrets(dir, state) : undefined;
  const passwordOf = (file: string) => {
    if (!generated || !state) return secret;
    if (/\.truststore\./.test(file)) return generated[GENERATED_PASSWORDS.truststore]!;
    const who = state.identities.find((i) => layoutFiles(state.layout).keystore(i) === file);
    return who ? generated[GENERATED_PASSWORDS.keystore(who)]! : secret;
  };
  const read = (f: string) => readStore(join(dir, f), { tools, secrets: { [PASSWORD_ENV]: passwordOf(f) }, cwd: dir, exec: deps.exec }).then((s) => ({ ...s, name: f }));
  const [keystores, truststores] = await Promise.all([Promise.all(pick('keystore').map(read)), Promise.all(pick('truststore').map(read))]);
  const byAlias = new Map((state?.identities ?? []).map((i) => [i.alias.toLowerCase(), i]));
  const brokerIndex = (alias: string) => new RegExp(`^${name}-(\\d+)$`).exec(alias)?.[1];
  const findings = applyRules(keystores, truststores, {
    roleOf: (alias) =>
      state ? (byAlias.get(alias)?.role ?? 'unknown') : brokerIndex(alias) !== undefined ? 'broker' : alias === clientAlias ? 'client' : 'unknown',
    brokerHosts: (alias) => {
      const i = brokerIndex(alias) ?? String(state?.identities.filter((x) => x.role === 'broker').findIndex((x) => x.alias.toLowerCase() === alias) ?? 0);
      if (hosts.length > 0) return hosts.map((h) => h.replaceAll('{i}', i));
      const who = byAlias.get(alias);
      return who ? who.sans.map((s) => s.value) : brokerSans(naming, Number(i)).map((s) => s.value);
    },
    now: deps.now ?? new Date(),
    principalRules,
  });
  return { dir, findings, failed: findings.some((f) => f.status === 'fail') };
}
