import { principalOf, type Cluster, type Identity, type San } from '../model/cluster.js';
import type { State } from '../model/state.js';
import type { FileProblem } from '../pki/present.js';
import { parseSanText, parseX509, sameSan, servesSan, type CertFacts, type CertWithPem } from '../pki/x509.js';
import { keyFacts } from '../pki/key.js';
import { describeKey } from '../model/keys.js';

/**
 * What a run would change, identity by identity: a pure comparison of the
 * wanted cluster with what the directory holds (its state file and the
 * certificates actually there). The CA is never in the plan: it is kept, or
 * replaced only by rotate-ca.
 */

export type ChangeKind = 'create' | 'keep' | 'reissue' | 'recreate' | 'remove';

export interface Change {
  /** The identity, or for a file the identities share (recreate), the file. */
  readonly alias: string;
  readonly role: Identity['role'] | 'shared';
  readonly kind: ChangeKind;
  /** Why it is reissued (or kept despite something), one short clause each. */
  readonly reasons: readonly string[];
}

export interface Current {
  readonly state: State;
  readonly ca: CertFacts;
  /** Each identity's certificate as found in the directory; undefined when the file is missing or unreadable. */
  readonly certs: Readonly<Record<string, CertWithPem | undefined>>;
  /** The files the state lists that are missing or unreadable. */
  readonly problems: readonly FileProblem[];
}

export interface DiffOptions {
  readonly now: Date;
  readonly renewBeforeDays: number;
  readonly prune: boolean;
}

/** openssl prints SANs as "DNS:x" and "IP Address:1.2.3.4". */
export function sanText(s: San): string {
  return s.kind === 'DNS' ? `DNS:${s.value}` : `IP Address:${s.value}`;
}

export function diffCluster(wanted: Cluster, current: Current, opts: DiffOptions): Change[] {
  const changes: Change[] = [];
  const wantedAliases = new Set(wanted.identities.map((i) => i.alias));
  for (const who of wanted.identities) {
    const had = current.state.identities.find((i) => i.alias === who.alias);
    const cert = current.certs[who.alias];
    if (!had) {
      changes.push({ alias: who.alias, role: who.role, kind: 'create', reasons: [] });
      continue;
    }
    // A lost file means a lost key or store: the identity is issued again, by the same CA.
    const lost = current.problems.filter((p) => p.alias === who.alias && !p.rebuildable).map(problemText);
    const reasons = [
      ...lost,
      ...(cert ? reissueReasons(who, cert, current, opts) : lost.length > 0 ? [] : ['its certificate is unreadable']),
    ];
    changes.push({ alias: who.alias, role: who.role, kind: reasons.length > 0 ? 'reissue' : 'keep', reasons });
  }
  // A shared file (the drop-in truststores), or a kept identity's made from the CA or the password alone, is made
  // again; no certificate changes.
  const kept = new Set(changes.filter((c) => c.kind === 'keep').map((c) => c.alias));
  for (const p of current.problems.filter((x) => x.alias === undefined || (x.rebuildable && kept.has(x.alias!))))
    changes.push({
      alias: p.path,
      role: 'shared',
      kind: 'recreate',
      reasons: [problemText(p).slice(p.path.length + 1)],
    });
  for (const had of current.state.identities) {
    if (wantedAliases.has(had.alias)) continue;
    changes.push(
      opts.prune
        ? { alias: had.alias, role: had.role, kind: 'remove', reasons: ['no longer described'] }
        : { alias: had.alias, role: had.role, kind: 'keep', reasons: ['no longer described; --prune removes it'] },
    );
  }
  return changes;
}

function reissueReasons(who: Identity, cert: CertWithPem, current: Current, opts: DiffOptions): string[] {
  const reasons: string[] = [];
  const subject = principalOf(who.subject);
  if (cert.subject !== subject) reasons.push(`subject changed: ${cert.subject} -> ${subject}`);
  // As a TLS client judges names: a wanted host the certificate already serves (through a wildcard, or an IPv6
  // address written another way) is no change; a certificate's SAN that nothing wanted is one.
  const added = who.sans.filter((s) => !servesSan(cert.pem, s)).map(sanText);
  const removed = cert.sans.filter((s) => !who.sans.some((w) => sameSan(w, parseSanText(s))));
  if (added.length > 0 || removed.length > 0) {
    reasons.push(`SANs changed: ${[...added.map((s) => `+${s}`), ...removed.map((s) => `-${s}`)].join(' ')}`);
  }
  const daysLeft = Math.floor((cert.notAfter.getTime() - opts.now.getTime()) / 86_400_000);
  if (daysLeft < opts.renewBeforeDays) {
    reasons.push(
      daysLeft < 0
        ? `expired on ${day(cert.notAfter)}`
        : `expires on ${day(cert.notAfter)}, within ${opts.renewBeforeDays} days`,
    );
  }
  if (cert.issuer !== current.ca.subject) reasons.push(`signed by another CA (${cert.issuer})`);
  else if (
    current.state.certs[who.alias]?.issuerSha256 &&
    current.state.certs[who.alias]!.issuerSha256 !== current.ca.sha256
  ) {
    reasons.push('signed by another CA with the same name');
  }
  const keyChange = keyReason(who, cert.pem, cert.keyBits);
  if (keyChange) reasons.push(keyChange);
  return reasons;
}

/**
 * A key of another type than the one wanted (RSA for EC, P-256 for P-384, or the reverse) is a reissue, and so is an
 * RSA key smaller than wanted; a larger RSA key is kept, as it always was.
 */
function keyReason(who: Identity, pem: string, bits: number): string | undefined {
  const key = parseX509(pem)?.publicKey;
  const facts = key ? keyFacts(key) : undefined;
  const had =
    facts?.type === 'EC'
      ? `EC ${facts.nistCurve ?? facts.curve ?? '(explicit parameters)'}`
      : facts?.type === 'RSA'
        ? `RSA ${facts.bits ?? bits}`
        : facts?.type;
  const wanted = describeKey(who);
  if (who.curve) return had === wanted ? undefined : `key type changed: ${had ?? 'unknown'} -> ${wanted}`;
  if (facts !== undefined && facts.type !== 'RSA') return `key type changed: ${had} -> ${wanted}`;
  return bits < who.keyBits ? `key too weak: RSA ${bits}, ${who.keyBits} wanted` : undefined;
}

/** "mtls-kafka-0.keystore.jks missing", "ca-signed-mtls-kafka-0 unreadable (not a PEM certificate)". */
export function problemText(p: FileProblem): string {
  return `${p.path} ${p.problem}${p.detail ? ` (${p.detail})` : ''}`;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

export function hasChanges(changes: readonly Change[]): boolean {
  return changes.some((c) => c.kind !== 'keep');
}

/** The identities a run would sign: those to create or reissue. */
export function toSign(wanted: Cluster, changes: readonly Change[]): Identity[] {
  const signed = new Set(changes.filter((c) => c.kind === 'create' || c.kind === 'reissue').map((c) => c.alias));
  return wanted.identities.filter((i) => signed.has(i.alias));
}
