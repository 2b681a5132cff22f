import type { CaSpec, Cluster, Dn } from '../model/cluster.js';
import type { Layout } from '../model/layouts.js';
import { UsageError } from '../errors.js';
import { TRUSTSTORE_ALIAS } from './confluent.js';
import { storeCheck } from './pipeline.js';
import { confluentFiles, dropInFiles, trustFiles } from '../model/layouts.js';
import { NEXT, PREVIOUS, type Phase, type State } from '../model/state.js';
import type { Plan, Step } from '../runner/step.js';
import { importTrustedCert } from '../steps/keytool.js';
import { checkCa, createCa } from '../steps/openssl.js';
import { restrictPlan } from './partial.js';
import { loadTemplate, renderTemplate } from './templates.js';
import type { ExpectedEntry } from '../pki/stores.js';

/**
 * CA rotation in three phases, each run between rolling restarts:
 *   start    a new CA (its subject differs: a generation suffix) joins every truststore beside the old one;
 *   reissue  every leaf is signed by the new CA; truststores still trust both;
 *   finish   the old CA leaves every truststore.
 * The phase reached is recorded in the state file, and a phase refuses to run out of order.
 */

const NEXT_ALIAS = 'caroot-next';
const SCRATCH = '.build';

/** Refuses a phase that does not follow the last one. */
export function checkOrder(phase: Phase, state: State): void {
  const at = state.rotation?.phase;
  const need: Record<Phase, typeof at> = { start: undefined, reissue: 'started', finish: 'reissued' };
  if (at === need[phase]) return;
  const now =
    at === undefined ? 'no rotation has started' : `the last phase run was ${at === 'started' ? 'start' : 'reissue'}`;
  const next = at === undefined ? 'start' : at === 'started' ? 'reissue' : 'finish';
  throw new UsageError(`rotate-ca ${phase}`, `cannot run now: ${now}; the next phase is rotate-ca ${next}`);
}

/** The new CA's subject: the old one with a generation suffix on its CN (Kafka-Security-CA -> … v2 -> … v3). */
export function nextSubject(dn: Dn): Dn {
  return dn.map(([k, v]) => {
    if (k !== 'CN') return [k, v] as const;
    const m = / v(\d+)$/.exec(v);
    return [k, m ? `${v.slice(0, m.index)} v${Number(m[1]) + 1}` : `${v} v2`] as const;
  });
}

/** The truststores made anew, holding exactly these CAs (alias, certificate file), and the PEM bundles of the same. */
export function trustSteps(
  storeType: Cluster['storeType'],
  cas: ReadonlyArray<readonly [string, string]>,
  files: { truststores: string[]; pems: string[] },
  passwordEnv: string,
): Step[] {
  const base = `${SCRATCH}/truststore`;
  const steps: Step[] = cas.map(([alias, cert], i) =>
    importTrustedCert({
      id: `truststore.add-${i}`,
      title: `Add ${cert} to the new truststore as ${alias.toLowerCase()}`,
      store: base,
      alias,
      cert,
      storeType,
      passwordEnv,
    }),
  );
  const entries: ExpectedEntry[] = cas.map(([alias]) => ({ alias, entryType: 'trustedCertEntry' }));
  steps.push(storeCheck('truststore.check', base, storeType, passwordEnv, entries));
  files.truststores.forEach((t, i) =>
    steps.push({
      id: `truststore.copy-${i}`,
      title: `Replace ${t}`,
      action: { kind: 'copy', from: base, to: t },
      reads: [base],
      writes: [t],
    }),
  );
  files.pems.forEach((p, i) =>
    steps.push({
      id: `pem.ca-${i}`,
      title: `Write ${p}: ${cas.map(([, c]) => c).join(' + ')}`,
      action: { kind: 'concat', from: cas.map(([, c]) => c), to: p },
      reads: cas.map(([, c]) => c),
      writes: [p],
    }),
  );
  return steps;
}

