/**
 * Steps carry what they are for (the identity that owns them, and their role), and apply's and rotate-ca's subsets
 * are chosen by those fields: never by the text of a step's id.
 */
import { describeStatefulSet, type Cluster, type ExternalCa, type Identity } from '../../src/model/cluster.js';
import { EMITS, layoutFiles, type Layout } from '../../src/model/layouts.js';
import { GENERATED_PASSWORDS, SHARED_PASSWORD } from '../../src/model/passwords.js';
import { NEXT, type State } from '../../src/model/state.js';
import { buildConfluentPlan } from '../../src/plans/confluent.js';
import { buildDropInPlan } from '../../src/plans/dropin.js';
import { restrictPlan } from '../../src/plans/partial.js';
import { reissuePlan } from '../../src/plans/rotate-ca.js';
import type { Plan, Step } from '../../src/runner/step.js';
import { SCRIPT_PARAMS } from '../helpers/script-params.js';

/** Eleven brokers (broker-1 and broker-10) and two clients (client and client-1): ids that begin alike. */
const base = describeStatefulSet({ ...SCRIPT_PARAMS, brokers: 11 });
const client = base.identities.find((i) => i.role === 'client')!;
const cluster: Cluster = {
  ...base,
  identities: [...base.identities, { ...client, id: 'client-1', alias: `${client.alias}-1` }],
};
const who = (id: string): Identity => cluster.identities.find((i) => i.id === id)!;

const ownCa: ExternalCa = {
  cert: '/keys/ca.crt',
  chain: '/keys/chain.pem',
  subject: 'CN=Your CA',
  certPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
  chainPems: ['-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----'],
  key: '/keys/ca.key',
  keyEncrypted: true,
};

const build = (layout: Layout, c: Cluster, generated: boolean, emit: readonly string[] = EMITS): Plan =>
  (layout === 'confluent' ? buildConfluentPlan : buildDropInPlan)(c, {
    emit: emit as typeof EMITS,
    passwords: generated ? GENERATED_PASSWORDS : SHARED_PASSWORD,
  });

const CASES = (['dropin', 'confluent'] as const).flatMap((layout) =>
  [false, true].flatMap((generated) => [false, true].map((own) => [layout, generated, own] as const)),
);

/** Every file an identity's steps make: the layout's own files of it, and those in its directory. */
function isOwnFile(layout: Layout, id: Identity, file: string): boolean {
  const owned = layoutFiles(layout).owned(id);
  return owned.includes(file) || owned.some((d) => file.startsWith(`${d}/`));
}

describe.each(CASES)('the %s plan (generated passwords: %s, your own CA: %s)', (layout, generated, own) => {
  const c: Cluster = own ? { ...cluster, ca: { ...cluster.ca, external: ownCa } } : cluster;
  const plan = build(layout, c, generated);
  const ids = new Set(c.identities.map((i) => i.id));

  test('every step has a role, and an owner only when it is one of the identities', () => {
    expect(plan.steps.filter((s) => typeof s.role !== 'string')).toEqual([]);
    expect(plan.steps.filter((s) => s.owner !== undefined && !ids.has(s.owner)).map((s) => s.id)).toEqual([]);
    // No owner field at all where there is none: a JSON copy of the step says the same.
    expect(plan.steps.filter((s) => 'owner' in s && s.owner === undefined).map((s) => s.id)).toEqual([]);
  });

  test("every step that writes an identity's files is owned by that identity, and none other's", () => {
    for (const i of c.identities) {
      const writers = plan.steps.filter((s) => s.writes.some((f) => isOwnFile(layout, i, f)));
      expect(writers.length).toBeGreaterThan(0);
      expect(writers.filter((s) => s.owner !== i.id).map((s) => s.id)).toEqual([]);
    }
  });

  test("each identity's pipeline carries its owner, one role per stage", () => {
    for (const i of c.identities) {
      const roles = new Set(plan.steps.filter((s) => s.owner === i.id).map((s) => s.role));
      for (const r of ['config', 'request', 'sign', 'verify', 'bundle', 'keystore', 'keystore-check'] as const)
        expect([i.id, r, roles.has(r)]).toEqual([i.id, r, true]);
    }
  });

  test("the CA's files are made by steps of role ca, which no identity owns", () => {
    const files = layoutFiles(layout);
    const caWriters = plan.steps.filter((s) => s.writes.includes(files.caCert) || s.writes.includes(files.caKey));
    expect(caWriters.map((s) => [s.role, s.owner])).toEqual(caWriters.map(() => ['ca', undefined]));
    expect(plan.steps.filter((s) => s.role === 'ca' && s.owner !== undefined)).toEqual([]);
  });
});

