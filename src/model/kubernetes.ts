/**
 * What Kubernetes holds its objects to, where --emit kubernetes must meet it: the API server's rules for names,
 * Secret keys and sizes (pkg/apis/core/validation), a StatefulSet's pod names, and the paths of the Kafka images
 * the fragment is for. Pure: the plans ask, the options turn a "no" into a UsageError.
 */

/** ValidateSecret: the data's decoded bytes, summed over every key, at most 1 MiB (core.MaxSecretSize). */
export const MAX_SECRET_BYTES = 1024 * 1024;

/**
 * A StatefulSet's pods carry the label controller-revision-hash=<name>-<10-character hash>, and a label value
 * is at most 63 characters: with a longer name no pod is ever created (kubernetes/kubernetes#64023).
 */
export const MAX_STATEFULSET_NAME = 52;

/** Where cp-kafka and apache/kafka read KAFKA_SSL_*_FILENAME and KAFKA_SSL_*_CREDENTIALS (their `configure`). */
export const KAFKA_SECRETS_DIR = '/etc/kafka/secrets';

/** cp-kafka's and apache/kafka's user: appuser, uid 1000, primary group 1000. */
export const KAFKA_IMAGE_USER = { uid: 1000, gid: 1000 } as const;

/** The image the fragment names; any image whose `configure` reads the same variables will do. */
export const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.9.0';

/** The variable the downward API fills with the pod's name (metadata.name), e.g. mtls-kafka-2. */
export const POD_NAME_VAR = 'POD_NAME';
/** How a later env entry reads it: Kubernetes expands $(VAR) of earlier entries. */
export const POD_NAME_REF = `$(${POD_NAME_VAR})`;

/** IsDNS1123Subdomain: object names (a Secret's, a StatefulSet's). */
export function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name);
}

/** IsConfigMapKey: a Secret's data keys, which a Secret volume makes file names. */
export function isSecretKey(key: string): boolean {
  return key.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(key) && key !== '.' && key !== '..' && !key.startsWith('..');
}

/**
 * A literal env value, escaped for Kubernetes' expansion: $$ becomes $, and $(VAR) of an earlier entry is
 * replaced, so every $ of a literal is doubled.
 */
export function envLiteral(value: string): string {
  return value.replace(/\$/g, () => '$$');
}

/** The StatefulSet whose pods are the brokers: its name and first ordinal (spec.ordinals.start). */
export interface StatefulSetShape {
  readonly name: string;
  readonly start: number;
}

/**
 * The brokers as a StatefulSet's pods, <name>-<ordinal> with ordinals in a row, or why they are not: a pod finds
 * its own keystore by its name, so the names must be the pods'.
 */
export function statefulSetOf(aliases: readonly string[]): StatefulSetShape | { readonly problem: string } {
  const parts = aliases.map((a) => /^(.+)-(0|[1-9][0-9]*)$/.exec(a));
  const first = parts[0];
  const shown = aliases.length > 3 ? `${aliases.slice(0, 3).join(', ')}, …` : aliases.join(', ');
  const fits =
    first !== null &&
    first !== undefined &&
    parts.every((p, i) => p !== null && p[1] === first[1] && Number(p[2]) === Number(first[2]) + i);
  if (!fits)
    return {
      problem:
        "needs the brokers named as a StatefulSet's pods, <name>-<ordinal> with ordinals in a row " +
        `(a pod finds its keystore by its name), got ${shown}`,
    };
  const name = first[1]!;
  if (!isDnsSubdomain(name))
    return { problem: `makes a StatefulSet named ${JSON.stringify(name)}, which is no Kubernetes name (RFC 1123)` };
  if (name.length > MAX_STATEFULSET_NAME)
    return {
      problem:
        `makes a StatefulSet named ${name}, ${name.length} characters long: Kubernetes creates no pod for a ` +
        `StatefulSet name over ${MAX_STATEFULSET_NAME} (the controller-revision-hash label takes <name>-<hash>)`,
    };
  return { name, start: Number(first[2]) };
}
