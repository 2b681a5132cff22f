/**
 * The reload pre-flight asks Kafka's own SslFactory (from real Kafka jars) about material made broken on purpose
 * with openssl and keytool, and --reload's failure path runs Kafka's real kafka-configs against an address where
 * nothing listens. No broker runs here: the live suite (test/e2e/reload.test.ts) reloads a real cluster.
 */
import { execa } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KAFKA_LIB, kafkaDistribution } from '../helpers/kafka-dist.js';
import { runCli, snapshot, tempDir } from '../helpers/cli.js';
import { checkReloads, type ReloadCheck } from '../../src/pki/reload-check.js';
import { Secret } from '../../src/secrets.js';

const PW = 'Reload-Pw-7';
const ENV = { PASSWORD: PW };
const HAVE_KAFKA = existsSync(KAFKA_LIB) && readdirSync(KAFKA_LIB).some((f) => /^kafka-clients-4\..*\.jar$/.test(f));
/** scripts/fetch-kafka.sh fills .cache/kafka; under CI a missing Kafka is a failure, never a skip. */
const withKafka = HAVE_KAFKA || process.env.CI === 'true' ? describe : describe.skip;
if (!HAVE_KAFKA && process.env.CI !== 'true')
  console.warn(`reload.test.ts skipped: no Kafka jars in ${KAFKA_LIB} (scripts/fetch-kafka.sh fetches them)`);
/** A kafka-clients 3.9 from Maven's local repository, when there: the older SslFactory (its own mode enum). */
const KAFKA_39 = join(process.env.HOME ?? '/root', '.m2/repository/org/apache/kafka/kafka-clients/3.9.1');

const SUBJECT = '/C=KR/ST=Seoul/L=Confluent/O=Organization/OU=OrganizationUnit/CN=mtls-kafka-0.mtls-kafka-headless';
const SANS = [
  'mtls-kafka-0.mtls-kafka-headless.axplatform.svc.cluster.local',
  'mtls-kafka-0.mtls-kafka-headless',
  'mtls-kafka-0.mtls-kafka-headless.axplatform',
  'mtls-kafka.mtls-kafka-headless',
  'mtls-kafka',
];

const openssl = (args: string[], cwd: string) => execa('openssl', args, { cwd, env: ENV });

/** A PKCS12 keystore for mtls-kafka-0 signed by the given CA, with this subject and these SANs. */
async function leafStore(
  dir: string,
  name: string,
  ca: string,
  subject: string,
  sans: string[],
  trustedCa = ca,
): Promise<string> {
  const ext = join(dir, `${name}.ext`);
  await writeFile(
    ext,
    'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\n' +
      `extendedKeyUsage = clientAuth, serverAuth\nsubjectAltName = ${sans.map((s) => `DNS:${s}`).join(',')}\n`,
  );
  await openssl(
    ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-out', `${name}.csr`],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '30',
    ].concat(['-extfile', ext, '-out', `${name}.crt`]),
    dir,
  );
  const out = join(dir, `${name}.p12`);
  // As kafka-mtls's keystores: the signing CA as a trusted entry beside the key (Kafka compares every entry).
  await openssl(
    [
      'pkcs12',
      '-export',
      '-in',
      `${name}.crt`,
      '-inkey',
      `${name}.key`,
      '-certfile',
      `${ca}.crt`,
      '-name',
      'mtls-kafka-0',
    ].concat(['-out', out, '-passout', 'env:PASSWORD']),
    dir,
  );
  const trusted = ['-importcert', '-noprompt', '-alias', 'ca.crt', '-file', `${trustedCa}.crt`, '-keystore', out];
  await execa('keytool', [...trusted, '-storetype', 'PKCS12', '-storepass:env', 'PASSWORD'], { cwd: dir, env: ENV });
  return out;
}

