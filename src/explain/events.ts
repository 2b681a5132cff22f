/**
 * What an event means for the connection, given who logged it: probe's outcome, the side that refused, and the
 * causes that can produce it with their prior confidence. A received alert means the peer refused the logger; a
 * local check that failed means the logger refused the peer.
 */
import {
  otherSide,
  type CauseCode,
  type Confidence,
  type Event,
  type ExplainOutcome,
  type Side,
} from '../model/explain.js';

export interface Reading {
  readonly outcome: Exclude<ExplainOutcome, 'unknown'>;
  readonly refusedBy: Side;
  readonly causes: ReadonlyArray<readonly [CauseCode, Confidence]>;
}

type C = ReadonlyArray<readonly [CauseCode, Confidence]>;

/** The client's certificate refused by the broker, by what the broker's check can say. */
const CLIENT_REFUSED: C = [
  ['client-ca-not-trusted', 'high'],
  ['client-cert-expired', 'medium'],
  ['client-eku-lacks-clientauth', 'medium'],
  ['chain-incomplete', 'low'],
];
/** The broker's certificate refused by the client. */
const SERVER_REFUSED: C = [
  ['server-ca-not-trusted', 'high'],
  ['name-not-in-san', 'medium'],
  ['server-cert-expired', 'medium'],
  ['chain-incomplete', 'medium'],
  ['server-eku-lacks-serverauth', 'low'],
];
const NO_CERT: C = [
  ['client-sent-no-certificate', 'high'],
  ['client-ca-not-trusted', 'medium'],
];

/** A refusal of the peer's certificate (`by` refused the other side's). */
const refused = (by: Side, causes?: { client: C; server: C }): Reading =>
  by === 'broker'
    ? { outcome: 'client-cert-rejected', refusedBy: 'broker', causes: causes?.client ?? CLIENT_REFUSED }
    : { outcome: 'server-untrusted', refusedBy: 'client', causes: causes?.server ?? SERVER_REFUSED };

const only = (code: CauseCode): C => [[code, 'high']];

/** The issuer of the refused certificate is not trusted: another CA, or an intermediate not sent. */
const ISSUER_UNKNOWN = {
  client: [
    ['client-ca-not-trusted', 'high'],
    ['chain-incomplete', 'medium'],
  ],
  server: [
    ['server-ca-not-trusted', 'high'],
    ['chain-incomplete', 'medium'],
  ],
} as const satisfies { client: C; server: C };

