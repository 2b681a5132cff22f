/**
 * A step is a small value: what it runs, the files it reads and writes
 * (relative to the work directory), the secrets it needs and a pure check of
 * its output. Steps carry no secrets: `secretEnv` names the environment
 * variables the runner fills in for the child.
 */

export type Tool = 'openssl' | 'keytool';

export interface ExecAction {
  readonly kind: 'exec';
  readonly tool: Tool;
  readonly args: readonly string[];
  /** Environment variables holding secrets, by the label of the secret (e.g. STORE_PASSWORD -> 'store password'). */
  readonly secretEnv?: readonly string[];
  /**
   * The same work as a command of the shared JVM (java/KeytoolHost.java), which runs it instead when the run has
   * one: `@genkey RSA <bits> <file>`, a key from the JDK's generator, as the script's `keytool -genkey` made its
   * leaves' keys. Without a shared JVM (--keytool-jvm per-step, a JDK it cannot start on) and in the dry-run
   * script, the tool command runs.
   */
  readonly jvm?: readonly string[];
}

export interface CopyAction {
  readonly kind: 'copy';
  readonly from: string;
  readonly to: string;
}

/** Files joined into one, in order (a certificate and its chain into one PEM). */
export interface ConcatAction {
  readonly kind: 'concat';
  readonly from: readonly string[];
  readonly to: string;
}

/**
 * A file of secrets, one per line: a Java properties line `key=<the secret>`,
 * or, with no key, the secret alone (the cp-kafka image's *_creds files).
 * The plan holds only the environment variables' names; the runner writes
 * the values.
 */
export interface WriteSecretAction {
  readonly kind: 'write-secret';
  readonly path: string;
  readonly entries: ReadonlyArray<{ readonly key?: string; readonly secretEnv: string }>;
}

/** One entry of a Kubernetes Secret: files' bytes, joined, or a secret's value. */
export type ManifestEntry =
  { readonly key: string; readonly files: readonly string[] } | { readonly key: string; readonly secretEnv: string };

/**
 * A Kubernetes Secret manifest whose data are files the run made (base64) and
 * secrets: written by the runner, which alone holds the values.
 */
export interface SecretManifestAction {
  readonly kind: 'secret-manifest';
  readonly path: string;
  readonly name: string;
  readonly namespace?: string;
  readonly type: 'Opaque' | 'kubernetes.io/tls';
  /** Said before the object, as YAML comment lines (each starting with the space after its '#'). */
  readonly comment?: string;
  readonly entries: readonly ManifestEntry[];
}

export interface WriteAction {
  readonly kind: 'write';
  readonly path: string;
  readonly content: string;
  /** Replace every `marker` with its secret, escaped for a Java properties value (the file is then a secret). */
  readonly fill?: ReadonlyArray<{ readonly marker: string; readonly secretEnv: string }>;
}

export type Action = ExecAction | CopyAction | ConcatAction | WriteAction | WriteSecretAction | SecretManifestAction;

