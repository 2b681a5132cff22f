/** probe's answer: per TLS version, the outcome, what the server presented and asked for, and the hint. */
import type { ChalkInstance } from 'chalk';
import type { ProbeResult } from '../probe/result.js';

/** probe: per protocol, the outcome in one line, then what the server presented and asked for, then the hint. */
export function formatProbe(c: ChalkInstance, p: ProbeResult): string {
  const lines = [c.bold(`${p.target} (SNI and verified name: ${p.servername})`)];
  const SERVER_CERT = {
    trusted: 'trusted (--ca)',
    untrusted: 'not trusted (--ca)',
    'not-checked': 'not checked (no --ca)',
  };
  for (const r of p.results) {
    const code = r.outcome.code;
    const mark = code === 'accepted' ? c.green('✓') : code === 'protocol-unsupported' ? c.dim('-') : c.red('✗');
    lines.push(`${mark} ${r.protocol}: ${r.outcome.sentence}`);
    if (r.cipher) lines.push(`    cipher ${r.cipher}`);
    r.chain.forEach((x, i) => lines.push(`    chain[${i}] ${x.subject}`, `             issued by ${x.issuer}`));
    if (r.serverCert) lines.push(`    server certificate: ${SERVER_CERT[r.serverCert]}`);
    if (r.clientCertRequested !== undefined) {
      lines.push(
        `    client certificate: ${r.clientCertRequested ? 'requested by the server' : 'not requested by the server'}`,
      );
    }
    if (r.outcome.hint) lines.push(`    ${c.cyan('hint:')} ${r.outcome.hint}`);
    if (r.also) lines.push(`    ${c.yellow('also:')} ${r.also.sentence}`, `    ${c.cyan('hint:')} ${r.also.hint}`);
    if (r.nameUnchecked) {
      // The name aside, what the server made of our client certificate: the other half of the answer.
      const { code: other, sentence, hint } = r.nameUnchecked;
      lines.push(`    ${c.yellow('name aside:')} ${other === 'accepted' ? c.green('✓') : c.red('✗')} ${sentence}`);
      if (hint) lines.push(`    ${c.cyan('hint:')} ${hint}`);
    }
  }
  return lines.join('\n') + '\n';
}
