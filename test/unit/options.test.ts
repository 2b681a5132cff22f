/** options/: flags, environment and your own CA's files read into parameters, refused early, no process started. */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRunOptions, parseStatefulSetFlags } from '../../src/options/params.js';
import { UsageError } from '../../src/errors.js';
import { SCRIPT_PARAMS } from '../helpers/script-params.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

const ENV = { PASSWORD: 'Options-Test-Pw-1', CA_PW: 'ca-passphrase-1' };
let dir: string;

beforeAll(async () => {
  dir = await tempDir('kmtls-options-');
  // Not a certificate: options/ reads the files, and only pki/own-ca.ts's checkOwnCa would ask openssl about them.
  await writeFile(join(dir, 'ca.crt'), 'not a certificate\n');
  await writeFile(
    join(dir, 'ca.key'),
    '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n',
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const refusal = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error('not refused');
};

describe('parseRunOptions', () => {
  const out = () => join(dir, 'certs');

  test('generate refuses a CA key passphrase without --ca-cert and --ca-key, before any planning', async () => {
    expect(await refusal(parseRunOptions({ out: out(), caKeyPasswordEnv: 'CA_PW' }, { env: ENV }))).toBe(
      '--ca-key-password-env: needs --ca-cert and --ca-key',
    );
  });

  test("with a directory's fallbacks the passphrase alone is kept: it opens that directory's ca.key", async () => {
    const { params, ownCa } = await parseRunOptions({ out: out(), caKeyPasswordEnv: 'CA_PW' }, { env: ENV }, {});
    expect(params.caKeyPassword?.reveal()).toBe('ca-passphrase-1');
    expect(ownCa).toBeUndefined();
  });

  test('reads your own CA without starting a process: an openssl that does not exist is not run', async () => {
    const { params, ownCa } = await parseRunOptions(
      {
        out: out(),
        caCert: join(dir, 'ca.crt'),
        caKey: join(dir, 'ca.key'),
        caKeyPasswordEnv: 'CA_PW',
        openssl: join(dir, 'no-such-openssl'),
      },
      { env: ENV },
    );
    expect(params.externalCa).toBeUndefined();
    expect(ownCa).toMatchObject({
      cert: join(dir, 'ca.crt'),
      keyEncrypted: true,
      leafValidity: { days: 730, option: '--validity' },
    });
    expect(ownCa!.keyPassword?.reveal()).toBe('ca-passphrase-1');
  });

  test('an encrypted key without its passphrase is refused while the options are read', async () => {
    const raw = { out: out(), caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key') };
    expect(await refusal(parseRunOptions(raw, { env: ENV }))).toBe(
      '--ca-key: is encrypted: give its passphrase with --ca-key-password-env or --ca-key-password-file',
    );
  });
});

describe('parseStatefulSetFlags: the names generate makes and verify expects', () => {
  test("no flags: the script's names", () => {
    const { name, headlessService, namespace, clusterDomain, clientName } = SCRIPT_PARAMS;
    expect(parseStatefulSetFlags({})).toEqual({ name, headlessService, namespace, clusterDomain, clientName });
  });

  test('the headless Service and the client follow --name unless named', () => {
    expect(parseStatefulSetFlags({ name: 'kafka' })).toMatchObject({
      headlessService: 'kafka-headless',
      clientName: 'kafka-client',
    });
  });

  test('a name that is no DNS label is refused, naming the flag', () => {
    expect(() => parseStatefulSetFlags({ namespace: 'Prod' })).toThrow(/^--namespace: must be a DNS label/);
  });
});

describe('--help', () => {
  test("generate's options in groups, each under its heading, and plan's and apply's the same", async () => {
    const headings = [
      'Options:',
      'Size, life and password:',
      "The StatefulSet's names:",
      'Subjects:',
      'Your own CA:',
      'What is made:',
      'Tools:',
    ];
    for (const cmd of ['generate', 'plan', 'apply']) {
      const r = await runCli([cmd, '--help'], { cwd: ROOT });
      const found = r.stdout.split('\n').filter((l) => /^\S.*:$/.test(l) && !l.startsWith('Usage'));
      expect([cmd, found.filter((l) => headings.includes(l))]).toEqual([cmd, headings]);
      const under = (heading: string, option: string) => {
        const at = r.stdout.indexOf(`\n${heading}\n`);
        const next = r.stdout.indexOf('\n\n', at + 1);
        return r.stdout.slice(at, next).includes(`  ${option} `);
      };
      expect(under('Your own CA:', '--ca-cert')).toBe(true);
      expect(under('Tools:', '--keytool-jvm')).toBe(true);
      expect(under('Size, life and password:', '--brokers')).toBe(true);
      expect(under('Size, life and password:', '--key-type <type>')).toBe(true);
      expect(under('Size, life and password:', '--ca-key-type <type>')).toBe(true);
    }
  }, 60_000);
});
