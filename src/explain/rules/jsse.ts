/**
 * JSSE's wordings, JDK 8 to 25 (Kafka brokers and Java clients), and Kafka's own lines around them. Most specific
 * first: a stack trace matches several rows, and the first row that matches names the cause (a ValidatorException's
 * "Extended key usage" before the PKIX line that wraps it).
 */
import type { Rule } from '../../model/explain.js';

const J = 'jsse' as const;

export const JSSE_RULES: readonly Rule[] = [
  {
    id: 'jsse-empty-client-chain',
    family: J,
    // JDK 11+ "Empty client certificate chain"; JDK 8 "null cert chain".
    re: /Empty client certificate chain|\bnull cert chain\b/,
    event: 'no-client-cert',
    logger: 'broker',
    means: 'the broker got no client certificate',
  },
  {
    id: 'jsse-empty-server-chain',
    family: J,
    re: /Empty server certificate chain/,
    event: 'peer-untrusted',
    logger: 'client',
    means: 'the client got no broker certificate',
  },
  {
    id: 'jsse-eku-client',
    family: J,
    re: /Extended key usage does not permit use for TLS client authentication/,
    event: 'peer-eku',
    logger: 'broker',
    means: "the broker's JSSE refused the client certificate: its extendedKeyUsage lacks clientAuth",
  },
  {
    id: 'jsse-eku-server',
    family: J,
    re: /Extended key usage does not permit use for TLS server authentication/,
    event: 'peer-eku',
    logger: 'client',
    means: "the client's JSSE refused the broker certificate: its extendedKeyUsage lacks serverAuth",
  },
  {
    id: 'jsse-key-usage',
    family: J,
    re: /KeyUsage does not allow (digital signatures|key encipherment)|Wrong key usage/,
    event: 'peer-eku',
    means: "JSSE refused the peer's certificate: its keyUsage forbids this use",
  },
  {
    id: 'jsse-no-san-ip',
    family: J,
    re: /No subject alternative names matching IP address (?<host>[0-9a-fA-F.:]+) found/,
    event: 'name-mismatch',
    logger: 'client',
    means: "the client dialled an IP address that is not among the broker certificate's IP SANs",
  },
  {
    id: 'jsse-no-san-dns',
    family: J,
    re: /No subject alternative DNS name matching (?<host>[^\s]+?)\.? found|No name matching (?<host2>[^\s]+) found|No subject alternative names present/,
    event: 'name-mismatch',
    logger: 'client',
    means: "the name the client dialled is not among the broker certificate's SANs",
  },
  {
    id: 'jsse-expired',
    family: J,
    re: /CertificateExpiredException|CertificateNotYetValidException|NotAfter: |NotBefore: |validity check failed/,
    event: 'peer-expired',
    means: "JSSE refused the peer's certificate as expired or not yet valid",
  },
  {
    id: 'jsse-no-protocol',
    family: J,
    re: /No appropriate protocol|protocol versions? \[?[^\]]*\]? (are|is) not accepted by server preferences|Client requested protocol \S+ is not enabled|The server selected protocol version \S+ is not accepted by client preferences|No supported protocol|No negotiable protocol/i,
    event: 'no-protocol',
    means: 'JSSE found no TLS version it shares with the peer',
  },
  {
    id: 'jsse-no-cipher',
    family: J,
    re: /no cipher suites in common|No appropriate cipher suite|No available authentication scheme/,
    event: 'no-cipher',
    means: 'JSSE found no cipher suite it shares with the peer',
  },
  {
    id: 'jsse-bad-signature',
    family: J,
    re: /Invalid (?:\w+ )*(?:CertificateVerify|ServerKeyExchange|ServerKeyExchange) (?:message|signature)|Invalid CertificateVerify|Signature verification failed|signature check failed|Cannot verify signature/i,
    event: 'bad-signature',
    means: "a signature made with the peer's private key does not verify with its certificate",
  },
  {
    id: 'jsse-plaintext',
    family: J,
    re: /Unsupported or unrecognized SSL message|Unrecognized SSL message, plaintext connection\?/,
    event: 'got-plaintext',
    means: 'JSSE got bytes that are not TLS from its peer',
  },
  {
    id: 'jsse-aead-fragment',
    family: J,
    // JDK 17's reading of an OpenSSL client's TLS 1.3 alert (or of bytes that are not TLS) after ChangeCipherSpec.
    re: /Insufficient buffer remaining for AEAD cipher fragment/,
    event: 'alert-unreadable',
    logger: 'broker',
    means:
      "the broker's JDK could not read what the client sent in the handshake: an OpenSSL client's TLS 1.3 " +
      "alert refusing the broker's certificate or its signature",
  },
  {
    id: 'jsse-pkix',
    family: J,
    re: /PKIX path (building|validation) failed|unable to find valid certification path|Path does not chain with any of the trust anchors|No trusted certificate found|Untrusted certificate|TrustAnchor/,
    event: 'peer-untrusted',
    means: "JSSE found no path from the peer's certificate to a CA its truststore holds",
  },
  {
    id: 'jsse-alert-required',
    family: J,
    re: /Received fatal alert: certificate_required/,
    event: 'alert-cert-required',
    logger: 'client',
    means: 'the broker required a client certificate and got none (alert 116)',
  },
  {
    id: 'jsse-alert-bad-cert',
    family: J,
    re: /Received fatal alert: bad_certificate/,
    event: 'alert-bad-cert',
    means: 'the peer refused with bad_certificate (42): a JSSE broker sends it for an empty client chain',
  },
  {
    id: 'jsse-alert-unknown',
    family: J,
    re: /Received fatal alert: certificate_unknown/,
    event: 'alert-cert-unknown',
    means: "the peer refused the logger's certificate with certificate_unknown (46), JSSE's one alert for any reason",
  },
  {
    id: 'jsse-alert-unknown-ca',
    family: J,
    re: /Received fatal alert: unknown_ca/,
    event: 'alert-unknown-ca',
    means: "the peer does not know the CA of the logger's certificate (48)",
  },
  {
    id: 'jsse-alert-expired',
    family: J,
    re: /Received fatal alert: certificate_expired/,
    event: 'alert-cert-expired',
    means: "the peer refused the logger's certificate as expired (45)",
  },
  {
    id: 'jsse-alert-unsupported',
    family: J,
    re: /Received fatal alert: unsupported_certificate/,
    event: 'alert-unsupported-cert',
    means: "the peer refused the logger's certificate for its key usages (43)",
  },
  {
    id: 'jsse-alert-protocol',
    family: J,
    re: /Received fatal alert: protocol_version/,
    event: 'alert-protocol-version',
    means: 'the peer speaks none of the TLS versions offered (70)',
  },
  {
    id: 'jsse-alert-decrypt',
    family: J,
    re: /Received fatal alert: decrypt_error/,
    event: 'alert-decrypt-error',
    means: "the peer could not verify the logger's signature (51): its key is not its certificate's",
  },
  {
    id: 'jsse-alert-handshake',
    family: J,
    re: /Received fatal alert: handshake_failure/,
    event: 'alert-handshake-failure',
    means: 'the peer ended the handshake with handshake_failure (40)',
  },
  {
    id: 'jsse-closed',
    family: J,
    re: /Remote host terminated the handshake|Remote host closed connection during handshake|SSL peer shut down incorrectly|java\.net\.SocketException: Connection reset/,
    event: 'peer-closed',
    means: 'the peer hung up during the handshake without an alert',
  },
];

/** Kafka's own lines that carry no cause: the broker's INFO line, the Java client's WARN line. */
export const KAFKA_RULES: readonly Rule[] = [
  {
    id: 'kafka-broker-failed-authentication',
    family: 'kafka-broker',
    re: /Failed authentication with \/?\S+ \((?:channelId=\S+ )?\(?SSL handshake failed\)?/,
    event: 'no-cause',
    logger: 'broker',
    means: 'the broker logs this at INFO whatever the reason; the reason is at DEBUG',
  },
  {
    id: 'kafka-client-failed-authentication',
    family: 'jsse',
    re: /Connection to node \S+ \((?<host>[^/)\s]*)\/?[^)]*\) failed authentication due to: SSL handshake failed|SslAuthenticationException: SSL handshake failed/,
    event: 'no-cause',
    logger: 'client',
    means: 'the Java client logs this whatever the reason; the reason is in the exception that follows it',
  },
];
