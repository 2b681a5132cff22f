/**
 * The rules `verify` applies: Kafka's own, as a broker and its clients meet them at the TLS handshake. Pure: stores
 * in, one finding per check out.
 */
import type { San } from '../model/cluster.js';
import type { X509Certificate } from 'node:crypto';
import { parseX509, servesSan, signedBy, type CertInfo } from './x509.js';
import type { ReadStore } from './read.js';

export type Status = 'pass' | 'warn' | 'fail';

export interface Finding {
  readonly status: Status;
  /** The file, and the alias where it matters. */
  readonly target: string;
  readonly check: string;
  readonly message: string;
}

/** What verify found in a directory: a finding per check, and whether any failed. */
export interface VerifyResult {
  readonly dir: string;
  readonly findings: readonly Finding[];
  readonly failed: boolean;
}

export interface Expectations {
  /** What a key entry's alias says it is. */
  readonly roleOf: (alias: string) => 'broker' | 'client' | 'unknown';
  /** The identity a keystore file belongs to (by its name in the directory), when the directory says. */
  readonly ownerOf?: (file: string) => { readonly alias: string; readonly role: 'broker' | 'client' } | undefined;
  /** The DNS names and IP addresses a broker must serve. */
  readonly brokerHosts: (alias: string) => readonly San[];
  readonly now: Date;
}

const SERVER_AUTH = 'TLS Web Server Authentication';
const CLIENT_AUTH = 'TLS Web Client Authentication';
const DAY = 86_400_000;
/** Kafka's JDKs refuse smaller RSA keys (jdk.certpath.disabledAlgorithms): the floor verify and --ca-cert apply. */
export const MIN_RSA_BITS = 2048;

export function applyRules(
  keystores: readonly ReadStore[],
  truststores: readonly ReadStore[],
  x: Expectations,
): Finding[] {
  const out: Finding[] = [];
  const trusted = new Map<string, { file: string; pem: string }>(); // sha256 -> truststore file and the CA
  // A CA appears in every truststore and every chain: report its validity and strength once.
  const seen = new Set<string>();
  const once = (target: string, c: CertInfo): Finding[] => {
    if (seen.has(c.sha256)) return [];
    seen.add(c.sha256);
    return certFindings(target, c, x.now);
  };
  if (keystores.length === 0) out.push(noStore('keystore'));
  if (truststores.length === 0) out.push(noStore('truststore'));
  for (const ts of truststores) out.push(...truststoreFindings(ts, trusted, once));
  for (const ks of keystores) out.push(...keystoreFindings(ks, trusted, once, x));
  return out;
}

/** How findings name a store: its name in the directory, else its file name. */
const nameOf = (s: ReadStore) => s.name ?? s.path.split('/').pop()!;

type Once = (target: string, c: CertInfo) => Finding[];

function noStore(kind: 'keystore' | 'truststore'): Finding {
  return {
    status: 'fail',
    target: '(directory)',
    check: 'stores',
    message: `no ${kind} (*.${kind}.jks, *.${kind}.p12, *.${kind}.pkcs12) found`,
  };
}

/** A truststore holds CA certificates only; each one it holds is recorded in `trusted` for the chains. */
function truststoreFindings(ts: ReadStore, trusted: Map<string, Trusted>, once: Once): Finding[] {
  const out: Finding[] = [];
  const name = nameOf(ts);
  if (!opens(ts, out, name)) return out;
  const keys = ts.entries.filter((e) => e.entryType !== 'trustedCertEntry');
  const cas = ts.entries.filter((e) => e.entryType === 'trustedCertEntry');
  if (keys.length > 0)
    out.push({
      status: 'fail',
      target: name,
      check: 'truststore',
      message:
        `holds key entries (${keys.map((k) => k.alias).join(', ')}): ` +
        'a truststore should hold only CA certificates',
    });
  else if (cas.length === 0)
    out.push({ status: 'fail', target: name, check: 'truststore', message: 'holds no trusted certificate' });
  else
    out.push({
      status: 'pass',
      target: name,
      check: 'truststore',
      message: `holds ${cas.map((c) => c.alias).join(', ')} and nothing else`,
    });
  for (const e of cas) {
    const ca = e.infos[0];
    const pem = e.certs[0]?.pem;
    if (!ca || !pem) continue;
    trusted.set(ca.sha256, { file: name, pem });
    out.push(caFinding(`${name} ${e.alias}`, ca));
    out.push(...once(`${name} ${e.alias}`, ca));
  }
  return out;
}

