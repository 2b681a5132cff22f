/**
 * A line (or a stack trace) read by the families' tables: the most specific wording it holds, whose wording it is,
 * and who logged it. Nothing is guessed: a text no row matches is not recognised.
 */
import { GO_RULES } from './rules/go.js';
import { JSSE_RULES, KAFKA_RULES } from './rules/jsse.js';
import { OPENSSL_RULES } from './rules/openssl.js';
import { CLIENT_RULES } from './rules/clients.js';
import { expandOpensslCodes } from './openssl-codes.js';
import type { Event, Family, Rule, Side } from '../model/explain.js';

/** Which reading wins when a text holds several: the cause itself, then a refusal without its reason, then none. */
const EVENT_RANK: Readonly<Record<Event, number>> = {
  'key-mismatch': 0,
  'no-client-cert': 0,
  'name-mismatch': 0,
  'peer-expired': 0,
  'peer-eku': 0,
  'no-protocol': 0,
  'no-cipher': 0,
  'got-plaintext': 0,
  'plaintext-got-tls': 0,
  'bad-signature': 0,
  'peer-leaf-alone': 1,
  'closed-after-handshake': 1,
  'peer-issuer-unknown': 1,
  'peer-untrusted': 2,
  'alert-cert-required': 3,
  'alert-bad-cert': 3,
  'alert-cert-unknown': 3,
  'alert-unknown-ca': 3,
  'alert-cert-expired': 3,
  'alert-unsupported-cert': 3,
  'alert-decrypt-error': 3,
  'alert-unreadable': 3,
  'alert-protocol-version': 3,
  'alert-handshake-failure': 4,
  'peer-closed': 5,
  'no-cause': 6,
};

/** Every row, the most telling first (stable: within a rank, the tables' order). */
export const RULES: readonly Rule[] = [...JSSE_RULES, ...GO_RULES, ...CLIENT_RULES, ...OPENSSL_RULES, ...KAFKA_RULES]
  .map((r, i) => ({ r, i }))
  .sort((a, b) => EVENT_RANK[a.r.event] - EVENT_RANK[b.r.event] || a.i - b.i)
  .map(({ r }) => r);

/** Whose line an OpenSSL reason is in, by the family's own marks; openssl s_client/s_server when none. */
const OPENSSL_FAMILIES: ReadonlyArray<readonly [Family, RegExp]> = [
  [
    'librdkafka',
    /rdkafka|%\d\|\d+\.\d+\|[A-Z_]+\||\bssl\.(ca|key|certificate)\.location\b|security\.protocol|kcat|\/bootstrap: |\(after \d+ms in state /,
  ],
  [
    'python',
    /_ssl\.c:\d+|\[(SSL|X509): [A-Z0-9_]+\]|ssl\.SSL\w*Error|SSLCertVerificationError|Traceback \(most recent/,
  ],
  [
    'node',
    /^Error(?: \[\w+\])?: |\bERR_[A-Z0-9_]{4,}|KafkaJS|code: '|\bcode: "|altnames|deps\/openssl|TLSSocket|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|node:internal/m,
  ],
];

/** Marks of the side that logged a line, when its wording alone does not say. */
const LOGGER_HINTS: ReadonlyArray<readonly [Side, RegExp]> = [
  [
    'broker',
    /Failed authentication with|SocketServer|kafka\.network\.|data-plane-kafka|kafka-network-thread|KafkaServer|kafka\.server\.|tls_process_client_certificate|tls_early_post_process_client_hello|tls_post_process_client_hello|ssl3_get_client_hello|tls_process_client_hello|failed to verify client('s)? certificate|http: TLS handshake error from|^ACCEPT$|\bs_server\b/m,
  ],
  [
    'client',
    /\[(Producer|Consumer|AdminClient|kafka-admin-client)[^\]]*clientId=|NetworkClient|Connection to node|rdkafka|librdkafka|KafkaJS|kcat|tls_process_server_certificate|tls_post_process_server_certificate|ssl3_get_server_certificate|tls_process_server_hello|ssl_choose_client_version|CONNECTED\(|\bs_client\b|broker certificate/i,
  ],
];

export interface Recognised {
  readonly rule: Rule;
  readonly family: Family;
  readonly logger: Side;
  /** How the logger was known: the wording, marks in the line, --from, or the family's usual side. */
  readonly loggerFrom: 'wording' | 'line' | '--from' | 'assumed';
  /** The name or address the client dialled, when the line says it. */
  readonly host?: string;
  /** The part of the text the row matched. */
  readonly matched: string;
}

/** The reading of a text, or undefined when no row of any family matches it. */
export function recognise(text: string, from?: Side): Recognised | undefined {
  const expanded = expandOpensslCodes(text);
  for (const rule of RULES) {
    const m = rule.re.exec(expanded);
    if (!m) continue;
    const family = rule.family === 'openssl' ? opensslFamily(expanded) : rule.family;
    const hinted = LOGGER_HINTS.find(([, re]) => re.test(text))?.[0];
    const [logger, loggerFrom] = rule.logger
      ? ([rule.logger, 'wording'] as const)
      : from
        ? ([from, '--from'] as const)
        : hinted
          ? ([hinted, 'line'] as const)
          : ([usualLogger(family), 'assumed'] as const);
    const host = m.groups?.host ?? m.groups?.host2;
    return { rule, family, logger, loggerFrom, matched: m[0], ...(host ? { host } : {}) };
  }
  return undefined;
}

function opensslFamily(text: string): Family {
  return OPENSSL_FAMILIES.find(([, re]) => re.test(text))?.[0] ?? 'openssl-cli';
}

/**
 * The side a family's line comes from when nothing else says: a Kafka broker is Java, so a JSSE line is the broker's
 * unless it names a client; the other families are clients of a Kafka broker.
 */
function usualLogger(family: Family): Side {
  return family === 'jsse' || family === 'kafka-broker' ? 'broker' : 'client';
}
