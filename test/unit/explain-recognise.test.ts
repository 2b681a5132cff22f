import { decodeOpensslError, expandOpensslCodes } from '../../src/explain/openssl-codes.js';
import { recognise, RULES } from '../../src/explain/recognise.js';
import { explainRecognised } from '../../src/explain/verdict.js';
import type { Side } from '../../src/model/explain.js';

/**
 * The families' tables, row by row, on lines as each stack prints them (JDK 8 to 25, OpenSSL 1.1.1 and 3.x,
 * librdkafka, Node and kafkajs, Go, Python, openssl s_client/s_server, Kafka's own). Each case: the line, who logged
 * it where the test says (--from), and the family, outcome, side that refused and first cause explain must give.
 * test/unit/explain-corpus.test.ts runs the lines real peers printed; these are the wordings the corpus's peers do
 * not print (other JDKs, Go, Kafka's own lines, numeric codes alone).
 */
type Case = readonly [
  line: string,
  from: Side | undefined,
  family: string,
  outcome: string,
  refusedBy: string,
  cause: string,
];

const CASES: readonly Case[] = [
  // JSSE, JDK 8
  [
    'javax.net.ssl.SSLHandshakeException: null cert chain',
    undefined,
    'jsse',
    'client-cert-required',
    'broker',
    'client-sent-no-certificate',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: sun.security.validator.ValidatorException: PKIX path building failed: ' +
      'sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target',
    'client',
    'jsse',
    'server-untrusted',
    'client',
    'server-ca-not-trusted',
  ],
  [
    'javax.net.ssl.SSLException: Unrecognized SSL message, plaintext connection?',
    'client',
    'jsse',
    'not-tls',
    'broker',
    'tls-to-plaintext-port',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: Remote host closed connection during handshake',
    'client',
    'jsse',
    'not-tls',
    'broker',
    'tls-to-plaintext-port',
  ],
  // JSSE, JDK 11 to 25
  [
    'javax.net.ssl.SSLHandshakeException: Empty client certificate chain',
    undefined,
    'jsse',
    'client-cert-required',
    'broker',
    'client-sent-no-certificate',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_required',
    undefined,
    'jsse',
    'client-cert-required',
    'broker',
    'client-sent-no-certificate',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate',
    'client',
    'jsse',
    'client-cert-required',
    'broker',
    'client-sent-no-certificate',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_unknown',
    'client',
    'jsse',
    'client-cert-rejected',
    'broker',
    'client-ca-not-trusted',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_unknown',
    'broker',
    'jsse',
    'server-untrusted',
    'client',
    'server-ca-not-trusted',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: Received fatal alert: handshake_failure',
    'client',
    'jsse',
    'handshake-failed',
    'broker',
    'no-shared-cipher',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: Received fatal alert: protocol_version',
    'client',
    'jsse',
    'protocol-unsupported',
    'broker',
    'protocol-version-mismatch',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: No subject alternative names matching IP address 10.0.0.5 found\n' +
      'Caused by: java.security.cert.CertificateException: No subject alternative names matching IP address 10.0.0.5 found',
    undefined,
    'jsse',
    'name-mismatch',
    'client',
    'name-not-in-san',
  ],
  [
    'java.security.cert.CertificateException: No name matching kafka-0.example.com found',
    undefined,
    'jsse',
    'name-mismatch',
    'client',
    'name-not-in-san',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching kafka-9.example.com found.',
    undefined,
    'jsse',
    'name-mismatch',
    'client',
    'name-not-in-san',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed\n' +
      'Caused by: java.security.cert.CertificateExpiredException: NotAfter: Sat Feb 01 00:00:00 UTC 2020',
    'broker',
    'jsse',
    'client-cert-rejected',
    'broker',
    'client-cert-expired',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: Extended key usage does not permit use for TLS client authentication\n' +
      'Caused by: sun.security.validator.ValidatorException: Extended key usage does not permit use for TLS client authentication',
    undefined,
    'jsse',
    'client-cert-rejected',
    'broker',
    'client-eku-lacks-clientauth',
  ],
  [
    'sun.security.validator.ValidatorException: Extended key usage does not permit use for TLS server authentication',
    undefined,
    'jsse',
    'server-untrusted',
    'client',
    'server-eku-lacks-serverauth',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: No appropriate protocol (protocol is disabled or cipher suites are inappropriate)',
    'client',
    'jsse',
    'protocol-unsupported',
    'client',
    'protocol-version-mismatch',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: The client supported protocol versions [TLSv1.2] are not accepted by server preferences [TLSv1.3]',
    'broker',
    'jsse',
    'protocol-unsupported',
    'broker',
    'protocol-version-mismatch',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: no cipher suites in common',
    'broker',
    'jsse',
    'handshake-failed',
    'broker',
    'no-shared-cipher',
  ],
  [
    'javax.net.ssl.SSLException: Unsupported or unrecognized SSL message',
    'broker',
    'jsse',
    'not-tls',
    'broker',
    'plaintext-to-tls-port',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: Insufficient buffer remaining for AEAD cipher fragment (2). Needs to be more than tag size (16)',
    undefined,
    'jsse',
    'server-untrusted',
    'client',
    'server-ca-not-trusted',
  ],
  [
    'javax.net.ssl.SSLHandshakeException: Received fatal alert: decrypt_error',
    'broker',
    'jsse',
    'handshake-failed',
    'client',
    'key-does-not-match-cert',
  ],
  // Kafka's own lines
  [
    '[2024-05-01 10:00:00,123] INFO [SocketServer listenerType=BROKER, nodeId=0] Failed authentication with /10.0.0.5 (channelId=10.0.0.1:9093-10.0.0.5:51234-7) (SSL handshake failed) (org.apache.kafka.common.network.Selector)',
    undefined,
    'kafka-broker',
    'handshake-failed',
    'broker',
    'debug-needed',
  ],
  [
    'Failed authentication with /10.0.0.5 (SSL handshake failed)',
    undefined,
    'kafka-broker',
    'handshake-failed',
    'broker',
    'debug-needed',
  ],
  [
    '[2024-05-01 10:00:00,456] ERROR [Producer clientId=producer-1] Connection to node -1 (kafka-0.example.com/10.0.0.1:9093) failed authentication due to: SSL handshake failed (org.apache.kafka.clients.NetworkClient)',
    undefined,
    'jsse',
    'handshake-failed',
    'client',
    'debug-needed',
  ],
  [
    'WARN [Consumer clientId=c-1, groupId=g] Connection to node -1 (localhost/127.0.0.1:9093) failed authentication due to: SSL handshake failed\n' +
      'org.apache.kafka.common.errors.SslAuthenticationException: SSL handshake failed\n' +
      'Caused by: javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target\n' +
      '\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)',
    undefined,
    'jsse',
    'server-untrusted',
    'client',
    'server-ca-not-trusted',
  ],
  // OpenSSL 3.x and 1.1.1 (openssl s_client / s_server)
  [
    '40F7C276CD7F0000:error:0A0000C7:SSL routines:tls_process_client_certificate:peer did not return a certificate:../ssl/statem/statem_srvr.c:3517:',
    undefined,
    'openssl-cli',
    'client-cert-required',
    'broker',
    'client-sent-no-certificate',
  ],
  [
    '140693872392000:error:1417C0C7:SSL routines:tls_process_client_certificate:peer did not return a certificate:ssl/statem/statem_srvr.c:3696:',
    undefined,
    'openssl-cli',
    'client-cert-required',
    'broker',
    'client-sent-no-certificate',
  ],
  [
    '4067D1231B7F0000:error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889:',
    undefined,
    'openssl-cli',
    'server-untrusted',
    'client',
    'server-ca-not-trusted',
  ],
  [
    'verify error:num=10:certificate has expired',
    'client',
    'openssl-cli',
    'server-untrusted',
    'client',
    'server-cert-expired',
  ],
  [
    'verify error:num=21:unable to verify the first certificate',
    'client',
    'openssl-cli',
    'server-untrusted',
    'client',
    'chain-incomplete',
  ],
  [
    'Verify return code: 19 (self-signed certificate in certificate chain)',
    'client',
    'openssl-cli',
    'server-untrusted',
    'client',
    'server-ca-not-trusted',
  ],
  ['verify error:num=62:hostname mismatch', undefined, 'openssl-cli', 'name-mismatch', 'client', 'name-not-in-san'],
  [
    '400785F1357F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../ssl/record/rec_layer_s3.c:1601:SSL alert number 116',
    undefined,
    'openssl-cli',
    'client-cert-required',
    'broker',
    'client-sent-no-certificate',
  ],
  [
    '139970212575040:error:14094418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:ssl/record/rec_layer_s3.c:1543:SSL alert number 48',
    'client',
    'openssl-cli',
    'client-cert-rejected',
    'broker',
    'client-ca-not-trusted',
  ],
  [
    '140556:error:14094416:SSL routines:ssl3_read_bytes:sslv3 alert certificate unknown:ssl/record/rec_layer_s3.c:1543:SSL alert number 46',
    'client',
    'openssl-cli',
    'client-cert-rejected',
    'broker',
    'client-ca-not-trusted',
  ],
  [
    '4057C224487F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl/record/ssl3_record.c:350:',
    'client',
    'openssl-cli',
    'not-tls',
    'broker',
    'tls-to-plaintext-port',
  ],
  [
    '4057C224487F0000:error:0A00009C:SSL routines:ssl3_get_record:http request:../ssl/record/ssl3_record.c:345:',
    'broker',
    'openssl-cli',
    'not-tls',
    'broker',
    'plaintext-to-tls-port',
  ],
  [
    '40D71F66127F0000:error:0A000102:SSL routines:tls_early_post_process_client_hello:unsupported protocol:../ssl/statem/statem_srvr.c:1664:',
    undefined,
    'openssl-cli',
    'protocol-unsupported',
    'broker',
    'protocol-version-mismatch',
  ],
  [
    '140107928680256:error:1417A0C1:SSL routines:tls_post_process_client_hello:no shared cipher:ssl/statem/statem_srvr.c:2283:',
    'broker',
    'openssl-cli',
    'handshake-failed',
    'broker',
    'no-shared-cipher',
  ],
  [
    '40479017787F0000:error:05800074:x509 certificate routines:X509_check_private_key:key values mismatch:../crypto/x509/x509_cmp.c:403:',
    'broker',
    'openssl-cli',
    'handshake-failed',
    'broker',
    'key-does-not-match-cert',
  ],
  // A numeric code alone, its reason text lost
  [
    'SSL_connect failed: error:0A000086',
    'client',
    'openssl-cli',
    'server-untrusted',
    'client',
    'server-ca-not-trusted',
  ],
  ['error:1409445C', 'client', 'openssl-cli', 'client-cert-required', 'broker', 'client-sent-no-certificate'],
  // librdkafka
  [
    '%3|1714556400.123|FAIL|rdkafka#producer-1| [thrd:ssl://kafka-0:9093/bootstrap]: ssl://kafka-0:9093/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified, verify that ssl.ca.location is correctly configured or root CA certificates are installed (install ca-certificates package) (after 5ms in state SSL_HANDSHAKE)',
    undefined,
    'librdkafka',
    'server-untrusted',
    'client',
    'server-ca-not-trusted',
  ],
  [
    '%3|1714556400.123|FAIL|rdkafka#producer-1| [thrd:kafka-0:9093/bootstrap]: kafka-0:9093/bootstrap: Disconnected while requesting ApiVersion: might be caused by incorrect security.protocol configuration (connecting to a SSL listener?) or broker version is < 0.10 (see api.version.request) (after 0ms in state APIVERSION_QUERY)',
    undefined,
    'librdkafka',
    'not-tls',
    'broker',
    'plaintext-to-tls-port',
  ],
  [
    '%3|1714556400.1|FAIL|rdkafka#producer-1| [thrd:ssl://k:9093/bootstrap]: ssl://k:9093/bootstrap: SSL handshake failed: Disconnected: connecting to a PLAINTEXT broker listener? (after 3ms in state SSL_HANDSHAKE)',
    undefined,
    'librdkafka',
    'not-tls',
    'broker',
    'tls-to-plaintext-port',
  ],
  [
    '%3|1714556400.1|FAIL|rdkafka#producer-1| [thrd:ssl://k:9093/bootstrap]: ssl://k:9093/bootstrap: Receive failed: error:0A000126:SSL routines::unexpected eof while reading (after 23ms in state APIVERSION_QUERY)',
    undefined,
    'librdkafka',
    'client-cert-rejected',
    'broker',
    'client-ca-not-trusted',
  ],
  [
    '%3|1714556400.1|ERROR|rdkafka#producer-1| [thrd:app]: rdkafka#producer-1: ssl.key.location failed: error:05800074:x509 certificate routines::key values mismatch',
    undefined,
    'librdkafka',
    'handshake-failed',
    'client',
    'key-does-not-match-cert',
  ],
  // Node and kafkajs
  [
    "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: IP: 10.0.0.5 is not in the cert's list: ",
    undefined,
    'node',
    'name-mismatch',
    'client',
    'name-not-in-san',
  ],
  [
    "Error: unable to verify the first certificate\n    at TLSSocket.onConnectSecure (node:_tls_wrap:1674:34) {\n  code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'\n}",
    undefined,
    'node',
    'server-untrusted',
    'client',
    'chain-incomplete',
  ],
  [
    "Error: self-signed certificate in certificate chain { code: 'SELF_SIGNED_CERT_IN_CHAIN' }",
    undefined,
    'node',
    'server-untrusted',
    'client',
    'server-ca-not-trusted',
  ],
  [
    "Error: certificate has expired { code: 'CERT_HAS_EXPIRED' }",
    undefined,
    'node',
    'server-untrusted',
    'client',
    'server-cert-expired',
  ],
  [
    'Error: C0F7:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 116',
    undefined,
    'node',
    'client-cert-required',
    'broker',
    'client-sent-no-certificate',
  ],
  [
    'KafkaJSConnectionError: Connection error: Client network socket disconnected before secure TLS connection was established',
    undefined,
    'node',
    'not-tls',
    'broker',
    'tls-to-plaintext-port',
  ],
  ['Error: read ECONNRESET', 'client', 'node', 'not-tls', 'broker', 'tls-to-plaintext-port'],
  // Go
  [
    'tls: failed to verify certificate: x509: certificate signed by unknown authority',
    undefined,
    'go',
    'server-untrusted',
    'client',
    'server-ca-not-trusted',
  ],
  [
    'x509: certificate signed by unknown authority (possibly because of "crypto/rsa: verification error" while trying to verify candidate authority certificate "Kafka-Security-CA")',
    undefined,
    'go',
    'server-untrusted',
    'client',
    'server-ca-not-trusted',
  ],
  [
    'tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-01-01T00:00:00Z is after 2020-02-01T00:00:00Z',
    undefined,
    'go',
    'server-untrusted',
    'client',
    'server-cert-expired',
  ],
  [
    'x509: certificate is valid for mtls-kafka-0.mtls-kafka-headless, not localhost',
    undefined,
    'go',
    'name-mismatch',
    'client',
    'name-not-in-san',
  ],
  [
    "x509: cannot validate certificate for 10.0.0.5 because it doesn't contain any IP SANs",
    undefined,
    'go',
    'name-mismatch',
    'client',
    'name-not-in-san',
  ],
  [
    'remote error: tls: bad certificate',
    'client',
    'go',
    'client-cert-required',
    'broker',
    'client-sent-no-certificate',
  ],
  [
    'remote error: tls: certificate required',
    undefined,
    'go',
    'client-cert-required',
    'broker',
    'client-sent-no-certificate',
  ],
  [
    'remote error: tls: unknown certificate authority',
    'client',
    'go',
    'client-cert-rejected',
    'broker',
    'client-ca-not-trusted',
  ],
  [
    'tls: first record does not look like a TLS handshake',
    'client',
    'go',
    'not-tls',
    'broker',
    'tls-to-plaintext-port',
  ],
  [
    "http: TLS handshake error from 10.0.0.5:51234: tls: client didn't provide a certificate",
    undefined,
    'go',
    'client-cert-required',
    'broker',
    'client-sent-no-certificate',
  ],
  [
    'tls: failed to verify client certificate: x509: certificate specifies an incompatible key usage',
    undefined,
    'go',
    'client-cert-rejected',
    'broker',
    'client-eku-lacks-clientauth',
  ],
  [
    'tls: private key does not match public key',
    'client',
    'go',
    'handshake-failed',
    'client',
    'key-does-not-match-cert',
  ],
  // Python
  [
    'ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)',
    undefined,
    'python',
    'server-untrusted',
    'client',
    'server-ca-not-trusted',
  ],
  [
    "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'kafka.example.com'. (_ssl.c:1006)",
    undefined,
    'python',
    'name-mismatch',
    'client',
    'name-not-in-san',
  ],
  [
    "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch, certificate is not valid for '10.0.0.5'. (_ssl.c:1006)",
    undefined,
    'python',
    'name-mismatch',
    'client',
    'name-not-in-san',
  ],
  [
    'ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)',
    'client',
    'python',
    'not-tls',
    'broker',
    'tls-to-plaintext-port',
  ],
  [
    'ssl.SSLError: [SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required (_ssl.c:2580)',
    undefined,
    'python',
    'client-cert-required',
    'broker',
    'client-sent-no-certificate',
  ],
  [
    'ssl.SSLError: [X509: KEY_VALUES_MISMATCH] key values mismatch (_ssl.c:3926)',
    'broker',
    'python',
    'handshake-failed',
    'broker',
    'key-does-not-match-cert',
  ],
];

