/**
 * expiry's verdicts: each certificate's state under the thresholds, what expires first, the CAs that expire before
 * the certificates they signed, and the exit code, in the documented order. Pure: the clock is given.
 */
import type { X509Certificate } from 'node:crypto';
import { isCaCert, type CertRole, type FoundCert, type ReadProblem, type ReadResult } from './expiry.js';
import { signedBy } from './x509.js';

/**
 * How close to its end a certificate may come: `days` of validity left, or a `percent` of its lifetime left
 * (options/expiry.ts reads `28d` and `34%`).
 */
export type Threshold =
  { readonly kind: 'days'; readonly days: number } | { readonly kind: 'percent'; readonly percent: number };

export type CertState = 'ok' | 'warn' | 'critical' | 'expired' | 'not-yet-valid';

/** Name fields the x509-certificate-exporter labels (subject_C … subject_CN, issuer_C … issuer_CN). */
export const NAME_FIELDS = ['C', 'ST', 'L', 'O', 'OU', 'CN'] as const;
export type NameField = (typeof NAME_FIELDS)[number];

/** A certificate found (where, without the parsed certificate itself) with its facts and state. */
export interface ExpiryRecord extends Omit<FoundCert, 'cert'> {
  readonly role: CertRole;
  /** RFC 2253 order is not needed here: Node's one-line rendering, fields by the exporter's names. */
  readonly subject: string;
  readonly issuer: string;
  readonly subjectFields: Readonly<Partial<Record<NameField, string>>>;
  readonly issuerFields: Readonly<Partial<Record<NameField, string>>>;
  /** Upper-case hexadecimal, as `openssl x509 -serial` prints it. */
  readonly serial: string;
  /** Decimal, as the exporter's serial_number label. */
  readonly serialDecimal: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Whole days left, rounded down (negative once expired): the state and this agree for day thresholds. */
  readonly daysLeft: number;
  readonly state: CertState;
  readonly sha256: string;
}

export interface CaBeforeLeaves {
  readonly ca: ExpiryRecord;
  /** The certificates it signed that outlive it, latest first. */
  readonly leaves: readonly ExpiryRecord[];
}

export interface ExpiryReport {
  readonly now: Date;
  readonly warn: Threshold;
  readonly critical: Threshold;
  readonly records: readonly ExpiryRecord[];
  readonly errors: readonly ReadProblem[];
  /** The certificate that expires first (the CA among them), once per certificate however many files hold it. */
  readonly first?: ExpiryRecord;
  readonly caBeforeLeaves: readonly CaBeforeLeaves[];
  readonly exitCode: ExpiryExit;
}

/** 0 all fine, 1 a warning, 4 something could not be read, 5 a certificate critical, expired or not yet valid. */
export type ExpiryExit = 0 | 1 | 4 | 5;

const DAY = 86_400_000;

/**
 * A certificate's state at `now`. A day threshold compares the time left with N days, as the exporter's alert
 * `(x509_cert_not_after - time()) / 86400 < N`: strictly less, so a certificate with exactly 28 days left is fine.
 * A share compares the time left with that share of notBefore→notAfter.
 */
export function stateOf(notBefore: Date, notAfter: Date, now: Date, warn: Threshold, critical: Threshold): CertState {
  const left = notAfter.getTime() - now.getTime();
  if (left < 0) return 'expired';
  if (notBefore.getTime() > now.getTime()) return 'not-yet-valid';
  const lifetime = Math.max(notAfter.getTime() - notBefore.getTime(), 1);
  const within = (t: Threshold) => (t.kind === 'days' ? left < t.days * DAY : left < (t.percent / 100) * lifetime);
  if (within(critical)) return 'critical';
  if (within(warn)) return 'warn';
  return 'ok';
}

/**
 * The exit code, in one order: a certificate read that is critical (5), then what could not be read (4), then a
 * warning.
 */
export function exitCodeOf(states: readonly CertState[], unreadable: boolean): ExpiryExit {
  if (states.some((s) => s === 'critical' || s === 'expired' || s === 'not-yet-valid')) return 5;
  if (unreadable) return 4;
  if (states.includes('warn')) return 1;
  return 0;
}

/** The role of a certificate that is not a CA: what the directory's kafka-mtls.json says of it, if anything. */
export type RoleOf = (found: FoundCert) => 'broker' | 'client' | undefined;

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export function buildReport(
  read: ReadResult,
  opts: { now: Date; warn: Threshold; critical: Threshold; roleOf?: RoleOf },
): ExpiryReport {
  const records = read.certs.map((f) => recordOf(f, opts));
  const distinct = new Map<string, ExpiryRecord>();
  for (const r of records) if (!distinct.has(r.sha256)) distinct.set(r.sha256, r);
  const unique = [...distinct.values()];
  const first = [...unique].sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime())[0];
  return {
    now: opts.now,
    warn: opts.warn,
    critical: opts.critical,
    records,
    errors: read.errors,
    first,
    caBeforeLeaves: casBeforeLeaves(unique, read.certs),
    exitCode: exitCodeOf(
      records.map((r) => r.state),
      read.errors.length > 0,
    ),
  };
}

