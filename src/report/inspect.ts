/** inspect's summaries: a block per file, a certificate's facts one per line. */
import type { ChalkInstance } from 'chalk';
import type { Inspected } from '../pki/inspect.js';
import type { CertInfo } from '../pki/x509.js';

function certLines(c: CertInfo, indent: string): string[] {
  const days = Math.floor((c.notAfter.getTime() - Date.now()) / 86_400_000);
  const left = days < 0 ? `expired ${-days} days ago` : `${days} days left`;
  const ca = c.hasBasicConstraints ? (c.isCa ? 'yes (CA:TRUE)' : 'no (CA:FALSE)') : 'no basicConstraints';
  return [
    `${indent}subject:      ${c.subject}`,
    `${indent}issuer:       ${c.issuer}`,
    `${indent}serial:       ${c.serial}  (X.509 v${c.version})`,
    `${indent}validity:     ${c.notBefore.toISOString()} to ${c.notAfter.toISOString()} (${left})`,
    `${indent}key:          ${c.keyType} ${c.keyBits} bits, signed with ${c.signatureAlgorithm}`,
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
    lines.push(
      c.bold(`${it.file}: ${it.kind === 'store' ? `${it.type} store, ${it.entries.length} entries` : it.kind}`),
    );
    if (it.kind === 'certificate')
      it.certs.forEach((cert, i) =>
        lines.push(...(it.certs.length > 1 ? [`  certificate ${i + 1}:`] : []), ...certLines(cert, '  ')),
      );
    if (it.kind === 'csr')
      lines.push(
        `  subject:      ${it.subject}`,
        `  key:          ${it.keyType} ${it.keyBits} bits`,
        `  SANs asked:   ${it.sans.join(', ') || '(none)'}`,
      );
    if (it.kind === 'private key')
      lines.push(`  key:          ${it.keyType} ${it.keyBits} bits${it.encrypted ? ', encrypted' : ', not encrypted'}`);
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
