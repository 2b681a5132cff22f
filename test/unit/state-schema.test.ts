/**
 * model/state-schema.ts: kafka-mtls.json checked by zod, each malformed field refused with one line naming the
 * file, the field's path and the rule; a sound file read back as the State the run wrote.
 */
import { UsageError } from '../../src/errors.js';
import { checkState } from '../../src/model/state-schema.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- hand-edited state files of any shape
type Json = Record<string, any>;

const FP = Array.from({ length: 32 }, () => 'AB').join(':');
const DN = [
  ['C', 'KR'],
  ['O', 'Organization'],
];
const cert = { subject: 'CN=x', serial: '0A1B', sha256: FP, notAfter: '2030-01-01T00:00:00.000Z', keyBits: 2048 };
const identity = (role: 'broker' | 'client', id: string, alias: string) => ({
  role,
  id,
  alias,
  subject: [...DN, ['CN', alias]],
  sans: [
    { kind: 'DNS', value: `${alias}.example.com` },
    { kind: 'IP', value: '10.0.0.7' },
  ],
  keyBits: 2048,
  validityDays: 730,
});

/** A sound state file of one broker and one client, as generate writes it. */
function sound(): Json {
  return structuredClone({
    tool: 'kafka-mtls',
    version: 1,
    updatedAt: '2026-01-01T00:00:00.000Z',
    layout: 'dropin',
    storeType: 'pkcs12',
    ca: { subject: [...DN, ['CN', 'Kafka-Security-CA']], keyBits: 4096, validityDays: 730 },
    identities: [identity('broker', 'broker-0', 'kafka-0'), identity('client', 'client', 'kafka-client')],
    deployment: {
      listeners: [{ name: 'SSL', port: 9093, protocol: 'SSL', host: 1 }],
      interBrokerListener: 'SSL',
      passwords: 'provider',
      namespace: 'kafka',
    },
    emit: [],
    generatedPasswords: false,
    caCert: cert,
    certs: {
      'kafka-0': { ...cert, sans: ['DNS:kafka-0.example.com'], issuerSha256: FP },
    },
  });
}