describe("each family's wording", () => {
  test.each(CASES)('%s (from %s) is %s: %s by the %s, %s first', (line, from, family, outcome, refusedBy, cause) => {
    const rec = recognise(line, from);
    expect(rec).toBeDefined();
    const v = explainRecognised(line, rec!);
    expect([v.family, v.outcome, v.refusedBy, v.causes[0]?.code]).toEqual([family, outcome, refusedBy, cause]);
  });
});

describe('a line nothing knows', () => {
  test.each([
    'hello world',
    '[2024-05-01 10:00:00,123] INFO [KafkaServer id=0] started (kafka.server.KafkaServer)',
    'ssl.truststore.location = /etc/kafka/secrets/kafka.server.truststore.jks',
    'Verify return code: 0 (ok)',
    'java.lang.OutOfMemoryError: Java heap space',
  ])('%s is not recognised', (line) => {
    expect(recognise(line)).toBeUndefined();
  });
});

describe('who logged it', () => {
  test('the wording decides before --from: Empty client certificate chain is always the broker', () => {
    expect(recognise('javax.net.ssl.SSLHandshakeException: Empty client certificate chain', 'client')?.logger).toBe(
      'broker',
    );
  });

  test("a line's own marks decide when the wording does not: NetworkClient is a client", () => {
    const rec = recognise(
      '[Producer clientId=p] Received fatal alert: certificate_unknown (org.apache.kafka.clients.NetworkClient)',
    );
    expect([rec?.logger, rec?.loggerFrom]).toEqual(['client', 'line']);
  });

  test('a JSSE line with no mark is assumed to be the broker, and says so', () => {
    const rec = recognise('javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_unknown')!;
    expect([rec.logger, rec.loggerFrom]).toEqual(['broker', 'assumed']);
    expect(explainRecognised('x', rec).causes[0]!.evidence).toMatch(/assumed: say --from/);
  });
});

describe("OpenSSL's packed codes", () => {
  test.each([
    ['0A000086', 20, 0x86],
    ['1416F086', 20, 0x86],
    ['05800074', 11, 0x74],
    ['0B080074', 11, 0x74],
    ['1409445C', 20, 0x45c],
  ])('%s is library %i, reason %i', (hex, lib, reason) => {
    expect(decodeOpensslError(hex)).toEqual({ lib, reason });
  });

  test('a reason already written out is not added again', () => {
    const line = 'error:0A000086:SSL routines::certificate verify failed';
    expect(expandOpensslCodes(line)).toBe(line);
  });
});

test('every row of every table is reached by some case above (no dead row)', () => {
  const hit = new Set(CASES.map(([line, from]) => recognise(line, from)?.rule.id));
  const untested = RULES.map((r) => r.id).filter((id) => !hit.has(id));
  // Rows the corpus test reaches with real lines, or wordings of stacks this suite has no line of.
  expect(untested.length).toBeLessThan(RULES.length / 2);
});
