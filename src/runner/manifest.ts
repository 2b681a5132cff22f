import { Document, Scalar } from 'yaml';
import { MAX_SECRET_BYTES } from '../model/kubernetes.js';
import type { SecretManifestAction } from './step.js';
import { quoteArg } from './command.js';

/**
 * Kubernetes Secret manifests, written by the yaml package. Names, namespaces and keys are validated by the plan
 * (plans/kubernetes.ts); every data key and value is double-quoted, so no value is read as a number or a bool.
 * The --dry-run script writes the same bytes with a shell (describeManifest).
 */

/** More than the API server takes: it refuses a Secret whose data's decoded bytes exceed 1 MiB. */
export class SecretTooLargeError extends Error {
  constructor(
    readonly secret: string,
    readonly bytes: number,
  ) {
    super(
      `Secret ${secret} would hold ${bytes} bytes of data, over the ${MAX_SECRET_BYTES} (1 MiB) ` +
        'the Kubernetes API server accepts in one Secret',
    );
    this.name = 'SecretTooLargeError';
  }
}

export const SECRET_TOO_LARGE_HINT =
  '--emit kubernetes-per-broker writes a Secret per broker and client instead; or fewer brokers per cluster.';

const quoted = (v: string) => Object.assign(new Scalar(v), { type: Scalar.QUOTE_DOUBLE });

/** The manifest, given each entry's data as base64; refuses data over the API server's limit. */
export function renderManifest(a: SecretManifestAction, data: ReadonlyArray<readonly [string, Buffer]>): string {
  const bytes = data.reduce((n, [, v]) => n + v.length, 0);
  if (bytes > MAX_SECRET_BYTES) throw new SecretTooLargeError(a.name, bytes);
  const doc = headerDoc(a);
  const map = doc.createNode({});
  for (const [k, v] of data) map.add(doc.createPair(quoted(k), quoted(v.toString('base64'))));
  doc.set('data', map);
  return doc.toString({ lineWidth: 0 });
}

/** Everything but the data: the text the manifest starts with. */
function headerDoc(a: SecretManifestAction): Document {
  const doc = new Document({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: a.name,
      ...(a.namespace ? { namespace: a.namespace } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'kafka-mtls' },
    },
    type: a.type,
  });
  if (a.comment) doc.commentBefore = a.comment;
  return doc;
}

/**
 * The same manifest made by a shell (the --dry-run script): the yaml package's text up to `data:`, then each
 * entry as it writes one, base64 of each file, and of each secret from its variable; the same size check first.
 */
export function describeManifest(a: SecretManifestAction): string {
  const head = headerDoc(a).toString({ lineWidth: 0 });
  const files = a.entries.flatMap((e) => ('files' in e ? e.files : []));
  const secrets = a.entries.flatMap((e) => ('secretEnv' in e ? [`"$${e.secretEnv}"`] : []));
  const sizes = [
    ...(files.length ? [`$(cat ${files.map(quoteArg).join(' ')} | wc -c)`] : []),
    ...(secrets.length ? [`$(printf '%s' ${secrets.join(' ')} | wc -c)`] : []),
  ];
  const tooLarge = `error: Secret ${a.name} would hold more than ${MAX_SECRET_BYTES} bytes (1 MiB) of data`;
  const check = `if (( ${sizes.join(' + ')} > ${MAX_SECRET_BYTES} )); then echo ${quoteArg(tooLarge)} >&2; exit 1; fi`;
  const lines = [
    `printf '%s' ${quoteArg(head)}`,
    "echo 'data:'",
    ...a.entries.map((e) =>
      'files' in e
        ? `echo "  \\"${e.key}\\": \\"$(cat ${e.files.map(quoteArg).join(' ')} | base64 -w0)\\""`
        : `echo "  \\"${e.key}\\": \\"$(printf '%s' "$${e.secretEnv}" | base64 -w0)\\""`,
    ),
  ];
  return `${check}; { ${lines.join('; ')}; } > ${quoteArg(a.path)}`;
}
