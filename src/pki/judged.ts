/**
 * What to ask JSSE about a directory (each identity's stores with each configured password, each connection over
 * TLS 1.2 and 1.3), and the findings its answers give. Pure: parties in, a request out; verdicts in, findings out.
 * The verdicts are Java's; this file only says which files they are about and what fixes them.
 */
import type { Connection, Party, PasswordSource } from './connections.js';
import { PROTOCOLS, type JudgedPair, type JudgedStore, type PairVerdict, type StoreVerdict } from './judge.js';
import type { KafkaPrincipals } from './principal.js';
import type { Finding } from './rules.js';

export interface JudgeRequest {
  readonly stores: readonly JudgedStore[];
  readonly pairs: readonly JudgedPair[];
  /** Each identity's password sources, with the stores each one opens. */
  readonly sources: ReadonlyArray<{ party: Party; source: PasswordSource; keystore: string; truststore: string }>;
  readonly connections: ReadonlyMap<string, { connection: Connection; host?: string }>;
}

/**
 * Stores by file and passwords (one load each), connections by the parties' first source (what Kafka's own
 * configuration gives), on the broker's advertised name.
 */
export function planJudging(
  dir: string,
  parties: readonly Party[],
  connections: readonly Connection[],
  typeOf: (file: string) => 'PKCS12' | 'JKS',
): JudgeRequest {
  const stores = new Map<string, JudgedStore>();
  const storeFor = (file: string, password: PasswordSource['keystore'], keyPassword?: PasswordSource['key']) => {
    const key = [file, password?.reveal() ?? '', keyPassword?.reveal() ?? ''].join('\0');
    let s = stores.get(key);
    if (!s) {
      s = { id: `s${stores.size}`, path: `${dir}/${file}`, type: typeOf(file), password, keyPassword };
      stores.set(key, s);
    }
    return s.id;
  };
  const sources = parties.flatMap((party) =>
    party.sources.map((source) => ({
      party,
      source,
      keystore: storeFor(party.keystore, source.keystore, source.key),
      truststore: storeFor(party.truststore, source.truststore),
    })),
  );
  const first = (p: Party) => sources.find((s) => s.party === p)!;
  const pairs: JudgedPair[] = [];
  const byId = new Map<string, { connection: Connection; host?: string }>();
  connections.forEach((connection, i) => {
    const c = first(connection.client);
    const s = first(connection.server);
    const host = connection.server.hosts[0]?.value;
    byId.set(`c${i}`, { connection, host });
    const { client, server } = { client: connection.client.cipherSuites, server: connection.server.cipherSuites };
    const suites = client || server ? { suites: { client, server } } : {};
    for (const protocol of PROTOCOLS)
      pairs.push({
        ...suites,
        id: `c${i}`,
        client: { keystore: c.keystore, truststore: c.truststore },
        server: { keystore: s.keystore, truststore: s.truststore },
        host,
        protocol,
      });
  });
  return { stores: [...stores.values()], pairs, sources, connections: byId };
}

/** Each password source's stores, as Kafka loads them with it. */
export function sourceFindings(req: JudgeRequest, stores: ReadonlyMap<string, StoreVerdict>): Finding[] {
  const out: Finding[] = [];
  for (const { party, source, keystore, truststore } of req.sources) {
    // A configuration file is named as what is wrong; the password verify was given, by the store it opens.
    const fromFile = /[/.]/.test(source.label) && source.label !== party.keystore;
    const target = fromFile ? source.label : party.keystore;
    const problems = [
      loadProblem(party.keystore, stores.get(keystore), 'keystore', source),
      loadProblem(party.truststore, stores.get(truststore), 'truststore', source),
    ].filter((p): p is [string, string] => p !== undefined);
    const said = problems.map(([why, fix]) => `${why}: ${fix}`).join('; ');
    out.push(
      problems.length > 0
        ? { status: 'fail', target, check: 'loads in Java', message: `${said} (the broker or client will not start)` }
        : {
            status: 'pass',
            target,
            check: 'loads in Java',
            message:
              `${party.keystore} and ${party.truststore} load with ${fromFile ? 'its passwords' : source.label} ` +
              'as Kafka loads them (JSSE: SunX509, PKIX)',
          },
    );
  }
  return out;
}

