/**
 * How the brokers and clients will use the files: listeners, where the files
 * are mounted, the Kubernetes namespace. Only the generated settings
 * (server.properties, the compose block, client.properties, Secrets) read it;
 * the certificates do not depend on it.
 */

export type ListenerProtocol = 'SSL' | 'SASL_SSL';

export interface Listener {
  /** Listener name, e.g. SSL, BROKER, EXTERNAL. */
  readonly name: string;
  readonly port: number;
  readonly protocol: ListenerProtocol;
  /** Which of the broker's host names (its SANs, in order) the listener advertises. */
  readonly host: number;
}

export type PasswordStyle = 'provider' | 'placeholder' | 'literal';
export const PASSWORD_STYLES: readonly PasswordStyle[] = ['provider', 'placeholder', 'literal'];

export interface Deployment {
  readonly listeners: readonly Listener[];
  readonly interBrokerListener: string;
  /**
   * The path at which a process sees an identity's directory (e.g.
   * /etc/kafka/secrets for cp-kafka); undefined: the output directory itself.
   */
  readonly mountPath?: string;
  /**
   * The folder of the base compose file (compose resolves every -f file's relative paths against it): the compose
   * block's host paths are relative to it; undefined: absolute.
   */
  readonly composeDir?: string;
  /** Namespace of the Kubernetes Secrets; none: the kubectl context's. */
  readonly namespace?: string;
  /**
   * How properties files give passwords: provider, ${file:...} references to
   * a 0600 credentials file (Kafka's FileConfigProvider); placeholder, a
   * marker to replace; literal, the password itself (the file is then 0600).
   */
  readonly passwords: PasswordStyle;
}

export const DEFAULT_DEPLOYMENT: Deployment = {
  listeners: [{ name: 'SSL', port: 9093, protocol: 'SSL', host: 0 }],
  interBrokerListener: 'SSL',
  passwords: 'provider',
};
