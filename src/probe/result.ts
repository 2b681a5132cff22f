/** probe's answer: per protocol version, what the connection came to and what the server showed and asked for. */
import { oneLine, type Observation, type Protocol } from './handshake.js';
import { classify, nameMismatch, type Outcome, type ProbeContext } from './outcome.js';

export interface ProtocolResult {
  readonly protocol: Protocol;
  readonly outcome: Outcome;
  readonly cipher?: string;
  /** The server's chain, leaf first; empty when the handshake did not complete. */
  readonly chain: ReadonlyArray<{ subject: string; issuer: string }>;
  /**
   * The server's own certificate, as --json gives it: its SHA-256 fingerprint and serial, to compare with a file's
   * (a reload's "is the new certificate served?"); undefined when none arrived.
   */
  readonly leaf?: { readonly sha256: string; readonly serial: string };
  /** 'not-checked' without --ca; undefined when no certificate arrived. */
  readonly serverCert?: 'trusted' | 'untrusted' | 'not-checked';
  /** Whether a CertificateRequest came; undefined when the handshake did not get that far. */
  readonly clientCertRequested?: boolean;
  /** When the server turned us down or closed: a name its certificate does not cover, which would fail next. */
  readonly also?: Outcome;
  /**
   * When the outcome is name-mismatch: the outcome with the name not checked (the chain still is), which says
   * whether the server accepted our client certificate. The same connection: probe checks the name only after the
   * server has had its say, so the server judged our certificate whatever its own certificate's names.
   */
  readonly nameUnchecked?: Outcome;
}

export interface ProbeResult {
  readonly target: string;
  readonly servername: string;
  readonly results: readonly ProtocolResult[];
  /** Every protocol the server speaks ended accepted (see the README for what that means without --client). */
  readonly ok: boolean;
}

const TURNED_DOWN = new Set<Outcome['code']>(['client-cert-required', 'client-cert-rejected', 'closed-after-accept']);

/** One protocol's answer, from what its connection observed. */
export function resultOf(o: Observation, ctx: ProbeContext): ProtocolResult {
  const outcome = classify(o, ctx);
  const trust = o.authorizationError ? 'untrusted' : 'trusted';
  const serverCert = !o.handshakeDone ? undefined : !ctx.checkedCa ? 'not-checked' : trust;
  // Past the server's certificate, its CertificateRequest (or its absence) has been seen too.
  const heard = o.handshakeDone || o.leaf !== undefined;
  const leafOnly = o.leaf ? [{ subject: oneLine(o.leaf.subject), issuer: oneLine(o.leaf.issuer) }] : [];
  const chain = o.chain.length > 0 ? o.chain : leafOnly;
  const clientCertRequested = heard ? o.certRequested : undefined;
  const also = TURNED_DOWN.has(outcome.code) ? nameMismatch(o, ctx.name) : undefined;
  const nameUnchecked = outcome.code === 'name-mismatch' ? classify(o, { ...ctx, checkName: false }) : undefined;
  const { protocol, cipher } = o;
  const leaf = o.leaf ? { sha256: o.leaf.fingerprint256, serial: o.leaf.serialNumber } : undefined;
  return { protocol, outcome, cipher, chain, leaf, serverCert, clientCertRequested, also, nameUnchecked };
}