/** JDK 17's and 11's words for a key or certificate whose curve is given by its parameters, not its name. */
export const EXPLICIT_EC = /Only named ECParameters supported|explicit (?:EC|ECC )?(?:curve )?param/i;
const EXPLICIT_FIX =
  'make its key on a named curve (openssl -pkeyopt ec_param_enc:named_curve, the default), or reissue it ' +
  '(kafka-mtls apply --key-type ec-p256)';

/** Why Kafka would not load a store with these passwords, and what fixes it; undefined when it loads. */
function loadProblem(
  file: string,
  v: StoreVerdict | undefined,
  kind: 'keystore' | 'truststore',
  source: PasswordSource,
): [string, string] | undefined {
  if (!v) return [`${file} was not judged`, 'run verify again'];
  // Each password names where it came from (its Secret's label: a file, or the option verify was given).
  const from = (s: PasswordSource['keystore']) =>
    !s ? ' without a password' : /[/.]/.test(s.label) ? ` with the password from ${s.label}` : ` with the ${s.label}`;
  // Java's refusal of explicit curve parameters comes wrapped as a wrong password ("keystore password was
  // incorrect <- … Only named ECParameters supported"): the password is not the cause, and no password helps.
  const error = v.loaded ? v.keyError : v.error;
  if (error !== undefined && EXPLICIT_EC.test(error))
    return [
      `${file} holds an EC key or certificate with explicit curve parameters, which Java refuses: ${error}`,
      EXPLICIT_FIX,
    ];
  if (!v.loaded)
    return [
      `${file} does not load${from(kind === 'keystore' ? source.keystore : source.truststore)}: ${v.error}`,
      'give the password the store was made with (kafka-mtls apply rewrites the credentials files)',
    ];
  if (kind === 'keystore' && v.keyError)
    return [
      `${file}'s key is not recovered${from(source.key ?? source.keystore)}: ${v.keyError}`,
      "set ssl.key.password to the key's password, or give the key the store password (keytool -keypasswd)",
    ];
  if (kind === 'keystore' && v.keyEntries !== 1)
    return [`${file} holds ${v.keyEntries} key entries, not one`, 'kafka-mtls apply makes the keystore again'];
  if (kind === 'truststore' && v.trustedEntries === 0)
    return [
      `${file} holds no certificate Java trusts (a PKCS12 CA bag without Java's trusted-certificate ` +
        'attribute is invisible to Java)',
      'import the CA with keytool -importcert, or openssl pkcs12 -export -jdktrust anyExtendedKeyUsage',
    ];
  return undefined;
}

