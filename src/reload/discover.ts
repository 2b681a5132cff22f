/**
 * What the running cluster says of itself, asked once before the swap with `kafka-configs --describe --all
 * --entity-type brokers` (every broker's settings, static ones included): each broker's node id, the host names it
 * advertises, its inter-broker listener, and the store files its listeners read. Node ids are matched to the
 * directory's brokers by the names their certificates carry.
 */
import { posix } from 'node:path';
import type { Identity } from '../model/cluster.js';
import { StepError, UsageError } from '../errors.js';
import { connectionArgs } from '../plans/reload.js';
import { formatCommand } from '../runner/command.js';
import type { ExecOutcome } from '../runner/exec.js';
import { redact, type SecretEnv } from '../secrets.js';

/** One broker as --describe --all gives it. */
export interface DescribedBroker {
  readonly id: string;
  /** Every setting it lists, by name (the value before " sensitive="). */
  readonly settings: ReadonlyMap<string, string>;
}

/** "All configs for broker 0 are:" then "  key=value sensitive=false synonyms={…}" lines, per broker. */
export function parseDescribeAll(stdout: string): DescribedBroker[] {
  const out: { id: string; settings: Map<string, string> }[] = [];
  for (const line of stdout.split('\n')) {
    const head = /^All configs for broker (\d+) are:$/.exec(line.trim());
    if (head) {
      out.push({ id: head[1]!, settings: new Map() });
      continue;
    }
    const setting = /^\s+([^=\s]+)=(.*?) sensitive=(?:true|false) synonyms=/.exec(line);
    if (setting && out.length > 0) out[out.length - 1]!.settings.set(setting[1]!, setting[2]!);
  }
  return out;
}

/** The host names a broker advertises (advertised.listeners, else listeners), brackets off IPv6 addresses. */
export function advertisedHosts(b: DescribedBroker): string[] {
  const value = b.settings.get('advertised.listeners') ?? b.settings.get('listeners') ?? '';
  return value
    .split(',')
    .map((l) => /^[^:]+:\/\/(\[[^\]]*\]|[^:]*):\d+$/.exec(l.trim())?.[1] ?? '')
    .map((h) => h.replace(/^\[|\]$/g, '').toLowerCase())
    .filter((h) => h !== '');
}

/** The node id of each identity whose certificate names a host the broker advertises; ambiguous ones left out. */
export function matchBrokerIds(
  brokers: readonly Identity[],
  described: readonly DescribedBroker[],
): Map<string, string> {
  const ids = new Map<string, string>();
  for (const who of brokers) {
    const names = new Set(who.sans.map((s) => s.value.toLowerCase()));
    const found = described.filter((b) => advertisedHosts(b).some((h) => names.has(h)));
    if (found.length === 1) ids.set(who.alias, found[0]!.id);
  }
  return ids;
}

/**
 * The store a broker's listener reads, as Kafka resolves it: the listener's own setting (listener.name.<l>.ssl.*),
 * else the broker's; normalised, so that <dir>/./<file> is <dir>/<file>.
 */
export function effectiveLocation(b: DescribedBroker, listener: string, store: 'keystore' | 'truststore') {
  const own = b.settings.get(`listener.name.${listener.toLowerCase()}.ssl.${store}.location`);
  const value = own && own !== 'null' ? own : b.settings.get(`ssl.${store}.location`);
  return value && value !== 'null' ? posix.normalize(value) : undefined;
}

export function describeAllArgs(s: { bootstrapServer?: string; commandConfig?: string }): string[] {
  return [...connectionArgs(s), '--entity-type', 'brokers', '--describe', '--all'];
}

/** The describe's outcome, or the failure that stops the run before the swap (the directory untouched). */
export function describedOrThrow(
  out: ExecOutcome,
  kafkaConfigs: string,
  args: readonly string[],
  secrets: SecretEnv,
  target: string,
  hint: (text: string) => string | undefined,
): DescribedBroker[] {
  const described = out.kind === 'exited' && out.exitCode === 0 ? parseDescribeAll(out.stdout) : [];
  if (described.length > 0) return described;
  const text = 'stdout' in out ? `${out.stderr}\n${out.stdout}` : out.message;
  const lines = redact(text, secrets)
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '' && !/^\s+at /.test(l))
    .slice(-8);
  throw new StepError(
    {
      stepId: 'reload.discover',
      title: "ask the cluster for its brokers' ids, listeners and store files",
      command: formatCommand(kafkaConfigs, args),
      kind: out.kind === 'exited' ? (out.exitCode === 0 ? 'check-failed' : 'exit-code') : 'not-started',
      reason:
        out.kind === 'exited' && out.exitCode === 0
          ? 'kafka-configs listed no broker'
          : `kafka-configs ${out.kind === 'exited' ? `exited with code ${out.exitCode}` : out.kind}`,
      ...(out.kind === 'exited' ? { exitCode: out.exitCode } : {}),
      outputTail: lines,
      hint: hint(text) ?? 'check --bootstrap-server and the admin settings (--command-config)',
    },
    { target },
  );
}

/** An identity to reload that no broker claims: the user says which node it is. */
export function unknownBroker(who: Identity, described: readonly DescribedBroker[]): UsageError {
  const seen = described.map((b) => `${b.id} (${advertisedHosts(b).join(', ') || 'no advertised host'})`).join('; ');
  return new UsageError(
    '--broker-id',
    `no broker of the cluster advertises a name of ${who.alias}'s certificate (${who.sans.map((s) => s.value).join(', ')}); ` +
      `the cluster's brokers: ${seen}. Give --broker-id ${who.alias}=<node id>`,
  );
}
