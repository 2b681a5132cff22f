/**
 * The cause codes: what each means and what fixes it, as the README's table says. Stable: scripts match on them.
 * `material`: whether a certs directory can show the cause (a protocol or cipher setting is configuration, not
 * material: no certificate shows it).
 */
import type { CauseCode } from '../model/explain.js';

export interface CauseInfo {
  readonly meaning: string;
  readonly fix: string;
  readonly material: boolean;
}

/** How to make the broker log the cause of a handshake it failed, and librdkafka and Java clients theirs. */
export const DEBUG_COMMANDS =
  'kafka-configs --bootstrap-server BROKER:9093 --command-config admin.properties --entity-type broker-loggers ' +
  '--entity-name BROKER_ID --alter --add-config org.apache.kafka.common.network.SslTransportLayer=DEBUG ' +
  "(the broker then logs JSSE's reason with each failed handshake; set it back to INFO after); " +
  'on a Java client or broker, -Djavax.net.debug=ssl:handshake in KAFKA_OPTS; ' +
  'on librdkafka (kcat -X, confluent-kafka), debug=security,broker';

const TRUST_IMPORT =
  'keytool -importcert -noprompt -alias CARoot -file ca.crt -keystore TRUSTSTORE -storepass:env PASSWORD';

export const CAUSES: Readonly<Record<CauseCode, CauseInfo>> = {
  'client-sent-no-certificate': {
    meaning:
      "the client sent no certificate: no keystore configured, or its issuer is not in the CA list the broker's " +
      'truststore announces (a Java or Go client then sends none, and the broker logs Empty client certificate chain)',
    fix:
      'configure the client keystore (ssl.keystore.location, or librdkafka ssl.certificate.location and ' +
      "ssl.key.location) with a certificate signed by the cluster's CA: kafka-mtls apply makes one",
    material: true,
  },
  'client-ca-not-trusted': {
    meaning: "the client's certificate chains to a CA the broker's truststore lacks",
    fix:
      "reissue the client's certificate from the cluster's CA (kafka-mtls apply), or import its CA into the " +
      `brokers' truststore (${TRUST_IMPORT.replace('TRUSTSTORE', 'kafka.server.truststore.jks')}) and restart them`,
    material: true,
  },
  'client-cert-expired': {
    meaning: 'the client certificate is expired (or not yet valid: check the clocks)',
    fix: 'renew it: kafka-mtls apply --renew-before 30 (and the clocks, if it is not yet valid)',
    material: true,
  },
  'client-eku-lacks-clientauth': {
    meaning: "the client certificate's extendedKeyUsage lacks clientAuth",
    fix: 'reissue it with clientAuth: kafka-mtls apply (kafka-mtls inspect shows its extendedKeyUsage)',
    material: true,
  },
  'server-ca-not-trusted': {
    meaning: "the client's truststore lacks the broker's CA",
    fix:
      `import the CA that signed the broker into the client's truststore (${TRUST_IMPORT}), or give librdkafka ` +
      "ssl.ca.location=ca.crt; if the broker's certificate is from another CA, reissue it (kafka-mtls apply) or " +
      'move the cluster to one CA without downtime (kafka-mtls rotate-ca)',
    material: true,
  },
  'server-cert-expired': {
    meaning: 'the broker certificate is expired (or not yet valid: check the clocks)',
    fix: 'renew it: kafka-mtls apply --renew-before 30, then restart the broker',
    material: true,
  },
  'server-eku-lacks-serverauth': {
    meaning: "the broker certificate's extendedKeyUsage lacks serverAuth",
    fix: 'reissue it with serverAuth and clientAuth: kafka-mtls apply',
    material: true,
  },
  'name-not-in-san': {
    meaning: "the host (DNS name or IP address) the client dialled is not in the broker certificate's SANs",
    fix:
      'reissue the broker certificate with that name: kafka-mtls apply --san DNS:NAME (or --san IP:ADDRESS), or ' +
      'connect by a name it has (an IP address matches IP SANs only)',
    material: true,
  },
  'chain-incomplete': {
    meaning: 'an intermediate CA is missing from the sent chain',
    fix:
      'put the whole chain in the keystore, leaf first then each intermediate (kafka-mtls apply --ca-chain ' +
      "chain.pem writes it so), or add the intermediate to the peer's truststore",
    material: true,
  },
  'protocol-version-mismatch': {
    meaning: 'no TLS version in common (e.g. TLS 1.3 only against TLS 1.2 only)',
    fix:
      'give both sides a version in common: ssl.enabled.protocols=TLSv1.3,TLSv1.2 on the listener and on Java ' +
      'clients; OpenSSL clients take theirs from their own settings (Node minVersion, Python ' +
      'SSLContext.minimum_version, MinProtocol in openssl.cnf)',
    material: false,
  },
  'no-shared-cipher': {
    meaning: 'no cipher suite in common',
    fix:
      'give both sides a suite in common: remove ssl.cipher.suites (the JDK defaults), or list one the client ' +
      'offers too (librdkafka ssl.cipher.suites, an OpenSSL cipher string)',
    material: false,
  },
  'tls-to-plaintext-port': {
    meaning: 'TLS spoken to a PLAINTEXT listener',
    fix: "connect to the SSL listener's port (the broker's listeners setting), or set security.protocol to match",
    material: false,
  },
  'plaintext-to-tls-port': {
    meaning: 'PLAINTEXT spoken to an SSL listener',
    fix: 'set security.protocol=SSL on the client (with its keystore and truststore), or use the PLAINTEXT port',
    material: false,
  },
  'key-does-not-match-cert': {
    meaning: "a keystore's private key does not match its certificate",
    fix: 'make the keystore again from the key its certificate was signed for: kafka-mtls apply',
    material: true,
  },
  'debug-needed': {
    meaning: 'the line carries no cause (the broker logs its INFO line whatever the reason)',
    fix: DEBUG_COMMANDS,
    material: false,
  },
};
