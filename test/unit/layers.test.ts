/**
 * The layout's one rule: dependencies point down (cli → commands → planning/verdicts/explain →
 * options/plans/output/report/probe → steps/pki → runner → model → errors/secrets), with no cycle between files
 * and no command importing another command. Read from the source's import and export-from statements, type-only ones included:
 * a type import still ties a lower layer to a higher one's shape.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/**
 * Lower numbers are higher layers; a file may import its own folder, any folder with a larger number, or one of its
 * own rank (no cycle).
 */
const RANK: Record<string, number> = {
  cli: 0,
  commands: 1,
  planning: 2,
  verdicts: 2,
  explain: 2,
  reload: 2,
  options: 3,
  plans: 3,
  output: 3,
  report: 3,
  probe: 3,
  steps: 4,
  pki: 4,
  runner: 5,
  model: 6,
  errors: 7,
  secrets: 7,
  version: 7,
};

function sources(): string[] {
  return (readdirSync(SRC, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.split('\\').join('/'))
    .sort();
}

/** `model/cluster.ts` → `model`; `cli.ts` → `cli`. */
const layerOf = (file: string): string => (file.includes('/') ? file.split('/')[0]! : file.replace(/\.ts$/, ''));

function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const specs = [...text.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  specs.push(...[...text.matchAll(/import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)].map((m) => m[1]!));
  // Side-effect imports (`import './x.js';`) tie files as much as named ones.
  specs.push(...[...text.matchAll(/(?:^|\s)import\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!));
  return specs.map((s) =>
    relative(SRC, resolve(SRC, dirname(file), s))
      .split('\\')
      .join('/')
      .replace(/\.js$/, '.ts'),
  );
}

/**
 * Known breaches, left by the move into folders and being removed one by one. A breach not listed fails;
 * so does a listed one that is gone (delete its line). The list ends empty.
 */
const KNOWN: readonly string[] = [];

/** The breaches found, less the known ones; and the known ones no longer found. */
function unknown(found: string[]): string[] {
  return found.filter((b) => !KNOWN.includes(b));
}

const FILES = sources();
const GRAPH = new Map(FILES.map((f) => [f, importsOf(f)]));

describe('the layout', () => {
  test('every file of src/ is in a known layer', () => {
    expect(FILES.filter((f) => RANK[layerOf(f)] === undefined)).toEqual([]);
  });

  test('every import names a file that exists', () => {
    const missing = [...GRAPH].flatMap(([f, deps]) => deps.filter((d) => !GRAPH.has(d)).map((d) => `${f} → ${d}`));
    expect(missing).toEqual([]);
  });

  test('no layer imports a higher one', () => {
    expect(unknown(upwardImports())).toEqual([]);
  });

  test('no command imports another command', () => {
    expect(unknown(crossCommandImports())).toEqual([]);
  });

  test('every known breach is still there (else delete its line from KNOWN)', () => {
    const found = new Set([...upwardImports(), ...crossCommandImports(), ...findCycles()]);
    expect(KNOWN.filter((k) => !found.has(k))).toEqual([]);
  });

  test('no import cycle', () => {
    expect(unknown(findCycles())).toEqual([]);
  });
});

function upwardImports(): string[] {
  return [...GRAPH].flatMap(([f, deps]) =>
    deps
      .filter((d) => layerOf(d) !== layerOf(f) && RANK[layerOf(d)]! <= RANK[layerOf(f)]! && !sameRankAllowed(f, d))
      .map((d) => `${f} → ${d}`),
  );
}

function crossCommandImports(): string[] {
  return [...GRAPH].flatMap(([f, deps]) =>
    layerOf(f) === 'commands' ? deps.filter((d) => layerOf(d) === 'commands' && d !== f).map((d) => `${f} → ${d}`) : [],
  );
}

/** Folders of one rank may use each other (a report formats a plan's diff), as long as no cycle forms. */
function sameRankAllowed(from: string, to: string): boolean {
  const a = layerOf(from);
  const b = layerOf(to);
  return a !== 'commands' && a !== 'cli' && RANK[a] === RANK[b];
}

/**
 * Every set of files that import each other round (a strongly connected component of more than one file, or a
 * file importing itself), as its files in order joined by ` ↔ `: every cycle lies inside one, whatever order the
 * files are read in (Tarjan's algorithm).
 */
function findCycles(): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[] = [];
  const visit = (f: string): void => {
    index.set(f, index.size);
    low.set(f, index.get(f)!);
    stack.push(f);
    onStack.add(f);
    for (const d of (GRAPH.get(f) ?? []).filter((x) => GRAPH.has(x))) {
      if (!index.has(d)) {
        visit(d);
        low.set(f, Math.min(low.get(f)!, low.get(d)!));
      } else if (onStack.has(d)) low.set(f, Math.min(low.get(f)!, index.get(d)!));
    }
    if (low.get(f) !== index.get(f)) return;
    const component: string[] = [];
    for (let g = stack.pop()!; ; g = stack.pop()!) {
      onStack.delete(g);
      component.push(g);
      if (g === f) break;
    }
    if (component.length > 1 || GRAPH.get(f)!.includes(f)) found.push(component.sort().join(' ↔ '));
  };
  for (const f of FILES) if (!index.has(f)) visit(f);
  return found.sort();
}