/** A keystore holds one key entry: its chain, its key, its usages, names and principal. */
type Trusted = { readonly file: string; readonly pem: string };

function keystoreFindings(ks: ReadStore, trusted: Map<string, Trusted>, once: Once, x: Expectations): Finding[] {
  const out: Finding[] = [];
  if (!opens(ks, out, nameOf(ks))) return out;
  const keyEntries = ks.entries.filter((e) => e.entryType === 'PrivateKeyEntry');
  if (keyEntries.length !== 1) {
    const message = `holds ${keyEntries.length} key entries; a Kafka keystore needs exactly one`;
    return [...out, { status: 'fail', target: nameOf(ks), check: 'key entry', message }];
  }
  const entry = keyEntries[0]!;
  const target = `${nameOf(ks)} ${entry.alias}`;
  out.push({ status: 'pass', target, check: 'key entry', message: `one key entry, chain of ${entry.infos.length}` });
  const pems = entry.certs.map((c) => c.pem).filter((p): p is string => p !== undefined);
  out.push(chainFinding(target, entry.infos, pems, trusted));
  out.push(keyMatchFinding(target, ks));
  const leaf = entry.infos[0];
  if (!leaf) return out;
  // The file says whose keystore it must be: another identity's keystore copied over it serves the wrong names.
  const owner = x.ownerOf?.(nameOf(ks));
  if (owner && owner.alias.toLowerCase() !== entry.alias.toLowerCase())
    out.push({
      status: 'fail',
      target,
      check: 'owner',
      message:
        `${nameOf(ks)} is ${owner.alias}'s keystore but holds ${entry.alias}'s key entry ` +
        `(another identity's keystore copied over it?): kafka-mtls apply makes ${owner.alias}'s again`,
    });
  const role = owner?.role ?? x.roleOf(entry.alias);
  out.push(ekuFinding(target, leaf, role));
  const leafPem = entry.certs[0]?.pem;
  if (role === 'broker' && leafPem)
    out.push(sanFinding(target, leafPem, leaf, x.brokerHosts(owner?.alias.toLowerCase() ?? entry.alias)));
  entry.infos.forEach((cert, i) => out.push(...once(i === 0 ? target : `${target} chain[${i}]`, cert)));
  return out;
}

function keyMatchFinding(target: string, ks: ReadStore): Finding {
  if (ks.keyMatches === undefined)
    return {
      status: 'warn',
      target,
      check: 'key matches',
      message: `not checked for ${ks.type} stores (keytool cannot export a private key)`,
    };
  return ks.keyMatches
    ? { status: 'pass', target, check: 'key matches', message: 'the private key matches the certificate' }
    : { status: 'fail', target, check: 'key matches', message: 'the private key does not match the certificate' };
}

function opens(s: ReadStore, out: Finding[], target: string): boolean {
  if (s.opened)
    out.push({ status: 'pass', target, check: 'opens', message: `${s.type} store opens with the password` });
  else out.push({ status: 'fail', target, check: 'opens', message: `does not open with the password: ${s.error}` });
  return s.opened;
}

