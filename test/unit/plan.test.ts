import { describeStatefulSet } from '../../src/model/cluster.js';
import { SCRIPT_PARAMS } from '../helpers/script-params.js';
import { buildDropInPlan, STORE_PASSWORD_ENV } from '../../src/plans/dropin.js';
import { dependencies, planInputs, type Step } from '../../src/runner/step.js';

const PARAMS = SCRIPT_PARAMS;

let n = 0;
const plan = buildDropInPlan(describeStatefulSet(PARAMS), { serial: () => `${(++n).toString(16).padStart(32, '4')}` });
const byId = new Map(plan.steps.map((s, i) => [s.id, i]));
const deps = dependencies(plan.steps);

/** Every step that must finish before `id` can start. */
function ancestors(id: string): Set<string> {
  const seen = new Set<string>();
  const visit = (i: number) => {
    for (const d of deps[i]!) {
      if (!seen.has(plan.steps[d]!.id)) {
        seen.add(plan.steps[d]!.id);
        visit(d);
      }
    }
  };
  visit(byId.get(id)!);
  return seen;
}

const execArgs = (s: Step) => (s.action.kind === 'exec' ? s.action.args : []);

describe('the drop-in plan', () => {
  test('leaves exactly the files mtls-kafka.sh makes (but its serial file)', () => {
    const leaves = ['mtls-kafka-0', 'mtls-kafka-1', 'mtls-kafka-2', 'mtls-kafka-client'];
    const expected = [
      'openssl.cnf',
      'ca.key',
      'ca.crt',
      'kafka.server.truststore.jks',
      'kafka.client.truststore.jks',
      ...leaves.flatMap((l) => [`${l}.keystore.jks`, `ca-request-${l}`, `ca-signed-${l}`]),
      'ext0.cnf',
      'ext1.cnf',
      'ext2.cnf',
      'extclient.cnf',
    ];
    expect(plan.outputs.map((o) => o.path).sort()).toEqual(expected.sort());
    expect(
      plan.outputs
        .filter((o) => o.private)
        .map((o) => o.path)
        .sort(),
    ).toEqual(
      [
        'ca.key',
        'kafka.client.truststore.jks',
        'kafka.server.truststore.jks',
        ...leaves.map((l) => `${l}.keystore.jks`),
      ].sort(),
    );
  });

  test('step ids are unique and every file a step reads is written by an earlier step', () => {
    expect(byId.size).toBe(plan.steps.length);
    expect(planInputs(plan.steps)).toEqual([]);
  });

  test('no argument carries a secret: passwords go through the environment', () => {
    for (const s of plan.steps) {
      const args = execArgs(s);
      for (const [i, a] of args.entries()) {
        if (/^-(storepass|keypass|srcstorepass|deststorepass|destkeypass|srckeypass)$/.test(a))
          throw new Error(`${s.id} passes ${a} on the command line`);
        if (/^-(storepass|srcstorepass|deststorepass):/.test(a)) expect(a.endsWith(':env')).toBe(true);
        if (a === '-passout' || a === '-passin') expect(args[i + 1]).toBe(`env:${STORE_PASSWORD_ENV}`);
      }
      if (s.action.kind === 'exec' && args.some((a) => a.includes(STORE_PASSWORD_ENV))) {
        expect(s.action.secretEnv).toEqual([STORE_PASSWORD_ENV]);
      }
    }
  });

  test('keys and CSRs do not wait for the CA; signing waits for the CA and its own CSR only', () => {
    expect(ancestors('broker-0.request').has('ca.create')).toBe(false);
    const sign1 = ancestors('broker-1.sign');
    expect(sign1.has('ca.create')).toBe(true);
    expect(sign1.has('broker-1.request')).toBe(true);
    expect([...sign1].filter((id) => /^(broker-[02]|client)\./.test(id))).toEqual([]);
  });

  test('above four RSA leaves, each key is a step of its own, for the JVM; up to four, made by its request', () => {
    const big = buildDropInPlan(describeStatefulSet({ ...PARAMS, brokers: 4 }));
    const keys = big.steps.filter((s) => s.id.endsWith('.key'));
    expect(keys.map((s) => s.id)).toEqual([
      'broker-0.key',
      'broker-1.key',
      'broker-2.key',
      'broker-3.key',
      'client.key',
    ]);
    const jvm = (s: Step) => (s.action.kind === 'exec' ? s.action.jvm : undefined);
    expect(jvm(keys[0]!)).toEqual(['@genkey', 'RSA', '2048', '.build/mtls-kafka-0.key']);
    expect(jvm(keys[4]!)).toEqual(['@genkey', 'RSA', '2048', '.build/mtls-kafka-client.key']);
    // Its tool's command makes the same file, for a run without the JVM and the dry-run script.
    expect(execArgs(keys[0]!)).toEqual([
      'genpkey',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      'rsa_keygen_bits:2048',
      '-out',
      '.build/mtls-kafka-0.key',
    ]);
    const req = (p: typeof big, id: string) => execArgs(p.steps.find((s) => s.id === id)!).slice(0, 4);
    expect(req(big, 'broker-3.request')).toEqual(['req', '-new', '-key', '.build/mtls-kafka-3.key']);
    // Three brokers and a client, as before: every key with its request.
    expect(plan.steps.filter((s) => s.id.endsWith('.key'))).toEqual([]);
    expect(req(plan, 'broker-0.request')).toEqual(['req', '-new', '-newkey', 'rsa:2048']);
    // An EC key takes openssl milliseconds: its request makes it, one process.
    const ec = buildDropInPlan(
      describeStatefulSet({ ...PARAMS, brokers: 6, leafKey: { keyBits: 256, curve: 'P-256' } }),
    );
    expect(ec.steps.filter((s) => s.id.endsWith('.key'))).toEqual([]);
    expect(req(ec, 'broker-5.request')).toEqual(['req', '-new', '-newkey', 'ec']);
  });

  test('a keystore is imported into only after the copy of the CA base, and checked after the import', () => {
    const check = ancestors('broker-2.check');
    for (const id of [
      'stores.trust-base',
      'broker-2.keystore',
      'broker-2.pkcs12',
      'broker-2.import',
      'broker-2.sign',
    ]) {
      expect([id, check.has(id)]).toEqual([id, true]);
    }
    expect(ancestors('broker-2.import').has('broker-2.keystore')).toBe(true);
  });

  test('every certificate gets its own random serial: no shared serial file', () => {
    const serials = plan.steps
      .filter((s) => s.id.endsWith('.sign'))
      .map((s) => execArgs(s)[execArgs(s).indexOf('-set_serial') + 1]);
    expect(new Set(serials).size).toBe(4);
    expect(plan.steps.flatMap(execArgs)).not.toContain('-CAcreateserial');
  });

  test('keytool starts once per keystore, plus the CA base and the truststore; PKCS12 stores are checked by openssl', () => {
    const keytoolSteps = (p: typeof plan) =>
      p.steps.filter((s) => s.action.kind === 'exec' && s.action.tool === 'keytool').map((s) => s.id);
    const pkcs12 = buildDropInPlan(describeStatefulSet({ ...PARAMS, storeType: 'pkcs12' }));
    expect(keytoolSteps(pkcs12)).toEqual([
      'stores.trust-base',
      'truststore.create',
      'broker-0.import',
      'broker-1.import',
      'broker-2.import',
      'client.import',
    ]);
    const check = pkcs12.steps.find((s) => s.id === 'broker-0.check')!;
    expect(check.action).toMatchObject({ tool: 'openssl', args: expect.arrayContaining(['pkcs12', '-nokeys']) });
    // A JKS store, or a type left to keytool, can only be read by keytool: one more JVM per store.
    expect(keytoolSteps(plan)).toHaveLength(6 + 5);
  });
});
