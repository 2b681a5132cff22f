import { UsageError } from '../errors.js';

/**
 * Kafka's ssl.principal.mapping.rules, read as Kafka reads them ("Customizing SSL User Name" in its security
 * docs): a comma-separated list of `RULE:pattern/replacement/`, `RULE:pattern/replacement/L` or `/U`, and
 * `DEFAULT`; whitespace around the commas; a backslash escapes the next character (`\/` is a slash inside a
 * pattern or replacement) and stays in the text. Items with nothing between their commas are skipped, and an
 * empty list has no rule at all, so that every principal is refused, as in Kafka.
 *
 * This is the grammar only, checked without starting a process (options/ starts none). What a pattern is, and
 * what a rule makes of a name, Java decides: src/pki/principal.ts asks java/PrincipalRules.java, which reads the
 * same grammar and says the same sentence when it cannot.
 */
export type MappingRule =
  | { readonly kind: 'default' }
  | { readonly kind: 'rule'; readonly pattern: string; readonly replacement: string; readonly toCase?: 'L' | 'U' };

/** Java's \s, what Kafka allows around its commas. */
const SPACE = ' \t\n\u000b\f\r';

export function parseMappingRules(text: string): MappingRule[] {
  const rules: MappingRule[] = [];
  let i = 0;
  for (;;) {
    i = skipSpace(text, i);
    if (i === text.length) return rules;
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text.startsWith('DEFAULT', i)) {
      rules.push({ kind: 'default' });
      i += 'DEFAULT'.length;
    } else if (text.startsWith('RULE:', i)) {
      const from = i + 'RULE:'.length;
      const slash = partEnd(text, from);
      const last = slash < 0 ? -1 : partEnd(text, slash + 1);
      if (last < 0) throw unreadable(text, i);
      i = last + 1;
      const toCase = text[i] === 'L' || text[i] === 'U' ? (text[i++] as 'L' | 'U') : undefined;
      const rule = {
        kind: 'rule',
        pattern: text.slice(from, slash),
        replacement: text.slice(slash + 1, last),
      } as const;
      rules.push(toCase ? { ...rule, toCase } : rule);
    } else throw unreadable(text, i);
    i = skipSpace(text, i);
    if (i < text.length && text[i] !== ',') throw unreadable(text, i);
  }
}

/** Where a pattern or replacement starting at `from` ends (its unescaped slash), or -1 when none does. */
function partEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '/') return i;
  }
  return -1;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && SPACE.includes(text[i]!)) i++;
  return i;
}

function unreadable(text: string, at: number): UsageError {
  return new UsageError(
    '--principal-rules',
    `must be DEFAULT or RULE:pattern/replacement/[L|U], separated by commas; cannot read from "${text.slice(at)}"`,
  );
}
