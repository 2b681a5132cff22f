import type { Cluster } from '../model/cluster.js';
import type { OutputFile, Plan, Step, StepRole } from '../runner/step.js';

/**
 * The part of a full plan that an apply runs in a copy of the existing
 * directory: the steps of the identities to create or reissue, and the
 * shared files that depend on the set of identities (principals, compose),
 * but never the CA's creation; kept identities' files are not touched.
 * Steps are picked by what they are for (their owner and role), never by the text of their ids.
 */

/** Shared steps that make a file from the CA alone: kept when the file is there, made again when it is missing. */
const FROM_THE_CA: ReadonlySet<StepRole> = new Set<StepRole>(['ca-pem', 'truststore']);

export function restrictPlan(
  plan: Plan,
  cluster: Cluster,
  only: ReadonlySet<string>,
  present: ReadonlySet<string>,
  skip: (s: Step) => boolean = () => false,
  remake: ReadonlySet<string> = new Set(),
): Plan {
  const others = new Set(cluster.identities.filter((i) => !only.has(i.alias)).map((i) => i.id));
  const ofOther = (s: Step) => s.owner !== undefined && others.has(s.owner);
  // A kept identity's file made from the CA or the password alone (plans/diff.ts's recreate), to be made again.
  const remade = (s: Step) => s.writes.length > 0 && s.writes.every((f) => remake.has(f));
  const written = new Set<string>();
  const steps: Step[] = [];
  for (const s of plan.steps) {
    // An apply keeps the CA it has.
    if (s.role === 'ca' || skip(s)) continue;
    // The drop-in's truststores are files of the output: kept. The confluent layout's is a scratch file: made again.
    const shared = s.owner === undefined && FROM_THE_CA.has(s.role);
    if (shared ? s.writes.every((f) => present.has(f)) : ofOther(s) && !remade(s)) continue;
    if (!s.reads.every((f) => present.has(f) || written.has(f))) continue;
    steps.push(s);
    for (const f of s.writes) written.add(f);
  }
  const outputs: OutputFile[] = plan.outputs.filter((o) => written.has(o.path));
  return { ...plan, steps, outputs };
}
