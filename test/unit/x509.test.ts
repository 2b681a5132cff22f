import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certFacts, parseCertText, parseX509, type CertFacts } from '../../src/pki/x509.js';
import { certSubjectIssuerArgs, certTextArgs } from '../../src/steps/read.js';

/**
 * Certificates read in-process (node:crypto) must read exactly as openssl's text did: names in RFC 2253 form with
 * its escapes, serials in decimal or hex, dates, SANs, key sizes. Each certificate here is made by the real openssl,
 * and each fact compared with what parseCertText reads from `openssl x509 -text`.
 */
let dir: string;
let n = 0;

async function openssl(args: string[], input?: string): Promise<string> {
  return (await execa('openssl', args, { cwd: dir, input, env: { LC_ALL: 'C' }, stripFinalNewline: false })).stdout;
}

/** A self-signed certificate made from a config file's [dn] section and extensions, with the given key. */
interface CertSpec {
  readonly dn: string;
  /** A -subj argument instead of the config's [dn] (a config file reads # as a comment). */
  readonly subj?: string;
  readonly ext?: string;
  readonly key?: string;
  readonly serial?: string;
  readonly mask?: string;
}

async function makeCert(o: CertSpec): Promise<string> {
  const name = `c${n++}`;
  const cnf = [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    'utf8 = yes',
    `string_mask = ${o.mask ?? 'utf8only'}`,
    '[dn]',
    o.dn,
    '[ext]',
    o.ext ?? 'basicConstraints = CA:FALSE',
    '',
  ].join('\n');
  await writeFile(join(dir, `${name}.cnf`), cnf);
  await openssl([
    'req',
    '-x509',
    '-key',
    o.key ?? 'ec.key',
    '-out',
    `${name}.crt`,
    '-days',
    '30',
    '-config',
    `${name}.cnf`,
    '-extensions',
    'ext',
    ...(o.serial ? ['-set_serial', o.serial] : []),
    ...(o.subj ? ['-subj', o.subj, '-multivalue-rdn'] : []),
  ]);
  return readFile(join(dir, `${name}.crt`), 'utf8');
}

/** The facts of certFacts, as openssl's text gives them; the names as openssl prints them alone, untrimmed. */
async function viaOpenssl(pem: string): Promise<CertFacts> {
  const { serial, notBefore, notAfter, sha256, sans, keyBits } = parseCertText(await openssl(certTextArgs(), pem));
  const names = await openssl(certSubjectIssuerArgs(), pem);
  const [subject, issuer] = names.split('\n').map((line) => line.replace(/^(subject|issuer)=/, ''));
  return { subject: subject!, issuer: issuer!, serial, notBefore, notAfter, sha256, sans, keyBits };
}

async function expectSameFacts(pem: string): Promise<CertFacts> {
  const inProcess = certFacts(parseX509(pem)!);
  expect(inProcess).toBeDefined();
  expect(inProcess).toEqual(await viaOpenssl(pem));
  return inProcess!;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kmtls-x509-'));
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec.key']);
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('certificates read in-process read as openssl prints them', () => {
  test('a subject with every special character at the start, inside and at the end of a value', async () => {
    for (const c of [...' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~']) {
      // In -subj, a backslash takes the next character as it is; + is escaped not to start another value.
      const e = `\\${c}`;
      const facts = await expectSameFacts(await makeCert({ dn: '', subj: `/CN=${e}x${e}y${e}/O=o${e}` }));
      expect(facts.subject).toMatch(/^O=o/);
    }
  });

  test('a value of one character: # is left alone, as openssl counts it as the last only', async () => {
    const facts = await expectSameFacts(await makeCert({ dn: '', subj: '/CN=#/O=\\ ' }));
    expect(facts.subject).toBe('O=\\ ,CN=#');
  });

  test('non-ASCII text in UTF8String, T61String and BMPString, and control characters', async () => {
    const wide = 'C = CH\nL = Zürich\nO = 漢字 Ünïcode\nOU = tab\there\nCN = émoji 😀';
    const latin = 'C = CH\nL = Zürich\nOU = tab\there\nCN = ÿ';
    for (const [dn, mask] of [
      [wide, 'utf8only'],
      [wide, 'default'],
      [wide, 'pkix'],
      [latin, 'nombstr'],
    ]) {
      const facts = await expectSameFacts(await makeCert({ dn: dn!, mask }));
      expect(facts.subject).toContain('\\09');
    }
  });

  test('multi-valued RDNs, repeated attributes, e-mail and unknown OIDs (dumped as DER)', async () => {
    const dn = [
      '1.DC = com',
      '2.DC = example',
      'CN = a',
      '+OU = b',
      'emailAddress = me@example.com',
      // openssl's config reads a leading "1." as a counter, as in 1.DC: the OID is 1.2.3.4.5.
      '1.1.2.3.4.5 = unknown to openssl',
      'UID = u1',
      'serialNumber = 42',
    ].join('\n');
    const facts = await expectSameFacts(await makeCert({ dn }));
    expect(facts.subject).toContain('1.2.3.4.5=#');
    expect(facts.subject).toContain('+');
  });

  test('serials: decimal when openssl prints them so, hex otherwise', async () => {
    const serials = ['0', '1', '255', '256', '-5', '-1', '9223372036854775807', '9223372036854775808'];
    const seen = [];
    for (const serial of [...serials, '0x00ff', '0x0a0b0c0d0e0f101112131415161718', '-9223372036854775808'])
      seen.push((await expectSameFacts(await makeCert({ dn: 'CN = s', serial }))).serial);
    expect(seen.slice(0, 4)).toEqual(['0', '1', '255', '256']);
    expect(seen[7]).toBe('8000000000000000');
  });

  test('SANs: names, wildcards, IPv4 and IPv6, e-mail, URIs, with commas and quotes', async () => {
    const ext = [
      'subjectAltName = @alt',
      '[alt]',
      'DNS.1 = a.example.com',
      'DNS.2 = *.w.example.com',
      'IP.1 = 10.0.0.1',
      'IP.2 = ::1',
      'IP.3 = fe80::1:abcd',
      'email.1 = me@example.com',
      'URI.1 = https://x/y?a=b,c',
      "URI.2 = http://q/a\\'z",
    ].join('\n');
    const facts = await expectSameFacts(await makeCert({ dn: 'CN = s', ext }));
    expect(facts.sans).toContain('IP Address:0:0:0:0:0:0:0:1');
  });

  test('key sizes: RSA, EC curves, Ed25519 (which openssl prints without a size)', async () => {
    const keys: Array<[string, string[]]> = [
      ['rsa.key', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']],
      ['p384.key', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']],
      ['p521.key', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521']],
      ['ed.key', ['-algorithm', 'ED25519']],
    ];
    const bits = [];
    for (const [file, args] of keys) {
      await openssl(['genpkey', ...args, '-out', file]);
      bits.push((await expectSameFacts(await makeCert({ dn: 'CN = k', key: file }))).keyBits);
    }
    expect(bits).toEqual([1024, 384, 521, 0]);
  });

  test('what Node does not print as openssl does is left to openssl: a directory name or other name SAN', async () => {
    for (const ext of ['subjectAltName = dirName:sub\n[sub]\nCN = x', 'subjectAltName = RID:1.2.3.4']) {
      const pem = await makeCert({ dn: 'CN = s', ext });
      expect(certFacts(parseX509(pem)!)).toBeUndefined();
    }
  });

  test('a text that is not a certificate does not parse', () => {
    expect(parseX509('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toBeUndefined();
    expect(parseX509('')).toBeUndefined();
  });
});
