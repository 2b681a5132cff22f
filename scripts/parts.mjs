#!/usr/bin/env node
// What each part of a run costs: runs the drop-in plan for one broker one
// step at a time (concurrency 1, so nothing competes), several times, and
// prints the median wall time of each kind of step. This is what bounds the
// speed of `generate` on a machine: RSA key generation in openssl and the
// start of a JVM for each keytool run.
//   npm run build && node scripts/parts.mjs [--runs 5]
import { fs, os, path, argv } from 'zx';

const ROOT = path.resolve(import.meta.dirname, '..');
const { describeStatefulSet } = await import(path.join(ROOT, 'dist/model/cluster.js'));
const { buildDropInPlan, STORE_PASSWORD_ENV } = await import(path.join(ROOT, 'dist/plans/dropin.js'));
const { runPlan } = await import(path.join(ROOT, 'dist/runner/runner.js'));
const { Secret } = await import(path.join(ROOT, 'dist/secrets.js'));

const runs = Number(argv.runs ?? 5);
const params = {
  brokers: 1,
  validityDays: 730,
  caValidityDays: 730,
  name: 'mtls-kafka',
  headlessService: 'mtls-kafka-headless',
  namespace: 'axplatform',
  clusterDomain: 'svc.cluster.local',
  clientName: 'mtls-kafka-client',
  subject: { country: 'KR', state: 'Seoul', locality: 'Confluent', org: 'Organization', orgUnit: 'OrganizationUnit' },
  ca: { cn: 'Kafka-Security-CA', state: 'SEOUL', email: 'my@email.com' },
  extraSans: [],
  storeType: 'pkcs12',
};
const kinds = new Map();
for (let r = 0; r < runs; r++) {
  const plan = buildDropInPlan(describeStatefulSet(params));
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kmtls-parts-'));
  for (const d of plan.scratch) await fs.mkdirp(path.join(dir, d));
  const result = await runPlan(plan, {
    workDir: dir,
    tools: { openssl: 'openssl', keytool: 'keytool' },
    secrets: { [STORE_PASSWORD_ENV]: new Secret('store password', 'password') },
    concurrency: 1,
  });
  if (result.failure) throw new Error(`step ${result.failure.stepId} failed: ${result.failure.reason}`);
  for (const rec of result.records) {
    const kind = rec.id.replace(/^(broker-\d+|client)\./, 'leaf.');
    if (!kinds.has(kind)) kinds.set(kind, []);
    kinds.get(kind).push(rec.durationMs);
  }
  await fs.remove(dir);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('| step | median wall (ms), one at a time | samples |\n|---|---|---|');
for (const [kind, ms] of kinds) console.log(`| ${kind} | ${median(ms)} | ${ms.length} |`);
