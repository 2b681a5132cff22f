import { execa } from 'execa';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeStatefulSet, principalOf, type Identity, type San } from '../../src/model/cluster.js';
import { diffCluster, type Current } from '../../src/plans/diff.js';
import type { State } from '../../src/model/state.js';
import { checkCaFiles, isStore } from '../../src/pki/present.js';
import { parseCertText, sameSan, servesSan, type CertWithPem } from '../../src/pki/x509.js';
import { certTextArgs } from '../../src/steps/read.js';
import { SCRIPT_PARAMS } from '../helpers/script-params.js';
import { tempDir } from '../helpers/cli.js';

/**
 * Names as TLS compares them (RFC 6125; Kafka's Java client with the
 * subject's CN never consulted), on certificates real openssl makes.
 */
let dir: string;
const certs: Record<string, CertWithPem> = {};

async function makeCert(name: string, sans: string): Promise<void> {
  await writeFile(
    join(dir, `${name}.cnf`),
    `[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = kafka-0.kafka.example.com\n[ext]\nsubjectAltName = ${sans}\n`,
  );
  await execa(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-noenc',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '400',
      '-config',
      `${name}.cnf`,
      '-extensions',
      'ext',
    ],
    { cwd: dir },
  );
  const pem = (await execa('cat', [`${name}.crt`], { cwd: dir })).stdout;
  const text = (await execa('openssl', certTextArgs(), { input: pem })).stdout;
  certs[name] = { ...parseCertText(text), pem };
}