function caFinding(target: string, ca: CertInfo): Finding {
  if (ca.version === 1 && !ca.hasBasicConstraints) {
    return {
      status: 'warn',
      target,
      check: 'CA',
      message:
        'an X.509 v1 CA with no extensions (as mtls-kafka.sh makes): Java trusts it as an anchor, ' +
        'but it states neither CA:TRUE nor keyCertSign; regenerate the CA with kafka-mtls',
    };
  }
  if (!ca.isCa) return { status: 'fail', target, check: 'CA', message: 'not a CA: no basicConstraints CA:TRUE' };
  if (!ca.keyUsage.includes('Certificate Sign'))
    return { status: 'fail', target, check: 'CA', message: 'a CA without keyUsage keyCertSign' };
  return { status: 'pass', target, check: 'CA', message: `v${ca.version} CA (CA:TRUE, keyCertSign): ${ca.subject}` };
}

/**
 * The chain as a TLS peer checks it: each certificate signed by the next one's key (by signature, not by name), the
 * last one a CA a truststore holds or signed by one. A chain whose certificates link in another order is named so.
 */
function chainFinding(
  target: string,
  chain: readonly CertInfo[],
  pems: readonly string[],
  trusted: ReadonlyMap<string, Trusted>,
): Finding {
  const fail = (message: string): Finding => ({ status: 'fail', target, check: 'chain', message });
  const top = chain[chain.length - 1];
  if (!top || pems.length !== chain.length) return fail('the key entry has no certificate');
  const parsed = pems.map(parseX509);
  // A block openssl read but Node cannot is no chain to check by signature: said, not thrown.
  if (parsed.some((c) => c === undefined)) return fail('a certificate of the chain cannot be parsed (node:crypto)');
  const certs = parsed as X509Certificate[];
  const broken = certs.findIndex((c, i) => i + 1 < certs.length && !signedBy(c, certs[i + 1]!));
  // JSSE and OpenSSL rebuild a path from certificates sent out of order, so that alone refuses nothing: a warning.
  const unordered = broken >= 0 && certs.length > 2 && reorderable(certs);
  if (broken >= 0 && !unordered)
    return fail(
      `${chain[broken]!.subject} is not signed by the next certificate in the chain, ${chain[broken + 1]!.subject}` +
        ' (checked by signature): the chain is not the one that signed it; kafka-mtls apply reissues it',
    );
  const anchors = [...trusted.values()];
  const where =
    trusted.get(top.sha256) ??
    anchors.find((a) => {
      const anchor = parseX509(a.pem);
      return anchor !== undefined && signedBy(certs[certs.length - 1]!, anchor);
    });
  if (!where) {
    const selfSigned = signedBy(certs[certs.length - 1]!, certs[certs.length - 1]!);
    return fail(
      selfSigned
        ? `the chain ends at ${top.subject}, which no truststore holds (a CA of the same name is not the same CA: ` +
            'checked by signature)'
        : `the chain stops at ${top.subject}, issued by ${top.issuer}, which neither the chain nor any truststore ` +
            'holds (by signature): import the CA before the signed certificate',
    );
  }
  const names = chain.map((c) => /CN=([^,]+)/.exec(c.subject)?.[1] ?? c.subject).join(' -> ');
  if (unordered)
    return {
      status: 'warn',
      target,
      check: 'chain',
      message:
        `in the wrong order (${names}): each certificate must be followed by its issuer, the leaf first; JSSE and ` +
        'OpenSSL put it right, TLS 1.2 requires the order; kafka-mtls apply writes it again',
    };
  // A leaf alone is what its peers accept when they trust its issuer itself, as JSSE and OpenSSL both do.
  const alone = trusted.get(top.sha256) ? '' : ` (the leaf alone), signed by a CA that`;
  return { status: 'pass', target, check: 'chain', message: `${names}${alone}, trusted by ${where.file}` };
}

/** Whether the chain's certificates, in some other order, link leaf to root. */
function reorderable(certs: readonly X509Certificate[]): boolean {
  const rest = certs.slice(1);
  let cur = certs[0]!;
  while (rest.length > 0) {
    const next = rest.findIndex((c) => signedBy(cur, c));
    if (next < 0) return false;
    cur = rest.splice(next, 1)[0]!;
  }
  return true;
}