describe('the reload pre-flight asks Kafka', () => {
  let dir: string;
  let certs: string;
  let work: string;
  beforeAll(async () => {
    dir = await tempDir();
    certs = join(dir, 'certs');
    work = join(dir, 'work');
    await mkdir(work);
    expect((await runCli(['generate', '--brokers', '2'], { cwd: dir, env: ENV })).exitCode).toBe(0);
    await cp(join(certs, 'ca.crt'), join(work, 'ca.crt'));
    await cp(join(certs, 'ca.key'), join(work, 'ca.key'));
    await openssl(
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-subj', '/CN=Other-CA'].concat([
        '-days',
        '30',
        '-out',
        'other.crt',
      ]),
      work,
    );
    await execa(
      'keytool',
      ['-importcert', '-noprompt', '-alias', 'other', '-file', 'other.crt', '-keystore', 'other-trust.p12'].concat([
        '-storetype',
        'PKCS12',
        '-storepass:env',
        'PASSWORD',
      ]),
      { cwd: work, env: ENV },
    );
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const pw = new Secret('store password', PW);
  const check = (id: string, next: { keystore?: string; truststore?: string }, interBroker = true): ReloadCheck => {
    const keystore = join(certs, 'mtls-kafka-0.keystore.jks');
    const truststore = join(certs, 'kafka.server.truststore.jks');
    return {
      id,
      interBroker,
      current: { keystore, truststore },
      next: { keystore: next.keystore ?? keystore, truststore: next.truststore ?? truststore },
      keystoreType: 'PKCS12',
      truststoreType: 'PKCS12',
      keystorePassword: pw,
      truststorePassword: pw,
    };
  };
  const ask = (checks: ReloadCheck[], libs = KAFKA_LIB, allows = { dn: false, san: false }) =>
    checkReloads(checks, { keytool: 'keytool', libs, cwd: work, allows });

  withKafka('with Kafka 4.1 jars', () => {
    test("each refusal carries Kafka's own reason; the good renewal passes", async () => {
      const renewed = await leafStore(work, 'renewed', 'ca', SUBJECT, SANS);
      const subject = await leafStore(work, 'subject', 'ca', SUBJECT.replace('OU=OrganizationUnit', 'OU=Other'), SANS);
      const dropped = await leafStore(work, 'dropped', 'ca', SUBJECT, SANS.slice(0, 3));
      // The trusted entry stays the old CA's (same DN): only the key's issuer is one the truststore lacks.
      const foreign = await leafStore(work, 'foreign', 'other', SUBJECT, SANS, 'ca');
      const r = await ask([
        check('renewed', { keystore: renewed }),
        check('subject', { keystore: subject }),
        check('dropped', { keystore: dropped }),
        check('foreign', { keystore: foreign }),
        check('untrusting', { truststore: join(work, 'other-trust.p12') }),
        // Off the inter-broker listener Kafka does not check the stores against each other.
        check('untrusting-client-listener', { truststore: join(work, 'other-trust.p12') }, false),
      ]);
      if (r.kind !== 'checked') throw new Error(r.reason);
      expect(r.kafkaVersion).toBe('4.1.1');
      const by = new Map(r.verdicts.map((v) => [v.check, v]));
      expect(by.get('renewed')).toEqual({ check: 'renewed', ok: true });
      expect(by.get('untrusting-client-listener')).toEqual({ check: 'untrusting-client-listener', ok: true });
      const refusal = (id: string) => {
        const v = by.get(id)!;
        if (v.ok) throw new Error(`${id} passed`);
        expect(v.stage).toBe('new');
        return v.error;
      };
      expect(refusal('subject')).toMatch(/Keystore DistinguishedName does not match/);
      expect(refusal('dropped')).toMatch(/Keystore SubjectAltNames do not match/);
      expect(refusal('foreign')).toMatch(/Validation of dynamic config update of SSLFactory failed/);
      expect(refusal('foreign')).not.toMatch(/DistinguishedName|SubjectAltNames/);
      expect(refusal('untrusting')).toMatch(/Validation of dynamic config update of SSLFactory failed/);
    }, 120_000);

    test('with ssl.allow.dn.changes the changed subject passes, as on a broker that sets it', async () => {
      const subject = join(work, 'subject.p12');
      const r = await ask([check('subject', { keystore: subject })], KAFKA_LIB, { dn: true, san: false });
      expect(r.kind === 'checked' && r.verdicts[0]).toEqual({ check: 'subject', ok: true });
    }, 60_000);

    test('a wrong password on the current stores is named as such, not as a refusal of the new ones', async () => {
      const bad = { ...check('wrong', {}), keystorePassword: new Secret('x', 'not-the-password') };
      const r = await ask([bad]);
      if (r.kind !== 'checked') throw new Error(r.reason);
      expect(r.verdicts[0]).toMatchObject({ ok: false, stage: 'current', error: expect.stringMatching(/password/) });
    }, 60_000);

    test('a directory without Kafka is unavailable, not a pass', async () => {
      const r = await ask([check('renewed', {})], work);
      expect(r).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/Kafka's classes did not load/) });
    }, 60_000);

    test('a renewal and rotate-ca start and finish pass; reissue passes only with ssl.allow.dn.changes', async () => {
      const copy = join(dir, 'rot');
      await cp(certs, join(copy, 'certs'), { recursive: true });
      const steps: string[][] = [
        ['apply', '--brokers', '2', '--renew-before', '36000'],
        ['rotate-ca', 'start'],
        ['rotate-ca', 'reissue'],
        ['rotate-ca', 'finish'],
      ];
      for (const args of steps) {
        const before = join(dir, `before-${args.join('-')}`);
        await cp(join(copy, 'certs'), before, { recursive: true });
        const run = await runCli(args, { cwd: copy, env: ENV });
        expect(run.exitCode).toBe(0);
        expect(run.stdout).toMatch(/Reload plan/);
        const checks = ['mtls-kafka-0', 'mtls-kafka-1'].map((b) => ({
          ...check(`${args.join(' ')} ${b}`, {}),
          current: {
            keystore: join(before, `${b}.keystore.jks`),
            truststore: join(before, 'kafka.server.truststore.jks'),
          },
          next: {
            keystore: join(copy, 'certs', `${b}.keystore.jks`),
            truststore: join(copy, 'certs', 'kafka.server.truststore.jks'),
          },
        }));
        const r = await ask(checks);
        if (r.kind !== 'checked') throw new Error(r.reason);
        if (args[1] !== 'reissue') {
          expect(r.verdicts.filter((v) => !v.ok)).toEqual([]);
          continue;
        }
        // Kafka compares every certificate entry of a keystore, the CA's trusted one too: the reissued keystores
        // carry the new CA (another subject) under ca.crt, which a broker refuses unless ssl.allow.dn.changes.
        for (const v of r.verdicts)
          expect(v).toMatchObject({
            ok: false,
            error: expect.stringMatching(/Keystore DistinguishedName does not match: +existing=\{alias=ca\.crt, /),
          });
        const allowed = await ask(checks, KAFKA_LIB, { dn: true, san: false });
        expect(allowed.kind === 'checked' && allowed.verdicts.filter((v) => !v.ok)).toEqual([]);
      }
      // A CA that changes in one step is what the phases avoid: the renewed keystore against the oldest truststore.
      const r = await ask([
        {
          ...check('skipped phases', {}),
          next: {
            keystore: join(copy, 'certs', 'mtls-kafka-0.keystore.jks'),
            truststore: join(certs, 'kafka.server.truststore.jks'),
          },
        },
      ]);
      expect(r.kind === 'checked' && r.verdicts[0]!.ok).toBe(false);
    }, 240_000);
  });

  (existsSync(KAFKA_39) && HAVE_KAFKA ? test : test.skip)(
    'Kafka 3.9.1 (kafka-clients from ~/.m2) refuses and passes the same',
    async () => {
      const libs = join(dir, 'kafka-3.9');
      await mkdir(libs, { recursive: true });
      for (const f of await readdir(KAFKA_39)) if (f.endsWith('.jar')) await cp(join(KAFKA_39, f), join(libs, f));
      // kafka-clients logs through slf4j, which its distribution ships beside it.
      const slf4j = readdirSync(KAFKA_LIB).find((f) => f.startsWith('slf4j-api-'))!;
      await cp(join(KAFKA_LIB, slf4j), join(libs, slf4j));
      const r = await ask(
        [
          check('renewed', { keystore: join(work, 'renewed.p12') }),
          check('dropped', { keystore: join(work, 'dropped.p12') }),
        ],
        libs,
      );
      if (r.kind !== 'checked') throw new Error(r.reason);
      expect(r.kafkaVersion).toBe('3.9.1');
      expect(r.verdicts[0]).toEqual({ check: 'renewed', ok: true });
      expect(r.verdicts[1]).toMatchObject({ ok: false, error: expect.stringMatching(/SubjectAltNames do not match/) });
    },
    60_000,
  );
});

withKafka('apply --reload', () => {
  let dir: string;
  let admin: string;
  beforeAll(async () => {
    dir = await tempDir();
    // Kafka's layout: bin/kafka-configs.sh beside libs/, as the distribution's script runs ConfigCommand.
    await kafkaDistribution(dir);
    // The admin client gives up after 4 s, not its default minute.
    admin = join(dir, 'admin.properties');
    await writeFile(admin, 'security.protocol=SSL\ndefault.api.timeout.ms=4000\nrequest.timeout.ms=3000\n');
    expect((await runCli(['generate', '--brokers', '2'], { cwd: dir, env: ENV })).exitCode).toBe(0);
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const reload = ['--reload', '--kafka-configs', 'kafka/bin/kafka-configs.sh', '--command-config', 'admin.properties'];

  test('without --bootstrap-server: exit 2 naming it, nothing touched', async () => {
    const before = await snapshot(join(dir, 'certs'));
    const r = await runCli(['apply', '--brokers', '2', '--renew-before', '36000', '--reload'], { cwd: dir, env: ENV });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('error: --bootstrap-server: is needed with --reload: the address kafka-configs connects to');
    expect(await snapshot(join(dir, 'certs'))).toEqual(before);
  });

  test('a --broker-id for no broker of the directory: exit 2, nothing touched', async () => {
    const r = await runCli(
      ['apply', '--brokers', '2', '--renew-before', '36000', ...reload, '--bootstrap-server', '127.0.0.1:1'].concat([
        '--broker-id',
        'nobody=3',
      ]),
      { cwd: dir, env: ENV },
    );
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: --broker-id: nobody is not a broker of this directory/);
  });

  test('a changed subject is refused by the pre-flight: exit 1, nothing changed, kafka-configs never run', async () => {
    const before = await snapshot(join(dir, 'certs'));
    const r = await runCli(
      ['apply', '--brokers', '2', '--org-unit', 'Renamed', ...reload, '--bootstrap-server', '127.0.0.1:1'],
      { cwd: dir, env: ENV },
    );
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/step reload\.preflight failed: Kafka 4\.1\.1 would refuse 2 of 2 reloads/);
    expect(r.stderr).toMatch(/mtls-kafka-0: mtls-kafka-0\.keystore\.jks: .*Keystore DistinguishedName does not match/);
    expect(r.stderr).not.toMatch(/Timed out|node assignment/);
    expect(r.stderr).toMatch(/Nothing in .*certs was changed/);
    expect(await snapshot(join(dir, 'certs'))).toEqual(before);
  }, 180_000);

  test('a cluster that cannot be reached: the step, command, exit code, stderr and a hint; nothing changed', async () => {
    const before = await snapshot(join(dir, 'certs'));
    const r = await runCli(
      ['apply', '--brokers', '2', '--renew-before', '36000', '--json', ...reload, '--bootstrap-server', '127.0.0.1:1'],
      { cwd: dir, env: ENV },
    );
    expect(r.exitCode).toBe(1);
    const f = JSON.parse(r.stdout) as { failure: Record<string, unknown>; target: string };
    expect(f.failure).toMatchObject({
      stepId: 'reload.discover',
      kind: 'exit-code',
      exitCode: 1,
      hint: expect.stringMatching(/could not reach --bootstrap-server/),
    });
    // Asked before the swap: who the brokers are and which files they read.
    expect(f.failure.command).toMatch(
      /kafka-configs\.sh --bootstrap-server 127\.0\.0\.1:1 --command-config \S*admin\.properties --entity-type brokers --describe --all$/,
    );
    expect((f.failure.outputTail as string[]).join('\n')).toMatch(/TimeoutException/);
    expect(r.stderr).toMatch(/Nothing in .*certs was changed/);
    expect(await snapshot(join(dir, 'certs'))).toEqual(before);
    expect(r.stdout + r.stderr).not.toContain(PW);
  }, 180_000);
});

describe('the reload plan a run prints', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    expect((await runCli(['generate', '--brokers', '2'], { cwd: dir, env: ENV })).exitCode).toBe(0);
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('a renewal that adds a broker reloads the running ones only; plan prints it first', async () => {
    const args = ['--brokers', '3', '--renew-before', '36000', '--bootstrap-server', 'kafka-0:9093', '--json'];
    const planned = await runCli(['plan', ...args], { cwd: dir, env: ENV });
    expect(planned.exitCode).toBe(10);
    const applied = await runCli(['apply', ...args], { cwd: dir, env: ENV });
    expect(applied.exitCode).toBe(0);
    for (const out of [planned.stdout, applied.stdout]) {
      const reload = (JSON.parse(out) as { reload: { commands: { brokerId: string; setting: string }[] } }).reload;
      expect(reload.commands.map((c) => `${c.brokerId} ${c.setting.replace(/=.*\//, '=…/')}`)).toEqual([
        '0 listener.name.ssl.ssl.keystore.location=…/mtls-kafka-0.keystore.jks',
        '1 listener.name.ssl.ssl.keystore.location=…/mtls-kafka-1.keystore.jks',
      ]);
    }
    // Nothing changed: nothing to reload, and no plan printed.
    const again = await runCli(['apply', '--brokers', '3'], { cwd: dir, env: ENV });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).not.toMatch(/Reload plan/);
  }, 120_000);
});
