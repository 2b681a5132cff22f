/**
 * The reload pre-flight's judge: java/KafkaReloadCheck.java, in a JVM of its own (the run's keytool's JDK) with the
 * user's Kafka jars, asks Kafka's SslFactory what a broker's listener would say to each new store. Nothing is
 * decided here: what Kafka threw is read back as it said it.
 */
import { CancelledError } from '../errors.js';
import { signalName } from '../runner/cancel.js';
import { execProcess, type Exec } from '../runner/exec.js';
import { ENGLISH_JVM_OPTIONS } from '../runner/jdk.js';
import { HOST_CLASS_DIR, javaBeside } from '../runner/keytool-host.js';
import type { Secret } from '../secrets.js';

/** One listener of one broker: the stores it holds now, the ones it is to reload, and their passwords. */
export interface ReloadCheck {
  readonly id: string;
  /** The inter-broker listener: Kafka checks that its keystore and truststore trust each other. */
  readonly interBroker: boolean;
  readonly current: { readonly keystore: string; readonly truststore: string };
  readonly next: { readonly keystore: string; readonly truststore: string };
  readonly keystoreType: 'PKCS12' | 'JKS';
  readonly truststoreType: 'PKCS12' | 'JKS';
  readonly keystorePassword?: Secret;
  readonly truststorePassword?: Secret;
}

export type ReloadVerdict =
  | { readonly check: string; readonly ok: true }
  /** current: the stores the broker holds now did not load, so nothing was judged; new: Kafka refuses the update. */
  | { readonly check: string; readonly ok: false; readonly stage: 'current' | 'new'; readonly error: string };

export type ReloadCheckResult =
  | { readonly kind: 'checked'; readonly kafkaVersion: string; readonly verdicts: readonly ReloadVerdict[] }
  | { readonly kind: 'unavailable'; readonly reason: string };

export interface ReloadCheckOptions {
  /** The run's keytool: the JDK beside it runs the check. */
  readonly keytool: string;
  /** Kafka's libs directory. */
  readonly libs: string;
  readonly cwd: string;
  readonly allows: { readonly dn: boolean; readonly san: boolean };
  readonly signal?: AbortSignal;
  readonly pathEnv?: string;
  /** For tests: another way to run the JVM. */
  readonly exec?: Exec;
  readonly classDir?: string;
}

/** Every check in one JVM; the passwords travel by environment variable, never as arguments. */
export async function checkReloads(
  checks: readonly ReloadCheck[],
  opts: ReloadCheckOptions,
): Promise<ReloadCheckResult> {
  const java = await javaBeside(opts.keytool, opts.pathEnv);
  if (typeof java !== 'string') return { kind: 'unavailable', reason: `no java to run Kafka's check: ${java.reason}` };
  const env: Record<string, string> = {};
  const variable = (s: Secret | undefined): string => {
    if (!s) return '-';
    const name = `KAFKA_MTLS_RELOAD_SECRET_${Object.keys(env).length}`;
    env[name] = s.reveal();
    return name;
  };
  const allow = [opts.allows.dn ? 'dn' : '', opts.allows.san ? 'san' : ''].filter(Boolean).join(',') || '-';
  const args = [
    ...ENGLISH_JVM_OPTIONS,
    '-Xmx128m',
    '-cp',
    opts.classDir ?? HOST_CLASS_DIR,
    'KafkaReloadCheck',
    opts.libs,
  ];
  for (const c of checks) {
    const ks = variable(c.keystorePassword);
    args.push('check', c.id, c.interBroker ? '1' : '0', c.current.keystore, c.next.keystore, c.keystoreType);
    args.push(c.current.truststore, c.next.truststore, c.truststoreType, ks, ks, variable(c.truststorePassword), allow);
  }
  const out = await (opts.exec ?? execProcess)({
    file: java,
    args,
    cwd: opts.cwd,
    env,
    // A JVM's start and Kafka's classes: seconds; each check loads four stores.
    timeoutMs: 60_000 + checks.length * 2_000,
    signal: opts.signal,
  });
  if (out.kind === 'cancelled') throw new CancelledError(undefined, signalName(opts.signal));
  if (out.kind === 'not-started') return { kind: 'unavailable', reason: `${java} did not start: ${out.message}` };
  if (out.kind !== 'exited') return { kind: 'unavailable', reason: `Kafka's check ${out.kind}` };
  return readReloadReply(out.exitCode, out.stdout, out.stderr, checks);
}

/** The JVM's JSON lines, checked against what was asked: anything else means Kafka did not answer. */
export function readReloadReply(
  exitCode: number,
  stdout: string,
  stderr: string,
  checks: readonly ReloadCheck[],
): ReloadCheckResult {
  // Kafka's own logging may write to stdout too: only the check's JSON lines count.
  const lines = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const head = lines[0];
  if (head && typeof head.error === 'string') return { kind: 'unavailable', reason: head.error };
  const verdicts = lines.slice(1) as unknown as ReloadVerdict[];
  const answered = verdicts.length === checks.length && verdicts.every((v, i) => v.check === checks[i]!.id);
  if (exitCode !== 0 || !head || typeof head.kafka !== 'string' || !answered) {
    const said = (stderr.trim() || stdout.trim()).split('\n').find((l) => l.trim() !== '') ?? '';
    return {
      kind: 'unavailable',
      reason: `Kafka's check did not answer (exit code ${exitCode}${said ? `: ${said}` : ''})`,
    };
  }
  return { kind: 'checked', kafkaVersion: head.kafka, verdicts };
}
