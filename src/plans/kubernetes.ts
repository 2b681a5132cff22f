import { posix } from 'node:path';
import { Document, isMap, isSeq, type Node } from 'yaml';
import type { Identity } from '../model/cluster.js';
import { emitFiles } from '../model/layouts.js';
import {
  envLiteral,
  isDnsSubdomain,
  isSecretKey,
  KAFKA_IMAGE,
  KAFKA_IMAGE_USER,
  KAFKA_SECRETS_DIR,
  POD_NAME_REF,
  POD_NAME_VAR,
  statefulSetOf,
  type StatefulSetShape,
} from '../model/kubernetes.js';
import { purposeOf, type ManifestEntry, type Step, type StepPurpose } from '../runner/step.js';
import type { Emitting } from './emitting.js';
import { cpKafkaEnv, hostOf, listenerLines, superUsersLine } from './settings.js';

/**
 * --emit kubernetes: what a StatefulSet mounts as it is deployed. One pod template cannot name a Secret per pod,
 * so every broker's keystore is in one Secret, mounted whole, and each pod picks its own files by its name
 * (the downward API's metadata.name, as mtls-kafka.sh's one directory of mtls-kafka-<i>.keystore.jks is used);
 * a Secret per client. --emit kubernetes-per-broker: a Secret pair per broker and client, as before.
 */

const base = posix.basename;

/** A Secret manifest step; its name and keys checked against the API server's rules, which the plan guarantees. */
function manifestStep(
  id: string,
  purpose: StepPurpose,
  path: string,
  title: string,
  secret: { name: string; namespace?: string; type: 'Opaque' | 'kubernetes.io/tls'; comment?: string },
  entries: readonly ManifestEntry[],
): Step {
  const keys = entries.map((x) => x.key);
  const bad = keys.find((k, i) => !isSecretKey(k) || keys.indexOf(k) !== i);
  if (!isDnsSubdomain(secret.name) || bad !== undefined)
    throw new Error(`Secret ${secret.name}: no valid Kubernetes object (key ${String(bad)})`);
  return {
    id,
    ...purposeOf(purpose),
    title: `Write ${path}: ${title} (0600)`,
    action: { kind: 'secret-manifest', path, ...secret, entries },
    reads: [...new Set(entries.flatMap((x) => ('files' in x ? x.files : [])))],
    writes: [path],
  };
}

/** An identity's stores and their passwords: a client's Secret with --emit kubernetes, every identity's before. */
function storesSecret(e: Emitting, who: Identity): void {
  const f = e.layout.files(who);
  const pws = e.ctx.passwords;
  const { stores } = emitFiles.kubernetes(who);
  const name = `${who.alias}-stores`;
  e.out.secret(
    manifestStep(
      `${who.id}.k8s-stores`,
      { owner: who.id, role: 'output' },
      stores,
      `Secret ${name} with the keystore, truststore and their passwords`,
      { name, namespace: e.ctx.deployment.namespace, type: 'Opaque' },
      [
        { key: base(f.keystore), files: [f.keystore] },
        { key: base(f.truststore), files: [f.truststore] },
        { key: 'keystore.password', secretEnv: pws.keystore(who) },
        { key: 'key.password', secretEnv: pws.keystore(who) },
        { key: 'truststore.password', secretEnv: pws.truststore },
      ],
    ),
  );
}

/** An identity's PEM files as a kubernetes.io/tls Secret (--emit kubernetes-per-broker). */
function tlsSecret(e: Emitting, who: Identity): void {
  const f = e.layout.files(who);
  const { tls } = emitFiles.kubernetes(who);
  const name = `${who.alias}-tls`;
  e.out.secret(
    manifestStep(
      `${who.id}.k8s-tls`,
      { owner: who.id, role: 'output' },
      tls,
      `Secret ${name} with tls.crt (chain), tls.key (PKCS#8) and ca.crt${
        e.layout.trusted.length > 1 ? ` (${e.layout.trusted.join(' + ')})` : ''
      }`,
      { name, namespace: e.ctx.deployment.namespace, type: 'kubernetes.io/tls' },
      [
        { key: 'tls.crt', files: [f.cert, ...e.layout.chain] },
        { key: 'tls.key', files: [f.key] },
        { key: 'ca.crt', files: [...e.layout.trusted] },
      ],
    ),
  );
}

export function emitKubernetesPerBroker(e: Emitting): void {
  for (const who of e.cluster.identities) {
    storesSecret(e, who);
    tlsSecret(e, who);
  }
}

