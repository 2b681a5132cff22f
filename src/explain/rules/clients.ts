/**
 * The wordings of the OpenSSL-based clients beyond OpenSSL's own reasons (rules/openssl.ts): librdkafka (kcat,
 * confluent-kafka-python/-go, Vector), Node's tls and kafkajs, Python's ssl, openssl s_client and s_server.
 */
import type { Rule } from '../../model/explain.js';

export const CLIENT_RULES: readonly Rule[] = [
  {
    id: 'librdkafka-plaintext-to-ssl',
    family: 'librdkafka',
    re: /Disconnected while requesting ApiVersion: might be caused by incorrect security\.protocol configuration \(connecting to a SSL listener\?\)/,
    event: 'plaintext-got-tls',
    logger: 'client',
    means: 'a PLAINTEXT librdkafka client got no Kafka answer: the port is an SSL listener',
  },
  {
    id: 'librdkafka-key-location',
    family: 'librdkafka',
    re: /ssl\.key\.location failed|ssl\.certificate\.location failed|Failed to verify ssl\.key/,
    event: 'key-mismatch',
    logger: 'client',
    means: 'librdkafka could not use its key with its certificate',
  },
  {
    id: 'librdkafka-unverified',
    family: 'librdkafka',
    re: /broker certificate could not be verified/,
    event: 'peer-untrusted',
    logger: 'client',
    means:
      "librdkafka refused the broker's certificate; its one sentence covers a CA it lacks, a missing intermediate, " +
      'a name not in the SANs and an expired certificate alike',
  },
  {
    id: 'librdkafka-plaintext-answer',
    family: 'librdkafka',
    re: /Disconnected: connecting to a PLAINTEXT broker listener\?|Disconnected: verify that security\.protocol is correctly configured, broker might require SASL authentication|SSL transport error:.*(?:wrong version number|packet length too long)/,
    event: 'got-plaintext',
    logger: 'client',
    means: 'librdkafka speaks TLS and the port answered otherwise',
  },
  {
    id: 'librdkafka-closed-after-handshake',
    family: 'librdkafka',
    // TLS 1.3: the client's handshake is over before the broker judges its certificate; a broker that then hangs
    // up (or whose alert is lost) shows as an end of stream in the first Kafka request.
    re: /(?:unexpected eof while reading|Disconnected|Connection reset)[^\n]*\(after \d+ms in state (?:APIVERSION_QUERY|UP|AUTH_REQ|AUTH_HANDSHAKE)\)/,
    event: 'closed-after-handshake',
    logger: 'client',
    means: "the broker hung up after the client's TLS 1.3 handshake, where a broker turns a client certificate down",
  },
  {
    id: 'node-altname',
    family: 'node',
    re: /Hostname\/IP does not match certificate's altnames: (?:IP|Host): (?<host>\S+?)\.? is not/,
    event: 'name-mismatch',
    logger: 'client',
    means: "the name the client dialled is not among the broker certificate's SANs",
  },
  {
    id: 'node-socket-disconnected',
    family: 'node',
    re: /Client network socket disconnected before secure TLS connection was established|\bECONNRESET\b|socket hang up/,
    event: 'peer-closed',
    logger: 'client',
    means: 'the broker hung up during the handshake without an alert Node could read',
  },
  {
    id: 'python-reset',
    family: 'python',
    re: /ConnectionResetError|Connection reset by peer/,
    event: 'peer-closed',
    means: 'the peer hung up during the handshake without an alert',
  },
];
