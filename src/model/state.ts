/**
 * The state file, kafka-mtls.json: its shape (a CA rotation in progress included). It is input like a config file:
 * state-schema.ts checks every field of one read back.
 */
import type { CaSpec, Identity, StoreType } from './cluster.js';
import type { Deployment } from './deployment.js';
import type { Emit, Layout } from './layouts.js';

/** A certificate as the state file records it. */
export interface CertRecord {
  readonly subject: string;
  readonly serial: string;
  readonly sha256: string;
  readonly notAfter: string;
  readonly keyBits: number;
}

export interface IdentityRecord extends CertRecord {
  readonly sans: readonly string[];
  /** The SHA-256 fingerprint of the CA certificate that signed it. */
  readonly issuerSha256: string;
}

/** What the directory holds and how it was described; no secrets: the password is never recorded. */
export interface State {
  readonly tool: 'kafka-mtls';
  readonly version: 1;
  readonly updatedAt: string;
  readonly layout: Layout;
  readonly storeType: StoreType;
  readonly ca: CaSpec;
  readonly identities: readonly Identity[];
  readonly deployment: Deployment;
  readonly emit: readonly Emit[];
  /** Each keystore has its own password, in its credentials files (--generate-passwords). */
  readonly generatedPasswords?: boolean;
  readonly caCert: CertRecord;
  readonly certs: Readonly<Record<string, IdentityRecord>>;
  /** A CA rotation in progress (rotate-ca), if any. */
  readonly rotation?: Rotation;
}

/**
 * CA rotation runs in three phases, each between rolling restarts (see plans/rotate-ca.ts); the state file
 * records the phase last completed, so that a phase refuses to run out of order.
 */
export type Phase = 'start' | 'reissue' | 'finish';
export const PHASES: readonly Phase[] = ['start', 'reissue', 'finish'];

export interface Rotation {
  /** The phase last completed. */
  readonly phase: 'started' | 'reissued';
  /** The CA being replaced, and the one replacing it. */
  readonly previousCa: CaSpec;
  readonly nextCa: CaSpec;
}

/** The new CA's files while a rotation runs, and the old CA's once reissue has put the new one in its place. */
export const NEXT = { cert: 'ca-next.crt', key: 'ca-next.key', config: 'ca-next.cnf' } as const;
export const PREVIOUS = { cert: 'ca-previous.crt', key: 'ca-previous.key' } as const;

/** The versions of the state file this kafka-mtls reads. */
export const STATE_VERSIONS = [1] as const;
