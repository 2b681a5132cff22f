/**
 * How JSSE's verdicts become findings (src/pki/judged.ts), on verdicts as java/TlsJudge.java prints them: pure, so
 * the cases a JDK here does not produce (a JVM without TLSv1.3) are tested too. What JSSE says of real material is
 * tested in test/integration/verdicts.test.ts.
 */
import { connectionsOf, type Party } from '../../src/pki/connections.js';
import { parseVerdicts, type PairVerdict } from '../../src/pki/judge.js';
import { connectionFindings, planJudging } from '../../src/pki/judged.js';

const party = (alias: string, role: 'broker' | 'client'): Party => ({
  alias,
  role,
  keystore: `${alias}.keystore.jks`,
  truststore: role === 'broker' ? 'kafka.server.truststore.jks' : 'kafka.client.truststore.jks',
  hosts: role === 'broker' ? [{ kind: 'DNS', value: `${alias}.example.com` }] : [],
  sources: [{ label: 'store password' }],
});
const parties = [party('b0', 'broker'), party('b1', 'broker'), party('c', 'client')];
const request = planJudging(
  '/d',
  parties,
  connectionsOf(parties, () => true),
  () => 'PKCS12',
);
const ok = (pair: string, protocol: 'TLSv1.2' | 'TLSv1.3'): PairVerdict => ({
  pair,
  protocol,
  ok: true,
  negotiated: protocol,
  cipher: 'x',
  clientPrincipal: 'CN=x',
  serverPrincipal: 'CN=y',
});

test('the inter-broker listener is a ring when every broker trusts with the same truststore, else a mesh', () => {
  const three = [...parties, party('b2', 'broker')];
  const ring = connectionsOf(three, () => true).filter((c) => c.interBroker);
  expect(ring.map((c) => `${c.client.alias}->${c.server.alias}`)).toEqual(['b0->b1', 'b1->b2', 'b2->b0']);
  expect(connectionsOf(three, () => false).filter((c) => c.interBroker)).toHaveLength(6);
});

test('a refusal names both keystores, the side that refused, its truststore, JSSE’s words and the fix', () => {
  const refused: PairVerdict = {
    pair: 'c0',
    protocol: 'TLSv1.2',
    ok: false,
    refusedBy: 'client',
    error: 'javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching b0.example.com found.',
  };
  const f = connectionFindings(request, [refused, { ...refused, protocol: 'TLSv1.3' }]);
  expect(f).toContainEqual({
    status: 'fail',
    target: 'c.keystore.jks -> b0.keystore.jks',
    check: 'handshake (JSSE)',
    message: expect.stringMatching(
      /^client to broker to b0\.example\.com, TLSv1\.2 and TLSv1\.3: the client \(c, trusting kafka\.client\.truststore\.jks\) refused b0\.keystore\.jks: .*No subject alternative.*; b0\.keystore\.jks does not serve b0\.example\.com/,
    ),
  });
});

test('a protocol the JVM does not speak is a warning, said once, and never a pass', () => {
  const verdicts = [...request.connections.keys()].flatMap((id): PairVerdict[] => [
    ok(id, 'TLSv1.2'),
    { pair: id, protocol: 'TLSv1.3', ok: false, refusedBy: 'unsupported', error: 'no TLSv1.3' },
  ]);
  const f = connectionFindings(request, verdicts);
  expect(f.filter((x) => x.status === 'warn')).toEqual([
    expect.objectContaining({ message: expect.stringMatching(/^TLSv1\.3 not judged/) }),
  ]);
  for (const pass of f.filter((x) => x.status === 'pass')) expect(pass.message).toMatch(/^TLSv1\.2 handshakes with/);
});

test('no verdict for a connection is a failure, not a silence', () => {
  const f = connectionFindings(request, []);
  expect(f.filter((x) => x.status === 'fail')).toHaveLength(request.connections.size);
});

test("the judge's reply is read line by line; a refused request is no verdict", () => {
  expect(parseVerdicts('{"error":"cannot read the request at argument 3: x"}\n')).toEqual({
    unavailable: 'the TLS judge refused the request: cannot read the request at argument 3: x',
  });
});
