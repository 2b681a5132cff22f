/** Go's crypto/tls and crypto/x509 wordings (Go 1.17 to 1.23: Sarama, franz-go, segmentio/kafka-go, Vector…). */
import type { Rule } from '../../model/explain.js';
import { alert } from './alerts.js';

const G = 'go' as const;

export const GO_RULES: readonly Rule[] = [
  {
    id: 'go-no-client-cert',
    family: G,
    re: /tls: client didn't provide a certificate/,
    event: 'no-client-cert',
    logger: 'broker',
    means: 'the Go server required a client certificate and got none',
  },
  {
    id: 'go-ip-sans',
    family: G,
    re: /x509: cannot validate certificate for (?<host>\S+) because it doesn't contain any IP SANs/,
    event: 'name-mismatch',
    logger: 'client',
    means: 'the client dialled an IP address and the broker certificate has no IP SAN',
  },
  {
    id: 'go-name',
    family: G,
    re: /x509: certificate is valid for .*?, not (?<host>[^\s,;"]+)|x509: certificate is not valid for any names, but wanted to match (?<host2>[^\s,;"]+)/,
    event: 'name-mismatch',
    logger: 'client',
    means: "the name the client dialled is not among the broker certificate's SANs",
  },
  {
    id: 'go-expired',
    family: G,
    re: /x509: certificate has expired or is not yet valid/,
    event: 'peer-expired',
    means: "Go refused the peer's certificate as expired or not yet valid",
  },
  {
    id: 'go-eku',
    family: G,
    re: /x509: certificate specifies an incompatible key usage/,
    event: 'peer-eku',
    means: "Go refused the peer's certificate for its extendedKeyUsage",
  },
  {
    id: 'go-unknown-authority',
    family: G,
    re: /x509: certificate signed by unknown authority|x509: .*certificate is not trusted/,
    event: 'peer-untrusted',
    means: "Go found no path from the peer's certificate to a CA it trusts (or the chain lacks an intermediate)",
  },
  {
    id: 'go-key-mismatch',
    family: G,
    re: /tls: private key does not match public key|tls: private key type does not match public key type/,
    event: 'key-mismatch',
    means: 'the private key configured does not belong to the certificate',
  },
  {
    id: 'go-not-tls',
    family: G,
    re: /tls: first record does not look like a TLS handshake|tls: oversized record received/,
    event: 'got-plaintext',
    means: 'Go got bytes that are not TLS from its peer',
  },
  {
    id: 'go-no-version',
    family: G,
    re: /tls: client offered only unsupported versions|tls: server selected unsupported protocol version|tls: no supported versions satisfy MinVersion and MaxVersion/,
    event: 'no-protocol',
    means: 'Go found no TLS version it shares with the peer',
  },
  {
    id: 'go-no-cipher',
    family: G,
    re: /tls: no cipher suite supported by both client and server/,
    event: 'no-cipher',
    means: 'Go found no cipher suite it shares with the peer',
  },
  {
    id: 'go-bad-signature',
    family: G,
    re: /tls: invalid signature by the (client|server) certificate/,
    event: 'bad-signature',
    means: "a signature made with the peer's key does not verify with its certificate",
  },
  alert('go-alert-required', G, /remote error: tls: certificate required/, 'alert-cert-required', 'client'),
  alert('go-alert-bad-cert', G, /remote error: tls: bad certificate/, 'alert-bad-cert'),
  alert('go-alert-unknown', G, /remote error: tls: unknown certificate(?! authority)/, 'alert-cert-unknown'),
  alert('go-alert-unknown-ca', G, /remote error: tls: unknown certificate authority/, 'alert-unknown-ca'),
  alert('go-alert-expired', G, /remote error: tls: expired certificate/, 'alert-cert-expired'),
  alert('go-alert-unsupported', G, /remote error: tls: unsupported certificate/, 'alert-unsupported-cert'),
  alert('go-alert-decrypt', G, /remote error: tls: error decrypting message/, 'alert-decrypt-error'),
  alert('go-alert-protocol', G, /remote error: tls: protocol version not supported/, 'alert-protocol-version'),
  alert('go-alert-handshake', G, /remote error: tls: handshake failure/, 'alert-handshake-failure'),
];