function recordOf(
  f: FoundCert,
  opts: { now: Date; warn: Threshold; critical: Threshold; roleOf?: RoleOf },
): ExpiryRecord {
  const { cert } = f;
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  return {
    ...where(f),
    role: roleOf(f, opts.roleOf),
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    subjectFields: nameFields(cert.subject),
    issuerFields: nameFields(cert.issuer),
    serial: serialHex(cert.serialNumber),
    serialDecimal: serialDecimal(cert.serialNumber),
    notBefore,
    notAfter,
    daysLeft: Math.floor((notAfter.getTime() - opts.now.getTime()) / DAY),
    state: stateOf(notBefore, notAfter, opts.now, opts.warn, opts.critical),
    sha256: cert.fingerprint256,
  };
}

/** Where a certificate was found: its FoundCert less the certificate. */
function where({ cert: _cert, ...at }: FoundCert): Omit<FoundCert, 'cert'> {
  return at;
}

function roleOf(f: FoundCert, given: RoleOf | undefined): CertRole {
  if (isCaCert(f.cert)) return 'ca';
  const known = given?.(f);
  if (known) return known;
  // Without a state file: the extended key usages kafka-mtls and the script give (brokers serve and connect).
  const eku = f.cert.keyUsage ?? [];
  if (eku.includes(SERVER_AUTH)) return 'broker';
  if (eku.includes(CLIENT_AUTH)) return 'client';
  return 'unknown';
}

/** Each CA that expires a day or more before a certificate it signed (checked by signature, not by name). */
function casBeforeLeaves(unique: readonly ExpiryRecord[], found: readonly FoundCert[]): CaBeforeLeaves[] {
  const certOf = new Map(found.map((f) => [f.cert.fingerprint256, f.cert]));
  const cas = unique.filter((r) => r.role === 'ca');
  const out: CaBeforeLeaves[] = [];
  for (const ca of cas) {
    const caCert = certOf.get(ca.sha256)!;
    const leaves = unique
      // A day at least: a CA made seconds before its leaves, with the same validity, is not one to rotate early.
      .filter((r) => r.sha256 !== ca.sha256 && outlives(r, ca) && issuedBy(certOf.get(r.sha256)!, caCert))
      .sort((a, b) => b.notAfter.getTime() - a.notAfter.getTime());
    if (leaves.length > 0) out.push({ ca, leaves });
  }
  return out;
}

const outlives = (leaf: ExpiryRecord, ca: ExpiryRecord) => leaf.notAfter.getTime() - ca.notAfter.getTime() >= DAY;
const issuedBy = (cert: X509Certificate, ca: X509Certificate) => cert.issuer === ca.subject && signedBy(cert, ca);

/** Node prints a name one attribute a line: joined as "C=KR, O=…, CN=…" for one line of output. */
const oneLine = (name: string) => name.split('\n').join(', ');

/**
 * The first value of each field the exporter labels, from Node's rendering (one RDN a line, " + " inside one,
 * specials backslash-escaped, other bytes as \XX), unescaped.
 */
export function nameFields(name: string): Partial<Record<NameField, string>> {
  const out: Partial<Record<NameField, string>> = {};
  for (const line of name.split('\n'))
    for (const atv of line.split(/ \+ (?=[A-Za-z0-9.]+=)/)) {
      const eq = atv.indexOf('=');
      if (eq < 0) continue;
      const key = atv.slice(0, eq) as NameField;
      if ((NAME_FIELDS as readonly string[]).includes(key) && out[key] === undefined)
        out[key] = unescapeName(atv.slice(eq + 1));
    }
  return out;
}

function unescapeName(v: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const hex = /^\\([0-9A-Fa-f]{2})/.exec(v.slice(i));
    if (hex) {
      bytes.push(parseInt(hex[1]!, 16));
      i += 2;
    } else if (v[i] === '\\' && i + 1 < v.length) bytes.push(...Buffer.from(v[++i]!, 'utf8'));
    else bytes.push(...Buffer.from(v[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Node's serial is hexadecimal, with a leading - for a negative one (DER INTEGER two's complement aside). */
function serialHex(node: string): string {
  return node.toUpperCase();
}

function serialDecimal(node: string): string {
  const negative = node.startsWith('-');
  const digits = negative ? node.slice(1) : node;
  const value = BigInt(`0x${digits || '0'}`);
  return (negative ? -value : value).toString();
}
