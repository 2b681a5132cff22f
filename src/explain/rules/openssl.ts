/**
 * OpenSSL's wordings, 1.1.1 and 3.x: the reason strings of its SSL and X509 errors and of X509_verify_cert, which
 * librdkafka, Node, Python and openssl s_client/s_server all print (each family's markers say whose line it is).
 * Numeric codes alone (`error:0A000086`, `error:1416F086`) are read by their reason number (openssl-codes.ts).
 */
import type { Rule } from '../../model/explain.js';
import { alert } from './alerts.js';

const O = 'openssl' as const;

export const OPENSSL_RULES: readonly Rule[] = [
  {
    id: 'openssl-key-mismatch',
    family: O,
    re: /key values mismatch|KEY_VALUES_MISMATCH|private key does not match the certificate public key|Private key check failed/i,
    event: 'key-mismatch',
    means: 'the private key configured does not belong to the certificate (X509_check_private_key)',
  },
  {
    id: 'openssl-no-peer-cert',
    family: O,
    re: /peer did not return a certificate|PEER_DID_NOT_RETURN_A_CERTIFICATE/i,
    event: 'no-client-cert',
    logger: 'broker',
    means: 'the server required a client certificate and got none',
  },
  {
    id: 'openssl-hostname-mismatch',
    family: O,
    re: /(?:Hostname|IP address) mismatch, certificate is not valid for '(?<host>[^']+)'|hostname mismatch|IP address mismatch|ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames/i,
    event: 'name-mismatch',
    logger: 'client',
    means: "the name the client dialled is not among the broker certificate's SANs",
  },
  {
    id: 'openssl-verify-expired',
    family: O,
    re: /certificate has expired|certificate is not yet valid|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID/,
    event: 'peer-expired',
    means: "X509_verify_cert refused the peer's certificate as expired or not yet valid",
  },
  {
    id: 'openssl-verify-purpose',
    family: O,
    re: /unsupported certificate purpose|unsuitable certificate purpose|INVALID_PURPOSE/,
    event: 'peer-eku',
    means: "X509_verify_cert refused the peer's certificate for its purpose (extendedKeyUsage)",
  },
  {
    id: 'openssl-verify-leaf-alone',
    family: O,
    re: /unable to verify the first certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    event: 'peer-leaf-alone',
    means: "the peer's certificate came without its issuer, and no trusted CA signed it",
  },
  {
    id: 'openssl-verify-local-issuer',
    family: O,
    re: /unable to get local issuer certificate|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/,
    event: 'peer-issuer-unknown',
    means: "the issuer of the peer's certificate is neither trusted nor in the chain the peer sent",
  },
  {
    id: 'openssl-verify-untrusted',
    family: O,
    re: /self[- ]signed certificate|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|unable to get issuer certificate|certificate signature failure|certificate rejected|certificate not trusted/,
    event: 'peer-untrusted',
    means: "the peer's chain ends in a CA the logger does not trust",
  },
  {
    id: 'openssl-verify-failed',
    family: O,
    re: /certificate verify failed|CERTIFICATE_VERIFY_FAILED/i,
    event: 'peer-untrusted',
    means: "the logger's OpenSSL refused the peer's certificate (the reason is on the verify line, if any)",
  },
  {
    id: 'openssl-bad-signature',
    family: O,
    re: /bad signature|BAD_SIGNATURE|last octet invalid|data too large for modulus|rsa_ossl_public_decrypt|RSA_verify_PKCS1_PSS_mgf1|digest check failed|signature verification failure/,
    event: 'bad-signature',
    means: "a signature made with the peer's private key does not verify with its certificate",
  },
  alert(
    'openssl-alert-required',
    O,
    /tlsv13 alert certificate required|alert number 116|ALERT_CERTIFICATE_REQUIRED/i,
    'alert-cert-required',
    'client',
  ),
  alert(
    'openssl-alert-bad-cert',
    O,
    /sslv3 alert bad certificate|alert number 42\b|ALERT_BAD_CERTIFICATE/i,
    'alert-bad-cert',
  ),
  alert(
    'openssl-alert-unknown',
    O,
    /sslv3 alert certificate unknown|alert number 46\b|ALERT_CERTIFICATE_UNKNOWN/i,
    'alert-cert-unknown',
  ),
  alert(
    'openssl-alert-unknown-ca',
    O,
    /tlsv1 alert unknown ca|alert number 48\b|ALERT_UNKNOWN_CA/i,
    'alert-unknown-ca',
  ),
  alert(
    'openssl-alert-expired',
    O,
    /sslv3 alert certificate expired|alert number 45\b|ALERT_CERTIFICATE_EXPIRED/i,
    'alert-cert-expired',
  ),
  alert(
    'openssl-alert-unsupported',
    O,
    /sslv3 alert unsupported certificate|alert number 43\b|ALERT_UNSUPPORTED_CERTIFICATE/i,
    'alert-unsupported-cert',
  ),
  alert(
    'openssl-alert-decrypt',
    O,
    /tlsv1 alert decrypt error|alert number 51\b|ALERT_DECRYPT_ERROR/i,
    'alert-decrypt-error',
  ),
  alert(
    'openssl-alert-protocol',
    O,
    /tlsv1 alert protocol version|alert number 70\b|ALERT_PROTOCOL_VERSION/i,
    'alert-protocol-version',
  ),
  alert(
    'openssl-alert-handshake',
    O,
    /sslv3 alert handshake failure|alert number 40\b|ALERT_HANDSHAKE_FAILURE/i,
    'alert-handshake-failure',
  ),
  {
    id: 'openssl-no-protocol',
    family: O,
    re: /unsupported protocol|no protocols available|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|version too low|version too high/i,
    event: 'no-protocol',
    means: 'OpenSSL found no TLS version it shares with the peer',
  },
  {
    id: 'openssl-no-cipher',
    family: O,
    re: /no shared cipher|no ciphers available|NO_SHARED_CIPHER|NO_CIPHERS_AVAILABLE/i,
    event: 'no-cipher',
    means: 'OpenSSL found no cipher suite it shares with the peer',
  },
  {
    id: 'openssl-not-tls',
    family: O,
    re: /wrong version number|packet length too long|http request|record layer failure|WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST/,
    event: 'got-plaintext',
    means: 'OpenSSL got bytes that are not TLS from its peer',
  },
  {
    id: 'openssl-eof',
    family: O,
    re: /unexpected eof while reading|UNEXPECTED_EOF_WHILE_READING|EOF occurred in violation of protocol|SSL_ERROR_SYSCALL|(?:read|write):errno=104/,
    event: 'peer-closed',
    means: 'the peer hung up during the handshake without an alert',
  },
];