export const EVENTS: Readonly<Record<Event, (logger: Side) => Reading>> = {
  'no-client-cert': () => ({ outcome: 'client-cert-required', refusedBy: 'broker', causes: NO_CERT }),
  'alert-cert-required': () => ({ outcome: 'client-cert-required', refusedBy: 'broker', causes: NO_CERT }),
  // JSSE brokers send bad_certificate for an empty chain; a Go client sends it when it refuses the broker's.
  // OpenSSL clients send bad_certificate for a name the certificate lacks (ssl_x509err2alert), Go clients for any
  // refusal: a name mismatch first, the material says which.
  'alert-bad-cert': (l) =>
    l === 'client'
      ? { outcome: 'client-cert-required', refusedBy: 'broker', causes: [...NO_CERT, ...CLIENT_REFUSED.slice(1)] }
      : {
          outcome: 'name-mismatch',
          refusedBy: 'client',
          causes: [['name-not-in-san', 'high'], ...SERVER_REFUSED.filter(([c]) => c !== 'name-not-in-san')],
        },
  'alert-cert-unknown': (l) => refused(otherSide(l)),
  'alert-unknown-ca': (l) => refused(otherSide(l), ISSUER_UNKNOWN),
  'alert-cert-expired': (l) =>
    refused(otherSide(l), { client: only('client-cert-expired'), server: only('server-cert-expired') }),
  'alert-unsupported-cert': (l) =>
    refused(otherSide(l), {
      client: only('client-eku-lacks-clientauth'),
      server: only('server-eku-lacks-serverauth'),
    }),
  // A server sends handshake_failure for no cipher in common (and OpenSSL's TLS 1.2 for a missing client
  // certificate); a client sends it when the server's signature does not verify (JSSE's refusal of a wrong key).
  'alert-handshake-failure': (l) =>
    l === 'client'
      ? {
          outcome: 'handshake-failed',
          refusedBy: 'broker',
          causes: [
            ['no-shared-cipher', 'medium'],
            ['client-sent-no-certificate', 'medium'],
            ['protocol-version-mismatch', 'low'],
          ],
        }
      : {
          outcome: 'handshake-failed',
          refusedBy: 'client',
          causes: [
            ['key-does-not-match-cert', 'medium'],
            ['no-shared-cipher', 'low'],
          ],
        },
  // An alert the logger could not decrypt: JDK 17 reading an OpenSSL client's TLS 1.3 refusal of the broker.
  'alert-unreadable': (l) => ({
    ...refused(otherSide(l)),
    causes: [...SERVER_REFUSED, ['key-does-not-match-cert', 'medium']],
  }),
  'alert-protocol-version': (l) => ({
    outcome: 'protocol-unsupported',
    refusedBy: otherSide(l),
    causes: only('protocol-version-mismatch'),
  }),
  'alert-decrypt-error': (l) => ({
    outcome: 'handshake-failed',
    refusedBy: otherSide(l),
    causes: only('key-does-not-match-cert'),
  }),
  'peer-untrusted': (l) => refused(l),
  // OpenSSL's "unable to get local issuer certificate": the issuer is neither trusted nor sent. A broker's keystore
  // holds its CA after its certificate (Confluent's flow, kafka-mtls), so a broker from another CA shows as
  // "self-signed certificate in certificate chain" instead: from a broker, the missing issuer is an intermediate.
  // A client often sends its certificate alone (librdkafka's ssl.certificate.location): its CA, unknown.
  'peer-issuer-unknown': (l) =>
    refused(l, {
      client: ISSUER_UNKNOWN.client,
      server: [
        ['chain-incomplete', 'high'],
        ['server-ca-not-trusted', 'medium'],
      ],
    }),
  // "unable to verify the first certificate": the leaf came alone and its issuer is not trusted.
  'peer-leaf-alone': (l) =>
    refused(l, {
      client: [
        ['chain-incomplete', 'high'],
        ['client-ca-not-trusted', 'medium'],
      ],
      server: [
        ['chain-incomplete', 'high'],
        ['server-ca-not-trusted', 'medium'],
      ],
    }),
  'peer-expired': (l) => refused(l, { client: only('client-cert-expired'), server: only('server-cert-expired') }),
  'peer-eku': (l) =>
    refused(l, { client: only('client-eku-lacks-clientauth'), server: only('server-eku-lacks-serverauth') }),
  'name-mismatch': () => ({ outcome: 'name-mismatch', refusedBy: 'client', causes: only('name-not-in-san') }),
  'no-protocol': (l) => ({
    outcome: 'protocol-unsupported',
    refusedBy: l,
    causes: only('protocol-version-mismatch'),
  }),
  'no-cipher': (l) => ({ outcome: 'handshake-failed', refusedBy: l, causes: only('no-shared-cipher') }),
  // The logger speaks TLS and got something else: a plaintext peer. Either way the broker's listener turned the
  // connection down: it does not speak what the client spoke.
  'got-plaintext': (l) => ({
    outcome: 'not-tls',
    refusedBy: 'broker',
    causes: only(l === 'broker' ? 'plaintext-to-tls-port' : 'tls-to-plaintext-port'),
  }),
  // The logger speaks plaintext and its peer answered in TLS (or hung up on it).
  'plaintext-got-tls': (l) => ({
    outcome: 'not-tls',
    refusedBy: 'broker',
    causes: only(l === 'client' ? 'plaintext-to-tls-port' : 'tls-to-plaintext-port'),
  }),
  // The peer hung up in the handshake without an alert. A Kafka PLAINTEXT listener does that to a ClientHello (it
  // reads a request size far too large and resets the connection): probe's not-tls for the same reset.
  'peer-closed': (l) =>
    l === 'client'
      ? {
          outcome: 'not-tls',
          refusedBy: 'broker',
          causes: [
            ['tls-to-plaintext-port', 'high'],
            ['debug-needed', 'medium'],
          ],
        }
      : // A client that hangs up on the broker mid-handshake has refused its certificate without an alert, as
        // Node's tls client does; only the client's log (or the material) says why.
        {
          outcome: 'server-untrusted',
          refusedBy: 'client',
          causes: [
            ...SERVER_REFUSED.map(([c, k]) => [c, k === 'high' ? 'medium' : 'low'] as const),
            ['debug-needed', 'low'],
          ],
        },
  'closed-after-handshake': () => ({
    outcome: 'client-cert-rejected',
    refusedBy: 'broker',
    causes: [...CLIENT_REFUSED, ['client-sent-no-certificate', 'low'], ['debug-needed', 'medium']],
  }),
  'key-mismatch': (l) => ({ outcome: 'handshake-failed', refusedBy: l, causes: only('key-does-not-match-cert') }),
  // A signature the logger checked failed: the peer's key is not its certificate's.
  'bad-signature': (l) => ({ outcome: 'handshake-failed', refusedBy: l, causes: only('key-does-not-match-cert') }),
  'no-cause': (l) => ({
    outcome: 'handshake-failed',
    refusedBy: l,
    causes: [
      ['debug-needed', 'high'],
      ...[...NO_CERT, ...CLIENT_REFUSED, ...SERVER_REFUSED].map(([c]) => [c, 'low'] as const),
      ['key-does-not-match-cert', 'low'],
      ['protocol-version-mismatch', 'low'],
      ['no-shared-cipher', 'low'],
      ['plaintext-to-tls-port', 'low'],
    ],
  }),
};
