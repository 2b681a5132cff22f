import { CancelledError, UsageError } from '../errors.js';
import { signalName } from '../runner/cancel.js';
import type { Exec, ExecOutcome } from '../runner/exec.js';
import { judgeJvmOptions, keytoolHost } from '../runner/keytool-host.js';

/**
 * The principal Kafka derives from each distinguished name under ssl.principal.mapping.rules, as Java decides
 * it: java/PrincipalRules.java in the keytool host's JVM, on java.util.regex and Java's replacement syntax, the
 * engine Kafka runs the rules on. JavaScript's RegExp would refuse possessive quantifiers and (?i), miss \A..\z and
 * \Q..\E, and print $0 and ${name} as text.
 */

/** One name's verdict; `name` is the DN as Kafka maps it (X500Principal.getName(): RFC 2253, no spaces). */
export type PrincipalVerdict =
  | { readonly dn: string; readonly name: string; readonly principal: string }
  /** No rule applies: Kafka refuses the principal (its NoMatchingRule), and the connection with it. */
  | { readonly dn: string; readonly name: string; readonly noRule: true }
  /** Kafka fails when it maps this name (a bad group reference: "Illegal group reference", "No group 3"),
   * or the DN is not one (no `name`). */
  | { readonly dn: string; readonly name?: string; readonly error: string };

export type KafkaPrincipals =
  | {
      readonly kind: 'mapped';
      /** How many rules Java read (an empty list has none: every name then has no rule). */
      readonly rules: number;
      /** One per DN, in the order given. */
      readonly verdicts: readonly PrincipalVerdict[];
    }
  /** Java could not be asked (no java beside keytool, the host not built, it died): nothing was guessed. */
  | { readonly kind: 'unavailable'; readonly reason: string };

export interface KafkaPrincipalsOptions {
  /** The command's --keytool (a name on PATH or a path): the host runs the `java` beside it. */
  readonly keytool: string;
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
  /** For tests: another PATH to find keytool on, another directory of host classes. */
  readonly pathEnv?: string;
  readonly classDir?: string;
  /** Stops the question (CancelledError): the run's, CommandIo's. */
  readonly signal?: AbortSignal;
}

/** Long enough for a JVM's start; a pattern that backtracks for longer is one Kafka's broker would choke on too. */
const TIMEOUT_MS = 30_000;

/**
 * Starts a keytool host of its own, asks it, and closes it.
 * Throws UsageError('--principal-rules', ...) for a rule list or pattern Java refuses: Kafka's broker would not start.
 */
export async function kafkaPrincipals(
  opts: KafkaPrincipalsOptions,
  rules: string,
  dns: readonly string[],
): Promise<KafkaPrincipals> {
  // A request the host cannot take would run keytool as a process, which knows no @principal: refuse it instead.
  const noProcess: Exec = () =>
    Promise.resolve({ kind: 'not-started', code: 'NO_HOST', message: 'the keytool host did not start' });
  const host = keytoolHost(noProcess, {
    withoutKeytool: true,
    keytool: opts.keytool,
    cwd: opts.cwd,
    env: opts.env ?? {},
    jvmOptions: judgeJvmOptions(0),
    ...(opts.pathEnv !== undefined ? { pathEnv: opts.pathEnv } : {}),
    ...(opts.classDir !== undefined ? { classDir: opts.classDir } : {}),
  });
  try {
    const result = await kafkaPrincipalsVia(host.exec, opts, rules, dns);
    const why = host.unavailable();
    return why !== undefined ? { kind: 'unavailable', reason: why } : result;
  } finally {
    await host.close();
  }
}

/**
 * The same, in a host already running: `exec` is a KeytoolHost's, and `target` its keytool and cwd (the host
 * takes only requests for its own keytool, in its own directory).
 */
export async function kafkaPrincipalsVia(
  exec: Exec,
  target: { readonly keytool: string; readonly cwd: string; readonly signal?: AbortSignal },
  rules: string,
  dns: readonly string[],
): Promise<KafkaPrincipals> {
  const { signal } = target;
  const outcome = await exec({
    file: target.keytool,
    args: ['@principal', rules, ...dns],
    cwd: target.cwd,
    env: {},
    timeoutMs: TIMEOUT_MS,
    signal,
  });
  if (outcome.kind === 'cancelled') throw new CancelledError(undefined, signalName(signal));
  return readReply(outcome, dns);
}

/** The host's JSON lines, checked against what was asked: anything else means Java did not answer. */
export function readReply(outcome: ExecOutcome, dns: readonly string[]): KafkaPrincipals {
  if (outcome.kind === 'not-started') return { kind: 'unavailable', reason: outcome.message };
  if (outcome.kind !== 'exited') return { kind: 'unavailable', reason: `the keytool host ${outcome.kind}` };
  const lines = outcome.stdout.split('\n').filter((l) => l.trim() !== '');
  const parsed = lines.map(parseLine);
  const head = parsed[0];
  if (outcome.exitCode === 0 && isRecord(head) && head.rules === 'error' && typeof head.error === 'string')
    throw new UsageError('--principal-rules', head.error);
  const verdicts = parsed.slice(1).map((v, i) => verdictOf(v, dns[i]));
  if (
    outcome.exitCode !== 0 ||
    !isRecord(head) ||
    head.rules !== 'ok' ||
    typeof head.count !== 'number' ||
    verdicts.length !== dns.length ||
    verdicts.some((v) => v === undefined)
  ) {
    // keytool itself ran it (no host): "Illegal option: @principal" is the first thing it says.
    const said = (outcome.stderr.trim() || outcome.stdout.trim()).split('\n')[0] ?? '';
    return { kind: 'unavailable', reason: `the keytool host did not answer (exit code ${outcome.exitCode}: ${said})` };
  }
  return { kind: 'mapped', rules: head.count, verdicts: verdicts as PrincipalVerdict[] };
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function verdictOf(v: unknown, dn: string | undefined): PrincipalVerdict | undefined {
  if (!isRecord(v) || dn === undefined || v.dn !== dn) return undefined;
  const name = typeof v.name === 'string' ? v.name : undefined;
  if (typeof v.error === 'string') return name === undefined ? { dn, error: v.error } : { dn, name, error: v.error };
  if (name === undefined) return undefined;
  if (typeof v.principal === 'string') return { dn, name, principal: v.principal };
  if (v.noRule === true) return { dn, name, noRule: true };
  return undefined;
}
