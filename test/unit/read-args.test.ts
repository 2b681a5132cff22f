import { ENGLISH_KEYTOOL_OPTIONS } from '../../src/runner/jdk.js';
import { unlistedOptions } from '../../src/steps/openssl-options.js';
import * as read from '../../src/steps/read.js';

/**
 * The argv of the commands that only read (steps/read.ts), built: each openssl one uses only options listed for
 * OpenSSL 1.1.1, each keytool one speaks English to the parsers, and a password is only ever named, as the
 * environment variable the tool reads it from.
 */
const ENV = 'KAFKA_MTLS_TEST_PASSWORD';

const OPENSSL: Record<string, () => string[]> = {
  certTextArgs: () => read.certTextArgs(),
  certPublicKeyArgs: () => read.certPublicKeyArgs(),
  certSubjectIssuerArgs: () => read.certSubjectIssuerArgs(),
  csrTextArgs: () => read.csrTextArgs('a.csr'),
  keyFilePublicArgs: () => read.keyFilePublicArgs('a.key', ENV),
  keyPublicArgs: () => read.keyPublicArgs(ENV),
  pkcs12ListArgs: () => read.pkcs12ListArgs('a.p12', ENV),
  pkcs12KeyArgs: () => read.pkcs12KeyArgs('a.p12', ENV),
  pkcs12OpensArgs: () => read.pkcs12OpensArgs('a.p12', ENV),
  pkcs12ClientPemArgs: () => read.pkcs12ClientPemArgs('a.p12', ENV),
  verifyOwnChainArgs: () => read.verifyOwnChainArgs('chain.pem', 'ca.crt'),
  'verifyLeavesArgs, strict with intermediates': () =>
    read.verifyLeavesArgs({ strict: true, trusted: 't.pem', untrusted: 'u.pem', leaves: ['leaf0.pem'] }),
};

const KEYTOOL: Record<string, () => string[]> = {
  jksListArgs: () => read.jksListArgs('a.jks', ENV),
  jksToPkcs12Args: () => read.jksToPkcs12Args('a.jks', 'a.p12', ENV),
};

describe('the argv of the reading commands', () => {
  test('every function of steps/read.ts is checked here', () => {
    const checked = [...Object.keys(OPENSSL), ...Object.keys(KEYTOOL)].map((k) => k.split(',')[0]);
    const exported = Object.entries(read)
      .filter(([, v]) => typeof v === 'function')
      .map(([k]) => k);
    expect(exported.filter((k) => !checked.includes(k))).toEqual([]);
  });

  test.each(Object.entries(OPENSSL))('openssl %s: every option is listed for OpenSSL 1.1.1', (_name, args) => {
    expect(unlistedOptions(args())).toEqual([]);
  });

  test.each(Object.entries(KEYTOOL))('keytool %s: runs in English, for the parsers', (_name, args) => {
    expect(args().slice(0, ENGLISH_KEYTOOL_OPTIONS.length)).toEqual([...ENGLISH_KEYTOOL_OPTIONS]);
  });

  test.each(Object.entries(OPENSSL))('openssl %s: a password only as -passin env:VAR', (_name, build) => {
    const args = build();
    const named = args.flatMap((a, i) => (a.includes(ENV) ? [`${args[i - 1]} ${a}`] : []));
    expect(named.filter((n) => n !== `-passin env:${ENV}`)).toEqual([]);
  });

  test.each(Object.entries(KEYTOOL))('keytool %s: a password only as -…storepass:env VAR', (_name, build) => {
    const args = build();
    const named = args.flatMap((a, i) => (a.includes(ENV) ? [args[i - 1]] : []));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((flag) => !/^-(src|dest)?storepass:env$/.test(flag ?? ''))).toEqual([]);
  });

  test('verify of the leaves: -x509_strict and -untrusted only when asked for', () => {
    const plain = read.verifyLeavesArgs({ strict: false, trusted: 't.pem', leaves: ['leaf0.pem', 'leaf1.pem'] });
    expect(plain).toEqual([
      'verify',
      '-purpose',
      'sslserver',
      '-auth_level',
      '2',
      '-CAfile',
      't.pem',
      'leaf0.pem',
      'leaf1.pem',
    ]);
    const strict = read.verifyLeavesArgs({ strict: true, trusted: 't.pem', untrusted: 'u.pem', leaves: ['leaf0.pem'] });
    expect(strict).toEqual([
      'verify',
      '-purpose',
      'sslserver',
      '-auth_level',
      '2',
      '-x509_strict',
      '-CAfile',
      't.pem',
      '-untrusted',
      'u.pem',
      'leaf0.pem',
    ]);
  });
});
