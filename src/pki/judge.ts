/**
 * Java's own verdict on the pairs that will shake hands: java/TlsJudge.java, run in the keytool host's JVM (one JVM
 * for the whole run), loads each store as Kafka loads it and makes an in-memory SSLEngine handshake per pair and
 * protocol. Nothing is decided here: what JSSE threw is read back as it said it.
 */
import { keytoolHost, judgeJvmOptions } from '../runner/keytool-host.js';
import { CancelledError } from '../errors.js';
import { signalName, throwIfCancelled } from '../runner/cancel.js';
import type { Exec } from '../runner/exec.js';
import type { Secret } from '../secrets.js';
import { judgeSecretEnv } from '../model/secret-names.js';
import { kafkaPrincipalsVia, type KafkaPrincipals } from './principal.js';

export type Protocol = 'TLSv1.2' | 'TLSv1.3';
export const PROTOCOLS: readonly Protocol[] = ['TLSv1.2', 'TLSv1.3'];

/** A store as a Kafka configuration names it: its file, type and passwords (the key's defaults to the store's). */
export interface JudgedStore {
  readonly id: string;
  readonly path: string;
  readonly type: 'PKCS12' | 'JKS';
  readonly password?: Secret;
  readonly keyPassword?: Secret;
}

/** Who connects to whom: a client's keystore and truststore, a broker's, the name the client checks. */
export interface JudgedPair {
  readonly id: string;
  readonly client: { readonly keystore: string; readonly truststore: string };
  readonly server: { readonly keystore: string; readonly truststore: string };
  /** The broker's advertised name, checked by HTTPS endpoint identification; none when unset. */
  readonly host?: string;
  readonly protocol: Protocol;
  /** Each side's ssl.cipher.suites, when its configuration names them; else the JVM's defaults. */
  readonly suites?: { readonly client?: readonly string[]; readonly server?: readonly string[] };
}

export type StoreVerdict =
  | {
      readonly store: string;
      readonly loaded: true;
      readonly type: string;
      readonly keyEntries: number;
      readonly trustedEntries: number;
      /** The first key entry's certificate subject, as Kafka maps it (X500Principal.getName()). */
      readonly subject?: string;
      /** KeyManagerFactory's refusal: the key password, or a key the store cannot give. */
      readonly keyError?: string;
      readonly trustError?: string;
    }
  | { readonly store: string; readonly loaded: false; readonly error: string };

export type PairVerdict =
  | {
      readonly pair: string;
      readonly protocol: Protocol;
      readonly ok: true;
      readonly negotiated: string;
      readonly cipher: string;
      /** The client certificate's subject as the broker's session gives it (X500Principal, RFC 2253). */
      readonly clientPrincipal: string;
      readonly serverPrincipal: string;
    }
  | {
      readonly pair: string;
      readonly protocol: Protocol;
      readonly ok: false;
      /**
       * The side whose own check threw; 'setup' when a store could not be loaded at all; 'unsupported' when the JVM
       * does not speak the protocol (nothing judged).
       */
      readonly refusedBy: 'client' | 'server' | 'setup' | 'stalled' | 'unsupported';
      readonly error: string;
      /** What the other side saw: usually the alert it received. */
      readonly peerError?: string;
    };

export type Verdicts =
  | {
      readonly stores: ReadonlyMap<string, StoreVerdict>;
      readonly pairs: readonly PairVerdict[];
      /** Kafka's principal for each keystore's subject. */
      readonly principals?: KafkaPrincipals;
    }
  | { readonly unavailable: string };

export interface JudgeOptions {
  /** The keytool whose JDK judges (its `java`). */
  readonly keytool: string;
  readonly cwd: string;
  readonly pathEnv?: string;
  readonly classDir?: string;
  /** The run's (CommandIo's): ends the JVM, and the judging with CancelledError. */
  readonly signal: AbortSignal | undefined;
}

const notStarted: Exec = async () => ({ kind: 'not-started', code: 'ENOJVM', message: 'no keytool host' });

/** Every pair judged in one request to one JVM; the JVM's environment carries the passwords, by variable. */
export async function judgeHandshakes(
  stores: readonly JudgedStore[],
  pairs: readonly JudgedPair[],
  opts: JudgeOptions,
  /** ssl.principal.mapping.rules, applied in the same JVM to each keystore's subject. */
  principalRules?: string,
): Promise<Verdicts> {
  const env: Record<string, string> = {};
  const args: string[] = ['@handshake'];
  const variable = (s: Secret | undefined): string => {
    if (!s) return '-';
    const name = judgeSecretEnv(Object.keys(env).length);
    env[name] = s.reveal();
    return name;
  };
  for (const s of stores) args.push('store', s.id, s.path, s.type, variable(s.password), variable(s.keyPassword));
  const suited = new Set<string>();
  for (const p of pairs) {
    if (!p.suites || suited.has(p.id)) continue;
    suited.add(p.id);
    args.push('suites', p.id, p.suites.client?.join(',') || '-', p.suites.server?.join(',') || '-');
  }
  for (const p of pairs) {
    const { client: c, server: s } = p;
    args.push('pair', p.id, c.keystore, c.truststore, s.keystore, s.truststore, p.host ?? '-', p.protocol);
  }
  const host = keytoolHost(notStarted, {
    withoutKeytool: true,
    keytool: opts.keytool,
    cwd: opts.cwd,
    env,
    pathEnv: opts.pathEnv,
    classDir: opts.classDir,
    // Past a few dozen handshakes C2 pays for itself, as it does for stores.
    jvmOptions: judgeJvmOptions(pairs.length),
  });
  try {
    const { signal } = opts;
    throwIfCancelled(signal);
    const out = await host.exec({
      file: opts.keytool,
      args,
      cwd: opts.cwd,
      env,
      // A signal ends the JVM (the host kills it) and the command: what it would have found no longer matters.
      signal,
      // A handshake costs a few milliseconds once the JIT has warmed; a loaded machine gets room.
      timeoutMs: 60_000 + pairs.length * 200,
    });
    if (out.kind === 'cancelled') throw new CancelledError(undefined, signalName(signal));
    const unavailable = host.unavailable();
    if (unavailable) return { unavailable };
    if (out.kind !== 'exited' || out.exitCode !== 0) {
      const said = 'stderr' in out ? out.stderr.trim().split('\n')[0] : out.message;
      return { unavailable: `the TLS judge did not answer (${out.kind}${said ? `: ${said}` : ''})` };
    }
    const verdicts = parseVerdicts(out.stdout);
    if ('unavailable' in verdicts || principalRules === undefined) return verdicts;
    const dns = [...new Set([...verdicts.stores.values()].flatMap((v) => (v.loaded && v.subject ? [v.subject] : [])))];
    const target = { keytool: opts.keytool, cwd: opts.cwd, signal };
    return { ...verdicts, principals: await kafkaPrincipalsVia(host.exec, target, principalRules, dns) };
  } finally {
    await host.close();
  }
}

export function parseVerdicts(stdout: string): Verdicts {
  const stores = new Map<string, StoreVerdict>();
  const pairs: PairVerdict[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const v = JSON.parse(line) as Partial<StoreVerdict & PairVerdict> & { error?: string };
    if (typeof v.store === 'string') stores.set(v.store, v as StoreVerdict);
    else if (typeof v.pair === 'string') pairs.push(v as PairVerdict);
    else if (v.error) return { unavailable: `the TLS judge refused the request: ${v.error}` };
  }
  return { stores, pairs };
}
