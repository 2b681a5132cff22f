/**
 * expiry's three outputs: a table for people (with what expires first, the CAs that expire before their leaves and
 * the commands that renew), one JSON record per certificate, and the Prometheus text format with the label names of
 * the x509-certificate-exporter, so that its alert rules and dashboards work unchanged.
 */
import type { ChalkInstance } from 'chalk';
import {
  NAME_FIELDS,
  type CertState,
  type ExpiryRecord,
  type ExpiryReport,
  type Threshold,
} from '../pki/expiry-state.js';

const thresholdText = (t: Threshold) => (t.kind === 'days' ? `${t.days}d` : `${t.percent}%`);
const day = (d: Date) => d.toISOString().slice(0, 10);
const needsRenewal = (s: CertState) => s !== 'ok';

/** The commands that renew what needs it: per directory, leaves by apply, a CA by rotate-ca. */
export function renewCommands(r: ExpiryReport): string[] {
  const out: string[] = [];
  const roots = [...new Set(r.records.map((x) => x.root))];
  for (const root of roots) {
    const here = r.records.filter((x) => x.root === root);
    const leaves = here.filter((x) => x.role !== 'ca' && needsRenewal(x.state));
    const dir = shellWord(root);
    // apply reissues a certificate with fewer whole days left than --renew-before: one more than the latest here.
    if (leaves.length > 0) {
      const days = Math.max(1, Math.max(...leaves.map((x) => x.daysLeft)) + 1);
      out.push(`kafka-mtls apply --out ${dir} --renew-before ${days}`);
    }
    const caDue = here.some((x) => x.role === 'ca' && needsRenewal(x.state));
    const caEarly = r.caBeforeLeaves.some((c) => c.ca.root === root);
    if (caDue || caEarly) out.push(`kafka-mtls rotate-ca start --out ${dir}`);
  }
  return out;
}

/** A word a POSIX shell reads as itself: quoted when it holds anything else. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const where = (x: Pick<ExpiryRecord, 'file' | 'alias'>) => (x.alias === undefined ? x.file : `${x.file} (${x.alias})`);

function leftText(x: ExpiryRecord, now: Date): string {
  // Whole days since, rounded down as the days left are: expired 2 days and an hour ago is "2 days ago".
  if (x.state === 'expired')
    return `expired ${Math.floor((now.getTime() - x.notAfter.getTime()) / 86_400_000)} day(s) ago`;
  if (x.state === 'not-yet-valid') return `not valid before ${x.notBefore.toISOString()}`;
  return `${x.daysLeft} day(s) left`;
}

/** The table, then the read errors, then what expires first, the CAs that expire early, and the commands. */
export function formatExpiry(c: ChalkInstance, r: ExpiryReport): string {
  const paint: Record<CertState, (s: string) => string> = {
    ok: c.green,
    warn: c.yellow,
    critical: c.red,
    expired: c.red,
    'not-yet-valid': c.red,
  };
  const rows = r.records.map((x) => [
    x.file,
    x.alias ?? '-',
    x.role,
    x.subjectFields.CN ?? x.subject,
    day(x.notAfter),
    String(x.daysLeft),
    x.state,
  ]);
  const head = ['FILE', 'ALIAS', 'ROLE', 'SUBJECT CN', 'NOT AFTER', 'DAYS LEFT', 'STATE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[], state?: CertState) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? (state ? paint[state](cell) : cell) : cell.padEnd(widths[i]!)))
      .join('  ');
  const lines: string[] = [];
  if (rows.length > 0) lines.push(c.bold(line(head)), ...rows.map((row, i) => line(row, r.records[i]!.state)));
  for (const e of r.errors) lines.push(`${c.red('UNREADABLE')}  ${e.file}: ${e.reason}`);
  lines.push('');
  if (r.first)
    lines.push(
      `First to expire: ${r.first.subject} (${r.first.role}, ${where(r.first)}) on ${r.first.notAfter.toISOString()}: ` +
        `${leftText(r.first, r.now)}, ${paint[r.first.state](r.first.state)}.`,
    );
  for (const { ca, leaves } of r.caBeforeLeaves) {
    lines.push(
      c.yellow(
        `The CA ${ca.subject} (${where(ca)}) expires on ${day(ca.notAfter)}, before ${leaves.length} certificate(s) ` +
          `it signed (the last on ${day(leaves[0]!.notAfter)}): from that day they fail verification; ` +
          'rotate the CA rather than renew them.',
      ),
    );
  }
  const commands = renewCommands(r);
  if (commands.length > 0) {
    lines.push('To renew (with the flags or --config the directory was made with):');
    lines.push(...commands.map((cmd) => `  ${cmd}`));
  }
  lines.push(summaryLine(r));
  return lines.join('\n') + '\n';
}

function summaryLine(r: ExpiryReport): string {
  const count = (s: CertState) => r.records.filter((x) => x.state === s).length;
  const states: CertState[] = ['ok', 'warn', 'critical', 'expired', 'not-yet-valid'];
  const parts = states.filter((s) => s === 'ok' || count(s) > 0).map((s) => `${count(s)} ${s}`);
  const distinct = new Set(r.records.map((x) => x.sha256)).size;
  const unreadable = r.errors.length > 0 ? `; ${r.errors.length} unreadable` : '';
  return (
    `${r.records.length} certificate(s) in files (${distinct} distinct): ${parts.join(', ')}${unreadable} ` +
    `(--warn ${thresholdText(r.warn)}, --critical ${thresholdText(r.critical)}).`
  );
}

/** One record per certificate, the read errors, and the verdicts. */
export function expiryJson(r: ExpiryReport): Record<string, unknown> {
  const record = (x: ExpiryRecord) => ({
    file: x.file,
    path: x.path,
    store: x.store ?? null,
    alias: x.alias ?? null,
    index: x.index,
    role: x.role,
    subject: x.subject,
    issuer: x.issuer,
    serial: x.serial,
    sha256: x.sha256,
    notBefore: x.notBefore.toISOString(),
    notAfter: x.notAfter.toISOString(),
    daysLeft: x.daysLeft,
    state: x.state,
  });
  return {
    now: r.now.toISOString(),
    warn: thresholdText(r.warn),
    critical: thresholdText(r.critical),
    exitCode: r.exitCode,
    certificates: r.records.map(record),
    errors: r.errors.map((e) => ({ file: e.file, path: e.path, reason: e.reason })),
    first: r.first ? record(r.first) : null,
    caBeforeLeaves: r.caBeforeLeaves.map(({ ca, leaves }) => ({ ca: record(ca), leaves: leaves.map(record) })),
    renew: renewCommands(r),
  };
}

/** A label value as the text exposition format wants it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A HELP text: backslash and line feed escaped (a double quote is itself there). */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** The exporter's label names, in its order (v4's schema: every name field present, empty when the name lacks it). */
function labelsOf(x: ExpiryRecord): Array<[string, string]> {
  return [
    ['filename', basenameOf(x.path)],
    ['filepath', x.path],
    ['serial_number', x.serialDecimal],
    ...NAME_FIELDS.map((f): [string, string] => [`issuer_${f}`, x.issuerFields[f] ?? '']),
    ...NAME_FIELDS.map((f): [string, string] => [`subject_${f}`, x.subjectFields[f] ?? '']),
    ['store', x.store ?? ''],
    ['alias', x.alias ?? ''],
    ['role', x.role],
  ];
}

const basenameOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const labelText = (labels: Array<[string, string]>) =>
  `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;

/** The exporter's help texts, word for word, so that the series read the same wherever they come from. */
const FAMILIES = [
  ['x509_cert_not_after', "Indicates the certificate's not after timestamp", (x: ExpiryRecord) => seconds(x.notAfter)],
  [
    'x509_cert_not_before',
    "Indicates the certificate's not before timestamp",
    (x: ExpiryRecord) => seconds(x.notBefore),
  ],
  [
    'x509_cert_expired',
    'Indicates if the certificate is expired',
    (x: ExpiryRecord) => (x.state === 'expired' ? 1 : 0),
  ],
] as const;

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/**
 * The text exposition format (version 0.0.4): per family its HELP and TYPE, then a sample per certificate (the same
 * certificate twice in one file and alias is one series); x509_cert_error per file that could not be read, and
 * x509_read_errors, their count, which the exporter's X509ExporterReadErrors alert watches.
 */
export function formatPrometheus(r: ExpiryReport): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  const series = r.records
    .map((x) => ({ x, labels: labelText(labelsOf(x)) }))
    .filter(({ labels }) => !seen.has(labels) && seen.add(labels));
  for (const [name, help, value] of FAMILIES) {
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} gauge`);
    for (const { x, labels } of series) lines.push(`${name}${labels} ${value(x)}`);
  }
  lines.push(
    `# HELP x509_cert_error ${escapeHelp('Indicates wether the corresponding file has read failure(s)')}`,
    '# TYPE x509_cert_error gauge',
  );
  const files = new Set<string>();
  for (const e of r.errors) {
    if (files.has(e.path)) continue;
    files.add(e.path);
    lines.push(
      `x509_cert_error${labelText([
        ['filename', basenameOf(e.path)],
        ['filepath', e.path],
      ])} 1`,
    );
  }
  lines.push(
    `# HELP x509_read_errors ${escapeHelp('Indicates the number of read failure(s)')}`,
    '# TYPE x509_read_errors gauge',
    `x509_read_errors ${r.errors.length}`,
  );
  return lines.join('\n') + '\n';
}
