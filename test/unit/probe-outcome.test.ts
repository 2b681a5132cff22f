import { X509Certificate } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseTarget } from '../../src/commands/probe.js';
import { UsageError } from '../../src/errors.js';
import type { Observation } from '../../src/probe/handshake.js';
import { classify, nameMismatch, type ProbeContext } from '../../src/probe/outcome.js';
import { tempDir } from '../helpers/cli.js';

/**
 * The verdicts that a local openssl s_server cannot be made to produce (test/integration/probe.test.ts has the
 * others): what a Java broker sends, what a network without DNS says, a server that hangs up without an alert.
 */
const CTX: ProbeContext = {
  host: 'kafka-0',
  port: 9093,
  name: 'kafka-0',
  sentCert: false,
  checkedCa: true,
  timeoutMs: 5000,
};
const seen = (o: Partial<Observation>): Observation => ({
  protocol: 'TLSv1.2',
  tcpConnected: true,
  handshakeDone: false,
  chain: [],
  ...o,
});
const alert = (n: number) => ({ code: 'ERR_SSL_X', message: `… SSL alert number ${n}`, alert: n });

test.each([
  // JSSE under TLS 1.2 answers a missing certificate with bad_certificate, a foreign one with certificate_unknown.
  [
    'Java, TLS 1.2, no certificate',
    seen({ certRequested: true, error: alert(42) }),
    false,
    'client-cert-required',
    /and we sent none \(alert "bad certificate"\)/,
  ],
  [
    'Java, a certificate from another CA',
    seen({ certRequested: true, error: alert(46) }),
    true,
    'client-cert-rejected',
    /alert "certificate unknown" \(46\)$/,
  ],
  [
    'an expired client certificate',
    seen({ certRequested: true, error: alert(45) }),
    true,
    'client-cert-rejected',
    /alert "certificate expired" \(45\)$/,
  ],
  [
    'no cipher in common: a handshake failure before any request',
    seen({ error: alert(40) }),
    false,
    'handshake-failed',
    /ended the TLSv1\.2 handshake: alert "handshake failure" \(40\)$/,
  ],
  [
    'an SNI the server does not serve',
    seen({ error: alert(112) }),
    false,
    'handshake-failed',
    /does not know the name we sent as SNI, kafka-0/,
  ],
  // TLS 1.3: the server judges our certificate after our handshake is done. Its rejection is an alert, which Node
  // reports as an error with the alert's number; a close with no alert (Node: 'end', or a reset) is no rejection.
  [
    'Java, TLS 1.3, a certificate it refuses: alert 42 after the handshake',
    seen({ protocol: 'TLSv1.3', handshakeDone: true, certRequested: true, error: alert(42) }),
    true,
    'client-cert-rejected',
    /^the server rejected our client certificate: alert "bad certificate" \(42\)$/,
  ],
  [
    'TLS 1.3, no certificate: alert 116 after the handshake',
    seen({ protocol: 'TLSv1.3', handshakeDone: true, certRequested: true, error: alert(116) }),
    false,
    'client-cert-required',
    /we sent none \(alert "certificate required"\)$/,
  ],
  [
    'a close after the TLS 1.3 handshake, certificate sent, no alert',
    seen({ protocol: 'TLSv1.3', handshakeDone: true, certRequested: true, closedAfterHandshake: true }),
    true,
    'closed-after-accept',
    /^the server completed the TLSv1\.3 handshake with our client certificate, then closed .* with no alert/,
  ],
  [
    'a reset after the TLS 1.3 handshake, no certificate sent, no alert',
    seen({
      protocol: 'TLSv1.3',
      handshakeDone: true,
      certRequested: true,
      error: { code: 'ECONNRESET', message: 'read ECONNRESET' },
    }),
    false,
    'closed-after-accept',
    /handshake without a client certificate \(it asked for one, we sent none\), then closed/,
  ],
  [
    'a close after the TLS 1.3 handshake, no certificate asked for',
    seen({ protocol: 'TLSv1.3', handshakeDone: true, certRequested: false, closedAfterHandshake: true }),
    true,
    'closed-after-accept',
    /handshake without asking for a client certificate, then closed/,
  ],
  [
    'DNS that does not answer',
    seen({ tcpConnected: false, error: { code: 'EAI_AGAIN', message: 'getaddrinfo EAI_AGAIN kafka-0' } }),
    false,
    'unresolved',
    /^cannot resolve kafka-0 \(the DNS server did not answer\)$/,
  ],
  [
    'no route',
    seen({ tcpConnected: false, error: { code: 'EHOSTUNREACH', message: 'connect EHOSTUNREACH' } }),
    false,
    'unreachable',
    /^no route to kafka-0$/,
  ],
  [
    'a SYN never answered',
    seen({ tcpConnected: false, timedOut: true }),
    false,
    'timeout',
    /did not accept a connection within 5 s$/,
  ],
  [
    'an expired server certificate',
    seen({ handshakeDone: true, authorizationError: 'CERT_HAS_EXPIRED' }),
    false,
    'server-untrusted',
    /its certificate has expired \(CERT_HAS_EXPIRED\)$/,
  ],
] as const)('%s: %s', (_name, o, sentCert, code, sentence) => {
  const outcome = classify(o, { ...CTX, sentCert });
  expect(outcome.code).toBe(code);
  expect(outcome.sentence).toMatch(sentence);
  expect(outcome.hint).toMatch(/\S/);
});

