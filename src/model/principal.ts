import { UsageError } from '../errors.js';

/**
 * Kafka's ssl.principal.mapping.rules, applied as Kafka's SslPrincipalMapper
 * does: rules in order, `RULE:pattern/replacement/[L|U]` or `DEFAULT`; the
 * first rule whose pattern matches the whole RFC 2253 subject gives the
 * principal; DEFAULT gives the subject unchanged; when none applies, Kafka
 * refuses the connection.
 */
export type MappingRule =
  | { readonly kind: 'default' }
  | { readonly kind: 'rule'; readonly pattern: string; readonly replacement: string; readonly toCase?: 'L' | 'U' };

const RULE = /\s*(?:(DEFAULT)|RULE:((?:\\.|[^\\/])*)\/((?:\\.|[^\\/])*)\/([LU]?))\s*(?:,|$)/y;

export function parseMappingRules(text: string): MappingRule[] {
  const rules: MappingRule[] = [];
  RULE.lastIndex = 0;
  while (RULE.lastIndex < text.length) {
    const at = RULE.lastIndex;
    const m = RULE.exec(text);
    if (!m || RULE.lastIndex === at) {
      throw new UsageError(
        '--principal-rules',
        `must be DEFAULT or RULE:pattern/replacement/[L|U], separated by commas; cannot read from "${text.slice(at)}"`,
      );
    }
    if (m[1]) rules.push({ kind: 'default' });
    else {
      try {
        new RegExp(m[2]!);
      } catch (e) {
        throw new UsageError(
          '--principal-rules',
          `has a pattern that is not a regular expression: ${(e as Error).message}`,
        );
      }
      rules.push({
        kind: 'rule',
        pattern: m[2]!,
        replacement: m[3]!,
        toCase: (m[4] || undefined) as 'L' | 'U' | undefined,
      });
    }
  }
  return rules.length > 0 ? rules : [{ kind: 'default' }];
}

/** The principal name Kafka derives from a subject, or undefined when no rule applies. */
export function mapPrincipal(subject: string, rules: readonly MappingRule[]): string | undefined {
  for (const r of rules) {
    if (r.kind === 'default') return subject;
    if (!new RegExp(`^(?:${r.pattern})$`).test(subject)) continue;
    const mapped = subject.replace(new RegExp(r.pattern, 'g'), r.replacement);
    return r.toCase === 'L' ? mapped.toLowerCase() : r.toCase === 'U' ? mapped.toUpperCase() : mapped;
  }
  return undefined;
}
