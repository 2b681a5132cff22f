import { principalOf, type Cluster, type Identity, type San } from '../cluster.js';
import type { State } from '../state.js';
import type { CertInfo } from '../x509.js';

/**
 * What a run would change, identity by identity: a pure comparison of the
 * wanted cluster with what the directory holds (its state file and the
 * certificates actually there). The CA is never in the plan: it is kept, or
 * replaced only by rotate-ca.
 */

export type ChangeKind = 'create' | 'keep' | 'reissue' | 'remove';

export interface Change {
  readonly alias: string;
  readonly role: Identity['role'];
  readonly kind: ChangeKind;
  /** Why it is reissued (or kept despite something), one short clause each. */
  readonly reasons: readonly string[];
}

export interface Current {
  readonly state: State;
  readonly ca: CertInfo;
  /** Each identity's certificate as found in the directory; undefined when the file is missing or unreadable. */
  readonly certs: Readonly<Record<string, CertInfo | undefined>>;
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
    const reasons = cert ? reissueReasons(who, cert, current, opts) : ['its certificate file is missing or unreadable'];
    changes.push({ alias: who.alias, role: who.role, kind: reasons.length > 0 ? 'reissue' : 'keep', reasons });
  }
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

function reissueReasons(who: Identity, cert: CertInfo, current: Current, opts: DiffOptions): string[] {
  const reasons: string[] = [];
  const subject = principalOf(who.subject);
  if (cert.subject !== subject) reasons.push(`subject changed: ${cert.subject} -> ${subject}`);
  const want = who.sans.map(sanText);
  const added = want.filter((s) => !cert.sans.includes(s));
  const removed = cert.sans.filter((s) => !want.includes(s));
  if (added.length > 0 || removed.length > 0) {
    reasons.push(`SANs changed: ${[...added.map((s) => `+${s}`), ...removed.map((s) => `-${s}`)].join(' ')}`);
  }
  const daysLeft = Math.floor((cert.notAfter.getTime() - opts.now.getTime()) / 86_400_000);
  if (daysLeft < opts.renewBeforeDays) {
    reasons.push(daysLeft < 0 ? `expired on ${day(cert.notAfter)}` : `expires on ${day(cert.notAfter)}, within ${opts.renewBeforeDays} days`);
  }
  if (cert.issuer !== current.ca.subject) reasons.push(`signed by another CA (${cert.issuer})`);
  else if (current.state.certs[who.alias]?.issuerSha256 && current.state.certs[who.alias]!.issuerSha256 !== current.ca.sha256) {
    reasons.push('signed by another CA with the same name');
  }
  if (cert.keyBits < who.keyBits) reasons.push(`key too weak: RSA ${cert.keyBits}, ${who.keyBits} wanted`);
  return reasons;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

export function hasChanges(changes: readonly Change[]): boolean {
  return changes.some((c) => c.kind !== 'keep');
}
