/**
 * explain's nouns: the families whose wording it reads, the sides of a connection, the events a line reports, the
 * stable cause codes (the README lists each with its fix) and the verdict on one line.
 */
import type { OutcomeCode } from './outcome.js';

/** Whose wording a line is in (EXPLAIN.md's `family`). */
export type Family = 'jsse' | 'librdkafka' | 'node' | 'go' | 'python' | 'openssl-cli' | 'kafka-broker';

/** A side of a Kafka connection: who logged a line, who refused whom. */
export type Side = 'broker' | 'client';

export const otherSide = (s: Side): Side => (s === 'broker' ? 'client' : 'broker');

/** probe's vocabulary, so that probe and explain speak one language; `unknown` for a line not recognised. */
export type ExplainOutcome =
  | Extract<
      OutcomeCode,
      | 'client-cert-required'
      | 'client-cert-rejected'
      | 'server-untrusted'
      | 'name-mismatch'
      | 'protocol-unsupported'
      | 'handshake-failed'
      | 'not-tls'
    >
  | 'unknown';

export type CauseCode =
  | 'client-sent-no-certificate'
  | 'client-ca-not-trusted'
  | 'client-cert-expired'
  | 'client-eku-lacks-clientauth'
  | 'server-ca-not-trusted'
  | 'server-cert-expired'
  | 'server-eku-lacks-serverauth'
  | 'name-not-in-san'
  | 'chain-incomplete'
  | 'protocol-version-mismatch'
  | 'no-shared-cipher'
  | 'tls-to-plaintext-port'
  | 'plaintext-to-tls-port'
  | 'key-does-not-match-cert'
  | 'debug-needed';

export type Confidence = 'high' | 'medium' | 'low';

/**
 * What a line reports, as its logger saw it. `alert-*`: the logger received that alert (its peer refused it);
 * `peer-*`: the logger's own check refused the peer's certificate; the rest name the failure itself.
 */
export type Event =
  | 'no-client-cert'
  | 'alert-cert-required'
  | 'alert-bad-cert'
  | 'alert-cert-unknown'
  | 'alert-unknown-ca'
  | 'alert-cert-expired'
  | 'alert-unsupported-cert'
  | 'alert-handshake-failure'
  | 'alert-protocol-version'
  | 'alert-decrypt-error'
  | 'alert-unreadable'
  | 'peer-untrusted'
  | 'peer-issuer-unknown'
  | 'peer-leaf-alone'
  | 'peer-expired'
  | 'peer-eku'
  | 'name-mismatch'
  | 'no-protocol'
  | 'no-cipher'
  | 'got-plaintext'
  | 'plaintext-got-tls'
  | 'peer-closed'
  | 'closed-after-handshake'
  | 'key-mismatch'
  | 'bad-signature'
  | 'no-cause';

/** One row of a family's table: the wording, what it reports, and who logs it when the wording says. */
export interface Rule {
  readonly id: string;
  /** `openssl`: an OpenSSL reason shared by librdkafka, Node, Python and openssl s_client/s_server (markers decide). */
  readonly family: Family | 'openssl';
  readonly re: RegExp;
  readonly event: Event;
  /** Who logs this wording, when only one side can. */
  readonly logger?: Side;
  /** What the wording means, for the evidence. */
  readonly means: string;
}

export interface Cause {
  readonly code: CauseCode;
  readonly confidence: Confidence;
  readonly evidence: string;
  /** Paths relative to --certs, with `#alias` where a store's entry is meant. */
  readonly files: readonly string[];
  readonly fix: string;
}

/** The verdict on one line (or one group of repeats of it, from a log). */
export interface ExplainedLine {
  readonly text: string;
  readonly family: Family | null;
  readonly outcome: ExplainOutcome;
  readonly refusedBy: Side | null;
  readonly causes: readonly Cause[];
  /** With --certs: whether the material shows any of the causes (false: exit 1). */
  readonly materialShows?: boolean;
  /** From a log: how many times the line came, and its first and last time where the log has times. */
  readonly count?: number;
  readonly first?: string;
  readonly last?: string;
}

export interface ExplainResult {
  readonly lines: readonly ExplainedLine[];
}
