/** Both layouts' plans from the one identity pipeline: every file written once, the credentials files named once. */
import { describeStatefulSet, type Cluster } from '../../src/model/cluster.js';
import { EMITS, layoutFiles, type Layout } from '../../src/model/layouts.js';
import { GENERATED_PASSWORDS, SHARED_PASSWORD } from '../../src/model/passwords.js';
import { buildConfluentPlan } from '../../src/plans/confluent.js';
import { buildDropInPlan } from '../../src/plans/dropin.js';
import { planInputs, type Plan } from '../../src/runner/step.js';
import { SCRIPT_PARAMS } from '../helpers/script-params.js';

const cluster = describeStatefulSet(SCRIPT_PARAMS);
const build = (layout: Layout, c: Cluster, generated: boolean, emit: readonly string[]): Plan =>
  (layout === 'confluent' ? buildConfluentPlan : buildDropInPlan)(c, {
    emit: emit as typeof EMITS,
    passwords: generated ? GENERATED_PASSWORDS : SHARED_PASSWORD,
  });

const CASES = (['dropin', 'confluent'] as const).flatMap((layout) =>
  [false, true].flatMap((generated) =>
    [[], ['compose'], EMITS].map((emit) => [layout, generated, emit.join(',') || 'none'] as const),
  ),
);

describe.each(CASES)('the %s plan (generated passwords: %s, --emit %s)', (layout, generated, emits) => {
  const emit = emits === 'none' ? [] : emits.split(',');
  const plan = build(layout, cluster, generated, emit);

  test('no file is written whole by two steps, and no two steps share an id', () => {
    // keytool adds to a keystore that a copy started: that is one file made in two steps, not written twice.
    const whole = plan.steps.filter((s) =>
      ['write', 'write-secret', 'secret-manifest', 'concat'].includes(s.action.kind),
    );
    const writers = whole.flatMap((s) => s.writes);
    expect(writers.filter((w, i) => writers.indexOf(w) !== i)).toEqual([]);
    const ids = plan.steps.map((s) => s.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(planInputs(plan.steps)).toEqual([]);
  });

  test("each identity's cp-kafka credentials files are written when something reads them, by the names state reads", () => {
    const files = layoutFiles(layout);
    const written = new Set(plan.steps.flatMap((s) => s.writes));
    for (const who of cluster.identities) {
      const wanted = layout === 'confluent' || generated || (emit.includes('compose') && who.role === 'broker');
      const creds = Object.values(files.creds(who));
      expect([who.alias, creds.map((f) => written.has(f))]).toEqual([who.alias, creds.map(() => wanted)]);
      const listed = plan.outputs.filter((o) => creds.includes(o.path));
      expect(listed.every((o) => o.private)).toBe(true);
      expect(listed).toHaveLength(wanted ? 3 : 0);
    }
  });

  test('the files an identity owns (for --prune) include every file the plan writes for it', () => {
    const files = layoutFiles(layout);
    for (const who of cluster.identities) {
      const owned = files.owned(who);
      const mine = plan.outputs
        .map((o) => o.path)
        .filter(
          (p) => p.startsWith(`${who.alias}-creds/`) || p.includes(`${who.alias}.`) || p.includes(`${who.alias}_`),
        );
      const covered = (p: string) => owned.some((o) => p === o || p.startsWith(`${o}/`));
      expect(mine.filter((p) => !covered(p))).toEqual([]);
    }
  });
});