/** The directory a plan made, less the files of the identities to (re)issue: what an apply finds. */
function presentWithout(plan: Plan, layout: Layout, ids: readonly Identity[]): Set<string> {
  const written = plan.steps.flatMap((s) => s.writes);
  return new Set(
    [...plan.outputs.map((o) => o.path), ...written].filter((f) => !ids.some((i) => isOwnFile(layout, i, f))),
  );
}

const ownersOf = (steps: readonly Step[]) => [...new Set(steps.flatMap((s) => (s.owner ? [s.owner] : [])))].sort();

describe.each(['dropin', 'confluent'] as const)('restrictPlan, %s layout', (layout) => {
  test.each([
    ['broker-1', 'broker-10'],
    ['broker-10', 'broker-1'],
    ['client', 'client-1'],
    ['client-1', 'client'],
  ])('issuing %s alone runs every step of its own and none of %s', (id, alike) => {
    for (const generated of [false, true]) {
      const plan = build(layout, cluster, generated);
      const part = restrictPlan(plan, cluster, new Set([who(id).alias]), presentWithout(plan, layout, [who(id)]));
      expect(ownersOf(part.steps)).toEqual([id]);
      expect(part.steps.filter((s) => s.owner === alike)).toEqual([]);
      const own = plan.steps.filter((s) => s.owner === id).map((s) => s.id);
      expect(part.steps.filter((s) => s.owner === id).map((s) => s.id)).toEqual(own);
      expect(part.steps.filter((s) => s.role === 'ca')).toEqual([]);
    }
  });

  test('picks the same steps whatever the identities’ ids spell (ids that read like shared steps included)', () => {
    // Each id the start of a shared step's id, or the end of one: text matching took those steps for theirs.
    // The drop-in's broker ids name its ext<i>.cnf files: there, the clients are renamed.
    const spelled =
      layout === 'confluent'
        ? ['stores', 'truststore', 'pem', 'credentials', 'k8s', 'compose', 'principals']
        : ['truststore', 'pem'];
    const renamable = cluster.identities.filter((i) => layout === 'confluent' || i.role === 'client');
    const renamed: Cluster = {
      ...cluster,
      identities: cluster.identities.map((i) => {
        const n = renamable.indexOf(i);
        return n >= 0 && n < spelled.length ? { ...i, id: spelled[n]! } : i;
      }),
    };
    const back = new Map(renamed.identities.map((i, n) => [i.id, cluster.identities[n]!.id]));
    for (const generated of [false, true]) {
      for (const n of [0, 1, 11]) {
        const picked = (c: Cluster) => {
          const plan = build(layout, c, generated);
          const target = c.identities[n]!;
          const part = restrictPlan(plan, c, new Set([target.alias]), presentWithout(plan, layout, [target]));
          return part.steps.map((s) => `${s.role} ${s.owner === undefined ? '-' : (back.get(s.owner) ?? s.owner)}`);
        };
        expect(picked(renamed)).toEqual(picked(cluster));
      }
    }
  });
});

describe.each(['dropin', 'confluent'] as const)('rotate-ca reissue, %s layout', (layout) => {
  test('signs every leaf again and leaves every truststore and trusted-CA file as it is', () => {
    const state = { layout, identities: cluster.identities } as unknown as State;
    const full = build(layout, cluster, false);
    // What rotate-ca start left: the directory and the next CA beside its CA.
    const present = new Set([...full.outputs.map((o) => o.path), NEXT.cert, NEXT.key, NEXT.config]);
    const plan = reissuePlan(state, full, present);
    const roles = new Set(plan.steps.map((s) => s.role));
    for (const r of ['truststore', 'truststore-check', 'trusted-pem', 'ca'] as const)
      expect([r, roles.has(r)]).toEqual([r, false]);
    const signed = plan.steps.filter((s) => s.role === 'sign').map((s) => s.owner);
    expect(signed).toEqual(cluster.identities.map((i) => i.id));
  });
});
