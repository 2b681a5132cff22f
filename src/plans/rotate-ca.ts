import type { CaSpec, Cluster, Dn, Identity } from '../model/cluster.js';
import type { Layout } from '../model/layouts.js';
import { UsageError } from '../errors.js';
import { TRUSTSTORE_ALIAS } from './confluent.js';
import { storeCheck } from './pipeline.js';
import { confluentFiles, dropInFiles, trustFiles } from '../model/layouts.js';
import { NEXT, PREVIOUS, type Phase, type State } from '../model/state.js';
import type { StorePasswords } from '../model/passwords.js';
import type { OutputFile, Plan, Step, StepRole } from '../runner/step.js';
import { exportKeyEntry, importTrustedCert } from '../steps/keytool.js';
import { checkCa, createCa, extractPkcs12Key } from '../steps/openssl.js';
import { dropInScratchKey } from './dropin.js';
import { restrictPlan } from './partial.js';
import { renderCaConfig } from './templates.js';
import type { ExpectedEntry } from '../pki/stores.js';

/**
 * CA rotation in three phases, each run between rolling restarts:
 *   start    a new CA (its subject differs: a generation suffix) joins every truststore beside the old one;
 *   reissue  every leaf is signed by the new CA; truststores still trust both;
 *   finish   the old CA leaves every truststore.
 * The phase reached is recorded in the state file, and a phase refuses to run out of order.
 * Each phase also makes again every emitted file that embeds the truststores or the trusted CAs (the Secrets), so
 * that what a rolling restart mounts trusts what the directory's truststores trust.
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
      role: 'truststore',
      title: `Add ${cert} to the new truststore as ${alias.toLowerCase()}`,
      store: base,
      alias,
      cert,
      storeType,
      passwordEnv,
    }),
  );
  const entries: ExpectedEntry[] = cas.map(([alias]) => ({ alias, entryType: 'trustedCertEntry' }));
  steps.push(storeCheck('truststore.check', { role: 'truststore-check' }, base, storeType, passwordEnv, entries));
  files.truststores.forEach((t, i) =>
    steps.push({
      id: `truststore.copy-${i}`,
      role: 'truststore',
      title: `Replace ${t}`,
      action: { kind: 'copy', from: base, to: t },
      reads: [base],
      writes: [t],
    }),
  );
  files.pems.forEach((p, i) =>
    steps.push({
      id: `pem.ca-${i}`,
      role: 'trusted-pem',
      title: `Write ${p}: ${cas.map(([, c]) => c).join(' + ')}`,
      action: { kind: 'concat', from: cas.map(([, c]) => c), to: p },
      reads: cas.map(([, c]) => c),
      writes: [p],
    }),
  );
  return steps;
}

/** The CA files clients trust in each phase, in the order truststores and ca.pem hold them (full plans' `trusted`). */
export function trustedIn(phase: Phase, layout: Layout): string[] {
  const caCert = layout === 'confluent' ? confluentFiles.caCert : dropInFiles.caCert;
  if (phase === 'start') return [caCert, NEXT.cert];
  // reissueMoves has put the old CA at PREVIOUS.cert and the new one at caCert.
  if (phase === 'reissue') return [PREVIOUS.cert, caCert];
  return [caCert];
}

/**
 * rotate-ca start: the new CA, and truststores that hold both; then every Secret made again from the full plan
 * (built with trusted = both CAs), which embeds the truststores and the trusted CAs.
 */