/** What a finished process left: the input to a step's check. */
export interface StepOutput {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A check returns undefined when the output proves success, else one sentence saying why not. */
export type Check = (out: StepOutput) => string | undefined;

/**
 * What a step is for, which is how a subset of a plan is chosen (plans/partial.ts, plans/rotate-ca.ts): never by
 * the text of its id.
 */
export type StepRole =
  /** Makes or brings a CA: its openssl config, key and certificate; your own CA's files and chain. */
  | 'ca'
  /** Reads a CA's certificate back (CA:TRUE, keyCertSign). */
  | 'ca-check'
  /** The Confluent flow's ca.pem: the CA's certificate, then its key. */
  | 'ca-pem'
  /** The store a keystore starts from, holding the CA as a trusted entry. */
  | 'keystore-base'
  /** Makes or copies a truststore: files made from the CA alone. */
  | 'truststore'
  | 'truststore-check'
  /** An identity's openssl configs: its request's, its certificate's extensions. */
  | 'config'
  /** An identity's key and certificate signing request. */
  | 'request'
  | 'sign'
  | 'verify'
  /** An identity's key and certificate bundled (PKCS12) for keytool. */
  | 'bundle'
  /** An identity's keystore: started from its base, its key entry imported. */
  | 'keystore'
  | 'keystore-check'
  /** The cp-kafka image's credentials files of an identity. */
  | 'creds'
  /** An identity's key read back from its keystore (rotate-ca, for a Secret's tls.key). */
  | 'key-export'
  /** The CA certificates clients trust, as PEM: --emit pem's, rotate-ca's. */
  | 'trusted-pem'
  /** Any other --emit output: PEM files, settings, credentials for a config provider, compose, Secrets, principals. */
  | 'output';

/** Whose step it is and what for: a factory's caller says, and the step carries it. */
export interface StepPurpose {
  /** The id of the identity whose files it makes; none for the CA's and the files identities share. */
  readonly owner?: string;
  readonly role: StepRole;
}

/** The purpose as a step holds it: no owner field at all when there is none. */
export function purposeOf(p: StepPurpose): StepPurpose {
  return p.owner === undefined ? { role: p.role } : { owner: p.owner, role: p.role };
}

export interface Step extends StepPurpose {
  /** e.g. broker-0.sign */
  readonly id: string;
  /** e.g. Sign mtls-kafka-0's certificate with the CA */
  readonly title: string;
  readonly action: Action;
  readonly reads: readonly string[];
  /** Files created or changed; each must exist after the step. */
  readonly writes: readonly string[];
  readonly check?: Check;
  /** What the check proved, for the journal and --verbose (e.g. "2 entries"). */
  readonly summarize?: (out: StepOutput) => string | undefined;
}

export interface OutputFile {
  readonly path: string;
  /** Keys and stores: 0600. Everything else: 0644. */
  readonly private: boolean;
}

export interface Plan {
  readonly steps: readonly Step[];
  /** The files the run leaves in the output directory. */
  readonly outputs: readonly OutputFile[];
  /** Work-only directories removed before the output is swapped in (they hold unencrypted leaf keys). */
  readonly scratch: readonly string[];
  /** How to use what the plan makes, for the run summary (a kcat command line, a kafkajs snippet). */
  readonly usage?: readonly string[];
  /** Secrets beyond the store password that steps read (your own CA key's passphrase), by variable. */
  readonly secretEnv?: readonly string[];
}

/**
 * Each step's prerequisites, derived from the files: a step waits for the
 * last earlier writer of every file it reads or writes, and a writer also
 * waits for the earlier readers of the file it changes. Plans list steps in a
 * valid order; this only finds what may run at the same time.
 */
export function dependencies(steps: readonly Step[]): number[][] {
  const lastWriter = new Map<string, number>();
  const readersSince = new Map<string, number[]>();
  return steps.map((step, i) => {
    const deps = new Set<number>();
    for (const f of step.reads) {
      const w = lastWriter.get(f);
      if (w !== undefined) deps.add(w);
    }
    for (const f of step.writes) {
      const w = lastWriter.get(f);
      if (w !== undefined) deps.add(w);
      for (const r of readersSince.get(f) ?? []) if (r !== i) deps.add(r);
    }
    for (const f of step.reads) readersSince.set(f, [...(readersSince.get(f) ?? []), i]);
    for (const f of step.writes) {
      lastWriter.set(f, i);
      readersSince.set(f, []);
    }
    return [...deps].sort((a, b) => a - b);
  });
}

/** Directories the plan's files live in, parents first, beside the work directory's root. */
export function planDirs(plan: Plan): string[] {
  const dirs = new Set<string>(plan.scratch);
  for (const s of plan.steps) {
    for (const f of s.writes) {
      const parts = f.split('/').slice(0, -1);
      for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    }
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/** Files a plan reads that no step writes: the run's inputs, which must exist before it starts. */
export function planInputs(steps: readonly Step[]): string[] {
  const written = new Set<string>();
  const inputs = new Set<string>();
  for (const s of steps) {
    for (const f of s.reads) if (!written.has(f)) inputs.add(f);
    for (const f of s.writes) written.add(f);
  }
  return [...inputs];
}