test("the server's verdict outranks ours: a rejected certificate is reported, not the untrusted server", () => {
  const o = seen({
    protocol: 'TLSv1.3',
    handshakeDone: true,
    certRequested: true,
    authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    error: alert(48),
  });
  expect(classify(o, { ...CTX, sentCert: true }).code).toBe('client-cert-rejected');
});

test.each([
  ['kafka-0:9093', { host: 'kafka-0', port: 9093 }],
  ['10.0.0.7:1', { host: '10.0.0.7', port: 1 }],
  ['[::1]:65535', { host: '::1', port: 65535 }],
  ['[fe80::1%eth0]:9093', { host: 'fe80::1%eth0', port: 9093 }],
])('%s is a target', (raw, parsed) => {
  expect(parseTarget(raw)).toEqual(parsed);
});

test.each([
  'kafka-0:0',
  'kafka-0:65536',
  'kafka-0:-1',
  'kafka-0:',
  'kafka-0:9093:1',
  '::1',
  '[::1]',
  '[kafka]:9093',
  '',
])('%j is refused, naming <host:port>', (raw) => {
  expect(() => parseTarget(raw)).toThrow(UsageError);
  expect(() => parseTarget(raw)).toThrow(/^<host:port>: /);
});

describe("nameMismatch: servesSan's answer, on certificates real openssl makes", () => {
  let dir: string;
  const leaf: Record<string, X509Certificate> = {};
  beforeAll(async () => {
    dir = await tempDir('kmtls-probe-names-');
    for (const [name, ext] of [
      ['sans', ['-addext', 'subjectAltName=DNS:*.kafka.example.com,IP:10.0.0.5,DNS:10.0.0.6']],
      ['cn-only', []],
    ] as const) {
      const args = ['req', '-x509', '-newkey', 'rsa:2048', '-noenc', '-keyout', join(dir, `${name}.key`)];
      const subject = ['-subj', '/CN=kafka-0.kafka.example.com', '-days', '2', ...ext];
      leaf[name] = new X509Certificate((await execa('openssl', [...args, ...subject])).stdout);
    }
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test.each([
    ['cn-only', 'kafka-0.kafka.example.com', 'the subject CN is never consulted'],
    ['sans', '10.0.0.6', 'an IP matches IP SANs only, not a DNS SAN spelling it'],
    ['sans', '10.0.0.7', 'an IP the certificate does not list'],
    ['sans', 'kafka.example.com', 'a wildcard does not cover the bare domain'],
    ['sans', 'a.kafka-0.kafka.example.com', 'a wildcard covers one label only'],
  ])('%s does not cover %s: %s', (cert, name) => {
    expect(nameMismatch({ leaf: leaf[cert] }, name)?.code).toBe('name-mismatch');
  });

  test.each([
    ['sans', '10.0.0.5'],
    ['sans', 'kafka-0.kafka.example.com'],
    ['sans', 'KAFKA-1.Kafka.Example.Com'],
  ])('%s covers %s', (cert, name) => {
    expect(nameMismatch({ leaf: leaf[cert] }, name)).toBeUndefined();
  });
});
