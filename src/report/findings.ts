/** verify's findings: a line per check, then the count. */
import type { ChalkInstance } from 'chalk';
import type { VerifyResult } from '../pki/rules.js';

/** verify: one line per check, then a count. */
export function formatFindings(c: ChalkInstance, r: VerifyResult): string {
  const label = { pass: c.green('PASS'), warn: c.yellow('WARN'), fail: c.red('FAIL') } as const;
  const width = Math.max(...r.findings.map((f) => f.target.length), 10);
  const lines = r.findings.map((f) => `${label[f.status]}  ${f.target.padEnd(width)}  ${f.check}: ${f.message}`);
  const count = (s: string) => r.findings.filter((f) => f.status === s).length;
  lines.push('', `${r.dir}: ${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed`);
  return lines.join('\n') + '\n';
}
