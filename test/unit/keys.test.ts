import { describeStatefulSet } from '../../src/model/cluster.js';
import { named } from '../../src/errors.js';
import { describeKey, digestFor, keyTypeName, parseKeyType, withKey } from '../../src/model/keys.js';
import { buildConfluentPlan } from '../../src/plans/confluent.js';
import { buildDropInPlan } from '../../src/plans/dropin.js';
import type { Plan, Step } from '../../src/runner/step.js';
import { unlistedOptions } from '../../src/steps/openssl-options.js';
import { SCRIPT_PARAMS } from '../helpers/script-params.js';

const args = (s: Step | undefined) => (s?.action.kind === 'exec' ? s.action.args : []);
const step = (plan: Plan, id: string) => plan.steps.find((s) => s.id === id);
const written = (plan: Plan, id: string) => {
  const a = step(plan, id)?.action;
  return a?.kind === 'write' ? a.content : '';
};

describe('key types', () => {
  test('bad values name the option and the choices', () => {
    for (const raw of ['rsa-1024', 'ec-p521', '', 'rsa2048', 'ec p256'])
      expect(() => named('--key-type', () => parseKeyType(raw))).toThrow(
        `--key-type: must be one of rsa-2048, rsa-3072, rsa-4096, ec-p256, ec-p384, got ${JSON.stringify(raw)}`,
      );
  });

  test('each name reads as its key, and back; EC-P256 as ec-p256', () => {
    expect(parseKeyType('rsa-3072')).toEqual({ keyBits: 3072 });
    expect(parseKeyType('ec-p256')).toEqual({ keyBits: 256, curve: 'P-256' });
    expect(parseKeyType('EC-P384')).toEqual({ keyBits: 384, curve: 'P-384' });
    for (const t of ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ec-p256', 'ec-p384'])
      expect(keyTypeName(parseKeyType(t))).toBe(t);
    expect(describeKey({ keyBits: 256, curve: 'P-256' })).toBe('EC P-256');
    expect([digestFor({ keyBits: 4096 }), digestFor({ keyBits: 256, curve: 'P-256' })]).toEqual(['sha256', 'sha256']);
    expect(digestFor({ keyBits: 384, curve: 'P-384' })).toBe('sha384');
  });

  test('withKey keeps the other fields and their order, and drops a curve for RSA', () => {
    const ec = withKey({ a: 1, keyBits: 2048, b: 2 }, { keyBits: 256, curve: 'P-256' });
    expect(JSON.stringify(ec)).toBe('{"a":1,"keyBits":256,"b":2,"curve":"P-256"}');
    expect(JSON.stringify(withKey(ec, { keyBits: 3072 }))).toBe('{"a":1,"keyBits":3072,"b":2}');
  });
});

describe('the plans with EC keys', () => {
  const ec = describeStatefulSet({
    ...SCRIPT_PARAMS,
    leafKey: { keyBits: 256, curve: 'P-256' },
    caKey: { keyBits: 384, curve: 'P-384' },
  });
  const plans: Array<[string, Plan]> = [
    ['drop-in', buildDropInPlan(ec)],
    ['confluent', buildConfluentPlan(ec)],
  ];

  test.each(plans)('%s: named curves by options OpenSSL 1.1.1 has; SHA-384 under the P-384 CA', (_, plan) => {
    const create = args(step(plan, 'ca.create'));
    expect(create.slice(0, 9)).toEqual([
      'req',
      '-new',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-384',
      '-pkeyopt',
      'ec_param_enc:named_curve',
    ]);
    expect(args(step(plan, 'broker-0.request'))).toContain('ec_paramgen_curve:P-256');
    expect(args(step(plan, 'broker-0.sign'))).toContain('-sha384');
    for (const s of plan.steps.filter((x) => x.action.kind === 'exec' && x.action.tool === 'openssl'))
      expect([s.id, unlistedOptions(args(s))]).toEqual([s.id, []]);
    expect(step(plan, 'ca.create')?.title).toBe('Create the CA key (EC P-384) and self-signed v3 certificate');
  });

  test('the configs: keyUsage without keyEncipherment, the digests, no default_bits', () => {
    const dropIn = buildDropInPlan(ec);
    expect(written(dropIn, 'broker-0.ext')).toMatch(/^keyUsage = critical, digitalSignature$/m);
    expect(written(dropIn, 'ca.config')).toMatch(/^default_md {9}= sha384$/m);
    expect(written(dropIn, 'ca.config')).not.toMatch(/default_bits/);
    expect(written(dropIn, 'broker-0.config')).toMatch(/^default_md {9}= sha256$/m);
    const confluent = buildConfluentPlan(ec);
    const leaf = written(confluent, 'broker-0.config');
    expect(leaf.match(/^keyUsage = .*$/gm)).toEqual([
      'keyUsage = critical, digitalSignature',
      'keyUsage = critical, digitalSignature',
    ]);
    expect(leaf).not.toMatch(/default_bits/);
  });

  test('RSA keeps the script text: keyEncipherment, default_bits, sha256, -newkey rsa:N', () => {
    const rsa = buildDropInPlan(describeStatefulSet(SCRIPT_PARAMS));
    expect(written(rsa, 'broker-0.ext')).toMatch(/^keyUsage = critical, digitalSignature, keyEncipherment$/m);
    expect(written(rsa, 'ca.config')).toMatch(/^default_bits {7}= 4096$/m);
    expect(args(step(rsa, 'ca.create')).slice(3, 5)).toEqual(['-newkey', 'rsa:4096']);
    expect(args(step(rsa, 'broker-0.sign'))).toContain('-sha256');
  });
});