beforeAll(async () => {
  dir = await tempDir('kmtls-names-');
  await makeCert('wildcard', 'DNS:*.kafka.example.com, IP:10.0.0.5, DNS:10.0.0.6, IP:::1');
  await makeCert('plain', 'DNS:kafka-0.kafka.example.com');
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const dns = (value: string): San => ({ kind: 'DNS', value });
const ip = (value: string): San => ({ kind: 'IP', value });

describe('servesSan: what a TLS client accepts', () => {
  test.each([
    ['two labels below a wildcard', dns('a.kafka-0.kafka.example.com'), false],
    ['the bare domain of a wildcard', dns('kafka.example.com'), false],
    ['a sibling domain', dns('kafka-0.kafka.example.org'), false],
    ['an IP listed only as a DNS name', ip('10.0.0.6'), false],
    ['an IP listed nowhere', ip('10.0.0.7'), false],
    ['a name that only starts like a covered one', dns('kafka-0.kafka.example.com.evil'), false],
    ['a wildcard the certificate does not list', dns('*.example.com'), false],
    ['one label below a wildcard', dns('kafka-0.kafka.example.com'), true],
    ['one label below, in other case', dns('KAFKA-0.Kafka.Example.COM'), true],
    ['an IP SAN', ip('10.0.0.5'), true],
    ['an IPv6 SAN written short (openssl prints it long)', ip('::1'), true],
    ['the wildcard itself', dns('*.kafka.example.com'), true],
  ])('%s: %j -> %s', (_why, san, served) => {
    expect(servesSan(certs.wildcard!.pem, san)).toBe(served);
  });

  test('the subject CN is never consulted: a certificate whose CN is the host but no SAN lists it does not serve it', async () => {
    expect(servesSan(certs.plain!.pem, dns('kafka-0.kafka.example.com'))).toBe(true);
    await makeCert('cn-only', 'DNS:other.example.com');
    expect(servesSan(certs['cn-only']!.pem, dns('kafka-0.kafka.example.com'))).toBe(false);
  });

  test('sameSan: DNS names without case, IP addresses as addresses, never a DNS name for an IP', () => {
    expect(sameSan(dns('A.example.com'), dns('a.EXAMPLE.com'))).toBe(true);
    expect(sameSan(ip('::1'), ip('0:0:0:0:0:0:0:1'))).toBe(true);
    expect(sameSan(ip('10.0.0.5'), dns('10.0.0.5'))).toBe(false);
    expect(sameSan(ip('10.0.0.5'), ip('10.0.0.50'))).toBe(false);
  });
});

describe("plan's SAN diff judges names as TLS does", () => {
  const cluster = describeStatefulSet({ ...SCRIPT_PARAMS, brokers: 1 });
  const broker = cluster.identities[0]!;
  const state = { identities: [broker], certs: {} } as unknown as State;
  const withSans = (sans: San[]) => ({ ...cluster, identities: [{ ...broker, sans } as Identity] });
  const diff = (cert: CertWithPem, sans: San[], problems: Current['problems'] = []) => {
    const current: Current = {
      state,
      ca: { ...cert, subject: cert.issuer },
      certs: { [broker.alias]: { ...cert, subject: principalOf(broker.subject) } },
      problems,
    };
    return diffCluster(withSans(sans), current, { now: new Date(), renewBeforeDays: 30, prune: false }).find(
      (c) => c.alias === broker.alias,
    )!;
  };
  const sanReasons = (c: { reasons: readonly string[] }) => c.reasons.filter((r) => r.startsWith('SANs'));

  test('a bare domain the wildcard does not cover is a change, and so is the wildcard nothing wants', () => {
    expect(
      sanReasons(diff(certs.wildcard!, [dns('kafka.example.com'), ip('10.0.0.5'), dns('10.0.0.6'), ip('::1')])),
    ).toEqual(['SANs changed: +DNS:kafka.example.com -DNS:*.kafka.example.com']);
  });

  test('an IP wanted where the certificate has it only as a DNS name is a change', () => {
    expect(
      sanReasons(diff(certs.wildcard!, [dns('*.kafka.example.com'), ip('10.0.0.5'), ip('10.0.0.6'), ip('::1')])),
    ).toEqual(['SANs changed: +IP Address:10.0.0.6 -DNS:10.0.0.6']);
  });

  test('the same SANs, IPv6 written short and names in other case, are no change', () => {
    expect(
      sanReasons(diff(certs.wildcard!, [dns('*.Kafka.example.com'), ip('10.0.0.5'), dns('10.0.0.6'), ip('0::1')])),
    ).toEqual([]);
  });

  test('a host the wildcard already serves is no change', () => {
    expect(
      sanReasons(
        diff(certs.wildcard!, [
          dns('*.kafka.example.com'),
          dns('kafka-3.kafka.example.com'),
          ip('10.0.0.5'),
          dns('10.0.0.6'),
          ip('::1'),
        ]),
      ),
    ).toEqual([]);
  });

  test('a lost file of the identity reissues it, naming the file; a lost shared file is recreated', () => {
    const sans = [dns('kafka-0.kafka.example.com')];
    expect(diff(certs.plain!, sans)).toMatchObject({ kind: 'keep', reasons: [] });
    const lost = {
      path: 'mtls-kafka-0.keystore.jks',
      kind: 'store',
      what: "mtls-kafka-0's keystore",
      alias: broker.alias,
      problem: 'missing',
    } as const;
    expect(diff(certs.plain!, sans, [lost])).toMatchObject({
      kind: 'reissue',
      reasons: ['mtls-kafka-0.keystore.jks missing'],
    });
    const shared = {
      path: 'kafka.server.truststore.jks',
      kind: 'store',
      what: "the brokers' truststore",
      problem: 'unreadable',
      detail: 'EISDIR',
    } as const;
    const current: Current = { state, ca: certs.plain!, certs: {}, problems: [shared] };
    expect(
      diffCluster(cluster, current, { now: new Date(), renewBeforeDays: 30, prune: false }).filter(
        (c) => c.kind === 'recreate',
      ),
    ).toEqual([
      { alias: 'kafka.server.truststore.jks', role: 'shared', kind: 'recreate', reasons: ['unreadable (EISDIR)'] },
    ]);
  });
});

describe('isStore: a store by its bytes', () => {
  test.each([
    ['empty: no', Buffer.alloc(0), false],
    ['text: no', Buffer.from('this is not a store\n'), false],
    [
      'a DER SEQUENCE whose length runs past the end (truncated): no',
      Buffer.from([0x30, 0x82, 0x10, 0x00, 0x02, 0x01, 0x03, 0x30]),
      false,
    ],
    ['a DER SEQUENCE of version 2: no', Buffer.from([0x30, 0x06, 0x02, 0x01, 0x02, 0x30, 0x01, 0x00]), false],
    ['a PFX header whose length matches: yes', Buffer.from([0x30, 0x06, 0x02, 0x01, 0x03, 0x30, 0x01, 0x00]), true],
    ['the JKS magic with content: yes', Buffer.concat([Buffer.from([0xfe, 0xed, 0xfe, 0xed]), Buffer.alloc(60)]), true],
  ])('%s', (_why, bytes, ok) => {
    expect(isStore(bytes)).toBe(ok);
  });
});

describe("checkCaFiles: the CA's key by its bytes", () => {
  test("a certificate in its place is unreadable; an encrypted key (your own CA's) is a key", async () => {
    const ca = join(dir, 'ca-dir');
    await execa('mkdir', ['-p', ca]);
    await execa('cp', [join(dir, 'plain.crt'), join(ca, 'ca.crt')]);
    await execa('cp', [join(dir, 'plain.crt'), join(ca, 'ca.key')]);
    const state = { layout: 'dropin', identities: [] } as unknown as State;
    expect(await checkCaFiles(ca, state, undefined)).toEqual([
      {
        path: 'ca.key',
        kind: 'key',
        what: "the CA's private key",
        problem: 'unreadable',
        detail: 'not a PEM private key',
      },
    ]);
    await execa(
      'openssl',
      [
        'genpkey',
        '-algorithm',
        'RSA',
        '-pkeyopt',
        'rsa_keygen_bits:2048',
        '-aes256',
        '-pass',
        'env:KP',
        '-out',
        join(ca, 'ca.key'),
      ],
      { env: { KP: 'a-passphrase' } },
    );
    expect(await checkCaFiles(ca, state, undefined)).toEqual([]);
    await rm(join(ca, 'ca.crt'));
    expect(await checkCaFiles(ca, state, undefined)).toEqual([
      { path: 'ca.crt', kind: 'cert', what: 'the CA certificate', problem: 'missing' },
    ]);
  }, 60_000);
});