/** A finding per connection that any protocol refused; one per client that every broker accepted. */
export function connectionFindings(req: JudgeRequest, pairs: readonly PairVerdict[]): Finding[] {
  const byConnection = new Map<string, PairVerdict[]>();
  for (const v of pairs) byConnection.set(v.pair, [...(byConnection.get(v.pair) ?? []), v]);
  const out: Finding[] = [];
  const accepted = new Map<Party, { interBroker: boolean; count: number; principal?: string }>();
  const unsupported = new Set<string>();
  for (const [id, { connection, host }] of req.connections) {
    const verdicts = byConnection.get(id) ?? [];
    // A store that does not load is its source's finding (sourceFindings): not one more per connection. A protocol
    // the JVM does not speak is said once, below.
    const unjudged = (v: PairVerdict) => !v.ok && (v.refusedBy === 'setup' || v.refusedBy === 'unsupported');
    const refused = verdicts.filter((v): v is Extract<PairVerdict, { ok: false }> => !v.ok && !unjudged(v));
    for (const v of verdicts) if (!v.ok && v.refusedBy === 'unsupported') unsupported.add(v.protocol);
    if (refused.length === 0 && verdicts.some((v) => !v.ok && v.refusedBy === 'setup')) continue;
    if (refused.length === 0 && verdicts.length > 0) {
      const a = accepted.get(connection.client) ?? { interBroker: connection.interBroker, count: 0 };
      a.count++;
      a.principal ??= verdicts.find((v): v is Extract<PairVerdict, { ok: true }> => v.ok)?.clientPrincipal;
      accepted.set(connection.client, a);
      continue;
    }
    out.push(refusal(connection, host, refused, verdicts.length === 0));
  }
  for (const p of unsupported)
    out.push({
      status: 'warn',
      target: '(directory)',
      check: 'handshake (JSSE)',
      message: `${p} not judged: the keytool's JVM does not speak it (Kafka's JVM may: judge with its keytool)`,
    });
  const spoken = PROTOCOLS.filter((p) => !unsupported.has(p)).join(' and ');
  for (const [client, a] of accepted) {
    const whom = a.interBroker ? 'the other brokers (inter-broker listener)' : 'the brokers';
    out.push({
      status: 'pass',
      target: client.keystore,
      check: 'handshake (JSSE)',
      message:
        `${spoken} handshakes with ${a.count} of ${whom} succeed, client certificate required and ` +
        `host names verified; the broker sees ${a.principal ?? 'no principal'}`,
    });
  }
  return out;
}

function refusal(
  c: Connection,
  host: string | undefined,
  refused: ReadonlyArray<Extract<PairVerdict, { ok: false }>>,
  unjudged: boolean,
): Finding {
  const target = `${c.client.keystore} -> ${c.server.keystore}`;
  if (unjudged) return { status: 'fail', target, check: 'handshake (JSSE)', message: 'JSSE gave no verdict' };
  const v = refused[0]!;
  const protocols = refused.map((r) => r.protocol).join(' and ');
  const via = c.interBroker ? 'inter-broker' : 'client to broker';
  const side =
    v.refusedBy === 'client'
      ? `the client (${c.client.alias}, trusting ${c.client.truststore}) refused ${c.server.keystore}`
      : v.refusedBy === 'server'
        ? `the broker (${c.server.alias}, trusting ${c.server.truststore}) refused ${c.client.keystore}`
        : v.refusedBy === 'setup'
          ? 'the stores could not be used'
          : 'the handshake stalled';
  return {
    status: 'fail',
    target,
    check: 'handshake (JSSE)',
    message: `${via}${host ? ` to ${host}` : ''}, ${protocols}: ${side}: ${v.error}; ${fixFor(v.error, c, host)}`,
  };
}

/** What fixes a refusal, by JSSE's own words. */
export function fixFor(error: string, c: Connection, host: string | undefined): string {
  for (const [re, fix] of FIXES) if (re.test(error)) return fix(c, host);
  return 'JSSE says why above; kafka-mtls inspect shows each certificate';
}

