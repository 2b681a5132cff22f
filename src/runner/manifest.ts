import type { SecretManifestAction } from './step.js';
import { quoteArg } from './command.js';

/**
 * Kubernetes Secret manifests. Names, namespaces and keys are validated by
 * the plan (DNS names, Secret key characters), so they need no YAML quoting;
 * data values are base64, which needs none either.
 */

function header(a: SecretManifestAction): string[] {
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${a.name}`,
    ...(a.namespace ? [`  namespace: ${a.namespace}`] : []),
    '  labels:',
    '    app.kubernetes.io/managed-by: kafka-mtls',
    `type: ${a.type}`,
    'data:',
  ];
}

export function renderManifest(a: SecretManifestAction, data: ReadonlyArray<readonly [string, string]>): string {
  return [...header(a), ...data.map(([k, v]) => `  ${k}: ${v}`), ''].join('\n');
}

/** The same manifest made by a shell (the --dry-run script): base64 of each file, and of each secret from its variable. */
export function describeManifest(a: SecretManifestAction): string {
  const lines = [
    ...header(a).map((l) => `echo ${quoteArg(l)}`),
    ...a.entries.map((e) =>
      'files' in e
        ? `echo "  ${e.key}: $(cat ${e.files.map(quoteArg).join(' ')} | base64 -w0)"`
        : `echo "  ${e.key}: $(printf '%s' "$${e.secretEnv}" | base64 -w0)"`,
    ),
  ];
  return `{ ${lines.join('; ')}; } > ${quoteArg(a.path)}`;
}
