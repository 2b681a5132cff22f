/** explain's verdicts in words: per line, whose wording, the outcome and who refused, then each cause with its fix. */
import type { ChalkInstance } from 'chalk';
import type { ExplainResult } from '../model/explain.js';

export function formatExplain(c: ChalkInstance, r: ExplainResult): string {
  const out: string[] = [];
  r.lines.forEach((l, i) => {
    const head = l.text.split('\n')[0]!;
    const more = l.text.includes('\n') ? ` (+${l.text.split('\n').length - 1} lines)` : '';
    const times =
      l.count === undefined
        ? ''
        : ` — ${l.count}×${l.first ? `, ${l.first}${l.last && l.last !== l.first ? ` to ${l.last}` : ''}` : ''}`;
    out.push(c.bold(`${i + 1}. ${head.length > 200 ? `${head.slice(0, 197)}...` : head}${more}${times}`));
    if (l.outcome === 'unknown') {
      out.push(
        `   ${c.red('unknown')}: no family's wording kafka-mtls knows; not guessed ` +
          '(JSSE, librdkafka, Node/kafkajs, Go, Python, openssl s_client/s_server, Kafka)',
        '',
      );
      return;
    }
    out.push(`   ${l.family}: ${c.yellow(l.outcome)}, refused by the ${l.refusedBy}`);
    if (l.materialShows === false)
      out.push(`   ${c.red('the material shows none of these causes')}: the line's causes, as the line allows them`);
    // Causes the line allows but nothing points to: named on one line (--json lists each with its fix).
    const minor = l.causes.filter((x, j) => j > 0 && x.confidence === 'low' && x.files.length === 0);
    l.causes
      .filter((x) => !minor.includes(x))
      .forEach((cause, j) => {
        const files = cause.files.length > 0 ? ` [${cause.files.join(', ')}]` : '';
        out.push(`   ${j === 0 ? c.green('→') : ' '} ${cause.code} (${cause.confidence})${files}`);
        // The line's own evidence is the same for every cause: said in full for the first only.
        if (j === 0 || cause.files.length > 0) out.push(`       why: ${cause.evidence}`);
        out.push(`       fix: ${cause.fix}`);
      });
    if (minor.length > 0) out.push(`     also possible (low): ${minor.map((x) => x.code).join(', ')}`);
    out.push('');
  });
  return out.join('\n');
}
