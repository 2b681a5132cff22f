import type { Cluster, Identity } from '../model/cluster.js';
import type { Deployment } from '../model/deployment.js';
import type { CredsFiles } from '../model/layouts.js';
import type { StorePasswords } from '../model/passwords.js';
import { purposeOf, type OutputFile, type Step, type StepPurpose, type WriteSecretAction } from '../runner/step.js';

/**
 * What every output of --emit is built from (plans/emits.ts, plans/kubernetes.ts): where a layout keeps each
 * identity's files, and the steps and files the outputs add.
 */

/** Where one identity's files are, relative to the output directory. */
export interface IdentityFiles {
  /** The identity's directory: '' for the output directory itself. */
  readonly dir: string;
  readonly keystore: string;
  readonly truststore: string;
  /** The signed certificate (PEM). */
  readonly cert: string;
  /** The unencrypted private key (PKCS#8 PEM): in the scratch directory while the run lasts, or the layout's own. */
  readonly key: string;
  /** The cp-kafka image's credentials files, as the layout names them. */
  readonly creds: CredsFiles;
}

export interface LayoutView {
  /** The trust anchor: the root CA's certificate. */
  readonly caCert: string;
  /** The certificates that follow a leaf in its chain, up to the root, as files. */
  readonly chain: readonly string[];
  /** The CA certificates clients trust (a Secret's ca.crt): the anchor, or both CAs while rotate-ca runs. */
  readonly trusted: readonly string[];
  /** The stores' type as Kafka's ssl.*.type names it; undefined when left to the JVM's default. */
  readonly storeType: 'PKCS12' | 'JKS' | undefined;
  files(who: Identity): IdentityFiles;
  /** The layout writes every identity's credentials files itself: the outputs only name them. */
  readonly credsWritten: boolean;
}

export interface EmitContext {
  /** Where the output will live once swapped in. */
  readonly outDir: string;
  readonly deployment: Deployment;
  readonly passwords: StorePasswords;
}

export interface Emitted {
  readonly steps: Step[];
  readonly outputs: OutputFile[];
  /** Lines for the run summary: how to use what was made (a kcat command, a kafkajs snippet). */
  readonly usage: string[];
}

export function secretStep(
  id: string,
  purpose: StepPurpose,
  path: string,
  title: string,
  entries: WriteSecretAction['entries'],
): Step {
  return {
    id,
    ...purposeOf(purpose),
    title: `Write ${path}: ${title} (0600)`,
    action: { kind: 'write-secret', path, entries },
    reads: [],
    writes: [path],
  };
}

/** The steps and files of the outputs; a file several identities share (the flat directory's ca.pem) once. */
export class Outputs {
  readonly steps: Step[] = [];
  readonly outputs: OutputFile[] = [];
  readonly usage: string[] = [];
  add(step: Step, ...files: OutputFile[]): void {
    if (!this.steps.some((s) => s.id === step.id)) this.steps.push(step);
    for (const f of files) if (!this.outputs.some((o) => o.path === f.path)) this.outputs.push(f);
  }
  write(id: string, purpose: StepPurpose, path: string, title: string, content: string): void {
    const step: Step = {
      id,
      ...purposeOf(purpose),
      title: `Write ${path}${title ? `: ${title}` : ''}`,
      action: { kind: 'write', path, content },
      reads: [],
      writes: [path],
    };
    this.add(step, { path, private: false });
  }
  secret(step: Step): void {
    this.add(step, ...step.writes.map((path) => ({ path, private: true })));
  }
}

/** What every output's steps read: the cluster, where the layout's files are, how passwords are given. */
export interface Emitting {
  readonly cluster: Cluster;
  readonly layout: LayoutView;
  readonly ctx: EmitContext;
  readonly out: Outputs;
  readonly brokers: readonly Identity[];
  readonly clients: readonly Identity[];
}
