/**
 * A received TLS alert means the same in every family's words: the peer refused the logger, for the reason the
 * alert names (RFC 8446 §6.2). One row per family and alert, the meaning said once here.
 */
import type { Event, Family, Rule } from '../../model/explain.js';

const MEANS: Partial<Record<Event, string>> = {
  'alert-cert-required': 'the broker required a client certificate and got none (alert 116)',
  'alert-bad-cert':
    'the peer refused with bad_certificate (42): a JSSE broker sends it for an empty client chain, an OpenSSL client for a name its certificate lacks',
  'alert-cert-unknown':
    "the peer refused the logger's certificate with certificate_unknown (46), JSSE's one alert for any reason",
  'alert-unknown-ca': "the peer does not know the CA of the logger's certificate (48)",
  'alert-cert-expired': "the peer refused the logger's certificate as expired (45)",
  'alert-unsupported-cert': "the peer refused the logger's certificate for its key usages (43)",
  'alert-decrypt-error': "the peer could not verify the logger's signature (51): its key is not its certificate's",
  'alert-protocol-version': 'the peer speaks none of the TLS versions offered (70)',
  'alert-handshake-failure': 'the peer ended the handshake with handshake_failure (40)',
};

/** A family's row for a received alert. */
export function alert(id: string, family: Family | 'openssl', re: RegExp, event: Event, logger?: Rule['logger']): Rule {
  return { id, family, re, event, means: MEANS[event] ?? event, ...(logger ? { logger } : {}) };
}