const FIXES: ReadonlyArray<[RegExp, (c: Connection, host: string | undefined) => string]> = [
  [
    /Unsupported CipherSuite/,
    () => "ssl.cipher.suites names a suite this JVM does not know: list suites by Java's names (TLS_ECDHE_…)",
  ],
  // Before the disabled-algorithm entry: JSSE's "No appropriate protocol (protocol is disabled or cipher suites are
  // inappropriate)" is a suites list with nothing for the protocol.
  [
    /no cipher suites in common|No available authentication scheme|no suitable|No appropriate protocol/i,
    (c) =>
      c.client.cipherSuites || c.server.cipherSuites
        ? suitesHint(c)
        : `a store holds no key usable for TLS (${c.server.keystore} or ${c.client.keystore}): reissue it`,
  ],
  [
    /No subject alternative|No name matching|subject alternative names? present/i,
    (c, h) =>
      `${c.server.keystore} does not serve ${h ?? 'the broker name'} (is it another identity's keystore?): ` +
      'kafka-mtls apply reissues it with the names it needs (--san, --host)',
  ],
  [
    /Empty client certificate chain|certificate_required|bad_certificate/,
    (c) =>
      `the client sent no certificate: ${c.client.keystore} has no key whose issuer the broker's truststore ` +
      `(${c.server.truststore}) names; sign it with the cluster's CA (kafka-mtls apply)`,
  ],
  [
    /PKIX path|certification path|trustAnchors|Path does not chain|unknown_ca|certificate_unknown/i,
    () =>
      "the refusing side's truststore does not hold the CA that signed the other side's certificate, or the chain " +
      "does not verify: import the cluster's CA into the truststore, or reissue from that CA (kafka-mtls apply)",
  ],
  [
    /Extended key usage|KeyUsage does not allow|key usage/i,
    () => "the certificate's keyUsage or extendedKeyUsage forbids this use: reissue it (kafka-mtls apply)",
  ],
  [
    /NotAfter|NotBefore|expired|not yet valid|validity/i,
    () => 'a certificate is expired or not yet valid: renew it (kafka-mtls apply --renew-before 30)',
  ],
  [
    /Algorithm constraints|disabled|keySize|weak/i,
    () => 'a key or signature algorithm the JDK disables (jdk.certpath.disabledAlgorithms): reissue it',
  ],
  [
    /basic ?constraints|not a CA|CA certificate/i,
    () => 'a certificate in the chain signs others but is not a CA: reissue the chain',
  ],
];

/**
 * ssl.cipher.suites leaves no suite both sides can use with the broker's key: on TLS 1.2 a suite names the key's
 * signature (TLS_ECDHE_ECDSA_* for an EC key, TLS_ECDHE_RSA_* for RSA); TLS 1.3's (TLS_AES_*, TLS_CHACHA20_*)
 * suit any key and must be listed too when the list is set.
 */
function suitesHint(c: Connection): string {
  const lists = [
    c.client.cipherSuites ? `${c.client.alias}'s ssl.cipher.suites (${c.client.cipherSuites.join(',')})` : undefined,
    c.server.cipherSuites ? `${c.server.alias}'s (${c.server.cipherSuites.join(',')})` : undefined,
  ].filter(Boolean);
  return (
    `${lists.join(' and ')} leave no cipher suite for the key type and protocol: an EC key needs ` +
    'TLS_ECDHE_ECDSA_* on TLS 1.2, an RSA key TLS_ECDHE_RSA_*; TLS 1.3 needs its own (TLS_AES_128_GCM_SHA256, …)'
  );
}

/** The principal Kafka derives from each keystore's certificate, as Java maps it under the brokers' rules. */
export function principalFindings(
  req: JudgeRequest,
  stores: ReadonlyMap<string, StoreVerdict>,
  principals: KafkaPrincipals | undefined,
): Finding[] {
  const out: Finding[] = [];
  const done = new Set<Party>();
  for (const { party, keystore } of req.sources) {
    if (done.has(party)) continue;
    done.add(party);
    const v = stores.get(keystore);
    const subject = v?.loaded ? v.subject : undefined;
    if (!subject) continue;
    const target = `${party.keystore} ${party.alias}`;
    if (!principals || principals.kind === 'unavailable') {
      const why = principals?.kind === 'unavailable' ? principals.reason : 'not asked';
      out.push({
        status: 'warn',
        target,
        check: 'principal',
        message: `not computed: Java could not be asked (${why})`,
      });
      continue;
    }
    const p = principals.verdicts.find((x) => x.dn === subject);
    if (!p) continue;
    if ('principal' in p)
      out.push({ status: 'pass', target, check: 'principal', message: `Kafka sees User:${p.principal}` });
    else if ('noRule' in p)
      out.push({
        status: 'fail',
        target,
        check: 'principal',
        message: `no ssl.principal.mapping.rules rule applies to ${p.name}: Kafka refuses the connection`,
      });
    else
      out.push({
        status: 'fail',
        target,
        check: 'principal',
        message:
          `Kafka fails to map ${p.name ?? p.dn} (${p.error}): it refuses the connection; ` +
          "fix the rule's replacement",
      });
  }
  return out;
}