export function emitKubernetes(e: Emitting): void {
  const shape = statefulSetOf(e.brokers.map((b) => b.alias));
  // parseRunOptions refuses such brokers with --emit kubernetes, naming the option.
  if ('problem' in shape) throw new Error(`--emit kubernetes ${shape.problem}`);
  const files = emitFiles.kubernetesBrokers(shape.name);
  const secretName = `${shape.name}-brokers`;
  e.out.secret(brokersSecret(e, secretName, files));
  for (const who of e.clients) storesSecret(e, who);
  e.out.write(
    'k8s.statefulset',
    { role: 'output' },
    files.statefulSet,
    `StatefulSet ${shape.name}: the Secret ${secretName} mounted whole, each pod picking its keystore by its name`,
    statefulSetYaml(e, shape, secretName, files.secret),
  );
}

/** Every broker's keystore and cp-kafka credentials files, and the truststore(s): never the CA's key. */
function brokersSecret(e: Emitting, name: string, files: { secret: string; statefulSet: string }): Step {
  const pws = e.ctx.passwords;
  const entries: ManifestEntry[] = [];
  const truststores = new Map<string, string>();
  for (const who of e.brokers) {
    const f = e.layout.files(who);
    truststores.set(base(f.truststore), f.truststore);
    entries.push(
      { key: base(f.keystore), files: [f.keystore] },
      { key: base(f.creds.keystore), secretEnv: pws.keystore(who) },
      { key: base(f.creds.key), secretEnv: pws.keystore(who) },
      { key: base(f.creds.truststore), secretEnv: pws.truststore },
    );
  }
  for (const [key, file] of truststores) entries.push({ key, files: [file] });
  const count = e.brokers.length;
  return manifestStep(
    'k8s.brokers',
    { role: 'output' },
    files.secret,
    `Secret ${name} with the ${count} brokers' keystores, the truststore and their credentials files`,
    {
      name,
      namespace: e.ctx.deployment.namespace,
      type: 'Opaque',
      comment:
        ` Every broker's keystore, the truststore and their cp-kafka credentials files, written by kafka-mtls;\n` +
        ` mounted whole at ${KAFKA_SECRETS_DIR} by ${files.statefulSet}, where each pod picks its own by its name.`,
    },
    entries,
  );
}

/** Stands for the pod's name while a value is built; becomes $(POD_NAME) once the literal parts are escaped. */
const POD = '\u0000pod\u0000';
const podValue = (v: string) => envLiteral(v).split(POD).join(POD_NAME_REF);

/** The broker files' names, with the pod's name in place of the broker's; each broker's own checked to follow. */
function podFiles(e: Emitting) {
  const names = (who: Identity) => {
    const f = e.layout.files(who);
    return {
      keystore: base(f.keystore),
      keystoreCreds: base(f.creds.keystore),
      keyCreds: base(f.creds.key),
      truststore: base(f.truststore),
      truststoreCreds: base(f.creds.truststore),
    };
  };
  const pod = names({ ...e.brokers[0]!, alias: POD });
  for (const who of e.brokers) {
    const own = names(who);
    const kind = (Object.keys(pod) as Array<keyof typeof pod>).find(
      (k) => pod[k].split(POD).join(who.alias) !== own[k],
    );
    if (kind) throw new Error(`${who.alias}'s ${kind} is not named after it: ${own[kind]}`);
  }
  return pod;
}

/**
 * advertised.listeners with the pod's name for the broker's: each listener's host must be the broker's name
 * followed by the same text for every broker (mtls-kafka-0.mtls-kafka-headless…); undefined when one is not.
 */
function podAdvertisedListeners(e: Emitting): string | undefined {
  const d = e.ctx.deployment;
  const parts = d.listeners.map((l) => {
    const rests = e.brokers.map((b) => {
      const host = hostOf(b, l);
      return host.startsWith(b.alias) ? host.slice(b.alias.length) : undefined;
    });
    const rest = rests[0];
    return rest !== undefined && rests.every((r) => r === rest) ? `${l.name}://${POD}${rest}:${l.port}` : undefined;
  });
  return parts.every((p) => p !== undefined) ? parts.join(',') : undefined;
}

