import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findHint, HINTS } from '../../src/runner/hints.js';

const OUTPUTS = join(import.meta.dirname, '../fixtures/outputs');

describe('the hint table', () => {
  test.each(HINTS.map((h) => [h.id, h] as const))(
    "%s matches the real tool's captured output, and is the first entry that does",
    (id, entry) => {
      const text = readFileSync(join(OUTPUTS, `${id}.txt`), 'utf8');
      expect(entry.pattern.test(text)).toBe(true);
      expect(findHint(text)).toBe(entry.hint);
    },
  );

  test('every captured output has an entry', () => {
    const ids = new Set(HINTS.map((h) => h.id));
    const orphans = readdirSync(OUTPUTS).filter((f) => !ids.has(f.replace(/\.txt$/, '')));
    expect(orphans).toEqual([]);
  });

  test('output that matches no entry gets no hint', () => {
    expect(findHint('everything is fine')).toBeUndefined();
  });
});