const refusal = (json: unknown): string => {
  try {
    checkState(json, '/srv/certs', 'kafka-mtls.json');
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error('not refused');
};

const edit = (f: (s: Json) => void) => {
  const s = sound();
  f(s);
  return s;
};

describe('the state schema', () => {
  test('a sound state file is read back whole, in the order the run writes it', () => {
    const s = checkState(sound(), '/srv/certs', 'kafka-mtls.json');
    expect(Object.keys(s)).toEqual(Object.keys(sound()));
    expect(s.identities[0]).toEqual(identity('broker', 'broker-0', 'kafka-0'));
    expect(s.deployment).toEqual({
      listeners: [{ name: 'SSL', port: 9093, protocol: 'SSL', host: 1 }],
      interBrokerListener: 'SSL',
      namespace: 'kafka',
      passwords: 'provider',
    });
    expect(s.certs['kafka-0']).toEqual({ ...cert, sans: ['DNS:kafka-0.example.com'], issuerSha256: FP });
  });

  test('absent optional fields, or null ones, stay absent', () => {
    const s = checkState(
      edit((x) => ((x.rotation = null), delete x.generatedPasswords, delete x.deployment.namespace)),
      '/srv/certs',
      'kafka-mtls.json',
    );
    expect('rotation' in s).toBe(false);
    expect('generatedPasswords' in s).toBe(false);
    expect('namespace' in s.deployment).toBe(false);
  });

  const ROWS: Array<[string, unknown, string]> = [
    ['not an object', [], '(top level): must be a JSON object'],
    [
      "another tool's JSON",
      { name: 'my-app', version: '1.0.0' },
      'tool: must be "kafka-mtls": this is not a kafka-mtls state file, got undefined',
    ],
    [
      'an unknown version',
      edit((s) => (s.version = 7)),
      'version: must be a state file version this kafka-mtls reads (1), got 7',
    ],
    ['an unknown field', edit((s) => (s.hooks = [])), 'hooks: is not a known field; known here: tool, version,'],
    ['a missing date', edit((s) => delete s.updatedAt), 'updatedAt: must be a string, got undefined'],
    ['a date that is none', edit((s) => (s.updatedAt = 'soon')), 'updatedAt: must be an ISO 8601 date and time'],
    ['an unknown layout', edit((s) => (s.layout = 'flat')), 'layout: must be one of dropin, confluent, got "flat"'],
    ['an unknown store type', edit((s) => (s.storeType = 'jceks')), 'storeType: must be one of auto, jks, pkcs12'],
    ['identities as a mapping', edit((s) => (s.identities = {})), 'identities: must be a list'],
    ['no identities', edit((s) => (s.identities = [])), 'identities: must list at least one broker or client'],
    [
      'a traversal alias',
      edit((s) => (s.identities[1].alias = 'x/../../victim')),
      'identities[1].alias: must be a file-name stem',
    ],
    [
      'an id that does not fit its role',
      edit((s) => (s.identities[0].id = 'client')),
      'identities[0].id: must be broker-<n> for a broker, got "client"',
    ],
    [
      'two identities with one alias, in two cases',
      edit((s) => (s.identities[1].alias = 'KAFKA-0')),
      'identities[1]: has the same alias or id as identities[0]',
    ],
    [
      'a SAN of an unknown kind',
      edit((s) => (s.identities[0].sans[0].kind = 'uri')),
      'identities[0].sans[0].kind: must be one of dns, ip, got "uri"',
    ],
    [
      'a SAN that would add a line to an openssl config',
      edit((s) => (s.identities[0].sans[0].value = 'ok.example.com\nDNS.99 = evil')),
      'identities[0].sans[0].value: must be a DNS name',
    ],
    [
      'an IP SAN that is no address',
      edit((s) => (s.identities[0].sans[1].value = '10.0.0')),
      'identities[0].sans[1].value: must be an IPv4 or IPv6 address for an IP SAN, got "10.0.0"',
    ],
    [
      'a subject pair of one item',
      edit((s) => (s.identities[0].subject[0] = ['C'])),
      'identities[0].subject[0]: must be an [attribute, value] pair',
    ],
    [
      'an unknown subject attribute',
      edit((s) => (s.identities[0].subject[0] = ['X', 'y'])),
      'identities[0].subject[0][0]: must be one of C, ST, L, O, OU, CN, emailAddress, got "X"',
    ],
    [
      'a subject value that breaks its rule',
      edit((s) => (s.identities[0].subject[0] = ['C', 'Korea'])),
      'identities[0].subject[0][1]: must be a two-letter ISO 3166 country code',
    ],
    ['a subject without a CN', edit((s) => (s.ca.subject = DN)), 'ca.subject: must have a CN'],
    [
      'a key size keytool does not make',
      edit((s) => (s.ca.keyBits = 3000)),
      'ca.keyBits: must be an RSA key size of 2048, 3072, 4096 or 8192 bits, got 3000',
    ],
    [
      'a validity out of range',
      edit((s) => (s.identities[0].validityDays = 0)),
      'identities[0].validityDays: must be a whole number from 1 to 36500, got "0"',
    ],
    [
      'a listener name in lower case',
      edit((s) => (s.deployment.listeners[0].name = 'ssl')),
      'deployment.listeners[0].name: must be a listener name in capitals (A-Z, 0-9, _), got "ssl"',
    ],
    [
      'a listener protocol Kafka does not take',
      edit((s) => (s.deployment.listeners[0].protocol = 'PLAINTEXT')),
      'deployment.listeners[0].protocol: must be SSL or SASL_SSL, got "PLAINTEXT"',
    ],
    [
      "a listener host beyond the brokers' names",
      edit((s) => (s.deployment.listeners[0].host = 2)),
      'deployment.listeners[0].host: must be a whole number from 0 to 1, got "2"',
    ],
    [
      'an inter-broker listener not listed',
      edit((s) => (s.deployment.interBrokerListener = 'INTERNAL')),
      'deployment.interBrokerListener: must be one of the listeners (SSL), got "INTERNAL"',
    ],
    [
      'a relative mount path',
      edit((s) => (s.deployment.mountPath = 'etc/kafka')),
      'deployment.mountPath: must be an absolute path of letters, digits and . _ - /, got "etc/kafka"',
    ],
    [
      'a namespace that is no DNS label',
      edit((s) => (s.deployment.namespace = 'Kafka')),
      'deployment.namespace: must be a DNS label',
    ],
    ['an unknown emit', edit((s) => (s.emit = ['helm'])), 'emit[0]: must be one of '],
    [
      'generatedPasswords as a string',
      edit((s) => (s.generatedPasswords = 'yes')),
      'generatedPasswords: must be true or false, got "yes"',
    ],
    ['a caCert of null', edit((s) => (s.caCert = null)), 'caCert: must be a mapping (key: value)'],
    [
      'a serial not in hex',
      edit((s) => (s.caCert.serial = 'zz')),
      'caCert.serial: must be a certificate serial in hex, got "zz"',
    ],
    [
      'a fingerprint that is none',
      edit((s) => (s.certs['kafka-0'].issuerSha256 = 'AB')),
      'certs.kafka-0.issuerSha256: must be a SHA-256 fingerprint (32 hex bytes separated by colons), got "AB"',
    ],
    [
      'a cert record for an identity it does not list',
      edit((s) => (s.certs.ghost = s.certs['kafka-0'])),
      'certs.ghost: is not the alias of an identity the file lists',
    ],
    [
      'a subject of two lines',
      edit((s) => (s.certs['kafka-0'].subject = 'CN=a\nCN=b')),
      'certs.kafka-0.subject: must be one line of text, at most 1024 characters',
    ],
    [
      'an unknown rotation phase',
      edit((s) => (s.rotation = { phase: 'halfway', previousCa: s.ca, nextCa: s.ca })),
      'rotation.phase: must be a rotate-ca phase this kafka-mtls records (started, reissued), got "halfway"',
    ],
    [
      'your own CA at a relative path',
      edit((s) => (s.ca.external = { cert: 'ca.crt' })),
      'ca.external.cert: must be the absolute path your CA\'s file was given as, got "ca.crt"',
    ],
  ];

  test.each(ROWS)('%s is refused in one line naming the file, the field and the rule', (_name, json, says) => {
    const message = refusal(json);
    expect(message.slice(0, `kafka-mtls.json: ${says}`.length)).toBe(`kafka-mtls.json: ${says}`);
    expect(message).not.toContain('\n');
  });
});

describe('the state file records the key', () => {
  const withCa = (ca: Json) => edit((x) => (x.ca = { ...x.ca, ...ca }));
  test("an unknown curve, or a size that is not the curve's, is refused naming the field", () => {
    expect(refusal(withCa({ keyBits: 521, curve: 'P-521' }))).toBe(
      'kafka-mtls.json: ca.curve: must be one of P-256, P-384, got "P-521"',
    );
    expect(refusal(withCa({ keyBits: 2048, curve: 'P-256' }))).toBe(
      'kafka-mtls.json: ca.keyBits: must be 256 for P-256, got 2048',
    );
    expect(refusal(withCa({ keyBits: 256 }))).toMatch(/ca\.keyBits: must be a whole number from 2048 to 8192/);
  });
  test('RSA as before; EC with its curve', () => {
    const read = (ca: Json) => checkState(withCa(ca), '/srv/certs', 'kafka-mtls.json').ca;
    expect(read({ keyBits: 4096 })).toEqual(sound().ca);
    expect(read({ keyBits: 384, curve: 'P-384' })).toEqual({ ...sound().ca, keyBits: 384, curve: 'P-384' });
  });
});