/** rotate-ca start: the new CA, and truststores that hold both. */
export function startPlan(
  state: State,
  nextCa: CaSpec,
  present: ReadonlySet<string>,
  truststorePasswordEnv: string,
): Plan {
  const config = renderTemplate(loadTemplate(state.layout === 'confluent' ? 'confluent-ca.cnf' : 'ca.cnf'), {
    ca_bits: String(nextCa.keyBits),
    dn: { lines: nextCa.subject },
  });
  const caCert = state.layout === 'confluent' ? confluentFiles.caCert : dropInFiles.caCert;
  const steps: Step[] = [
    {
      id: 'ca-next.config',
      title: `Write ${NEXT.config}`,
      action: { kind: 'write', path: NEXT.config, content: config },
      reads: [],
      writes: [NEXT.config],
    },
    {
      ...createCa({
        config: NEXT.config,
        key: NEXT.key,
        cert: NEXT.cert,
        bits: nextCa.keyBits,
        days: nextCa.validityDays,
      }),
      id: 'ca-next.create',
    },
    { ...checkCa(NEXT.cert), id: 'ca-next.check' },
    ...trustSteps(
      state.storeType,
      [
        [TRUSTSTORE_ALIAS, caCert],
        [NEXT_ALIAS, NEXT.cert],
      ],
      trustFiles(state.layout, state, present),
      truststorePasswordEnv,
    ),
  ];
  return {
    steps,
    outputs: [
      { path: NEXT.config, private: false },
      { path: NEXT.key, private: true },
      { path: NEXT.cert, private: false },
      ...trustOutputs(state, present),
    ],
    scratch: [SCRATCH],
  };
}

/** rotate-ca finish: truststores with the new CA alone, as a fresh generate makes them. */
export function finishPlan(state: State, present: ReadonlySet<string>, truststorePasswordEnv: string): Plan {
  const caCert = state.layout === 'confluent' ? confluentFiles.caCert : dropInFiles.caCert;
  return {
    steps: trustSteps(
      state.storeType,
      [[TRUSTSTORE_ALIAS, caCert]],
      trustFiles(state.layout, state, present),
      truststorePasswordEnv,
    ),
    outputs: trustOutputs(state, present),
    scratch: [SCRATCH],
  };
}

function trustOutputs(state: State, present: ReadonlySet<string>) {
  const f = trustFiles(state.layout, state, present);
  return [
    ...f.truststores.map((path) => ({ path, private: true })),
    ...f.pems.map((path) => ({ path, private: false })),
  ];
}

/**
 * rotate-ca reissue: every leaf of the full plan, signed by the new CA, which reissueMoves has put in the CA's place
 * (present: the directory's files before the moves). The truststores keep trusting both CAs. The confluent
 * layout's ca.pem holds the CA's key: it is made anew.
 */
export function reissuePlan(state: State, full: Plan, present: ReadonlySet<string>): Plan {
  const moved = new Set(present);
  for (const [from, to] of reissueMoves(state.layout)) if (moved.delete(from)) moved.add(to);
  const partial = restrictPlan(full, state, new Set(state.identities.map((i) => i.alias)), moved, skipInReissue);
  if (state.layout !== 'confluent') return partial;
  const f = confluentFiles;
  const caPem: Step = {
    id: 'ca.pem',
    title: `Write ${f.caPem}: the new CA certificate, then its key (0600)`,
    action: { kind: 'concat', from: [f.caCert, f.caKey], to: f.caPem },
    reads: [f.caCert, f.caKey],
    writes: [f.caPem],
  };
  return {
    ...partial,
    steps: [caPem, ...partial.steps],
    outputs: [...partial.outputs, { path: f.caPem, private: true }],
  };
}

/** In reissue, the full plan's truststore and CA-PEM steps are left out: the truststores keep trusting both CAs. */
const skipInReissue = (s: Step): boolean => /^truststore\.|\.truststore$|^pem\.ca/.test(s.id);

/** The file moves of reissue, before the leaves are signed: the new CA becomes ca.crt/ca.key, the old ca-previous.*. */
export function reissueMoves(layout: Layout): Array<[string, string]> {
  const f = layout === 'confluent' ? confluentFiles : dropInFiles;
  return [
    [f.caCert, PREVIOUS.cert],
    [f.caKey, PREVIOUS.key],
    [NEXT.cert, f.caCert],
    [NEXT.key, f.caKey],
    [NEXT.config, f.caConfig],
  ];
}