/** The headless Service the brokers' names are under (<pod>.<service>.<namespace>…), when every broker says one. */
function headlessServiceOf(brokers: readonly Identity[]): string | undefined {
  const services = brokers.map((b) =>
    b.sans
      .filter((s) => s.kind === 'DNS' && s.value.startsWith(`${b.alias}.`))
      .map((s) => s.value.slice(b.alias.length + 1).split('.')[0]!)
      .find((label) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(label)),
  );
  return services.every((s) => s !== undefined && s === services[0]) ? services[0] : undefined;
}

function statefulSetYaml(e: Emitting, shape: StatefulSetShape, secretName: string, secretFile: string): string {
  // Only the advertised listeners name a host; the others are the same for every broker.
  const advertised = podAdvertisedListeners(e);
  const withPod = { ...listenerLines(e.brokers[0]!, e.ctx.deployment), 'advertised.listeners': advertised };
  const kafkaEnv = cpKafkaEnv(withPod, podFiles(e), e.layout.storeType, superUsersLine(e.cluster));
  const service = headlessServiceOf(e.brokers);
  const labels = { 'app.kubernetes.io/name': shape.name };
  const volume = 'kafka-mtls-brokers';
  const object = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name: shape.name,
      ...(e.ctx.deployment.namespace ? { namespace: e.ctx.deployment.namespace } : {}),
      labels: { ...labels, 'app.kubernetes.io/managed-by': 'kafka-mtls' },
    },
    spec: {
      ...(service ? { serviceName: service } : {}),
      replicas: e.brokers.length,
      ...(shape.start !== 0 ? { ordinals: { start: shape.start } } : {}),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { fsGroup: KAFKA_IMAGE_USER.gid },
          containers: [
            {
              name: 'kafka',
              image: KAFKA_IMAGE,
              env: [
                { name: POD_NAME_VAR, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                ...kafkaEnv.map(([name, value]) => ({ name, value: podValue(value) })),
              ],
              volumeMounts: [{ name: volume, mountPath: KAFKA_SECRETS_DIR, readOnly: true }],
            },
          ],
          volumes: [{ name: volume, secret: { secretName, defaultMode: 0o440 } }],
        },
      },
    },
  };
  // Each object written out where it stands: no YAML anchors for the labels given twice.
  const doc = new Document(object, { aliasDuplicateObjects: false });
  doc.commentBefore = [
    ` StatefulSet ${shape.name}'s TLS, written by kafka-mtls:`,
    ` the Secret ${secretName} (${secretFile}) mounted whole at ${KAFKA_SECRETS_DIR},`,
    ` and the environment with which each pod (${shape.name}-<ordinal>) picks its own keystore and credentials`,
    ' files by its name: the downward API gives metadata.name to POD_NAME, and Kubernetes expands $(POD_NAME)',
    ' in the entries after it.',
    ' kubectl apply -f takes it as it is. Merge its env, volumeMounts, volumes and securityContext into your',
    " StatefulSet, with your broker's own settings (KRaft or ZooKeeper, storage, ports).",
  ].join('\n');
  const tpl = ['spec', 'template', 'spec'];
  commentOn(
    doc,
    [...tpl, 'securityContext', 'fsGroup'],
    [
      ` cp-kafka and apache/kafka run as appuser (uid ${KAFKA_IMAGE_USER.uid}, gid ${KAFKA_IMAGE_USER.gid}): it reads`,
      " the Secret's files by their group, which fsGroup sets, mode 0440.",
    ],
  );
  commentOn(doc, [...tpl, 'volumes', 0, 'secret', 'defaultMode'], [' 0440, as a decimal: JSON has no octal']);
  if (advertised === undefined)
    commentOn(
      doc,
      [...tpl, 'containers', 0, 'env'],
      [' KAFKA_ADVERTISED_LISTENERS is yours to set: not every broker host name starts with its pod name.'],
    );
  return doc.toString({ lineWidth: 0 });
}

/** A comment before the node at path: on its key, for a map's entry. */
function commentOn(doc: Document, path: ReadonlyArray<string | number>, lines: readonly string[]): void {
  const parent = doc.getIn(path.slice(0, -1), true) as Node | undefined;
  const last = path[path.length - 1]!;
  const text = lines.join('\n');
  if (isMap(parent)) {
    const pair = parent.items.find((p) => (p.key as { value?: unknown }).value === last);
    if (pair) (pair.key as Node).commentBefore = text;
  } else if (isSeq(parent)) {
    const item = parent.items[last as number] as Node | undefined;
    if (item) item.commentBefore = text;
  }
}
