/** generate's plan, pure: validated parameters and the store type to use → the cluster, its plan, its passwords. */
import { describeStatefulSet, type Cluster, type StoreType } from '../model/cluster.js';
import { GENERATED_PASSWORDS, generateSecrets, SHARED_PASSWORD } from '../model/passwords.js';
import type { RunParams } from '../options/params.js';
import type { SecretEnv } from '../secrets.js';
import type { Plan } from '../runner/step.js';
import { buildConfluentPlan } from './confluent.js';
import { buildDropInPlan } from './dropin.js';

/** The layout's plan for a cluster. */
export function buildPlan(
  params: Pick<RunParams, 'layout' | 'emit' | 'out' | 'deployment' | 'generatePasswords'>,
  cluster: Cluster,
  ca: { readonly v1Ca?: boolean; readonly trusted?: readonly string[] } = {},
): Plan {
  const build = params.layout === 'confluent' ? buildConfluentPlan : buildDropInPlan;
  const passwords = params.generatePasswords ? GENERATED_PASSWORDS : SHARED_PASSWORD;
  const { emit, out: outDir, deployment } = params;
  return build(cluster, { emit, outDir, deployment, passwords, v1Ca: ca.v1Ca, trusted: ca.trusted });
}

export interface PlannedRun {
  readonly params: RunParams;
  readonly cluster: Cluster;
  readonly plan: Plan;
  /** The generated store passwords, by variable (--generate-passwords); else empty. */
  readonly secrets: SecretEnv;
}

/**
 * The cluster the parameters describe (the config file's, or the StatefulSet of the flags), signed by your own CA
 * when one is given, and its plan. `storeType` replaces 'auto' once the JDK's default is known.
 */
export function planCluster(given: RunParams, storeType: StoreType): PlannedRun {
  const params = { ...given, storeType };
  const described: Cluster = params.configCluster
    ? { ...params.configCluster, storeType }
    : describeStatefulSet(params);
  const cluster: Cluster = params.externalCa
    ? { ...described, ca: { ...described.ca, external: params.externalCa } }
    : described;
  const secrets = params.generatePasswords ? generateSecrets(cluster.identities) : {};
  return { params, cluster, plan: buildPlan(given, cluster), secrets };
}
