/**
 * What one connection came to, as one stable code: probe's outcomes, which explain's verdicts use too, so that the
 * two speak one language (probe/outcome.ts gives each its sentence and hint).
 */
export type OutcomeCode =
  | 'accepted'
  | 'client-cert-required'
  | 'client-cert-rejected'
  | 'client-cert-not-requested'
  | 'closed-after-accept'
  | 'server-untrusted'
  | 'name-mismatch'
  | 'protocol-unsupported'
  | 'handshake-failed'
  | 'not-tls'
  | 'refused'
  | 'unreachable'
  | 'timeout'
  | 'unresolved';