export function startPlan(
  state: State,
  nextCa: CaSpec,
  present: ReadonlySet<string>,
  passwords: StorePasswords,
  full: Plan,
): Plan {
  const truststorePasswordEnv = passwords.truststore;
  const config = renderCaConfig(state.layout === 'confluent' ? 'confluent-ca.cnf' : 'ca.cnf', nextCa);
  const caCert = state.layout === 'confluent' ? confluentFiles.caCert : dropInFiles.caCert;
  const steps: Step[] = [
    {
      id: 'ca-next.config',
      role: 'ca',
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
        keySpec: nextCa,
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
  const written = new Set([...present, NEXT.cert, ...steps.flatMap((st) => st.writes)]);
  const embedded = embeddedTrustSteps(state, full, written, passwords);
  return {
    steps: [...steps, ...embedded.steps],
    outputs: [
      { path: NEXT.config, private: false },
      { path: NEXT.key, private: true },
      { path: NEXT.cert, private: false },
      ...trustOutputs(state, present),
      ...embedded.outputs,
    ],
    scratch: [SCRATCH],
  };
}

/** rotate-ca finish: truststores with the new CA alone, as a fresh generate makes them; the Secrets made again. */
export function finishPlan(state: State, present: ReadonlySet<string>, passwords: StorePasswords, full: Plan): Plan {
  const caCert = state.layout === 'confluent' ? confluentFiles.caCert : dropInFiles.caCert;
  const steps = trustSteps(
    state.storeType,
    [[TRUSTSTORE_ALIAS, caCert]],
    trustFiles(state.layout, state, present),
    passwords.truststore,
  );
  const embedded = embeddedTrustSteps(
    state,
    full,
    new Set([...present, ...steps.flatMap((st) => st.writes)]),
    passwords,
  );
  return {
    steps: [...steps, ...embedded.steps],
    outputs: [...trustOutputs(state, present), ...embedded.outputs],
    scratch: [SCRATCH],
  };
}

/**
 * The emitted files that embed a truststore or the trusted CAs, taken from the full plan: every Secret of
 * --emit kubernetes and kubernetes-per-broker (keystores, truststores, a tls Secret's ca.crt). --emit pem's ca.pem
 * files are trustSteps' pems. A leaf's chain (.chain.pem, tls.crt) ends at the signing CA, which start and finish
 * leave as it is. The drop-in layout keeps no unencrypted leaf key, so a tls Secret's tls.key is read back from the
 * keystore into the scratch directory first.
 */
export function embeddedTrustSteps(
  state: State,
  full: Plan,
  available: ReadonlySet<string>,
  passwords: StorePasswords,
): { steps: Step[]; outputs: OutputFile[] } {
  const steps: Step[] = [];
  const outputs: OutputFile[] = [];
  const have = new Set(available);
  for (const s of full.steps) {
    if (s.action.kind !== 'secret-manifest') continue;
    for (const r of s.reads) {
      if (have.has(r)) continue;
      const who = state.layout === 'dropin' ? state.identities.find((i) => dropInScratchKey(i) === r) : undefined;
      // A bug, not the user's: every file a Secret reads is in the directory or made above.
      if (!who) throw new Error(`${s.id} reads ${r}, which rotate-ca does not make`);
      steps.push(...leafKeySteps(who, r, passwords.keystore(who)));
      have.add(r);
    }
    steps.push(s);
    outputs.push(...s.writes.map((path) => ({ path, private: true })));
  }
  return { steps, outputs };
}

/** A drop-in leaf's unencrypted key, read back from its keystore into the scratch directory. */
function leafKeySteps(who: Identity, key: string, passwordEnv: string): Step[] {
  const p12 = `${SCRATCH}/${who.alias}.export.p12`;
  return [
    exportKeyEntry({
      id: `${who.id}.key-export`,
      owner: who.id,
      alias: who.alias,
      store: dropInFiles.keystore(who),
      out: p12,
      passwordEnv,
    }),
    ...extractPkcs12Key({
      id: `${who.id}.key-read`,
      owner: who.id,
      alias: who.alias,
      p12,
      bag: `${SCRATCH}/${who.alias}.key-bag.pem`,
      out: key,
      passwordEnv,
    }),
  ];
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
    role: 'ca-pem',
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
const TRUST_ROLES: ReadonlySet<StepRole> = new Set<StepRole>(['truststore', 'truststore-check', 'trusted-pem']);
const skipInReissue = (s: Step): boolean => TRUST_ROLES.has(s.role);

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
