/** inspect's summaries: a block per file, a certificate's facts one per line. */
import type { ChalkInstance } from 'chalk';
import type { Inspected } from '../pki/inspect.js';
import type { KeyFacts } from '../pki/key.js';
import type { CertInfo } from '../pki/x509.js';

/** The key in words: node:crypto's, else openssl's algorithm name and size. */
function keyText(it: { key?: KeyFacts; keyType: string; keyBits: number }): string {
  return it.key?.description ?? `${it.keyType} ${it.keyBits} bits`;
}

function daysLeft(c: CertInfo): string {
  const days = Math.floor((c.notAfter.getTime() - Date.now()) / 86_400_000);
  return days < 0 ? `expired ${-days} days ago` : `${days} days left`;
}

/** A bundle's certificate on one line: whose, by whom, when, which key. */
function certSummary(c: CertInfo, i: number): string {
  const validity = `${c.notBefore.toISOString()} to ${c.notAfter.toISOString()} (${daysLeft(c)})`;
  return `  ${i + 1}. ${c.subject}; issuer ${c.issuer}; ${validity}; ${keyText(c)}`;
}

function certLines(c: CertInfo, indent: string): string[] {
  const left = daysLeft(c);
  const ca = c.hasBasicConstraints ? (c.isCa ? 'yes (CA:TRUE)' : 'no (CA:FALSE)') : 'no basicConstraints';
  return [
    `${indent}subject:      ${c.subject}`,
    `${indent}issuer:       ${c.issuer}`,
    `${indent}serial:       ${c.serial}  (X.509 v${c.version})`,
    `${indent}validity:     ${c.notBefore.toISOString()} to ${c.notAfter.toISOString()} (${left})`,
    `${indent}key:          ${keyText(c)}, signed with ${c.signatureAlgorithm}`,
    `${indent}CA:           ${ca}`,
    `${indent}key usage:    ${c.keyUsage.join(', ') || '(none)'}`,
    `${indent}ext. usage:   ${c.extKeyUsage.join(', ') || '(none)'}`,
    `${indent}SANs:         ${c.sans.join(', ') || '(none)'}`,
    `${indent}SHA-256:      ${c.sha256}`,
  ];
}

/** inspect: one block per file. */
export function formatInspected(c: ChalkInstance, items: readonly Inspected[]): string {
  const lines: string[] = [];
  for (const it of items) {
    const what =
      it.kind === 'store'
        ? `${it.type} store, ${it.entries.length} entries`
        : it.kind === 'certificate'
          ? it.summary
          : it.kind;
    lines.push(c.bold(`${it.file}: ${what}`));
    // A bundle: one line per certificate first, to see the chain at a glance, then each in full.
    if (it.kind === 'certificate' && it.certs.length > 1) lines.push(...it.certs.map(certSummary));
    if (it.kind === 'certificate' && it.certs.length === 1) lines.push(...certLines(it.certs[0]!, '  '));
    if (it.kind === 'certificate' && it.certs.length > 1)
      it.certs.forEach((cert, i) => lines.push(`  certificate ${i + 1}:`, ...certLines(cert, '    ')));
    if (it.kind === 'csr')
      lines.push(
        `  subject:      ${it.subject}`,
        `  key:          ${keyText(it)}`,
        `  SANs asked:   ${it.sans.join(', ') || '(none)'}`,
      );
    if (it.kind === 'private key')
      lines.push(`  key:          ${keyText(it)}${it.encrypted ? ', encrypted' : ', not encrypted'}`);
    if (it.kind === 'unreadable') lines.push(`  ${c.red(it.reason)}`);
    if (it.kind === 'store') {
      for (const e of it.entries) {
        lines.push(
          `  alias ${e.alias}: ${e.entryType}` +
            (e.entryType === 'PrivateKeyEntry' ? `, chain of ${e.certs.length}` : ''),
        );
        e.certs.forEach((cert, i) =>
          lines.push(...(e.certs.length > 1 ? [`    [${i}]`] : []), ...certLines(cert, '    ')),
        );
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}
