import { execa } from 'execa';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI, ROOT, SCRIPT, SCRIPT_ABSENT, tempDir } from '../helpers/cli.js';

/**
 * The README's examples run as written: its `sh` blocks are run with bash, in
 * order, in one temporary directory, with the built CLI as `kafka-mtls` on
 * PATH and no PASSWORD but what a block sets; its `yaml` and `json` blocks
 * whose first line is `# FILE` are written there as FILE first. A block that
 * cannot run here says why in an HTML comment just before it,
 * `<!-- not run: needs docker -->`, and is counted as skipped with that reason.
 * The original script is on PATH as `mtls-kafka.sh` ("Coming from mtls-kafka.sh" runs it); without it beside the
 * clone, a block that runs it (or works in the legacy/ it made) is skipped with that reason, and under CI fails.
 */
export interface Block {
  readonly line: number;
  readonly lang: string;
  readonly text: string;
  /** The reason given by a `<!-- not run: ... -->` comment before the block. */
  readonly notRun?: string;
}

export function readmeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    const before = lines
      .slice(0, i)
      .reverse()
      .find((l) => l.trim() !== '');
    const notRun = /^<!-- not run: (.+?) -->$/.exec(before?.trim() ?? '')?.[1];
    blocks.push({ line: i + 1, lang: open[1]!, text: lines.slice(i + 1, end).join('\n'), notRun });
    i = end;
  }
  return blocks;
}

const RUNNABLE = ['sh', 'bash'];
const FILES = ['yaml', 'yml', 'json'];
const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
const blocks = readmeBlocks(readme).filter((b) => RUNNABLE.includes(b.lang) || FILES.includes(b.lang));
const skipped = blocks.filter((b) => b.notRun !== undefined);
for (const b of skipped) console.log(`README line ${b.line}: not run: ${b.notRun}`);

describe('readmeBlocks', () => {
  test('finds fenced blocks, their language and a not-run reason just before them', () => {
    const md = [
      'text',
      '```sh',
      'echo a',
      '```',
      '',
      '<!-- not run: needs docker -->',
      '',
      '```sh',
      'docker ps',
      '```',
      '```',
      'out',
      '```',
    ].join('\n');
    expect(readmeBlocks(md)).toEqual([
      { line: 2, lang: 'sh', text: 'echo a', notRun: undefined },
      { line: 8, lang: 'sh', text: 'docker ps', notRun: 'needs docker' },
      { line: 11, lang: '', text: 'out', notRun: undefined },
    ]);
  });
});

describe("the README's examples run as written", () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await tempDir('kmtls-readme-');
    const bin = join(dir, '.bin');
    await mkdir(bin);
    // The built CLI as a user has it installed: `kafka-mtls` on PATH.
    await writeFile(join(bin, 'kafka-mtls'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    await chmod(join(bin, 'kafka-mtls'), 0o755);
    await writeFile(join(bin, 'mtls-kafka.sh'), `#!/bin/sh\nexec bash "${SCRIPT}" "$@"\n`);
    await chmod(join(bin, 'mtls-kafka.sh'), 0o755);
    env = { PATH: `${bin}:${process.env.PATH}`, HOME: dir, NO_COLOR: '1', LANG: 'C.UTF-8' };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('every yaml or json block is a named file, or says why it is not run', () => {
    const unnamed = blocks.filter(
      (b) => FILES.includes(b.lang) && !b.notRun && !/^# [\w.-]+\.(ya?ml|json)$/.test(b.text.split('\n')[0]!),
    );
    expect(unnamed.map((b) => `README line ${b.line}`)).toEqual([]);
  });

  // One test per block, in README order: a later block may use what an earlier one made.
  for (const b of blocks) {
    const title = `line ${b.line} (${b.lang}): ${b.text.split('\n')[0]}`;
    if (b.notRun !== undefined) {
      test.skip(`${title} — not run: ${b.notRun}`, () => undefined);
      continue;
    }
    if (SCRIPT_ABSENT && process.env.CI !== 'true' && /^\s*mtls-kafka\.sh\b|^cd legacy\b/m.test(b.text)) {
      test.skip(`${title} — not run: ${SCRIPT_ABSENT}`, () => undefined);
      continue;
    }
    if (FILES.includes(b.lang)) {
      test(title, async () => {
        const name = /^# ([\w.-]+)$/.exec(b.text.split('\n')[0]!)![1]!;
        await writeFile(join(dir, name), `${b.text}\n`);
      });
      continue;
    }
    test(
      title,
      async () => {
        const r = await execa('bash', ['-euo', 'pipefail', '-c', b.text], {
          cwd: dir,
          env,
          extendEnv: false,
          reject: false,
          all: true,
          timeout: 280_000,
        });
        if (r.exitCode !== 0)
          throw new Error(
            `README line ${b.line} exited ${r.exitCode}:\n${b.text}\n--- output ---\n${String(r.all).slice(-3000)}`,
          );
      },
      300_000,
    );
  }
});