function ekuFinding(target: string, leaf: CertInfo, role: 'broker' | 'client' | 'unknown'): Finding {
  const eku = leaf.extKeyUsage;
  if (eku.length === 0)
    return {
      status: 'warn',
      target,
      check: 'extendedKeyUsage',
      message: 'none: the certificate may be used for anything',
    };
  const need = role === 'broker' ? [SERVER_AUTH, CLIENT_AUTH] : [CLIENT_AUTH];
  const missing = need.filter((u) => !eku.includes(u));
  if (missing.length > 0) {
    const why =
      role === 'broker'
        ? 'a broker presents its certificate as a server to clients and as a client to the other brokers'
        : 'a client presents its certificate as a client';
    return {
      status: 'fail',
      target,
      check: 'extendedKeyUsage',
      message: `lacks ${missing.map((m) => (m === SERVER_AUTH ? 'serverAuth' : 'clientAuth')).join(' and ')}: ${why}`,
    };
  }
  return {
    status: 'pass',
    target,
    check: 'extendedKeyUsage',
    message: `${role === 'unknown' ? 'not a known broker or client alias; ' : ''}${eku.join(', ')}`,
  };
}

function sanFinding(target: string, pem: string, leaf: CertInfo, hosts: readonly San[]): Finding {
  const missing = hosts.filter((h) => !servesSan(pem, h));
  if (missing.length > 0) {
    const onlyDns = missing.filter((h) => h.kind === 'IP' && leaf.sans.includes(`DNS:${h.value}`)).map((h) => h.value);
    const why =
      onlyDns.length > 0
        ? ` (${onlyDns.join(', ')}: listed only as a DNS name; ` +
          'a client connecting to an IP address matches IP SANs only)'
        : '';
    return {
      status: 'fail',
      target,
      check: 'SANs',
      message:
        `missing ${missing.map((h) => h.value).join(', ')}${why}: ` +
        'a client connecting by that name fails hostname verification',
    };
  }
  return { status: 'pass', target, check: 'SANs', message: `cover ${hosts.length} host name(s)` };
}

function certFindings(target: string, c: CertInfo, now: Date): Finding[] {
  const out: Finding[] = [];
  const days = Math.floor((c.notAfter.getTime() - now.getTime()) / DAY);
  if (c.notBefore.getTime() > now.getTime())
    out.push({ status: 'fail', target, check: 'validity', message: `not valid before ${c.notBefore.toISOString()}` });
  else if (days < 0)
    out.push({ status: 'fail', target, check: 'validity', message: `expired on ${c.notAfter.toISOString()}` });
  else if (days < 30)
    out.push({
      status: 'warn',
      target,
      check: 'validity',
      message: `expires in ${days} days (${c.notAfter.toISOString()})`,
    });
  else out.push({ status: 'pass', target, check: 'validity', message: `expires in ${days} days` });
  if (weakRsa(c))
    out.push({ status: 'fail', target, check: 'key size', message: `RSA ${c.keyBits}: under ${MIN_RSA_BITS} bits` });
  if (sha1Signed(c))
    out.push({
      status: 'fail',
      target,
      check: 'signature',
      message: `${c.signatureAlgorithm}: SHA-1 signatures are refused by current JDKs`,
    });
  return out;
}

/** An RSA key under the floor. */
export function weakRsa(c: CertInfo): boolean {
  return /rsa/i.test(c.keyType) && c.keyBits < MIN_RSA_BITS;
}

/** Signed with SHA-1 by another certificate (a self-signed root's own signature is never checked). */
export function sha1Signed(c: CertInfo): boolean {
  return /sha1/i.test(c.signatureAlgorithm) && c.subject !== c.issuer;
}
